#include "sever/store/lifecycle.h"

#include <gtest/gtest.h>

namespace sever {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1'800'000'000;

TEST(Lifecycle, LegalTransitions) {
  EXPECT_TRUE(can_transition(State::issued, State::active));
  EXPECT_TRUE(can_transition(State::issued, State::revoked));
  EXPECT_TRUE(can_transition(State::active, State::dormant));
  EXPECT_TRUE(can_transition(State::dormant, State::active));
  EXPECT_TRUE(can_transition(State::active, State::expired));
  EXPECT_TRUE(can_transition(State::dormant, State::revoked));
  EXPECT_TRUE(can_transition(State::expired, State::revoked));
}

TEST(Lifecycle, IllegalTransitions) {
  EXPECT_FALSE(can_transition(State::revoked, State::active));
  EXPECT_FALSE(can_transition(State::revoked, State::issued));
  EXPECT_FALSE(can_transition(State::expired, State::active));
  EXPECT_FALSE(can_transition(State::active, State::issued));
  EXPECT_FALSE(can_transition(State::dormant, State::issued));
  for (int s = 1; s <= 5; ++s) {
    EXPECT_FALSE(can_transition(static_cast<State>(s), static_cast<State>(s)));
  }
}

TEST(Lifecycle, TransitionUpdatesOrRefusesWithoutChange) {
  Credential c;
  c.tenant = "t";
  c.id = "i";
  c.state = State::active;
  ASSERT_TRUE(transition(c, State::revoked, kNow).ok());
  EXPECT_EQ(c.state, State::revoked);
  EXPECT_EQ(c.state_changed_at, kNow);
  Status s = transition(c, State::active, kNow + 1);
  EXPECT_EQ(s.code(), Code::refused);
  EXPECT_NE(s.message().find("revoked"), std::string::npos);
  EXPECT_EQ(c.state, State::revoked);
  EXPECT_EQ(c.state_changed_at, kNow);
}

TEST(Lifecycle, EffectiveStateFollowsTimestamps) {
  Credential c;
  c.state = State::issued;
  c.created_at = kNow - 400 * kDay;
  EXPECT_EQ(effective_state(c, kNow), State::issued);
  c.last_used_at = kNow - kDay;
  EXPECT_EQ(effective_state(c, kNow), State::active);
  c.last_used_at = kNow - 91 * kDay;
  EXPECT_EQ(effective_state(c, kNow), State::dormant);
  LifecyclePolicy lenient;
  lenient.dormant_after_seconds = 120 * kDay;
  EXPECT_EQ(effective_state(c, kNow, lenient), State::active);
  c.expires_at = kNow;
  EXPECT_EQ(effective_state(c, kNow), State::expired);
  c.state = State::revoked;
  EXPECT_EQ(effective_state(c, kNow), State::revoked);
}

TEST(Lifecycle, DormantForCountsNeverUsedFromCreation) {
  Credential c;
  c.created_at = kNow - 100 * kDay;
  EXPECT_TRUE(is_dormant_for(c, kNow, 90));
  EXPECT_FALSE(is_dormant_for(c, kNow, 100));
  c.last_used_at = kNow - 10 * kDay;
  EXPECT_FALSE(is_dormant_for(c, kNow, 90));
  EXPECT_TRUE(is_dormant_for(c, kNow, 9));
}

}  // namespace
}  // namespace sever
