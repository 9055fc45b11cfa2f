#include <asen/algebra/gap.hpp>
#include <asen/algebra/stab_chain.hpp>
#include <asen/error.hpp>
#include <asen/graph/certificate.hpp>
#include <asen/graph/colored_digraph.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <functional>
#include <future>
#include <numeric>
#include <optional>
#include <random>
#include <set>

namespace asen::graph {
namespace {

using algebra::BigInt;
using algebra::ChainProof;
using algebra::Permutation;
using algebra::PermGroup;
using algebra::StabChain;

// From this degree on, certify builds the group's stabilizer chain on a
// second thread (below it the chain takes well under a millisecond).
constexpr std::size_t kChainThreadDegree = 128;

class Stopwatch {
 public:
  explicit Stopwatch(std::vector<std::pair<std::string, double>>& out) : out_(out) {}
  void lap(const std::string& stage) {
    const auto now = std::chrono::steady_clock::now();
    out_.emplace_back(stage, std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }

 private:
  std::vector<std::pair<std::string, double>>& out_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

bool is_prime(const BigInt& p) {
  if (p < 2) return false;
  if (p > BigInt(1) << 40U) return false;  // treated as not known to be prime
  const auto q = static_cast<unsigned long long>(p);
  for (unsigned long long d = 2; d * d <= q; ++d)
    if (q % d == 0) return false;
  return true;
}

bool all_even(const std::vector<Permutation>& gens) {
  for (const auto& g : gens)
    if (g.sign() < 0) return false;
  return true;
}

}  // namespace

bool preserves(const algebra::Orbitals& orbitals, const Permutation& p) {
  const std::size_t n = orbitals.degree();
  if (p.degree() != n) return false;
  if (orbitals.is_dense()) {
    const std::int32_t* m = orbitals.colors().data();
    const algebra::Point* img = p.images().data();
    for (std::size_t i = 0; i < n; ++i) {
      const std::int32_t* row = m + i * n;
      const std::int32_t* image_row = m + static_cast<std::size_t>(img[i]) * n;
      for (std::size_t j = 0; j < n; ++j)
        if (image_row[img[j]] != row[j]) return false;
    }
    return true;
  }
  for (algebra::Point i = 0; i < n; ++i)
    for (algebra::Point j = 0; j < n; ++j)
      if (orbitals.color(p[i], p[j]) != orbitals.color(i, j)) return false;
  return true;
}

namespace {

// GAP's TwoClosure on a transitive G, compared with the certificate's order.
std::optional<CrossCheck> cross_check(const PermGroup& group, const Certificate& cert, const CertifyOptions& options) {
  if (!options.cross_check) return std::nullopt;
  CrossCheck check;
  if (!group.is_transitive()) {
    check.reason = "GAP's TwoClosure accepts transitive groups only";
  } else {
    check.performed = true;
    check.gap_two_closure_order = BigInt(algebra::gap::evaluate("String(Size(TwoClosure(" + group.to_gap() + ")))"));
    check.agrees = check.gap_two_closure_order == cert.closure_order;
  }
  return check;
}

// The canonical hash when asked for, or by default where it is cheap (and
// within the memory limit: never an error for a hash nobody asked for).
bool hash_wanted(std::size_t n, std::size_t rank, std::size_t arcs, const CertifyOptions& options) {
  return options.canonical_hash == HashPolicy::always ||
         (options.canonical_hash == HashPolicy::automatic && n <= options.hash_max_degree &&
          canonical_hash_size(n, rank) <= options.hash_max_size &&
          canonical_hash_bytes(n, rank, arcs) <= static_cast<long double>(options.orbitals.memory_limit_bytes));
}

// A group that fixes some points and moves others is certified on its moved
// points M. A fixed point f is alone in its diagonal orbital {(f, f)}, so
// G^(2) fixes it; the pairs (m, f) and (f, m) form orbitals O x {f} and
// {f} x O for the orbits O of G on M, kept by whatever keeps those orbits;
// and G's orbitals inside M x M are those of G restricted to M. So G^(2) is
// (G|M)^(2) on M and the identity on the fixed points: the work is on |M|²
// pairs, not n² (a few moved points among thousands of fixed ones).
std::optional<Certificate> certify_on_moved_points(const PermGroup& group, const CertifyOptions& options) {
  const std::size_t n = group.degree();
  const auto start = std::chrono::steady_clock::now();
  const algebra::MovedPoints restricted = group.on_moved_points();
  const std::vector<Point>& points = restricted.points;  // M, in order
  const std::size_t m = points.size();
  if (m == 0 || m == n) return std::nullopt;
  const PermGroup& on_moved = restricted.group;
  CertifyOptions inner = options;
  inner.canonical_hash = HashPolicy::never;
  inner.cross_check = false;
  const double restrict_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  Certificate cert = certify(on_moved, inner);
  auto lift = [&](const Permutation& p) {
    std::vector<Point> images(n);
    std::iota(images.begin(), images.end(), Point{0});
    for (std::size_t k = 0; k < m; ++k) images[points[k]] = points[p[static_cast<Point>(k)]];
    return Permutation(std::move(images));
  };
  for (auto& g : cert.closure_generators) g = lift(g);
  for (auto& w : cert.witnesses) w = lift(w);
  const std::size_t fixed = n - m;
  const std::size_t orbits_on_moved = on_moved.orbits().size();
  cert.degree = n;
  cert.rank += fixed * fixed + 2 * fixed * orbits_on_moved;
  cert.timings_ms.insert(cert.timings_ms.begin(), {"moved_points", restrict_ms});
  cert.cross_check = cross_check(group, cert, options);
  if (hash_wanted(n, cert.rank, n * n - n, options)) {
    // The hash is that of the whole colouring (so that it does not depend
    // on how the group was given): computed on all n points.
    const auto hash_start = std::chrono::steady_clock::now();
    algebra::OrbitalOptions dense = options.orbitals;
    dense.dense = true;
    cert.canonical_hash = canonical_hash(ColoredDigraph::from_orbitals(algebra::Orbitals::compute(group, dense)),
                                         ColorNames::ignored, options.orbitals.memory_limit_bytes);
    cert.timings_ms.emplace_back(
        "canonical_hash", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - hash_start).count());
  }
  return cert;
}

}  // namespace

Certificate certify(const PermGroup& group, const CertifyOptions& options) {
  if (auto on_moved = certify_on_moved_points(group, options)) return std::move(*on_moved);
  Certificate cert;
  Stopwatch clock(cert.timings_ms);
  const std::size_t n = group.degree();
  cert.degree = n;

  // The colour matrix, the digraph's arcs and the search graph take about
  // 48 bytes per ordered pair: refuse before allocating.
  const long double estimate = static_cast<long double>(n) * n * 48.0L;
  if (estimate > static_cast<long double>(options.orbitals.memory_limit_bytes))
    throw LimitError("certifying a group of degree " + std::to_string(n) + " needs about " +
                     std::to_string(static_cast<unsigned long long>(std::ceil(estimate / (1 << 20)))) +
                     " MiB, above the memory limit of " +
                     std::to_string(options.orbitals.memory_limit_bytes >> 20U) + " MiB");
  // The group's stabilizer chain, on its own thread where it is worth one
  // (see below).
  // An order that needs no chain: a trusted known order, or n! / n!/2 when
  // Jordan's theorem shows that G contains A_n.
  const std::optional<BigInt> chainless_order = group.order_without_chain();
  std::shared_future<BigInt> chain_order;
  if (!chainless_order && n >= kChainThreadDegree)
    chain_order = std::async(std::launch::async, [&group] { return group.chain().order(); }).share();

  algebra::OrbitalOptions orbital_options = options.orbitals;
  orbital_options.dense = true;
  const algebra::Orbitals orbitals = algebra::Orbitals::compute(group, orbital_options);
  cert.rank = orbitals.rank();
  clock.lap("orbitals");

  const ColoredDigraph digraph = ColoredDigraph::from_orbitals(orbitals);
  clock.lap("digraph");

  // A divisor of |G| (hence of |G^(2)|): the known order, or the order of the
  // group's stabilizer chain (a product of full basic orbit sizes divides |G|
  // even when the random phase stopped early). On large degrees the chain is
  // built on a second thread, started before the orbitals, while the
  // orbitals, the digraph and the search run; "group_order" is then the time
  // spent waiting for it.
  // A user's claimed order is not trusted: the chain checks it.
  const bool known = chainless_order.has_value();
  AutomorphismOptions aut_options;
  aut_options.backend = options.backend;
  // The colour matrix, the digraph and its arcs stay alive meanwhile.
  const long double held = static_cast<long double>(n) * n * 24.0L;
  aut_options.memory_limit_bytes =
      held >= static_cast<long double>(options.orbitals.memory_limit_bytes)
          ? 0
          : options.orbitals.memory_limit_bytes - static_cast<std::size_t>(held);
  double waited_ms = 0;
  auto wait_for = [&waited_ms](std::shared_future<BigInt>& order) {
    const auto start = std::chrono::steady_clock::now();
    BigInt value = order.get();
    waited_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return value;
  };
  if (known) {
    aut_options.order_divisor = *chainless_order;
    clock.lap("group_order");
  } else if (!chain_order.valid()) {
    aut_options.order_divisor = group.chain().order();
    clock.lap("group_order");
  } else {
    aut_options.order_divisor_source = [&] { return wait_for(chain_order); };
  }
  const AutomorphismGroup aut = automorphism_group(digraph, aut_options);
  const BigInt divisor = aut_options.order_divisor ? *aut_options.order_divisor : wait_for(chain_order);
  cert.closure_order = aut.order;
  cert.closure_generators = aut.generators;
  cert.backend = aut.backend;
  cert.search_nodes = aut.search_nodes;
  clock.lap("automorphisms");
  if (chain_order.valid()) {
    // The wait happened inside the search's lap: report it as its own stage.
    cert.timings_ms.back().second -= waited_ms;
    cert.timings_ms.insert(cert.timings_ms.end() - 1, {"group_order", waited_ms});
  }

  // G <= Aut(A²): every generator of G preserves the colouring; and every
  // closure generator does too (a check on the search).
  // A colouring that tells only the orbits apart (one colour per pair of
  // orbits besides the diagonal: S_n, A_n, any 2-transitive group, their
  // direct products) is preserved by exactly the permutations that map every
  // orbit onto itself: checked point by point instead of pair by pair.
  const std::vector<std::vector<algebra::Point>> orbits = group.orbits();
  std::size_t orbit_only_rank = orbits.size() * orbits.size();
  std::vector<std::size_t> orbit_of(n);
  for (std::size_t k = 0; k < orbits.size(); ++k) {
    if (orbits[k].size() > 1) ++orbit_only_rank;
    for (const algebra::Point x : orbits[k]) orbit_of[x] = k;
  }
  const bool orbit_only = cert.rank == orbit_only_rank;
  const auto keeps_coloring = [&](const Permutation& p) {
    if (!orbit_only) return preserves(orbitals, p);
    for (std::size_t x = 0; x < n; ++x)
      if (orbit_of[p[static_cast<algebra::Point>(x)]] != orbit_of[x]) return false;
    return true;
  };
  std::set<Permutation> distinct(group.generators().begin(), group.generators().end());
  // Many generators on many points: check a small generating set instead
  // (proven to generate the same group; if it preserves the colouring, so
  // does every element, the given generators included).
  if (!orbit_only && static_cast<long double>(distinct.size()) * n * n > 5e7L && distinct.size() > 3) {
    const PermGroup small = group.small_generating_set();
    if (small.generators().size() < distinct.size()) distinct = std::set<Permutation>(small.generators().begin(), small.generators().end());
  }
  for (const auto& g : distinct) cert.generators_preserve_coloring = cert.generators_preserve_coloring && keeps_coloring(g);
  for (const auto& g : cert.closure_generators) cert.closure_preserves_coloring = cert.closure_preserves_coloring && keeps_coloring(g);
  if (!cert.generators_preserve_coloring || !cert.closure_preserves_coloring)
    throw Error("internal error: the orbital colouring is not preserved by a generator");
  clock.lap("checks");

  if (divisor > cert.closure_order || cert.closure_order % divisor != 0)
    throw Error("internal error: the group order " + algebra::to_decimal(divisor) + " does not divide its closure order " +
                algebra::to_decimal(cert.closure_order));
  if (divisor == cert.closure_order) {
    // D <= |G| <= |G^(2)| = D.
    cert.order = divisor;
    cert.order_proof = known ? algebra::to_string(group.order_proof()) : group.chain().is_proven() ? algebra::to_string(group.chain().proof())
                                                                           : "closure-order";
    cert.two_closed = true;
    cert.proven = true;
  } else {
    cert.two_closed = false;
    // Witnesses: closure generators outside G, then random closure elements
    // outside G. An odd permutation is outside a group of even generators
    // (A_n and its like: no sifting); anything else is sifted through G's
    // chain. The closure's own chain (costly for a closure S_n given by
    // n - 1 generators) is built only when the generators gave too few.
    const bool even = all_even(group.generators());
    const auto outside_by_parity = [&](const Permutation& x) { return even && x.sign() < 0; };
    const auto outside = [&](const Permutation& x) { return outside_by_parity(x) || !group.contains(x); };
    const std::size_t wanted = std::max<std::size_t>(1, options.max_witnesses);
    // The odd generators first: they need no chain.
    for (const auto& x : cert.closure_generators)
      if (cert.witnesses.size() < wanted && outside_by_parity(x)) cert.witnesses.push_back(x);
    if (even && !cert.witnesses.empty() && cert.witnesses.size() < wanted) {
      // More odd elements of the closure, still without a chain: products of
      // the witnesses with the closure generators, breadth first, a bounded
      // number of them.
      std::set<Permutation> seen(cert.witnesses.begin(), cert.witnesses.end());
      std::deque<Permutation> queue(cert.witnesses.begin(), cert.witnesses.end());
      std::size_t budget = 16 * wanted + 64;
      while (!queue.empty() && cert.witnesses.size() < wanted && budget > 0) {
        const Permutation x = queue.front();
        queue.pop_front();
        for (const auto& h : cert.closure_generators) {
          if (cert.witnesses.size() >= wanted || budget == 0) break;
          --budget;
          Permutation y = x * h;
          if (!seen.insert(y).second) continue;
          if (outside_by_parity(y)) cert.witnesses.push_back(y);
          queue.push_back(std::move(y));
        }
      }
    }
    for (const auto& x : cert.closure_generators)
      if (cert.witnesses.size() < wanted && !outside_by_parity(x) && outside(x)) cert.witnesses.push_back(x);
    if (cert.witnesses.size() < wanted) {
      std::mt19937_64 rng(0x3b17ULL);
      // A closure of order n! is S_n (that of every 2-transitive group:
      // PGL(2,p), AGL(1,p)): uniform elements by shuffling, where a chain of
      // S_n on n - 1 generators took minutes and gigabytes at n = 1500. (No
      // 2-closure is A_n, n >= 4: A_n's own closure is S_n.)
      const std::size_t degree = group.degree();
      // n! only when the closure's size is near it (log2 n! from lgamma).
      const double log2_order = static_cast<double>(boost::multiprecision::msb(cert.closure_order));
      const double log2_symmetric = std::lgamma(static_cast<double>(degree) + 1.0) / std::log(2.0);
      const bool is_symmetric = degree >= 2 && std::abs(log2_order - log2_symmetric) < 3.0 &&
                                cert.closure_order == algebra::factorial(degree);
      std::function<Permutation()> random_element;
      std::optional<PermGroup> closure;
      if (is_symmetric) {
        random_element = [&] {
          std::vector<Point> images(degree);
          std::iota(images.begin(), images.end(), Point{0});
          std::shuffle(images.begin(), images.end(), rng);
          return Permutation(std::move(images));
        };
      } else {
        closure = aut.group();
        random_element = [&] { return closure->chain().random_element(rng); };
      }
      for (int tries = 0; tries < 200 && cert.witnesses.size() < wanted; ++tries) {
        const Permutation x = random_element();
        if (outside(x) && std::find(cert.witnesses.begin(), cert.witnesses.end(), x) == cert.witnesses.end())
          cert.witnesses.push_back(x);
      }
    }
    if (cert.witnesses.empty())
      throw Error("internal error: no element of the 2-closure outside the group was found although the orders differ");
    for (const auto& x : cert.witnesses)
      cert.closure_preserves_coloring = cert.closure_preserves_coloring && keeps_coloring(x);
    if (known) {
      // A trusted order: exact, and below |G^(2)|.
      cert.order = divisor;
      cert.order_proof = algebra::to_string(group.order_proof());
      cert.proven = true;
    } else {
      // A witness is proven outside G by a proven chain, or by parity when G
      // is even and the witness odd.
      const StabChain& chain = group.chain();
      const BigInt lower = chain.order();
      const bool parity = even && cert.witnesses.front().sign() < 0;
      const BigInt ratio = cert.closure_order / lower;
      cert.order = lower;
      if (chain.is_proven()) {
        cert.order_proof = algebra::to_string(chain.proof());
        cert.proven = true;
      } else if (parity && is_prime(ratio)) {
        // |G| is a multiple of L dividing p L, and G != G^(2): |G| = L.
        cert.order_proof = "prime-index";
        cert.proven = true;
      } else {
        cert.order_proof = "monte-carlo";
        cert.proven = false;
      }
    }
    clock.lap("witnesses");
  }
  cert.index = cert.closure_order / cert.order;

  if (options.cross_check) {
    cert.cross_check = cross_check(group, cert, options);
    clock.lap("cross_check");
  }
  if (hash_wanted(n, cert.rank, digraph.num_arcs(), options)) {
    cert.canonical_hash = canonical_hash(digraph, ColorNames::ignored, options.orbitals.memory_limit_bytes);
    clock.lap("canonical_hash");
  }
  return cert;
}

}  // namespace asen::graph
