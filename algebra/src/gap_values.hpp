#pragma once
// Reading the strings GAP's String() produces for the values asen asks for:
// booleans, integers and (nested) lists of small integers. Private to algebra/src.

#include <asen/algebra/permutation.hpp>
#include <asen/algebra/types.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace asen::algebra::detail {

bool gap_bool(const std::string& text);
BigInt gap_integer(const std::string& text);
/// "[ [ 1, 2 ], [ 3 ] ]" -> {{1,2},{3}} (values as written).
std::vector<std::vector<long long>> gap_int_lists(const std::string& text);
/// A list of 1-based image lists (ListPerm) -> permutations of degree n.
std::vector<Permutation> gap_permutations(const std::string& text, std::size_t n);
/// GAP code for the permutation with these 0-based images: "PermList([2,1,3])".
std::string gap_perm(const Permutation& p);
/// GAP code for a list of 1-based points "[1,2,5]".
std::string gap_points(const std::vector<Point>& points);

}  // namespace asen::algebra::detail
