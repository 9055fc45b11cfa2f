#include "matrix_files.hpp"

#include "atomic_file.hpp"

#include <asen/error.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <vector>

namespace asen::cli {

MatrixFormat matrix_format_for(const std::string& path) {
  refuse_directory_target(path);
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".npy") return MatrixFormat::npy;
  if (ext == ".csv") return MatrixFormat::csv;
  if (ext == ".json") return MatrixFormat::json;
  throw InputError("cannot write '" + path + "': unknown extension '" + ext +
                   "', expected .npy, .csv or .json");
}

namespace {

constexpr std::size_t kNpyPreamble = 10;  // magic (6) + version (2) + header length (2)

// The header's dict literal: shape in Python tuple syntax, (), (n,), (a, b).
std::string npy_dict(const std::string& descr, const std::vector<std::size_t>& shape) {
  std::string text = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (k != 0) text += ", ";
    text += std::to_string(shape[k]);
  }
  if (shape.size() == 1) text += ',';
  return text + "), }";
}

std::size_t npy_header_size(const std::string& descr, const std::vector<std::size_t>& shape) {
  // The dict, padded with spaces and ended by '\n' so that the data starts
  // at a multiple of 64 bytes (a few hundred bytes at most for our arrays,
  // far below the 64 KiB that format 1.0 allows).
  return (kNpyPreamble + npy_dict(descr, shape).size() + 1 + 63) / 64 * 64;
}

}  // namespace

void write_npy_header(std::ostream& out, const std::string& descr, const std::vector<std::size_t>& shape) {
  // Format 1.0: magic, version, little-endian uint16 header length, then
  // the padded dict literal.
  std::string header = npy_dict(descr, shape);
  header.append(npy_header_size(descr, shape) - kNpyPreamble - header.size() - 1, ' ');
  header += '\n';
  const auto length = static_cast<std::uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(length & 0xFFU));
  out.put(static_cast<char>(length >> 8U));
  out << header;
}

void write_npy(std::ostream& out, const algebra::Orbitals& orbitals) {
  const std::size_t n = orbitals.degree();
  write_npy_header(out, "<i4", {n, n});

  // The data, little-endian whatever the host, a row at a time.
  const auto& colors = orbitals.colors();
  std::vector<char> row(4 * n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const auto v = static_cast<std::uint32_t>(colors[i * n + j]);
      for (std::size_t b = 0; b < 4; ++b) row[4 * j + b] = static_cast<char>((v >> (8 * b)) & 0xFFU);
    }
    out.write(row.data(), static_cast<std::streamsize>(row.size()));
  }
}

void write_csv(std::ostream& out, const algebra::Orbitals& orbitals) {
  const std::size_t n = orbitals.degree();
  const auto& colors = orbitals.colors();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (j != 0) out << ',';
      out << colors[i * n + j];
    }
    out << '\n';
  }
}

void save_colors(const std::string& path, MatrixFormat format, const JsonReply& reply) {
  if (!reply.orbitals) throw Error("internal error: no colour matrix to write to '" + path + "'");
  AtomicFile file(path);
  switch (format) {
    case MatrixFormat::npy:
      write_npy(file.stream(), *reply.orbitals);
      break;
    case MatrixFormat::csv:
      write_csv(file.stream(), *reply.orbitals);
      break;
    case MatrixFormat::json:
      write_json(file.stream(), reply);
      file.stream() << '\n';
      break;
  }
  file.commit();
}

}  // namespace asen::cli
