#pragma once
// Reproducible random numbers: std::uniform_int_distribution is
// implementation-defined, so the same seed could give different groups on
// different standard libraries. This draws by rejection from mt19937_64.

#include <asen/algebra/permutation.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace asen::algebra::detail {

/// A uniform integer in [0, bound), bound > 0.
inline std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    const std::uint64_t r = rng();
    if (r < limit) return r % bound;
  }
}

/// Random group elements by product replacement (Celler, Leedham-Green,
/// Murray, Niemeyer, O'Brien), with an accumulator ("rattle"). Elements are
/// close to uniform after the warm-up.
class ProductReplacement {
 public:
  /// `warmup` 0: enough scrambling steps for the number of slots (a step
  /// touches one slot, so many generators need proportionally more steps).
  ProductReplacement(std::size_t degree, const std::vector<Permutation>& generators,
                     std::mt19937_64& rng, std::size_t warmup = 0)
      : n_(degree), rng_(rng) {
    std::vector<const Permutation*> gens;
    for (const auto& g : generators)
      if (!g.is_identity()) gens.push_back(&g);
    if (gens.empty()) return;
    const std::size_t slots = std::max<std::size_t>(gens.size(), 10);
    for (std::size_t k = 0; k < slots; ++k) state_.push_back(gens[k % gens.size()]->images());
    acc_.resize(n_);
    for (std::size_t x = 0; x < n_; ++x) acc_[x] = static_cast<Point>(x);
    tmp_.resize(n_);
    if (warmup == 0) warmup = std::max<std::size_t>(60, 16 * slots);
    for (std::size_t k = 0; k < warmup; ++k) step();
  }

  /// False if every generator was the identity.
  [[nodiscard]] bool nontrivial() const { return !state_.empty(); }

  /// The next random element, as an image list.
  const std::vector<Point>& next() {
    step();
    return acc_;
  }

 private:
  void step() {
    const std::size_t s = state_.size();
    const std::size_t i = uniform_below(rng_, s);
    std::size_t j = uniform_below(rng_, s - 1);
    if (j >= i) ++j;
    std::vector<Point>& xi = state_[i];
    const std::vector<Point>& xj = state_[j];
    if (rng_() & 1U) {
      for (std::size_t x = 0; x < n_; ++x) xi[x] = xj[xi[x]];  // xi := xi * xj
    } else {
      for (std::size_t x = 0; x < n_; ++x) tmp_[xj[x]] = static_cast<Point>(x);
      for (std::size_t x = 0; x < n_; ++x) xi[x] = tmp_[xi[x]];  // xi := xi * xj^-1
    }
    for (std::size_t x = 0; x < n_; ++x) acc_[x] = xi[acc_[x]];  // acc := acc * xi
  }

  std::size_t n_;
  std::mt19937_64& rng_;
  std::vector<std::vector<Point>> state_;
  std::vector<Point> acc_;
  std::vector<Point> tmp_;
};

}  // namespace asen::algebra::detail
