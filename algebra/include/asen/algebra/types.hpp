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

/// The decimal digits of an exact integer, e.g. for JSON. Integers of over a
/// million bits are converted by GAP (GMP's subquadratic conversion; GAP is
/// started for it), smaller ones, or all when GAP cannot start, by Boost.
[[nodiscard]] std::string to_decimal(const BigInt& value);

/// n! as an exact integer (by GAP from n = 2^19 on, as to_decimal).
[[nodiscard]] BigInt factorial(std::uint64_t n);

}  // namespace asen::algebra
