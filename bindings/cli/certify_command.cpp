// `asen certify SPEC`: the certified 2-closure G^(2) of a group (the
// automorphism group of its orbital colouring, graph::certify): exact
// orders, the index [G^(2):G], whether G is 2-closed, generators of G^(2),
// witnesses in G^(2) \ G, the canonical hash of the colouring, and on
// request GAP's TwoClosure as a cross-check.

#include "batch.hpp"
#include "commands.hpp"
#include "output.hpp"

#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <asen/graph/automorphisms.hpp>
#include <asen/graph/certificate.hpp>

#include <iomanip>
#include <limits>
#include <ostream>
#include <sstream>

namespace asen::cli {
namespace {

using algebra::PermGroup;

constexpr std::size_t kMaxTextPermutations = 8;
constexpr std::size_t kMaxTextChars = 100;
constexpr std::size_t kMaxWitnessesLimit = 1000;


Json image_lists(const std::vector<algebra::Permutation>& perms) {
  Json out = Json::array();
  for (const auto& p : perms) out.push_back(p.images());
  return out;
}

double total_ms(const graph::Certificate& cert) {
  double total = 0.0;
  for (const auto& stage : cert.timings_ms) total += stage.second;
  return total;
}

std::string ms_text(double ms) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(3) << ms << " ms";
  return text.str();
}

graph::Certificate certify_group(const PermGroup& group, const CertifyOptions& options) {
  graph::CertifyOptions settings;
  settings.backend = options.backend;
  settings.cross_check = options.cross_check;
  settings.max_witnesses = options.max_witnesses;
  settings.canonical_hash = options.no_hash ? graph::HashPolicy::never
                            : options.hash  ? graph::HashPolicy::always
                                            : graph::HashPolicy::automatic;
  if (options.memory_limit_mb) settings.orbitals.memory_limit_bytes = mib_to_bytes(*options.memory_limit_mb);
  return graph::certify(group, settings);  // refuses a degree over the limit before allocating
}

std::string verdict_line(const std::string& spec, const graph::Certificate& cert) {
  const std::string order = algebra::to_decimal(cert.order);
  const std::string closure = algebra::to_decimal(cert.closure_order);
  std::string line = shorten(spec, kMaxTextChars) + ": ";
  if (cert.two_closed)
    line += "2-closed, |G| = |G^(2)| = " + order;
  else
    line += "not 2-closed, index " + algebra::to_decimal(cert.index) + ", |G| = " + order +
            ", |G^(2)| = " + closure;
  if (!cert.proven) line += " (not proven: Monte Carlo)";
  return line;
}

void print_permutations(std::ostream& out, const std::vector<algebra::Permutation>& perms,
                        const std::string& indent) {
  for (std::size_t k = 0; k < perms.size() && k < kMaxTextPermutations; ++k)
    out << indent << shorten(perms[k].to_cycle_string(), kMaxTextChars) << '\n';
  if (perms.size() > kMaxTextPermutations) out << indent << "...\n";
}

void print_certificate_text(std::ostream& out, const std::string& spec, const graph::Certificate& cert) {
  const std::string indent(22, ' ');
  out << verdict_line(spec, cert) << '\n';
  out << "  degree              " << cert.degree << '\n';
  out << "  rank                " << cert.rank << " orbitals\n";
  out << "  |G|                 " << algebra::to_decimal(cert.order) << " (" << cert.order_proof << ")\n";
  out << "  |G^(2)|             " << algebra::to_decimal(cert.closure_order) << " (" << cert.backend << ", "
      << cert.search_nodes << (cert.search_nodes == 1 ? " search node)\n" : " search nodes)\n");
  out << "  index               " << algebra::to_decimal(cert.index) << '\n';
  out << "  proven              " << yes_no(cert.proven) << '\n';
  out << "  closure generators  " << cert.closure_generators.size() << " (cycle notation, 1-based)\n";
  print_permutations(out, cert.closure_generators, indent);
  if (cert.witnesses.empty()) {
    out << "  witnesses           none (G = G^(2))\n";
  } else {
    out << "  witnesses           " << cert.witnesses.size() << " in G^(2) \\ G (cycle notation, 1-based)\n";
    print_permutations(out, cert.witnesses, indent);
  }
  out << "  colouring           ";
  if (cert.generators_preserve_coloring && cert.closure_preserves_coloring)
    out << "preserved by every generator of G and of G^(2)"
        << (cert.witnesses.empty() ? "" : " and by every witness") << '\n';
  else
    out << "NOT preserved (see --json)\n";
  if (!cert.canonical_hash.empty()) out << "  canonical hash      " << cert.canonical_hash << '\n';
  if (cert.cross_check) {
    const graph::CrossCheck& check = *cert.cross_check;
    out << "  cross-check         ";
    if (check.performed)
      out << "GAP's TwoClosure has order " << algebra::to_decimal(check.gap_two_closure_order) << ": "
          << (check.agrees ? "agrees" : "DISAGREES") << '\n';
    else
      out << "not performed: " << check.reason << '\n';
  }
  out << "  timings            ";
  for (const auto& [stage, ms] : cert.timings_ms) out << ' ' << stage << ' ' << ms_text(ms) << ',';
  out << " total " << ms_text(total_ms(cert)) << '\n';
}

}  // namespace

Json certificate_json(const graph::Certificate& cert, bool with_timings) {
  Json out = Json::object();
  out["degree"] = cert.degree;
  out["order"] = algebra::to_decimal(cert.order);
  out["order_proof"] = cert.order_proof;
  out["rank"] = cert.rank;
  out["closure_order"] = algebra::to_decimal(cert.closure_order);
  out["index"] = algebra::to_decimal(cert.index);
  out["two_closed"] = cert.two_closed;
  out["proven"] = cert.proven;
  out["closure_generators"] = image_lists(cert.closure_generators);
  out["witnesses"] = image_lists(cert.witnesses);
  out["generators_preserve_coloring"] = cert.generators_preserve_coloring;
  out["closure_preserves_coloring"] = cert.closure_preserves_coloring;
  out["canonical_hash"] = cert.canonical_hash.empty() ? Json(nullptr) : Json(cert.canonical_hash);
  if (cert.cross_check) {
    const graph::CrossCheck& check = *cert.cross_check;
    Json item = Json::object();
    item["performed"] = check.performed;
    item["gap_two_closure_order"] =
        check.performed ? Json(algebra::to_decimal(check.gap_two_closure_order)) : Json(nullptr);
    item["agrees"] = check.performed ? Json(check.agrees) : Json(nullptr);
    item["reason"] = check.performed ? Json(nullptr) : Json(check.reason);
    out["cross_check"] = std::move(item);
  }
  out["backend"] = cert.backend;
  out["search_nodes"] = cert.search_nodes;
  if (with_timings) {
    Json timings = Json::object();
    for (const auto& [stage, ms] : cert.timings_ms) timings[stage] = ms;
    out["timings_ms"] = std::move(timings);
  } else {
    out["total_ms"] = total_ms(cert);
  }
  return out;
}

CLI::Option* add_automorphism_backend_option(CLI::App& cmd, graph::AutomorphismBackend& backend) {
  return cmd
      .add_option_function<std::string>(
          "--backend",
          [&backend](const std::string& name) { backend = graph::parse_automorphism_backend(name); },
          "automorphism search: auto (default: Traces), nauty or traces")
      ->check(CLI::IsMember({"auto", "nauty", "traces"}))
      ->type_name("NAME");
}

CLI::App* add_certify_command(CLI::App& app, CertifyOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "certify",
      "Certified 2-closure G^(2) of a group: exact |G| and |G^(2)|, the index, 2-closed or not, "
      "witnesses in G^(2) \\ G.\n"
      "JSON: {degree, order, order_proof, rank, closure_order, index, two_closed, proven, "
      "closure_generators, witnesses, generators_preserve_coloring, closure_preserves_coloring, "
      "canonical_hash, cross_check (with --cross-check), backend, search_nodes, timings_ms}; "
      "orders are decimal strings, permutations 0-based image lists");
  auto* spec = cmd->add_option("SPEC", options.spec, "group spec (see 'asen group --help')")->type_name("");
  auto* degree = cmd->add_option("--degree", options.degree, "act on N points (at least the spec's degree)")
                     ->type_name("N")
                     ->check(digits_only())
                     ->check(CLI::Range(std::size_t{0}, kMaxDegree));
  cmd->add_flag("--json", options.json, "print one JSON object");
  cmd->add_flag("--cross-check", options.cross_check,
                "also compare with GAP's TwoClosure (transitive groups only; starts GAP)");
  add_automorphism_backend_option(*cmd, options.backend);
  auto* no_hash = cmd->add_flag("--no-hash", options.no_hash, "skip the canonical hash of the orbital colouring");
  cmd->add_flag("--hash", options.hash,
                "compute the canonical hash at any size (by default only up to degree 256 and n x (rank + 1) "
                "<= 2^17: beyond, it takes longer than the certificate)")
      ->excludes(no_hash);
  cmd->add_option("--max-witnesses", options.max_witnesses,
                  "the most witnesses in G^(2) \\ G to give when G is not 2-closed (default 3): closure "
                  "generators, their products and random closure elements outside G, a bounded search, so "
                  "possibly fewer than K; from 1 to 1000)")
      ->type_name("K")
      ->check(integer_in(1, kMaxWitnessesLimit));
  cmd->add_option("--memory-limit-mb", options.memory_limit_mb,
                  "largest memory for the colour matrix, the coloured digraph, the automorphism search and the "
                  "canonical hash, in MiB (default 4096), each checked before it allocates: about 48 bytes per "
                  "ordered pair before any work, then the search graph's and the hash's own estimates")
      ->type_name("M")
      ->check(digits_only())
      ->check([](const std::string& v) { return v.find_first_not_of('0') == std::string::npos ? std::string("the memory limit must be at least 1 MiB") : std::string(); });
  auto* batch =
      cmd->add_option("--batch", options.batch_file, "JSON lines, one group per line; '-' for standard input")
          ->type_name("FILE");
  spec->excludes(batch);
  degree->excludes(batch);
  return cmd;
}

int run_certify(const CertifyOptions& options, std::ostream& out) {
  if (!options.batch_file.empty())
    return run_batch(
        options.batch_file,
        [&](const PermGroup& group) {
          return JsonReply{certificate_json(certify_group(group, options), true), std::nullopt, std::nullopt};
        },
        out);
  if (!options.spec) throw InputError("missing the group SPEC (or --batch FILE)");
  const PermGroup group = PermGroup::parse(*options.spec, options.degree);
  const graph::Certificate cert = certify_group(group, options);
  if (options.json) {
    write_json(out, certificate_json(cert, true));
    out << '\n';
  } else {
    print_certificate_text(out, *options.spec, cert);
  }
  return kExitOk;
}

}  // namespace asen::cli
