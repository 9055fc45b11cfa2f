#pragma once
// Colour matrices on disk (`asen orbitals --out FILE`), chosen by extension:
//   .npy   numpy format 1.0, dtype '<i4', C order, shape (n, n)
//   .csv   n lines of n comma-separated integers
//   .json  the `--json` object with "colors" included
// Files are written atomically (see atomic_file.hpp).

#include "output.hpp"

#include <asen/algebra/orbitals.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace asen::cli {

enum class MatrixFormat { npy, csv, json };

/// The format for `path`'s extension (case-insensitive).
/// \throws InputError for any other extension, listing the known ones.
MatrixFormat matrix_format_for(const std::string& path);

/// Writes the header of a version 1.0 .npy file for a C-order array of
/// numpy type `descr` ("<i4", "<i8", "|b1") and `shape` ({} for a scalar);
/// the data (little-endian) must follow.
void write_npy_header(std::ostream& out, const std::string& descr, const std::vector<std::size_t>& shape);

/// Writes the colour matrix as a version 1.0 .npy file.
void write_npy(std::ostream& out, const algebra::Orbitals& orbitals);
/// Writes the colour matrix as CSV, one row per line.
void write_csv(std::ostream& out, const algebra::Orbitals& orbitals);

/// Writes `reply` (whose `colors` must be set) to `path` in `format`, atomically.
/// \throws InputError if the file cannot be created, asen::Error if writing fails.
void save_colors(const std::string& path, MatrixFormat format, const JsonReply& reply);

}  // namespace asen::cli
