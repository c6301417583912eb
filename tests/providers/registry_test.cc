// Tests of the adapter registry: the built-ins by name, idempotence, custom adapters, threads.
#include "sever/providers/registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace sever::providers {
namespace {

constexpr std::string_view kBuiltins[] = {
    "asana",  "auth0",   "box",     "discord", "dropbox",    "github", "github-grant",
    "google", "hubspot", "linear",  "manual",  "notion",     "okta",   "rfc7009",
    "salesforce", "sentry", "slack", "vercel", "x",          "zoom"};

class NamedAdapter : public Adapter {
 public:
  explicit NamedAdapter(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  Result<HttpRequest> Build(const RevokeItem&, const ProviderConfig&) const override {
    return Status::Internal("test adapter");
  }
  Classification Classify(const HttpResponse&, const RevokeItem&, double) const override {
    return {};
  }

 private:
  std::string name_;
};

TEST(Registry, EveryBuiltinIsRegisteredUnderItsName) {
  register_builtin_providers();
  for (std::string_view name : kBuiltins) {
    const Adapter* a = find_adapter(name);
    ASSERT_NE(a, nullptr) << name;
    EXPECT_EQ(a->name(), name);
  }
  std::vector<std::string_view> names = adapter_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (std::string_view name : kBuiltins) {
    EXPECT_TRUE(std::binary_search(names.begin(), names.end(), name)) << name;
  }
}

TEST(Registry, UnknownNamesAreNull) {
  register_builtin_providers();
  EXPECT_EQ(find_adapter("gihub"), nullptr);
  EXPECT_EQ(find_adapter(""), nullptr);
  EXPECT_EQ(find_adapter("GITHUB"), nullptr);
}

TEST(Registry, RegisteringBuiltinsTwiceChangesNothing) {
  register_builtin_providers();
  const Adapter* before = find_adapter("github");
  size_t count = adapter_names().size();
  register_builtin_providers();
  EXPECT_EQ(find_adapter("github"), before);
  EXPECT_EQ(adapter_names().size(), count);
}

TEST(Registry, CustomAdapterIsFoundAndReplacementKeepsOldPointersValid) {
  register_adapter(std::make_unique<NamedAdapter>("test-custom"));
  const Adapter* first = find_adapter("test-custom");
  ASSERT_NE(first, nullptr);
  register_adapter(std::make_unique<NamedAdapter>("test-custom"));
  const Adapter* second = find_adapter("test-custom");
  ASSERT_NE(second, nullptr);
  EXPECT_NE(first, second);
  EXPECT_EQ(first->name(), "test-custom");  // still alive
  register_adapter(nullptr);                 // ignored
}

TEST(Registry, ConcurrentUseIsSafe) {
  std::atomic<int> misses{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &misses] {
      for (int i = 0; i < 200; ++i) {
        register_builtin_providers();
        if (find_adapter("slack") == nullptr) ++misses;
        if (i % 50 == 0) {
          register_adapter(std::make_unique<NamedAdapter>("test-thread-" + std::to_string(t)));
        }
        (void)adapter_names();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(misses.load(), 0);
  for (int t = 0; t < 8; ++t) EXPECT_NE(find_adapter("test-thread-" + std::to_string(t)), nullptr);
}

}  // namespace
}  // namespace sever::providers
