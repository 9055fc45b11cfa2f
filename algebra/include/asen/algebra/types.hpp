#pragma once
/// \file
/// Basic types of the algebra layer: points and exact big integers.

#include <boost/multiprecision/cpp_int.hpp>
#include <cstdint>
#include <string>

namespace asen::algebra {

/// A point of a permutation domain. Points are 0-based: a group of degree n
/// acts on {0, ..., n-1}.
using Point = std::uint32_t;

/// Exact integer for group orders (S_200 has 375 digits): never a double.
using BigInt = boost::multiprecision::cpp_int;

/// The decimal digits of an exact integer, e.g. for JSON.
inline std::string to_decimal(const BigInt& value) { return value.str(); }

/// n! as an exact integer.
BigInt factorial(std::uint64_t n);

}  // namespace asen::algebra
