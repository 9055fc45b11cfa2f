// Benchmark 2: exact group order and membership with asen's native
// stabilizer chain.
//
// For every case of the cases file (label, n, expected order, non-member in
// cycle notation or "-", prove flag 0/1, group spec): draws a member with
// random_elements (outside the clock), then times, per repetition on a
// freshly parsed group, PermGroup::parse(spec), order() (builds the chain with
// the default options), contains(member) and contains(non-member). Checks the
// order against the expected one and both membership answers. With the prove
// flag, also times once a chain built with ChainVerification::always (Sims'
// deterministic test), for when the default chain's proof is Monte Carlo.
//
//   order_bench [--min-seconds S] [--min-reps K] CASES|-
//
// Output: JSON lines on stdout with the order, its proof (known-order /
// deterministic / monte-carlo) and the member used (so GAP tests the same
// element); progress on stderr. Exit status 1 if a check fails. Run through
// run_order_bench.py.

#include <asen/algebra/perm_group.hpp>
#include <asen/algebra/stab_chain.hpp>
#include <asen/error.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace {

using asen::algebra::BigInt;
using asen::algebra::PermGroup;
using asen::algebra::Permutation;
namespace bench = asen::bench;

constexpr std::uint64_t kMemberSeed = 20240601;

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "order_bench: " << what << "\n";
  std::exit(1);
}

bench::Timing timing_of(std::vector<double> ms) {
  bench::Timing t;
  t.ms = std::move(ms);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  bench::RepeatPolicy policy;
  std::string cases;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    if ((a == "--min-seconds" || a == "--min-reps") && k + 1 < argc) {
      const std::string v = argv[++k];
      if (a == "--min-seconds")
        policy.min_seconds = std::stod(v);
      else
        policy.min_reps = std::stoi(v);
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage: order_bench [--min-seconds S] [--min-reps K] CASES|-\n"
                   "CASES: lines 'label<TAB>n<TAB>expected order<TAB>non-member or -<TAB>prove 0/1<TAB>group spec'\n";
      return 0;
    } else if (cases.empty()) {
      cases = a;
    } else {
      fail("unexpected argument '" + a + "'");
    }
  }
  if (cases.empty()) fail("no cases file given (see --help)");

  try {
    for (const auto& fields : bench::read_cases(cases, 6)) {
      const std::string& label = fields[0];
      const std::size_t n = std::stoul(fields[1]);
      const BigInt expected(fields[2]);
      const std::string what = label + " n=" + std::to_string(n);
      const bool prove = fields[4] == "1";
      const std::string& spec = fields[5];

      const PermGroup reference = PermGroup::parse(spec);
      if (reference.degree() != n) fail(what + ": the spec has degree " + std::to_string(reference.degree()));
      const Permutation member = reference.random_elements(1, kMemberSeed).at(0);
      std::optional<Permutation> nonmember;
      if (fields[3] != "-") nonmember = Permutation::parse_cycles(fields[3], n);

      std::vector<double> parse_ms;
      std::vector<double> order_ms;
      std::vector<double> member_ms;
      std::vector<double> nonmember_ms;
      BigInt order;
      std::string proof;
      std::size_t base_length = 0;
      bool member_in = false;
      bool nonmember_in = false;
      const bench::Timing total = bench::repeat(policy, [&] {
        const auto t0 = bench::Clock::now();
        const PermGroup g = PermGroup::parse(spec);
        const auto t1 = bench::Clock::now();
        order = g.order();
        const auto t2 = bench::Clock::now();
        member_in = g.contains(member);
        const auto t3 = bench::Clock::now();
        nonmember_in = nonmember && g.contains(*nonmember);
        const auto t4 = bench::Clock::now();
        parse_ms.push_back(bench::ms_between(t0, t1));
        order_ms.push_back(bench::ms_between(t1, t2));
        member_ms.push_back(bench::ms_between(t2, t3));
        nonmember_ms.push_back(bench::ms_between(t3, t4));
        proof = asen::algebra::to_string(g.chain().proof());
        base_length = g.chain().length();
        return bench::ms_between(t0, t4);
      });
      if (order != expected)
        fail(what + ": order " + order.str() + ", expected " + expected.str());
      if (!member_in) fail(what + ": contains() rejects a random element of the group");
      if (nonmember_in) fail(what + ": contains() accepts the non-member " + fields[3]);

      std::cerr << what << ": parse+order+contains " << total.median() << " ms (" << total.ms.size()
                << " reps), proof " << proof << std::endl;
      bench::JsonLine line;
      line.field("system", "asen")
          .field("label", label)
          .field("n", n)
          .field("gens", reference.generators().size())
          .field("order", order.str())
          .field("proof", proof)
          .field("base_length", base_length)
          .field("member", member.to_cycle_string())
          .field("member_in", member_in)
          .field("nonmember_in", nonmember_in)
          .field("parse_ms", timing_of(parse_ms).median())
          .field("order_ms", timing_of(order_ms).median())
          .field("member_ms", timing_of(member_ms).median());
      if (nonmember) line.field("nonmember_ms", timing_of(nonmember_ms).median());
      if (prove) {
        asen::algebra::StabChainOptions options;
        options.verification = asen::algebra::ChainVerification::always;
        const auto t0 = bench::Clock::now();
        const auto chain = asen::algebra::StabChain::build(n, reference.generators(), options);
        const double ms = bench::ms_between(t0, bench::Clock::now());
        if (chain.order() != expected) fail(what + ": the proven chain has order " + chain.order().str());
        std::cerr << what << ": chain with Sims' test " << ms << " ms" << std::endl;
        line.field("proven_ms", ms).field("proven_proof", asen::algebra::to_string(chain.proof()));
      }
      line.timing(total).print();
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return 0;
}
