#pragma once
// The subcommands of the `asen` tool. Each one is an options struct that
// CLI11 fills in, a function that registers the subcommand and its options,
// and a function that runs it (calls the library, prints, returns an exit
// status). main.cpp owns the parsing and maps exceptions to exit statuses.

#include "graph_specs.hpp"  // read_graph_file, register_graph_specs
#include "output.hpp"

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/graph/automorphisms.hpp>
#include <asen/graph/base_graph.hpp>
#include <asen/graph/certificate.hpp>
#include <asen/graph/colored_digraph.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace asen::cli {

/// Exit statuses: 0 success, 1 a failure of the library or the system,
/// 2 bad input (arguments, specs, limits, GAP errors).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

/// What std::bad_alloc becomes: `what` is "this request" or "this line".
inline std::string out_of_memory_message(const std::string& what) {
  return "out of memory: " + what +
         " needs more memory than the machine could give (lower --memory-limit-mb where the subcommand has it, "
         "or ask for less)";
}

/// The largest degree accepted from the user: the algebra layer's limit
/// (2^24 points; algebra/src/limits.hpp), checked here too so that --degree
/// is refused by the argument parser.
constexpr std::size_t kMaxDegree = std::size_t{1} << 24U;

/// Accepts only decimal digits: CLI11 would read "-1" into an unsigned
/// option as its largest value.
inline CLI::Validator digits_only() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
          return "expected a non-negative integer, got '" + text + "'";
        // Above 2^64 - 1 CLI11 would saturate silently.
        const std::string digits = text.substr(std::min(text.find_first_not_of('0'), text.size() - 1));
        const std::string largest = "18446744073709551615";
        if (digits.size() > largest.size() || (digits.size() == largest.size() && digits > largest))
          return "'" + text + "' is above the largest value, " + largest;
        return {};
      },
      "", "digits");
}

/// An integer from `lo` to `hi` written in decimal digits, one message for
/// every way of missing it ("-1", "0", "10^20").
inline CLI::Validator integer_in(std::size_t lo, std::size_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        const std::string expected = "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                                     ", got '" + text + "'";
        if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
          return expected;
        const auto value = static_cast<std::size_t>(std::stoull(text));
        return value < lo || value > hi ? expected : std::string();
      },
      "", "integer range");
}

struct GroupOptions {
  std::optional<std::string> spec;  ///< absent with --batch
  std::optional<std::size_t> degree;
  bool json = false;
  algebra::Backend backend = algebra::Backend::native;
  std::string batch_file;  ///< empty: no batch; "-": stdin
};

struct OrbitalsOptions {
  std::optional<std::string> spec;  ///< absent with --batch
  std::optional<std::size_t> degree;
  bool json = false;
  bool colors = false;
  algebra::OrbitalMethod method = algebra::OrbitalMethod::automatic;
  std::string out_file;  ///< empty: no file
  std::optional<std::size_t> memory_limit_mb;
  std::string batch_file;
};

struct ReportOptions {
  bool json = false;
};

/// `asen certify`: the certified 2-closure (graph::certify).
struct CertifyOptions {
  std::optional<std::string> spec;  ///< absent with --batch
  std::optional<std::size_t> degree;
  bool json = false;
  bool cross_check = false;
  graph::AutomorphismBackend backend = graph::AutomorphismBackend::automatic;
  bool no_hash = false;
  bool hash = false;
  std::size_t max_witnesses = 3;
  std::optional<std::size_t> memory_limit_mb;
  std::string batch_file;
};

/// `asen automorphisms`: the automorphism group of a user's graph file.
struct AutomorphismsOptions {
  std::string graph_file;
  bool json = false;
  graph::AutomorphismBackend backend = graph::AutomorphismBackend::automatic;
};

/// `asen breaking-input`: the breaking input of a group, written to a file.
struct BreakingInputOptions {
  std::string spec;
  std::optional<std::size_t> degree;
  std::string base_file;  ///< empty: no base graph
  graph::BreakingMode mode = graph::BreakingMode::dense;
  std::string out_file;
  std::optional<std::size_t> memory_limit_mb;
};

/// `asen train`: ASEN on the synthetic tasks, on one task (--task), on
/// several with one shared backbone (--tasks), or pretrained on some and
/// finetuned on another (--pretrain, --finetune); or on a user's data folder
/// (--data). Runs in the nn plugin.
struct TrainOptions {
  std::string task;       ///< --task T (single task)
  std::string tasks;      ///< --tasks A,B,C (multi-task)
  std::string pretrain;   ///< --pretrain A,B (transfer, with --finetune)
  std::string finetune;   ///< --finetune C
  std::string group;      ///< --group SPEC (single task); empty: the task's own
  std::string groups;     ///< --groups A=SPEC,B=SPEC
  std::string data_dir;   ///< --data DIR: a user's data folder (nn/graph_data.hpp)
  std::string breaking_mode;  ///< --mode (with --data); empty: asen.json's, else dense
  std::string head;       ///< --head (with --data); empty: asen.json's, else by the targets' dtype
  std::size_t epochs = 15;
  std::size_t samples = 1000;  ///< per task, split 70/15/15
  std::size_t length = 10;
  std::size_t batch = 8;
  std::uint64_t seed = 0;
  std::string out_dir;  ///< empty: runs/<tasks>[-<group>]-seed<S>
  // The nn library's defaults (TrainConfig), repeated: the executable does
  // not link it.
  double lr_backbone = 0.002;
  double lr_edges = 0.002;
  double lr_tokens = 0.002;
  double edge_init_scale = 1.0;
  std::string lr_schedule = "cosine";
  std::size_t hidden = 128;
  std::size_t layers = 4;
  std::size_t heads = 8;
  double dropout = 0.05;
  double finetune_fraction = 0.15;
  double finetune_lr_scale = 0.1;
  std::string device = "auto";
  std::size_t threads = 0;  ///< 0: LibTorch's default
  bool no_progress = false;
  bool json = false;
  std::optional<std::size_t> gap_memory_mb;  ///< the global option, for the plugin's GAP
};

/// The seed of `asen eval`'s test data unless --seed is given: one that
/// `asen train` does not use for data unless asked to with --seed.
constexpr std::uint64_t kEvalDefaultSeed = 1000000007;

/// `asen eval`: a saved model on newly generated data of its tasks.
struct EvalOptions {
  std::string model_file;
  std::size_t samples = 1000;  ///< per structure
  bool samples_given = false;
  std::optional<std::uint64_t> seed;  ///< absent: kEvalDefaultSeed (or the next one)
  std::size_t batch = 256;
  /// A data folder to evaluate a model trained with `asen train --data` on
  /// (every sample); empty: the folder it was trained on, its test split.
  std::string data_dir;
  bool json = false;
  std::optional<std::size_t> gap_memory_mb;
};

/// `asen equivariance`: a saved model's symmetry, checked per structure.
struct EquivarianceOptions {
  std::string model_file;
  std::string structure;  ///< empty: every structure
  std::size_t random = 8;
  std::uint64_t seed = 0;
  bool json = false;
  std::optional<std::size_t> gap_memory_mb;
};

/// `asen discover`: the symmetry a trained model's colour embeddings show
/// (discover_command.cpp; runs in the nn plugin).
struct DiscoverOptions {
  std::string model_file;
  std::string structure;  ///< empty: every structure
  double threshold = 0.5;  ///< nn::kDefaultDiscoverThreshold, repeated
  std::string feature = "embedding";
  std::optional<std::string> true_group;  ///< absent: the synthetic task's own
  bool json = false;
  std::optional<std::size_t> gap_memory_mb;
};

/// An exact group order and how it was established: "known-order",
/// "deterministic" or "monte-carlo" (see StabChain), or "gap".
struct ExactOrder {
  algebra::BigInt value;
  std::string proof;
};

/// The exact order of `group`. Native: PermGroup::order() and order_proof()
/// (a trusted known order — named groups, products of them, GAP's Size for
/// gap: specs, nauty's for graph: specs — without building a chain; else the
/// stabilizer chain's order and proof). GAP: GAP's Size, proof "gap".
ExactOrder exact_order(const algebra::PermGroup& group, algebra::Backend backend);

/// Registers `group` on `app`, writing into `options` (which must outlive the parse).
CLI::App* add_group_command(CLI::App& app, GroupOptions& options);
/// Runs `group`. \throws whatever the library throws; main maps it to an exit status.
int run_group(const GroupOptions& options, std::ostream& out);

CLI::App* add_orbitals_command(CLI::App& app, OrbitalsOptions& options);
int run_orbitals(const OrbitalsOptions& options, std::ostream& out);

CLI::App* add_report_command(CLI::App& app, ReportOptions& options);
int run_report(const ReportOptions& options, std::ostream& out);

CLI::App* add_certify_command(CLI::App& app, CertifyOptions& options);
int run_certify(const CertifyOptions& options, std::ostream& out);

CLI::App* add_automorphisms_command(CLI::App& app, AutomorphismsOptions& options);
int run_automorphisms(const AutomorphismsOptions& options, std::ostream& out);

CLI::App* add_breaking_input_command(CLI::App& app, BreakingInputOptions& options);
int run_breaking_input(const BreakingInputOptions& options, std::ostream& out);

/// The nn commands (nn_commands.cpp): parsed here, run in the LibTorch
/// plugin (nn_plugin.hpp). Without LibTorch they fail with exit status 1.
CLI::App* add_train_command(CLI::App& app, TrainOptions& options);
int run_train(const TrainOptions& options, std::ostream& out);
CLI::App* add_eval_command(CLI::App& app, EvalOptions& options);
int run_eval(const EvalOptions& options, std::ostream& out);
CLI::App* add_equivariance_command(CLI::App& app, EquivarianceOptions& options);
int run_equivariance(const EquivarianceOptions& options, std::ostream& out);

CLI::App* add_discover_command(CLI::App& app, DiscoverOptions& options);
int run_discover(const DiscoverOptions& options, std::ostream& out);

/// MiB to bytes, saturating.
std::size_t mib_to_bytes(std::size_t mib);

/// A `--backend auto|nauty|traces` option (for certify and automorphisms).
CLI::Option* add_automorphism_backend_option(CLI::App& cmd, graph::AutomorphismBackend& backend);

/// The certify fields of `cert` as a JSON object, in the documented order
/// (see `asen certify --help`). `with_timings`: end with "timings_ms"
/// (per stage); otherwise with "total_ms" only (for the report).
Json certificate_json(const graph::Certificate& cert, bool with_timings);

}  // namespace asen::cli
