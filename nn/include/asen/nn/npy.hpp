#pragma once
/// \file
/// NumPy `.npy` files, read without LibTorch: the arrays of a user's data
/// folder (graph_data.hpp) come in this format.
///
/// Accepted: format versions 1.0, 2.0 and 3.0; little-endian (or one-byte)
/// numbers: floats `f4` `f8`, signed `i1` `i2` `i4` `i8`, unsigned `u1` `u2`
/// `u4` `u8`, and `b1` (bool); C order, or Fortran order (reordered to C
/// order on reading). Refused, with a message saying so: big-endian data,
/// other dtypes (half floats, complex, strings, objects, structured records)
/// and files that are truncated, too long or have a malformed header.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace asen::nn {

/// An array read from a `.npy` file: its shape and its elements in C order.
class NpyArray {
 public:
  enum class Kind { floating, signed_integer, unsigned_integer, boolean };

  /// Parses the bytes of a `.npy` file; `source` names it in error messages.
  /// \throws InputError naming `source` and what is wrong.
  static NpyArray parse(std::string_view bytes, const std::string& source = "<npy>");
  /// Reads a `.npy` file. \throws InputError naming the file when it cannot
  /// be read or is not a `.npy` file this reader accepts.
  static NpyArray read(const std::string& path);

  [[nodiscard]] Kind kind() const { return kind_; }
  /// True for floats; false for integers and bools.
  [[nodiscard]] bool is_floating() const { return kind_ == Kind::floating; }
  /// The dtype as NumPy wrote it, e.g. "<f4".
  [[nodiscard]] const std::string& descr() const { return descr_; }
  [[nodiscard]] std::size_t item_size() const { return item_size_; }
  [[nodiscard]] const std::vector<std::int64_t>& shape() const { return shape_; }
  [[nodiscard]] std::size_t ndim() const { return shape_.size(); }
  [[nodiscard]] std::int64_t size() const;
  /// The shape as text, e.g. "(100, 16, 3)".
  [[nodiscard]] std::string shape_string() const;
  /// numpy's index of the item at `flat` (C order), e.g. "[3, 5]".
  [[nodiscard]] std::string index_string(std::size_t flat) const;

  /// The elements as doubles, in C order (large 64-bit integers round).
  [[nodiscard]] std::vector<double> to_doubles() const;
  /// The elements as integers, in C order.
  /// \throws InputError naming the file for a float that is not a whole
  /// number (or NaN), or an unsigned value above INT64_MAX.
  [[nodiscard]] std::vector<std::int64_t> to_int64() const;

 private:
  std::string source_;
  Kind kind_ = Kind::floating;
  std::string descr_;
  std::size_t item_size_ = 0;
  std::vector<std::int64_t> shape_;
  std::string data_;  ///< little-endian items in C order
};

}  // namespace asen::nn
