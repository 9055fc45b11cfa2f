#include <asen/nn/flat_adam.hpp>

#include <asen/error.hpp>

#include <cmath>
#include <string>

namespace asen::nn {
namespace {
constexpr double kBeta1 = 0.9;
constexpr double kBeta2 = 0.999;
constexpr double kEps = 1e-8;

// One Adam step over flat float arrays in one pass, the same arithmetic as
// the composed torch ops below (which CUDA and double precision take).
// nn/CMakeLists.txt compiles this file with -O3 -fno-math-errno so that it
// vectorises.
void adam_step_float(float* __restrict p, const float* __restrict grad, float* __restrict m, float* __restrict v,
                     std::int64_t n, float weight_decay, float step_size, float inv_sqrt_c2) {
  // the factors rounded from double, as torch's ops round their scalars
  // (1 - float(0.999) would be off by 5e-5 relative)
  constexpr auto b1 = static_cast<float>(kBeta1);
  constexpr auto b2 = static_cast<float>(kBeta2);
  constexpr auto c1 = static_cast<float>(1 - kBeta1);
  constexpr auto c2 = static_cast<float>(1 - kBeta2);
  constexpr auto eps = static_cast<float>(kEps);
  for (std::int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + weight_decay * p[i];
    m[i] = b1 * m[i] + c1 * g;
    v[i] = b2 * v[i] + c2 * g * g;
    p[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_c2 + eps);
  }
}
}  // namespace

FlatAdam::FlatAdam(const std::vector<std::vector<torch::Tensor>>& groups, const std::vector<GroupOptions>& options) {
  if (groups.size() != options.size()) throw Error("FlatAdam: one set of options per parameter group");
  torch::NoGradGuard no_grad;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    Group group;
    group.options = options[g];
    std::int64_t total = 0;
    for (const auto& p : groups[g]) total += p.numel();
    const auto tensor_options =
        groups[g].empty() ? torch::TensorOptions().dtype(torch::kFloat) : groups[g].front().options().requires_grad(false);
    group.data = torch::empty({total}, tensor_options);
    group.grad = torch::zeros({total}, tensor_options);
    std::int64_t offset = 0;
    for (auto p : groups[g]) {  // a handle on the same tensor
      if (p.options().dtype() != tensor_options.dtype() || p.device() != tensor_options.device())
        throw Error("FlatAdam: the parameters of a group must share dtype and device");
      const std::int64_t n = p.numel();
      torch::Tensor slot = group.data.narrow(0, offset, n);
      slot.copy_(p.detach().reshape({-1}));
      p.set_data(slot.view(p.sizes()));
      p.mutable_grad() = group.grad.narrow(0, offset, n).view(p.sizes());
      offset += n;
    }
    group.exp_avg = torch::zeros_like(group.data);
    group.exp_avg_sq = torch::zeros_like(group.data);
    groups_.push_back(std::move(group));
  }
}

void FlatAdam::zero_grad() {
  for (auto& g : groups_) g.grad.zero_();
}

double FlatAdam::clip_grad_norm(double max_norm) {
  torch::NoGradGuard no_grad;
  double squares = 0;
  for (const auto& g : groups_)
    if (g.grad.numel() > 0) squares += g.grad.to(torch::kDouble).pow(2).sum().item<double>();
  const double norm = std::sqrt(squares);
  const double scale = max_norm / (norm + 1e-6);  // as torch::nn::utils::clip_grad_norm_
  if (scale < 1)
    for (auto& g : groups_) g.grad.mul_(scale);
  return norm;
}

void FlatAdam::step() {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double correction1 = 1 - std::pow(kBeta1, static_cast<double>(steps_));
  const double correction2 = 1 - std::pow(kBeta2, static_cast<double>(steps_));
  for (auto& g : groups_) {
    if (g.data.numel() == 0) continue;
    if (g.data.device().is_cpu() && g.data.scalar_type() == torch::kFloat) {
      adam_step_float(g.data.data_ptr<float>(), g.grad.data_ptr<float>(), g.exp_avg.data_ptr<float>(),
                      g.exp_avg_sq.data_ptr<float>(), g.data.numel(), static_cast<float>(g.options.weight_decay),
                      static_cast<float>(g.options.lr / correction1), static_cast<float>(1 / std::sqrt(correction2)));
      continue;
    }
    torch::Tensor grad = g.grad;
    if (g.options.weight_decay != 0) grad = grad.add(g.data, g.options.weight_decay);
    g.exp_avg.mul_(kBeta1).add_(grad, 1 - kBeta1);
    g.exp_avg_sq.mul_(kBeta2).addcmul_(grad, grad, 1 - kBeta2);
    const torch::Tensor denom = (g.exp_avg_sq.sqrt() / std::sqrt(correction2)).add_(kEps);
    g.data.addcdiv_(g.exp_avg, denom, -g.options.lr / correction1);
  }
}

void FlatAdam::save(torch::serialize::OutputArchive& archive) const {
  archive.write("steps", torch::tensor(steps_, torch::kLong));
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    archive.write("exp_avg_" + std::to_string(g), groups_[g].exp_avg, /*is_buffer=*/true);
    archive.write("exp_avg_sq_" + std::to_string(g), groups_[g].exp_avg_sq, /*is_buffer=*/true);
  }
}

void FlatAdam::load(torch::serialize::InputArchive& archive) {
  torch::NoGradGuard no_grad;
  torch::Tensor steps;
  archive.read("steps", steps);
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    for (const auto& [name, target] : {std::pair<std::string, torch::Tensor*>{"exp_avg_", &groups_[g].exp_avg},
                                       {"exp_avg_sq_", &groups_[g].exp_avg_sq}}) {
      torch::Tensor read;
      archive.read(name + std::to_string(g), read, /*is_buffer=*/true);
      TORCH_CHECK(read.sizes() == target->sizes(), "optimizer state ", name, g, " has ", read.sizes(),
                  " elements, the model ", target->sizes());
      target->copy_(read);
    }
  }
  steps_ = steps.item<std::int64_t>();
}

}  // namespace asen::nn
