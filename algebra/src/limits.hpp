#pragma once
// The largest degree asen takes (2^24 = 16,777,216 points): one permutation
// of it is 64 MiB, and a group, an orbital colouring or a stabilizer chain
// holds many. Above it a spec or a --degree is refused with a clear error up
// front, instead of allocating gigabytes and failing (or being killed) later.

#include <asen/error.hpp>
#include <asen/memory.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace asen::algebra::detail {

inline constexpr std::size_t kMaxDegree = std::size_t{1} << 24U;

inline std::string max_degree_text() { return std::to_string(kMaxDegree); }

/// Refuses, before they are written, `count` generators on `degree` points
/// whose images would need more than half of the machine's memory (a product
/// of 200000 factors in one spec): the group's work needs the rest.
/// \throws InputError naming `what`.
inline void check_generators_fit(std::size_t count, std::size_t degree, const std::string& what) {
  const long double bytes = static_cast<long double>(count) * static_cast<long double>(degree) * sizeof(std::uint32_t);
  if (!asen::detail::exceeds_memory(2.0L * bytes)) return;
  throw InputError(what + " has " + std::to_string(count) + " generators on " + std::to_string(degree) +
                   " points, " + asen::detail::gib(bytes) + " of images, more than half of this machine's " +
                   asen::detail::gib(static_cast<long double>(asen::detail::physical_memory_bytes())) +
                   " of memory; give the group by fewer generators");
}

}  // namespace asen::algebra::detail
