#include <asen/nn/detail/dense_attention.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ASEN_HAVE_AVX2_KERNEL 1
#else
#define ASEN_HAVE_AVX2_KERNEL 0
#endif

namespace asen::nn::detail {
namespace {

// GCC's -O2 cost model does not vectorise loops whose trip count it cannot
// see, and per-head sums need reassociation: the portable kernels opt in
// (no fast-math: infinities and NaNs keep their meaning).
#if defined(__GNUC__) && !defined(__clang__)
#define ASEN_VECTORISE __attribute__((optimize("O3", "associative-math", "no-signed-zeros", "no-trapping-math")))
#else
#define ASEN_VECTORISE
#endif

// ---------------------------------------------------------------- portable

ASEN_VECTORISE
void forward_portable(const DenseAttentionShape& d, const float* __restrict l, const float* __restrict r,
                      const float* __restrict e, const float* __restrict att, const float* __restrict bias,
                      float slope, float* __restrict y, float* __restrict alpha, std::int64_t begin,
                      std::int64_t end) {
  const std::int64_t HC = d.HC();
  const std::int64_t C = d.C;
  const std::int64_t N = d.N;
  std::vector<float> wbuf(static_cast<std::size_t>(HC));
  std::vector<float> score(static_cast<std::size_t>(N * d.H));
  float* __restrict w = wbuf.data();
  for (std::int64_t bt = begin; bt < end; ++bt) {
    const std::int64_t b = bt / N;
    const std::int64_t t = bt % N;
    const float* __restrict rr = r + bt * d.r_stride;
    for (std::int64_t s = 0; s < N; ++s) {
      const float* __restrict ll = l + (b * N + s) * d.l_stride;
      if (e != nullptr) {
        const float* __restrict ee = e + (t * N + s) * HC;
        for (std::int64_t q = 0; q < HC; ++q) {
          const float z = ll[q] + rr[q] + ee[q];
          w[q] = att[q] * (z > 0.f ? z : slope * z);
        }
      } else {
        for (std::int64_t q = 0; q < HC; ++q) {
          const float z = ll[q] + rr[q];
          w[q] = att[q] * (z > 0.f ? z : slope * z);
        }
      }
      for (std::int64_t h = 0; h < d.H; ++h) {
        float acc = 0.f;
        for (std::int64_t c = 0; c < C; ++c) acc += w[h * C + c];
        score[static_cast<std::size_t>(s * d.H + h)] = acc;
      }
    }
    float* __restrict a = alpha + bt * N * d.H;  // [S, H]
    for (std::int64_t h = 0; h < d.H; ++h) {
      float m = -INFINITY;
      for (std::int64_t s = 0; s < N; ++s) {
        const float v = score[static_cast<std::size_t>(s * d.H + h)];
        m = v > m ? v : m;
      }
      float z = 0.f;
      for (std::int64_t s = 0; s < N; ++s) {
        const float v = std::exp(score[static_cast<std::size_t>(s * d.H + h)] - m);
        a[s * d.H + h] = v;
        z += v;
      }
      const float inv = 1.f / z;
      for (std::int64_t s = 0; s < N; ++s) a[s * d.H + h] *= inv;
    }
    float* __restrict yy = y + bt * HC;
    for (std::int64_t q = 0; q < HC; ++q) yy[q] = bias != nullptr ? bias[q] : 0.f;
    for (std::int64_t s = 0; s < N; ++s) {
      const float* __restrict ll = l + (b * N + s) * d.l_stride;
      for (std::int64_t h = 0; h < d.H; ++h) {
        const float ash = a[s * d.H + h];
        for (std::int64_t c = 0; c < C; ++c) yy[h * C + c] += ash * ll[h * C + c];
      }
    }
  }
}

ASEN_VECTORISE
void backward_portable(const DenseAttentionShape& d, const float* __restrict l, const float* __restrict r,
                       const float* __restrict e, const float* __restrict att, float slope,
                       const float* __restrict alpha, const float* __restrict dy, float* __restrict dl,
                       float* __restrict dr, float* __restrict de, float* __restrict datt,
                       float* __restrict dbias) {
  const std::int64_t HC = d.HC();
  const std::int64_t C = d.C;
  const std::int64_t N = d.N;
  std::vector<float> dalpha_buf(static_cast<std::size_t>(N * d.H));
  float* __restrict dalpha = dalpha_buf.data();
  for (std::int64_t b = 0; b < d.B; ++b)
    for (std::int64_t t = 0; t < N; ++t) {
      const std::int64_t bt = b * N + t;
      const float* __restrict a = alpha + bt * N * d.H;
      const float* __restrict g = dy + bt * HC;
      const float* __restrict rr = r + bt * d.r_stride;
      float* __restrict drr = dr + bt * d.r_stride;
      if (dbias != nullptr)
        for (std::int64_t q = 0; q < HC; ++q) dbias[q] += g[q];
      // y = sum_s alpha[s] l[s]: gradients to alpha and to l
      for (std::int64_t s = 0; s < N; ++s) {
        const float* __restrict ll = l + (b * N + s) * d.l_stride;
        float* __restrict dll = dl + (b * N + s) * d.l_stride;
        for (std::int64_t h = 0; h < d.H; ++h) {
          const float ash = a[s * d.H + h];
          float acc = 0.f;
          for (std::int64_t c = 0; c < C; ++c) {
            dll[h * C + c] += ash * g[h * C + c];
            acc += g[h * C + c] * ll[h * C + c];
          }
          dalpha[s * d.H + h] = acc;
        }
      }
      // softmax: dscore = alpha * (dalpha - sum_s alpha dalpha), in place
      for (std::int64_t h = 0; h < d.H; ++h) {
        float dot = 0.f;
        for (std::int64_t s = 0; s < N; ++s) dot += a[s * d.H + h] * dalpha[s * d.H + h];
        for (std::int64_t s = 0; s < N; ++s) dalpha[s * d.H + h] = a[s * d.H + h] * (dalpha[s * d.H + h] - dot);
      }
      // the scores: recompute the pre-activation
      for (std::int64_t s = 0; s < N; ++s) {
        const float* __restrict ll = l + (b * N + s) * d.l_stride;
        float* __restrict dll = dl + (b * N + s) * d.l_stride;
        const float* __restrict ee = e != nullptr ? e + (t * N + s) * HC : nullptr;
        float* __restrict dee = de != nullptr ? de + (t * N + s) * HC : nullptr;
        for (std::int64_t h = 0; h < d.H; ++h) {
          const float gs = dalpha[s * d.H + h];
          for (std::int64_t c = 0; c < C; ++c) {
            const std::int64_t q = h * C + c;
            const float z = ll[q] + rr[q] + (ee != nullptr ? ee[q] : 0.f);
            const float pos = z > 0.f ? 1.f : slope;
            const float v = gs * att[q] * pos;
            dll[q] += v;
            drr[q] += v;
            datt[q] += gs * (z > 0.f ? z : slope * z);
            if (dee != nullptr) dee[q] += v;
          }
        }
      }
    }
}

// -------------------------------------------------------------------- AVX2
#if ASEN_HAVE_AVX2_KERNEL
#define ASEN_AVX2 __attribute__((target("avx2,fma")))

// Lane k of the result is the sum of the eight lanes of v[k].
ASEN_AVX2 inline __m256 transpose_sum8(const __m256* v) {
  const __m256 t0 = _mm256_hadd_ps(v[0], v[1]);
  const __m256 t1 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 t2 = _mm256_hadd_ps(v[4], v[5]);
  const __m256 t3 = _mm256_hadd_ps(v[6], v[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1);  // lanes 0-3: low halves of v0..v3, 4-7: high halves
  const __m256 u1 = _mm256_hadd_ps(t2, t3);
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

// Stores the first n <= 8 lanes of v at p (a masked store when n < 8: going
// through memory and copying would stall store forwarding).
ASEN_AVX2 inline void store_first(float* p, __m256 v, std::int64_t n) {
  if (n == 8) {
    _mm256_storeu_ps(p, v);
    return;
  }
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes), v);
}

// e^x, lane-wise, to about 2 ulp: e^x = 2^k e^f with k = round(x / ln 2) and
// |f| <= ln(2) / 2, e^f by a degree-7 polynomial (the Cephes coefficients).
// Arguments are clamped to [-87.3, 88.3] (e^-87.3 is about 1.2e-38, where
// softmax's terms no longer count); NaN stays NaN.
ASEN_AVX2 inline __m256 exp8(__m256 x) {
  const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 f = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), xc);
  f = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), f);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(f, f), _mm256_add_ps(f, _mm256_set1_ps(1.f)));
  const __m256i e2 = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_blendv_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e2)), x, nan);
}

// LeakyReLU's slope where z <= 0, 1 where z > 0 (NaN: the slope, as the
// portable kernel's comparison).
ASEN_AVX2 inline __m256 leaky_factor(__m256 z, __m256 slope) {
  return _mm256_blendv_ps(slope, _mm256_set1_ps(1.f), _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_GT_OQ));
}

// Softmax over s of the scores [S][H] of heads [h0, h0 + 8), into a.
ASEN_AVX2 inline void softmax8(const float* score, float* a, std::int64_t S, std::int64_t H) {
  __m256 m = _mm256_set1_ps(-INFINITY);
  for (std::int64_t s = 0; s < S; ++s) m = _mm256_max_ps(m, _mm256_loadu_ps(score + s * H));
  __m256 z = _mm256_setzero_ps();
  for (std::int64_t s = 0; s < S; ++s) {
    const __m256 v = exp8(_mm256_sub_ps(_mm256_loadu_ps(score + s * H), m));
    _mm256_storeu_ps(a + s * H, v);
    z = _mm256_add_ps(z, v);
  }
  const __m256 inv = _mm256_div_ps(_mm256_set1_ps(1.f), z);
  for (std::int64_t s = 0; s < S; ++s) _mm256_storeu_ps(a + s * H, _mm256_mul_ps(_mm256_loadu_ps(a + s * H), inv));
}

// V: vectors of 8 channels per head, fixed at compile time (1, 2, 4) so the
// eight accumulators of a group of heads stay in registers; 0: read from d.
template <int V>
ASEN_AVX2 void forward_avx2(const DenseAttentionShape& d, const float* __restrict l, const float* __restrict r,
                  const float* __restrict e, const float* __restrict att, const float* __restrict bias, float slope_,
                  float* __restrict y, float* __restrict alpha, std::int64_t begin, std::int64_t end) {
  const std::int64_t HC = d.HC();
  const std::int64_t C = d.C;
  const std::int64_t H = d.H;
  const std::int64_t N = d.N;
  const std::int64_t H8 = H - H % 8;  // heads handled eight at a time
  const std::int64_t vh = V > 0 ? V : C / 8;
  const __m256 slope = _mm256_set1_ps(slope_);
  std::vector<float> score(static_cast<std::size_t>(N * H + 8));
  for (std::int64_t bt = begin; bt < end; ++bt) {
    const std::int64_t b = bt / N;
    const std::int64_t t = bt % N;
    const float* __restrict rr = r + bt * d.r_stride;
    for (std::int64_t s = 0; s < N; ++s) {
      const float* __restrict ll = l + (b * N + s) * d.l_stride;
      const float* __restrict ee = e != nullptr ? e + (t * N + s) * HC : nullptr;
      float* sc = score.data() + s * H;
      for (std::int64_t h0 = 0; h0 < H; h0 += 8) {
        const std::int64_t hn = std::min<std::int64_t>(8, H - h0);
        __m256 acc[8];
#pragma GCC unroll 8
        for (std::int64_t k = 0; k < 8; ++k) {
          acc[k] = _mm256_setzero_ps();
          if (k >= hn) continue;
          for (std::int64_t j = 0; j < vh; ++j) {
            const std::int64_t q = (h0 + k) * C + 8 * j;
            __m256 z = _mm256_add_ps(_mm256_loadu_ps(ll + q), _mm256_loadu_ps(rr + q));
            if (ee != nullptr) z = _mm256_add_ps(z, _mm256_loadu_ps(ee + q));
            z = _mm256_mul_ps(z, leaky_factor(z, slope));
            acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(att + q), z, acc[k]);
          }
        }
        store_first(sc + h0, transpose_sum8(acc), hn);
      }
    }
    float* __restrict a = alpha + bt * N * H;  // [S, H]
    for (std::int64_t h0 = 0; h0 < H8; h0 += 8) softmax8(score.data() + h0, a + h0, N, H);
    for (std::int64_t h = H8; h < H; ++h) {
      float m = -INFINITY;
      for (std::int64_t s = 0; s < N; ++s) m = std::max(m, score[static_cast<std::size_t>(s * H + h)]);
      float z = 0.f;
      for (std::int64_t s = 0; s < N; ++s) {
        const float v = std::exp(score[static_cast<std::size_t>(s * H + h)] - m);
        a[s * H + h] = v;
        z += v;
      }
      for (std::int64_t s = 0; s < N; ++s) a[s * H + h] /= z;
    }
    float* __restrict yy = y + bt * HC;
    for (std::int64_t q = 0; q < HC; q += 8)
      _mm256_storeu_ps(yy + q, bias != nullptr ? _mm256_loadu_ps(bias + q) : _mm256_setzero_ps());
    for (std::int64_t s = 0; s < N; ++s) {
      const float* __restrict ll = l + (b * N + s) * d.l_stride;
      for (std::int64_t h = 0; h < H; ++h) {
        const __m256 ash = _mm256_broadcast_ss(a + s * H + h);
        for (std::int64_t j = 0; j < vh; ++j) {
          const std::int64_t q = h * C + 8 * j;
          _mm256_storeu_ps(yy + q, _mm256_fmadd_ps(ash, _mm256_loadu_ps(ll + q), _mm256_loadu_ps(yy + q)));
        }
      }
    }
  }
}

// The gradients through the scores of one target row (b, t), given
// dscore [S, H]: l and dl point at row (b, 0), e and de at (t, 0). Sixteen
// channels at a time over all sources, so r's row, att and the sums for dr
// and datt stay in registers.
template <bool HasE>
ASEN_AVX2 void score_backward_avx2(const DenseAttentionShape& d, const float* __restrict l, const float* __restrict rr,
                                   const float* __restrict e, const float* __restrict att, __m256 slope,
                                   const float* __restrict dscore, float* __restrict dl, float* __restrict drr,
                                   float* __restrict de, float* __restrict datt) {
  const std::int64_t HC = d.HC();
  const std::int64_t H = d.H;
  for (std::int64_t q0 = 0; q0 < HC; q0 += 8) {
    const bool two = q0 + 8 < HC;
    const std::int64_t q1 = two ? q0 + 8 : q0;  // the second block repeats the first when there is none
    const std::int64_t h0 = q0 / d.C;
    const std::int64_t h1 = q1 / d.C;
    const __m256 r0 = _mm256_loadu_ps(rr + q0);
    const __m256 r1 = _mm256_loadu_ps(rr + q1);
    const __m256 a0 = _mm256_loadu_ps(att + q0);
    const __m256 a1 = _mm256_loadu_ps(att + q1);
    __m256 dr0 = _mm256_setzero_ps();
    __m256 dr1 = _mm256_setzero_ps();
    __m256 da0 = _mm256_setzero_ps();
    __m256 da1 = _mm256_setzero_ps();
    for (std::int64_t s = 0; s < d.N; ++s) {
      const float* __restrict ll = l + s * d.l_stride;
      float* __restrict dll = dl + s * d.l_stride;
      const __m256 g0 = _mm256_broadcast_ss(dscore + s * H + h0);
      const __m256 g1 = _mm256_broadcast_ss(dscore + s * H + h1);
      __m256 z0 = _mm256_add_ps(_mm256_loadu_ps(ll + q0), r0);
      __m256 z1 = _mm256_add_ps(_mm256_loadu_ps(ll + q1), r1);
      if constexpr (HasE) {
        z0 = _mm256_add_ps(z0, _mm256_loadu_ps(e + s * HC + q0));
        z1 = _mm256_add_ps(z1, _mm256_loadu_ps(e + s * HC + q1));
      }
      const __m256 f0 = leaky_factor(z0, slope);
      const __m256 f1 = leaky_factor(z1, slope);
      const __m256 v0 = _mm256_mul_ps(g0, _mm256_mul_ps(a0, f0));
      const __m256 v1 = _mm256_mul_ps(g1, _mm256_mul_ps(a1, f1));
      da0 = _mm256_fmadd_ps(g0, _mm256_mul_ps(z0, f0), da0);
      dr0 = _mm256_add_ps(dr0, v0);
      _mm256_storeu_ps(dll + q0, _mm256_add_ps(_mm256_loadu_ps(dll + q0), v0));
      if constexpr (HasE) _mm256_storeu_ps(de + s * HC + q0, _mm256_add_ps(_mm256_loadu_ps(de + s * HC + q0), v0));
      if (two) {
        da1 = _mm256_fmadd_ps(g1, _mm256_mul_ps(z1, f1), da1);
        dr1 = _mm256_add_ps(dr1, v1);
        _mm256_storeu_ps(dll + q1, _mm256_add_ps(_mm256_loadu_ps(dll + q1), v1));
        if constexpr (HasE) _mm256_storeu_ps(de + s * HC + q1, _mm256_add_ps(_mm256_loadu_ps(de + s * HC + q1), v1));
      }
    }
    _mm256_storeu_ps(drr + q0, _mm256_add_ps(_mm256_loadu_ps(drr + q0), dr0));
    _mm256_storeu_ps(datt + q0, _mm256_add_ps(_mm256_loadu_ps(datt + q0), da0));
    if (two) {
      _mm256_storeu_ps(drr + q1, _mm256_add_ps(_mm256_loadu_ps(drr + q1), dr1));
      _mm256_storeu_ps(datt + q1, _mm256_add_ps(_mm256_loadu_ps(datt + q1), da1));
      q0 += 8;
    }
  }
}

template <int V>
ASEN_AVX2 void backward_avx2(const DenseAttentionShape& d, const float* __restrict l, const float* __restrict r,
                   const float* __restrict e, const float* __restrict att, float slope_, const float* __restrict alpha,
                   const float* __restrict dy, float* __restrict dl, float* __restrict dr, float* __restrict de,
                   float* __restrict datt, float* __restrict dbias) {
  const std::int64_t HC = d.HC();
  const std::int64_t C = d.C;
  const std::int64_t H = d.H;
  const std::int64_t N = d.N;
  const std::int64_t H8 = H - H % 8;
  const std::int64_t vh = V > 0 ? V : C / 8;
  const __m256 slope = _mm256_set1_ps(slope_);
  std::vector<float> dscore(static_cast<std::size_t>(N * H + 8));
  float* ds = dscore.data();
  for (std::int64_t bt = 0; bt < d.B * N; ++bt) {
    const std::int64_t b = bt / N;
    const std::int64_t t = bt % N;
    const float* __restrict a = alpha + bt * N * H;
    const float* __restrict g = dy + bt * HC;
    const float* __restrict rr = r + bt * d.r_stride;
    float* __restrict drr = dr + bt * d.r_stride;
    if (dbias != nullptr)
      for (std::int64_t q = 0; q < HC; q += 8)
        _mm256_storeu_ps(dbias + q, _mm256_add_ps(_mm256_loadu_ps(dbias + q), _mm256_loadu_ps(g + q)));
    // y = sum_s alpha[s] l[s]: dalpha[s,h] = g_h . l_sh, and dl_sh += alpha[s,h] g_h
    for (std::int64_t s = 0; s < N; ++s) {
      const float* __restrict ll = l + (b * N + s) * d.l_stride;
      float* __restrict dll = dl + (b * N + s) * d.l_stride;
      for (std::int64_t h0 = 0; h0 < H; h0 += 8) {
        const std::int64_t hn = std::min<std::int64_t>(8, H - h0);
        __m256 acc[8];
#pragma GCC unroll 8
        for (std::int64_t k = 0; k < 8; ++k) {
          acc[k] = _mm256_setzero_ps();
          if (k >= hn) continue;
          const __m256 ash = _mm256_broadcast_ss(a + s * H + h0 + k);
          for (std::int64_t j = 0; j < vh; ++j) {
            const std::int64_t q = (h0 + k) * C + 8 * j;
            const __m256 gq = _mm256_loadu_ps(g + q);
            acc[k] = _mm256_fmadd_ps(gq, _mm256_loadu_ps(ll + q), acc[k]);
            _mm256_storeu_ps(dll + q, _mm256_fmadd_ps(ash, gq, _mm256_loadu_ps(dll + q)));
          }
        }
        store_first(ds + s * H + h0, transpose_sum8(acc), hn);
      }
    }
    // softmax: dscore = alpha * (dalpha - sum_s alpha dalpha), in place
    for (std::int64_t h0 = 0; h0 < H8; h0 += 8) {
      __m256 dot = _mm256_setzero_ps();
      for (std::int64_t s = 0; s < N; ++s)
        dot = _mm256_fmadd_ps(_mm256_loadu_ps(a + s * H + h0), _mm256_loadu_ps(ds + s * H + h0), dot);
      for (std::int64_t s = 0; s < N; ++s)
        _mm256_storeu_ps(ds + s * H + h0, _mm256_mul_ps(_mm256_loadu_ps(a + s * H + h0),
                                                        _mm256_sub_ps(_mm256_loadu_ps(ds + s * H + h0), dot)));
    }
    for (std::int64_t h = H8; h < H; ++h) {
      float dot = 0.f;
      for (std::int64_t s = 0; s < N; ++s) dot += a[s * H + h] * ds[s * H + h];
      for (std::int64_t s = 0; s < N; ++s) ds[s * H + h] = a[s * H + h] * (ds[s * H + h] - dot);
    }
    // the scores: recompute the pre-activation
    if (e != nullptr)
      score_backward_avx2<true>(d, l + b * N * d.l_stride, rr, e + t * N * HC, att, slope, ds,
                                dl + b * N * d.l_stride, drr, de + t * N * HC, datt);
    else
      score_backward_avx2<false>(d, l + b * N * d.l_stride, rr, nullptr, att, slope, ds, dl + b * N * d.l_stride,
                                 drr, nullptr, datt);
  }
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
#else
bool cpu_has_avx2() { return false; }
#endif

bool use_avx2(const DenseAttentionShape& d, DenseAttentionKernel kernel) {
  if (kernel == DenseAttentionKernel::portable) return false;
  return dense_attention_avx2_applies(d);
}

}  // namespace

bool dense_attention_avx2_applies(const DenseAttentionShape& d) {
  return cpu_has_avx2() && d.C > 0 && d.C % 8 == 0;
}

void dense_attention_forward(const DenseAttentionShape& d, const float* l, const float* r, const float* e,
                             const float* att, const float* bias, float slope, float* y, float* alpha,
                             std::int64_t begin, std::int64_t end, DenseAttentionKernel kernel) {
#if ASEN_HAVE_AVX2_KERNEL
  if (use_avx2(d, kernel)) {
    switch (d.C / 8) {
      case 1:
        return forward_avx2<1>(d, l, r, e, att, bias, slope, y, alpha, begin, end);
      case 2:
        return forward_avx2<2>(d, l, r, e, att, bias, slope, y, alpha, begin, end);
      case 4:
        return forward_avx2<4>(d, l, r, e, att, bias, slope, y, alpha, begin, end);
      default:
        return forward_avx2<0>(d, l, r, e, att, bias, slope, y, alpha, begin, end);
    }
  }
#else
  (void)use_avx2;
#endif
  forward_portable(d, l, r, e, att, bias, slope, y, alpha, begin, end);
}

void dense_attention_backward(const DenseAttentionShape& d, const float* l, const float* r, const float* e,
                              const float* att, float slope, const float* alpha, const float* dy, float* dl,
                              float* dr, float* de, float* datt, float* dbias, DenseAttentionKernel kernel) {
#if ASEN_HAVE_AVX2_KERNEL
  if (use_avx2(d, kernel)) {
    switch (d.C / 8) {
      case 1:
        return backward_avx2<1>(d, l, r, e, att, slope, alpha, dy, dl, dr, de, datt, dbias);
      case 2:
        return backward_avx2<2>(d, l, r, e, att, slope, alpha, dy, dl, dr, de, datt, dbias);
      case 4:
        return backward_avx2<4>(d, l, r, e, att, slope, alpha, dy, dl, dr, de, datt, dbias);
      default:
        return backward_avx2<0>(d, l, r, e, att, slope, alpha, dy, dl, dr, de, datt, dbias);
    }
  }
#endif
  backward_portable(d, l, r, e, att, slope, alpha, dy, dl, dr, de, datt, dbias);
}

}  // namespace asen::nn::detail
