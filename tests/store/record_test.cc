#include "sever/store/record.h"

#include <gtest/gtest.h>

namespace sever {
namespace {

Credential full() {
  Credential c;
  c.tenant = "acme";
  c.id = "c1";
  c.tool = "github";
  c.kind = Kind::pat;
  c.state = State::dormant;
  c.scopes = {"repo", "admin:org", "read:user"};
  c.user = "alice@acme.example";
  c.client = "gh-app-1";
  c.created_at = 1767323045;
  c.last_used_at = 1767400000;
  c.expires_at = -5;  // negative times survive zigzag coding
  c.state_changed_at = 1767500000;
  c.dek_version = 70000;
  c.sealed = std::string("\0\x01\xff sealed", 10);
  return c;
}

TEST(Record, EveryFieldRoundTrips) {
  Credential c = full();
  Credential out;
  ASSERT_TRUE(decode_record("acme", "c1", encode_record(c), &out).ok());
  EXPECT_EQ(out, c);
}

TEST(Record, OptionalFieldsAbsentRoundTrip) {
  Credential c = full();
  c.last_used_at.reset();
  c.expires_at.reset();
  c.scopes.clear();
  c.client.clear();
  c.sealed.clear();  // an erased secret
  Credential out;
  ASSERT_TRUE(decode_record("acme", "c1", encode_record(c), &out).ok());
  EXPECT_EQ(out, c);
}

TEST(Record, EachKindAndStateRoundTrips) {
  for (int k = 1; k <= 5; ++k) {
    for (int s = 1; s <= 5; ++s) {
      Credential c = full();
      c.kind = static_cast<Kind>(k);
      c.state = static_cast<State>(s);
      Credential out;
      ASSERT_TRUE(decode_record("acme", "c1", encode_record(c), &out).ok());
      EXPECT_EQ(out.kind, c.kind);
      EXPECT_EQ(out.state, c.state);
      EXPECT_EQ(parse_kind(to_string(c.kind)).value(), c.kind);
      EXPECT_EQ(parse_state(to_string(c.state)).value(), c.state);
    }
  }
}

TEST(Record, EveryTruncationIsCorruption) {
  std::string v = encode_record(full());
  for (size_t n = 0; n < v.size(); ++n) {
    Credential out;
    Status s = decode_record("acme", "c1", v.substr(0, n), &out);
    EXPECT_EQ(s.code(), Code::corruption) << "length " << n;
  }
}

TEST(Record, TrailingBytesAndUnknownVersionAreCorruption) {
  std::string v = encode_record(full());
  Credential out;
  EXPECT_EQ(decode_record("acme", "c1", v + "x", &out).code(), Code::corruption);
  v[0] = 9;
  Status s = decode_record("acme", "c1", v, &out);
  EXPECT_EQ(s.code(), Code::corruption);
  EXPECT_NE(s.message().find("acme/c1"), std::string::npos);
  EXPECT_NE(s.message().find("format 9"), std::string::npos);
}

TEST(Record, BadKindOrStateByteIsCorruption) {
  std::string v = encode_record(full());
  Credential out;
  std::string bad_kind = v;
  bad_kind[1] = 0;
  EXPECT_EQ(decode_record("a", "b", bad_kind, &out).code(), Code::corruption);
  std::string bad_state = v;
  bad_state[2] = 6;
  EXPECT_EQ(decode_record("a", "b", bad_state, &out).code(), Code::corruption);
}

TEST(Record, ParseNamesListAcceptedValues) {
  auto k = parse_kind("token");
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("oauth_access"), std::string::npos);
  EXPECT_FALSE(parse_state("deleted").ok());
}

TEST(Record, ValidateName) {
  EXPECT_TRUE(validate_name("tenant", "acme").ok());
  EXPECT_FALSE(validate_name("tenant", "").ok());
  EXPECT_FALSE(validate_name("tenant", std::string("a\0b", 3)).ok());
  EXPECT_FALSE(validate_name("tenant", "a\nb").ok());
  EXPECT_FALSE(validate_name("tenant", std::string(257, 'a')).ok());
  EXPECT_NE(validate_name("user", "").message().find("user"), std::string::npos);
}

}  // namespace
}  // namespace sever
