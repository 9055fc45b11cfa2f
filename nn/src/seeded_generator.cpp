#include <asen/nn/seeded_generator.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

namespace asen::nn {
namespace {

std::recursive_mutex& seeded_sections() {
  static std::recursive_mutex m;
  return m;
}

thread_local at::Generator* current_generator = nullptr;

}  // namespace

SeededGenerator::SeededGenerator(std::uint64_t seed)
    : section_(seeded_sections()), generator_(at::detail::getDefaultCPUGenerator()) {
  const std::lock_guard<std::mutex> lock(generator_.mutex());
  saved_ = generator_.get_state();
  generator_.set_current_seed(seed);
}

SeededGenerator::~SeededGenerator() {
  const std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_state(saved_);
}

at::Generator SeededGenerator::fork() {
  at::Generator out = at::make_generator<at::CPUGeneratorImpl>();
  const std::lock_guard<std::mutex> lock(generator_.mutex());
  out.set_state(generator_.get_state());
  return out;
}

namespace detail {

at::Generator thread_generator() {
  return current_generator != nullptr ? *current_generator : at::detail::getDefaultCPUGenerator();
}

UseGenerator::UseGenerator(at::Generator generator) : generator_(std::move(generator)), previous_(current_generator) {
  current_generator = &generator_;
}

UseGenerator::~UseGenerator() { current_generator = previous_; }

}  // namespace detail

}  // namespace asen::nn
