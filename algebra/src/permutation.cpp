#include <asen/algebra/permutation.hpp>
#include <asen/error.hpp>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "perm_text.hpp"
#include "scanner.hpp"
#include "limits.hpp"

namespace asen::algebra {

void check_bijection(const std::vector<Point>& images) {
  const std::size_t n = images.size();
  std::vector<std::size_t> seen_at(n, n);
  for (std::size_t x = 0; x < n; ++x) {
    const Point y = images[x];
    if (y >= n)
      throw InputError("not a permutation: image " + std::to_string(y) + " at index " +
                       std::to_string(x) + " is out of range, expected a value in [0, " +
                       std::to_string(n) + ")");
    if (seen_at[y] != n)
      throw InputError("not a bijection: image " + std::to_string(y) + " appears at index " +
                       std::to_string(seen_at[y]) + " and at index " + std::to_string(x));
    seen_at[y] = x;
  }
}

Permutation::Permutation(std::size_t n) : images_(n) {
  std::iota(images_.begin(), images_.end(), Point{0});
}

Permutation::Permutation(std::vector<Point> images) : images_(std::move(images)) {
  check_bijection(images_);
}

Permutation Permutation::from_images_no_checks(std::vector<Point> images) {
  Permutation p;
  p.images_ = std::move(images);
  return p;
}

namespace detail {

std::vector<Cycle> read_cycles(Scanner& in, std::optional<std::size_t> degree, std::size_t& largest) {
  std::vector<Cycle> cycles;
  // Where each point of the current cycle was written: repeats in O(1), in
  // memory of the cycle's length, not of its largest point (a list of many
  // short cycles on many points stays linear).
  std::unordered_map<std::size_t, std::size_t> seen_at;
  while (in.peek() == '(') {
    in.expect('(');
    Cycle cycle;
    seen_at.clear();
    if (!in.accept(')')) {
      for (;;) {
        const std::size_t at = (in.skip_space(), in.pos());
        const std::uint64_t value = in.number("a point");
        if (value == 0)
          in.fail("point 0 at position " + std::to_string(at) +
                  " is out of range: cycle notation is 1-based");
        if (degree && value > *degree)
          in.fail("point " + std::to_string(value) + " at position " + std::to_string(at) +
                  " is out of range for degree " + std::to_string(*degree));
        if (value > kMaxDegree)
          in.fail("point " + std::to_string(value) + " at position " + std::to_string(at) +
                  " is too large, the largest degree is " + max_degree_text());
        const auto point = static_cast<std::size_t>(value - 1);
        const auto [earlier, first] = seen_at.emplace(point, at);
        if (!first)
          in.fail("point " + std::to_string(value) + " is repeated in a cycle (positions " +
                  std::to_string(earlier->second) + " and " + std::to_string(at) + ")");
        cycle.push_back({static_cast<Point>(point), at});
        largest = std::max<std::size_t>(largest, value);
        if (in.accept(')')) break;
        if (in.at_end()) in.fail("truncated: expected ',' or ')' at the end");
        if (in.peek() != ',') in.fail("expected ',' or ')' but found " + in.describe_here());
        in.expect(',');
      }
    }
    cycles.push_back(std::move(cycle));
  }
  return cycles;
}

Permutation cycles_to_permutation(const Scanner& in, const std::vector<Cycle>& cycles, std::size_t n) {
  std::vector<Point> images(n);
  std::iota(images.begin(), images.end(), Point{0});
  std::vector<const CycleEntry*> owner(n, nullptr);
  for (const auto& cycle : cycles) {
    for (std::size_t k = 0; k < cycle.size(); ++k) {
      const CycleEntry& e = cycle[k];
      if (owner[e.point] != nullptr)
        in.fail("point " + std::to_string(e.point + 1) + " appears in two cycles (positions " +
                std::to_string(owner[e.point]->position) + " and " + std::to_string(e.position) +
                "), so this is not a bijection");
      owner[e.point] = &e;
      images[e.point] = cycle[(k + 1) % cycle.size()].point;
    }
  }
  return Permutation::from_images_no_checks(std::move(images));
}

}  // namespace detail

Permutation Permutation::parse_cycles(std::string_view text, std::optional<std::size_t> degree) {
  detail::Scanner in(text, "cannot parse the permutation");
  if (in.at_end()) in.fail("the string is empty");
  if (in.peek() != '(') in.fail("expected '(' but found " + in.describe_here());
  std::size_t largest = 0;
  const auto cycles = detail::read_cycles(in, degree, largest);
  if (!in.at_end()) in.fail("expected '(' but found " + in.describe_here());
  return detail::cycles_to_permutation(in, cycles, degree ? *degree : largest);
}

namespace detail {

Permutation read_image_list(Scanner& in, std::optional<std::size_t> degree) {
  const std::size_t open = (in.skip_space(), in.pos());
  in.expect('[');
  std::vector<Point> images;
  std::vector<std::size_t> positions;
  if (!in.accept(']')) {
    for (;;) {
      const std::size_t at = (in.skip_space(), in.pos());
      const std::uint64_t value = in.number("an image");
      if (value >= kMaxDegree)
        in.fail("image " + std::to_string(value) + " at position " + std::to_string(at) +
                " is too large, the largest degree is " + max_degree_text());
      images.push_back(static_cast<Point>(value));
      positions.push_back(at);
      if (in.accept(']')) break;
      if (in.at_end()) in.fail("truncated: expected ',' or ']' at the end");
      if (in.peek() != ',') in.fail("expected ',' or ']' but found " + in.describe_here());
      in.expect(',');
    }
  }
  if (degree && images.size() != *degree)
    in.fail("the image list at position " + std::to_string(open) + " has " +
            std::to_string(images.size()) + " images but the degree is " + std::to_string(*degree));
  const std::size_t n = images.size();
  std::vector<std::size_t> seen(n, SIZE_MAX);
  for (std::size_t x = 0; x < n; ++x) {
    if (images[x] >= n)
      in.fail("image " + std::to_string(images[x]) + " at position " + std::to_string(positions[x]) +
              " is out of range, expected a value in [0, " + std::to_string(n) +
              ") (image lists are 0-based)");
    if (seen[images[x]] != SIZE_MAX)
      in.fail("image " + std::to_string(images[x]) + " appears twice (positions " +
              std::to_string(positions[seen[images[x]]]) + " and " + std::to_string(positions[x]) +
              "), so this is not a bijection");
    seen[images[x]] = x;
  }
  return Permutation::from_images_no_checks(std::move(images));
}

}  // namespace detail

Permutation Permutation::parse_images(std::string_view text, std::optional<std::size_t> degree) {
  detail::Scanner in(text, "cannot parse the image list");
  if (in.at_end()) in.fail("the string is empty");
  Permutation p = detail::read_image_list(in, degree);
  if (!in.at_end()) in.fail("unexpected " + in.describe_here() + " after the list");
  return p;
}

Permutation Permutation::parse(std::string_view text, std::optional<std::size_t> degree) {
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos)
    throw InputError("the permutation text holds a NUL character at offset " + std::to_string(nul));
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '[') return parse_images(text, degree);
  return parse_cycles(text, degree);
}

Point Permutation::apply(Point x) const {
  if (x >= images_.size())
    throw std::out_of_range("point " + std::to_string(x) + " is out of range, expected a value in [0, " +
                            std::to_string(images_.size()) + ")");
  return images_[x];
}

Permutation Permutation::operator*(const Permutation& rhs) const {
  if (rhs.degree() != degree())
    throw InputError("cannot multiply permutations of degrees " + std::to_string(degree()) +
                     " and " + std::to_string(rhs.degree()));
  std::vector<Point> out(images_.size());
  for (std::size_t x = 0; x < images_.size(); ++x) out[x] = rhs.images_[images_[x]];
  return from_images_no_checks(std::move(out));
}

Permutation Permutation::inverse() const {
  std::vector<Point> out(images_.size());
  for (std::size_t x = 0; x < images_.size(); ++x) out[images_[x]] = static_cast<Point>(x);
  return from_images_no_checks(std::move(out));
}

Permutation Permutation::pow(long long k) const {
  Permutation base = k < 0 ? inverse() : *this;
  unsigned long long e = k < 0 ? static_cast<unsigned long long>(-(k + 1)) + 1ULL
                               : static_cast<unsigned long long>(k);
  Permutation result(degree());
  while (e != 0) {
    if (e & 1ULL) result = result * base;
    e >>= 1U;
    if (e != 0) base = base * base;
  }
  return result;
}

bool Permutation::is_identity() const {
  for (std::size_t x = 0; x < images_.size(); ++x)
    if (images_[x] != x) return false;
  return true;
}

std::size_t Permutation::support_size() const {
  std::size_t moved = 0;
  for (std::size_t x = 0; x < images_.size(); ++x) moved += images_[x] != x ? 1 : 0;
  return moved;
}

std::vector<std::vector<Point>> Permutation::cycles() const {
  std::vector<std::vector<Point>> out;
  std::vector<bool> seen(images_.size(), false);
  for (std::size_t start = 0; start < images_.size(); ++start) {
    if (seen[start] || images_[start] == start) continue;
    std::vector<Point> cycle;
    for (Point x = static_cast<Point>(start); !seen[x]; x = images_[x]) {
      seen[x] = true;
      cycle.push_back(x);
    }
    out.push_back(std::move(cycle));
  }
  return out;
}

BigInt Permutation::order() const {
  BigInt result = 1;
  for (const auto& cycle : cycles()) {
    const BigInt len = cycle.size();
    result = result / boost::multiprecision::gcd(result, len) * len;
  }
  return result;
}

int Permutation::sign() const {
  std::size_t transpositions = 0;
  for (const auto& cycle : cycles()) transpositions += cycle.size() - 1;
  return transpositions % 2 == 0 ? 1 : -1;
}

std::string Permutation::to_cycle_string() const {
  std::string out;
  for (const auto& cycle : cycles()) {
    out += '(';
    for (std::size_t k = 0; k < cycle.size(); ++k) {
      if (k != 0) out += ',';
      out += std::to_string(cycle[k] + 1);
    }
    out += ')';
  }
  return out.empty() ? "()" : out;
}

Permutation Permutation::extended(std::size_t n) const {
  if (n < degree())
    throw InputError("cannot restrict a permutation of degree " + std::to_string(degree()) +
                     " to degree " + std::to_string(n));
  std::vector<Point> out(images_);
  out.resize(n);
  for (std::size_t x = degree(); x < n; ++x) out[x] = static_cast<Point>(x);
  return from_images_no_checks(std::move(out));
}

}  // namespace asen::algebra

std::size_t std::hash<asen::algebra::Permutation>::operator()(
    const asen::algebra::Permutation& p) const noexcept {
  std::uint64_t h = 1469598103934665603ULL;
  for (auto v : p.images()) {
    h ^= v;
    h *= 1099511628211ULL;
  }
  return static_cast<std::size_t>(h);
}
