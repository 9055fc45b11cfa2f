#include <asen/nn/seeded_generator.hpp>

#include <mutex>

namespace asen::nn {

SeededGenerator::SeededGenerator(std::uint64_t seed) : generator_(at::detail::getDefaultCPUGenerator()) {
  const std::lock_guard<std::mutex> lock(generator_.mutex());
  saved_ = generator_.get_state();
  generator_.set_current_seed(seed);
}

SeededGenerator::~SeededGenerator() {
  const std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_state(saved_);
}

}  // namespace asen::nn
