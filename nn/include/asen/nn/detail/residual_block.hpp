#pragma once
/// \file
/// Kernels of the backbone's block after each GATv2 layer, on raw arrays (no
/// LibTorch here; model.cpp wraps them in an autograd node):
///
///   out = h + m * ReLU(gamma * xhat + beta),   xhat = (z - mean(z)) / sqrt(var(z) + eps)
///
/// per row of D features (LayerNorm with biased variance, as torch's), where
/// m is the inverted-dropout factor of each element (0, or 1 / (1 - p)).

#include <cstdint>

namespace asen::nn::detail {

/// The inverted-dropout factors of the elements [first, first + count) of a
/// flat tensor: element i is dropped (0) with probability p, else kept
/// (1 / (1 - p)), decided by a 32-bit hash of i and the 64-bit seed, so one
/// seed gives one mask, independent of how the tensor is cut into calls.
void dropout_factors(float* m, std::int64_t first, std::int64_t count, std::uint64_t seed, double p);
void dropout_factors(double* m, std::int64_t first, std::int64_t count, std::uint64_t seed, double p);

/// Forward over R rows. On entry `factor` holds the dropout factors (all 1
/// without dropout); on exit d out / d (LayerNorm output): the factor where
/// the LayerNorm output is positive, else 0. xhat [R, D] and rstd [R] are
/// kept for the backward pass.
void residual_norm_relu_forward(const float* z, const float* h, const float* gamma, const float* beta,
                                std::int64_t R, std::int64_t D, float eps, float* out, float* xhat, float* factor,
                                float* rstd);
void residual_norm_relu_forward(const double* z, const double* h, const double* gamma, const double* beta,
                                std::int64_t R, std::int64_t D, double eps, double* out, double* xhat,
                                double* factor, double* rstd);

/// Backward over R rows: dz [R, D] (written), dgamma and dbeta [D]
/// (accumulated). The gradient to h is dout itself.
void residual_norm_relu_backward(const float* dout, const float* xhat, const float* factor, const float* rstd,
                                 const float* gamma, std::int64_t R, std::int64_t D, float* dz, float* dgamma,
                                 float* dbeta);
void residual_norm_relu_backward(const double* dout, const double* xhat, const double* factor, const double* rstd,
                                 const double* gamma, std::int64_t R, std::int64_t D, double* dz, double* dgamma,
                                 double* dbeta);

}  // namespace asen::nn::detail
