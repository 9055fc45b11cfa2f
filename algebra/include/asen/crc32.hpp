#pragma once
/// \file
/// CRC-32 as zip archives use it (reflected polynomial 0xEDB88320): the .npz
/// writer computes it, the model-file check verifies it.

#include <array>
#include <cstddef>
#include <cstdint>

namespace asen {

/// The CRC-32 of `size` bytes at `data`, continuing from `crc` (0 to start).
inline std::uint32_t crc32(std::uint32_t crc, const char* data, std::size_t size) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t k = 0; k < 256; ++k) {
      std::uint32_t c = k;
      for (int bit = 0; bit < 8; ++bit) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1U) : c >> 1U;
      t[k] = c;
    }
    return t;
  }();
  std::uint32_t c = crc ^ 0xFFFFFFFFU;
  for (std::size_t k = 0; k < size; ++k) c = table[(c ^ static_cast<unsigned char>(data[k])) & 0xFFU] ^ (c >> 8U);
  return c ^ 0xFFFFFFFFU;
}

}  // namespace asen
