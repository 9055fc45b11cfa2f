#pragma once
/// \file
/// Certified 2-closures: for any permutation group G (transitive or not,
/// with fixed points or not), the automorphism group Aut(A²) of its orbital
/// colouring A² is the 2-closure G^(2) >= G. certify() computes it with
/// nauty or Traces, gives exact orders, the index [G^(2):G], whether G is
/// 2-closed, generators of G^(2), and witnesses in G^(2) \ G when it is not —
/// each checked — and says how every claim was established.

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/graph/automorphisms.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace asen::graph {

/// When to compute the canonical hash of the colouring (its canonical form
/// costs more than the certificate itself on large degrees).
enum class HashPolicy {
  automatic,  ///< for degrees up to `hash_max_degree`
  always,
  never,
};

struct CertifyOptions {
  AutomorphismBackend backend = AutomorphismBackend::automatic;
  /// Also ask GAP for TwoClosure(G) (transitive G only) and compare.
  bool cross_check = false;
  /// The most witnesses to return when G is not 2-closed (at least one).
  std::size_t max_witnesses = 3;
  HashPolicy canonical_hash = HashPolicy::automatic;
  /// HashPolicy::automatic hashes when the degree is at most this and the
  /// hash's search graph (canonical_hash_size) at most hash_max_size.
  std::size_t hash_max_degree = 256;
  std::size_t hash_max_size = std::size_t{1} << 17U;
  algebra::OrbitalOptions orbitals;
};

struct CrossCheck {
  bool performed = false;
  /// Why it was not performed (GAP's TwoClosure needs a transitive group).
  std::string reason;
  algebra::BigInt gap_two_closure_order = 0;
  bool agrees = false;
};

struct Certificate {
  std::size_t degree = 0;
  /// |G| and how it is known: "known-order", "jordan" (G contains A_n by
  /// Jordan's theorem), "deterministic" (Sims' test), "upper-bound",
  /// "closure-order" (a divisor of |G| reached |G^(2)|), "prime-index"
  /// (a proven witness and a prime ratio), or "monte-carlo".
  algebra::BigInt order = 1;
  std::string order_proof;
  std::size_t rank = 0;
  /// |G^(2)| = |Aut(A²)|, exact.
  algebra::BigInt closure_order = 1;
  algebra::BigInt index = 1;
  bool two_closed = true;
  /// True when two_closed, index and order are proven (not Monte Carlo).
  bool proven = true;
  std::vector<algebra::Permutation> closure_generators;
  /// Elements of G^(2) \ G (at least one when not 2-closed), each checked to
  /// preserve the colouring and not to lie in G.
  std::vector<algebra::Permutation> witnesses;
  /// Every generator of G preserves the colouring (G <= Aut(A²)). Checked on
  /// each given generator, or, when they are many and the degree large, on
  /// a small generating set proven to generate the same group.
  bool generators_preserve_coloring = true;
  /// Every closure generator and witness preserves the colouring.
  bool closure_preserves_coloring = true;
  std::string canonical_hash;
  std::optional<CrossCheck> cross_check;
  std::string backend;
  unsigned long search_nodes = 0;
  /// Milliseconds per stage, in order.
  std::vector<std::pair<std::string, double>> timings_ms;
};

/// Certifies the 2-closure of `group`. \throws LimitError if the colour
/// matrix and the search graph would exceed the memory limit (checked before
/// allocating); GapError from the cross-check.
[[nodiscard]] Certificate certify(const algebra::PermGroup& group, const CertifyOptions& options = {});

/// True if `p` preserves the colouring: colour(p(i), p(j)) == colour(i, j) for all pairs.
[[nodiscard]] bool preserves(const algebra::Orbitals& orbitals, const algebra::Permutation& p);

}  // namespace asen::graph
