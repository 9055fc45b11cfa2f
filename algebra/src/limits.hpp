#pragma once
// The largest degree asen takes (2^24 = 16,777,216 points): one permutation
// of it is 64 MiB, and a group, an orbital colouring or a stabilizer chain
// holds many. Above it a spec or a --degree is refused with a clear error up
// front, instead of allocating gigabytes and failing (or being killed) later.

#include <cstddef>
#include <string>

namespace asen::algebra::detail {

inline constexpr std::size_t kMaxDegree = std::size_t{1} << 24U;

inline std::string max_degree_text() { return std::to_string(kMaxDegree); }

}  // namespace asen::algebra::detail
