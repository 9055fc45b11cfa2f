#pragma once
/// \file
/// A native stabilizer chain (base and strong generating set) for permutation
/// groups, built by Schreier–Sims with explicit transversals.
///
/// GAP is slow on large groups given by many generators; this chain answers
/// exact order and membership for them in milliseconds. GAP stays the
/// reference: the tests compare every answer with it.
///
/// How the chain is built, and how its completeness is established:
///  1. every given generator is sifted and its residue added;
///  2. random elements (product replacement, seeded) are sifted until
///     `consecutive_sifts` of them in a row sift to the identity, or until the
///     order reaches `known_order`;
///  3. every given generator is sifted again (a deterministic check that the
///     chain contains the group);
///  4. completeness is then *proven* when the order equals a known order or a
///     proven upper bound, or by
///     Sims' deterministic test (every Schreier generator of every level sifts)
///     when its estimated cost is within budget, or else (with
///     `bound_when_needed`) when more random elements bring the order to a
///     bound computed only then; otherwise the chain is
///     Monte Carlo: if it were incomplete, a uniformly random element would
///     sift to the identity with probability at most 1/2, so the chance that
///     `consecutive_sifts` did is at most 2^-consecutive_sifts.
///
/// The order of an incomplete chain is always a lower bound of the group
/// order, and an element that sifts to the identity is always in the group.

#include <asen/algebra/permutation.hpp>
#include <asen/algebra/types.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <vector>

namespace asen::algebra {

/// How the completeness of a stabilizer chain was established.
enum class ChainProof {
  known_order,    ///< the order reached an order known in advance
  deterministic,  ///< Sims' test: every Schreier generator sifts
  monte_carlo,    ///< `consecutive_sifts` random elements sifted (error <= 2^-k)
  upper_bound,    ///< the order reached a proven upper bound of the group order
  jordan,         ///< the group contains A_n by Jordan's theorem (PermGroup::order_proof only)
};

/// "known-order", "deterministic", "monte-carlo", "upper-bound" or "jordan".
const char* to_string(ChainProof proof);

enum class ChainVerification {
  automatic,  ///< Sims' test when its estimated cost is within `verify_budget`
  always,     ///< always run Sims' test (exact, may be slow on large groups)
  never,      ///< stop after the random phase (Monte Carlo)
};

struct StabChainOptions {
  /// Points that come first in the base, in this order (e.g. {p} to read off
  /// the stabilizer of p).
  std::vector<Point> base_prefix;
  /// The group order when known in advance (named groups, nauty); reaching it
  /// proves the chain complete. A wrong value raises asen::Error.
  std::optional<BigInt> known_order;
  /// False for a user's claim of the order: reaching it stops the random
  /// phase, and Sims' test still runs when affordable (`verification`), so a
  /// claim below the true order raises asen::Error instead of being believed.
  bool known_order_trusted = true;
  /// A proven upper bound of the group order: the random phase goes on (up
  /// to 4x longer) while the order is below it, and reaching it proves the
  /// chain complete (ChainProof::upper_bound). Not reaching it is no error.
  std::optional<BigInt> upper_bound;
  /// Without a known order or an upper bound: when the random phase has
  /// ended and Sims' test is over `verify_budget`, compute a cheap proven
  /// upper bound of the order (orbits, block systems, parity) and go on as
  /// with `upper_bound`. Only groups that need it pay for the bound.
  bool bound_when_needed = false;
  /// Seed of the random phase; the same seed gives the same chain.
  std::uint64_t seed = 0x5eedULL;
  /// Random elements that must sift to the identity in a row.
  unsigned consecutive_sifts = 64;
  ChainVerification verification = ChainVerification::automatic;
  /// Largest estimated number of elementary steps for the automatic Sims
  /// test; ten times as many when every level keeps explicit rows (checked
  /// point by point) and no cheap upper bound proved the chain first.
  double verify_budget = 3e8;
  /// Largest memory for explicit transversal elements, in bytes (2 bytes a
  /// point up to degree 65536, else 4). Levels that would go beyond it keep a
  /// Schreier vector (a labelled tree) instead and compute transversal
  /// elements on demand: less memory, slower sifting (S_500 wr S_2 from
  /// three generators needs about 500 MiB of rows).
  std::size_t explicit_transversal_bytes = std::size_t{2048} << 20U;
  /// Give up (LimitError) if the base grows longer than this: lets callers try
  /// a chain only where it is cheap.
  std::size_t max_base_length = SIZE_MAX;
};

class StabChain {
 public:
  /// An empty chain of degree 0 (the trivial group).
  StabChain() = default;

  /// Builds the chain of the group generated by `generators` on `degree`
  /// points. \throws InputError if a generator has another degree or a base
  /// point is out of range.
  /// \complexity typically O(k n (|S| + consecutive_sifts)) for base length k,
  /// degree n and |S| strong generators, plus the Sims test when it runs.
  static StabChain build(std::size_t degree, const std::vector<Permutation>& generators,
                         const StabChainOptions& options = {});

  [[nodiscard]] std::size_t degree() const { return degree_; }
  /// The base points, one per level.
  [[nodiscard]] std::vector<Point> base() const;
  /// The number of levels (base length).
  [[nodiscard]] std::size_t length() const { return levels_.size(); }
  /// The orbit of the level's base point under the level's group
  /// (the basic orbit), in discovery order; the base point comes first.
  [[nodiscard]] const std::vector<Point>& basic_orbit(std::size_t level) const;
  /// The group order: the product of the basic orbit sizes.
  [[nodiscard]] BigInt order() const;
  /// How completeness was established.
  [[nodiscard]] ChainProof proof() const { return proof_; }
  /// True when completeness is proven (known order or Sims' test).
  [[nodiscard]] bool is_proven() const { return proof_ != ChainProof::monte_carlo; }

  /// Marks the chain proven if its order equals `bound`, an upper bound of
  /// the group order established elsewhere (its order is always a lower
  /// bound, so equality proves completeness). Returns whether it did.
  bool prove_by_upper_bound(const BigInt& bound);

  /// Membership. \throws InputError if p has another degree.
  [[nodiscard]] bool contains(const Permutation& p) const;
  /// The residue of sifting `p`, and the level at which sifting stopped
  /// (length() if it went through every level). p is in the group iff the
  /// residue is the identity.
  [[nodiscard]] std::pair<Permutation, std::size_t> sift(const Permutation& p) const;

  /// All strong generators (each fixes the base points before its level).
  [[nodiscard]] std::vector<Permutation> strong_generators() const;
  /// Strong generators of the stabilizer of the first `level` base points.
  [[nodiscard]] std::vector<Permutation> stabilizer_generators(std::size_t level) const;
  /// The transversal element of `level` that maps the base point to `point`.
  /// \throws std::out_of_range if `point` is not in the basic orbit.
  [[nodiscard]] Permutation transversal_element(std::size_t level, Point point) const;

  /// A random element: uniform when the chain is complete.
  [[nodiscard]] Permutation random_element(std::mt19937_64& rng) const;
  /// Calls `visit` for every group element (the order is that of the chain).
  /// \throws LimitError if the order exceeds `limit` (checked before visiting).
  void for_each_element(const std::function<void(const Permutation&)>& visit,
                        const BigInt& limit) const;

 private:
  struct Level {
    Point base = 0;
    std::vector<Point> orbit;           // basic orbit, base point first
    std::vector<std::int32_t> index;    // index[x]: position of x in orbit, or -1
    bool explicit_reps = true;          // false: rows are recomputed from the tree
    std::vector<Point> inverse_reps;    // orbit.size() rows of degree_: u_delta^-1
    std::vector<std::uint16_t> narrow_reps;  // the same rows when narrow(): half the memory
    std::vector<std::uint32_t> parent;  // orbit position of the point it was reached from
    std::vector<std::uint32_t> via;     // strong generator that reached it (UINT32_MAX: base)
    std::vector<std::uint32_t> gens;    // strong generators of this level's group
  };
  struct Strong {
    std::vector<Point> perm;
    std::vector<Point> inv;
  };
  class Builder;
  friend class Builder;

  // w := w * u_delta^-1 for the orbit point at `pos` of `level`.
  void apply_inverse_rep(const Level& level, std::size_t pos, Point* w) const;
  // Explicit rows hold 16-bit points (degree at most 65536).
  [[nodiscard]] bool narrow() const { return degree_ <= 65536; }

  std::size_t degree_ = 0;
  std::vector<Level> levels_;
  std::vector<Strong> strong_;
  ChainProof proof_ = ChainProof::deterministic;
};

}  // namespace asen::algebra
