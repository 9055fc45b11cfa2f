// asen::request_interrupt stops the native computations and keeps GAP
// evaluations from beginning, and leaves nothing behind once cleared.

#include <asen/algebra/gap.hpp>
#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/algebra/stab_chain.hpp>
#include <asen/interrupt.hpp>
#include <gtest/gtest.h>

#include <string>

using asen::algebra::Orbitals;
using asen::algebra::OrbitalMethod;
using asen::algebra::OrbitalOptions;
using asen::algebra::PermGroup;
using asen::algebra::StabChain;

namespace {

// Clears the request whatever a test does, so no test leaks it to the next.
struct ClearedAfter {
  ClearedAfter() { asen::clear_interrupt(); }
  ~ClearedAfter() { asen::clear_interrupt(); }
};

}  // namespace

TEST(Interrupt, NativeComputationsStopWhileRequestedAndRunAfterwards) {
  ClearedAfter cleared;
  const PermGroup d = PermGroup::dihedral(60);
  const PermGroup s = PermGroup::symmetric(30);
  OrbitalOptions union_find;
  union_find.method = OrbitalMethod::union_find;
  OrbitalOptions implicit;
  implicit.dense = false;

  asen::request_interrupt();
  EXPECT_TRUE(asen::interrupt_requested());
  EXPECT_THROW(StabChain::build(s.degree(), s.generators()), asen::Interrupted);
  EXPECT_THROW(Orbitals::compute(d), asen::Interrupted);
  EXPECT_THROW(Orbitals::compute(d, union_find), asen::Interrupted);
  EXPECT_THROW(Orbitals::compute(d, implicit), asen::Interrupted);
  try {
    (void)StabChain::build(s.degree(), s.generators());
    FAIL() << "no exception";
  } catch (const asen::Interrupted& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted"), std::string::npos) << e.what();
  }

  asen::clear_interrupt();
  EXPECT_FALSE(asen::interrupt_requested());
  EXPECT_EQ(StabChain::build(s.degree(), s.generators()).order(), asen::algebra::factorial(30));
  // D_60 on 60 points: 31 orbitals (the diagonal and 30 distances, each
  // paired with itself).
  EXPECT_EQ(Orbitals::compute(d).rank(), 31U);
  EXPECT_EQ(Orbitals::compute(d, union_find).rank(), 31U);
  EXPECT_EQ(Orbitals::compute(d, implicit).rank(), 31U);
}

TEST(Interrupt, AGapEvaluationDoesNotBeginWhileRequested) {
  ClearedAfter cleared;
  ASSERT_EQ(asen::algebra::gap::evaluate("ASEN_TEST_COUNT := 0;; String(Size(SymmetricGroup(5)))"), "120");
  asen::request_interrupt();
  EXPECT_THROW((void)asen::algebra::gap::evaluate("ASEN_TEST_COUNT := ASEN_TEST_COUNT + 1;; \"x\""),
               asen::Interrupted);
  asen::clear_interrupt();
  // It never reached GAP; GAP goes on.
  EXPECT_EQ(asen::algebra::gap::evaluate("String(ASEN_TEST_COUNT)"), "0");
  EXPECT_EQ(asen::algebra::gap::evaluate("String(Size(SymmetricGroup(6)))"), "720");
}
