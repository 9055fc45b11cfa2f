#pragma once
// Second derivatives through asen's fused autograd nodes (internal).
#include <torch/torch.h>

#include <cstddef>
#include <functional>

namespace asen::nn::detail {

/// The backward of a fused node when autograd records it (create_graph=True):
/// the vector-Jacobian product of y = f(inputs) for `dy`, with f in composed
/// torch ops recomputed from the node's saved tensor `inputs`, so that the
/// gradient is itself differentiable. f gets aliases of the inputs (views,
/// one autograd node each): the gradients are partial derivatives, even where
/// one input depends on another (the block's z on its h). One entry per
/// forward argument (`arguments`, the tensors first): undefined for an
/// argument that needs no gradient.
torch::autograd::variable_list vector_jacobian(
    torch::autograd::AutogradContext* ctx, const torch::autograd::variable_list& inputs, const torch::Tensor& dy,
    std::size_t arguments, const std::function<torch::Tensor(const torch::autograd::variable_list&)>& f);

}  // namespace asen::nn::detail
