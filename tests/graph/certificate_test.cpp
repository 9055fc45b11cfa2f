#include <asen/algebra/gap.hpp>
#include <asen/error.hpp>
#include <asen/graph/breaking_input.hpp>
#include <asen/graph/certificate.hpp>
#include <asen/graph/orbital_graphs.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "../algebra/test_util.hpp"

using asen::algebra::BigInt;
using asen::algebra::Orbitals;
using asen::algebra::Permutation;
using asen::algebra::PermGroup;
using asen::algebra::Point;
using asen::graph::AutomorphismBackend;
using asen::graph::Certificate;
using asen::graph::CertifyOptions;

namespace {

long long gap_count(const std::string& expr) { return std::stoll(asen::algebra::gap::evaluate("String(" + expr + ")")); }

PermGroup gap_group(const std::string& expr, std::size_t n) {
  return PermGroup::parse("gap:" + expr, n);
}

// The checks every certificate must pass, whatever the group.
void expect_consistent(const PermGroup& g, const Certificate& c) {
  const Orbitals o = Orbitals::compute(g);
  EXPECT_EQ(c.degree, g.degree());
  EXPECT_EQ(c.rank, o.rank());
  EXPECT_TRUE(c.generators_preserve_coloring);
  EXPECT_TRUE(c.closure_preserves_coloring);
  EXPECT_EQ(c.closure_order, c.order * c.index);
  EXPECT_EQ(c.two_closed, c.index == 1);
  EXPECT_EQ(c.order, g.order());
  const PermGroup closure(g.degree(), c.closure_generators);
  EXPECT_EQ(closure.order(), c.closure_order);
  for (const auto& x : c.closure_generators) EXPECT_TRUE(asen::graph::preserves(o, x));
  if (!c.two_closed) {
    ASSERT_FALSE(c.witnesses.empty());
    for (const auto& x : c.witnesses) {
      EXPECT_FALSE(g.contains(x));
      EXPECT_TRUE(closure.contains(x));
      EXPECT_TRUE(asen::graph::preserves(o, x));
    }
  } else {
    EXPECT_TRUE(c.witnesses.empty());
  }
}

std::vector<std::vector<std::int32_t>> matrix(const Orbitals& o) {
  const std::size_t n = o.degree();
  std::vector<std::vector<std::int32_t>> m(n, std::vector<std::int32_t>(n));
  for (Point i = 0; i < n; ++i)
    for (Point j = 0; j < n; ++j) m[i][j] = o.color(i, j);
  return m;
}

// The 2-closure by brute force: every permutation preserving the colouring.
std::size_t brute_force_closure_order(const PermGroup& g) {
  const std::size_t n = g.degree();
  const auto m = matrix(Orbitals::compute(g));
  std::vector<Point> p(n);
  for (std::size_t x = 0; x < n; ++x) p[x] = static_cast<Point>(x);
  std::size_t count = 0;
  do {
    bool ok = true;
    for (std::size_t i = 0; i < n && ok; ++i)
      for (std::size_t j = 0; j < n && ok; ++j) ok = m[p[i]][p[j]] == m[i][j];
    count += ok ? 1 : 0;
  } while (std::next_permutation(p.begin(), p.end()));
  return count;
}

}  // namespace

TEST(Certify, EveryTransitiveGroupOfDegreeAtMostTenAgreesWithGapsTwoClosure) {
  int groups = 0;
  int not_closed = 0;
  for (std::size_t d = 2; d <= 10; ++d) {
    const long long count = gap_count("NrTransitiveGroups(" + std::to_string(d) + ")");
    for (long long k = 1; k <= count; ++k, ++groups) {
      const std::string expr = "TransitiveGroup(" + std::to_string(d) + "," + std::to_string(k) + ")";
      SCOPED_TRACE(expr);
      const PermGroup g = gap_group(expr, d);
      CertifyOptions options;
      options.cross_check = true;
      options.backend = k % 2 == 0 ? AutomorphismBackend::nauty : AutomorphismBackend::traces;
      const Certificate c = asen::graph::certify(g, options);
      ASSERT_TRUE(c.cross_check.has_value());
      EXPECT_TRUE(c.cross_check->performed);
      EXPECT_TRUE(c.cross_check->agrees) << "GAP: " << c.cross_check->gap_two_closure_order << " asen: " << c.closure_order;
      EXPECT_TRUE(c.proven);
      expect_consistent(g, c);
      not_closed += c.two_closed ? 0 : 1;
    }
  }
  EXPECT_EQ(groups, 165);
  EXPECT_GT(not_closed, 10);
}

TEST(Certify, LargerTransitiveAndPrimitiveSamplesAgreeWithGap) {
  std::mt19937_64 rng(77);
  for (std::size_t d : {12, 15, 16, 20}) {
    const long long count = gap_count("NrTransitiveGroups(" + std::to_string(d) + ")");
    for (int s = 0; s < 5; ++s) {
      const std::string expr = "TransitiveGroup(" + std::to_string(d) + "," + std::to_string(1 + rng() % count) + ")";
      SCOPED_TRACE(expr);
      const PermGroup g = gap_group(expr, d);
      const Certificate c = asen::graph::certify(g);
      EXPECT_EQ(c.closure_order, BigInt(asen::algebra::gap::evaluate("String(Size(TwoClosure(" + expr + ")))")));
      expect_consistent(g, c);
    }
  }
  for (std::size_t d : {25, 31, 36, 49}) {
    const long long count = gap_count("NrPrimitiveGroups(" + std::to_string(d) + ")");
    for (int s = 0; s < 3; ++s) {
      const std::string expr = "PrimitiveGroup(" + std::to_string(d) + "," + std::to_string(1 + rng() % count) + ")";
      SCOPED_TRACE(expr);
      const PermGroup g = gap_group(expr, d);
      const Certificate c = asen::graph::certify(g);
      EXPECT_EQ(c.closure_order, BigInt(asen::algebra::gap::evaluate("String(Size(TwoClosure(" + expr + ")))")));
      expect_consistent(g, c);
    }
  }
}

TEST(Certify, WreathProductsWithTwinsInTheirBlocksAgreeWithGap) {
  // Each block of S_m wr C_k (and of A_m wr C_k, m >= 4) is a class of twins
  // joined in one colour: the search runs on one vertex per block.
  for (const auto& [x, y] : std::vector<std::pair<std::string, std::string>>{
           {"S(4)", "C(5)"}, {"A(4)", "C(6)"}, {"S(3)", "D(5)"}, {"A(5)", "C(3)"}, {"S(2)", "C(7)"}}) {
    const std::string spec = "wreath(" + x + "," + y + ")";
    SCOPED_TRACE(spec);
    const PermGroup named = PermGroup::parse(spec);
    // By generators alone, as a user's list would come.
    const PermGroup g(named.degree(), named.generators());
    const std::string gap_expr = g.to_gap();
    for (const auto backend : {asen::graph::AutomorphismBackend::traces, asen::graph::AutomorphismBackend::nauty}) {
      asen::graph::CertifyOptions options;
      options.backend = backend;
      const Certificate c = asen::graph::certify(g, options);
      EXPECT_EQ(c.closure_order, BigInt(asen::algebra::gap::evaluate("String(Size(TwoClosure(" + gap_expr + ")))")));
      expect_consistent(g, c);
    }
  }
}

TEST(Certify, IntransitiveGroupsAgreeWithBruteForce) {
  std::mt19937_64 rng(23);
  int not_closed = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const std::size_t n = 2 + rng() % 6;
    const PermGroup g = asen::test::random_small_group(n, rng);
    SCOPED_TRACE(g.to_cycle_string() + " on " + std::to_string(n));
    const Certificate c = asen::graph::certify(g);
    EXPECT_EQ(c.closure_order, brute_force_closure_order(g));
    expect_consistent(g, c);
    not_closed += c.two_closed ? 0 : 1;
    if (!g.is_transitive()) {
      CertifyOptions options;
      options.cross_check = true;
      const Certificate checked = asen::graph::certify(g, options);
      ASSERT_TRUE(checked.cross_check.has_value());
      EXPECT_FALSE(checked.cross_check->performed);
      EXPECT_NE(checked.cross_check->reason.find("transitive"), std::string::npos);
    }
  }
  EXPECT_GT(not_closed, 0);
}

TEST(Certify, AlternatingGroupsAreNotTwoClosed) {
  for (std::size_t n = 4; n <= 9; ++n) {
    const PermGroup a = PermGroup::alternating(n);
    const Certificate c = asen::graph::certify(a);
    EXPECT_FALSE(c.two_closed) << n;
    EXPECT_EQ(c.closure_order, asen::algebra::factorial(n));
    EXPECT_EQ(c.index, 2);
    for (const auto& w : c.witnesses) EXPECT_EQ(w.sign(), -1);
    expect_consistent(a, c);
  }
  // Witnesses as many as asked, all distinct (odd products of closure
  // generators, found without a stabilizer chain of the closure), up to a
  // large degree: A(400)'s closure S(400) would need a chain of 400 levels.
  for (const std::size_t n : {6U, 400U}) {
    asen::graph::CertifyOptions options;
    options.max_witnesses = 40;
    options.canonical_hash = asen::graph::HashPolicy::never;
    const Certificate many = asen::graph::certify(PermGroup::alternating(n), options);
    ASSERT_EQ(many.witnesses.size(), 40U) << n;
    EXPECT_EQ(std::set<Permutation>(many.witnesses.begin(), many.witnesses.end()).size(), 40U);
    const Orbitals o = Orbitals::compute(PermGroup::alternating(n));
    for (const auto& w : many.witnesses) {
      EXPECT_EQ(w.sign(), -1);  // outside A(n)
      EXPECT_TRUE(asen::graph::preserves(o, w));
    }
  }
  // Given by cycles (no known order), the parity argument proves it.
  const Certificate c = asen::graph::certify(PermGroup::parse("(1,2,3),(2,3,4,5,6,7,8,9,10,11,12)"));
  EXPECT_FALSE(c.two_closed);
  EXPECT_EQ(c.index, 2);
  EXPECT_TRUE(c.proven);
}

TEST(Certify, AffineGroupsAGL1pAreNotTwoClosed) {
  // AGL(1,p) = <x -> x+1, x -> r x> for a primitive root r: 2-transitive, so
  // its closure is S_p.
  const std::vector<std::pair<std::size_t, std::size_t>> primes_and_roots = {{5, 2}, {7, 3}, {11, 2}, {13, 2}};
  for (const auto& [p, r] : primes_and_roots) {
    std::vector<Point> shift(p);
    std::vector<Point> scale(p);
    for (std::size_t x = 0; x < p; ++x) {
      shift[x] = static_cast<Point>((x + 1) % p);
      scale[x] = static_cast<Point>((x * r) % p);
    }
    const PermGroup g(p, {Permutation(shift), Permutation(scale)});
    const Certificate c = asen::graph::certify(g);
    EXPECT_EQ(c.order, p * (p - 1));
    EXPECT_FALSE(c.two_closed) << p;
    EXPECT_EQ(c.closure_order, asen::algebra::factorial(p));
    expect_consistent(g, c);
    // Its elements are not all even, and its closure is S_p: witnesses
    // beyond the closure's generators are drawn uniformly from S_p.
    CertifyOptions many;
    many.max_witnesses = 6;
    const Certificate d = asen::graph::certify(g, many);
    EXPECT_EQ(d.witnesses.size(), 6U) << p;
    EXPECT_EQ(std::set<Permutation>(d.witnesses.begin(), d.witnesses.end()).size(), d.witnesses.size());
    expect_consistent(g, d);
  }
}

TEST(Certify, RegularCyclicDihedralAndMirrorGroupsAreTwoClosed) {
  for (const char* spec : {"C(7)", "C(12)", "D(5)", "D(10)", "D(12)", "mirror(10)", "mirror(7)", "(1,2)(3,4),(1,3)(2,4)",
                           "wreath(S(5),S(2))", "S(5)", "trivial(5)", "gap:Image(RegularActionHomomorphism(QuaternionGroup(8)))"}) {
    const PermGroup g = PermGroup::parse(spec);
    const Certificate c = asen::graph::certify(g);
    EXPECT_TRUE(c.two_closed) << spec;
    EXPECT_EQ(c.index, 1) << spec;
    expect_consistent(g, c);
  }
}

TEST(Certify, FixedPointsMustStayFixed) {
  // <(3,4)> on 4 points: the closure has order 2, not 4 (points 1, 2 are fixed
  // and must not be swapped).
  const PermGroup g = PermGroup::parse("(3,4)", 4);
  const Certificate c = asen::graph::certify(g);
  EXPECT_EQ(c.closure_order, 2);
  EXPECT_TRUE(c.two_closed);
}

TEST(Certify, GroupsWithFixedPointsAreCertifiedOnTheirMovedPoints) {
  // Moved points spread among fixed ones: the certificate, made on the moved
  // points and lifted, is checked against the whole colouring.
  for (const auto& [spec, n] : std::vector<std::pair<std::string, std::size_t>>{
           {"(2,9,5,11,7),(2,9),(3,12,8,14,4),(3,12)", 1000},  // S(5) x S(5): 2-closed
           {"(2,4,6),(4,6,8)", 40},                             // A(4): closure S(4), witnesses
           {"(1,3)(2,4),(5,6)", 12},
           {"(3,4)", 4}}) {
    SCOPED_TRACE(spec);
    const PermGroup g = PermGroup::parse(spec, n);
    const Certificate c = asen::graph::certify(g);
    expect_consistent(g, c);
    EXPECT_EQ(c.timings_ms.front().first, "moved_points");
    // the closure, from the whole colouring without the reduction
    const auto whole = asen::graph::automorphism_group(asen::graph::ColoredDigraph::from_orbitals(Orbitals::compute(g)));
    EXPECT_EQ(c.closure_order, whole.order);
  }
  // The hash is the whole colouring's: the same for a conjugate group, whose
  // moved points are elsewhere, and another for a different number of fixed points.
  CertifyOptions options;
  options.canonical_hash = asen::graph::HashPolicy::always;
  const auto hash = [&](const std::string& spec, std::size_t n) {
    return asen::graph::certify(PermGroup::parse(spec, n), options).canonical_hash;
  };
  EXPECT_EQ(hash("(1,2,3),(1,2)", 12), hash("(7,12,4),(7,12)", 12));
  EXPECT_NE(hash("(1,2,3),(1,2)", 12), hash("(1,2,3),(1,2)", 11));
  EXPECT_EQ(hash("(1,2,3),(1,2)", 12), asen::graph::canonical_hash(asen::graph::ColoredDigraph::from_orbitals(
                                           Orbitals::compute(PermGroup::parse("(1,2,3),(1,2)", 12)))));
}

TEST(Certify, TimingsAndHashAreReported) {
  const Certificate c = asen::graph::certify(PermGroup::parse("D(10)"));
  std::vector<std::string> stages;
  for (const auto& [stage, ms] : c.timings_ms) {
    stages.push_back(stage);
    EXPECT_GE(ms, 0.0);
  }
  EXPECT_NE(std::find(stages.begin(), stages.end(), "automorphisms"), stages.end());
  EXPECT_EQ(c.canonical_hash.size(), 32U);
  CertifyOptions options;
  options.canonical_hash = asen::graph::HashPolicy::never;
  EXPECT_TRUE(asen::graph::certify(PermGroup::parse("D(10)"), options).canonical_hash.empty());
  // automatic: only up to the degree limit
  options.canonical_hash = asen::graph::HashPolicy::automatic;
  options.hash_max_degree = 8;
  EXPECT_TRUE(asen::graph::certify(PermGroup::parse("D(10)"), options).canonical_hash.empty());
  options.canonical_hash = asen::graph::HashPolicy::always;
  EXPECT_EQ(asen::graph::certify(PermGroup::parse("D(10)"), options).canonical_hash.size(), 32U);
}

TEST(Certify, MemoryGuardIsAnInputError) {
  CertifyOptions options;
  options.orbitals.memory_limit_bytes = 1 << 20;
  EXPECT_THROW((void)asen::graph::certify(PermGroup::parse("S(2000)"), options), asen::LimitError);
  const Orbitals o = Orbitals::compute(PermGroup::parse("S(300)"));
  EXPECT_THROW((void)asen::graph::make_breaking_input(o, asen::graph::BreakingMode::dense, nullptr, 1 << 20),
               asen::LimitError);
}

TEST(Certify, ManyGeneratorsAreCheckedThroughAGeneratingSet) {
  // The paper's dihedral list on 120 points: 122 generators.
  const std::size_t n = 120;
  std::vector<Permutation> gens{Permutation(n)};
  std::vector<Point> reflection(n);
  for (std::size_t x = 0; x < n; ++x) reflection[x] = static_cast<Point>(n - 1 - x);
  gens.emplace_back(reflection);
  for (std::size_t k = 1; k <= n; ++k) {
    std::vector<Point> r(n);
    for (std::size_t x = 0; x < n; ++x) r[x] = static_cast<Point>((x + k) % n);
    gens.emplace_back(r);
  }
  const PermGroup g(n, gens);
  const Certificate c = asen::graph::certify(g);
  EXPECT_TRUE(c.two_closed);
  EXPECT_EQ(c.closure_order, 2 * n);
  EXPECT_TRUE(c.generators_preserve_coloring);
}

TEST(OrbitalGraphs, HigmansCriterionMatchesGapOnTransitiveGroups) {
  for (std::size_t d = 2; d <= 12; ++d) {
    const long long count = gap_count("NrTransitiveGroups(" + std::to_string(d) + ")");
    for (long long k = 1; k <= count; ++k) {
      const std::string expr = "TransitiveGroup(" + std::to_string(d) + "," + std::to_string(k) + ")";
      const PermGroup g = gap_group(expr, d);
      const bool gap = asen::algebra::gap::evaluate("String(IsPrimitive(" + expr + ", [1.." + std::to_string(d) + "]))") == "true";
      EXPECT_EQ(asen::graph::primitive_by_higman(g, Orbitals::compute(g)), gap) << expr;
    }
  }
}

TEST(OrbitalGraphs, ConnectivityOfKnownOrbitalGraphs) {
  // wreath(S(3),S(2)): the "same block" orbital graph has two components.
  const PermGroup g = PermGroup::parse("wreath(S(3),S(2))");
  const Orbitals o = Orbitals::compute(g);
  const auto graphs = asen::graph::orbital_graphs(o);
  ASSERT_EQ(graphs.size(), 3U);
  EXPECT_TRUE(graphs[0].diagonal);
  EXPECT_EQ(graphs[0].components, 6U);
  EXPECT_EQ(graphs[1].components, 2U);  // (0,1): inside a block
  EXPECT_EQ(graphs[2].components, 1U);  // (0,3): across blocks
  EXPECT_FALSE(asen::graph::primitive_by_higman(g, o));
  EXPECT_FALSE(asen::graph::primitive_by_higman(PermGroup::parse("(1,2)", 3), Orbitals::compute(PermGroup::parse("(1,2)", 3))));
  // Another group's orbitals (S(4)'s are coarser than C(4)'s and would make
  // the imprimitive C(4) look primitive) are refused, not trusted.
  const PermGroup c4 = PermGroup::parse("C(4)");
  EXPECT_FALSE(asen::graph::primitive_by_higman(c4, Orbitals::compute(c4)));
  EXPECT_THROW((void)asen::graph::primitive_by_higman(c4, Orbitals::compute(PermGroup::parse("S(4)"))),
               asen::InputError);
  EXPECT_TRUE(Orbitals::compute(c4).computed_for(PermGroup::parse("C(4)")));
  EXPECT_FALSE(Orbitals::compute(c4).computed_for(PermGroup::parse("(1,2,3,4)(5,6)")));
}

TEST(BreakingInput, DenseKeepsEveryPairAndTheSelfLoops) {
  const PermGroup g = PermGroup::parse("D(6)");
  const Orbitals o = Orbitals::compute(g);
  const auto b = asen::graph::make_breaking_input(o);
  ASSERT_EQ(b.num_edges(), 36U);
  EXPECT_EQ(b.num_colors, static_cast<std::int64_t>(o.rank()));
  for (std::size_t e = 0; e < 36; ++e) {
    const auto i = static_cast<Point>(b.edge_index[e]);
    const auto j = static_cast<Point>(b.edge_index[36 + e]);
    EXPECT_EQ(i, e / 6);
    EXPECT_EQ(j, e % 6);
    EXPECT_EQ(b.edge_attr[e], o.color(i, j));
  }
  for (Point v = 0; v < 6; ++v) EXPECT_EQ(b.node_color[v], o.color(v, v));
  EXPECT_TRUE(b.color_in_base.empty());
}

TEST(BreakingInput, SparseAndWeakSparseFollowTheBaseGraph) {
  const PermGroup g = PermGroup::parse("mirror(5)");
  const Orbitals o = Orbitals::compute(g);
  const asen::graph::BaseGraph path(5, {{0, 1}, {1, 2}, {2, 3}, {3, 4}});
  const auto s = asen::graph::make_breaking_input(o, asen::graph::BreakingMode::sparse, &path);
  EXPECT_EQ(s.num_edges(), 8U + 5U);  // both directions of 4 edges, and 5 self-loops
  for (std::size_t e = 0; e < s.num_edges(); ++e)
    EXPECT_EQ(s.edge_attr[e], o.color(static_cast<Point>(s.edge_index[e]), static_cast<Point>(s.edge_index[s.num_edges() + e])));
  const auto w = asen::graph::make_breaking_input(o, asen::graph::BreakingMode::weak_sparse, &path);
  EXPECT_EQ(w.num_edges(), 25U);
  ASSERT_EQ(w.color_in_base.size(), o.rank());
  for (std::size_t c = 0; c < o.rank(); ++c) {
    bool has_base_arc = false;
    for (const auto& [u, v] : path.arcs()) has_base_arc = has_base_arc || o.color(u, v) == static_cast<std::int32_t>(c);
    EXPECT_EQ(w.color_in_base[c] == 1, has_base_arc);
  }
  EXPECT_THROW((void)asen::graph::make_breaking_input(o, asen::graph::BreakingMode::sparse), asen::InputError);
  const asen::graph::BaseGraph small(4, {{0, 1}});
  EXPECT_THROW((void)asen::graph::make_breaking_input(o, asen::graph::BreakingMode::sparse, &small), asen::InputError);
}
