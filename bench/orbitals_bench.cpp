// Benchmark 1: orbitals (the paper's Algorithm 1) with asen.
//
// For every case of the cases file (label, n, expected rank, group spec):
// parses the group outside the clock, then times Orbitals::compute with the
// default options (the stabilizer-chain method) and with the union-find
// method, checks the colour matrix (rank, colour range, orbital sizes, both
// methods identical), and times allocating and filling an n² int32 array, the
// floor for any method that writes the dense matrix (alternating with the
// asen runs), and writing an already allocated one.
//
//   orbitals_bench [--min-seconds S] [--min-reps K] [--uf-max-work W] CASES|-
//
// Output: JSON lines on stdout, one per case and method; progress on
// stderr. Exit status 1 if a check fails. Run through run_orbitals_bench.py.

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "bench_common.hpp"

namespace {

using asen::algebra::OrbitalMethod;
using asen::algebra::OrbitalOptions;
using asen::algebra::Orbitals;
using asen::algebra::PermGroup;
using asen::algebra::Permutation;
namespace bench = asen::bench;

struct Settings {
  bench::RepeatPolicy policy;
  // Union-find does one union per pair and distinct generator: skip it when
  // that is more than this many unions (the paper's lists at n = 4000 would
  // take hours).
  double uf_max_work = 2.5e9;
  std::string cases;
};

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "orbitals_bench: " << what << "\n";
  std::exit(1);
}

// Everything we can check about a colour matrix without another system.
void check_orbitals(const Orbitals& o, std::size_t n, std::size_t expected_rank, const std::string& what) {
  if (!o.is_dense() || o.colors().size() != n * n) fail(what + ": the colour matrix is not n x n");
  if (o.rank() != expected_rank)
    fail(what + ": rank " + std::to_string(o.rank()) + ", expected " + std::to_string(expected_rank));
  std::vector<std::uint64_t> count(o.rank(), 0);
  for (std::int32_t c : o.colors()) {
    if (c < 0 || static_cast<std::size_t>(c) >= o.rank())
      fail(what + ": colour " + std::to_string(c) + " outside [0, rank)");
    ++count[static_cast<std::size_t>(c)];
  }
  for (std::size_t c = 0; c < o.rank(); ++c) {
    if (count[c] == 0) fail(what + ": colour " + std::to_string(c) + " is never used");
    if (count[c] != o.orbitals()[c].size)
      fail(what + ": orbital " + std::to_string(c) + " has " + std::to_string(count[c]) +
           " pairs in the matrix but size " + std::to_string(o.orbitals()[c].size));
  }
}

// One run of Orbitals::compute, in ms; the result is destroyed outside the
// clock (kept in `first` on the first run, for the checks).
double run_method(const PermGroup& group, OrbitalMethod method, std::optional<Orbitals>& first) {
  OrbitalOptions options;
  options.method = method;
  const auto t0 = bench::Clock::now();
  Orbitals o = Orbitals::compute(group, options);
  bench::escape(o.colors().data());
  const auto t1 = bench::Clock::now();
  if (!first) first = std::move(o);
  return bench::ms_between(t0, t1);
}

// Allocating an n² int32 array and filling it, in ms: what writing the dense
// colour matrix costs at the least (asen allocates its matrix the same way,
// so both pay the same page faults).
double run_fill(std::size_t n) {
  static volatile std::int32_t value = 7;  // not a compile-time constant
  static volatile std::int64_t sink = 0;
  const auto t0 = bench::Clock::now();
  std::vector<std::int32_t> m(n * n);
  std::fill(m.begin(), m.end(), static_cast<std::int32_t>(value));
  bench::escape(m.data());
  const auto t1 = bench::Clock::now();
  sink = sink + m[n * n / 2];
  return bench::ms_between(t0, t1);
}

// Writing i*n+j into an n² array that is already allocated and touched, in
// ms: the memory bandwidth part of run_fill, without the page faults.
double run_write(std::vector<std::int32_t>& m, std::size_t n) {
  const auto t0 = bench::Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    std::int32_t* row = m.data() + i * n;
    for (std::size_t j = 0; j < n; ++j) row[j] = static_cast<std::int32_t>(i * n + j);
  }
  bench::escape(m.data());
  return bench::ms_between(t0, bench::Clock::now());
}

std::size_t distinct_nonidentity(const PermGroup& g) {
  std::unordered_set<Permutation> seen;
  for (const auto& p : g.generators())
    if (!p.is_identity()) seen.insert(p);
  return seen.size();
}

Settings parse_args(int argc, char** argv) {
  Settings s;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    auto value = [&]() -> std::string {
      if (k + 1 >= argc) fail("option " + a + " needs a value");
      return argv[++k];
    };
    if (a == "--min-seconds") {
      s.policy.min_seconds = std::stod(value());
    } else if (a == "--min-reps") {
      s.policy.min_reps = std::stoi(value());
    } else if (a == "--uf-max-work") {
      s.uf_max_work = std::stod(value());
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage: orbitals_bench [--min-seconds S] [--min-reps K] [--uf-max-work W] CASES|-\n"
                   "CASES: lines 'label<TAB>n<TAB>expected rank<TAB>group spec'\n";
      std::exit(0);
    } else if (s.cases.empty()) {
      s.cases = a;
    } else {
      fail("unexpected argument '" + a + "'");
    }
  }
  if (s.cases.empty()) fail("no cases file given (see --help)");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const Settings settings = parse_args(argc, argv);
  try {
    for (const auto& fields : bench::read_cases(settings.cases, 4)) {
      const std::string& label = fields[0];
      const std::size_t n = std::stoul(fields[1]);
      const std::size_t expected_rank = std::stoul(fields[2]);
      const std::string what = label + " n=" + std::to_string(n);

      const auto p0 = bench::Clock::now();
      const PermGroup group = PermGroup::parse(fields[3]);
      const double parse_ms = bench::ms_between(p0, bench::Clock::now());
      if (group.degree() != n)
        fail(what + ": the spec has degree " + std::to_string(group.degree()));
      const std::size_t gens = group.generators().size();

      // asen and the fill baseline alternate, so both see the same machine
      // state (other processes, memory); the ratio is taken per pair.
      std::optional<Orbitals> chain_result;
      bench::Timing fill;
      bench::Timing ratio;
      const bench::Timing chain = bench::repeat(settings.policy, [&] {
        const double t = run_method(group, OrbitalMethod::automatic, chain_result);
        fill.ms.push_back(run_fill(n));
        ratio.ms.push_back(t / fill.ms.back());
        return t;
      });
      check_orbitals(*chain_result, n, expected_rank, what + " (stabilizer chain)");
      bench::Timing write;
      {
        std::vector<std::int32_t> m(n * n, 1);
        write = bench::repeat(settings.policy, [&] { return run_write(m, n); });
      }
      std::cerr << what << ": stabilizer chain " << chain.median() << " ms (" << chain.ms.size()
                << " reps), alloc+fill " << fill.median() << " ms, write " << write.median() << " ms"
                << std::endl;
      bench::JsonLine()
          .field("system", "asen")
          .field("method", "stabilizer_chain")
          .field("label", label)
          .field("n", n)
          .field("gens", gens)
          .field("rank", chain_result->rank())
          .field("parse_ms", parse_ms)
          .field("fill_ms", fill.median())
          .field("ratio_to_fill", ratio.median())
          .field("write_ms", write.median())
          .timing(chain)
          .print();

      const double work = static_cast<double>(distinct_nonidentity(group)) * static_cast<double>(n) *
                          static_cast<double>(n);
      bench::JsonLine uf_line;
      uf_line.field("system", "asen").field("method", "union_find").field("label", label).field("n", n).field(
          "gens", gens);
      if (work > settings.uf_max_work) {
        std::cerr << what << ": union-find skipped (" << work << " unions)" << std::endl;
        uf_line.field("skipped", "r*n^2 = " + bench::number(work) + " unions").print();
        continue;
      }
      std::optional<Orbitals> uf_result;
      const bench::Timing uf = bench::repeat(
          settings.policy, [&] { return run_method(group, OrbitalMethod::union_find, uf_result); });
      check_orbitals(*uf_result, n, expected_rank, what + " (union-find)");
      if (uf_result->colors() != chain_result->colors())
        fail(what + ": union-find and the stabilizer-chain method give different matrices");
      std::cerr << what << ": union-find " << uf.median() << " ms (" << uf.ms.size() << " reps)" << std::endl;
      uf_line.timing(uf).print();
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return 0;
}
