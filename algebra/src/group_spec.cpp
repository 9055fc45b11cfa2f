// Named groups, products, and the group spec parser (grammar in DESIGN.md):
//
//   spec    := prefix ':' rest                       (gap:, or a registered prefix)
//            | product
//   product := factor ('*' factor)*
//   factor  := cycles (',' cycles)*                  GAP cycle notation, 1-based
//            | '[' image-list (',' image-list)* ']'  0-based images; or one image list
//            | NAME '(' number ')'                   S A C D trivial mirror
//            | 'wreath' '(' product ',' product ')'
//
// Inside wreath(...), a cycles argument takes every following cycle written
// after a comma; write the first argument by name or as an image list.

#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>

#include <cctype>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>

#include "perm_text.hpp"
#include "scanner.hpp"
#include "limits.hpp"

namespace asen::algebra {
namespace {

Permutation cycle_of(std::size_t n, std::size_t first, std::size_t last) {
  // The cycle first -> first+1 -> ... -> last -> first (0-based), on n points.
  std::vector<Point> images(n);
  std::iota(images.begin(), images.end(), Point{0});
  for (std::size_t x = first; x < last; ++x) images[x] = static_cast<Point>(x + 1);
  images[last] = static_cast<Point>(first);
  return Permutation::from_images_no_checks(std::move(images));
}

Permutation reversal(std::size_t n) {
  std::vector<Point> images(n);
  for (std::size_t x = 0; x < n; ++x) images[x] = static_cast<Point>(n - 1 - x);
  return Permutation::from_images_no_checks(std::move(images));
}

double log2_factorial(std::size_t n) { return std::lgamma(static_cast<double>(n) + 1.0) / std::log(2.0); }

void require_degree(std::size_t n, std::size_t smallest, const char* name) {
  if (n < smallest)
    throw InputError(std::string(name) + "(" + std::to_string(n) + "): the degree must be at least " +
                     std::to_string(smallest));
  if (n > detail::kMaxDegree)
    throw InputError(std::string(name) + "(" + std::to_string(n) + "): the degree is too large, the largest is " +
                     detail::max_degree_text());
}

std::mutex& resolver_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, PermGroup::SpecResolver>& resolvers() {
  static std::map<std::string, PermGroup::SpecResolver> r;
  return r;
}

}  // namespace

PermGroup PermGroup::symmetric(std::size_t n) {
  require_degree(n, 1, "S");
  std::vector<Permutation> gens;
  if (n >= 2) gens.push_back(cycle_of(n, 0, 1));
  if (n >= 3) gens.push_back(cycle_of(n, 0, n - 1));
  return PermGroup(n, std::move(gens), KnownOrder([n] { return factorial(n); }, log2_factorial(n)));
}

PermGroup PermGroup::alternating(std::size_t n) {
  require_degree(n, 1, "A");
  std::vector<Permutation> gens;
  if (n >= 3) gens.push_back(cycle_of(n, 0, 2));
  if (n >= 4) gens.push_back(n % 2 == 1 ? cycle_of(n, 0, n - 1) : cycle_of(n, 1, n - 1));
  return PermGroup(n, std::move(gens),
                   KnownOrder([n] { return n >= 2 ? BigInt(factorial(n) / 2) : BigInt(1); },
                              n >= 2 ? log2_factorial(n) - 1.0 : 0.0));
}

PermGroup PermGroup::cyclic(std::size_t n) {
  require_degree(n, 1, "C");
  std::vector<Permutation> gens;
  if (n >= 2) gens.push_back(cycle_of(n, 0, n - 1));
  return PermGroup(n, std::move(gens), KnownOrder(BigInt(n)));
}

PermGroup PermGroup::dihedral(std::size_t n) {
  if (n < 3)
    throw InputError("D(" + std::to_string(n) +
                     "): the dihedral group of order 2n acts on n >= 3 points" +
                     (n == 2 ? "; on 2 points use S(2)" : n == 1 ? "; on 1 point use S(1)" : ""));
  require_degree(n, 3, "D");
  return PermGroup(n, {cycle_of(n, 0, n - 1), reversal(n)}, KnownOrder(BigInt(2 * n)));
}

PermGroup PermGroup::trivial(std::size_t n) {
  require_degree(n, 1, "trivial");
  return PermGroup(n, {}, KnownOrder(BigInt(1)));
}

PermGroup PermGroup::mirror(std::size_t n) {
  require_degree(n, 1, "mirror");
  std::vector<Permutation> gens;
  if (n >= 2) gens.push_back(reversal(n));
  return PermGroup(n, std::move(gens), KnownOrder(BigInt(n >= 2 ? 2 : 1)));
}

PermGroup PermGroup::direct_product(const PermGroup& x, const PermGroup& y) {
  const std::size_t n = x.degree() + y.degree();
  if (n > detail::kMaxDegree)
    throw InputError("the direct product has degree " + std::to_string(n) + ", above the largest, " +
                     detail::max_degree_text());
  detail::check_generators_fit(x.generators().size() + y.generators().size(), n, "the direct product");
  std::vector<Permutation> gens;
  for (const auto& g : x.generators()) gens.push_back(g.extended(n));
  const auto shift = static_cast<Point>(x.degree());
  for (const auto& g : y.generators()) {
    std::vector<Point> images(n);
    std::iota(images.begin(), images.end(), Point{0});
    for (std::size_t p = 0; p < y.degree(); ++p) images[shift + p] = shift + g[static_cast<Point>(p)];
    gens.push_back(Permutation::from_images_no_checks(std::move(images)));
  }
  std::optional<KnownOrder> order;
  if (x.known_order_lazy() && y.known_order_lazy()) {
    const KnownOrder a = *x.known_order_lazy();
    const KnownOrder b = *y.known_order_lazy();
    order = KnownOrder([a, b] { return BigInt(a.value() * b.value()); }, a.log2() + b.log2());
  }
  return PermGroup(n, std::move(gens), order);
}

PermGroup PermGroup::wreath_product(const PermGroup& x, const PermGroup& y) {
  const std::size_t m = x.degree();
  const std::size_t k = y.degree();
  if (m != 0 && k > detail::kMaxDegree / m)
    throw InputError("the wreath product has degree " + std::to_string(m) + " x " + std::to_string(k) +
                     ", above the largest, " + detail::max_degree_text());
  const std::size_t n = m * k;
  const auto y_orbits = y.orbits();
  detail::check_generators_fit(y_orbits.size() * x.generators().size() + y.generators().size(), n,
                               "the wreath product");
  std::vector<Permutation> gens;
  // The base group: X on one copy in each orbit of Y on the copies (Y's
  // conjugates spread it over the rest of that orbit).
  for (const auto& orbit : y_orbits) {
    const std::size_t c = orbit.front();
    for (const auto& g : x.generators()) {
      std::vector<Point> images(n);
      std::iota(images.begin(), images.end(), Point{0});
      for (std::size_t p = 0; p < m; ++p) images[c * m + p] = static_cast<Point>(c * m + g[static_cast<Point>(p)]);
      gens.push_back(Permutation::from_images_no_checks(std::move(images)));
    }
  }
  // The top group permutes the copies.
  for (const auto& h : y.generators()) {
    std::vector<Point> images(n);
    for (std::size_t c = 0; c < k; ++c)
      for (std::size_t p = 0; p < m; ++p) images[c * m + p] = static_cast<Point>(h[static_cast<Point>(c)] * m + p);
    gens.push_back(Permutation::from_images_no_checks(std::move(images)));
  }
  std::optional<KnownOrder> order;
  if (x.known_order_lazy() && y.known_order_lazy()) {
    const KnownOrder a = *x.known_order_lazy();
    const KnownOrder b = *y.known_order_lazy();
    order = KnownOrder(
        [a, b, k] { return BigInt(boost::multiprecision::pow(a.value(), static_cast<unsigned>(k)) * b.value()); },
        static_cast<double>(k) * a.log2() + b.log2());
  }
  return PermGroup(n, std::move(gens), order);
}

void PermGroup::register_spec_prefix(const std::string& prefix, SpecResolver resolver) {
  std::lock_guard<std::mutex> lock(resolver_mutex());
  resolvers()[prefix] = std::move(resolver);
}

namespace {

using detail::Scanner;

PermGroup parse_product(Scanner& in);

PermGroup parse_cycles_factor(Scanner& in) {
  std::vector<std::vector<detail::Cycle>> generators;
  std::size_t largest = 0;
  for (;;) {
    generators.push_back(detail::read_cycles(in, std::nullopt, largest));
    // Another generator follows only if a comma is followed by '('.
    const std::size_t save = in.pos();
    if (in.accept(',') && in.peek() == '(') continue;
    in.set_pos(save);
    break;
  }
  // Each generator becomes an image list of the largest point: a long list
  // of short cycles on many points is refused before those are written.
  detail::check_generators_fit(generators.size(), largest, "the list of cycles");
  std::vector<Permutation> gens;
  for (const auto& cycles : generators) gens.push_back(detail::cycles_to_permutation(in, cycles, largest));
  return PermGroup(largest, std::move(gens));
}

PermGroup parse_json_factor(Scanner& in) {
  const std::size_t open = (in.skip_space(), in.pos());
  in.expect('[');
  if (in.peek() != '[') {
    // A single image list: one generator.
    in.set_pos(open);
    Permutation p = detail::read_image_list(in, std::nullopt);
    const std::size_t n = p.degree();
    return PermGroup(n, {std::move(p)});
  }
  std::vector<Permutation> gens;
  std::optional<std::size_t> degree;
  for (;;) {
    const std::size_t at = (in.skip_space(), in.pos());
    Permutation p = detail::read_image_list(in, std::nullopt);
    if (degree && p.degree() != *degree)
      in.fail("the image list at position " + std::to_string(at) + " has " + std::to_string(p.degree()) +
              " images but the first one has " + std::to_string(*degree));
    degree = p.degree();
    gens.push_back(std::move(p));
    if (in.accept(']')) break;
    if (in.at_end()) in.fail("truncated: expected ',' or ']' at the end");
    if (in.peek() != ',') in.fail("expected ',' or ']' but found " + in.describe_here());
    in.expect(',');
  }
  return PermGroup(degree.value_or(0), std::move(gens));
}

// Wreath products nest by recursion: deeper than this is refused instead of
// overflowing the stack (no real group needs more).
constexpr int kMaxNesting = 200;
thread_local int nesting = 0;

PermGroup parse_named(Scanner& in) {
  const std::size_t at = in.pos();
  const std::string name = in.identifier();
  if (name == "wreath") {
    struct Depth {
      Depth() { ++nesting; }
      ~Depth() { --nesting; }
    } depth;
    if (nesting > kMaxNesting)
      in.fail("wreath products nested more than " + std::to_string(kMaxNesting) + " deep at position " +
              std::to_string(at));
    in.expect('(');
    const std::size_t x_at = (in.skip_space(), in.pos());
    PermGroup x = parse_product(in);
    if (in.peek() == ')' && x_at < in.text().size() && in.text()[x_at] == '(')
      in.fail("wreath(X,Y) at position " + std::to_string(at) +
              " has one argument: cycle notation reads each ',(' as one more generator, so a first argument in "
              "cycles takes the second with it; write it as image lists, e.g. wreath([[1,0]],(1,2,3))");
    in.expect(',');
    PermGroup y = parse_product(in);
    in.expect(')');
    return PermGroup::wreath_product(x, y);
  }
  using Maker = PermGroup (*)(std::size_t);
  static const std::map<std::string, Maker> makers = {
      {"S", &PermGroup::symmetric}, {"A", &PermGroup::alternating}, {"C", &PermGroup::cyclic},
      {"D", &PermGroup::dihedral},  {"trivial", &PermGroup::trivial}, {"mirror", &PermGroup::mirror},
  };
  const auto it = makers.find(name);
  // A prefix that reaches this parser stands inside a product or wreath (a
  // whole spec "prefix:rest" is resolved before), or has a space before its
  // ':' ("gap :...").
  if (it == makers.end() && in.peek() == ':' && in.pos() > at + name.size())
    in.fail("'" + name + " :' at position " + std::to_string(at) + ": a prefix takes its ':' without a space (write '" +
            name + ":...')");
  if (it == makers.end() && in.peek() == ':')
    in.fail("'" + name + ":' at position " + std::to_string(at) +
            " inside a product or wreath: gap:<expr> and graph:<file> specs stand alone (write the whole group "
            "in GAP instead, e.g. gap:DirectProduct(...))");
  if (it == makers.end())
    in.fail("unknown group '" + name + "' at position " + std::to_string(at) +
            "; known: S(n), A(n), C(n), D(n), trivial(n), mirror(n), wreath(X,Y), X*Y, cycles, "
            "image lists, gap:<expr>, graph:<file>");
  in.expect('(');
  const std::size_t number_at = (in.skip_space(), in.pos());
  const std::uint64_t n = in.number("the degree");
  in.expect(')');
  try {
    return it->second(static_cast<std::size_t>(n));
  } catch (const InputError& e) {
    in.fail(std::string(e.what()) + " (at position " + std::to_string(number_at) + ")");
  }
}

PermGroup parse_factor(Scanner& in) {
  const char c = in.peek();
  if (c == '(') {
    // '(' opens a cycle, never a group: say so for '(S(3)*S(2))*...', a
    // name followed by '(' (or a '(' or '[') right after the '('.
    const std::size_t open = in.pos();
    in.expect('(');
    const std::size_t at = (in.skip_space(), in.pos());
    const std::string_view text = in.text();
    std::size_t end = at;
    while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end]))) ++end;
    while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    const bool group_inside = (end < text.size() && text[end] == '(') || (end == at && end < text.size() &&
                                                                           text[end] == '[');
    if (group_inside)
      in.fail("parentheses hold GAP cycles of points, and specs are not grouped with them: " +
              in.describe_here() + " after '(' at position " + std::to_string(open) +
              " (products need no grouping: X*Y*Z)");
    in.set_pos(open);
    return parse_cycles_factor(in);
  }
  if (c == '[') return parse_json_factor(in);
  if (std::isalpha(static_cast<unsigned char>(c))) return parse_named(in);
  if (c == '\0') in.fail("truncated: expected a group at the end");
  in.fail("expected a group (cycles, an image list or a name such as S(5)) but found " + in.describe_here());
}

// X1*X2*...*Xk in one step: each generator is written once on the whole
// degree (pairwise products would rewrite the first factors' generators k
// times, cubic in k).
PermGroup parse_product(Scanner& in) {
  std::vector<PermGroup> factors{parse_factor(in)};
  while (in.accept('*')) factors.push_back(parse_factor(in));
  if (factors.size() == 1) return std::move(factors.front());
  std::size_t n = 0;
  for (const auto& f : factors) {
    n += f.degree();
    if (n > detail::kMaxDegree)
      throw InputError("the direct product has degree " + std::to_string(n) + " or more, above the largest, " +
                       detail::max_degree_text());
  }
  std::size_t count = 0;
  for (const auto& f : factors) count += f.generators().size();
  detail::check_generators_fit(count, n, "the direct product of " + std::to_string(factors.size()) + " factors");
  std::vector<Permutation> gens;
  gens.reserve(count);
  std::vector<KnownOrder> orders;
  double log2 = 0.0;
  std::size_t shift = 0;
  for (const auto& f : factors) {
    for (const auto& g : f.generators()) {
      std::vector<Point> images(n);
      std::iota(images.begin(), images.end(), Point{0});
      for (std::size_t p = 0; p < f.degree(); ++p) images[shift + p] = static_cast<Point>(shift + g[static_cast<Point>(p)]);
      gens.push_back(Permutation::from_images_no_checks(std::move(images)));
    }
    shift += f.degree();
    if (f.known_order_lazy()) {
      orders.push_back(*f.known_order_lazy());
      log2 += orders.back().log2();
    }
  }
  std::optional<KnownOrder> order;
  if (orders.size() == factors.size())
    order = KnownOrder(
        [orders] {
          BigInt product = 1;
          for (const auto& o : orders) product *= o.value();
          return product;
        },
        log2);
  return PermGroup(n, std::move(gens), order);
}

}  // namespace

PermGroup PermGroup::parse(std::string_view spec, std::optional<std::size_t> degree) {
  // A NUL would end the text early for GAP and cut error messages short.
  if (const std::size_t nul = spec.find('\0'); nul != std::string_view::npos)
    throw InputError("the group spec holds a NUL character at offset " + std::to_string(nul));
  const std::size_t first = spec.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) throw InputError("the group spec is empty");
  // "prefix:rest" where prefix is an identifier.
  std::size_t k = first;
  while (k < spec.size() && (std::isalnum(static_cast<unsigned char>(spec[k])) || spec[k] == '_')) ++k;
  if (k > first && k < spec.size() && spec[k] == ':') {
    const std::string prefix(spec.substr(first, k - first));
    const std::string_view rest = spec.substr(k + 1);
    if (prefix == "gap") return from_gap(rest, degree);
    SpecResolver resolver;
    {
      std::lock_guard<std::mutex> lock(resolver_mutex());
      const auto it = resolvers().find(prefix);
      if (it != resolvers().end()) resolver = it->second;
    }
    if (!resolver)
      throw InputError("unknown group spec prefix '" + prefix + ":'" +
                       (prefix == "graph" ? std::string(" (graph: specs need the graph layer)") : ""));
    return resolver(rest, degree);
  }
  if (degree && *degree > detail::kMaxDegree)
    throw InputError("degree " + std::to_string(*degree) + " is too large, the largest is " + detail::max_degree_text());
  Scanner in(spec, "cannot parse the group spec");
  PermGroup g = parse_product(in);
  if (!in.at_end()) in.fail("unexpected " + in.describe_here());
  if (degree) {
    if (*degree < g.degree())
      throw InputError("degree " + std::to_string(*degree) + " is smaller than the degree " +
                       std::to_string(g.degree()) + " of the group spec \"" + Scanner::shorten(spec) + "\"");
    g = g.extended(*degree);
  }
  return g;
}

}  // namespace asen::algebra
