#pragma once
// JSON and text output helpers shared by the subcommands. Points are
// 0-based in JSON and in text; only cycle notation is 1-based, as in GAP.

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/permutation.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <ostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asen::cli {

/// JSON objects keep their members in insertion order, so the output reads
/// in the documented order ("line" and "id" first in batch output).
using Json = nlohmann::ordered_json;

/// A JSON object to print, optionally with orbitals and a colour matrix. They
/// are not copied into `object` (an n×n nlohmann array costs ~4x the matrix,
/// an orbital's record about 1 KiB): `object` holds a null "colors" member
/// and a null "orbitals" member as placeholders, and the writer streams
/// `orbitals`' matrix there as an n×n nested list and its records as a list
/// of {"id", "representative", "size", "paired", "diagonal", "self_paired"}.
struct JsonReply {
  Json object = Json::object();
  std::optional<algebra::Orbitals> orbitals;
  /// Likewise a null "generators" member and the permutations it stands for,
  /// written as 0-based image lists (as an nlohmann array they cost ~5x the
  /// images: gigabytes for a product of thousands of factors).
  std::optional<std::vector<algebra::Permutation>> generators;
};

/// Writes `reply` as compact JSON on one line (no trailing newline). Invalid
/// UTF-8 in strings is replaced, never thrown.
void write_json(std::ostream& out, const JsonReply& reply);
void write_json(std::ostream& out, const Json& object);

/// Writes `count` integers from `data` as a JSON list (booleans with
/// `as_bool`), streamed.
template <typename T>
void write_json_list(std::ostream& out, const T* data, std::size_t count, bool as_bool = false) {
  out << '[';
  for (std::size_t k = 0; k < count; ++k) {
    if (k != 0) out << ',';
    if (as_bool)
      out << (data[k] != 0 ? "true" : "false");
    else
      out << static_cast<long long>(data[k]);
  }
  out << ']';
}

/// Writes permutations as a JSON list of 0-based image lists.
void write_image_lists(std::ostream& out, const std::vector<algebra::Permutation>& perms);

/// Writes the records of `orbitals` as a JSON list of objects.
void write_orbital_list(std::ostream& out, const algebra::Orbitals& orbitals);

/// Writes the n×n colour matrix of `orbitals` as a nested JSON list.
void write_color_rows(std::ostream& out, const algebra::Orbitals& orbitals);

/// `text` on one line: line breaks and tabs become spaces, runs of spaces
/// collapse, ends are trimmed (GAP's messages span several lines).
std::string one_line(std::string_view text);

/// `text` cut to at most `max_chars` characters, with "..." when cut.
std::string shorten(const std::string& text, std::size_t max_chars);

/// A point list for text output: "[0, 1, 2]", or its first points and
/// "... (N points)" when it is longer than `max_points`.
std::string points_text(const std::vector<algebra::Point>& points, std::size_t max_points = 16);

/// Prints an aligned table: a header row, then one line per row; columns
/// are separated by two spaces and left-aligned, or right-aligned where
/// `right_aligned[column]` is true.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right_aligned,
                 const std::string& indent = "");
/// The same with rows made one at a time by `row_at(k)`, k < count (twice:
/// once for the widths), so that a long table is not held in memory.
void print_table(std::ostream& out, const std::vector<std::string>& header, std::size_t count,
                 const std::function<std::vector<std::string>(std::size_t)>& row_at,
                 const std::vector<bool>& right_aligned, const std::string& indent = "");

/// "yes" or "no".
inline const char* yes_no(bool value) { return value ? "yes" : "no"; }

}  // namespace asen::cli
