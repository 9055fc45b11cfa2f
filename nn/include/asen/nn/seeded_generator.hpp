#pragma once
// Reproducible randomness that leaves the caller's random stream alone.
#include <torch/torch.h>

#include <cstdint>
#include <mutex>

namespace asen::nn {

/// Seeds torch's default CPU generator for the life of the object and then
/// restores the state it had: weights initialised inside are reproducible
/// from `seed`, and the caller's random stream (torch.manual_seed and what
/// follows) is as if nothing had drawn from it. asen's seeded sections hold
/// one process-wide (recursive) lock meanwhile, so that two of them on two
/// threads (two models built, two trainings started) do not interleave their
/// draws; draws made by code other than asen's can still interleave.
class SeededGenerator {
 public:
  explicit SeededGenerator(std::uint64_t seed);
  SeededGenerator(const SeededGenerator&) = delete;
  SeededGenerator& operator=(const SeededGenerator&) = delete;
  ~SeededGenerator();

  /// A new CPU generator in the state the default one has now: the stream a
  /// run continues on its own after its seeded set-up.
  [[nodiscard]] at::Generator fork();

 private:
  std::unique_lock<std::recursive_mutex> section_;
  at::Generator generator_;
  torch::Tensor saved_;
};

namespace detail {

/// The CPU generator asen's own random draws (dropout masks) use on this
/// thread: a training run's private generator while the run is on it (see
/// UseGenerator), else torch's default one, as torch's own dropout would.
at::Generator thread_generator();

/// Makes `generator` this thread's generator for asen's random draws for the
/// life of the object: a training run's dropout then does not depend on what
/// other threads draw from torch's default generator meanwhile.
class UseGenerator {
 public:
  explicit UseGenerator(at::Generator generator);
  UseGenerator(const UseGenerator&) = delete;
  UseGenerator& operator=(const UseGenerator&) = delete;
  ~UseGenerator();

 private:
  at::Generator generator_;
  at::Generator* previous_;
};

}  // namespace detail

}  // namespace asen::nn
