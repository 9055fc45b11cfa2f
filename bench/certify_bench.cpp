// Benchmark 3: certified 2-closures with asen::graph::certify, and the raw
// automorphism search they rest on.
//
// For every case of the cases file (label, form, n, expected |G|, expected
// |G^(2)|, hash flag 0/1, group spec):
//   - certify: per repetition, parses the spec afresh outside the clock (so
//     no stabilizer chain is cached from an earlier run), then times
//     certify(group, options) with options.canonical_hash = false; keeps
//     the median of every stage of Certificate::timings_ms;
//   - with the hash flag: the same with canonical_hash = true;
//   - the raw search: outside the clock, Orbitals::compute(group),
//     ColoredDigraph::from_orbitals and the divisor certify would use (the
//     trusted known order, else the order of the group's chain); then times
//     automorphism_group(digraph, {traces, divisor}): its own search_ms (the
//     Traces call alone) and the wall time of the whole call (encoding,
//     search, orbits, exact order).
// Checks |G|, |G^(2)|, the index, two_closed, that the raw search finds the
// same order, and that the certificate's colouring checks held. A failed
// check does not stop the run (a wrong answer is a result of the benchmark):
// it goes into the case's "problems" list, and the exit status is then 3.
//
//   certify_bench [--min-seconds S] [--min-reps K] [--single-above S]
//                 [--no-search] CASES|-
//
// --single-above: certify with the hash, and the raw search, run once when
// their first run takes longer (seconds; default 2). Output: JSON lines on
// stdout, one per case; progress on stderr. Exit status 1 on an error, 3 if
// a check failed. Run through run_certify_bench.py.

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <asen/graph/automorphisms.hpp>
#include <asen/graph/certificate.hpp>
#include <asen/graph/colored_digraph.hpp>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace {

using asen::algebra::BigInt;
using asen::algebra::Orbitals;
using asen::algebra::PermGroup;
using asen::graph::AutomorphismBackend;
using asen::graph::AutomorphismGroup;
using asen::graph::AutomorphismOptions;
using asen::graph::Certificate;
using asen::graph::CertifyOptions;
using asen::graph::ColoredDigraph;
namespace bench = asen::bench;

struct Settings {
  bench::RepeatPolicy policy;
  double single_above_s = 2.0;
  bool search = true;
  std::string cases;
};

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "certify_bench: " << what << "\n";
  std::exit(1);
}

bench::Timing timing_of(std::vector<double> ms) {
  bench::Timing t;
  t.ms = std::move(ms);
  return t;
}

// As bench::repeat, but stops after the first run when it took longer than
// `single_above_ms` (for the slow columns).
template <typename Run>
bench::Timing repeat_or_once(const bench::RepeatPolicy& policy, double single_above_ms, Run&& run) {
  bench::Timing t;
  t.ms.push_back(run());
  if (t.ms.front() > single_above_ms) return t;
  while (static_cast<int>(t.ms.size()) < policy.max_reps &&
         (static_cast<int>(t.ms.size()) < policy.min_reps || t.total() < policy.min_seconds * 1e3))
    t.ms.push_back(run());
  return t;
}

// Repeated certify on freshly parsed groups; the last certificate and the
// per-stage times are kept.
struct CertifyRuns {
  bench::Timing total;
  std::optional<Certificate> last;
  std::vector<std::string> stage_order;
  std::map<std::string, std::vector<double>> stages;
};

CertifyRuns run_certify(const std::string& spec, bool hash, const bench::RepeatPolicy& policy,
                        double single_above_ms) {
  CertifyRuns runs;
  CertifyOptions options;
  options.canonical_hash = hash ? asen::graph::HashPolicy::always : asen::graph::HashPolicy::never;
  runs.total = repeat_or_once(policy, single_above_ms, [&] {
    double ms = 0;
    {
      const PermGroup group = PermGroup::parse(spec);
      const auto t0 = bench::Clock::now();
      Certificate cert = asen::graph::certify(group, options);
      ms = bench::ms_between(t0, bench::Clock::now());
      for (const auto& [stage, t] : cert.timings_ms) {
        if (runs.stages.find(stage) == runs.stages.end()) runs.stage_order.push_back(stage);
        runs.stages[stage].push_back(t);
      }
      runs.last = std::move(cert);
    }  // the group (and its chain) is destroyed outside the clock
    return ms;
  });
  return runs;
}

std::string stages_json(const CertifyRuns& runs) {
  std::string out = "{";
  for (const auto& stage : runs.stage_order) {
    if (out.size() > 1) out += ", ";
    out += bench::quoted(stage) + ": " + bench::number(timing_of(runs.stages.at(stage)).median());
  }
  return out + "}";
}

std::string stages_text(const CertifyRuns& runs) {
  std::string out;
  for (const auto& stage : runs.stage_order) {
    if (!out.empty()) out += ", ";
    out += stage + " " + bench::number(timing_of(runs.stages.at(stage)).median());
  }
  return out;
}

// A / B for big integers, as text ("1/396" when B is the multiple).
std::string ratio_text(const BigInt& a, const BigInt& b) {
  if (b != 0 && a % b == 0) return BigInt(a / b).str();
  if (a != 0 && b % a == 0) return "1/" + BigInt(b / a).str();
  return "not a multiple";
}

// What is wrong with a certificate, given the true orders (empty: nothing).
std::vector<std::string> check_certificate(const Certificate& c, const BigInt& order, const BigInt& closure) {
  std::vector<std::string> out;
  if (c.closure_order != closure)
    out.push_back("closure order is " + ratio_text(c.closure_order, closure) + " times the true " +
                  std::to_string(closure.str().size()) + "-digit order");
  if (c.order != order)
    out.push_back("group order is " + ratio_text(c.order, order) + " times the true |G| (order_proof " +
                  c.order_proof + ", proven " + (c.proven ? "true" : "false") + ")");
  if (c.index * c.order != c.closure_order) out.push_back("index * order != closure order");
  if (c.index != closure / order)
    out.push_back("index " + c.index.str() + ", expected " + BigInt(closure / order).str());
  if (c.two_closed != (order == closure)) out.push_back(std::string("two_closed is ") + (c.two_closed ? "true" : "false"));
  if (!c.two_closed && c.witnesses.empty()) out.push_back("not 2-closed but no witness");
  if (!c.generators_preserve_coloring || !c.closure_preserves_coloring) out.push_back("a colouring check failed");
  return out;
}

std::string strings_json(const std::vector<std::string>& v) {
  std::string out = "[";
  for (const auto& s : v) out += (out.size() > 1 ? ", " : "") + bench::quoted(s);
  return out + "]";
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
    } else if (a == "--single-above") {
      s.single_above_s = std::stod(value());
    } else if (a == "--no-search") {
      s.search = false;
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage: certify_bench [--min-seconds S] [--min-reps K] [--single-above S] [--no-search] CASES|-\n"
                   "CASES: lines 'label<TAB>form<TAB>n<TAB>|G|<TAB>|G^(2)|<TAB>hash 0/1<TAB>group spec'\n";
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
  const double single_above_ms = settings.single_above_s * 1e3;
  bool any_problem = false;
  try {
    for (const auto& fields : bench::read_cases(settings.cases, 7)) {
      const std::string& label = fields[0];
      const std::string& form = fields[1];
      const std::size_t n = std::stoul(fields[2]);
      const BigInt order(fields[3]);
      const BigInt closure(fields[4]);
      const bool hash = fields[5] == "1";
      const std::string& spec = fields[6];
      const std::string what = label + " n=" + std::to_string(n);

      const auto p0 = bench::Clock::now();
      const PermGroup reference = PermGroup::parse(spec);
      const double parse_ms = bench::ms_between(p0, bench::Clock::now());
      if (reference.degree() != n) fail(what + ": the spec has degree " + std::to_string(reference.degree()));

      // certify itself: always the repeat policy (at least min_reps runs).
      const CertifyRuns plain = run_certify(spec, false, settings.policy, 1e300);
      const Certificate& cert = *plain.last;
      std::vector<std::string> problems = check_certificate(cert, order, closure);
      std::cerr << what << ": certify " << plain.total.median() << " ms (" << plain.total.ms.size()
                << " reps; " << stages_text(plain) << ")" << std::endl;

      bench::JsonLine line;
      line.field("system", "asen")
          .field("label", label)
          .field("form", form)
          .field("n", n)
          .field("gens", reference.generators().size())
          .field("known_order", static_cast<bool>(reference.known_order_lazy()))
          .field("parse_ms", parse_ms)
          .field("certify_ms", plain.total.median())
          .field("certify_min_ms", plain.total.min())
          .field("certify_reps", plain.total.ms.size())
          .raw("stages_ms", stages_json(plain))
          .field("order", cert.order.str())
          .field("closure_order", cert.closure_order.str())
          .field("closure_digits", cert.closure_order.str().size())
          .field("index", cert.index.str())
          .field("two_closed", cert.two_closed)
          .field("proven", cert.proven)
          .field("order_proof", cert.order_proof)
          .field("rank", cert.rank)
          .field("backend", cert.backend)
          .field("search_nodes", static_cast<std::size_t>(cert.search_nodes))
          .field("closure_generators", cert.closure_generators.size());

      if (hash) {
        const CertifyRuns hashed = run_certify(spec, true, settings.policy, single_above_ms);
        for (const auto& p : check_certificate(*hashed.last, order, closure)) problems.push_back("with hash: " + p);
        std::cerr << what << ": certify with hash " << hashed.total.median() << " ms ("
                  << stages_text(hashed) << ")" << std::endl;
        line.field("certify_hash_ms", hashed.total.median())
            .field("hash_stage_ms", timing_of(hashed.stages.at("canonical_hash")).median())
            .field("hash_reps", hashed.total.ms.size());
      }

      if (settings.search) {
        // The same coloured digraph and divisor as certify, built once.
        const Orbitals orbitals = Orbitals::compute(reference);
        const ColoredDigraph digraph = ColoredDigraph::from_orbitals(orbitals);
        const bool known = reference.known_order_lazy() && reference.known_order_lazy()->trusted();
        AutomorphismOptions options;
        options.backend = AutomorphismBackend::traces;
        options.order_divisor = known ? reference.known_order_lazy()->value() : reference.chain().order();
        std::vector<double> traces_ms;
        std::optional<AutomorphismGroup> aut;
        const bench::Timing wall = repeat_or_once(settings.policy, single_above_ms, [&] {
          const auto t0 = bench::Clock::now();
          AutomorphismGroup a = asen::graph::automorphism_group(digraph, options);
          const double ms = bench::ms_between(t0, bench::Clock::now());
          traces_ms.push_back(a.search_ms);
          aut = std::move(a);
          return ms;
        });
        if (aut->order != closure)
          problems.push_back("the raw search's order is " + ratio_text(aut->order, closure) + " times the true one");
        const double search = timing_of(traces_ms).median();
        std::cerr << what << ": raw Traces " << search << " ms, automorphism_group " << wall.median() << " ms ("
                  << aut->search_vertices << " search vertices)" << std::endl;
        line.field("search_ms", search)
            .field("search_wall_ms", wall.median())
            .field("search_reps", wall.ms.size())
            .field("search_vertices", aut->search_vertices)
            .field("raw_search_nodes", static_cast<std::size_t>(aut->search_nodes))
            .field("certify_over_search", plain.total.median() / search)
            .field("certify_over_search_wall", plain.total.median() / wall.median());
      }
      for (const auto& p : problems) std::cerr << what << ": WRONG: " << p << std::endl;
      any_problem = any_problem || !problems.empty();
      line.raw("problems", strings_json(problems)).print();
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return any_problem ? 3 : 0;
}
