#pragma once
// The subcommands of the `asen` tool. Each one is an options struct that
// CLI11 fills in, a function that registers the subcommand and its options,
// and a function that runs it (calls the library, prints, returns an exit
// status). main.cpp owns the parsing and maps exceptions to exit statuses.

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>

#include <CLI/CLI.hpp>

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>

namespace asen::cli {

/// Exit statuses: 0 success, 1 a failure of the library or the system,
/// 2 bad input (arguments, specs, limits, GAP errors).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

/// The largest degree accepted from the user (the algebra layer's limit for
/// named groups; PermGroup::parse does not bound an explicit degree itself).
constexpr std::size_t kMaxDegree = 2147483647;

/// Accepts only decimal digits: CLI11 would read "-1" into an unsigned
/// option as its largest value.
inline CLI::Validator digits_only() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
          return "expected a non-negative integer, got '" + text + "'";
        return {};
      },
      "", "digits");
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

/// An exact group order and how it was established: "known-order",
/// "deterministic" or "monte-carlo" (see StabChain), or "gap".
struct ExactOrder {
  algebra::BigInt value;
  std::string proof;
};

/// The exact order of `group`. Native: PermGroup::order() and order_proof()
/// (a trusted known order — named groups, products of them, GAP's Size for
/// gap: specs — without building a chain; else the stabilizer chain's order
/// and proof). GAP: GAP's Size, proof "gap".
ExactOrder exact_order(const algebra::PermGroup& group, algebra::Backend backend);

/// Registers `group` on `app`, writing into `options` (which must outlive the parse).
CLI::App* add_group_command(CLI::App& app, GroupOptions& options);
/// Runs `group`. \throws whatever the library throws; main maps it to an exit status.
int run_group(const GroupOptions& options, std::ostream& out);

CLI::App* add_orbitals_command(CLI::App& app, OrbitalsOptions& options);
int run_orbitals(const OrbitalsOptions& options, std::ostream& out);

CLI::App* add_report_command(CLI::App& app, ReportOptions& options);
int run_report(const ReportOptions& options, std::ostream& out);

}  // namespace asen::cli
