#include <asen/algebra/permutation.hpp>
#include <asen/error.hpp>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "test_util.hpp"

using asen::InputError;
using asen::algebra::Permutation;
using asen::algebra::Point;

namespace {

// Expects `f` to throw InputError whose message contains `fragment`.
template <typename F>
void expect_input_error(F f, const std::string& fragment) {
  try {
    f();
    FAIL() << "expected an InputError containing '" << fragment << "'";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << fragment;
  }
}

}  // namespace

TEST(PermutationParse, CycleNotationIsOneBased) {
  const Permutation p = Permutation::parse_cycles("(1,2,3)(4,5)");
  EXPECT_EQ(p.images(), (std::vector<Point>{1, 2, 0, 4, 3}));
  EXPECT_EQ(p.degree(), 5U);
}

TEST(PermutationParse, ExplicitDegreeAddsFixedPoints) {
  const Permutation p = Permutation::parse_cycles(" ( 1 , 3 ) ", 5);
  EXPECT_EQ(p.images(), (std::vector<Point>{2, 1, 0, 3, 4}));
}

TEST(PermutationParse, EmptyCycleIsTheIdentity) {
  EXPECT_TRUE(Permutation::parse_cycles("()", 4).is_identity());
  EXPECT_EQ(Permutation::parse_cycles("()").degree(), 0U);
}

TEST(PermutationParse, ImageListsAreZeroBased) {
  EXPECT_EQ(Permutation::parse_images("[1, 0, 2]").images(), (std::vector<Point>{1, 0, 2}));
  EXPECT_EQ(Permutation::parse("[2,0,1]"), Permutation::parse("(1,3,2)"));
}

TEST(PermutationParse, RejectsEmptyString) {
  expect_input_error([] { (void)Permutation::parse_cycles("   "); }, "empty");
  expect_input_error([] { (void)Permutation::parse_images(""); }, "empty");
}

TEST(PermutationParse, RejectsTruncatedStrings) {
  expect_input_error([] { (void)Permutation::parse_cycles("(1,2"); }, "truncated");
  expect_input_error([] { (void)Permutation::parse_cycles("(1,2,"); }, "truncated");
  expect_input_error([] { (void)Permutation::parse_images("[1,0"); }, "truncated");
}

TEST(PermutationParse, RejectsPointZeroInCycleNotation) {
  expect_input_error([] { (void)Permutation::parse_cycles("(0,1)"); }, "point 0 at position 1");
}

TEST(PermutationParse, RejectsPointRepeatedInACycle) {
  expect_input_error([] { (void)Permutation::parse_cycles("(1,2,1)"); }, "point 1 is repeated in a cycle");
}

TEST(PermutationParse, RejectsPointInTwoCycles) {
  expect_input_error([] { (void)Permutation::parse_cycles("(1,2)(2,3)"); },
                     "point 2 appears in two cycles");
}

TEST(PermutationParse, RejectsNonNumbersNamingTheToken) {
  expect_input_error([] { (void)Permutation::parse_cycles("(1,x)"); }, "'x' at position 3 is not a number");
  expect_input_error([] { (void)Permutation::parse_cycles("(1,2.5)"); }, "is not a number");
  expect_input_error([] { (void)Permutation::parse_images("[1,a]"); }, "'a' at position 3 is not a number");
  expect_input_error([] { (void)Permutation::parse_cycles("(1,-2)"); }, "negative");
}

TEST(PermutationParse, RejectsPointsAboveTheDegree) {
  expect_input_error([] { (void)Permutation::parse_cycles("(1,5)", 4); },
                     "point 5 at position 3 is out of range for degree 4");
}

TEST(PermutationParse, RejectsDegreeMismatchOfImageList) {
  expect_input_error([] { (void)Permutation::parse_images("[1,0,2]", 4); }, "has 3 images but the degree is 4");
}

TEST(PermutationParse, RejectsNonBijectiveImageLists) {
  expect_input_error([] { (void)Permutation::parse_images("[0,0]"); }, "image 0 appears twice");
  expect_input_error([] { (void)Permutation::parse_images("[3,0,1]"); }, "image 3 at position 1 is out of range");
  expect_input_error([] { (void)Permutation(std::vector<Point>{1, 1}); }, "not a bijection");
}

TEST(PermutationParse, RejectsTrailingGarbage) {
  expect_input_error([] { (void)Permutation::parse_cycles("(1,2)x"); }, "expected '('");
  expect_input_error([] { (void)Permutation::parse_images("[0] 1"); }, "after the list");
}

TEST(PermutationAlgebra, ProductFollowsGapOrder) {
  // In GAP, (1,2)*(2,3) = (1,3,2): the left factor acts first.
  const Permutation p = Permutation::parse_cycles("(1,2)", 3) * Permutation::parse_cycles("(2,3)", 3);
  EXPECT_EQ(p.to_cycle_string(), "(1,3,2)");
}

TEST(PermutationAlgebra, InversePowerOrderAndSign) {
  const Permutation p = Permutation::parse_cycles("(1,2,3)(4,5)(6,7,8,9)");
  EXPECT_TRUE((p * p.inverse()).is_identity());
  EXPECT_EQ(p.order(), 12);
  EXPECT_TRUE(p.pow(12).is_identity());
  EXPECT_FALSE(p.pow(6).is_identity());
  EXPECT_EQ(p.pow(-1), p.inverse());
  EXPECT_EQ(p.pow(-5), p.pow(7));
  EXPECT_EQ(p.sign(), 1);  // even + odd + odd
  EXPECT_EQ(Permutation::parse_cycles("(1,2)").sign(), -1);
  EXPECT_EQ(p.support_size(), 9U);
}

TEST(PermutationAlgebra, OrderIsExactBeyondSixtyFourBits) {
  // Cycles of the first 20 primes: order = their product, about 5.6e26.
  std::string text;
  std::size_t next = 1;
  asen::algebra::BigInt expected = 1;
  for (int prime : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71}) {
    text += "(";
    for (int k = 0; k < prime; ++k) text += (k ? "," : "") + std::to_string(next++);
    text += ")";
    expected *= prime;
  }
  EXPECT_EQ(Permutation::parse_cycles(text).order(), expected);
}

TEST(PermutationAlgebra, CycleStringRoundTrips) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t n = 1 + rng() % 12;
    const Permutation p = asen::test::random_permutation(n, rng);
    EXPECT_EQ(Permutation::parse_cycles(p.to_cycle_string(), n), p);
    for (const auto& cycle : p.cycles()) {
      EXPECT_GE(cycle.size(), 2U);
      for (std::size_t k = 0; k < cycle.size(); ++k) EXPECT_EQ(p[cycle[k]], cycle[(k + 1) % cycle.size()]);
    }
  }
}

TEST(PermutationAlgebra, ApplyChecksRangeAndExtendFixesNewPoints) {
  const Permutation p = Permutation::parse_cycles("(1,2)");
  EXPECT_EQ(p.apply(0), 1U);
  EXPECT_THROW((void)p.apply(2), std::out_of_range);
  const Permutation q = p.extended(4);
  EXPECT_EQ(q.images(), (std::vector<Point>{1, 0, 2, 3}));
  EXPECT_THROW((void)q.extended(3), InputError);
  EXPECT_THROW((void)(p * q), InputError);
}
