// The `asen` command-line tool: parses the arguments into options structs,
// runs one subcommand, and maps every failure to one line on stderr and an
// exit status (STYLE §13):
//   0  success
//   1  a failure of the library or the system (asen::Error, std::exception)
//   2  bad input: arguments, specs, points, limits, GAP errors (InputError)

#include "commands.hpp"
#include "output.hpp"

#include <asen/algebra/gap.hpp>
#include <asen/error.hpp>

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>

namespace asen::cli {
namespace {

struct GlobalOptions {
  std::optional<std::size_t> gap_memory_mb;
};

int report_error(const std::string& message, int status) {
  const std::string text = one_line(message);
  std::cerr << "asen: error: " << (text.empty() ? "unknown error" : text) << std::endl;
  return status;
}

int run(int argc, char** argv) {
  CLI::App app{
      "asen: orbitals of permutation groups, exact orders, colour matrices, certified 2-closures, "
      "breaking inputs, and ASEN models trained, evaluated and checked for equivariance.\n"
      "Points are 0-based in JSON and image lists; cycle notation is 1-based, as in GAP.",
      "asen"};
  app.set_version_flag("--version", std::string("asen ") + ASEN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  GlobalOptions global;
  app.add_option("--gap-memory-mb", global.gap_memory_mb, "GAP's workspace limit in MiB (default 4096)")
      ->type_name("M")
      ->check(digits_only())
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30U));
  GroupOptions group_options;
  OrbitalsOptions orbitals_options;
  ReportOptions report_options;
  CertifyOptions certify_options;
  AutomorphismsOptions automorphisms_options;
  BreakingInputOptions breaking_input_options;
  TrainOptions train_options;
  EvalOptions eval_options;
  EquivarianceOptions equivariance_options;
  DiscoverOptions discover_options;
  CLI::App* group = add_group_command(app, group_options);
  CLI::App* orbitals = add_orbitals_command(app, orbitals_options);
  CLI::App* certify = add_certify_command(app, certify_options);
  CLI::App* automorphisms = add_automorphisms_command(app, automorphisms_options);
  CLI::App* breaking_input = add_breaking_input_command(app, breaking_input_options);
  CLI::App* report = add_report_command(app, report_options);
  CLI::App* train = add_train_command(app, train_options);
  CLI::App* eval = add_eval_command(app, eval_options);
  CLI::App* equivariance = add_equivariance_command(app, equivariance_options);
  CLI::App* discover = add_discover_command(app, discover_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // The first word that is not an option or its value names the subcommand.
    std::string help = "asen --help";
    for (int k = 1; k < argc; ++k) {
      const std::string word = argv[k];
      if (word == "--gap-memory-mb") {
        ++k;
        continue;
      }
      if (word.rfind('-', 0) == 0) continue;
      std::string names;
      bool known = false;
      for (const CLI::App* sub : app.get_subcommands({})) {
        names += (names.empty() ? "" : ", ") + sub->get_name();
        known = known || sub->get_name() == word;
      }
      if (known) {
        help = "asen " + word + " --help";
        break;
      }
      return report_error("unknown subcommand '" + word + "'; the subcommands are " + names + " (see 'asen --help')",
                          kExitBadInput);
    }
    // CLI11 says "--epochs: At Most 1 required but received 2" for an option
    // given twice, which reads like a bound on its value.
    std::string what = e.what();
    const std::string twice = ": At Most 1 required but received ";
    if (const auto at = what.find(twice); at != std::string::npos && what.rfind("--", 0) == 0)
      what = what.substr(0, at) + " is given " + what.substr(at + twice.size()) + " times; give it once";
    return report_error(what + " (see '" + help + "')", kExitBadInput);
  }

  if (global.gap_memory_mb) {
    algebra::gap::Settings settings;
    settings.memory_limit_mb = *global.gap_memory_mb;
    algebra::gap::configure(settings);
  }
  if (*group) return run_group(group_options, std::cout);
  if (*orbitals) return run_orbitals(orbitals_options, std::cout);
  if (*certify) return run_certify(certify_options, std::cout);
  if (*automorphisms) return run_automorphisms(automorphisms_options, std::cout);
  if (*breaking_input) return run_breaking_input(breaking_input_options, std::cout);
  if (*report) return run_report(report_options, std::cout);
  // The nn commands run in their plugin, which has its own GAP settings.
  train_options.gap_memory_mb = global.gap_memory_mb;
  eval_options.gap_memory_mb = global.gap_memory_mb;
  equivariance_options.gap_memory_mb = global.gap_memory_mb;
  if (*train) return run_train(train_options, std::cout);
  if (*eval) return run_eval(eval_options, std::cout);
  if (*equivariance) return run_equivariance(equivariance_options, std::cout);
  discover_options.gap_memory_mb = global.gap_memory_mb;
  if (*discover) return run_discover(discover_options, std::cout);
  throw Error("internal error: no subcommand ran");
}

}  // namespace
}  // namespace asen::cli

int main(int argc, char** argv) {
  using asen::cli::kExitBadInput;
  using asen::cli::kExitFailure;
  using asen::cli::report_error;
  // A file that grows past RLIMIT_FSIZE then fails a write with EFBIG (and
  // the output is cleaned up) instead of the process being killed.
  std::signal(SIGXFSZ, SIG_IGN);
  std::ios::sync_with_stdio(false);
  try {
    // "graph:FILE" is a group spec everywhere (group, orbitals, certify, batch).
    asen::cli::register_graph_specs();
    const int status = asen::cli::run(argc, argv);
    std::cout.flush();
    if (!std::cout) return report_error("writing to standard output failed", kExitFailure);
    return status;
  } catch (const asen::InputError& e) {  // also LimitError and GapError
    return report_error(e.what(), kExitBadInput);
  } catch (const asen::Error& e) {
    return report_error(e.what(), kExitFailure);
  } catch (const std::out_of_range& e) {  // a bad point
    return report_error(e.what(), kExitBadInput);
  } catch (const std::invalid_argument& e) {
    return report_error(e.what(), kExitBadInput);
  } catch (const std::bad_alloc&) {  // an allocation over what the machine has
    return report_error(asen::cli::out_of_memory_message("this request"), kExitBadInput);
  } catch (const std::exception& e) {
    return report_error(e.what(), kExitFailure);
  } catch (...) {
    return report_error("unknown error", kExitFailure);
  }
}
