#include <asen/nn/detail/residual_block.hpp>

#include <algorithm>
#include <cmath>

// nn/CMakeLists.txt compiles this file with -O3 and reassociation allowed
// (no fast-math: infinities and NaNs keep their meaning) so that the row
// loops vectorise; AVX2 clones where the CPU has it.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define ASEN_CLONES __attribute__((target_clones("avx2", "default")))
#define ASEN_INLINE __attribute__((always_inline)) inline
#else
#define ASEN_CLONES
#define ASEN_INLINE inline
#endif

namespace asen::nn::detail {
namespace {

// A 32-bit integer hash with good avalanche (two multiply-xorshift rounds,
// constants from Wellons' hash search); it vectorises, where a 64-bit
// multiply per element did not.
ASEN_INLINE std::uint32_t hash32(std::uint32_t x) {
  x ^= x >> 16U;
  x *= 0x7feb352dU;
  x ^= x >> 15U;
  x *= 0x846ca68bU;
  x ^= x >> 16U;
  return x;
}

template <typename T>
ASEN_INLINE void factors(T* __restrict m, std::int64_t first, std::int64_t count, std::uint64_t seed, double p) {
  const auto threshold = static_cast<std::uint32_t>(std::min(p * 4294967296.0, 4294967295.0));
  const auto keep = static_cast<T>(1.0 / (1.0 - p));
  const auto k1 = static_cast<std::uint32_t>(seed);
  const auto k2 = static_cast<std::uint32_t>(seed >> 32U);
  for (std::int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<std::uint32_t>(first + i);
    const std::uint32_t bits = hash32(hash32(index * 0x9e3779b9U + k1) ^ k2);
    m[i] = bits >= threshold ? keep : T(0);
  }
}

template <typename T>
ASEN_INLINE void forward_rows(const T* __restrict z, const T* __restrict h, const T* __restrict gamma,
                              const T* __restrict beta, std::int64_t R, std::int64_t D, T eps, T* __restrict out,
                              T* __restrict xhat, T* __restrict f, T* __restrict rstd) {
  for (std::int64_t row = 0; row < R; ++row) {
    const std::int64_t o = row * D;
    T mean = 0;
    for (std::int64_t c = 0; c < D; ++c) mean += z[o + c];
    mean /= static_cast<T>(D);
    T var = 0;
    for (std::int64_t c = 0; c < D; ++c) var += (z[o + c] - mean) * (z[o + c] - mean);
    var /= static_cast<T>(D);
    const T rs = T(1) / std::sqrt(var + eps);
    rstd[row] = rs;
    for (std::int64_t c = 0; c < D; ++c) {
      const T x = (z[o + c] - mean) * rs;
      const T u = gamma[c] * x + beta[c];
      const T fc = u > T(0) ? f[o + c] : T(0);
      xhat[o + c] = x;
      f[o + c] = fc;
      out[o + c] = h[o + c] + fc * u;
    }
  }
}

template <typename T>
ASEN_INLINE void backward_rows(const T* __restrict dout, const T* __restrict xhat, const T* __restrict f,
                               const T* __restrict rstd, const T* __restrict gamma, std::int64_t R, std::int64_t D,
                               T* __restrict dz, T* __restrict dgamma, T* __restrict dbeta) {
  for (std::int64_t row = 0; row < R; ++row) {
    const std::int64_t o = row * D;
    T mean_g = 0;   // mean of dL/dxhat
    T mean_gx = 0;  // mean of dL/dxhat * xhat
    for (std::int64_t c = 0; c < D; ++c) {
      const T du = dout[o + c] * f[o + c];
      dgamma[c] += du * xhat[o + c];
      dbeta[c] += du;
      const T g = du * gamma[c];
      dz[o + c] = g;
      mean_g += g;
      mean_gx += g * xhat[o + c];
    }
    mean_g /= static_cast<T>(D);
    mean_gx /= static_cast<T>(D);
    const T rs = rstd[row];
    for (std::int64_t c = 0; c < D; ++c) dz[o + c] = rs * (dz[o + c] - mean_g - xhat[o + c] * mean_gx);
  }
}

}  // namespace

ASEN_CLONES void dropout_factors(float* m, std::int64_t first, std::int64_t count, std::uint64_t seed, double p) {
  factors(m, first, count, seed, p);
}
ASEN_CLONES void dropout_factors(double* m, std::int64_t first, std::int64_t count, std::uint64_t seed, double p) {
  factors(m, first, count, seed, p);
}

ASEN_CLONES void residual_norm_relu_forward(const float* z, const float* h, const float* gamma, const float* beta,
                                            std::int64_t R, std::int64_t D, float eps, float* out, float* xhat,
                                            float* factor, float* rstd) {
  forward_rows(z, h, gamma, beta, R, D, eps, out, xhat, factor, rstd);
}
ASEN_CLONES void residual_norm_relu_forward(const double* z, const double* h, const double* gamma,
                                            const double* beta, std::int64_t R, std::int64_t D, double eps,
                                            double* out, double* xhat, double* factor, double* rstd) {
  forward_rows(z, h, gamma, beta, R, D, eps, out, xhat, factor, rstd);
}

ASEN_CLONES void residual_norm_relu_backward(const float* dout, const float* xhat, const float* factor,
                                             const float* rstd, const float* gamma, std::int64_t R, std::int64_t D,
                                             float* dz, float* dgamma, float* dbeta) {
  backward_rows(dout, xhat, factor, rstd, gamma, R, D, dz, dgamma, dbeta);
}
ASEN_CLONES void residual_norm_relu_backward(const double* dout, const double* xhat, const double* factor,
                                             const double* rstd, const double* gamma, std::int64_t R,
                                             std::int64_t D, double* dz, double* dgamma, double* dbeta) {
  backward_rows(dout, xhat, factor, rstd, gamma, R, D, dz, dgamma, dbeta);
}

}  // namespace asen::nn::detail
