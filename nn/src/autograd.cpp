#include <asen/nn/detail/autograd.hpp>

#include <vector>

namespace asen::nn::detail {

torch::autograd::variable_list vector_jacobian(
    torch::autograd::AutogradContext* ctx, const torch::autograd::variable_list& inputs, const torch::Tensor& dy,
    std::size_t arguments, const std::function<torch::Tensor(const torch::autograd::variable_list&)>& f) {
  torch::autograd::variable_list alias(inputs.size());
  torch::autograd::variable_list wrt;
  std::vector<std::size_t> position;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    alias[i] = inputs[i].view_as(inputs[i]);
    if (alias[i].requires_grad() && ctx->needs_input_grad(i)) {
      wrt.push_back(alias[i]);
      position.push_back(i);
    }
  }
  torch::autograd::variable_list out(arguments);
  if (wrt.empty()) return out;
  const torch::Tensor y = f(alias);
  const torch::autograd::variable_list g =
      torch::autograd::grad({y}, wrt, {dy}, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
  for (std::size_t k = 0; k < g.size(); ++k) out[position[k]] = g[k];
  return out;
}

}  // namespace asen::nn::detail
