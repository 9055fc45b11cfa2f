#include "output.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <ostream>

namespace asen::cli {
namespace {

std::string dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

void write_color_rows(std::ostream& out, const algebra::Orbitals& orbitals) {
  const std::size_t n = orbitals.degree();
  const auto& colors = orbitals.colors();
  out << '[';
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) out << ',';
    write_json_list(out, colors.data() + i * n, n);
  }
  out << ']';
}

void write_json(std::ostream& out, const Json& object) { out << dump(object); }

void write_image_lists(std::ostream& out, const std::vector<algebra::Permutation>& perms) {
  out << '[';
  for (std::size_t k = 0; k < perms.size(); ++k) {
    if (k != 0) out << ',';
    write_json_list(out, perms[k].images().data(), perms[k].images().size());
  }
  out << ']';
}

void write_orbital_list(std::ostream& out, const algebra::Orbitals& orbitals) {
  out << '[';
  bool first = true;
  for (const auto& o : orbitals.orbitals()) {
    if (!first) out << ',';
    first = false;
    out << "{\"id\":" << o.id << ",\"representative\":[" << o.rep_i << ',' << o.rep_j << "],\"size\":" << o.size
        << ",\"paired\":" << o.paired << ",\"diagonal\":" << (o.diagonal ? "true" : "false")
        << ",\"self_paired\":" << (o.self_paired ? "true" : "false") << '}';
  }
  out << ']';
}

void write_json(std::ostream& out, const JsonReply& reply) {
  if (!reply.orbitals && !reply.generators) {
    write_json(out, reply.object);
    return;
  }
  out << '{';
  bool first = true;
  for (const auto& [key, value] : reply.object.items()) {
    if (!first) out << ',';
    first = false;
    out << dump(Json(key)) << ':';
    if (key == "colors" && value.is_null() && reply.orbitals)
      write_color_rows(out, *reply.orbitals);
    else if (key == "orbitals" && value.is_null() && reply.orbitals)
      write_orbital_list(out, *reply.orbitals);
    else if (key == "generators" && value.is_null() && reply.generators)
      write_image_lists(out, *reply.generators);
    else
      out << dump(value);
  }
  out << '}';
}

std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string shorten(const std::string& text, std::size_t max_chars) {
  if (text.size() <= max_chars) return text;
  return text.substr(0, max_chars > 3 ? max_chars - 3 : 0) + "...";
}

std::string points_text(const std::vector<algebra::Point>& points, std::size_t max_points) {
  std::string out = "[";
  for (std::size_t k = 0; k < points.size() && k < max_points; ++k) {
    if (k != 0) out += ", ";
    out += std::to_string(points[k]);
  }
  if (points.size() > max_points) out += ", ... (" + std::to_string(points.size()) + " points)";
  return out + "]";
}

void print_table(std::ostream& out, const std::vector<std::string>& header, std::size_t count,
                 const std::function<std::vector<std::string>(std::size_t)>& row_at,
                 const std::vector<bool>& right_aligned, const std::string& indent) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (std::size_t k = 0; k < count; ++k) {
    const std::vector<std::string> row = row_at(k);
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string line = indent;
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
      if (c != 0) line += "  ";
      const std::string pad(width[c] - row[c].size(), ' ');
      const bool right = c < right_aligned.size() && right_aligned[c];
      line += right ? pad + row[c] : row[c] + (c + 1 < row.size() ? pad : std::string());
    }
    out << line << '\n';
  };
  print_row(header);
  for (std::size_t k = 0; k < count; ++k) print_row(row_at(k));
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right_aligned,
                 const std::string& indent) {
  print_table(
      out, header, rows.size(), [&rows](std::size_t k) { return rows[k]; }, right_aligned, indent);
}

}  // namespace asen::cli
