#include <asen/algebra/gap.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <random>
#include <set>
#include <thread>

#include "test_util.hpp"

using asen::GapError;
using asen::InputError;
using asen::LimitError;
using asen::algebra::Backend;
using asen::algebra::BigInt;
using asen::algebra::Permutation;
using asen::algebra::PermGroup;
using asen::algebra::Point;

namespace {

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

// True if the two groups are equal: same degree, each contains the other's generators.
bool same_group(const PermGroup& a, const PermGroup& b) {
  if (a.degree() != b.degree()) return false;
  for (const auto& g : a.generators())
    if (!b.contains(g)) return false;
  for (const auto& g : b.generators())
    if (!a.contains(g)) return false;
  return true;
}

}  // namespace

TEST(GroupSpec, NamedGroupsHaveTheirOrders) {
  EXPECT_EQ(PermGroup::parse("S(5)").order(), 120);
  EXPECT_EQ(PermGroup::parse("A(5)").order(), 60);
  EXPECT_EQ(PermGroup::parse("A(6)").order(), 360);
  EXPECT_EQ(PermGroup::parse("C(8)").order(), 8);
  EXPECT_EQ(PermGroup::parse("D(10)").order(), 20);
  EXPECT_EQ(PermGroup::parse("trivial(7)").order(), 1);
  EXPECT_EQ(PermGroup::parse("mirror(10)").order(), 2);
  EXPECT_EQ(PermGroup::parse("mirror(1)").order(), 1);
  EXPECT_EQ(PermGroup::parse("S(1)").order(), 1);
  EXPECT_EQ(PermGroup::parse("wreath(S(5),S(2))").order(), 28800);
  EXPECT_EQ(PermGroup::parse("wreath(S(5),S(2))").degree(), 10U);
  EXPECT_EQ(PermGroup::parse("S(3)*C(4)").order(), 24);
  EXPECT_EQ(PermGroup::parse("S(3) * C(4) * trivial(2)").degree(), 9U);
  EXPECT_EQ(PermGroup::parse("wreath(C(3),trivial(3))").order(), 27);  // intransitive top group
  EXPECT_EQ(PermGroup::parse("wreath(S(2),S(3))*S(2)").order(), 8 * 6 * 2);
}

TEST(GroupSpec, NamedOrdersAgreeWithAChainBuiltWithoutThem) {
  // The known orders prove chains; check each against an unassisted chain.
  for (const char* spec : {"S(7)", "A(7)", "A(8)", "C(9)", "D(9)", "D(12)", "mirror(9)", "wreath(S(3),S(3))",
                           "wreath(D(4),C(3))", "wreath(C(3),trivial(3))", "S(3)*A(4)"}) {
    const PermGroup g = PermGroup::parse(spec);
    ASSERT_TRUE(g.known_order().has_value()) << spec;
    const PermGroup unassisted(g.degree(), g.generators());
    EXPECT_EQ(unassisted.order(), *g.known_order()) << spec;
  }
}

TEST(GroupSpec, CyclesAndImageLists) {
  const PermGroup a = PermGroup::parse("(1,2,3),(1,2)");
  EXPECT_EQ(a.degree(), 3U);
  EXPECT_EQ(a.generators().size(), 2U);
  EXPECT_EQ(a.order(), 6);
  const PermGroup b = PermGroup::parse("[[1,2,0],[1,0,2]]");
  EXPECT_TRUE(same_group(a, b));
  EXPECT_EQ(PermGroup::parse("[1,0,2]").order(), 2);
  EXPECT_EQ(PermGroup::parse("(1,2)(3,4),(1,3)(2,4)").order(), 4);
  EXPECT_EQ(PermGroup::parse("(1,2)", 5).degree(), 5U);
  EXPECT_EQ(PermGroup::parse("()", 4).order(), 1);
}

TEST(GroupSpec, ExplicitDegreeAddsFixedPoints) {
  const PermGroup g = PermGroup::parse("S(3)", 5);
  EXPECT_EQ(g.degree(), 5U);
  EXPECT_EQ(g.order(), 6);
  EXPECT_EQ(g.orbits().size(), 3U);
}

TEST(GroupSpec, ErrorsSayWhatAndWhere) {
  expect_input_error([] { (void)PermGroup::parse(""); }, "empty");
  expect_input_error([] { (void)PermGroup::parse("Q(3)"); }, "unknown group 'Q' at position 0");
  expect_input_error([] { (void)PermGroup::parse("S(0)"); }, "at least 1");
  expect_input_error([] { (void)PermGroup::parse("D(2)"); }, "n >= 3 points; on 2 points use S(2)");
  expect_input_error([] { (void)PermGroup::parse("D(1)"); }, "on 1 point use S(1)");
  expect_input_error([] { (void)PermGroup::parse("wreath((1,2),(1,2,3))"); },
                     "has one argument: cycle notation reads each ',(' as one more generator");
  EXPECT_EQ(PermGroup::parse("wreath([[1,0]],(1,2,3))").order(), 24);  // C_2^3 : C_3
  expect_input_error([] { (void)PermGroup::parse("S(x)"); }, "'x' at position 2 is not a number");
  expect_input_error([] { (void)PermGroup::parse("S(3)*"); }, "truncated");
  expect_input_error([] { (void)PermGroup::parse("S(3) C(2)"); }, "unexpected 'C' at position 5");
  expect_input_error([] { (void)PermGroup::parse("wreath(S(2))"); }, "expected ','");
  expect_input_error([] { (void)PermGroup::parse("(1,2),(2,2)"); }, "repeated");
  expect_input_error([] { (void)PermGroup::parse("[[1,0],[0,1,2]]"); }, "has 3 images but the first one has 2");
  expect_input_error([] { (void)PermGroup::parse("[[0,0]]"); }, "appears twice");
  expect_input_error([] { (void)PermGroup::parse("S(5)", 3); }, "smaller than the degree 5");
  expect_input_error([] { (void)PermGroup::parse("foo:bar"); }, "unknown group spec prefix 'foo:'");
  expect_input_error([] { (void)PermGroup::parse("gap:"); }, "empty");
  expect_input_error([] { (void)PermGroup::parse("gap :SymmetricGroup(3)"); },
                     "'gap :' at position 0: a prefix takes its ':' without a space");
  expect_input_error([] { (void)PermGroup::parse("S(2)*gap:S(2)"); }, "'gap:' at position 5 inside a product or wreath");
  EXPECT_THROW((void)PermGroup(3, {Permutation(4)}), InputError);
  expect_input_error([] { (void)PermGroup::parse("wreath(S(4096),S(4097))"); }, "has degree 4096 x 4097, above");
}

TEST(GroupSpec, ProductsWhoseGeneratorsCannotFitAreRefusedBeforeTheyAreWritten) {
  // 200000 factors S(2): 200000 generators on 400000 points, 298 GiB of
  // images (the process was killed at 19.8 GiB). Refused up front.
  std::string spec = "S(2)";
  for (int k = 1; k < 200000; ++k) spec += "*S(2)";
  expect_input_error([&] { (void)PermGroup::parse(spec); },
                     "the direct product of 200000 factors has 200000 generators on 400000 points");
  expect_input_error([&] { (void)PermGroup::parse("wreath(" + spec + ",S(2))"); }, "generators on 400000 points");
  EXPECT_EQ(PermGroup::parse("S(2)*S(2)*S(2)").order(), 8);
}

TEST(GroupSpec, LongListsOfCyclesWhoseGeneratorsCannotFitAreRefusedQuickly) {
  // 200000 transpositions (k, 400001): 200000 image lists of 400001 points,
  // 298 GiB. Read in time linear in the text (the check for a point repeated
  // in a cycle once kept an array as long as the largest point, per
  // generator) and refused before a generator is written.
  std::string spec;
  for (int k = 1; k <= 200000; ++k) spec += (k > 1 ? ",(" : "(") + std::to_string(k) + ",400001)";
  expect_input_error([&] { (void)PermGroup::parse(spec); },
                     "the list of cycles has 200000 generators on 400001 points");
  expect_input_error([] { (void)PermGroup::parse("(1,2),(3,5,4,5)"); },
                     "point 5 is repeated in a cycle (positions 9 and 13)");  // 0-based
  EXPECT_EQ(PermGroup::parse("(1,2),(2,3),(3,4)").order(), 24);
}

TEST(GroupSpec, RegisteredPrefixesResolve) {
  PermGroup::register_spec_prefix("test", [](std::string_view rest, std::optional<std::size_t> degree) {
    return PermGroup::parse("S(" + std::string(rest) + ")", degree);
  });
  EXPECT_EQ(PermGroup::parse("test:4").order(), 24);
  EXPECT_EQ(PermGroup::parse("test:4", 6).degree(), 6U);
}

TEST(PermGroupNative, OrbitsTransitivityPrimitivity) {
  const PermGroup g = PermGroup::parse("(1,2),(4,5,6)", 7);
  EXPECT_EQ(g.orbits(), (std::vector<std::vector<Point>>{{0, 1}, {2}, {3, 4, 5}, {6}}));
  EXPECT_EQ(g.orbit(4), (std::vector<Point>{3, 4, 5}));
  EXPECT_FALSE(g.is_transitive());
  EXPECT_FALSE(g.is_primitive());
  EXPECT_TRUE(PermGroup::parse("S(5)").is_primitive());
  EXPECT_TRUE(PermGroup::parse("C(7)").is_primitive());   // prime degree
  EXPECT_FALSE(PermGroup::parse("C(8)").is_primitive());
  EXPECT_FALSE(PermGroup::parse("wreath(S(5),S(2))").is_primitive());
  EXPECT_TRUE(PermGroup::parse("wreath(S(5),S(2))").is_transitive());
  EXPECT_THROW((void)g.orbit(7), std::out_of_range);
}

TEST(PermGroupNative, SymmetricAndAlternatingGroupsAnswerWithoutAChain) {
  // A group of degree n whose trusted order is n! is S_n, n!/2 is A_n:
  // membership is then every permutation, or the even ones.
  std::mt19937_64 rng(7);
  for (const std::size_t n : {3U, 4U, 9U, 40U}) {
    const PermGroup s = PermGroup::parse("S(" + std::to_string(n) + ")");
    const PermGroup a = PermGroup::parse("A(" + std::to_string(n) + ")");
    // The same groups from their generators alone: answers from a chain.
    const PermGroup s_plain(n, s.generators());
    const PermGroup a_plain(n, a.generators());
    for (int k = 0; k < 20; ++k) {
      std::vector<Point> images(n);
      std::iota(images.begin(), images.end(), Point{0});
      std::shuffle(images.begin(), images.end(), rng);
      const Permutation p(images);
      EXPECT_TRUE(s.contains(p));
      EXPECT_EQ(a.contains(p), p.sign() == 1);
      EXPECT_EQ(a.contains(p), a_plain.contains(p));
      EXPECT_TRUE(s_plain.contains(p));
    }
    EXPECT_TRUE(s.is_primitive() && a.is_primitive() && a_plain.is_primitive());
    // Point stabilizers: S_{n-1} and A_{n-1} on the other points, as a chain
    // finds them from the generators alone.
    for (const auto& [named, plain] : {std::pair{s, s_plain}, std::pair{a, a_plain}}) {
      const std::vector<Point> fixed{1, static_cast<Point>(n - 1)};
      const PermGroup fast = named.pointwise_stabilizer(fixed);
      const PermGroup slow = plain.pointwise_stabilizer(fixed);
      EXPECT_EQ(fast.order(), slow.order()) << n;
      EXPECT_EQ(PermGroup(n, fast.generators()).order(), slow.order()) << n;  // the generators generate it
      for (const auto& g : fast.generators()) {
        EXPECT_TRUE(slow.contains(g));
        EXPECT_EQ(g[1], 1U);
      }
      EXPECT_EQ(named.stabilizer(0).order(), plain.stabilizer(0).order()) << n;
    }
  }
  // Products of many factors: degree and order.
  std::string spec = "S(3)";
  for (int k = 1; k < 300; ++k) spec += k % 2 ? "*C(2)" : "*S(3)";
  const PermGroup product = PermGroup::parse(spec);
  EXPECT_EQ(product.degree(), 150U * 3 + 150U * 2);
  EXPECT_EQ(product.order(), boost::multiprecision::pow(asen::algebra::BigInt(12), 150));
  EXPECT_FALSE(product.is_transitive());
}

TEST(PermGroupNative, StabilizersFixTheirPoints) {
  const PermGroup g = PermGroup::parse("wreath(S(4),S(2))");
  const PermGroup s = g.stabilizer(2);
  EXPECT_EQ(s.order(), g.order() / 8);
  for (const auto& p : s.generators()) EXPECT_EQ(p[2], 2U);
  const PermGroup t = g.pointwise_stabilizer({0, 4, 0});
  EXPECT_EQ(t.order(), 6 * 6);
  for (const auto& p : t.generators()) {
    EXPECT_EQ(p[0], 0U);
    EXPECT_EQ(p[4], 4U);
  }
  EXPECT_THROW((void)g.stabilizer(8), std::out_of_range);
  EXPECT_THROW((void)g.setwise_stabilizer({0, 1}, Backend::native), InputError);
}

TEST(PermGroupNative, SmallGeneratingSetGeneratesTheSameGroup) {
  // The paper's dihedral list on 12 points: identity, all rotations, reflection.
  std::string spec = "[";
  for (int k = 0; k <= 12; ++k) {
    spec += k ? ",[" : "[";
    for (int x = 0; x < 12; ++x) spec += (x ? "," : "") + std::to_string((x + k) % 12);
    spec += "]";
  }
  spec += ",[11,10,9,8,7,6,5,4,3,2,1,0]]";
  const PermGroup g = PermGroup::parse(spec);
  ASSERT_EQ(g.generators().size(), 14U);
  const PermGroup small = g.small_generating_set();
  EXPECT_LE(small.generators().size(), 3U);
  EXPECT_TRUE(same_group(g, small));
  EXPECT_EQ(small.order(), 24);
}

TEST(PermGroupNative, ElementsAreSortedAndBounded) {
  const auto elements = PermGroup::parse("S(4)").elements();
  EXPECT_EQ(elements.size(), 24U);
  EXPECT_TRUE(std::is_sorted(elements.begin(), elements.end()));
  EXPECT_THROW((void)PermGroup::parse("S(10)").elements(1000), LimitError);
}

TEST(PermGroupNative, RandomElementsAreMembersAndReproducible) {
  const PermGroup g = PermGroup::parse("wreath(S(3),C(3))");
  const auto a = g.random_elements(50, 11);
  const auto b = g.random_elements(50, 11);
  EXPECT_EQ(a, b);
  std::set<Permutation> distinct(a.begin(), a.end());
  EXPECT_GT(distinct.size(), 20U);
  for (const auto& p : a) EXPECT_TRUE(g.contains(p));
}

// ----- against GAP -----------------------------------------------------------

TEST(PermGroupGap, NativeAnswersMatchGap) {
  std::mt19937_64 rng(31);
  for (const char* spec : {"S(6)", "A(6)", "D(9)", "mirror(8)", "wreath(S(3),S(2))", "S(3)*C(4)", "(1,2)(3,4),(1,3)",
                           "(1,2,3),(4,5)", "(3,4)"}) {
    const PermGroup g = PermGroup::parse(spec, 8 < PermGroup::parse(spec).degree() ? PermGroup::parse(spec).degree() : 8);
    SCOPED_TRACE(spec);
    EXPECT_EQ(g.order(), g.order(Backend::gap));
    EXPECT_EQ(g.orbits(), g.orbits(Backend::gap));
    EXPECT_EQ(g.is_transitive(), g.is_transitive(Backend::gap));
    EXPECT_EQ(g.is_primitive(), g.is_primitive(Backend::gap));
    for (int k = 0; k < 5; ++k) {
      const Permutation p = asen::test::random_permutation(g.degree(), rng);
      EXPECT_EQ(g.contains(p), g.contains(p, Backend::gap));
    }
    EXPECT_TRUE(same_group(g.stabilizer(0), g.stabilizer(0, Backend::gap)));
    EXPECT_TRUE(same_group(g.pointwise_stabilizer({0, 2}), g.pointwise_stabilizer({0, 2}, Backend::gap)));
    EXPECT_TRUE(same_group(g.small_generating_set(), g.small_generating_set(Backend::gap)));
    for (const auto& p : g.random_elements(5, 3, Backend::gap)) EXPECT_TRUE(g.contains(p));
    if (g.order() <= 5000) {
      EXPECT_EQ(g.elements(), g.elements(1000000, Backend::gap));
    }
  }
}

TEST(PermGroupGap, SetwiseStabilizerFromGap) {
  const PermGroup g = PermGroup::parse("S(6)");
  const PermGroup s = g.setwise_stabilizer({0, 1, 2});
  EXPECT_EQ(s.order(), 36);
  for (const auto& p : s.generators()) EXPECT_LE(p[0], 2U);
  EXPECT_THROW((void)g.elements(10, Backend::gap), LimitError);
}

TEST(PermGroupGap, GapExpressionsBecomeGroups) {
  const PermGroup g = PermGroup::parse("gap:TransitiveGroup(10, 30)");
  EXPECT_EQ(g.degree(), 10U);
  EXPECT_EQ(g.order(), 720);
  EXPECT_EQ(PermGroup::parse("gap:Group((1,2))", 4).degree(), 4U);
  // GAP knows the size of its named groups: it becomes the known order.
  const PermGroup s = PermGroup::parse("gap:SymmetricGroup(5)");
  ASSERT_TRUE(s.known_order().has_value());
  EXPECT_EQ(*s.known_order(), 120);
  EXPECT_EQ(s.chain().proof(), asen::algebra::ChainProof::known_order);
}

TEST(PermGroupGap, GapErrorsCarryGapsTextAndTheSessionGoesOn) {
  try {
    (void)PermGroup::parse("gap:Group((1,2),");
    FAIL() << "expected a GapError";
  } catch (const GapError& e) {
    EXPECT_NE(std::string(e.what()).find("Syntax error"), std::string::npos) << e.what();
  }
  try {
    (void)asen::algebra::gap::evaluate("TwoClosure(Group((1,2),(3,4)))");
    FAIL() << "expected a GapError";
  } catch (const GapError& e) {
    EXPECT_NE(std::string(e.what()).find("must be transitive"), std::string::npos) << e.what();
  }
  expect_input_error([] { (void)PermGroup::parse("gap:5"); }, "does not evaluate to a permutation group");
  expect_input_error([] { (void)PermGroup::parse("gap:Error(\"my message\")"); }, "my message");
  // A missing method: which operation, not only GAP's pointer to its help.
  expect_input_error([] { (void)PermGroup::parse("gap:SymmetricGroup(3) * 2"); },
                     "no 1st choice method found for `*' on 2 arguments");
  try {
    (void)asen::algebra::gap::evaluate("String(Size(5))");
    FAIL() << "expected a GapError";
  } catch (const GapError& e) {
    const std::string text = e.what();
    EXPECT_EQ(text, "GAP: no 1st choice method found for `Size' on 1 arguments") << text;
  }
  EXPECT_EQ(asen::algebra::gap::evaluate("String(Size(SymmetricGroup(4)))"), "24");
  EXPECT_EQ(PermGroup::parse("gap:AlternatingGroup(5)").order(Backend::gap), 60);
  // GAP goes on after a failing statement: a degree too large must stop the
  // request before 2^24 points are listed (that took over 25 minutes), and a
  // failed expression must not leave the previous group in place.
  expect_input_error([] { (void)PermGroup::parse("gap:Group((1,16777217))"); }, "is too large, the largest is 16777216");
  (void)PermGroup::parse("gap:Group((1,2,3))");
  expect_input_error([] { (void)PermGroup::parse("gap:Error(\"stop\")"); }, "stop");
  EXPECT_EQ(asen::algebra::gap::evaluate("String(ASEN_X)"), "fail");
  // A comment at the end of the code does not swallow its terminator.
  EXPECT_EQ(asen::algebra::gap::evaluate("\"x\" # a comment"), "x");
}

TEST(BigInt, LargeIntegersGoThroughGapAndAgreeWithBoost) {
  using asen::algebra::BigInt;
  // Residues modulo the prime 2^32 - 5 check the digits and n! without a
  // second quadratic conversion (the sanitizer build is unoptimised).
  const std::uint64_t p = 4294967291U;
  const auto mul = [p](std::uint64_t a, std::uint64_t b) { return a % p * (b % p) % p; };
  const auto residue_of_digits = [&](const std::string& digits) {
    std::uint64_t r = 0;
    for (const char c : digits) r = (mul(r, 10) + static_cast<std::uint64_t>(c - '0')) % p;
    return r;
  };
  // Past 2^20 bits the decimal digits come from GAP (GMP).
  const BigInt big = (BigInt(1) << (1U << 20)) * 3 + 12345;
  const std::string digits = asen::algebra::to_decimal(big);
  ASSERT_FALSE(digits.empty());
  EXPECT_NE(digits.front(), '0');
  EXPECT_EQ(digits.size(), 315654U);  // floor(log10(3 * 2^1048576)) + 1
  EXPECT_EQ(residue_of_digits(digits), static_cast<std::uint64_t>(big % p));
  EXPECT_EQ(digits.substr(digits.size() - 5), std::string(BigInt(big % 100000).str()));
  EXPECT_EQ(asen::algebra::to_decimal(BigInt(-big)), "-" + digits);
  EXPECT_EQ(asen::algebra::to_decimal(BigInt(120)), "120");
  // From 2^19 on, n! comes from GAP: its residue against n multiplications.
  const std::uint64_t n = std::uint64_t{1} << 19;
  std::uint64_t expected = 1;
  for (std::uint64_t k = 2; k <= n; ++k) expected = mul(expected, k);
  const BigInt f = asen::algebra::factorial(n);
  EXPECT_EQ(static_cast<std::uint64_t>(f % p), expected);
  EXPECT_EQ(boost::multiprecision::msb(f), 9205095U);  // floor(log2(2^19!)), from Python
}

TEST(PermGroupGap, CallsFromEightThreadsAreSerialisedAndCorrect) {
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &wrong] {
      for (int k = 0; k < 10; ++k) {
        const std::size_t n = 3 + static_cast<std::size_t>((t + k) % 6);
        const PermGroup g = PermGroup::symmetric(n);
        if (g.order(Backend::gap) != asen::algebra::factorial(n)) ++wrong;
        try {
          (void)asen::algebra::gap::evaluate("Error(\"thread error\")");
          ++wrong;
        } catch (const GapError&) {
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(PermGroupNative, FewMovedPointsAmongManyAreWorkedOnAlone) {
  // Points 7, 100, 4000 and 9000..9002 of 20000 move (wreath-like and cyclic
  // parts, interleaved with fixed points): order and membership come from the
  // group on those six points, and agree with a chain on all of them.
  const std::size_t n = 20000;
  auto perm = [n](const std::vector<std::vector<Point>>& cycles) {
    std::vector<Point> images(n);
    std::iota(images.begin(), images.end(), Point{0});
    for (const auto& c : cycles)
      for (std::size_t k = 0; k < c.size(); ++k) images[c[k]] = c[(k + 1) % c.size()];
    return Permutation(images);
  };
  const PermGroup g(n, {perm({{7, 100}}), perm({{7, 4000, 100}}), perm({{9000, 9001, 9002}})});
  EXPECT_EQ(g.order(), BigInt(18));
  EXPECT_EQ(g.order_proof(), asen::algebra::ChainProof::deterministic);
  EXPECT_EQ(g.order(), g.chain().order());  // the chain on all 20000 points
  const std::vector<Permutation> probes = {
      perm({{4000, 7}}), perm({{9000, 9002, 9001}}), perm({{7, 100}, {9000, 9001, 9002}}),
      perm({{9000, 9001}}),      // moves only moved points, not in the group
      perm({{7, 8}}),            // moves a fixed point
      perm({{5, 6}}), perm({})};
  for (const auto& p : probes) EXPECT_EQ(g.contains(p), g.chain().contains(p)) << p.to_cycle_string();
  EXPECT_TRUE(g.contains(perm({{7, 100}, {9000, 9001, 9002}})));
  EXPECT_FALSE(g.contains(perm({{9000, 9001}})));
  EXPECT_FALSE(g.contains(perm({{7, 8}})));
  // A wrong claimed order is still caught on the moved points.
  const PermGroup claimed(n, g.generators(), BigInt(36));
  EXPECT_THROW((void)claimed.order(), asen::Error);
}
