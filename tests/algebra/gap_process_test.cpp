// GAP session tests that each need a fresh process with a particular
// environment; tests/algebra/CMakeLists.txt runs each one on its own.

#include <asen/algebra/gap.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

using asen::GapError;
using asen::algebra::Backend;
using asen::algebra::PermGroup;

TEST(PermGroupGap, StartsOnlyWhenNeeded) {
  // Native work must not start GAP.
  const PermGroup g = PermGroup::parse("wreath(S(4),S(3))");
  (void)g.order();
  (void)g.orbits();
  (void)g.is_primitive();
  (void)g.stabilizer(1);
  EXPECT_FALSE(asen::algebra::gap::is_running());
  (void)g.order(Backend::gap);
  EXPECT_TRUE(asen::algebra::gap::is_running());
}

TEST(PermGroupGap, MemoryLimitIsASettingAndRecoverable) {
  // Runs with ASEN_GAP_MEMORY_MB=256.
  ASSERT_STREQ(std::getenv("ASEN_GAP_MEMORY_MB"), "256");
  try {
    (void)asen::algebra::gap::evaluate("ASEN_BIG := List([1..10^8], i -> [i]);; \"\"");
    FAIL() << "expected GAP to refuse";
  } catch (const GapError& e) {
    EXPECT_NE(std::string(e.what()).find("memory"), std::string::npos) << e.what();
  }
  EXPECT_EQ(asen::algebra::gap::evaluate("Unbind(ASEN_BIG);; String(Size(SymmetricGroup(6)))"), "720");
}

TEST(PermGroupGap, BadGapRootIsAClearError) {
  // Runs with ASEN_GAP_ROOT pointing nowhere.
  ASSERT_STREQ(std::getenv("ASEN_GAP_ROOT"), "/nonexistent/gap");
  try {
    (void)asen::algebra::gap::evaluate("\"x\"");
    FAIL() << "expected an error";
  } catch (const asen::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/gap/lib/init.g does not exist"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)PermGroup::parse("S(3)").order(Backend::gap), asen::Error);
  EXPECT_EQ(PermGroup::parse("S(3)").order(), 6);  // native work is unaffected
}
