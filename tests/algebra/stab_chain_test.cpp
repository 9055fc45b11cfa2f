#include <asen/algebra/perm_group.hpp>
#include <asen/algebra/stab_chain.hpp>
#include <asen/error.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "test_util.hpp"

using asen::algebra::BigInt;
using asen::algebra::ChainProof;
using asen::algebra::ChainVerification;
using asen::algebra::Permutation;
using asen::algebra::PermGroup;
using asen::algebra::Point;
using asen::algebra::StabChain;
using asen::algebra::StabChainOptions;

namespace {

// Every permutation of degree n, for membership checks against brute force.
std::vector<Permutation> all_permutations(std::size_t n) {
  std::vector<Point> images(n);
  for (std::size_t x = 0; x < n; ++x) images[x] = static_cast<Point>(x);
  std::vector<Permutation> out;
  do {
    out.emplace_back(images);
  } while (std::next_permutation(images.begin(), images.end()));
  return out;
}

}  // namespace

TEST(StabChain, OrdersOfSymmetricAndAlternatingGroups) {
  for (std::size_t n = 1; n <= 12; ++n) {
    const PermGroup s = PermGroup::symmetric(n);
    const PermGroup a = PermGroup::alternating(n);
    // Without the known order, so the chain is built and verified by Sims' test.
    EXPECT_EQ(StabChain::build(n, s.generators()).order(), asen::algebra::factorial(n)) << n;
    EXPECT_EQ(StabChain::build(n, a.generators()).order(),
              n >= 2 ? BigInt(asen::algebra::factorial(n) / 2) : BigInt(1))
        << n;
  }
}

TEST(StabChain, MatchesBruteForceOnRandomSmallGroups) {
  std::mt19937_64 rng(2024);
  std::map<std::size_t, std::vector<Permutation>> everything;
  for (std::size_t n = 1; n <= 6; ++n) everything[n] = all_permutations(n);
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t n = 1 + rng() % 6;
    const PermGroup g = asen::test::random_small_group(n, rng);
    const auto elements = asen::test::closure(n, g.generators());
    for (const auto verification : {ChainVerification::always, ChainVerification::never}) {
      StabChainOptions options;
      options.verification = verification;
      options.seed = rng();
      const StabChain chain = StabChain::build(n, g.generators(), options);
      ASSERT_EQ(chain.order(), elements.size()) << g.to_cycle_string();
      for (const auto& p : everything[n]) ASSERT_EQ(chain.contains(p), elements.count(p.images()) == 1);
      std::vector<std::vector<Point>> listed;
      chain.for_each_element([&](const Permutation& p) { listed.push_back(p.images()); }, BigInt(1000));
      std::sort(listed.begin(), listed.end());
      ASSERT_EQ(listed, std::vector<std::vector<Point>>(elements.begin(), elements.end()));
    }
  }
}

TEST(StabChain, SchreierVectorLevelsGiveTheSameAnswers) {
  // No budget for explicit transversal rows: every level keeps a tree.
  std::mt19937_64 rng(99);
  for (int trial = 0; trial < 100; ++trial) {
    const std::size_t n = 2 + rng() % 7;
    const PermGroup g = asen::test::random_small_group(n, rng);
    StabChainOptions tree;
    tree.explicit_transversal_bytes = 0;
    const StabChain a = StabChain::build(n, g.generators(), tree);
    const StabChain b = StabChain::build(n, g.generators());
    ASSERT_EQ(a.order(), b.order());
    for (int k = 0; k < 20; ++k) {
      const Permutation p = asen::test::random_permutation(n, rng);
      ASSERT_EQ(a.contains(p), b.contains(p));
    }
    if (a.length() == 0) continue;
    for (const Point x : a.basic_orbit(0)) {
      const Permutation u = a.transversal_element(0, x);
      EXPECT_EQ(u[a.base()[0]], x);
      EXPECT_TRUE(b.contains(u));
    }
  }
}

TEST(StabChain, SimsTestCompletesChainsTheRandomPhaseLeftShort) {
  // One random sift is often not enough: Sims' test must then find the
  // missing strong generators itself, with explicit rows, with trees only,
  // and with a budget that leaves the first levels explicit and the rest trees.
  std::mt19937_64 rng(7);
  const std::vector<std::string> specs = {
      "wreath(S(4),S(3))", "wreath(C(5),C(4))", "D(30)*S(4)", "wreath(D(6),S(3))", "A(7)*C(6)", "mirror(9)*A(5)"};
  int incomplete = 0;
  for (const std::string& spec : specs) {
    const PermGroup named = PermGroup::parse(spec);
    const std::size_t n = named.degree();
    const BigInt order = named.order();  // known from the names
    for (const std::size_t row_budget : {std::size_t{1} << 30, std::size_t{0}, 3 * n * sizeof(std::uint16_t)}) {
      for (int trial = 0; trial < 4; ++trial) {
        StabChainOptions options;
        options.consecutive_sifts = 1;
        options.seed = rng();
        options.explicit_transversal_bytes = row_budget;
        options.verification = ChainVerification::never;
        if (StabChain::build(n, named.generators(), options).order() != order) ++incomplete;
        options.verification = ChainVerification::always;
        const StabChain chain = StabChain::build(n, named.generators(), options);
        ASSERT_EQ(chain.order(), order) << spec << " rows " << row_budget;
        EXPECT_EQ(chain.proof(), ChainProof::deterministic);
        for (const Permutation& g : named.random_elements(5, rng())) EXPECT_TRUE(chain.contains(g)) << spec;
        for (int k = 0; k < 5; ++k) {
          const Permutation p = asen::test::random_permutation(n, rng);
          EXPECT_EQ(chain.contains(p), named.contains(p)) << spec;
        }
      }
    }
  }
  EXPECT_GT(incomplete, 10);  // the test exercised the completion
}

TEST(StabChain, KnownOrderProvesTheChain) {
  StabChainOptions options;
  options.known_order = asen::algebra::factorial(30);
  const StabChain chain = StabChain::build(30, PermGroup::symmetric(30).generators(), options);
  EXPECT_EQ(chain.proof(), ChainProof::known_order);
  EXPECT_EQ(chain.order(), asen::algebra::factorial(30));
}

TEST(StabChain, WrongKnownOrderIsAnError) {
  StabChainOptions options;
  options.known_order = BigInt(7);
  options.consecutive_sifts = 4;
  EXPECT_THROW((void)StabChain::build(5, PermGroup::symmetric(5).generators(), options), asen::Error);
}

TEST(StabChain, MonteCarloProofIsReportedWhenVerificationIsSkipped) {
  StabChainOptions options;
  options.verification = ChainVerification::never;
  const StabChain chain = StabChain::build(10, PermGroup::parse("(1,2),(1,2,3,4,5,6,7,8,9,10)").generators(), options);
  EXPECT_EQ(chain.proof(), ChainProof::monte_carlo);
  EXPECT_FALSE(chain.is_proven());
  EXPECT_EQ(chain.order(), asen::algebra::factorial(10));
  options.verification = ChainVerification::always;
  EXPECT_EQ(StabChain::build(10, PermGroup::parse("(1,2),(1,2,3,4,5,6,7,8,9,10)").generators(), options).proof(),
            ChainProof::deterministic);
}

TEST(StabChain, BasePrefixComesFirstAndGivesStabilizers) {
  const PermGroup g = PermGroup::parse("D(12)");
  StabChainOptions options;
  options.base_prefix = {5, 7};
  const StabChain chain = StabChain::build(12, g.generators(), options);
  ASSERT_GE(chain.length(), 2U);
  EXPECT_EQ(chain.base()[0], 5U);
  EXPECT_EQ(chain.base()[1], 7U);
  EXPECT_EQ(chain.basic_orbit(0).size(), 12U);
  EXPECT_EQ(chain.basic_orbit(1).size(), 2U);  // the reflection fixing 5 moves 7
  for (const auto& s : chain.stabilizer_generators(1)) EXPECT_EQ(s[5], 5U);
  for (const auto& s : chain.stabilizer_generators(2)) EXPECT_TRUE(s.is_identity());
}

TEST(StabChain, RejectsBadInput) {
  StabChainOptions options;
  options.base_prefix = {3};
  EXPECT_THROW((void)StabChain::build(3, {}, options), asen::InputError);
  options.base_prefix = {1, 1};
  EXPECT_THROW((void)StabChain::build(3, {}, options), asen::InputError);
  EXPECT_THROW((void)StabChain::build(3, {Permutation(4)}), asen::InputError);
  const StabChain chain = StabChain::build(3, {Permutation::parse_cycles("(1,2)", 3)});
  EXPECT_THROW((void)chain.contains(Permutation(4)), asen::InputError);
  EXPECT_THROW((void)chain.transversal_element(0, 2), std::out_of_range);
}

TEST(StabChain, RandomElementsOfACompleteChainAreUniform) {
  const StabChain chain = StabChain::build(4, PermGroup::symmetric(4).generators());
  std::mt19937_64 rng(5);
  std::map<std::vector<Point>, int> counts;
  const int draws = 24000;
  for (int k = 0; k < draws; ++k) ++counts[chain.random_element(rng).images()];
  ASSERT_EQ(counts.size(), 24U);
  double chi2 = 0;
  for (const auto& [p, c] : counts) chi2 += (c - 1000.0) * (c - 1000.0) / 1000.0;
  EXPECT_LT(chi2, 60.0);  // 23 degrees of freedom; p < 1e-4 beyond ~55 (fixed seed: deterministic)
}

TEST(StabChain, PaperWreathListFromManyGenerators) {
  // The paper's S_m wr S_2 list: identity, adjacent transpositions in each
  // half, and the half swap.
  const std::size_t m = 30;
  std::string spec = "()";
  for (std::size_t h = 0; h < 2; ++h)
    for (std::size_t i = 1; i < m; ++i)
      spec += ",(" + std::to_string(h * m + i) + "," + std::to_string(h * m + i + 1) + ")";
  spec += ",";
  for (std::size_t i = 1; i <= m; ++i) spec += "(" + std::to_string(i) + "," + std::to_string(i + m) + ")";
  const PermGroup g = PermGroup::parse(spec);
  const BigInt expected = asen::algebra::factorial(m) * asen::algebra::factorial(m) * 2;
  EXPECT_EQ(g.order(), expected);
  EXPECT_TRUE(g.contains(Permutation::parse_cycles("(1,2,3)(31,32)", 60) * g.generators().back()));
  EXPECT_FALSE(g.contains(Permutation::parse_cycles("(1,31)", 60)));
}

#include "../../algebra/src/order_bound.hpp"  // white-box: the bound behind "upper-bound" proofs

TEST(OrderUpperBound, IsAMultipleOfTheOrderOfEveryGroup) {
  // A subgroup's order divides the bound's (Lagrange), so a reached bound is the order.
  std::mt19937_64 rng(61);
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t n = 1 + rng() % 7;
    const PermGroup g = asen::test::random_small_group(n, rng);
    const auto bound = asen::algebra::detail::order_upper_bound(n, g.generators());
    ASSERT_TRUE(bound.has_value());
    const BigInt order = asen::test::closure(n, g.generators()).size();
    ASSERT_EQ(*bound % order, 0) << g.to_cycle_string();
  }
  for (const char* spec : {"wreath(S(3),S(4))", "wreath(C(4),S(3))", "wreath(S(2),wreath(S(2),S(2)))", "A(8)", "D(12)"}) {
    const PermGroup g = PermGroup::parse(spec);
    const auto bound = asen::algebra::detail::order_upper_bound(g.degree(), g.generators());
    ASSERT_TRUE(bound.has_value());
    EXPECT_EQ(*bound % g.order(), 0) << spec;
  }
}

TEST(OrderUpperBound, ProvesThePapersWreathListAndAlternatingGroups) {
  // S_100 wr S_2 from the paper's 199 generators: Sims' test is too costly,
  // but the order reaches the bound of its block system.
  const std::size_t m = 100;
  std::string spec = "()";
  for (std::size_t h = 0; h < 2; ++h)
    for (std::size_t i = 1; i < m; ++i)
      spec += ",(" + std::to_string(h * m + i) + "," + std::to_string(h * m + i + 1) + ")";
  spec += ",";
  for (std::size_t i = 1; i <= m; ++i) spec += "(" + std::to_string(i) + "," + std::to_string(i + m) + ")";
  const PermGroup g = PermGroup::parse(spec);
  EXPECT_EQ(g.order(), asen::algebra::factorial(m) * asen::algebra::factorial(m) * 2);
  EXPECT_TRUE(g.chain().is_proven());
  EXPECT_EQ(g.order_proof(), ChainProof::upper_bound);
  // A_100 from two cycles: even generators, order n!/2.
  std::string cycle = "(";
  for (int i = 2; i <= 100; ++i) cycle += std::to_string(i) + (i < 100 ? "," : ")");
  const PermGroup a = PermGroup::parse("(1,2,3)," + cycle);
  EXPECT_EQ(a.order(), asen::algebra::factorial(100) / 2);
  EXPECT_TRUE(a.chain().is_proven());
}

TEST(StabChain, ManyGeneratorsStillGiveUniformEnoughElements) {
  // A_n from the 3-cycles (1,2,k): with too little scrambling of the
  // product-replacement state (one slot per generator), Monte Carlo chains
  // missed a level. Every seed must get the order right without any bound.
  const std::size_t n = 200;
  std::vector<Permutation> gens;
  for (std::size_t k = 3; k <= n; ++k)
    gens.push_back(Permutation::parse_cycles("(1,2," + std::to_string(k) + ")", n));
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    StabChainOptions options;
    options.verification = ChainVerification::never;
    options.seed = seed;
    EXPECT_EQ(StabChain::build(n, gens, options).order(), asen::algebra::factorial(n) / 2) << seed;
  }
  // As a group, it is recognised without a chain (a 3-cycle generates
  // nothing odd; an element with one cycle of prime length in (n/2, n-3]).
  const PermGroup g(n, gens);
  EXPECT_EQ(g.order(), asen::algebra::factorial(n) / 2);
  EXPECT_EQ(g.order_proof(), ChainProof::jordan);
}

TEST(StabChain, BlockSystemsBoundTheOrbitsOfLongBasesCorrectly) {
  // Bases longer than 32 points bound each basic orbit by the group's block
  // systems; a bound too small would stop an orbit short and give a smaller
  // order. Bare generators (no known order), Monte Carlo and deterministic.
  for (const char* spec : {"wreath(S(20),S(3))", "wreath(S(3),S(20))", "wreath(wreath(S(5),S(3)),S(3))",
                           "wreath(S(12),S(3))*wreath(C(5),S(8))", "wreath(D(6),S(20))", "A(40)*wreath(S(2),S(17))"}) {
    const PermGroup named = PermGroup::parse(spec);
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      StabChainOptions options;
      options.seed = seed;
      options.verification = seed == 3 ? ChainVerification::always : ChainVerification::never;
      const StabChain chain = StabChain::build(named.degree(), named.generators(), options);
      ASSERT_GE(chain.length(), 32U) << spec;
      EXPECT_EQ(chain.order(), named.order()) << spec << " seed " << seed;
    }
  }
}

TEST(StabChain, WideRowsAboveDegree65536) {
  // Rows hold 16-bit points up to degree 65536, 32-bit beyond.
  const std::size_t n = 70000;
  const std::vector<Permutation> gens{Permutation::parse_cycles("(1,2,3,4)", n), Permutation::parse_cycles("(1,2)", n),
                                      Permutation::parse_cycles("(69996,69997,69998,69999,70000)", n)};
  const StabChain chain = StabChain::build(n, gens);
  EXPECT_EQ(chain.order(), BigInt(120));
  EXPECT_TRUE(chain.contains(Permutation::parse_cycles("(1,3)(69996,70000,69999,69998,69997)", n)));
  EXPECT_FALSE(chain.contains(Permutation::parse_cycles("(1,5)", n)));
  EXPECT_FALSE(chain.contains(Permutation::parse_cycles("(69996,69997)", n)));
}
