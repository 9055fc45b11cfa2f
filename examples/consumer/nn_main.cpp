// Uses the installed asen::nn library: an ASEN model made equivariant to a
// group by its breaking input, then checked inside and outside the group.
#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <asen/nn/equivariance.hpp>
#include <asen/nn/model.hpp>

#include <iostream>

int main(int argc, char** argv) {
  const std::string spec = argc > 1 ? argv[1] : "D(8)";
  try {
    torch::manual_seed(0);
    const auto group = asen::algebra::PermGroup::parse(spec);
    asen::nn::AsenModel model(asen::nn::BackboneOptions().hidden(16).heads(2).layers(2));
    asen::nn::StructureSpec structure;
    structure.name = "task";
    structure.input = asen::nn::BreakingInput::for_group(group);
    structure.vocab = 4;
    model->add_structure(structure);
    model->eval();
    const auto n = static_cast<std::int64_t>(group.degree());
    const torch::Tensor out = model->forward("task", torch::randint(4, {3, n}, torch::kInt64));
    const auto report = asen::nn::check_equivariance(model, "task", group, 4);
    std::cout << spec << ": output [" << out.size(0) << ", " << out.size(1) << ", " << out.size(2) << "], "
              << structure.input.num_colors() << " colours, inside "
              << (report.inside_max_error <= 1e-5 ? "equivariant" : "NOT equivariant") << ", outside "
              << (report.outside_max_error && *report.outside_max_error > 1e-3 ? "not equivariant" : "equivariant")
              << "\n";
  } catch (const asen::Error& e) {
    std::cerr << "consumer_nn: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
