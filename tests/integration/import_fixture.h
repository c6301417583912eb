// The fixture of the import and get integration tests: a CLI test with a baseline of three
// credentials, and the store's state to compare before and after a failing import.
#pragma once

#include <string>
#include <vector>

#include "integration/harness.h"

namespace sever::itest {
// The store's contents before a failing import: everything a bad import must leave as it was.
struct StoreState {
  int64_t count = -1;
  json inventory;
  json audit;
  std::string keys;
};

class ImportTest : public CliTest {
 protected:
  // Three credentials already in the store before each import test.
  static std::vector<Cred> baseline() {
    return {
        {"acme", "b1", "github", "oauth_access", "gho_baseline_1", {"repo:status"}, "alice@acme"},
        {"acme", "b2", "slack", "bot_token", "xoxb-baseline-2", {"chat:write"}, "bob@acme"},
        {"beta", "b3", "stripe", "api_key", "sk_baseline_3", {}, std::nullopt},
    };
  }

  static StoreState state(const Cli& c) {
    StoreState s;
    s.count = count(c);
    s.inventory = inventory_json(c);
    s.audit = audit_json(c);
    s.keys = keys_json(c).dump();
    return s;
  }

  static void expect_same(const StoreState& a, const StoreState& b) {
    EXPECT_EQ(a.count, b.count);
    EXPECT_EQ(a.inventory, b.inventory);
    EXPECT_EQ(a.audit, b.audit) << "audit log changed:\n" << b.audit.dump(1);
    EXPECT_EQ(a.keys, b.keys) << "tenant keys changed";
  }
};

// Returns the line every case starts from, as a JSON object to alter.
inline json good_line3() {
  return Cred{"newco", "n3", "github", "oauth_access", "gho_line_three", {"repo"}, "carol@newco"}
      .to_json();
}

// The good line without `field`.
inline std::string without(const char* field) {
  json j = good_line3();
  j.erase(field);
  return j.dump();
}

// The good line with `field` set to `value`.
inline std::string with(const char* field, json value) {
  json j = good_line3();
  j[field] = std::move(value);
  return j.dump();
}

}  // namespace sever::itest
