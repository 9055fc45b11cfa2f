#include "gap_values.hpp"

#include <asen/error.hpp>

#include <cctype>

namespace asen::algebra::detail {
namespace {

[[noreturn]] void unexpected(const std::string& text, const char* what) {
  throw Error(std::string("unexpected answer from GAP (expected ") + what + "): " +
              text.substr(0, 200));
}

}  // namespace

bool gap_bool(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  unexpected(text, "true or false");
}

BigInt gap_integer(const std::string& text) {
  std::size_t start = 0;
  if (!text.empty() && text[0] == '-') start = 1;
  if (text.size() == start) unexpected(text, "an integer");
  for (std::size_t k = start; k < text.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(text[k]))) unexpected(text, "an integer");
  return BigInt(text);
}

std::vector<std::vector<long long>> gap_int_lists(const std::string& text) {
  // GAP prints ranges compactly: "[ 1 .. 8 ]" and "[ 1, 3 .. 9 ]".
  std::vector<std::vector<long long>> out;
  std::size_t k = 0;
  auto skip = [&] {
    while (k < text.size() && (std::isspace(static_cast<unsigned char>(text[k])) || text[k] == '\\'))
      ++k;
  };
  auto integer = [&] {
    skip();
    bool negative = false;
    if (k < text.size() && text[k] == '-') {
      negative = true;
      ++k;
    }
    if (k >= text.size() || !std::isdigit(static_cast<unsigned char>(text[k]))) unexpected(text, "integers");
    long long v = 0;
    while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) v = v * 10 + (text[k++] - '0');
    return negative ? -v : v;
  };
  auto range_follows = [&] {
    skip();
    return k + 1 < text.size() && text[k] == '.' && text[k + 1] == '.';
  };
  skip();
  if (k >= text.size() || text[k] != '[') unexpected(text, "a list of lists");
  ++k;
  for (;;) {
    skip();
    if (k < text.size() && text[k] == ']') break;
    if (k >= text.size() || text[k] != '[') unexpected(text, "a list of lists");
    ++k;
    std::vector<long long> inner;
    for (;;) {
      skip();
      if (k < text.size() && text[k] == ']') {
        ++k;
        break;
      }
      const long long v = integer();
      if (range_follows()) {
        k += 2;
        const long long last = integer();
        const long long step = inner.empty() ? 1 : v - inner.back();
        if (step == 0 || (last - v) % step != 0) unexpected(text, "a range");
        if (inner.size() > 1) unexpected(text, "a range");
        for (long long x = v; step > 0 ? x <= last : x >= last; x += step) inner.push_back(x);
      } else {
        inner.push_back(v);
      }
      skip();
      if (k < text.size() && text[k] == ',') ++k;
    }
    out.push_back(std::move(inner));
    skip();
    if (k < text.size() && text[k] == ',') ++k;
  }
  return out;
}

std::vector<Permutation> gap_permutations(const std::string& text, std::size_t n) {
  std::vector<Permutation> out;
  for (const auto& list : gap_int_lists(text)) {
    if (list.size() != n) unexpected(text, "image lists of the group's degree");
    std::vector<Point> images(n);
    for (std::size_t x = 0; x < n; ++x) {
      if (list[x] < 1 || static_cast<std::size_t>(list[x]) > n) unexpected(text, "1-based images");
      images[x] = static_cast<Point>(list[x] - 1);
    }
    out.emplace_back(std::move(images));
  }
  return out;
}

std::string gap_perm(const Permutation& p) {
  std::string out = "PermList([";
  for (std::size_t x = 0; x < p.degree(); ++x) {
    if (x != 0) out += ',';
    out += std::to_string(p[static_cast<Point>(x)] + 1);
  }
  out += "])";
  return out;
}

std::string gap_points(const std::vector<Point>& points) {
  std::string out = "[";
  for (std::size_t k = 0; k < points.size(); ++k) {
    if (k != 0) out += ',';
    out += std::to_string(points[k] + 1);
  }
  return out + "]";
}

}  // namespace asen::algebra::detail
