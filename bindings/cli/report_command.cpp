// `asen report`: the main job on a built-in suite of groups. For each group:
// degree, exact order and how it was proven, orbits, rank (the number of
// orbitals), transitivity and primitivity, and its certified 2-closure
// G^(2): closure order, index, 2-closed or not (graph::certify).
//
// To extend the report (e.g. with certified 2-closures), add a field to
// GroupReport, fill it in analyse(), and add it to report_json() and to the
// text table in run_report().

#include "commands.hpp"
#include "output.hpp"

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/algebra/stab_chain.hpp>
#include <asen/graph/certificate.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace asen::cli {
namespace {

using algebra::PermGroup;

/// The built-in suite, in report order: the one place to add groups.
const std::vector<std::string>& report_suite() {
  static const std::vector<std::string> suite = {
      "mirror(10)", "D(10)", "wreath(S(5),S(2))", "S(5)", "A(5)", "C(8)",
  };
  return suite;
}

struct GroupReport {
  std::string spec;
  std::size_t degree = 0;
  algebra::BigInt order;
  std::string order_proof;
  std::vector<std::vector<algebra::Point>> orbits;
  std::size_t rank = 0;
  bool transitive = false;
  bool primitive = false;
  graph::Certificate certificate;
};

GroupReport analyse(const std::string& spec) {
  const PermGroup group = PermGroup::parse(spec);
  GroupReport r;
  r.spec = spec;
  r.degree = group.degree();
  ExactOrder order = exact_order(group, algebra::Backend::native);
  r.order = std::move(order.value);
  r.order_proof = std::move(order.proof);
  r.orbits = group.orbits();
  r.rank = algebra::Orbitals::compute(group).rank();
  r.transitive = group.is_transitive();
  r.primitive = group.is_primitive();
  r.certificate = graph::certify(group);
  return r;
}

Json report_json(const GroupReport& r) {
  Json out = Json::object();
  out["spec"] = r.spec;
  out["degree"] = r.degree;
  out["order"] = algebra::to_decimal(r.order);
  out["order_proof"] = r.order_proof;
  out["num_orbits"] = r.orbits.size();
  out["orbits"] = r.orbits;
  out["rank"] = r.rank;
  out["transitive"] = r.transitive;
  out["primitive"] = r.primitive;
  out["certificate"] = certificate_json(r.certificate, false);
  return out;
}

}  // namespace

CLI::App* add_report_command(CLI::App& app, ReportOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "report", "Orders, orbits, ranks, primitivity and certified 2-closures of a built-in suite of groups");
  cmd->add_flag("--json", options.json, "print one JSON object {\"groups\": [...]}");
  return cmd;
}

int run_report(const ReportOptions& options, std::ostream& out) {
  std::vector<GroupReport> reports;
  reports.reserve(report_suite().size());
  for (const auto& spec : report_suite()) reports.push_back(analyse(spec));

  if (options.json) {
    Json groups = Json::array();
    for (const auto& r : reports) groups.push_back(report_json(r));
    write_json(out, Json{{"groups", std::move(groups)}});
    out << '\n';
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  rows.reserve(reports.size());
  for (const auto& r : reports)
    rows.push_back({r.spec, std::to_string(r.degree), algebra::to_decimal(r.order), r.order_proof,
                    std::to_string(r.orbits.size()), std::to_string(r.rank), yes_no(r.transitive),
                    yes_no(r.primitive), algebra::to_decimal(r.certificate.closure_order),
                    algebra::to_decimal(r.certificate.index), yes_no(r.certificate.two_closed)});
  print_table(out,
              {"group", "degree", "order", "proof", "orbits", "rank", "transitive", "primitive", "|G^(2)|",
               "index", "2-closed"},
              rows, {false, true, true, false, true, true, false, false, true, true, false});
  // Below the table: what makes each group that is not 2-closed so.
  bool first = true;
  for (const auto& r : reports) {
    if (r.certificate.two_closed) continue;
    if (first) out << '\n';
    first = false;
    out << r.spec << " is not 2-closed: " << r.certificate.witnesses.front().to_cycle_string()
        << " preserves every orbital but is not in the group\n";
  }
  return kExitOk;
}

}  // namespace asen::cli
