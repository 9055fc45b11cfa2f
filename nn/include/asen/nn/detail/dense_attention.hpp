#pragma once
/// \file
/// The kernels of GATv2's attention on a complete graph (the dense fast path
/// of GATv2Conv), on raw float arrays; no LibTorch here. For each sample b,
/// target t and head h (H heads of C channels, HC = H * C):
///
///   score[s] = sum_c att[h,c] * LeakyReLU(l[b,s,h,c] + r[b,t,h,c] + e[t,s,h,c])
///   alpha[s] = softmax_s(score)
///   y[b,t,h,:] = bias[h,:] + sum_s alpha[s] * l[b,s,h,:]
///
/// without materialising the [B, T, S, H, C] pre-activation; the backward
/// pass recomputes it. Rows of l and r are `l_stride` / `r_stride` floats
/// apart (both halves of one [B, N, 2 HC] projection, or two [B, N, HC]
/// tensors); e is [T, S, H, C] or null (no edge features), bias [HC] or null.
/// Where the CPU has AVX2 and FMA and C is a multiple of 8, a kernel written
/// for them runs (eight heads' scores at once, a vectorised exp); otherwise a
/// portable one. Both compute the same function to float rounding.

#include <cstdint>

namespace asen::nn::detail {

struct DenseAttentionShape {
  std::int64_t B;  ///< samples
  std::int64_t N;  ///< nodes (sources = targets)
  std::int64_t H;  ///< heads
  std::int64_t C;  ///< channels per head
  std::int64_t l_stride;  ///< floats between consecutive rows (b, s) of l
  std::int64_t r_stride;  ///< floats between consecutive rows (b, t) of r
  [[nodiscard]] std::int64_t HC() const { return H * C; }
};

enum class DenseAttentionKernel { automatic, portable, avx2 };

/// Whether the AVX2 kernel can run here (CPU support and C % 8 == 0).
bool dense_attention_avx2_applies(const DenseAttentionShape& d);

/// Forward for the rows [begin, end) of b * N + t: y [B, N, HC] (contiguous),
/// alpha [B, N(t), N(s), H] (kept for the backward pass).
void dense_attention_forward(const DenseAttentionShape& d, const float* l, const float* r, const float* e,
                             const float* att, const float* bias, float slope, float* y, float* alpha,
                             std::int64_t begin, std::int64_t end,
                             DenseAttentionKernel kernel = DenseAttentionKernel::automatic);

/// Backward over all rows: accumulates (+=) into dl, dr (same strides as l, r),
/// de [T, S, H, C] (when e is given), datt [H, C] and dbias [HC] (when
/// bias is given). dy is [B, N, HC], contiguous.
void dense_attention_backward(const DenseAttentionShape& d, const float* l, const float* r, const float* e,
                              const float* att, float slope, const float* alpha, const float* dy, float* dl,
                              float* dr, float* de, float* datt, float* dbias,
                              DenseAttentionKernel kernel = DenseAttentionKernel::automatic);

}  // namespace asen::nn::detail
