#pragma once
// A tiny cursor over a string for the hand-written parsers of the algebra layer
// (cycle notation, image lists, group specs). Private to algebra/src.

#include <asen/error.hpp>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace asen::algebra::detail {

class Scanner {
 public:
  Scanner(std::string_view text, std::string what) : text_(text), what_(std::move(what)) {}

  [[nodiscard]] std::size_t pos() const { return pos_; }
  void set_pos(std::size_t p) { pos_ = p; }
  [[nodiscard]] std::string_view text() const { return text_; }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  [[nodiscard]] bool at_end() {
    skip_space();
    return pos_ >= text_.size();
  }
  [[nodiscard]] char peek() {
    skip_space();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool accept(char c) {
    if (peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) {
      if (pos_ >= text_.size()) fail(std::string("truncated: expected '") + c + "' at the end");
      fail(std::string("expected '") + c + "' but found " + describe_here());
    }
  }

  /// Reads a non-negative decimal integer; `name` says what it is for messages.
  std::uint64_t number(const char* name) {
    skip_space();
    const std::size_t start = pos_;
    if (pos_ >= text_.size()) fail(std::string("truncated: expected ") + name + " at the end");
    if (text_[pos_] == '-') fail(std::string(name) + " " + describe_token_at(start) + " is negative");
    if (!std::isdigit(static_cast<unsigned char>(text_[pos_])))
      fail(describe_token_at(start) + " is not a number (expected " + name + ")");
    std::uint64_t value = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      const unsigned digit = static_cast<unsigned>(text_[pos_] - '0');
      if (value > (UINT64_MAX - digit) / 10) fail(std::string(name) + " at position " +
                                                  std::to_string(start) + " is too large");
      value = value * 10 + digit;
      ++pos_;
    }
    if (pos_ < text_.size() && (std::isalpha(static_cast<unsigned char>(text_[pos_])) ||
                                text_[pos_] == '.' || text_[pos_] == '_'))
      fail(describe_token_at(start) + " is not a number (expected " + name + ")");
    return value;
  }

  /// The identifier at the cursor ([A-Za-z_][A-Za-z0-9_]*), possibly empty.
  std::string identifier() {
    skip_space();
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  /// "'x' at position 3" for the token starting at `p`.
  [[nodiscard]] std::string describe_token_at(std::size_t p) const {
    std::size_t end = p;
    while (end < text_.size() && end - p < 16 &&
           !std::isspace(static_cast<unsigned char>(text_[end])) && text_[end] != ',' &&
           text_[end] != ')' && text_[end] != ']' && text_[end] != '(' && text_[end] != '[')
      ++end;
    if (end == p && p < text_.size()) end = p + 1;
    return "'" + std::string(text_.substr(p, end - p)) + "' at position " + std::to_string(p);
  }
  [[nodiscard]] std::string describe_here() {
    skip_space();
    if (pos_ >= text_.size()) return "the end of the string";
    return describe_token_at(pos_);
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(what_ + ": " + message + " in \"" + std::string(shorten(text_)) + "\"");
  }

  static std::string shorten(std::string_view s) {
    if (s.size() <= 120) return std::string(s);
    return std::string(s.substr(0, 100)) + "..." + std::string(s.substr(s.size() - 15));
  }

 private:
  std::string_view text_;
  std::string what_;
  std::size_t pos_ = 0;
};

}  // namespace asen::algebra::detail
