// Orders, orbits, primitivity and orbitals compared with GAP on whole group
// libraries: every transitive group of degree <= 12 (gap-transgrp), the
// primitive groups of degree <= 40 (gap-primgrp), and intransitive groups
// built from them, with fixed points.

#include <asen/algebra/gap.hpp>
#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <gtest/gtest.h>

#include <random>

#include "test_util.hpp"

using asen::algebra::Backend;
using asen::algebra::BigInt;
using asen::algebra::Orbitals;
using asen::algebra::OrbitalMethod;
using asen::algebra::OrbitalOptions;
using asen::algebra::Permutation;
using asen::algebra::PermGroup;
using asen::algebra::Point;
using asen::test::GapValue;

namespace {

struct GapFacts {
  PermGroup group;
  BigInt order;
  bool primitive = false;
  std::vector<std::int32_t> orbitals;  // canonical colouring from GAP's orbits on pairs
};

// One GAP call: generators, Size, IsPrimitive on [1..n], and the orbits of the
// group on ordered pairs (OnTuples), as pair indices (i-1)*n + (j-1).
GapFacts ask_gap(const std::string& group_expr, std::size_t n) {
  const std::string code = "ASEN_T := " + group_expr + ";; ASEN_N := " + std::to_string(n) +
                           ";; String([List(GeneratorsOfGroup(ASEN_T), g -> ListPerm(g, ASEN_N)), "
                           "IsPrimitive(ASEN_T, [1..ASEN_N]), "
                           "List(Orbits(ASEN_T, Tuples([1..ASEN_N], 2), OnTuples), o -> List(o, t -> "
                           "(t[1]-1)*ASEN_N + t[2]-1))])";
  const std::string text = asen::algebra::gap::evaluate(code);
  // IsPrimitive prints as true/false: split it out before parsing the lists.
  const std::size_t t = text.find("true");
  const std::size_t f = text.find("false");
  const bool primitive = t != std::string::npos && (f == std::string::npos || t < f);
  std::string numeric = text;
  const std::size_t at = primitive ? t : f;
  numeric.replace(at, primitive ? 4 : 5, "0");
  const GapValue v = asen::test::parse_gap(numeric);
  std::vector<Permutation> gens;
  for (const GapValue& g : v.items[0].items) {
    std::vector<Point> images;
    for (const GapValue& x : g.items) images.push_back(static_cast<Point>(x.value - 1));
    gens.emplace_back(images);
  }
  std::vector<std::vector<long long>> classes;
  for (const GapValue& o : v.items[2].items) {
    classes.emplace_back();
    for (const GapValue& x : o.items) classes.back().push_back(x.value);
  }
  GapFacts facts{PermGroup(n, gens), 0, primitive, asen::test::canonical_coloring(n, classes)};
  facts.order = BigInt(asen::algebra::gap::evaluate("String(Size(ASEN_T))"));
  return facts;
}

void expect_matches_gap(const std::string& expr, std::size_t n) {
  SCOPED_TRACE(expr);
  const GapFacts facts = ask_gap(expr, n);
  const PermGroup& g = facts.group;
  EXPECT_EQ(g.order(), facts.order);
  // S_n and A_n (n >= 8) given by generators are recognised without a chain
  // (Jordan's theorem); no other group is.
  const bool natural = n >= 8 && facts.order * 2 >= asen::algebra::factorial(n);
  EXPECT_EQ(g.order_proof() == asen::algebra::ChainProof::jordan, natural);
  EXPECT_EQ(g.is_primitive(), facts.primitive);
  EXPECT_EQ(g.orbits(), g.orbits(Backend::gap));
  OrbitalOptions uf;
  uf.method = OrbitalMethod::union_find;
  EXPECT_EQ(asen::test::matrix(Orbitals::compute(g)), facts.orbitals);
  EXPECT_EQ(asen::test::matrix(Orbitals::compute(g, uf)), facts.orbitals);
  OrbitalOptions implicit;
  implicit.dense = false;
  const Orbitals o = Orbitals::compute(g, implicit);
  for (Point i = 0; i < n; ++i)
    for (Point j = 0; j < n; ++j) ASSERT_EQ(o.color(i, j), facts.orbitals[i * n + j]);
}

long long gap_count(const std::string& expr) { return std::stoll(asen::algebra::gap::evaluate("String(" + expr + ")")); }

}  // namespace

TEST(GapLibrary, EveryTransitiveGroupOfDegreeAtMostTwelve) {
  int groups = 0;
  for (std::size_t d = 2; d <= 12; ++d) {
    const long long count = gap_count("NrTransitiveGroups(" + std::to_string(d) + ")");
    for (long long k = 1; k <= count; ++k, ++groups)
      expect_matches_gap("TransitiveGroup(" + std::to_string(d) + "," + std::to_string(k) + ")", d);
  }
  EXPECT_EQ(groups, 474);
}

TEST(GapLibrary, PrimitiveGroupsOfDegreeAtMostForty) {
  int groups = 0;
  for (std::size_t d = 5; d <= 40; ++d) {
    const long long count = gap_count("NrPrimitiveGroups(" + std::to_string(d) + ")");
    for (long long k = 1; k <= count; ++k, ++groups)
      expect_matches_gap("PrimitiveGroup(" + std::to_string(d) + "," + std::to_string(k) + ")", d);
  }
  EXPECT_GT(groups, 200);
}

TEST(GapLibrary, LargerTransitiveAndPrimitiveSamples) {
  std::mt19937_64 rng(8);
  for (std::size_t d : {14, 15, 16, 18, 20, 24, 30}) {
    const long long count = gap_count("NrTransitiveGroups(" + std::to_string(d) + ")");
    for (int s = 0; s < 6; ++s)
      expect_matches_gap("TransitiveGroup(" + std::to_string(d) + "," + std::to_string(1 + rng() % count) + ")", d);
  }
  for (std::size_t d : {49, 64, 81, 100}) {
    const long long count = gap_count("NrPrimitiveGroups(" + std::to_string(d) + ")");
    for (int s = 0; s < 3; ++s)
      expect_matches_gap("PrimitiveGroup(" + std::to_string(d) + "," + std::to_string(1 + rng() % count) + ")", d);
  }
}

TEST(GapLibrary, IntransitiveGroupsWithFixedPoints) {
  std::mt19937_64 rng(12);
  for (int s = 0; s < 60; ++s) {
    const std::size_t d1 = 2 + rng() % 5;
    const std::size_t d2 = 2 + rng() % 5;
    const std::string a = "TransitiveGroup(" + std::to_string(d1) + "," +
                          std::to_string(1 + rng() % gap_count("NrTransitiveGroups(" + std::to_string(d1) + ")")) + ")";
    const std::string b = "TransitiveGroup(" + std::to_string(d2) + "," +
                          std::to_string(1 + rng() % gap_count("NrTransitiveGroups(" + std::to_string(d2) + ")")) + ")";
    const std::size_t fixed = rng() % 3;
    const std::size_t n = d1 + d2 + fixed;
    // Direct product on disjoint points, then fixed points at the end.
    expect_matches_gap("DirectProduct(" + a + "," + b + ")", n);
    // A diagonal subgroup: both factors driven by the same generator images
    // when the degrees match (e.g. <(1,2)(3,4)>), otherwise a subdirect mix.
    expect_matches_gap("Group(List([1..Length(GeneratorsOfGroup(" + a + "))], i -> GeneratorsOfGroup(" + a +
                           ")[i] * (GeneratorsOfGroup(" + b + ")[1 + (i mod Length(GeneratorsOfGroup(" + b +
                           ")))])^MappingPermListList([1.." + std::to_string(d2) + "],[" + std::to_string(d1 + 1) +
                           ".." + std::to_string(d1 + d2) + "])), ())",
                       n);
  }
}
