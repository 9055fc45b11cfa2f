#pragma once
/// \file
/// The machine's memory (asen/memory.hpp), under the nn layer's detail names.

#include <asen/memory.hpp>

namespace asen::nn::detail {

using asen::detail::exceeds_memory;
using asen::detail::gib;
using asen::detail::physical_memory_bytes;

}  // namespace asen::nn::detail
