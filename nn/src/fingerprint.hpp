#pragma once
// A 64-bit fingerprint of tensors' bytes, dtypes and shapes, in hexadecimal:
// what checkpoints record to tell a changed data folder or breaking input
// from the one a run started with (not a cryptographic hash).

#include <torch/torch.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>

namespace asen::nn::detail {

// Mixes the bytes of `t` (made contiguous, on the CPU), its dtype and shape into `h`.
inline void mix_tensor(std::uint64_t& h, const torch::Tensor& t) {
  const auto mix = [&h](std::uint64_t word) {
    h ^= word * 0x9e3779b97f4a7c15ULL;
    h = (h << 27 | h >> 37) * 0xbf58476d1ce4e5b9ULL + 0x94d049bb133111ebULL;
  };
  const torch::Tensor c = t.cpu().contiguous();
  mix(static_cast<std::uint64_t>(c.scalar_type()));
  for (const auto extent : c.sizes()) mix(static_cast<std::uint64_t>(extent));
  const auto* bytes = static_cast<const unsigned char*>(c.data_ptr());
  const std::size_t size = c.numel() * c.element_size();
  std::size_t k = 0;
  for (; k + 8 <= size; k += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes + k, 8);
    mix(word);
  }
  std::uint64_t tail = size - k;  // the length of the tail, so that trailing zero bytes count
  for (std::size_t b = 0; k + b < size; ++b) tail |= static_cast<std::uint64_t>(bytes[k + b]) << (8 * (b + 1));
  mix(tail);
}

// The fingerprint of `tensors` (undefined ones count as empty), from `seed`.
inline std::string fingerprint(std::uint64_t seed, std::initializer_list<torch::Tensor> tensors) {
  std::uint64_t h = seed;
  for (const auto& t : tensors) mix_tensor(h, t.defined() ? t : torch::empty({0}, torch::kLong));
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

}  // namespace asen::nn::detail
