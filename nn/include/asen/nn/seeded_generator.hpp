#pragma once
// Reproducible randomness that leaves the caller's random stream alone.
#include <torch/torch.h>

#include <cstdint>

namespace asen::nn {

/// Seeds torch's default CPU generator for the life of the object and then
/// restores the state it had: weights initialised inside are reproducible
/// from `seed`, and the caller's random stream (torch.manual_seed and what
/// follows) is as if nothing had drawn from it.
class SeededGenerator {
 public:
  explicit SeededGenerator(std::uint64_t seed);
  SeededGenerator(const SeededGenerator&) = delete;
  SeededGenerator& operator=(const SeededGenerator&) = delete;
  ~SeededGenerator();

 private:
  at::Generator generator_;
  torch::Tensor saved_;
};

}  // namespace asen::nn
