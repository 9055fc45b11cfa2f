// `asen discover` in the nn plugin: loads the model, runs nn::discover_symmetry
// per structure and answers with JSON (keys in discover_command.cpp).

#include "discover_plugin.hpp"

#include <asen/algebra/types.hpp>
#include <asen/error.hpp>
#include <asen/nn/discover.hpp>
#include <asen/nn/training.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace asen::cli {
namespace {

using Json = nlohmann::ordered_json;

Json optional_bool(const std::optional<bool>& value) { return value ? Json(*value) : Json(nullptr); }

Json discovery_json(const nn::Discovery& d, const std::string& trained_spec) {
  Json trained = Json::object();
  trained["spec"] = trained_spec;
  trained["order"] = algebra::to_decimal(d.trained_group ? d.trained_group->order : d.trained_closure_order);
  trained["closure_order"] = algebra::to_decimal(d.trained_closure_order);
  trained["rank"] = d.num_colors;
  Json generators = Json::array();
  for (const auto& g : d.discovered.generators) generators.push_back(g.images());
  Json discovered = Json::object();
  discovered["order"] = algebra::to_decimal(d.discovered.order);
  discovered["generators"] = std::move(generators);
  discovered["orbits"] = d.discovered.orbits;
  discovered["contains_trained_group"] = d.contains_trained_group;
  discovered["larger_than_trained"] = d.larger_than_trained;
  Json truth = nullptr;
  if (d.true_group)
    truth = {{"spec", d.true_group->spec},
             {"order", algebra::to_decimal(d.true_group->order)},
             {"closure_order", algebra::to_decimal(d.true_group->closure_order)}};
  Json representatives = Json::array();
  for (const auto& [s, t] : d.representatives) representatives.push_back({s, t});
  Json out = Json::object();
  out["structure"] = d.structure;
  out["nodes"] = d.num_nodes;
  out["trained_group"] = std::move(trained);
  out["threshold"] = d.threshold;
  out["feature"] = nn::to_string(d.feature);
  out["scale"] = d.scale;
  out["representatives"] = std::move(representatives);
  out["clusters"] = d.clusters;
  out["unused_colors"] = d.unused_colors;
  out["merged_rank"] = d.merged_rank;
  out["discovered"] = std::move(discovered);
  out["true_group"] = std::move(truth);
  out["equals_true_group"] = optional_bool(d.equals_true_group);
  out["equals_true_closure"] = optional_bool(d.equals_true_closure);
  out["distances"] = d.distances;
  return out;
}

}  // namespace

Json run_discover_in_plugin(const Json& o) {
  const std::string path = o.at("model").get<std::string>();
  nn::LoadedModel loaded = nn::load_model(path);
  const std::string wanted = o.at("structure").get<std::string>();
  if (!wanted.empty() && !loaded.model->has_structure(wanted)) {
    std::string names;
    for (const auto& n : loaded.model->structure_names()) names += (names.empty() ? "" : ", ") + n;
    throw InputError("the model " + path + " has no structure '" + wanted + "' (it has: " + names + ")");
  }
  nn::DiscoverOptions options;
  options.threshold = o.at("threshold").get<double>();
  options.feature = nn::parse_color_feature(o.at("feature").get<std::string>());
  if (!o.at("true_group").is_null()) options.true_group = o.at("true_group").get<std::string>();
  Json structures = Json::array();
  for (const auto& t : loaded.tasks) {
    if (!wanted.empty() && t.name != wanted) continue;
    const nn::Discovery d = nn::discover_symmetry(loaded.model, t.name, options);
    for (const auto& note : d.notes) std::cerr << "asen: note: " << note << std::endl;
    structures.push_back(discovery_json(d, t.group));
  }
  return {{"structures", std::move(structures)}};
}

}  // namespace asen::cli
