// Exact integers: decimal text and factorials. Boost's cpp_int turns an
// integer into decimal digits in time quadratic in its length (300000!, 1.5
// million digits: 40 s); GAP's integers are GMP's, whose conversion is
// subquadratic (0.4 s). Past a size where starting GAP (about 1 s) pays, the
// conversion goes through GAP, the bits passing as hexadecimal both ways (in
// linear time); where GAP cannot start, Boost's conversion still answers.

#include <asen/algebra/gap.hpp>
#include <asen/algebra/types.hpp>
#include <asen/error.hpp>

#include <iterator>
#include <string>

namespace asen::algebra {

namespace {

// Past these, GAP's GMP is faster than Boost even counting GAP's start:
// 2^20 bits is about 316000 digits (Boost: about 2 s); 2^19! takes Boost
// about 1.5 s (GAP 0.05 s).
constexpr unsigned kGapDecimalBits = 1U << 20;
constexpr std::uint64_t kGapFactorialFrom = std::uint64_t{1} << 19;

// lo * (lo + 1) * ... * (hi - 1), by halves: the factors of each product
// have about the same size, so large factorials use Karatsuba multiplication
// (n = 100000: 0.2 s, against 3 s one factor at a time).
BigInt range_product(std::uint64_t lo, std::uint64_t hi) {
  if (hi - lo <= 16) {
    BigInt result = 1;
    for (std::uint64_t k = lo; k < hi; ++k) result *= k;
    return result;
  }
  const std::uint64_t mid = lo + (hi - lo) / 2;
  return range_product(lo, mid) * range_product(mid, hi);
}

// The hexadecimal digits of a non-negative integer, most significant first.
std::string hex_of(const BigInt& magnitude) {
  std::string bytes;
  boost::multiprecision::export_bits(magnitude, std::back_inserter(bytes), 8, true);
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(2 * bytes.size());
  for (const char byte : bytes) {
    const auto b = static_cast<unsigned char>(byte);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out.empty() ? "0" : out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// A non-negative integer from hexadecimal digits. \throws asen::Error for
// anything else (GAP's answer is checked, not trusted).
BigInt from_hex(const std::string& hex) {
  if (hex.empty()) throw Error("an empty hexadecimal number");
  std::string bytes((hex.size() + 1) / 2, '\0');
  // Right-aligned: an odd count leaves the first byte's high half 0.
  for (std::size_t k = 0; k < hex.size(); ++k) {
    const int v = hex_value(hex[hex.size() - 1 - k]);
    if (v < 0) throw Error("not a hexadecimal number: '" + hex.substr(0, 40) + "'");
    bytes[bytes.size() - 1 - k / 2] = static_cast<char>(static_cast<unsigned char>(bytes[bytes.size() - 1 - k / 2]) |
                                                        (static_cast<unsigned>(v) << (4 * (k % 2))));
  }
  BigInt out = 0;
  boost::multiprecision::import_bits(out, bytes.begin(), bytes.end(), 8, true);
  return out;
}

}  // namespace

std::string to_decimal(const BigInt& value) {
  if (value != 0 && boost::multiprecision::msb(abs(value)) >= kGapDecimalBits) {
    try {
      const std::string digits = gap::evaluate("String(IntHexString(\"" + hex_of(abs(value)) + "\"))");
      return value < 0 ? "-" + digits : digits;
    } catch (const Error&) {
      // GAP did not start or ran out of memory: Boost's conversion, slower.
    }
  }
  return value.str();
}

BigInt factorial(std::uint64_t n) {
  if (n >= kGapFactorialFrom) {
    try {
      return from_hex(gap::evaluate("HexStringInt(Factorial(" + std::to_string(n) + "))"));
    } catch (const Error&) {
      // as in to_decimal: computed here instead
    }
  }
  return n < 2 ? BigInt(1) : range_product(2, n + 1);
}

}  // namespace asen::algebra
