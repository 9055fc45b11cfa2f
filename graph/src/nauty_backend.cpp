// The only file that includes nauty's headers (STYLE §7). nauty's callbacks
// carry no user pointer, so results are gathered through a thread-local
// collector and copied out at once (STYLE §8).

#include "nauty_backend.hpp"

#include <asen/error.hpp>
#include <asen/interrupt.hpp>

#include <climits>
#include <string>

// nauty's headers use C11's _Thread_local for their thread-local state.
#ifndef _Thread_local
#define _Thread_local thread_local
#endif
extern "C" {
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#endif
#include <nauty.h>
#include <nausparse.h>
#include <nautinv.h>
#include <naurng.h>
#include <traces.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
}

namespace asen::graph::detail {
namespace {

// nauty and Traces poll nauty_kill_request at every node of their search and
// return NAUKILLED when it is set (a plain global in Debian's builds, not a
// thread-local one: any thread, or a signal handler, may set it).
void kill_searches(bool requested) noexcept { nauty_kill_request = requested ? 1 : 0; }
[[maybe_unused]] const bool kill_hook_added = (add_interrupt_hook(&kill_searches), true);

// Throws for a search that did not finish.
void check_status(int status, const char* program, int nv) {
  if (status == NAUKILLED) throw Interrupted(std::string("the ") + program + " search was interrupted");
  if (status != 0)
    throw Error(std::string(program) + " failed with status " + std::to_string(status) + " on a graph of " +
                std::to_string(nv) + " vertices");
}

struct Collector {
  SearchResult* result = nullptr;
  int n = 0;
};
thread_local Collector* active = nullptr;

void on_nauty_automorphism(int /*count*/, int* perm, int* /*orbits*/, int /*numorbits*/, int /*stabvertex*/, int n) {
  active->result->generators.emplace_back(perm, perm + n);
}

void on_nauty_level(int* /*lab*/, int* /*ptn*/, int /*level*/, int* /*orbits*/, statsblk* /*stats*/, int /*tv*/,
                    int index, int /*tcellsize*/, int /*numcells*/, int /*childcount*/, int /*n*/) {
  // index: the orbit size of the target vertex in the stabilizer of this
  // level; their product over the levels is the group order, exactly.
  *active->result->exact_order *= index;
}

void on_traces_automorphism(int /*count*/, int* perm, int n) {
  active->result->generators.emplace_back(perm, perm + n);
}

// A nauty sparsegraph viewing copies of the caller's arrays (nauty's API is
// not const-correct; the copies live as long as the search).
struct SparseView {
  std::vector<std::size_t> v;
  std::vector<int> d;
  std::vector<int> e;
  sparsegraph sg{};

  explicit SparseView(const SearchGraph& g) : v(g.v), d(g.d), e(g.e) {
    SG_INIT(sg);
    sg.nv = g.nv;
    sg.nde = e.size();
    sg.v = v.data();
    sg.d = d.data();
    sg.e = e.data();
  }
};

void check(const SearchGraph& g) {
  if (g.nv <= 0) throw InputError("the search graph is empty");
  if (static_cast<std::size_t>(g.nv) != g.v.size() || g.v.size() != g.d.size() ||
      g.lab.size() != g.v.size() || g.ptn.size() != g.v.size())
    throw Error("internal error: inconsistent search graph");
}

}  // namespace

SearchResult search_nauty(const SearchGraph& g, bool canonical) {
  check(g);
  SearchResult result;
  result.exact_order = algebra::BigInt(1);
  SparseView view(g);
  std::vector<int> lab = g.lab;
  std::vector<int> ptn = g.ptn;
  std::vector<int> orbits(static_cast<std::size_t>(g.nv));
  statsblk stats;
  SG_DECL(canong);
  Collector collector{&result, g.nv};
  active = &collector;
  if (g.directed) {
    DEFAULTOPTIONS_SPARSEDIGRAPH(options);
    options.defaultptn = FALSE;
    options.getcanon = canonical ? TRUE : FALSE;
    options.userautomproc = on_nauty_automorphism;
    options.userlevelproc = on_nauty_level;
    // The measured trap (NOTES.md): without a vertex invariant, layered
    // colourings of dihedral groups take minutes.
    options.invarproc = adjacencies_sg;
    options.maxinvarlevel = 10;
    sparsenauty(&view.sg, lab.data(), ptn.data(), orbits.data(), &options, &stats, canonical ? &canong : nullptr);
  } else {
    DEFAULTOPTIONS_SPARSEGRAPH(options);
    options.defaultptn = FALSE;
    options.getcanon = canonical ? TRUE : FALSE;
    options.userautomproc = on_nauty_automorphism;
    options.userlevelproc = on_nauty_level;
    sparsenauty(&view.sg, lab.data(), ptn.data(), orbits.data(), &options, &stats, canonical ? &canong : nullptr);
  }
  active = nullptr;
  if (canonical) SG_FREE(canong);
  nausparse_freedyn();
  nauty_freedyn();
  nautil_freedyn();
  check_status(stats.errstatus, "nauty", g.nv);
  result.orbits = std::move(orbits);
  result.grpsize1 = stats.grpsize1;
  result.grpsize2 = stats.grpsize2;
  result.nodes = stats.numnodes;
  if (canonical) result.canonical_labelling = std::move(lab);
  return result;
}

SearchResult search_traces(const SearchGraph& g, bool canonical) {
  check(g);
  if (g.directed) throw Error("internal error: Traces takes undirected graphs only");
  SearchResult result;
  SparseView view(g);
  std::vector<int> lab = g.lab;
  std::vector<int> ptn = g.ptn;
  std::vector<int> orbits(static_cast<std::size_t>(g.nv));
  TracesStats stats;
  SG_DECL(canong);
  DEFAULTOPTIONS_TRACES(options);
  options.defaultptn = FALSE;
  options.getcanon = canonical ? TRUE : FALSE;
  options.userautomproc = on_traces_automorphism;
  Collector collector{&result, g.nv};
  active = &collector;
  ran_init(0x5eed);  // Traces draws random numbers: a fixed seed makes runs reproducible
  Traces(&view.sg, lab.data(), ptn.data(), orbits.data(), &options, &stats, canonical ? &canong : nullptr);
  active = nullptr;
  if (canonical) SG_FREE(canong);
  traces_freedyn();
  check_status(stats.errstatus, "Traces", g.nv);
  result.orbits = std::move(orbits);
  result.grpsize1 = stats.grpsize1;
  result.grpsize2 = stats.grpsize2;
  result.nodes = stats.numnodes;
  if (canonical) result.canonical_labelling = std::move(lab);
  return result;
}

}  // namespace asen::graph::detail
