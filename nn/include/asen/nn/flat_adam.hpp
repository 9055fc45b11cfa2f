#pragma once
// Adam over parameters packed into one flat buffer per parameter group.
//
// At n = 10 the model has 54 small parameter tensors, and torch's Adam runs
// about seven tensor operations per tensor per step, plus a norm per tensor
// for gradient clipping: a tenth of a training step went to that overhead.
// Here every parameter (and its gradient) of a group becomes a view into one
// contiguous buffer, so a step is a few operations per group. The update is
// torch::optim::Adam's (L2 weight decay added to the gradient, bias-corrected
// moments, eps added after the square root); a parameter that got no
// gradient in a step sees a zero gradient, as with torch's zero_grad().
// train() and finetune() use it; it is public for benchmarks and for users'
// own training loops.

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace asen::nn {

class FlatAdam {
 public:
  struct GroupOptions {
    double lr = 1e-3;
    double weight_decay = 0;
  };

  /// Packs each group's parameters (same dtype and device within a group)
  /// into a buffer; the tensors keep their identity, their data and their
  /// gradients become views. Parameters must not be re-assigned (e.g. by
  /// Module::to or load) while this optimiser is used.
  FlatAdam(const std::vector<std::vector<torch::Tensor>>& groups, const std::vector<GroupOptions>& options);

  void zero_grad();
  /// Scales all gradients so that their joint 2-norm is at most max_norm;
  /// returns the norm before scaling.
  double clip_grad_norm(double max_norm);
  void step();

  void set_lr(std::size_t group, double lr) { groups_.at(group).options.lr = lr; }
  [[nodiscard]] double lr(std::size_t group) const { return groups_.at(group).options.lr; }
  [[nodiscard]] std::size_t num_groups() const { return groups_.size(); }

  void save(torch::serialize::OutputArchive& archive) const;
  /// \throws c10::Error when the archive does not match these groups.
  void load(torch::serialize::InputArchive& archive);

 private:
  struct Group {
    GroupOptions options;
    torch::Tensor data, grad, exp_avg, exp_avg_sq;  // flat
  };
  std::vector<Group> groups_;
  std::int64_t steps_ = 0;
};

}  // namespace asen::nn
