#include <asen/algebra/gap.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <asen/interrupt.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

#include "gap_values.hpp"
#include "random.hpp"
#include "union_find.hpp"

#include <cmath>
#include "limits.hpp"

namespace asen::algebra {

struct KnownOrder::State {
  std::function<BigInt()> compute;
  double log2 = 0.0;
  std::once_flag once;
  BigInt value;
  bool trusted = true;
};

KnownOrder::KnownOrder(BigInt value, bool trusted) : state_(std::make_shared<State>()) {
  state_->trusted = trusted;
  if (value < 1) throw InputError("a group order must be positive");
  state_->log2 = static_cast<double>(boost::multiprecision::msb(value));
  state_->value = std::move(value);
  std::call_once(state_->once, [] {});
}

KnownOrder::KnownOrder(std::function<BigInt()> compute, double log2) : state_(std::make_shared<State>()) {
  state_->compute = std::move(compute);
  state_->log2 = log2;
}

const BigInt& KnownOrder::value() const {
  std::call_once(state_->once, [this] { state_->value = state_->compute(); });
  return state_->value;
}

double KnownOrder::log2() const { return state_->log2; }

bool KnownOrder::trusted() const { return state_->trusted; }

// Whether a group of degree n is the whole symmetric group (order n!) or the
// alternating group (order n!/2, the one subgroup of index 2): order,
// membership, primitivity and point stabilizers then need no chain.
enum class PermGroup::Natural : std::uint8_t { none, symmetric, alternating };

struct PermGroup::Cache {
  std::once_flag once;
  std::unique_ptr<StabChain> chain;
  std::once_flag natural_once;  ///< natural(), decided once per group
  Natural natural = Natural::none;
  bool natural_by_jordan = false;  ///< decided by Jordan's theorem, not by a known order
  // The group restricted to its moved points, when they are few among many
  // (a chain on millions of points for a transposition costs gigabytes:
  // every transversal row and random element is a full permutation).
  std::once_flag support_once;
  std::unique_ptr<MovedPoints> on_support;  ///< null when not worth it
  std::vector<std::uint8_t> moved;           ///< per point, 1 if moved (with on_support)

  const PermGroup* support_group(const PermGroup& group) {
    std::call_once(support_once, [&] {
      constexpr std::size_t kFrom = 4096;  // smaller degrees: the chain is cheap anyway
      const std::size_t n = group.degree();
      if (n < kFrom) return;
      MovedPoints m = group.on_moved_points();
      if (m.points.size() * 4 > n) return;
      moved.assign(n, 0);
      for (const Point x : m.points) moved[x] = 1;
      on_support = std::make_unique<MovedPoints>(std::move(m));
    });
    return on_support ? &on_support->group : nullptr;
  }
};

MovedPoints PermGroup::on_moved_points() const {
  std::vector<std::uint8_t> moved(degree_, 0);
  for (const auto& g : generators_)
    for (std::size_t x = 0; x < degree_; ++x)
      if (g[static_cast<Point>(x)] != x) moved[x] = 1;
  std::vector<Point> points;
  std::vector<Point> index(degree_, 0);  // point -> its place in points
  for (std::size_t x = 0; x < degree_; ++x)
    if (moved[x] != 0) {
      index[x] = static_cast<Point>(points.size());
      points.push_back(static_cast<Point>(x));
    }
  std::vector<Permutation> restricted;
  restricted.reserve(generators_.size());
  for (const auto& g : generators_) {
    std::vector<Point> images(points.size());
    for (std::size_t k = 0; k < points.size(); ++k) images[k] = index[g[points[k]]];
    restricted.push_back(Permutation::from_images_no_checks(std::move(images)));
  }
  PermGroup group(points.size(), std::move(restricted), known_order_);
  return MovedPoints{std::move(points), std::move(group)};
}

PermGroup::PermGroup(std::size_t degree, std::vector<Permutation> generators,
                     std::optional<BigInt> known_order)
    : PermGroup(degree, std::move(generators),
                known_order ? std::optional<KnownOrder>(KnownOrder(std::move(*known_order), false)) : std::nullopt) {}

PermGroup::PermGroup(std::size_t degree, std::vector<Permutation> generators, std::optional<KnownOrder> known_order)
    : degree_(degree),
      generators_(std::move(generators)),
      known_order_(std::move(known_order)),
      cache_(std::make_shared<Cache>()) {
  if (degree_ > detail::kMaxDegree)
    throw InputError("degree " + std::to_string(degree_) + " is too large, the largest is " + detail::max_degree_text());
  for (std::size_t k = 0; k < generators_.size(); ++k)
    if (generators_[k].degree() != degree_)
      throw InputError("generator " + std::to_string(k) + " has degree " +
                       std::to_string(generators_[k].degree()) + " but the group has degree " +
                       std::to_string(degree_));
  // A cyclic group given by one generator: its order is the generator's
  // (a chain for a 40000-cycle would need gigabytes of transversals).
  if (!known_order_) {
    const Permutation* only = nullptr;
    std::size_t moving = 0;
    for (const auto& g : generators_)
      if (!g.is_identity()) {
        only = &g;
        ++moving;
      }
    if (moving == 1) known_order_ = KnownOrder(only->order());
  }
}

std::optional<BigInt> PermGroup::known_order() const {
  if (!known_order_) return std::nullopt;
  return known_order_->value();
}

PermGroup PermGroup::extended(std::size_t n) const {
  if (n > detail::kMaxDegree)
    throw InputError("degree " + std::to_string(n) + " is too large, the largest is " + detail::max_degree_text());
  if (n < degree_)
    throw InputError("degree " + std::to_string(n) + " is smaller than the group's degree " +
                     std::to_string(degree_));
  if (n == degree_) return *this;
  std::vector<Permutation> gens;
  gens.reserve(generators_.size());
  for (const auto& g : generators_) gens.push_back(g.extended(n));
  return PermGroup(n, std::move(gens), known_order_);
}

void PermGroup::throw_if_bad_point(Point p) const {
  if (p >= degree_)
    throw std::out_of_range("point " + std::to_string(p) + " is out of range, expected a value in [0, " +
                            std::to_string(degree_) + ")");
}

StabChainOptions PermGroup::chain_options() const {
  StabChainOptions options;
  options.known_order = known_order_ ? known_order() : order_without_chain();
  options.known_order_trusted = !known_order_ || known_order_->trusted();
  // Without a known order, a cheap upper bound (orbits, a block system,
  // parity) proves the chain when reached, computed only for groups whose
  // chain Sims' test cannot prove within its budget.
  options.bound_when_needed = !options.known_order;
  return options;
}

const StabChain& PermGroup::chain() const {
  if (!cache_) {
    // A default-constructed group (degree 0) has no cache yet.
    static const StabChain empty;
    return empty;
  }
  std::call_once(cache_->once, [&] {
    cache_->chain = std::make_unique<StabChain>(StabChain::build(degree_, generators_, chain_options()));
  });
  return *cache_->chain;
}

StabChain PermGroup::chain_with_base(const std::vector<Point>& prefix) const {
  StabChainOptions options = chain_options();
  options.base_prefix = prefix;
  return StabChain::build(degree_, generators_, options);
}

std::string PermGroup::to_gap() const {
  std::string out = "Group([";
  for (std::size_t k = 0; k < generators_.size(); ++k) {
    if (k != 0) out += ',';
    out += detail::gap_perm(generators_[k]);
  }
  return out + "], ())";
}

std::string PermGroup::to_cycle_string() const {
  if (generators_.empty()) return "()";
  std::string out;
  for (std::size_t k = 0; k < generators_.size(); ++k) {
    if (k != 0) out += ',';
    out += generators_[k].to_cycle_string();
  }
  return out;
}

namespace {

// Evaluates `query` with ASEN_G bound to the group.
std::string ask_gap(const PermGroup& g, const std::string& query) {
  return gap::evaluate("ASEN_G := " + g.to_gap() + ";; " + query);
}

PermGroup group_from_gap_generators(std::size_t n, const std::string& text,
                                    std::optional<KnownOrder> order = std::nullopt) {
  return PermGroup(n, detail::gap_permutations(text, n), std::move(order));
}

using Natural = PermGroup::Natural;

Natural natural_from_order(const std::optional<KnownOrder>& order, std::size_t n) {
  if (!order || !order->trusted() || n < 3) return Natural::none;
  // log2(n!) first: the exact comparison only for orders that are close.
  const double log2_factorial = std::lgamma(static_cast<double>(n) + 1.0) / std::log(2.0);
  const double log2 = order->log2();
  if (std::abs(log2 - log2_factorial) > 2.0 && std::abs(log2 - (log2_factorial - 1.0)) > 2.0) return Natural::none;
  const BigInt n_factorial = factorial(n);
  if (order->value() == n_factorial) return Natural::symmetric;
  if (order->value() * 2 == n_factorial) return Natural::alternating;
  return Natural::none;
}

bool is_prime(std::size_t n) {
  if (n < 2) return false;
  for (std::size_t d = 2; d * d <= n; ++d)
    if (n % d == 0) return false;
  return true;
}

// Jordan's theorem: a primitive group of degree n containing a cycle of
// prime length p <= n - 3 contains A_n. A transitive group containing a
// p-cycle with p > n/2 is primitive: that cycle moves some block of any
// system of blocks of size <= n/2 (its p points do not fit in one), and an
// element of prime order p moves blocks p at a time, so there would be at
// least p > n/2 blocks, each of one point. An element with exactly one cycle
// of prime length p > n/2 has a p-cycle among its powers (g^L, L the lcm of
// its other cycle lengths, which are below p). So one such element among
// random elements of a transitive group proves G >= A_n, and the generators'
// parity tells S_n from A_n. About one element in 7 (n = 10) to one in 16
// (n = 10^5) of S_n or A_n has such a cycle; other groups pay the draws.
constexpr int kJordanDraws = 128;

Natural natural_by_jordan(const PermGroup& group) {
  const std::size_t n = group.degree();
  const std::vector<Permutation>& generators = group.generators();
  if (n < 8 || generators.empty() || !group.is_transitive()) return Natural::none;
  std::mt19937_64 rng(0x70cda9ULL);
  detail::ProductReplacement random(n, generators, rng);
  if (!random.nontrivial()) return Natural::none;
  std::vector<bool> seen(n);
  bool found = false;
  for (int draw = 0; draw < kJordanDraws && !found; ++draw) {
    const std::vector<Point>& g = random.next();
    std::fill(seen.begin(), seen.end(), false);
    for (std::size_t x = 0; x < n && !found; ++x) {
      if (seen[x]) continue;
      std::size_t length = 0;
      for (std::size_t y = x; !seen[y]; y = g[y]) {
        seen[y] = true;
        ++length;
      }
      found = 2 * length > n && length + 3 <= n && is_prime(length);
    }
  }
  if (!found) return Natural::none;
  for (const auto& g : generators)
    if (g.sign() < 0) return Natural::symmetric;
  return Natural::alternating;
}

std::vector<Point> checked_point_set(const std::vector<Point>& points, std::size_t n) {
  std::vector<Point> out;
  std::vector<bool> seen(n, false);
  for (Point p : points) {
    if (p >= n)
      throw std::out_of_range("point " + std::to_string(p) + " is out of range, expected a value in [0, " +
                              std::to_string(n) + ")");
    if (!seen[p]) out.push_back(p);
    seen[p] = true;
  }
  return out;
}

}  // namespace

PermGroup::Natural PermGroup::natural() const {
  // A default-constructed group (degree 0) has no cache.
  if (!cache_) return Natural::none;
  std::call_once(cache_->natural_once, [&] {
    if (known_order_ && known_order_->trusted()) {
      cache_->natural = natural_from_order(known_order_, degree_);
    } else if (known_order_) {
      // A claimed order is for the chain to check.
      cache_->natural = Natural::none;
    } else {
      cache_->natural = natural_by_jordan(*this);
      cache_->natural_by_jordan = cache_->natural != Natural::none;
    }
  });
  return cache_->natural;
}

std::optional<BigInt> PermGroup::order_without_chain() const {
  if (known_order_ && known_order_->trusted()) return known_order_->value();
  const Natural kind = natural();
  if (kind == Natural::none) return std::nullopt;
  const BigInt f = factorial(degree_);
  return kind == Natural::alternating ? BigInt(f / 2) : f;
}

BigInt PermGroup::order(Backend backend) const {
  if (backend == Backend::gap) return detail::gap_integer(ask_gap(*this, "String(Size(ASEN_G))"));
  // A trusted known order needs no chain (S(3000)'s would take minutes), nor
  // does a group that contains A_n (S_1000 from 999 transpositions: 2 GB).
  if (std::optional<BigInt> cheap = order_without_chain()) return std::move(*cheap);
  if (const PermGroup* s = cache_ ? cache_->support_group(*this) : nullptr)
    return s->order();
  return chain().order();
}

ChainProof PermGroup::order_proof() const {
  if (known_order_ && known_order_->trusted()) return ChainProof::known_order;
  if (natural() != Natural::none && cache_->natural_by_jordan) return ChainProof::jordan;
  if (const PermGroup* s = cache_ ? cache_->support_group(*this) : nullptr)
    return s->order_proof();
  return chain().proof();
}

bool PermGroup::contains(const Permutation& p, Backend backend) const {
  if (p.degree() != degree_)
    throw InputError("the permutation has degree " + std::to_string(p.degree()) +
                     " but the group has degree " + std::to_string(degree_));
  if (backend == Backend::gap)
    return detail::gap_bool(ask_gap(*this, "String(" + detail::gap_perm(p) + " in ASEN_G)"));
  switch (natural()) {
    case Natural::symmetric:
      return true;
    case Natural::alternating:
      return p.sign() == 1;
    case Natural::none:
      break;
  }
  if (const PermGroup* s = cache_ ? cache_->support_group(*this) : nullptr) {
    // In the group iff it fixes every other point and its restriction to
    // the moved points is in the restricted group.
    const std::vector<Point>& support = cache_->on_support->points;
    const std::vector<std::uint8_t>& moved = cache_->moved;
    for (std::size_t x = 0; x < degree_; ++x)
      if (moved[x] == 0 && p[static_cast<Point>(x)] != x) return false;
    std::vector<Point> images(support.size());
    for (std::size_t k = 0; k < support.size(); ++k)
      images[k] =
          static_cast<Point>(std::lower_bound(support.begin(), support.end(), p[support[k]]) - support.begin());
    return s->contains(Permutation::from_images_no_checks(std::move(images)));
  }
  return chain().contains(p);
}

std::vector<std::vector<Point>> PermGroup::orbits(Backend backend) const {
  std::vector<std::vector<Point>> out;
  if (backend == Backend::gap) {
    if (degree_ == 0) return out;
    const auto lists = detail::gap_int_lists(
        ask_gap(*this, "String(Orbits(ASEN_G, [1.." + std::to_string(degree_) + "]))"));
    for (const auto& list : lists) {
      std::vector<Point> orbit;
      for (long long v : list) orbit.push_back(static_cast<Point>(v - 1));
      std::sort(orbit.begin(), orbit.end());
      out.push_back(std::move(orbit));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  detail::UnionFind uf(degree_);
  for (const auto& g : generators_)
    for (std::size_t x = 0; x < degree_; ++x) uf.unite(static_cast<std::uint32_t>(x), g[static_cast<Point>(x)]);
  std::vector<std::int64_t> slot(degree_, -1);
  for (std::size_t x = 0; x < degree_; ++x) {
    const std::uint32_t r = uf.find(static_cast<std::uint32_t>(x));
    if (slot[r] < 0) {
      slot[r] = static_cast<std::int64_t>(out.size());
      out.emplace_back();
    }
    out[static_cast<std::size_t>(slot[r])].push_back(static_cast<Point>(x));
  }
  return out;  // points visited in increasing order: sorted, ordered by smallest
}

std::vector<Point> PermGroup::orbit(Point p) const {
  throw_if_bad_point(p);
  std::vector<bool> seen(degree_, false);
  std::vector<Point> out{p};
  seen[p] = true;
  for (std::size_t k = 0; k < out.size(); ++k)
    for (const auto& g : generators_) {
      const Point q = g[out[k]];
      if (!seen[q]) {
        seen[q] = true;
        out.push_back(q);
      }
    }
  std::sort(out.begin(), out.end());
  return out;
}

bool PermGroup::is_transitive(Backend backend) const {
  if (backend == Backend::gap) {
    if (degree_ == 0) return true;
    return detail::gap_bool(
        ask_gap(*this, "String(IsTransitive(ASEN_G, [1.." + std::to_string(degree_) + "]))"));
  }
  return degree_ == 0 || orbit(0).size() == degree_;
}

bool PermGroup::is_primitive(Backend backend) const {
  if (backend == Backend::gap) {
    if (degree_ == 0) return true;
    return detail::gap_bool(
        ask_gap(*this, "String(IsPrimitive(ASEN_G, [1.." + std::to_string(degree_) + "]))"));
  }
  // S_n and A_n (n >= 3) are primitive; so is every transitive group of
  // prime degree (a block's size divides the degree).
  if (natural() != Natural::none) return true;
  if (!is_transitive()) return false;
  if (degree_ <= 2 || is_prime(degree_)) return true;
  // Atkinson: the smallest block containing {0, b} is found by merging classes
  // until every generator maps each merged pair into one class. G is primitive
  // iff that block is the whole domain for every b.
  for (std::size_t b = 1; b < degree_; ++b) {
    detail::UnionFind uf(degree_);
    std::vector<std::pair<Point, Point>> queue{{0, static_cast<Point>(b)}};
    uf.unite(0, static_cast<std::uint32_t>(b));
    std::size_t merged = 1;
    for (std::size_t k = 0; k < queue.size() && merged < degree_ - 1; ++k) {
      const auto [x, y] = queue[k];
      for (const auto& g : generators_) {
        const Point gx = g[x];
        const Point gy = g[y];
        if (uf.unite(gx, gy)) {
          ++merged;
          queue.emplace_back(gx, gy);
        }
      }
    }
    if (merged < degree_ - 1) return false;
  }
  return true;
}

PermGroup PermGroup::stabilizer(Point p, Backend backend) const {
  throw_if_bad_point(p);
  if (backend == Backend::gap)
    return group_from_gap_generators(
        degree_, ask_gap(*this, "String(List(GeneratorsOfGroup(Stabilizer(ASEN_G, " + std::to_string(p + 1) +
                                    ")), g -> ListPerm(g, " + std::to_string(degree_) + ")))"));
  return pointwise_stabilizer({p});
}

PermGroup PermGroup::pointwise_stabilizer(const std::vector<Point>& points, Backend backend) const {
  const std::vector<Point> set = checked_point_set(points, degree_);
  if (backend == Backend::gap)
    return group_from_gap_generators(
        degree_, ask_gap(*this, "String(List(GeneratorsOfGroup(Stabilizer(ASEN_G, " +
                                    detail::gap_points(set) + ", OnTuples)), g -> ListPerm(g, " +
                                    std::to_string(degree_) + ")))"));
  if (const Natural kind = natural(); kind != Natural::none) {
    // S_n fixing these points is the symmetric group on the others, A_n the
    // alternating one: two generators each, no chain.
    std::vector<bool> fixed(degree_, false);
    for (const Point p : set) fixed[p] = true;
    std::vector<Point> rest;
    for (std::size_t x = 0; x < degree_; ++x)
      if (!fixed[x]) rest.push_back(static_cast<Point>(x));
    const std::size_t m = rest.size();
    auto cycle = [&](std::size_t from, std::size_t length) {
      std::vector<Point> images(degree_);
      std::iota(images.begin(), images.end(), Point{0});
      for (std::size_t i = 0; i < length; ++i) images[rest[from + i]] = rest[from + (i + 1) % length];
      return Permutation::from_images_no_checks(std::move(images));
    };
    std::vector<Permutation> gens;
    if (kind == Natural::symmetric && m >= 2) {
      gens.push_back(cycle(0, 2));
      if (m >= 3) gens.push_back(cycle(0, m));
    } else if (kind == Natural::alternating && m >= 3) {
      // A_m = <(r0 r1 r2), (r0 ... r_{m-1})> for odd m, <(r0 r1 r2), (r1 ... r_{m-1})> for even m.
      gens.push_back(cycle(0, 3));
      if (m >= 4) gens.push_back(m % 2 == 1 ? cycle(0, m) : cycle(1, m - 1));
    }
    const double log2 = std::lgamma(static_cast<double>(m) + 1.0) / std::log(2.0) - (kind == Natural::alternating ? 1.0 : 0.0);
    const bool alternating = kind == Natural::alternating;
    KnownOrder order(
        [m, alternating] {
          BigInt f = 1;
          for (std::size_t k = 2; k <= m; ++k) f *= k;
          return alternating && m >= 2 ? BigInt(f / 2) : f;
        },
        std::max(log2, 0.0));
    return PermGroup(degree_, std::move(gens), std::optional<KnownOrder>(std::move(order)));
  }
  const StabChain c = chain_with_base(set);
  std::optional<KnownOrder> order;  // read off a proven chain: trusted
  if (c.is_proven()) {
    BigInt o = 1;
    for (std::size_t level = set.size(); level < c.length(); ++level) o *= c.basic_orbit(level).size();
    order = KnownOrder(std::move(o));
  }
  return PermGroup(degree_, c.stabilizer_generators(set.size()), order);
}

PermGroup PermGroup::setwise_stabilizer(const std::vector<Point>& points, Backend backend) const {
  const std::vector<Point> set = checked_point_set(points, degree_);
  if (backend == Backend::native)
    throw InputError("the setwise stabilizer needs a backtrack search that asen leaves to GAP; "
                     "use the GAP backend");
  return group_from_gap_generators(
      degree_, ask_gap(*this, "String(List(GeneratorsOfGroup(Stabilizer(ASEN_G, Set(" +
                                  detail::gap_points(set) + "), OnSets)), g -> ListPerm(g, " +
                                  std::to_string(degree_) + ")))"));
}

PermGroup PermGroup::small_generating_set(Backend backend) const {
  if (backend == Backend::gap)
    return group_from_gap_generators(
        degree_, ask_gap(*this, "String(List(SmallGeneratingSet(ASEN_G), g -> ListPerm(g, " +
                                    std::to_string(degree_) + ")))"),
        known_order_);
  std::vector<Permutation> nontrivial;
  for (const auto& g : generators_)
    if (!g.is_identity()) nontrivial.push_back(g);
  if (nontrivial.size() <= 2) return PermGroup(degree_, nontrivial, known_order_);
  // Random elements until every original generator sifts to the identity
  // through their chain: that proves they generate the whole group.
  std::mt19937_64 rng(0x5ca1ab1eULL);
  const StabChain& full = chain();
  std::vector<Permutation> candidate;
  for (int attempt = 0; attempt < 64 && candidate.size() < nontrivial.size(); ++attempt) {
    candidate.push_back(full.random_element(rng));
    if (candidate.size() < 2) continue;
    StabChainOptions options;
    options.verification = ChainVerification::never;
    options.consecutive_sifts = 16;
    if (full.is_proven()) options.known_order = full.order();
    StabChain c;
    try {
      c = StabChain::build(degree_, candidate, options);
    } catch (const Interrupted&) {
      throw;
    } catch (const Error&) {
      continue;  // the candidates generate a proper subgroup
    }
    bool generates = true;
    for (const auto& g : nontrivial)
      if (!c.contains(g)) {
        generates = false;
        break;
      }
    if (generates) return PermGroup(degree_, candidate, known_order_);
  }
  return PermGroup(degree_, nontrivial, known_order_);
}

std::vector<Permutation> PermGroup::random_elements(std::size_t count, std::uint64_t seed,
                                                    Backend backend) const {
  if (backend == Backend::gap) {
    if (count == 0) return {};
    return detail::gap_permutations(
        ask_gap(*this, "ASEN_RS := RandomSource(IsMersenneTwister, " + std::to_string(seed) +
                           ");; String(List([1.." + std::to_string(count) +
                           "], i -> ListPerm(Random(ASEN_RS, ASEN_G), " + std::to_string(degree_) +
                           ")))"),
        degree_);
  }
  std::mt19937_64 rng(seed);
  std::vector<Permutation> out;
  out.reserve(count);
  const StabChain& c = chain();
  for (std::size_t k = 0; k < count; ++k) out.push_back(c.random_element(rng));
  return out;
}

std::vector<Permutation> PermGroup::elements(std::size_t limit, Backend backend) const {
  if (backend == Backend::gap) {
    const std::string answer =
        ask_gap(*this, "if Size(ASEN_G) > " + std::to_string(limit) +
                           " then ASEN_ELTS := String(Size(ASEN_G)); else ASEN_ELTS := "
                           "String(List(Elements(ASEN_G), g -> ListPerm(g, " +
                           std::to_string(degree_) + "))); fi;; ASEN_ELTS");
    if (!answer.empty() && answer[0] != '[')
      throw LimitError("the group has " + answer + " elements, more than the limit of " +
                       std::to_string(limit));
    auto out = degree_ == 0 ? std::vector<Permutation>{Permutation()}
                            : detail::gap_permutations(answer, degree_);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<Permutation> out;
  chain().for_each_element([&](const Permutation& p) { out.push_back(p); }, BigInt(limit));
  std::sort(out.begin(), out.end());
  return out;
}

PermGroup PermGroup::from_gap(std::string_view expression, std::optional<std::size_t> degree) {
  std::string expr(expression);
  // GAP input as typed at its prompt ends with ';' or ';;': not part of the
  // expression.
  while (!expr.empty() && (expr.back() == ';' || std::isspace(static_cast<unsigned char>(expr.back())) != 0))
    expr.pop_back();
  if (expr.find_first_not_of(" \t\r\n") == std::string::npos)
    throw InputError("the GAP expression after 'gap:' is empty");
  // One expression, no statements: GAP's reader resumes after a syntax
  // error at the next ';', so "X;; QUIT_GAP(0)" would still run what follows.
  {
    const std::string shown = "\"" + (expr.size() > 80 ? expr.substr(0, 77) + "..." : expr) + "\"";
    char quote = 0;
    for (std::size_t k = 0; k < expr.size(); ++k) {
      const char c = expr[k];
      if (quote != 0) {
        if (c == '\\') ++k;
        else if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#') {
        while (k < expr.size() && expr[k] != '\n') ++k;
      } else if (c == ';') {
        // Only more ';', blanks and comments after it: the end of the input.
        std::size_t rest = k;
        while (rest < expr.size()) {
          if (expr[rest] == '#') {
            while (rest < expr.size() && expr[rest] != '\n') ++rest;
          } else if (expr[rest] == ';' || std::isspace(static_cast<unsigned char>(expr[rest])) != 0) {
            ++rest;
          } else {
            break;
          }
        }
        if (rest == expr.size()) {
          expr.resize(k);
          break;
        }
        throw InputError("a gap: spec is one GAP expression, without ';' (found at position " + std::to_string(k) +
                         " of " + shown + "): write the group itself, e.g. gap:SymmetricGroup(5)");
      }
    }
  }
  // One GAP request (requests from other threads may interleave between
  // requests, never inside one). The expression stands in parentheses on
  // lines of its own: a '#' comment in it ends at its line, and GAP's
  // syntax errors quote the user's line, not the code around it. GAP goes
  // on with the statements after one that failed: ASEN_X is reset first (a
  // failed expression leaves `fail`, not the last request's group), and the
  // checks and the answer are one function, which an Error leaves at once
  // (a degree too large is refused before its generators are listed).
  const std::string n_arg = degree ? std::to_string(*degree) : "LargestMovedPoint(ASEN_X)";
  std::string answer;
  try {
    answer = gap::evaluate(
      "ASEN_X := fail;; ASEN_X := (\n" + expr + "\n)\n;; "
      "(function() local n, size; "
      "if not IsPermGroup(ASEN_X) then Error(\"the expression does not evaluate to a permutation group\"); fi; "
      "n := " + n_arg + "; "
      "if n < LargestMovedPoint(ASEN_X) then Error(\"degree \", n, \" is smaller than the largest "
      "point \", LargestMovedPoint(ASEN_X), \" moved by the GAP group\"); fi; "
      "if n > " + detail::max_degree_text() + " then Error(\"degree \", n, \" is too large, the largest is " +
      detail::max_degree_text() + "\"); fi; "
      // SymmetricGroup(n) and AlternatingGroup(n) know that they are, not yet their Size.
      "if HasSize(ASEN_X) or (HasIsNaturalSymmetricGroup(ASEN_X) and IsNaturalSymmetricGroup(ASEN_X)) or "
      "(HasIsNaturalAlternatingGroup(ASEN_X) and IsNaturalAlternatingGroup(ASEN_X)) then "
      "size := String(Size(ASEN_X)); else size := \"0\"; fi; "
      "return Concatenation(String(n), \";\", size, \";\", "
      "String(List(GeneratorsOfGroup(ASEN_X), g -> ListPerm(g, n)))); end)()");
  } catch (const GapError& e) {
    // A syntax error names its line: " in stream:N". Line 1 is asen's, the
    // expression's lines follow; an error past them (an unclosed bracket, an
    // unfinished expression) quotes asen's code, not the user's.
    const std::string text = e.what();
    const std::size_t stream = text.find(" in stream:");
    if (stream == std::string::npos) throw;
    std::size_t end = stream + std::string(" in stream:").size();
    std::size_t line = 0;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end])) != 0)
      line = std::min<std::size_t>(line * 10 + static_cast<std::size_t>(text[end++] - '0'), 1U << 30U);
    const auto expr_lines = static_cast<std::size_t>(std::count(expr.begin(), expr.end(), '\n')) + 1;
    if (line > expr_lines + 1 || text.find("ASEN_") != std::string::npos)
      throw GapError(text.substr(0, stream) + " at the end of the expression \"" +
                     (expr.size() > 80 ? expr.substr(0, 77) + "..." : expr) +
                     "\" (brackets unbalanced, or the expression unfinished?)");
    // Else GAP quotes the user's text: the wrapper's line number goes.
    throw GapError(text.substr(0, stream) + ":" + text.substr(end));
  }
  const std::size_t first = answer.find(';');
  const std::size_t second = answer.find(';', first + 1);
  if (first == std::string::npos || second == std::string::npos)
    throw Error("unexpected answer from GAP for a gap: spec: " + answer.substr(0, 200));
  const auto n = static_cast<std::size_t>(detail::gap_integer(answer.substr(0, first)));
  const BigInt size = detail::gap_integer(answer.substr(first + 1, second - first - 1));
  std::optional<KnownOrder> order;
  if (size > 0) order = KnownOrder(size);  // GAP's Size: trusted
  const std::string gens = answer.substr(second + 1);
  return PermGroup(n, n == 0 ? std::vector<Permutation>{} : detail::gap_permutations(gens, n), order);
}

}  // namespace asen::algebra
