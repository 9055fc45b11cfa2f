#pragma once
/// \file
/// Orbitals: the orbits of a permutation group on ordered pairs of points
/// (the paper's Algorithm 1), for any group — transitive or not, with fixed
/// points or not — computed natively, without GAP.
///
/// Colours are numbered canonically: by the first appearance of a pair in
/// row-major order of (i, j). Two computations for the same group give
/// identical colourings whatever the generators.
///
/// Two methods give exactly the same colouring:
///  - union-find over the n² pairs, one union per pair and generator
///    (O(r n²) for r generators; the reference);
///  - the stabilizer-chain method: for each point orbit O with smallest point
///    a, colour(i, j) is the orbit of the point stabilizer G_a containing
///    t_i^-1(j), where t_i maps a to i. Dense, it starts from candidate
///    classes of G_a (orbits of random elements of G_a, a refinement of the
///    true ones), colours a row per point from its parent's row in a spanning
///    tree of O, and checks every other generator edge while both its rows
///    are in cache (Schreier's lemma), merging candidates where one fails, so
///    the result is exact whatever the random draw. Implicit, it colours any
///    list of pairs without the n² matrix.

#include <asen/algebra/perm_group.hpp>
#include <asen/algebra/types.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace asen::algebra {

/// std::allocator, except that a new element without an initial value is
/// left uninitialised: the colour matrix is written in full right after it
/// is allocated, so a first pass writing zeros would be wasted.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>& /*other*/) noexcept {}
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible<U>::value) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// The n×n colour matrix, row-major.
using ColorMatrix = std::vector<std::int32_t, UninitializedAllocator<std::int32_t>>;

/// One orbital (orbit on ordered pairs).
struct OrbitalInfo {
  std::int32_t id = 0;
  /// The first pair of the orbital in row-major order.
  Point rep_i = 0;
  Point rep_j = 0;
  /// The number of pairs.
  std::uint64_t size = 0;
  /// The orbital of the reversed pairs (j, i).
  std::int32_t paired = 0;
  /// True for an orbital of pairs (i, i).
  bool diagonal = false;
  /// True when the orbital is its own pair (paired == id).
  bool self_paired = false;
};

enum class OrbitalMethod {
  automatic,         ///< union-find for tiny inputs (r n² <= 2e5), else the stabilizer-chain method
  stabilizer_chain,  ///< see the file comment
  union_find,        ///< union-find over the n² pairs (dense only)
};

struct OrbitalOptions {
  OrbitalMethod method = OrbitalMethod::automatic;
  /// Build the n×n colour matrix. Without it, colours are computed per pair.
  bool dense = true;
  /// Largest memory for the n×n matrix (and union-find's work array), in
  /// bytes; checked before allocating.
  std::size_t memory_limit_bytes = std::size_t{4} << 30U;
};

class Orbitals {
 public:
  /// The orbitals of `group`.
  /// \throws LimitError if the dense matrix would exceed the memory limit
  /// (before allocating); InputError for union_find without `dense`.
  /// \complexity dense: O(r n²) for r generators, one writing pass over the
  /// matrix plus the checks on rows still in cache (a second pass only when a
  /// candidate class had to be merged); implicit: O(r n²) time for the
  /// checks, skipped when a known group order proves a cheap chain, and
  /// memory for three layers of rows of a spanning tree (a chain's explicit
  /// transversal rows stay within a quarter of memory_limit_bytes).
  static Orbitals compute(const PermGroup& group, const OrbitalOptions& options = {});

  [[nodiscard]] std::size_t degree() const { return degree_; }
  /// The number of orbitals (the rank, for a transitive group).
  [[nodiscard]] std::size_t rank() const { return info_.size(); }
  /// The orbitals, by id.
  [[nodiscard]] const std::vector<OrbitalInfo>& orbitals() const { return info_; }
  /// True if the n×n matrix was built.
  [[nodiscard]] bool is_dense() const { return !colors_.empty() || degree_ == 0; }

  /// The colour of (i, j). \throws std::out_of_range for a bad point.
  [[nodiscard]] std::int32_t color(Point i, Point j) const;
  /// The colours of many pairs (dense: a lookup; implicit: computed).
  /// \throws std::out_of_range for a bad point.
  [[nodiscard]] std::vector<std::int32_t> colors_of(
      const std::vector<std::pair<Point, Point>>& pairs) const;
  /// The n×n matrix, row-major. Empty when not dense. Valid while this
  /// object lives.
  [[nodiscard]] const ColorMatrix& colors() const { return colors_; }
  /// The colour of each diagonal pair (i, i): the orbit colouring A^(1).
  [[nodiscard]] std::vector<std::int32_t> diagonal_colors() const;

  /// True if these are the orbitals computed for `group`'s degree and
  /// generators (compared by a 64-bit hash of their images): what a function
  /// given a group and "its" orbitals checks.
  [[nodiscard]] bool computed_for(const PermGroup& group) const;

 private:
  struct Implicit;
  std::int32_t color_no_checks(Point i, Point j) const;

  std::size_t degree_ = 0;
  std::vector<OrbitalInfo> info_;
  ColorMatrix colors_;
  std::shared_ptr<const Implicit> implicit_;
  std::uint64_t generators_hash_ = 0;
};

}  // namespace asen::algebra
