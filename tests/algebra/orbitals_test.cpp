#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>

#include "test_util.hpp"

using asen::algebra::Orbitals;
using asen::algebra::OrbitalMethod;
using asen::algebra::OrbitalOptions;
using asen::algebra::PermGroup;
using asen::algebra::Point;

namespace {

Orbitals with(const PermGroup& g, OrbitalMethod method, bool dense = true) {
  OrbitalOptions options;
  options.method = method;
  options.dense = dense;
  return Orbitals::compute(g, options);
}

// Every property the colouring and its orbital records must have, checked
// against the brute-force reference.
void expect_correct(const PermGroup& g) {
  SCOPED_TRACE(g.to_cycle_string() + " on " + std::to_string(g.degree()) + " points");
  const std::size_t n = g.degree();
  const auto reference = asen::test::brute_force_orbitals(g);
  const Orbitals chain = with(g, OrbitalMethod::stabilizer_chain);
  const Orbitals uf = with(g, OrbitalMethod::union_find);
  const Orbitals implicit = with(g, OrbitalMethod::stabilizer_chain, false);
  ASSERT_EQ(asen::test::matrix(chain), reference);
  ASSERT_EQ(asen::test::matrix(uf), reference);
  ASSERT_FALSE(implicit.is_dense());
  for (Point i = 0; i < n; ++i)
    for (Point j = 0; j < n; ++j) ASSERT_EQ(implicit.color(i, j), reference[i * n + j]) << i << "," << j;
  for (const Orbitals* o : {&chain, &uf, &implicit}) {
    ASSERT_EQ(o->rank(), o->orbitals().size());
    std::uint64_t total = 0;
    std::size_t diagonal = 0;
    for (const auto& info : o->orbitals()) {
      EXPECT_EQ(o->color(info.rep_i, info.rep_j), info.id);
      EXPECT_EQ(o->color(info.rep_j, info.rep_i), info.paired);
      EXPECT_EQ(o->orbitals()[static_cast<std::size_t>(info.paired)].paired, info.id);
      EXPECT_EQ(info.self_paired, info.paired == info.id);
      EXPECT_EQ(info.diagonal, info.rep_i == info.rep_j);
      std::uint64_t count = 0;
      bool first_seen = false;
      for (std::size_t x = 0; x < n * n; ++x)
        if (reference[x] == info.id) {
          if (!first_seen) {
            EXPECT_EQ(x, info.rep_i * n + info.rep_j) << "representative is the first pair";
          }
          first_seen = true;
          ++count;
        }
      EXPECT_EQ(info.size, count);
      total += info.size;
      diagonal += info.diagonal ? 1 : 0;
    }
    EXPECT_EQ(total, n * n);
    EXPECT_EQ(diagonal, g.orbits().size());
  }
}

}  // namespace

TEST(Orbitals, DihedralGroupOnTenPointsHasSixOrbitals) {
  const Orbitals o = Orbitals::compute(PermGroup::parse("D(10)"));
  EXPECT_EQ(o.rank(), 6U);
  for (const auto& info : o.orbitals()) EXPECT_TRUE(info.self_paired);
}

TEST(Orbitals, KnownRanks) {
  EXPECT_EQ(Orbitals::compute(PermGroup::parse("S(7)")).rank(), 2U);
  EXPECT_EQ(Orbitals::compute(PermGroup::parse("A(7)")).rank(), 2U);
  EXPECT_EQ(Orbitals::compute(PermGroup::parse("C(8)")).rank(), 8U);
  EXPECT_EQ(Orbitals::compute(PermGroup::parse("trivial(6)")).rank(), 36U);
  EXPECT_EQ(Orbitals::compute(PermGroup::parse("mirror(10)")).rank(), 50U);
  EXPECT_EQ(Orbitals::compute(PermGroup::parse("mirror(9)")).rank(), 41U);
  EXPECT_EQ(Orbitals::compute(PermGroup::parse("wreath(S(5),S(2))")).rank(), 3U);
  // C_3 is not self-paired beyond the diagonal: (i, i+1) pairs with (i+1, i).
  const Orbitals c3 = Orbitals::compute(PermGroup::parse("C(3)"));
  EXPECT_EQ(c3.rank(), 3U);
  EXPECT_EQ(c3.orbitals()[1].paired, 2);
  EXPECT_FALSE(c3.orbitals()[1].self_paired);
}

TEST(Orbitals, FixedPointsKeepTheirOwnColours) {
  // <(3,4)> on 4 points: 0 and 1 are fixed, so (0,0), (1,1), (0,1), ... are singletons.
  const PermGroup g = PermGroup::parse("(3,4)", 4);
  const Orbitals o = Orbitals::compute(g);
  // 4 singletons on {0,1}^2; (x,2)~(x,3) and (2,x)~(3,x) for x in {0,1}; (2,2)~(3,3); (2,3)~(3,2)
  EXPECT_EQ(o.rank(), 10U);
  EXPECT_NE(o.color(0, 0), o.color(1, 1));
  EXPECT_EQ(o.color(2, 2), o.color(3, 3));
  EXPECT_EQ(o.color(0, 2), o.color(0, 3));
  expect_correct(g);
}

TEST(Orbitals, ColoursAreCanonical) {
  // Different generating sets of one group give the identical matrix.
  const Orbitals a = Orbitals::compute(PermGroup::parse("(1,2,3,4,5,6),(1,6)(2,5)(3,4)"));
  const Orbitals b = Orbitals::compute(PermGroup::parse("(1,6)(2,5)(3,4),(1,5)(2,4),(1,2,3,4,5,6)"));
  EXPECT_EQ(a.colors(), b.colors());
  std::int32_t next = 0;
  for (std::int32_t c : a.colors()) {
    ASSERT_LE(c, next);
    if (c == next) ++next;
  }
}

TEST(Orbitals, MethodsAgreeWithBruteForceOnNamedGroups) {
  for (const char* spec : {"S(5)", "A(5)", "C(8)", "D(10)", "mirror(10)", "wreath(S(5),S(2))", "S(3)*C(4)",
                           "wreath(C(3),trivial(3))", "trivial(5)", "(1,2)(3,4),(1,3)(2,4)", "D(7)*mirror(4)"})
    expect_correct(PermGroup::parse(spec));
}

TEST(Orbitals, MethodsAgreeWithBruteForceOnRandomGroups) {
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t n = 1 + rng() % 9;
    expect_correct(asen::test::random_small_group(n, rng));
  }
}

TEST(Orbitals, LargeOrbitsAreExactWhateverTheRandomCandidates) {
  // Orbits of 64 points or more start from candidate classes drawn from
  // random stabilizer elements; the checked fill must make them exact,
  // transitive or not, with few generators or many, order known or not.
  std::vector<PermGroup> groups;
  for (const char* spec : {"D(100)", "wreath(S(40),S(2))", "wreath(C(8),C(9))", "C(70)*S(3)", "wreath(C(2),D(33))",
                           "mirror(30)*D(64)", "gap:Action(SymmetricGroup(12), Combinations([1..12], 2), OnSets)",
                           "gap:PSL(2, 67)"})
    groups.push_back(PermGroup::parse(spec));
  // AGL(1, 67) = <x -> x + 1, x -> 2x> (2 is a primitive root mod 67).
  std::vector<Point> shift(67), times2(67);
  for (std::size_t x = 0; x < 67; ++x) {
    shift[x] = static_cast<Point>((x + 1) % 67);
    times2[x] = static_cast<Point>((2 * x) % 67);
  }
  groups.emplace_back(67, std::vector<asen::algebra::Permutation>{asen::algebra::Permutation(shift),
                                                                  asen::algebra::Permutation(times2)});
  // Two generators, order unknown: a 90-cycle and a reflection.
  const std::size_t n = 90;
  std::vector<Point> cycle(n), reflection(n);
  for (std::size_t x = 0; x < n; ++x) {
    cycle[x] = static_cast<Point>((x + 1) % n);
    reflection[x] = static_cast<Point>((n - x) % n);
  }
  groups.emplace_back(n, std::vector<asen::algebra::Permutation>{asen::algebra::Permutation(cycle),
                                                                 asen::algebra::Permutation(reflection)});
  // Many sparse generators (the paper's wreath list): no random candidates.
  std::vector<asen::algebra::Permutation> wreath;
  for (std::size_t k = 0; k + 1 < 80; ++k) {
    if (k == 39) continue;
    std::vector<Point> t(80);
    for (std::size_t x = 0; x < 80; ++x) t[x] = static_cast<Point>(x);
    std::swap(t[k], t[k + 1]);
    wreath.emplace_back(t);
  }
  std::vector<Point> swap(80);
  for (std::size_t x = 0; x < 80; ++x) swap[x] = static_cast<Point>((x + 40) % 80);
  wreath.emplace_back(swap);
  groups.emplace_back(80, wreath);
  for (const PermGroup& g : groups) expect_correct(g);
}

TEST(Orbitals, ManyDenseGeneratorsAreReducedWithoutChangingTheResult) {
  // The paper's dihedral list: identity, reflection, all rotations.
  const std::size_t n = 40;
  std::vector<asen::algebra::Permutation> gens{asen::algebra::Permutation(n)};
  std::vector<Point> reflection(n);
  for (std::size_t x = 0; x < n; ++x) reflection[x] = static_cast<Point>(n - 1 - x);
  gens.emplace_back(reflection);
  for (std::size_t k = 1; k <= n; ++k) {
    std::vector<Point> r(n);
    for (std::size_t x = 0; x < n; ++x) r[x] = static_cast<Point>((x + k) % n);
    gens.emplace_back(r);
  }
  const PermGroup g(n, gens);
  const Orbitals o = Orbitals::compute(g);
  EXPECT_EQ(o.rank(), n / 2 + 1);
  EXPECT_EQ(o.colors(), with(g, OrbitalMethod::union_find).colors());
  EXPECT_EQ(o.colors(), Orbitals::compute(PermGroup::parse("D(40)")).colors());
}

TEST(Orbitals, ImplicitColouringOfLargeGroupsWithoutTheMatrix) {
  // 20000 points: the matrix would need 1.6 GB; the implicit colouring does not.
  const PermGroup g = PermGroup::parse("D(20000)");
  OrbitalOptions options;
  options.dense = false;
  options.memory_limit_bytes = std::size_t{64} << 20U;
  const Orbitals o = Orbitals::compute(g, options);
  EXPECT_EQ(o.rank(), 10001U);
  // colour(i, j) depends on the cyclic distance only.
  EXPECT_EQ(o.color(0, 7), o.color(100, 107));
  EXPECT_EQ(o.color(0, 7), o.color(107, 100));
  EXPECT_EQ(o.color(5, 19995), o.color(0, 10));
  EXPECT_NE(o.color(0, 7), o.color(0, 8));
  EXPECT_EQ(o.colors_of({{0, 0}, {3, 3}}), (std::vector<std::int32_t>{0, 0}));
}

TEST(Orbitals, ImplicitColouringIsExactForGroupsWithoutKnownOrder) {
  // Given by cycles, the order is unknown; the per-pair colours must still
  // match the dense matrix exactly.
  std::mt19937_64 rng(3);
  const PermGroup g = PermGroup::parse("(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,"
                                       "29,30),(2,30)(3,29)(4,28)(5,27)(6,26)(7,25)(8,24)(9,23)(10,22)(11,21)(12,20)"
                                       "(13,19)(14,18)(15,17)");
  ASSERT_FALSE(g.known_order().has_value());
  OrbitalOptions options;
  options.dense = false;
  const Orbitals o = Orbitals::compute(g, options);
  const Orbitals d = Orbitals::compute(g);
  for (Point i = 0; i < 30; ++i)
    for (Point j = 0; j < 30; ++j) ASSERT_EQ(o.color(i, j), d.color(i, j));
}

TEST(Orbitals, MemoryGuardRefusesBeforeAllocating) {
  OrbitalOptions options;
  options.memory_limit_bytes = std::size_t{1} << 20U;
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)Orbitals::compute(PermGroup::parse("S(100000)"), options);
    FAIL() << "expected a LimitError";
  } catch (const asen::LimitError& e) {
    EXPECT_NE(std::string(e.what()).find("100000x100000 colour matrix needs 38147 MiB"), std::string::npos)
        << e.what();
  }
  options.method = OrbitalMethod::union_find;
  EXPECT_THROW((void)Orbitals::compute(PermGroup::parse("S(1000)"), options), asen::LimitError);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
}

TEST(Orbitals, ImplicitColouringRefusesItsSchreierRowsAboveTheLimitUpFront) {
  // wreath(S(30),S(30)) has no short base: its stabilizers' orbits are checked
  // by streaming rows of a Schreier tree, three BFS layers at a time. Their
  // peak is known before any row is computed, and refused above the limit;
  // the advice names the group's order only when it is not known. (512 KiB
  // holds what is sure to be needed: a row per orbit, the random elements.)
  const PermGroup named = PermGroup::parse("wreath(S(30),S(30))");
  const PermGroup given(named.degree(), named.generators());
  OrbitalOptions options;
  options.dense = false;
  options.memory_limit_bytes = std::size_t{512} << 10U;
  for (const PermGroup* g : {&named, &given}) {
    try {
      (void)Orbitals::compute(*g, options);
      FAIL() << "expected a LimitError";
    } catch (const asen::LimitError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("for rows of its Schreier tree, more than the memory limit (0 MiB)"), std::string::npos)
          << what;
      EXPECT_EQ(what.find("give the group's order") != std::string::npos, g == &given) << what;
    }
  }
  options.memory_limit_bytes = std::size_t{256} << 20U;
  const Orbitals o = Orbitals::compute(named, options);
  EXPECT_EQ(o.rank(), 3U);
  EXPECT_EQ(o.color(0, 1), o.color(31, 30));  // same block
  EXPECT_NE(o.color(0, 1), o.color(0, 30));   // other block
}

TEST(Orbitals, UnionFindCountsTheOrbitalTableAgainstTheLimit) {
  // trivial(3000): parents and colours take 72 MB, the 9 million orbitals'
  // table four times as much; under a 100 MiB limit it is refused as it
  // grows, not allocated.
  OrbitalOptions options;
  options.memory_limit_bytes = std::size_t{100} << 20U;
  options.method = OrbitalMethod::union_find;
  try {
    (void)Orbitals::compute(PermGroup::parse("trivial(3000)"), options);
    FAIL() << "expected a LimitError";
  } catch (const asen::LimitError& e) {
    EXPECT_NE(std::string(e.what()).find("orbitals or more, and 6000 rows of 3000 ids), above the memory limit of 100 MiB"),
              std::string::npos)
        << e.what();
  }
  options.memory_limit_bytes = std::size_t{1024} << 20U;
  EXPECT_EQ(Orbitals::compute(PermGroup::parse("trivial(3000)"), options).rank(), 9000000U);
}

TEST(Orbitals, BadPairsAndOptions) {
  const Orbitals o = Orbitals::compute(PermGroup::parse("S(3)"));
  EXPECT_THROW((void)o.color(3, 0), std::out_of_range);
  EXPECT_THROW((void)o.colors_of({{0, 5}}), std::out_of_range);
  OrbitalOptions options;
  options.method = OrbitalMethod::union_find;
  options.dense = false;
  EXPECT_THROW((void)Orbitals::compute(PermGroup::parse("S(3)"), options), asen::InputError);
  EXPECT_EQ(o.diagonal_colors(), (std::vector<std::int32_t>{0, 0, 0}));
}
