#pragma once
/// \file
/// Permutations of {0, ..., n-1}, stored as 0-based image lists.
///
/// Products follow GAP's convention (right actions): `p * q` applies p first
/// and then q, so `(p * q)(x) == q(p(x))`. Cycle notation is GAP's and
/// 1-based: the string "(1,2,3)" is the permutation 0 -> 1 -> 2 -> 0.

#include <asen/algebra/types.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asen::algebra {

class Permutation {
 public:
  /// The identity of degree 0.
  Permutation() = default;

  /// The identity of degree n.
  explicit Permutation(std::size_t n);

  /// The permutation x -> images[x].
  /// \throws InputError if `images` is not a bijection of {0..n-1}; the
  /// message names the offending index and value.
  explicit Permutation(std::vector<Point> images);

  /// Takes `images` as given. The caller guarantees it is a bijection.
  static Permutation from_images_no_checks(std::vector<Point> images);

  /// Parses GAP cycle notation, 1-based: "(1,2,3)(4,5)", "()" for the
  /// identity. Whitespace is ignored. The degree is `degree` when given,
  /// otherwise the largest point written.
  /// \throws InputError naming the offending token and its 0-based character
  /// position: empty or truncated string, a non-number, point 0 or a point
  /// above `degree`, a point repeated in a cycle or in two cycles.
  static Permutation parse_cycles(std::string_view text,
                                  std::optional<std::size_t> degree = std::nullopt);

  /// Parses a JSON list of 0-based images: "[1,0,2]".
  /// \throws InputError for a non-number, an image out of range, a repeated
  /// image, a length that differs from `degree` (when given), a truncated list.
  static Permutation parse_images(std::string_view text,
                                  std::optional<std::size_t> degree = std::nullopt);

  /// Parses either notation: a string starting with '[' is an image list,
  /// anything else cycle notation.
  static Permutation parse(std::string_view text, std::optional<std::size_t> degree = std::nullopt);

  /// The number of points acted on.
  [[nodiscard]] std::size_t degree() const { return images_.size(); }

  /// The image of `x`. \throws std::out_of_range if x >= degree().
  [[nodiscard]] Point apply(Point x) const;
  /// The image of `x`, unchecked.
  [[nodiscard]] Point operator[](Point x) const { return images_[x]; }

  /// The image list: images()[x] is the image of x.
  [[nodiscard]] const std::vector<Point>& images() const { return images_; }

  /// Product in GAP's order: `(*this * rhs)(x) == rhs(this(x))`.
  /// \throws InputError if the degrees differ.
  [[nodiscard]] Permutation operator*(const Permutation& rhs) const;
  /// The inverse permutation.
  [[nodiscard]] Permutation inverse() const;
  /// The k-th power, k may be negative.
  [[nodiscard]] Permutation pow(long long k) const;

  /// True for the identity.
  [[nodiscard]] bool is_identity() const;
  /// The order (lcm of the cycle lengths), exact.
  [[nodiscard]] BigInt order() const;
  /// +1 for an even permutation, -1 for an odd one.
  [[nodiscard]] int sign() const;
  /// The number of points moved.
  [[nodiscard]] std::size_t support_size() const;
  /// The non-trivial cycles, each starting at its smallest point, ordered by
  /// that point.
  [[nodiscard]] std::vector<std::vector<Point>> cycles() const;
  /// GAP cycle notation, 1-based: "(1,2,3)(4,5)", "()" for the identity.
  [[nodiscard]] std::string to_cycle_string() const;
  /// The same permutation on `n >= degree()` points (new points fixed).
  /// \throws InputError if n < degree().
  [[nodiscard]] Permutation extended(std::size_t n) const;

  friend bool operator==(const Permutation& a, const Permutation& b) {
    return a.images_ == b.images_;
  }
  friend bool operator!=(const Permutation& a, const Permutation& b) { return !(a == b); }
  /// Lexicographic order of the image lists (GAP's order on permutations of
  /// equal degree).
  friend bool operator<(const Permutation& a, const Permutation& b) {
    return a.images_ < b.images_;
  }

 private:
  std::vector<Point> images_;
};

/// Validates that `images` is a bijection of {0..n-1}.
/// \throws InputError naming the first offending index.
void check_bijection(const std::vector<Point>& images);

}  // namespace asen::algebra

template <>
struct std::hash<asen::algebra::Permutation> {
  std::size_t operator()(const asen::algebra::Permutation& p) const noexcept;
};
