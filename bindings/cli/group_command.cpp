// `asen group SPEC`: degree, exact order, generators, orbits, transitivity
// and primitivity of one group (or of each group of a batch).

#include "batch.hpp"
#include "commands.hpp"
#include "output.hpp"

#include <asen/algebra/perm_group.hpp>
#include <asen/algebra/stab_chain.hpp>  // to_string(ChainProof)
#include <asen/error.hpp>

#include <ostream>

namespace asen::cli {
namespace {

using algebra::Backend;
using algebra::PermGroup;

constexpr std::size_t kMaxTextGenerators = 8;
constexpr std::size_t kMaxTextChars = 100;

// The generators go in the reply beside the object (a placeholder there).
JsonReply group_reply(const PermGroup& group, Backend backend) {
  JsonReply reply;
  Json& out = reply.object;
  out["degree"] = group.degree();
  ExactOrder order = exact_order(group, backend);
  out["order"] = algebra::to_decimal(order.value);
  out["order_proof"] = std::move(order.proof);
  out["generators"] = nullptr;
  reply.generators = group.generators();
  out["transitive"] = group.is_transitive(backend);
  out["primitive"] = group.is_primitive(backend);
  out["orbits"] = group.orbits(backend);
  return reply;
}

void print_group_text(std::ostream& out, const std::string& spec, const JsonReply& reply) {
  const Json& info = reply.object;
  const auto& gens = *reply.generators;
  const auto& orbits = info["orbits"];
  out << "group       " << shorten(spec, kMaxTextChars) << '\n';
  out << "degree      " << info["degree"].get<std::size_t>() << '\n';
  out << "order       " << info["order"].get<std::string>() << " (" << info["order_proof"].get<std::string>()
      << ")\n";
  out << "generators  " << gens.size() << " (cycle notation, 1-based)\n";
  for (std::size_t k = 0; k < gens.size() && k < kMaxTextGenerators; ++k)
    out << "            " << shorten(gens[k].to_cycle_string(), kMaxTextChars) << '\n';
  if (gens.size() > kMaxTextGenerators) out << "            ...\n";
  out << "transitive  " << yes_no(info["transitive"].get<bool>()) << '\n';
  out << "primitive   " << yes_no(info["primitive"].get<bool>()) << '\n';
  out << "orbits      " << orbits.size() << " (0-based points)\n";
  for (std::size_t k = 0; k < orbits.size() && k < kMaxTextGenerators; ++k)
    out << "            " << points_text(orbits[k].get<std::vector<algebra::Point>>()) << '\n';
  if (orbits.size() > kMaxTextGenerators) out << "            ...\n";
}

}  // namespace

ExactOrder exact_order(const PermGroup& group, Backend backend) {
  if (backend == Backend::gap) return {group.order(Backend::gap), "gap"};
  return {group.order(), algebra::to_string(group.order_proof())};
}

CLI::App* add_group_command(CLI::App& app, GroupOptions& options) {
  CLI::App* cmd = app.add_subcommand("group", "Order, orbits, transitivity and primitivity of a group");
  auto* spec =
      cmd->add_option("SPEC", options.spec,
                      "group spec: cycles \"(1,2,3),(1,2)\", image lists \"[[1,0,2]]\", S(n), A(n), "
                      "C(n), D(n), trivial(n), mirror(n), X*Y, wreath(X,Y), gap:<expr>, graph:<file>")
          ->type_name("");
  auto* degree = cmd->add_option("--degree", options.degree, "act on N points (at least the spec's degree)")
                     ->type_name("N")
                     ->check(digits_only())
                     ->check(CLI::Range(std::size_t{0}, kMaxDegree));
  cmd->add_flag("--json", options.json, "print one JSON object");
  cmd->add_option_function<std::string>(
         "--backend",
         [&options](const std::string& name) {
           options.backend = name == "gap" ? Backend::gap : Backend::native;
         },
         "who computes: native (default) or gap")
      ->check(CLI::IsMember({"native", "gap"}))
      ->type_name("NAME");
  auto* batch = cmd->add_option("--batch", options.batch_file,
                                "JSON lines, one group per line ({\"spec\": ...} or {\"generators\": ...}); "
                                "'-' for standard input")
                    ->type_name("FILE");
  spec->excludes(batch);
  degree->excludes(batch);
  return cmd;
}

int run_group(const GroupOptions& options, std::ostream& out) {
  if (!options.batch_file.empty())
    return run_batch(
        options.batch_file,
        [&](const PermGroup& group) {
          return group_reply(group, options.backend);
        },
        out);
  if (!options.spec) throw InputError("missing the group SPEC (or --batch FILE)");
  const PermGroup group = PermGroup::parse(*options.spec, options.degree);
  const JsonReply reply = group_reply(group, options.backend);
  if (options.json) {
    write_json(out, reply);
    out << '\n';
  } else {
    print_group_text(out, *options.spec, reply);
  }
  return kExitOk;
}

}  // namespace asen::cli
