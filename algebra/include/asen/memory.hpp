#pragma once
/// \file
/// The machine's memory, for the checks that refuse work which cannot fit
/// (a clear error instead of the kernel's out-of-memory kill). Shared by the
/// layers: spec products in algebra, data and models in nn.

#include <cstdint>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace asen::detail {

/// The physical memory in bytes (sysconf), or 0 if unknown.
inline std::uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 0;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
}

/// "12.3 GiB".
inline std::string gib(long double bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1Lf GiB", bytes / (1024.0L * 1024.0L * 1024.0L));
  return text;
}

/// True if `bytes` is more than the machine's memory (false when unknown).
inline bool exceeds_memory(long double bytes) {
  const std::uint64_t memory = physical_memory_bytes();
  return memory != 0 && bytes > static_cast<long double>(memory);
}

}  // namespace asen::detail
