// Benchmark 4: training and inference throughput of asen::nn::AsenModel.
//
// One model with the library's defaults (4 GATv2 layers, hidden 128, 8 heads,
// dropout 0.05), one structure: the breaking input of `--group` (default
// D(n)), dense (all n² arcs) or sparse (the arcs of a base graph, the cycle or
// the path on n nodes, plus the n self-loops), tokens in [0, 10), two classes
// per node (the shape of the paper's cyclicsum task). Inputs and labels are
// random and made before the clock, a few batches cycled through.
//
//   training step:  zero_grad, forward, per-node cross-entropy, backward,
//                   (gradient clipping when --clip > 0), Adam step (FlatAdam, as
//                   asen::nn::train uses, with its three parameter groups at the paper's
//                   rates: backbone 0.01, colour embeddings 0.03, tokens 0.1);
//   inference:      eval mode, NoGradGuard, forward.
//
// Each is warmed up (--warmup steps), then every step is timed on its own
// until the steps add up to --min-seconds and number at least --min-steps;
// samples/s is batch / median step time (and, for information, the samples
// of all timed steps over their total time, and batch / the median step's
// process CPU time, which is less disturbed by other jobs on a busy machine).
//
// Like asen::nn::train, the benchmark keeps freed memory in glibc's heap
// (mallopt) so a step does not pay page faults for fresh mmaps; the library
// does this once per process when training starts. --no-keep-memory leaves
// glibc's defaults.
//
//   train_bench [--n N] [--mode dense|sparse] [--base cycle|path] [--group SPEC]
//               [--threads T] [--batch B] [--warmup W] [--min-seconds S]
//               [--min-steps K] [--clip C] [--seed S] [--no-train] [--no-infer]
//               [--no-keep-memory]
//
// Output: one JSON line on stdout; progress on stderr. Exit status 1 on an
// error. Run through run_train_bench.py.

#include <asen/algebra/perm_group.hpp>
#include <asen/graph/base_graph.hpp>
#include <asen/graph/colored_digraph.hpp>
#include <asen/nn/breaking_input.hpp>
#include <asen/nn/flat_adam.hpp>
#include <asen/nn/model.hpp>

#include <torch/torch.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdlib>
#include <ctime>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench_common.hpp"

namespace {

namespace bench = asen::bench;
namespace nn = asen::nn;
using asen::algebra::PermGroup;
using asen::graph::BaseGraph;
using asen::graph::BreakingMode;

constexpr std::int64_t kVocab = 10;
constexpr std::int64_t kClasses = 2;
constexpr int kPool = 4;  // distinct batches cycled through

struct Settings {
  std::int64_t n = 10;
  std::string mode = "dense";
  std::string base = "cycle";
  std::string group;  // empty: D(n)
  int threads = 1;
  std::int64_t batch = 64;
  int warmup = 5;
  double min_seconds = 2.0;
  int min_steps = 10;
  double clip = 0.0;
  std::uint64_t seed = 0;
  bool train = true;
  bool infer = true;
  bool keep_memory = true;
};

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "train_bench: " << what << "\n";
  std::exit(1);
}

Settings parse_args(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail("option " + a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--n") s.n = std::stoll(value());
      else if (a == "--mode") s.mode = value();
      else if (a == "--base") s.base = value();
      else if (a == "--group") s.group = value();
      else if (a == "--threads") s.threads = std::stoi(value());
      else if (a == "--batch") s.batch = std::stoll(value());
      else if (a == "--warmup") s.warmup = std::stoi(value());
      else if (a == "--min-seconds") s.min_seconds = std::stod(value());
      else if (a == "--min-steps") s.min_steps = std::stoi(value());
      else if (a == "--clip") s.clip = std::stod(value());
      else if (a == "--seed") s.seed = std::stoull(value());
      else if (a == "--no-train") s.train = false;
      else if (a == "--no-infer") s.infer = false;
      else if (a == "--no-keep-memory") s.keep_memory = false;
      else fail("unknown option '" + a + "'");
    } catch (const std::logic_error&) {
      fail("bad value for " + a);
    }
  }
  if (s.n < 2) fail("--n must be at least 2");
  if (s.mode != "dense" && s.mode != "sparse") fail("--mode must be dense or sparse, got '" + s.mode + "'");
  if (s.base != "cycle" && s.base != "path") fail("--base must be cycle or path, got '" + s.base + "'");
  if (s.threads < 1 || s.batch < 1 || s.warmup < 0 || s.min_steps < 1) fail("bad --threads, --batch, --warmup or --min-steps");
  return s;
}

BaseGraph base_graph(std::int64_t n, const std::string& kind) {
  std::vector<std::pair<asen::graph::Point, asen::graph::Point>> edges;
  const auto m = static_cast<asen::graph::Point>(n);
  for (asen::graph::Point i = 0; i + 1 < m; ++i) edges.emplace_back(i, i + 1);
  if (kind == "cycle" && n > 2) edges.emplace_back(m - 1, 0);
  return BaseGraph(static_cast<std::size_t>(n), edges);
}

// CPU time of the whole process (all threads), in milliseconds.
double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

struct StepTimes {
  bench::Timing wall;  ///< per step, wall clock
  bench::Timing cpu;   ///< per step, process CPU time
};

// Per-step timings of `step` after `warmup` untimed calls.
template <typename Step>
StepTimes time_steps(const Settings& s, Step&& step) {
  for (int i = 0; i < s.warmup; ++i) step(i);
  bench::RepeatPolicy policy;
  policy.min_seconds = s.min_seconds;
  policy.min_reps = s.min_steps;
  policy.max_reps = 1000000;
  int k = 0;
  StepTimes out;
  out.wall = bench::repeat(policy, [&] {
    const double c0 = process_cpu_ms();
    const auto t0 = bench::Clock::now();
    step(k++);
    const double ms = bench::ms_between(t0, bench::Clock::now());
    out.cpu.ms.push_back(process_cpu_ms() - c0);
    return ms;
  });
  return out;
}

// samples/s from the median step (wall clock), from all timed steps (wall),
// and from the median step's CPU time (what a quiet machine would give with
// one thread; with several threads it adds their times up).
void add_rates(bench::JsonLine& line, const std::string& prefix, const StepTimes& t, std::int64_t batch) {
  const double b = static_cast<double>(batch);
  line.field(prefix + "_samples_per_s", b / (t.wall.median() * 1e-3));
  line.field(prefix + "_samples_per_s_mean", b * static_cast<double>(t.wall.ms.size()) / (t.wall.total() * 1e-3));
  line.field(prefix + "_samples_per_cpu_s", b / (t.cpu.median() * 1e-3));
  line.field(prefix + "_step_median_ms", t.wall.median());
  line.field(prefix + "_step_min_ms", t.wall.min());
  line.field(prefix + "_step_cpu_median_ms", t.cpu.median());
  line.field(prefix + "_steps", t.wall.ms.size());
}

}  // namespace

int main(int argc, char** argv) {
  const Settings s = parse_args(argc, argv);
  try {
#if defined(__GLIBC__)
    if (s.keep_memory) {
      // The same settings asen::nn::train makes when it starts (see training.cpp).
      mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
      mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    }
#endif
    torch::set_num_threads(s.threads);
    torch::manual_seed(s.seed);

    const std::string spec = s.group.empty() ? "D(" + std::to_string(s.n) + ")" : s.group;
    const PermGroup group = PermGroup::parse(spec);
    if (static_cast<std::int64_t>(group.degree()) != s.n)
      fail("group '" + spec + "' has degree " + std::to_string(group.degree()) + ", expected --n " +
           std::to_string(s.n));
    std::optional<BaseGraph> base;
    if (s.mode == "sparse") base = base_graph(s.n, s.base);
    const auto t_input = bench::Clock::now();
    nn::BreakingInput input = nn::BreakingInput::for_group(
        group, s.mode == "dense" ? BreakingMode::dense : BreakingMode::sparse, base ? &*base : nullptr);
    const double input_ms = bench::ms_between(t_input, bench::Clock::now());

    nn::AsenModel model(nn::BackboneOptions{});
    nn::StructureSpec structure;
    structure.name = "bench";
    structure.input = input;
    structure.vocab = kVocab;
    structure.out_dim = kClasses;
    structure.kind = nn::TaskKind::node_classification;
    model->add_structure(structure);
    std::int64_t parameters = 0;
    for (const auto& p : model->parameters()) parameters += p.numel();

    std::vector<torch::Tensor> xs;
    std::vector<torch::Tensor> ys;
    for (int i = 0; i < kPool; ++i) {
      xs.push_back(torch::randint(kVocab, {s.batch, s.n}, torch::kLong));
      ys.push_back(torch::randint(kClasses, {s.batch, s.n}, torch::kLong));
    }

    bench::JsonLine line;
    line.field("system", "asen")
        .field("n", static_cast<double>(s.n))
        .field("mode", s.mode)
        .field("base", s.mode == "sparse" ? s.base : std::string("-"))
        .field("group", spec)
        .field("edges", static_cast<double>(input.num_edges()))
        .field("colors", static_cast<double>(input.num_colors()))
        .field("complete", input.complete())
        .field("breaking_input_ms", input_ms)
        .field("parameters", static_cast<double>(parameters))
        .field("threads", s.threads)
        .field("torch_threads", at::get_num_threads())
        .field("batch", static_cast<double>(s.batch))
        .field("warmup", s.warmup)
        .field("clip", s.clip)
        .field("keep_memory", s.keep_memory);

    if (s.train) {
      // The optimiser asen::nn::train uses: Adam over flat parameter buffers,
      // here with the paper's three rates.
      asen::nn::FlatAdam adam({model->backbone_parameters(), model->edge_parameters(), model->token_parameters()},
                              {{0.01, 0.0}, {0.03, 0.0}, {0.1, 0.0}});
      model->train();
      double last_loss = 0;
      std::cerr << "train_bench: n=" << s.n << " " << s.mode << ": training\n";
      const StepTimes t = time_steps(s, [&](int k) {
        const torch::Tensor& x = xs[static_cast<std::size_t>(k % kPool)];
        const torch::Tensor& y = ys[static_cast<std::size_t>(k % kPool)];
        adam.zero_grad();
        const torch::Tensor out = model->forward("bench", x);
        const torch::Tensor loss =
            torch::nn::functional::cross_entropy(out.reshape({-1, kClasses}), y.reshape({-1}));
        loss.backward();
        if (s.clip > 0) adam.clip_grad_norm(s.clip);
        adam.step();
        last_loss = loss.item<double>();
      });
      add_rates(line, "train", t, s.batch);
      line.field("last_loss", last_loss);
    }

    if (s.infer) {
      model->eval();
      torch::NoGradGuard no_grad;
      double checksum = 0;
      std::cerr << "train_bench: n=" << s.n << " " << s.mode << ": inference\n";
      const StepTimes t = time_steps(s, [&](int k) {
        const torch::Tensor out = model->forward("bench", xs[static_cast<std::size_t>(k % kPool)]);
        checksum += out.index({0, 0, 0}).item<double>();
      });
      add_rates(line, "infer", t, s.batch);
      line.field("checksum", checksum);
    }
    line.print();
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return 0;
}
