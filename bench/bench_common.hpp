#pragma once
// Shared by the C++ benchmarks: the cases file, repeated timing, JSON lines.
//
// The drivers (run_*_bench.py) write the cases: one per line, tab-separated
// fields, the group spec last. Results go to stdout as one JSON object per
// line; progress goes to stderr.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace asen::bench {

/// Keeps the compiler from dropping the writes behind `p` (GCC/Clang).
template <typename T>
inline void escape(const T* p) {
  asm volatile("" : : "g"(p) : "memory");
}

/// The tab-separated fields of each non-empty line of `path` ("-": stdin).
/// \throws std::runtime_error if the file cannot be read or a line has
/// fewer than `fields` fields.
inline std::vector<std::vector<std::string>> read_cases(const std::string& path, std::size_t fields) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path);
    if (!file) throw std::runtime_error("cannot open the cases file '" + path + "'");
    in = &file;
  }
  std::vector<std::vector<std::string>> out;
  std::string line;
  std::size_t number = 0;
  while (std::getline(*in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts;
    std::size_t start = 0;
    // The last field (the spec) takes the rest of the line.
    while (parts.size() + 1 < fields) {
      const std::size_t tab = line.find('\t', start);
      if (tab == std::string::npos) break;
      parts.push_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    parts.push_back(line.substr(start));
    if (parts.size() != fields)
      throw std::runtime_error("line " + std::to_string(number) + " of '" + path + "' has " +
                               std::to_string(parts.size()) + " fields, expected " + std::to_string(fields));
    out.push_back(std::move(parts));
  }
  return out;
}

/// How often to repeat a measurement.
struct RepeatPolicy {
  double min_seconds = 0.2;  ///< keep going until the runs add up to this
  int min_reps = 3;          ///< and at least this many runs
  int max_reps = 1000;
};

struct Timing {
  std::vector<double> ms;  ///< every run, in order
  [[nodiscard]] double median() const {
    std::vector<double> s = ms;
    std::sort(s.begin(), s.end());
    const std::size_t k = s.size();
    return k % 2 == 1 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
  }
  [[nodiscard]] double min() const { return *std::min_element(ms.begin(), ms.end()); }
  [[nodiscard]] double total() const {
    double t = 0;
    for (double v : ms) t += v;
    return t;
  }
};

/// Calls `run` (which returns the milliseconds it measured itself, so it can
/// keep set-up and clean-up out of the clock) as the policy says.
template <typename Run>
Timing repeat(const RepeatPolicy& policy, Run&& run) {
  Timing t;
  while (static_cast<int>(t.ms.size()) < policy.max_reps &&
         (static_cast<int>(t.ms.size()) < policy.min_reps || t.total() < policy.min_seconds * 1e3))
    t.ms.push_back(run());
  return t;
}

using Clock = std::chrono::steady_clock;

inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

/// A JSON string literal.
inline std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// A JSON number (finite; NaN and infinities become null).
inline std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

/// One JSON object built field by field, printed as one line.
class JsonLine {
 public:
  JsonLine& field(const std::string& key, const std::string& value) { return raw(key, quoted(value)); }
  JsonLine& field(const std::string& key, const char* value) { return raw(key, quoted(value)); }
  JsonLine& field(const std::string& key, double value) { return raw(key, number(value)); }
  JsonLine& field(const std::string& key, std::size_t value) { return raw(key, std::to_string(value)); }
  JsonLine& field(const std::string& key, int value) { return raw(key, std::to_string(value)); }
  JsonLine& field(const std::string& key, bool value) { return raw(key, value ? "true" : "false"); }
  JsonLine& timing(const Timing& t) {
    field("median_ms", t.median());
    field("min_ms", t.min());
    return field("reps", t.ms.size());
  }
  JsonLine& raw(const std::string& key, const std::string& json) {
    text_ += text_.empty() ? "{" : ", ";
    text_ += quoted(key) + ": " + json;
    return *this;
  }
  void print() const { std::cout << text_ << "}" << std::endl; }

 private:
  std::string text_;
};

}  // namespace asen::bench
