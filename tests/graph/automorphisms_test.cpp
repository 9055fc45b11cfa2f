#include <asen/error.hpp>
#include <asen/graph/automorphisms.hpp>
#include <asen/graph/base_graph.hpp>
#include <asen/interrupt.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <random>
#include <set>

#include "../algebra/test_util.hpp"
#include "scratch_dir.hpp"

using asen::algebra::BigInt;
using asen::algebra::Permutation;
using asen::algebra::PermGroup;
using asen::graph::Arc;
using asen::graph::AutomorphismBackend;
using asen::graph::BaseGraph;
using asen::graph::ColoredDigraph;
using asen::graph::Point;

namespace {

// A random arc-coloured digraph on n vertices: each ordered pair is an arc
// with probability `density`, with one of `colors` colours; symmetric when
// asked (then (v,u) gets the colour of (u,v)).
ColoredDigraph random_digraph(std::size_t n, bool symmetric, int colors, int vertex_colors, double density,
                              std::mt19937_64& rng) {
  std::vector<Arc> arcs;
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  for (Point u = 0; u < n; ++u)
    for (Point v = symmetric ? u + 1 : 0; v < n; ++v) {
      if (u == v || coin(rng) >= density) continue;
      const auto c = static_cast<std::int32_t>(rng() % static_cast<unsigned>(colors));
      arcs.push_back({u, v, c});
      if (symmetric) arcs.push_back({v, u, c});
    }
  std::vector<std::int32_t> vc(n);
  for (auto& c : vc) c = static_cast<std::int32_t>(rng() % static_cast<unsigned>(vertex_colors));
  return ColoredDigraph(n, vc, arcs);
}

// Every colour-preserving permutation, by brute force over all n!.
std::set<std::vector<Point>> brute_force_automorphisms(const ColoredDigraph& g) {
  const std::size_t n = g.num_vertices();
  std::vector<std::vector<std::int32_t>> color(n, std::vector<std::int32_t>(n, -1));
  for (const Arc& a : g.arcs()) color[a.source][a.target] = a.color;
  std::vector<Point> p(n);
  for (std::size_t x = 0; x < n; ++x) p[x] = static_cast<Point>(x);
  std::set<std::vector<Point>> out;
  do {
    bool ok = true;
    for (std::size_t u = 0; u < n && ok; ++u) {
      if (g.vertex_color(static_cast<Point>(u)) != g.vertex_color(p[u])) ok = false;
      for (std::size_t v = 0; v < n && ok; ++v)
        if (color[u][v] != color[p[u]][p[v]]) ok = false;
    }
    if (ok) out.insert(p);
  } while (std::next_permutation(p.begin(), p.end()));
  return out;
}

ColoredDigraph relabelled(const ColoredDigraph& g, const Permutation& pi, const std::vector<std::int32_t>& rename) {
  std::vector<Arc> arcs;
  for (const Arc& a : g.arcs()) arcs.push_back({pi[a.source], pi[a.target], rename[static_cast<std::size_t>(a.color)]});
  std::vector<std::int32_t> vc(g.num_vertices());
  for (Point v = 0; v < g.num_vertices(); ++v) vc[pi[v]] = g.vertex_color(v);
  return ColoredDigraph(g.num_vertices(), vc, arcs);
}

}  // namespace

TEST(Automorphisms, MatchBruteForceOnRandomColouredDigraphs) {
  std::mt19937_64 rng(41);
  int with_symmetry = 0;
  for (int trial = 0; trial < 160; ++trial) {
    const std::size_t n = 1 + rng() % 7;
    const bool symmetric = trial % 2 == 0;
    const int colors = 1 + static_cast<int>(rng() % 3);
    const int vertex_colors = 1 + static_cast<int>(rng() % 2);
    // sparse or dense, so some digraphs have large groups
    const double density = trial % 4 < 2 ? 0.3 : 0.9;
    const ColoredDigraph g = random_digraph(n, symmetric, colors, vertex_colors, density, rng);
    const auto expected = brute_force_automorphisms(g);
    with_symmetry += expected.size() > 1 ? 1 : 0;
    for (const auto backend : {AutomorphismBackend::nauty, AutomorphismBackend::traces}) {
      SCOPED_TRACE(std::string(asen::graph::to_string(backend)) + " n=" + std::to_string(n) +
                   (symmetric ? " symmetric" : " directed"));
      const auto aut = asen::graph::automorphism_group(g, {backend, std::nullopt, {}});
      ASSERT_EQ(aut.order, expected.size());
      // The generators generate exactly the brute-force group.
      ASSERT_EQ(asen::test::closure(n, aut.generators), expected);
      ASSERT_EQ(aut.orbits, PermGroup(n, aut.generators).orbits());
    }
  }
  EXPECT_GT(with_symmetry, 40);  // the sample is not all rigid
}

TEST(Automorphisms, TwinRichDigraphsMatchBruteForce) {
  // Blown-up digraphs: each vertex of a random one-colour digraph on 2 to 4
  // vertices becomes a class of 1 to 3 copies, joined among themselves all
  // ways (true twins) or not at all (false twins), so that twin classes,
  // isolated vertices and leaves are everywhere; also with a second colour.
  std::mt19937_64 rng(1701);
  int with_twins = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const std::size_t m = 2 + rng() % 3;
    const int colors = trial % 3 == 0 ? 2 : 1;
    const bool symmetric = trial % 2 == 0;
    const ColoredDigraph base = random_digraph(m, symmetric, colors, 1 + static_cast<int>(rng() % 2), 0.5, rng);
    std::vector<std::vector<Point>> copies(m);
    std::vector<std::int32_t> vc;
    Point next = 0;
    for (std::size_t a = 0; a < m && next < 8; ++a)
      for (std::size_t k = 1 + rng() % 3; k > 0 && next < 8; --k) {
        copies[a].push_back(next++);
        vc.push_back(base.vertex_color(static_cast<Point>(a)));
      }
    std::vector<Arc> arcs;
    for (const Arc& e : base.arcs())
      for (Point u : copies[e.source])
        for (Point v : copies[e.target]) arcs.push_back({u, v, e.color});
    for (std::size_t a = 0; a < m; ++a)
      if (rng() % 2 == 0)
        for (Point u : copies[a])
          for (Point v : copies[a])
            if (u != v) arcs.push_back({u, v, 0});
    const ColoredDigraph g(next, vc, arcs);
    const auto expected = brute_force_automorphisms(g);
    with_twins += expected.size() > 2 ? 1 : 0;
    for (const auto backend : {AutomorphismBackend::nauty, AutomorphismBackend::traces}) {
      SCOPED_TRACE("trial " + std::to_string(trial));
      const auto aut = asen::graph::automorphism_group(g, {backend, std::nullopt, {}});
      ASSERT_EQ(aut.order, expected.size());
      ASSERT_EQ(asen::test::closure(next, aut.generators), expected);
      ASSERT_EQ(aut.orbits, PermGroup(next, aut.generators).orbits());
    }
  }
  EXPECT_GT(with_twins, 40);
}

TEST(Automorphisms, CompleteRegionsMatchBruteForce) {
  // The search leaves out a colour whose arcs are the pairs of one complete
  // region (cells a to b, or a to b and back) that the region's other colours
  // do not take. Digraphs built so that regions are complete with colours of
  // their own, or partly filled with colours shared between regions.
  std::mt19937_64 rng(2718);
  int complete_regions = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t n = 2 + rng() % 6;
    const bool symmetric = trial % 2 == 0;
    const std::size_t cells = 1 + rng() % 3;
    std::vector<std::int32_t> vc(n);
    for (auto& c : vc) c = static_cast<std::int32_t>(rng() % cells);
    std::int32_t next_private = 10;
    std::vector<std::vector<std::int32_t>> color(n, std::vector<std::int32_t>(n, -1));
    for (std::size_t a = 0; a < cells; ++a)
      for (std::size_t b = symmetric ? a : 0; b < cells; ++b) {
        // 0: shared colours, some pairs left out; 1: one private colour;
        // 2: two private colours; 3: a private colour and a shared one.
        const int mode = static_cast<int>(rng() % 4);
        complete_regions += mode != 0 ? 1 : 0;
        const std::int32_t first = next_private++;
        const std::int32_t second = next_private++;
        for (std::size_t u = 0; u < n; ++u)
          for (std::size_t v = 0; v < n; ++v) {
            if (u == v || vc[u] != static_cast<std::int32_t>(a) || vc[v] != static_cast<std::int32_t>(b)) continue;
            if (symmetric && a == b && v < u) continue;
            std::int32_t c = -1;
            if (mode == 0) {
              if (rng() % 3 != 0) c = static_cast<std::int32_t>(rng() % 2);
            } else if (mode == 1) {
              c = first;
            } else if (mode == 2) {
              c = rng() % 2 == 0 ? first : second;
            } else {
              c = rng() % 2 == 0 ? first : static_cast<std::int32_t>(rng() % 2);
            }
            color[u][v] = c;
            if (symmetric) color[v][u] = c;
          }
      }
    std::vector<Arc> arcs;
    for (Point u = 0; u < n; ++u)
      for (Point v = 0; v < n; ++v)
        if (color[u][v] >= 0) arcs.push_back({u, v, color[u][v]});
    const ColoredDigraph g(n, vc, arcs);
    const auto expected = brute_force_automorphisms(g);
    for (const auto backend : {AutomorphismBackend::nauty, AutomorphismBackend::traces}) {
      SCOPED_TRACE("trial " + std::to_string(trial) + " " + asen::graph::to_string(backend));
      const auto aut = asen::graph::automorphism_group(g, {backend, std::nullopt, {}});
      ASSERT_EQ(aut.order, expected.size());
      ASSERT_EQ(asen::test::closure(n, aut.generators), expected);
      // With a known divisor of the order (the certificate's path).
      asen::graph::AutomorphismOptions with_divisor{backend, std::nullopt, {}};
      with_divisor.order_divisor = BigInt(1);
      ASSERT_EQ(asen::graph::automorphism_group(g, with_divisor).order, expected.size());
    }
  }
  EXPECT_GT(complete_regions, 200);
}

TEST(Automorphisms, TwinClassesOfThousandsAreCountedNotSearched) {
  // 3000 isolated vertices and one edge: |Aut| = 2 * 2998!; a star's 2999
  // leaves: 2999!. Exact, from the twin classes (no level-by-level search).
  const auto isolated = asen::graph::automorphism_group(asen::graph::BaseGraph(3000, {{0, 1}}));
  asen::algebra::BigInt f = 1;
  for (int k = 2; k <= 2998; ++k) f *= k;
  EXPECT_EQ(isolated.order, 2 * f);
  std::vector<std::pair<Point, Point>> star;
  for (Point v = 1; v < 3000; ++v) star.emplace_back(0, v);
  const auto s = asen::graph::automorphism_group(asen::graph::BaseGraph(3000, star));
  EXPECT_EQ(s.order, f * 2999);
  EXPECT_EQ(s.orbits.size(), 2U);
  EXPECT_EQ(PermGroup(3000, s.generators).orbit(1).size(), 2999U);
}

TEST(Automorphisms, LargeGroupsThatAChainWouldStruggleWithHaveExactOrders) {
  // 300 disjoint paths P4 (C_2 wr S_300: a chain of about 250 levels) and a
  // 12000-cycle (D_12000: one level of 12000 transversal rows of 12000
  // points): exact orders from either backend (Traces' run takes nauty's).
  std::vector<std::pair<Point, Point>> paths;
  for (Point k = 0; k < 300; ++k)
    for (Point j = 0; j < 3; ++j) paths.emplace_back(4 * k + j, 4 * k + j + 1);
  BigInt expected = asen::algebra::factorial(300) * (BigInt(1) << 300);
  std::vector<std::pair<Point, Point>> cycle;
  for (Point v = 0; v < 12000; ++v) cycle.emplace_back(v, (v + 1) % 12000);
  for (const auto backend : {AutomorphismBackend::automatic, AutomorphismBackend::nauty, AutomorphismBackend::traces}) {
    EXPECT_EQ(asen::graph::automorphism_group(BaseGraph(1200, paths), {backend, std::nullopt, {}}).order, expected);
    const auto c = asen::graph::automorphism_group(BaseGraph(12000, cycle), {backend, std::nullopt, {}});
    EXPECT_EQ(c.order, 24000);
    EXPECT_EQ(PermGroup(12000, c.generators).orbit(0).size(), 12000U);
  }
  // Directed too (Traces on the in/out split): 400 disjoint arcs, S_400 on
  // them, a chain of over 300 levels; the split graph's nauty levels instead.
  std::vector<std::pair<Point, Point>> arcs;
  for (Point k = 0; k < 400; ++k) arcs.emplace_back(2 * k, 2 * k + 1);
  for (const auto backend : {AutomorphismBackend::automatic, AutomorphismBackend::nauty, AutomorphismBackend::traces})
    EXPECT_EQ(asen::graph::automorphism_group(BaseGraph(800, arcs, true), {backend, std::nullopt, {}}).order,
              asen::algebra::factorial(400));
}

TEST(Automorphisms, KnownGraphs) {
  // The cycle C_9: dihedral, order 18; the Petersen graph: S_5, order 120;
  // K_6: S_6; K_6 with one vertex coloured: S_5.
  std::vector<std::pair<Point, Point>> cycle;
  for (Point v = 0; v < 9; ++v) cycle.emplace_back(v, (v + 1) % 9);
  EXPECT_EQ(asen::graph::automorphism_group(BaseGraph(9, cycle)).order, 18);
  std::vector<std::pair<Point, Point>> petersen;
  for (Point v = 0; v < 5; ++v) {
    petersen.emplace_back(v, (v + 1) % 5);
    petersen.emplace_back(v, v + 5);
    petersen.emplace_back(v + 5, (v + 2) % 5 + 5);
  }
  for (const auto backend : {AutomorphismBackend::nauty, AutomorphismBackend::traces})
    EXPECT_EQ(asen::graph::automorphism_group(BaseGraph(10, petersen), {backend, std::nullopt, {}}).order, 120);
  std::vector<std::pair<Point, Point>> k6;
  for (Point u = 0; u < 6; ++u)
    for (Point v = u + 1; v < 6; ++v) k6.emplace_back(u, v);
  EXPECT_EQ(asen::graph::automorphism_group(BaseGraph(6, k6)).order, 720);
  EXPECT_EQ(asen::graph::automorphism_group(BaseGraph(6, k6, false, {0, 0, 1, 0, 0, 0})).order, 120);
  // a loop distinguishes its vertex
  k6.emplace_back(3, 3);
  EXPECT_EQ(asen::graph::automorphism_group(BaseGraph(6, k6)).order, 120);
}

namespace {

bool weakly_connected(const ColoredDigraph& g) {
  const std::size_t n = g.num_vertices();
  std::vector<std::size_t> root(n);
  std::iota(root.begin(), root.end(), std::size_t{0});
  const auto find = [&](std::size_t x) {
    while (root[x] != x) x = root[x];
    return x;
  };
  for (const Arc& a : g.arcs()) root[find(a.source)] = find(a.target);
  for (std::size_t v = 0; v < n; ++v)
    if (find(v) != find(0)) return false;
  return true;
}

// Whether some permutation maps a onto b with every colour kept, by brute force.
bool isomorphic(const ColoredDigraph& a, const ColoredDigraph& b) {
  const std::size_t n = a.num_vertices();
  if (b.num_vertices() != n) return false;
  std::vector<std::vector<std::int32_t>> ca(n, std::vector<std::int32_t>(n, -1));
  std::vector<std::vector<std::int32_t>> cb = ca;
  for (const Arc& x : a.arcs()) ca[x.source][x.target] = x.color;
  for (const Arc& x : b.arcs()) cb[x.source][x.target] = x.color;
  std::vector<Point> p(n);
  std::iota(p.begin(), p.end(), Point{0});
  do {
    bool ok = true;
    for (std::size_t u = 0; u < n && ok; ++u) {
      ok = a.vertex_color(static_cast<Point>(u)) == b.vertex_color(p[u]);
      for (std::size_t v = 0; v < n && ok; ++v) ok = ca[u][v] == cb[p[u]][p[v]];
    }
    if (ok) return true;
  } while (std::next_permutation(p.begin(), p.end()));
  return false;
}

}  // namespace

TEST(Automorphisms, DisjointUnionsOfManyComponentsHaveTheProductOrder) {
  // Hundreds of copies of a few small coloured components, shuffled: the
  // order, Π |Aut(C)|^m m! over the isomorphism classes (brute force on the
  // components), is far beyond what a chain affords, so it is read off the
  // components (before: nauty's search of the whole graph).
  std::mt19937_64 rng(2026);
  for (int trial = 0; trial < 1; ++trial) {
    std::vector<ColoredDigraph> kinds;
    while (kinds.size() < 5) {
      const ColoredDigraph c = random_digraph(3 + rng() % 3, true, 2, 2, 0.6, rng);
      if (weakly_connected(c)) kinds.push_back(c);
    }
    std::vector<std::size_t> copies;
    for (std::size_t k = 0; k < kinds.size(); ++k) copies.push_back(120 + rng() % 60);
    // expected order, with isomorphic kinds counted together
    std::vector<bool> counted(kinds.size(), false);
    BigInt expected = 1;
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      if (counted[k]) continue;
      std::size_t m = 0;
      for (std::size_t j = k; j < kinds.size(); ++j)
        if (!counted[j] && isomorphic(kinds[k], kinds[j])) {
          counted[j] = true;
          m += copies[j];
        }
      const BigInt aut(brute_force_automorphisms(kinds[k]).size());
      expected *= boost::multiprecision::pow(aut, static_cast<unsigned>(m)) * asen::algebra::factorial(m);
    }
    std::size_t n = 0;
    for (std::size_t k = 0; k < kinds.size(); ++k) n += copies[k] * kinds[k].num_vertices();
    std::vector<Point> label(n);
    std::iota(label.begin(), label.end(), Point{0});
    std::shuffle(label.begin(), label.end(), rng);
    std::vector<std::int32_t> vc(n);
    std::vector<Arc> arcs;
    std::size_t next = 0;
    for (std::size_t k = 0; k < kinds.size(); ++k)
      for (std::size_t copy = 0; copy < copies[k]; ++copy) {
        for (Point v = 0; v < kinds[k].num_vertices(); ++v) vc[label[next + v]] = kinds[k].vertex_color(v);
        for (const Arc& a : kinds[k].arcs())
          arcs.push_back({label[next + a.source], label[next + a.target], a.color});
        next += kinds[k].num_vertices();
      }
    const ColoredDigraph whole(n, vc, arcs);
    EXPECT_EQ(asen::graph::automorphism_group(whole).order, expected) << "trial " << trial;
  }
}

TEST(Automorphisms, AnInterruptStopsTheSearchAndTheNextOneRuns) {
  std::vector<std::pair<Point, Point>> petersen;
  for (Point v = 0; v < 5; ++v) {
    petersen.emplace_back(v, (v + 1) % 5);
    petersen.emplace_back(v, v + 5);
    petersen.emplace_back(v + 5, (v + 2) % 5 + 5);
  }
  const BaseGraph g(10, petersen);
  for (const auto backend : {AutomorphismBackend::nauty, AutomorphismBackend::traces}) {
    asen::request_interrupt();  // nauty and Traces stop at their first search node
    EXPECT_THROW((void)asen::graph::automorphism_group(g, {backend, std::nullopt, {}}), asen::Interrupted);
    asen::clear_interrupt();
    EXPECT_EQ(asen::graph::automorphism_group(g, {backend, std::nullopt, {}}).order, 120);
  }
}

TEST(Automorphisms, ExactOrdersOfLargeGroupsMatchGap) {
  // Orbital colourings of wreath products have huge groups: S_m wr S_2.
  for (std::size_t m : {6, 12, 25}) {
    const PermGroup g = PermGroup::parse("wreath(S(" + std::to_string(m) + "),S(2))");
    const ColoredDigraph dg = ColoredDigraph::from_orbitals(asen::algebra::Orbitals::compute(g));
    const BigInt gap(asen::algebra::gap::evaluate("String(Size(WreathProduct(SymmetricGroup(" + std::to_string(m) +
                                                  "), SymmetricGroup(2))))"));
    for (const auto backend : {AutomorphismBackend::nauty, AutomorphismBackend::traces}) {
      const auto aut = asen::graph::automorphism_group(dg, {backend, std::nullopt, {}});
      EXPECT_EQ(aut.order, gap) << asen::graph::to_string(backend);
      EXPECT_EQ(PermGroup(g.degree(), aut.generators).order(asen::algebra::Backend::gap), gap);
      // with a divisor, Traces needs no chain and gets the same exact order
      const auto with_divisor = asen::graph::automorphism_group(dg, {backend, g.order(), {}});
      EXPECT_EQ(with_divisor.order, gap);
    }
  }
}

TEST(Automorphisms, NautyAndTracesAgreeOnLargerDigraphs) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    const ColoredDigraph g = random_digraph(20 + rng() % 20, trial % 2 == 0, 2, 2, 0.5, rng);
    const auto a = asen::graph::automorphism_group(g, {AutomorphismBackend::nauty, std::nullopt, {}});
    const auto b = asen::graph::automorphism_group(g, {AutomorphismBackend::traces, std::nullopt, {}});
    EXPECT_EQ(a.order, b.order);
    EXPECT_EQ(a.orbits, b.orbits);
  }
}

TEST(CanonicalHash, InvariantUnderRelabellingAndColourRenaming) {
  std::mt19937_64 rng(9);
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t n = 3 + rng() % 8;
    const ColoredDigraph g = random_digraph(n, trial % 2 == 0, 3, 2, 0.6, rng);
    const Permutation pi = asen::test::random_permutation(n, rng);
    std::vector<std::int32_t> rename(static_cast<std::size_t>(g.num_arc_colors()));
    for (std::size_t c = 0; c < rename.size(); ++c) rename[c] = static_cast<std::int32_t>(rename.size() - 1 - c) + 7;
    EXPECT_EQ(asen::graph::canonical_hash(g), asen::graph::canonical_hash(relabelled(g, pi, rename)));
  }
}

TEST(CanonicalHash, SameGroupAndConjugatesAgreeOthersDiffer) {
  auto hash_of = [](const PermGroup& g) {
    return asen::graph::canonical_hash(ColoredDigraph::from_orbitals(asen::algebra::Orbitals::compute(g)));
  };
  const PermGroup d6 = PermGroup::parse("D(6)");
  const PermGroup d6_other = PermGroup::parse("(1,6)(2,5)(3,4),(1,5)(2,4),(1,2,3,4,5,6)");
  // a conjugate of D(6) by a random relabelling
  std::mt19937_64 rng(3);
  const Permutation pi = asen::test::random_permutation(6, rng);
  std::vector<Permutation> conj;
  for (const auto& g : d6.generators()) conj.push_back(pi.inverse() * g * pi);
  EXPECT_EQ(hash_of(d6), hash_of(d6_other));
  EXPECT_EQ(hash_of(d6), hash_of(PermGroup(6, conj)));
  EXPECT_NE(hash_of(d6), hash_of(PermGroup::parse("C(6)")));
  EXPECT_NE(hash_of(PermGroup::parse("C(5)")), hash_of(PermGroup::parse("D(5)")));
  EXPECT_NE(hash_of(PermGroup::parse("wreath(S(3),S(2))")), hash_of(PermGroup::parse("wreath(S(2),S(3))")));
  EXPECT_EQ(hash_of(PermGroup::parse("S(5)")), hash_of(PermGroup::parse("A(5)")));  // the same colouring
  EXPECT_EQ(asen::graph::canonical_hash(ColoredDigraph::from_orbitals(asen::algebra::Orbitals::compute(d6))).size(),
            32U);
}

TEST(GraphSpec, AutomorphismGroupOfAGraphFileIsAGroupSpec) {
  asen::graph::register_graph_specs();
  const asen::testing::ScratchDir dir;
  const std::string path = dir.file("cycle.txt");
  std::ofstream(path) << "0 1\n1 2\n2 3\n3 4\n4 5\n5 0\n";
  const PermGroup g = PermGroup::parse("graph:" + path);
  EXPECT_EQ(g.degree(), 6U);
  EXPECT_EQ(g.order(), 12);
  EXPECT_EQ(PermGroup::parse("graph:" + path + " ", 8).degree(), 8U);
  EXPECT_THROW((void)PermGroup::parse("graph:/nonexistent/g.txt"), asen::InputError);
  EXPECT_THROW((void)PermGroup::parse("graph:" + path, 4), asen::InputError);
}
