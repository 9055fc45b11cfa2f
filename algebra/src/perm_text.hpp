#pragma once
// Cycle notation and image lists read from a Scanner, shared by Permutation's
// parsers and the group spec parser (so errors carry positions in the caller's
// string).

#include <asen/algebra/permutation.hpp>

#include <cstddef>
#include <optional>
#include <vector>

#include "scanner.hpp"

namespace asen::algebra::detail {

struct CycleEntry {
  Point point;        // 0-based
  std::size_t position;
};
using Cycle = std::vector<CycleEntry>;

/// Reads one generator written as consecutive cycles "(1,2)(3,4)" or "()".
/// Stops before anything that is not '('. Returns its cycles; `largest` is
/// raised to the largest 1-based point read.
std::vector<Cycle> read_cycles(Scanner& in, std::optional<std::size_t> degree, std::size_t& largest);

/// Builds the permutation of degree n from cycles read by read_cycles.
/// \throws InputError (through `in`) if a point appears in two cycles.
Permutation cycles_to_permutation(const Scanner& in, const std::vector<Cycle>& cycles, std::size_t n);

/// Reads a JSON list of 0-based images "[1,0,2]" and checks it is a bijection
/// (of the given degree, when given).
Permutation read_image_list(Scanner& in, std::optional<std::size_t> degree);

}  // namespace asen::algebra::detail
