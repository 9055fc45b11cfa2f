// `asen orbitals SPEC`: the orbits of a group on ordered pairs (its
// orbitals), with the canonical n×n colour matrix on request.

#include "batch.hpp"
#include "commands.hpp"
#include "matrix_files.hpp"
#include "output.hpp"

#include <asen/algebra/orbitals.hpp>
#include <asen/error.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <vector>

namespace asen::cli {
namespace {

using algebra::OrbitalMethod;
using algebra::Orbitals;
using algebra::PermGroup;

// The orbitals of `group` as the documented JSON object: the reply carries
// them, their records streamed into an "orbitals" placeholder, and with
// `with_colors` their matrix into a "colors" placeholder (see JsonReply).
JsonReply orbitals_reply(const PermGroup& group, const OrbitalsOptions& options, bool with_colors) {
  algebra::OrbitalOptions settings;
  settings.method = options.method;
  if (options.memory_limit_mb) settings.memory_limit_bytes = mib_to_bytes(*options.memory_limit_mb);
  // Without the colours asked for, a matrix over the memory limit is not
  // needed: the orbitals are then found pair by pair (the same numbering),
  // unless their records alone cannot fit either (k points fixed by every
  // generator give at least k^2 orbitals): then the matrix's own refusal, at
  // once.
  const auto n = static_cast<long double>(group.degree());
  const auto limit = static_cast<long double>(settings.memory_limit_bytes);
  settings.dense = with_colors || options.method == OrbitalMethod::union_find || n * n * sizeof(std::int32_t) <= limit;
  std::size_t fixed = 0;  // points fixed by every generator, when they decide a refusal
  if (!settings.dense) {
    std::vector<bool> moved(group.degree(), false);
    for (const auto& g : group.generators())
      for (algebra::Point p = 0; p < group.degree(); ++p)
        if (g[p] != p) moved[p] = true;
    const auto k = static_cast<std::size_t>(std::count(moved.begin(), moved.end(), false));
    if (static_cast<long double>(k) * k * sizeof(algebra::OrbitalInfo) > limit) fixed = k;
    settings.dense = fixed > 0;
  }

  const auto start = std::chrono::steady_clock::now();
  std::optional<Orbitals> computed;
  try {
    computed.emplace(Orbitals::compute(group, settings));
  } catch (const LimitError& e) {
    if (fixed == 0) throw;
    throw LimitError("its " + std::to_string(fixed) + " fixed points alone give " +
                     std::to_string(static_cast<unsigned long long>(fixed) * fixed) +
                     " orbitals, whose records need more than the memory limit of " +
                     std::to_string(static_cast<unsigned long long>(limit / (1 << 20))) +
                     " MiB; raise --memory-limit-mb");
  }
  Orbitals& orbitals = *computed;
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  Json out = Json::object();
  out["degree"] = orbitals.degree();
  out["rank"] = orbitals.rank();
  out["orbitals"] = nullptr;  // streamed from reply.orbitals
  if (with_colors) out["colors"] = nullptr;
  out["timings_ms"] = Json{{"orbitals", elapsed_ms}};
  JsonReply reply{std::move(out), std::move(orbitals), std::nullopt};
  return reply;
}

void print_orbitals_text(std::ostream& out, const std::string& spec, const JsonReply& reply, bool colors) {
  const Json& info = reply.object;
  out << "orbitals of " << shorten(spec, 100) << ": degree " << info["degree"].get<std::size_t>() << ", rank "
      << info["rank"].get<std::size_t>() << " (" << std::fixed << std::setprecision(3)
      << info["timings_ms"]["orbitals"].get<double>() << " ms)\n";
  out.unsetf(std::ios::floatfield);
  const auto& records = reply.orbitals->orbitals();
  print_table(
      out, {"id", "representative", "size", "paired", "diagonal", "self-paired"}, records.size(),
      [&records](std::size_t k) {
        const algebra::OrbitalInfo& o = records[k];
        return std::vector<std::string>{std::to_string(o.id),
                                        "(" + std::to_string(o.rep_i) + ", " + std::to_string(o.rep_j) + ")",
                                        std::to_string(o.size), std::to_string(o.paired), yes_no(o.diagonal),
                                        yes_no(o.self_paired)};
      },
      {true, false, true, true, false, false}, "  ");
  if (colors) {
    out << "colours (row i lists the colours of (i, 0), (i, 1), ...):\n";
    const std::size_t n = reply.orbitals->degree();
    const auto& matrix = reply.orbitals->colors();
    for (std::size_t i = 0; i < n; ++i) {
      out << ' ';
      for (std::size_t j = 0; j < n; ++j) out << ' ' << matrix[i * n + j];
      out << '\n';
    }
  }
}

}  // namespace

std::size_t mib_to_bytes(std::size_t mib) {
  constexpr unsigned kShift = 20;
  if (mib > (std::numeric_limits<std::size_t>::max() >> kShift))
    return std::numeric_limits<std::size_t>::max();
  return mib << kShift;
}

CLI::App* add_orbitals_command(CLI::App& app, OrbitalsOptions& options) {
  CLI::App* cmd = app.add_subcommand("orbitals", "Orbits of a group on ordered pairs, and its colour matrix");
  auto* spec = cmd->add_option("SPEC", options.spec, "group spec (see 'asen group --help')")->type_name("");
  auto* degree = cmd->add_option("--degree", options.degree, "act on N points (at least the spec's degree)")
                     ->type_name("N")
                     ->check(digits_only())
                     ->check(CLI::Range(std::size_t{0}, kMaxDegree));
  cmd->add_flag("--json", options.json, "print one JSON object");
  cmd->add_flag("--colors", options.colors, "include the n x n colour matrix in the output");
  static const std::map<std::string, OrbitalMethod> methods = {
      {"auto", OrbitalMethod::automatic},
      {"stabilizer-chain", OrbitalMethod::stabilizer_chain},
      {"union-find", OrbitalMethod::union_find}};
  cmd->add_option_function<std::string>(
         "--method", [&options](const std::string& name) { options.method = methods.at(name); },
         "auto (default), stabilizer-chain or union-find")
      ->check(CLI::IsMember({"auto", "stabilizer-chain", "union-find"}))
      ->type_name("NAME");
  auto* out = cmd->add_option("--out", options.out_file,
                              "write to FILE (atomically): the int32 colour matrix as .npy or .csv, or the whole JSON answer "
                              "with the matrix as .json")
                  ->type_name("FILE")
                  ->check(CLI::Validator(
                      [](std::string& text) { return text.empty() ? std::string("the file name is empty") : ""; },
                      "", "non-empty"));
  cmd->add_option("--memory-limit-mb", options.memory_limit_mb,
                  "largest memory for the colour matrix and the table of orbitals, in MiB (default 4096), "
                  "checked before allocating")
      ->type_name("M")
      ->check(digits_only())
      ->check([](const std::string& v) { return v.find_first_not_of('0') == std::string::npos ? std::string("the memory limit must be at least 1 MiB") : std::string(); });
  auto* batch =
      cmd->add_option("--batch", options.batch_file, "JSON lines, one group per line; '-' for standard input")
          ->type_name("FILE");
  spec->excludes(batch);
  degree->excludes(batch);
  out->excludes(batch);
  return cmd;
}

int run_orbitals(const OrbitalsOptions& options, std::ostream& out) {
  if (!options.batch_file.empty())
    return run_batch(
        options.batch_file,
        [&](const PermGroup& group) { return orbitals_reply(group, options, options.colors); }, out);
  if (!options.spec) throw InputError("missing the group SPEC (or --batch FILE)");
  // Check the output file's extension before any work.
  std::optional<MatrixFormat> format;
  if (!options.out_file.empty()) format = matrix_format_for(options.out_file);

  const PermGroup group = PermGroup::parse(*options.spec, options.degree);
  JsonReply reply = orbitals_reply(group, options, options.colors || format.has_value());
  if (format) save_colors(options.out_file, *format, reply);

  if (options.json) {
    if (!options.colors) reply.object.erase("colors");  // computed for --out only
    write_json(out, reply);
    out << '\n';
  } else {
    print_orbitals_text(out, *options.spec, reply, options.colors);
    if (format)
      out << (*format == MatrixFormat::json ? "wrote the orbitals and the colour matrix to "
                                            : "wrote the colour matrix to ")
          << options.out_file << '\n';
  }
  return kExitOk;
}

}  // namespace asen::cli
