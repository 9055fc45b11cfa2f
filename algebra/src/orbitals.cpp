#include <asen/algebra/orbitals.hpp>
#include <asen/error.hpp>
#include <asen/interrupt.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "random.hpp"
#include "union_find.hpp"

namespace asen::algebra {
namespace {

constexpr std::uint32_t kNone = UINT32_MAX;

struct Gen {
  std::vector<Point> perm;
  std::vector<Point> inv;
  std::vector<Point> moved;  // the support
};

Gen make_gen(const std::vector<Point>& images) {
  Gen g;
  g.perm = images;
  g.inv.resize(images.size());
  for (std::size_t x = 0; x < images.size(); ++x) {
    g.inv[images[x]] = static_cast<Point>(x);
    if (images[x] != x) g.moved.push_back(static_cast<Point>(x));
  }
  return g;
}

std::size_t total_support(const std::vector<Permutation>& gens) {
  std::size_t s = 0;
  for (const auto& g : gens) s += g.support_size();
  return s;
}

// The generators the algorithms iterate over: duplicates and the identity
// dropped, and, when the given ones are many and dense, a small generating set
// that provably generates the same group (every given generator sifts through
// its chain). Fewer generators means fewer passes over the matrix.
std::vector<Gen> working_generators(const PermGroup& group) {
  std::vector<Permutation> gens;
  std::unordered_set<Permutation> seen;
  for (const auto& g : group.generators())
    if (!g.is_identity() && seen.insert(g).second) gens.push_back(g);
  const std::size_t n = group.degree();
  if (gens.size() > 3 && total_support(gens) > 4 * n) {
    const PermGroup small = PermGroup(n, gens, group.known_order_lazy()).small_generating_set();
    if (total_support(small.generators()) < total_support(gens)) gens = small.generators();
  }
  std::vector<Gen> out;
  out.reserve(gens.size());
  for (const auto& g : gens) out.push_back(make_gen(g.images()));
  return out;
}

// Orbits of the group on points: orbit id per point, orbits ordered by their
// smallest point; members listed in increasing order.
struct PointOrbits {
  std::vector<std::uint32_t> of;            // point -> orbit id
  std::vector<std::vector<Point>> members;  // orbit id -> sorted points
};

PointOrbits point_orbits(std::size_t n, const std::vector<Gen>& gens) {
  detail::UnionFind uf(n);
  for (const Gen& g : gens)
    for (Point x : g.moved) uf.unite(x, g.perm[x]);
  PointOrbits out;
  out.of.assign(n, kNone);
  std::vector<std::uint32_t> slot(n, kNone);
  for (std::size_t x = 0; x < n; ++x) {
    const std::uint32_t r = uf.find(static_cast<std::uint32_t>(x));
    if (slot[r] == kNone) {
      slot[r] = static_cast<std::uint32_t>(out.members.size());
      out.members.emplace_back();
    }
    out.of[x] = slot[r];
    out.members[slot[r]].push_back(static_cast<Point>(x));
  }
  return out;
}

// A spanning tree of the orbit of `root`: points in BFS order, each reached
// from parent[q] by generator label[q]. parent/label are indexed by point and
// shared by all orbits (orbits are disjoint); label must be kNone on the orbit.
void bfs_tree(Point root, const std::vector<Gen>& gens, std::vector<Point>& parent,
              std::vector<std::uint32_t>& label, std::vector<Point>& order) {
  order.clear();
  order.push_back(root);
  parent[root] = root;
  label[root] = kNone;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const Point p = order[k];
    for (std::uint32_t gi = 0; gi < gens.size(); ++gi) {
      const Point q = gens[gi].perm[p];
      if (label[q] != kNone || q == root) continue;
      parent[q] = p;
      label[q] = gi;
      order.push_back(q);
    }
  }
}

// Orbitals keep a table entry per orbital (the rank may be n², as for the
// trivial group) and rows of n colour or class ids: the n rows of the dense
// matrix, or implicitly one per non-trivial point orbit. `held` more entries
// are alive besides (the old table while the table grows).
void check_implicit_memory(std::size_t n, std::size_t orbitals, std::size_t rows, std::size_t limit,
                           std::size_t held = 0) {
  const long double bytes = static_cast<long double>(orbitals + held) * sizeof(OrbitalInfo) +
                            static_cast<long double>(rows) * n * sizeof(std::int32_t);
  if (bytes > static_cast<long double>(limit)) {
    const auto mib = [](long double b) { return std::to_string(static_cast<unsigned long long>(std::ceil(b / (1 << 20)))); };
    throw LimitError("the orbitals of this group of degree " + std::to_string(n) + " need more than " + mib(bytes) +
                     " MiB (" + std::to_string(orbitals) + " orbitals or more, and " + std::to_string(rows) +
                     " rows of " + std::to_string(n) + " ids), above the memory limit of " + mib(limit) +
                     " MiB; raise the limit");
  }
}

// The capacity a table of `capacity` entries grows to when it needs `needed`:
// doubled, as a vector grows, but to no more than `fits` entries; and by a
// sixteenth at least, so that a table near the limit is not copied again for
// every few entries (it is refused a little early instead).
std::size_t grown_capacity(std::size_t capacity, std::size_t needed, std::size_t fits) {
  const std::size_t target = std::max(needed, std::min(std::max<std::size_t>(16, 2 * capacity), fits));
  return std::max(target, needed + capacity / 16);
}

// The entries of `unit` bytes that fit in `limit` besides `used` bytes.
std::size_t entries_that_fit(std::size_t limit, long double used, std::size_t unit) {
  const long double free_bytes = static_cast<long double>(limit) - used;
  return free_bytes <= 0 ? 0 : static_cast<std::size_t>(free_bytes / unit);
}

// Room in the table for `needed` entries before they are appended, counting
// the old table, alive while the entries move, and `rows` rows of n ids.
void reserve_info(std::vector<OrbitalInfo>& info, std::size_t needed, std::size_t n, std::size_t rows,
                  std::size_t limit) {
  const std::size_t capacity = info.capacity();
  if (needed <= capacity) {
    check_implicit_memory(n, capacity, rows, limit);  // the rows may have grown
    return;
  }
  const long double used = static_cast<long double>(rows) * n * sizeof(std::int32_t) +
                           static_cast<long double>(capacity) * sizeof(OrbitalInfo);
  const std::size_t next = grown_capacity(capacity, needed, entries_that_fit(limit, used, sizeof(OrbitalInfo)));
  check_implicit_memory(n, next, rows, limit, capacity);
  info.reserve(next);
}

// The rank so far plus `more` orbitals; colour ids are int32.
std::int32_t checked_rank(std::int32_t rank, std::size_t more) {
  const std::uint64_t next = static_cast<std::uint64_t>(rank) + more;
  if (next > static_cast<std::uint64_t>(INT32_MAX))
    throw LimitError("the group has more than " + std::to_string(INT32_MAX) +
                     " orbitals on pairs: colour ids are 32-bit integers");
  return static_cast<std::int32_t>(next);
}

void check_memory(std::size_t n, std::size_t copies, std::size_t limit) {
  const long double bytes = static_cast<long double>(n) * n * sizeof(std::int32_t) * copies;
  if (bytes > static_cast<long double>(limit)) {
    // Rounded up: "needs 0 MiB, above the limit of 0 MiB" would say nothing.
    const auto mib = [](long double b) { return std::to_string(static_cast<unsigned long long>(std::ceil(b / (1 << 20)))); };
    throw LimitError("the " + std::to_string(n) + "x" + std::to_string(n) + " colour matrix" +
                     (copies == 2 ? std::string(" and union-find's parent array need ") : std::string(" needs ")) +
                     mib(bytes) + " MiB, above the memory limit of " + mib(limit) +
                     " MiB; raise the limit, or colour only the pairs you need without the matrix (a sparse "
                     "breaking input, or in Python asen.orbitals(G, dense=False) and colors_of(pairs))");
  }
}

// Ids for the classes of a partition of the points, in order of their
// smallest point: the canonical order of the colours of one point orbit.
std::vector<std::int32_t> ids_by_smallest_point(detail::UnionFind& uf, std::size_t n,
                                                std::size_t& count) {
  std::vector<std::int32_t> id_of_root(n, -1);
  std::vector<std::int32_t> id(n);
  count = 0;
  for (std::size_t x = 0; x < n; ++x) {
    const std::uint32_t r = uf.find(static_cast<std::uint32_t>(x));
    if (id_of_root[r] < 0) id_of_root[r] = static_cast<std::int32_t>(count++);
    id[x] = id_of_root[r];
  }
  return id;
}

// Orbitals of one point orbit, from the point classes of G_a (local id per
// point, ids by smallest point) and the orbit size.
void append_orbit_info(std::vector<OrbitalInfo>& info, Point a, std::size_t orbit_size,
                       const std::vector<std::int32_t>& local, std::size_t classes,
                       std::int32_t offset) {
  const std::size_t first = info.size();
  info.resize(first + classes);
  std::vector<std::uint64_t> class_size(classes, 0);
  std::vector<bool> seen(classes, false);
  for (std::size_t x = 0; x < local.size(); ++x) {
    const auto c = static_cast<std::size_t>(local[x]);
    ++class_size[c];
    if (!seen[c]) {
      seen[c] = true;
      OrbitalInfo& o = info[first + c];
      o.id = offset + static_cast<std::int32_t>(c);
      o.rep_i = a;
      o.rep_j = static_cast<Point>(x);
    }
  }
  for (std::size_t c = 0; c < classes; ++c) {
    OrbitalInfo& o = info[first + c];
    o.size = class_size[c] * orbit_size;
    o.diagonal = o.rep_j == a;
  }
}

// Fills `paired` and `self_paired` once every colour is known.
template <typename ColorOf>
void finish_info(std::vector<OrbitalInfo>& info, ColorOf color_of) {
  for (std::size_t k = 0; k < info.size(); ++k) {
    if ((k & 0xFFFFU) == 0) throw_if_interrupted("the orbital computation");  // the rank can be n²
    OrbitalInfo& o = info[k];
    o.paired = color_of(o.rep_j, o.rep_i);
    o.self_paired = o.paired == o.id;
  }
}

// Candidate classes of G_a from a cheap stabilizer chain with base [a]: the
// orbits of its level-1 strong generators. A refinement of the true orbits of
// G_a in any case (they are elements of G_a), equal to them when `proven`.
// `gens` generate the group (the working generators: fewer than the given
// ones when those are many, which makes the chain's random phase cheaper).
bool chain_classes(const PermGroup& group, const std::vector<Gen>& gens, Point a, detail::UnionFind& uf,
                   bool& proven, std::size_t row_bytes) {
  constexpr std::size_t kMaxBase = 24;
  // A group of order above n^24 has no base of length 24: do not even try.
  const auto& known = group.known_order_lazy();
  if (known && known->log2() > static_cast<double>(kMaxBase) * std::log2(static_cast<double>(group.degree())) + 1.0)
    return false;
  StabChainOptions options;
  options.base_prefix = {a};
  options.known_order = group.known_order();
  options.consecutive_sifts = 8;
  options.verification = ChainVerification::never;
  options.max_base_length = kMaxBase;
  options.explicit_transversal_bytes = row_bytes;
  StabChain chain;
  try {
    std::vector<Permutation> perms;
    perms.reserve(gens.size());
    for (const Gen& g : gens) perms.push_back(Permutation::from_images_no_checks(g.perm));
    chain = StabChain::build(group.degree(), perms, options);
  } catch (const LimitError&) {
    return false;  // a long base: the chain would cost more than it saves
  }
  for (const auto& s : chain.stabilizer_generators(1))
    for (std::size_t x = 0; x < group.degree(); ++x)
      uf.unite(static_cast<std::uint32_t>(x), s[static_cast<Point>(x)]);
  proven = chain.is_proven();
  return true;
}

// Random elements of the group, for the candidate classes of the point
// stabilizers: `extra` of them (with their inverses) join the generators as
// labels of shallow spanning trees, `samples` more are lifted into the
// stabilizers. Seeded: the same group gives the same work.
// Orbits of kRandomFrom points or more get candidate classes from kSamples
// random elements lifted into the point stabilizer (a few O(n) passes instead
// of merging along every Schreier generator), unless the generators are more
// than kRandomGensMax: product replacement's warm-up grows with them.
constexpr std::size_t kSamples = 12;
constexpr std::size_t kRandomFrom = 64;
constexpr std::size_t kRandomGensMax = 32;

struct RandomElements {
  std::vector<Gen> tree_gens;                 // generators, inverses, random elements and inverses
  std::vector<std::vector<Point>> samples;    // random elements to lift into G_a
};

RandomElements random_elements(std::size_t n, const std::vector<Gen>& gens, std::size_t extra,
                               std::size_t samples) {
  RandomElements out;
  out.tree_gens = gens;
  for (const Gen& g : gens) {
    Gen inv;
    inv.perm = g.inv;
    inv.inv = g.perm;
    out.tree_gens.push_back(std::move(inv));
  }
  if (gens.empty()) return out;
  std::vector<Permutation> perms;
  for (const Gen& g : gens) perms.push_back(Permutation::from_images_no_checks(g.perm));
  std::mt19937_64 rng(0x0b17a15ULL);
  detail::ProductReplacement random(n, perms, rng);
  for (std::size_t k = 0; k < extra; ++k) {
    Gen r = make_gen(random.next());
    Gen rinv;
    rinv.perm = r.inv;
    rinv.inv = r.perm;
    out.tree_gens.push_back(std::move(r));
    out.tree_gens.push_back(std::move(rinv));
  }
  for (std::size_t k = 0; k < samples; ++k) out.samples.push_back(random.next());
  return out;
}

// Candidate classes of G_a: the orbits of the elements t_b^-1 g of G_a, for
// the random elements g (b = g(a)) and t_b read off a shallow spanning tree
// of a's orbit. Elements of G_a, so a refinement of its true orbits (equal
// to them with high probability; fill_rows_checked proves or repairs them).
// tparent/tlabel are scratch arrays of size n with tlabel kNone throughout.
void random_stabilizer_classes(std::size_t n, Point a, const RandomElements& random, detail::UnionFind& uf,
                               std::vector<Point>& tparent, std::vector<std::uint32_t>& tlabel) {
  std::vector<Point> torder;
  bfs_tree(a, random.tree_gens, tparent, tlabel, torder);
  std::vector<Point> w(n);
  for (const auto& g : random.samples) {
    w = g;
    // t_b^-1 g: walk from b back to the root, undoing one tree edge a time.
    for (Point q = g[a]; q != a; q = tparent[q]) {
      const Point* inv = random.tree_gens[tlabel[q]].inv.data();
      for (std::size_t x = 0; x < n; ++x) w[x] = inv[w[x]];
    }
    for (std::size_t x = 0; x < n; ++x) uf.unite(static_cast<std::uint32_t>(x), w[x]);
  }
  for (const Point q : torder) tlabel[q] = kNone;
}

// Rows of one point orbit in BFS order, row(i)[j] = row(parent)[g^-1(j)],
// with row(a) given; and Schreier's lemma checked on the way: for every
// generator edge p -> g(p) that is not a tree edge, row(g(p))[g(j)] must equal
// row(p)[j] for all j, and merge(x, y) is called where it does not. Each edge
// is checked as soon as both its rows exist (BFS neighbours: the rows are
// still in cache). Where g fixes p only the points g moves can differ.
// `filled` is a scratch array of size n, false on the orbit.
template <typename Merge>
void fill_rows_checked(std::int32_t* m, std::size_t n, const std::vector<Point>& order,
                       const std::vector<Point>& parent, const std::vector<std::uint32_t>& label,
                       const std::vector<Gen>& gens, std::vector<std::uint8_t>& filled, Merge merge) {
  auto row = [&](Point p) { return m + static_cast<std::size_t>(p) * n; };
  auto check = [&](Point p, const Gen& g) {
    const Point i = g.perm[p];
    const std::int32_t* rp = row(p);
    const std::int32_t* ri = row(i);
    const Point* gp = g.perm.data();
    if (i == p) {
      for (const Point j : g.moved)
        if (ri[gp[j]] != rp[j]) merge(rp[j], ri[gp[j]]);
    } else {
      // Mismatches are rare: test blocks without branching, then look
      // closer only at a block that has one.
      constexpr std::size_t kBlock = 16;
      std::size_t j = 0;
      for (; j + kBlock <= n; j += kBlock) {
        std::int32_t diff = 0;
        for (std::size_t t = j; t < j + kBlock; ++t) diff |= ri[gp[t]] ^ rp[t];
        if (diff != 0)
          for (std::size_t t = j; t < j + kBlock; ++t)
            if (ri[gp[t]] != rp[t]) merge(rp[t], ri[gp[t]]);
      }
      for (; j < n; ++j)
        if (ri[gp[j]] != rp[j]) merge(rp[j], ri[gp[j]]);
    }
  };
  for (std::size_t k = 0; k < order.size(); ++k) {
    throw_if_interrupted("the orbital computation");
    const Point q = order[k];
    if (k > 0) {
      const std::int32_t* src = row(parent[q]);
      std::int32_t* dst = row(q);
      const Point* ginv = gens[label[q]].inv.data();
      for (std::size_t j = 0; j < n; ++j) dst[j] = src[ginv[j]];
    }
    filled[q] = 1;
    for (std::uint32_t gi = 0; gi < gens.size(); ++gi) {
      const Gen& g = gens[gi];
      // q -> g(q) when g(q) came earlier (or is q): never a tree edge.
      if (filled[g.perm[q]]) check(q, g);
      // g^-1(q) -> q when g^-1(q) came earlier, unless it is q's tree edge.
      const Point p = g.inv[q];
      if (p != q && filled[p] && !(k > 0 && parent[q] == p && label[q] == gi)) check(p, g);
    }
  }
}

}  // namespace

namespace {
// FNV-1a over the degree and the generators' images.
std::uint64_t generators_hash(const PermGroup& group) {
  std::uint64_t h = 14695981039346656037ULL;
  auto add = [&h](std::uint64_t x) {
    for (int k = 0; k < 8; ++k, x >>= 8U) h = (h ^ (x & 0xFFU)) * 1099511628211ULL;
  };
  add(group.degree());
  for (const auto& g : group.generators()) {
    add(g.degree());
    for (const Point p : g.images()) add(p);
  }
  return h;
}
}  // namespace

// ---------------------------------------------------------------------------
// The implicit colouring: per point orbit a shallow spanning tree and the
// classes of G_a; colour(i, j) = offset(orbit) + class(t_i^-1(j)).
struct Orbitals::Implicit {
  std::vector<Gen> tree_gens;             // generators, inverses and random elements
  std::vector<std::uint32_t> orbit_of;    // point -> orbit id
  std::vector<Point> parent;              // tree parent (root: itself)
  std::vector<std::uint32_t> label;       // tree_gens index that reached the point
  std::vector<std::int32_t> offset;       // orbit id -> first colour
  std::vector<std::vector<std::int32_t>> local;  // orbit id -> class id per point (singleton orbits share)
  std::vector<std::uint32_t> local_slot;  // orbit id -> index into `local`

  std::int32_t color(Point i, Point j) const {
    const std::uint32_t o = orbit_of[i];
    // t_i = s_1 ... s_d along the path from the root, so t_i^-1(j) applies
    // s_d^-1 first: walk from i to the root.
    while (label[i] != kNone) {
      j = tree_gens[label[i]].inv[j];
      i = parent[i];
    }
    return offset[o] + local[local_slot[o]][j];
  }
};

namespace {

// Exact classes of G_a for every point orbit without the n² matrix, from
// candidate classes `cls` (ids in [0, merged.size()) per point, a refinement
// of the true classes): rows t_i^-1 are produced layer by layer of a BFS tree
// over generators and their inverses (an undirected Schreier graph, so every
// edge joins layers at most one apart and three layers of rows suffice), and
// for every non-tree generator edge, Schreier's lemma: its Schreier generator
// h must keep the candidates, cls(h(x)) = cls(x); where it does not, the two
// candidates are merged. The merged classes are the orbits of G_a (as in the
// dense fill). An edge and its reverse give inverse Schreier generators, so
// only the given generators' edges are checked.
void exact_classes_streaming(std::size_t n, Point a, const std::vector<Gen>& gens,
                             const std::vector<std::int32_t>& cls, detail::UnionFind& merged,
                             std::size_t memory_limit, bool order_known) {
  std::vector<Gen> sym = gens;
  for (const Gen& g : gens) {
    Gen inv;
    inv.perm = g.inv;
    inv.inv = g.perm;
    inv.moved = g.moved;
    sym.push_back(std::move(inv));
  }
  // The BFS tree first (O(n) memory), so that the rows' peak, three layers
  // at once, is known and refused before any of the O(n) rows is computed:
  // one layer of a Schreier graph on a million points can hold thousands.
  std::vector<std::uint32_t> layer_of(n, kNone);
  std::vector<Point> parent(n);
  std::vector<std::uint32_t> label(n, kNone);
  std::vector<std::vector<Point>> layers{{a}};
  layer_of[a] = 0;
  for (std::size_t L = 0; L < layers.size(); ++L) {
    std::vector<Point> next;
    for (Point p : layers[L])
      for (std::uint32_t gi = 0; gi < sym.size(); ++gi) {
        const Point q = sym[gi].perm[p];
        if (layer_of[q] != kNone) continue;
        layer_of[q] = static_cast<std::uint32_t>(L + 1);
        parent[q] = p;
        label[q] = gi;
        next.push_back(q);
      }
    if (!next.empty()) layers.push_back(std::move(next));
  }
  std::size_t window = 0;
  for (std::size_t L = 0; L < layers.size(); ++L)
    window = std::max(window, (L >= 1 ? layers[L - 1].size() : 0) + layers[L].size() +
                                  (L + 1 < layers.size() ? layers[L + 1].size() : 0));
  const long double window_bytes = static_cast<long double>(window) * n * sizeof(Point);
  if (window_bytes > static_cast<long double>(memory_limit))
    throw LimitError("checking the point stabilizer's orbits of this group of degree " + std::to_string(n) +
                     " needs " + std::to_string(static_cast<unsigned long long>(window_bytes / (1 << 20)) + 1) +
                     " MiB for rows of its Schreier tree, more than the memory limit (" +
                     std::to_string(memory_limit >> 20) + " MiB); " +
                     (order_known ? std::string("raise the limit")
                                  : std::string("give the group's order (a named group, or gap:) or raise the limit")));
  // rows t_i^-1 for the points of layers L-1, L, L+1, keyed by point
  std::unordered_map<Point, std::vector<Point>> rows;
  rows[a].resize(n);
  std::iota(rows[a].begin(), rows[a].end(), Point{0});
  for (std::size_t L = 0; L < layers.size(); ++L) {
    throw_if_interrupted("the orbital computation");
    if (L + 1 < layers.size())
      for (Point q : layers[L + 1]) {
        std::vector<Point> row(n);
        const std::vector<Point>& rp = rows.at(parent[q]);
        const Point* ginv = sym[label[q]].inv.data();
        for (std::size_t j = 0; j < n; ++j) row[j] = rp[ginv[j]];
        rows.emplace(q, std::move(row));
      }
    // edges leaving layer L all end in layers L-1, L, L+1: check them now
    auto keep = [&](Point x, Point y) {
      const std::int32_t cx = cls[x];
      const std::int32_t cy = cls[y];
      if (cx != cy) merged.unite(static_cast<std::uint32_t>(cx), static_cast<std::uint32_t>(cy));
    };
    for (Point p : layers[L]) {
      const std::vector<Point>& rp = rows.at(p);
      for (std::uint32_t gi = 0; gi < gens.size(); ++gi) {
        const Gen& g = sym[gi];
        const Point i = g.perm[p];
        if (label[i] == gi && parent[i] == p && i != a) continue;  // tree edge
        const std::vector<Point>& ri = rows.at(i);
        if (i == p) {
          for (Point j : g.moved) keep(rp[j], ri[g.perm[j]]);
        } else {
          for (std::size_t j = 0; j < n; ++j) keep(rp[j], ri[g.perm[j]]);
        }
      }
    }
    if (L >= 1)
      for (Point p : layers[L - 1]) rows.erase(p);
  }
}

}  // namespace

Orbitals Orbitals::compute(const PermGroup& group, const OrbitalOptions& options) {
  const std::size_t n = group.degree();
  Orbitals out;
  out.degree_ = n;
  out.generators_hash_ = generators_hash(group);
  if (n == 0) return out;
  if (n > static_cast<std::size_t>(INT32_MAX)) throw LimitError("degree too large for orbitals");
  // The matrix alone decides a refusal: before the stabilizer chain (which
  // at millions of points takes gigabytes and seconds) is built for nothing.
  if (options.dense) check_memory(n, 1, options.memory_limit_bytes);

  // Tiny inputs: union-find has no set-up cost (a chain, trees) and wins.
  const bool tiny = options.method == OrbitalMethod::automatic && options.dense &&
                    static_cast<double>(group.generators().size()) * static_cast<double>(n) * static_cast<double>(n) <= 2e5;
  if (options.method == OrbitalMethod::union_find || tiny) {
    if (!options.dense) throw InputError("the union-find method always builds the n×n matrix; use the stabilizer-chain method for implicit orbitals");
    check_memory(n, 2, options.memory_limit_bytes);  // parents and colours
    if (static_cast<long double>(n) * n >= static_cast<long double>(UINT32_MAX))
      throw LimitError("degree " + std::to_string(n) + " is too large for union-find over 32-bit pair ids");
    // parent[] over pair ids i*n+j, path halving; becomes the colour matrix.
    std::vector<std::uint32_t> parent(n * n);
    std::iota(parent.begin(), parent.end(), std::uint32_t{0});
    auto find = [&](std::uint32_t x) {
      while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
      }
      return x;
    };
    std::unordered_set<Permutation> seen;
    for (const auto& g : group.generators()) {
      if (g.is_identity() || !seen.insert(g).second) continue;
      for (std::size_t i = 0; i < n; ++i) {
        throw_if_interrupted("the orbital computation");
        const std::size_t gi = g[static_cast<Point>(i)];
        for (std::size_t j = 0; j < n; ++j) {
          std::uint32_t a = find(static_cast<std::uint32_t>(i * n + j));
          std::uint32_t b = find(static_cast<std::uint32_t>(gi * n + g[static_cast<Point>(j)]));
          if (a == b) continue;
          if (a < b) std::swap(a, b);
          parent[a] = b;  // the smaller id stays the root: the first pair in row-major order
        }
      }
    }
    // Roots are the first pairs of their classes, so ids by first appearance.
    ColorMatrix& colors = out.colors_;
    colors.resize(n * n);
    std::vector<std::uint64_t> size;
    for (std::size_t x = 0; x < n * n; ++x) {
      if ((x & 0xFFFFU) == 0) throw_if_interrupted("the orbital computation");
      const std::uint32_t r = find(static_cast<std::uint32_t>(x));
      std::int32_t c;
      if (r == x) {
        c = static_cast<std::int32_t>(out.info_.size());
        OrbitalInfo o;
        o.id = c;
        o.rep_i = static_cast<Point>(x / n);
        o.rep_j = static_cast<Point>(x % n);
        o.diagonal = o.rep_i == o.rep_j;
        // The rank may be n² (the trivial group): the table and the sizes
        // count against the limit with the parents and colours (2n rows).
        if (out.info_.size() == out.info_.capacity()) {
          // Grown within the limit, the old table and sizes alive meanwhile.
          constexpr std::size_t unit = sizeof(OrbitalInfo) + sizeof(std::uint64_t);
          const auto in_infos = [](std::size_t k) { return k + k * sizeof(std::uint64_t) / sizeof(OrbitalInfo) + 1; };
          const std::size_t have = out.info_.size();
          // (in_infos rounds each table up by one OrbitalInfo)
          const long double used = 2.0L * n * n * sizeof(std::int32_t) + static_cast<long double>(have) * unit +
                                   2.0L * sizeof(OrbitalInfo);
          const std::size_t next =
              grown_capacity(have, have + 1, entries_that_fit(options.memory_limit_bytes, used, unit));
          check_implicit_memory(n, in_infos(next), 2 * n, options.memory_limit_bytes, in_infos(have));
          out.info_.reserve(next);
          size.reserve(next);
        }
        out.info_.push_back(o);
        size.push_back(0);
      } else {
        c = colors[r];
      }
      colors[x] = c;
      ++size[static_cast<std::size_t>(c)];
    }
    for (std::size_t c = 0; c < size.size(); ++c) out.info_[c].size = size[c];
    finish_info(out.info_, [&](Point i, Point j) { return colors[static_cast<std::size_t>(i) * n + j]; });
    return out;
  }

  const std::vector<Gen> gens = working_generators(group);
  const PointOrbits orbits = point_orbits(n, gens);

  // Classes of G_a for a fixed point a: the point orbits of G itself.
  std::vector<std::int32_t> orbit_ids(n);
  for (std::size_t x = 0; x < n; ++x) orbit_ids[x] = static_cast<std::int32_t>(orbits.of[x]);

  if (options.dense) {
    check_memory(n, 1, options.memory_limit_bytes);
    out.colors_.resize(n * n);  // uninitialised: every row is written below
    std::int32_t* m = out.colors_.data();
    std::vector<Point> parent(n);
    std::vector<std::uint32_t> label(n, kNone);
    std::vector<Point> tparent(n);
    std::vector<std::uint32_t> tlabel(n, kNone);
    std::vector<std::uint8_t> filled(n, 0);
    std::vector<Point> order;
    RandomElements random;
    for (const auto& members : orbits.members)
      if (members.size() >= kRandomFrom && gens.size() <= kRandomGensMax) {
        const auto extra = static_cast<std::size_t>(2.0 * std::log2(static_cast<double>(n) + 1.0));
        random = random_elements(n, gens, extra, kSamples);
        break;
      }
    std::int32_t offset = 0;
    for (const auto& members : orbits.members) {
      throw_if_interrupted("the orbital computation");
      const Point a = members.front();
      if (members.size() == 1) {
        const std::int32_t next = checked_rank(offset, orbits.members.size());
        reserve_info(out.info_, static_cast<std::size_t>(next), n, n, options.memory_limit_bytes);  // n rows: the matrix
        std::int32_t* row = m + static_cast<std::size_t>(a) * n;
        for (std::size_t j = 0; j < n; ++j) row[j] = offset + orbit_ids[j];
        append_orbit_info(out.info_, a, 1, orbit_ids, orbits.members.size(), offset);
        offset = next;
        continue;
      }
      (void)checked_rank(offset, n);  // ids below offset + n are written next
      // Row a holds the candidate classes (ids by smallest point); the other
      // rows follow the tree, and every mismatch on a non-tree edge merges
      // two candidates. The merged classes are exactly the orbits of G_a: a
      // partition coarser than candidates that all Schreier generators keep.
      detail::UnionFind candidates(n);
      if (!random.samples.empty() && members.size() >= kRandomFrom)
        random_stabilizer_classes(n, a, random, candidates, tparent, tlabel);
      std::size_t classes = 0;
      std::vector<std::int32_t> local = ids_by_smallest_point(candidates, n, classes);
      std::int32_t* row = m + static_cast<std::size_t>(a) * n;
      for (std::size_t j = 0; j < n; ++j) row[j] = offset + local[j];
      bfs_tree(a, gens, parent, label, order);
      detail::UnionFind merged(classes);
      bool any = false;
      fill_rows_checked(m, n, order, parent, label, gens, filled, [&](std::int32_t x, std::int32_t y) {
        any = merged.unite(static_cast<std::uint32_t>(x - offset), static_cast<std::uint32_t>(y - offset)) || any;
      });
      if (any) {
        std::size_t merged_count = 0;
        std::vector<std::int32_t> remap = ids_by_smallest_point(merged, classes, merged_count);
        for (auto& v : local) v = remap[static_cast<std::size_t>(v)];
        for (auto& v : remap) v += offset;
        for (const Point i : order) {
          std::int32_t* r = m + static_cast<std::size_t>(i) * n;
          for (std::size_t j = 0; j < n; ++j) r[j] = remap[static_cast<std::size_t>(r[j] - offset)];
        }
        classes = merged_count;
      }
      reserve_info(out.info_, static_cast<std::size_t>(offset) + classes, n, n, options.memory_limit_bytes);
      append_orbit_info(out.info_, a, members.size(), local, classes, offset);
      offset = checked_rank(offset, classes);
      for (const Point i : order) label[i] = kNone;
    }
    finish_info(out.info_, [&](Point i, Point j) { return m[static_cast<std::size_t>(i) * n + j]; });
    return out;
  }

  // Implicit: no n² matrix. Refused at once, before the random elements and
  // the rows are made, when what is sure to be needed does not fit: every
  // ordered pair of point orbits holds an orbital, every non-trivial orbit
  // keeps a row (the fixed points share one), and the tree generators and
  // samples are rows of n points.
  const auto extra = static_cast<std::size_t>(2.0 * std::log2(static_cast<double>(n) + 1.0));
  {
    const std::size_t num_orbits = orbits.members.size();
    std::size_t rows = 0;
    bool fixed = false;
    for (const auto& members : orbits.members) {
      if (members.size() == 1)
        fixed = true;
      else
        ++rows;
    }
    if (fixed) ++rows;
    const long double least_rank = static_cast<long double>(num_orbits) * num_orbits;
    if (least_rank > static_cast<long double>(INT32_MAX))
      throw LimitError("the group has " + std::to_string(num_orbits) + " point orbits, so " +
                       std::to_string(static_cast<unsigned long long>(least_rank)) +
                       " orbitals on pairs or more: colour ids are 32-bit integers");
    // Rows of n points in RandomElements: a generator, an inverse, each both ways.
    const std::size_t random_rows = 4 * (gens.size() + extra) + kSamples;
    check_implicit_memory(n, static_cast<std::size_t>(least_rank), rows + random_rows,
                          options.memory_limit_bytes);
  }
  auto implicit = std::make_shared<Implicit>();
  Implicit& im = *implicit;
  im.orbit_of = orbits.of;
  im.parent.assign(n, 0);
  im.label.assign(n, kNone);
  im.offset.resize(orbits.members.size());
  im.local_slot.resize(orbits.members.size());
  // Tree generators: the generators, their inverses, and random elements so
  // the trees stay shallow (a colour lookup walks the tree).
  const RandomElements random = random_elements(n, gens, extra, kSamples);
  im.tree_gens = random.tree_gens;
  std::vector<Point> tparent(n);
  std::vector<std::uint32_t> tlabel(n, kNone);
  std::vector<Point> order;
  std::int32_t offset = 0;
  std::int32_t shared_slot = -1;
  for (std::size_t o = 0; o < orbits.members.size(); ++o) {
    throw_if_interrupted("the orbital computation");
    const auto& members = orbits.members[o];
    const Point a = members.front();
    im.offset[o] = offset;
    if (members.size() == 1) {
      if (shared_slot < 0) {
        shared_slot = static_cast<std::int32_t>(im.local.size());
        im.local.push_back(orbit_ids);
      }
      im.local_slot[o] = static_cast<std::uint32_t>(shared_slot);
      im.parent[a] = a;
      reserve_info(out.info_, static_cast<std::size_t>(offset) + orbits.members.size(), n, im.local.size(),
                   options.memory_limit_bytes);
      append_orbit_info(out.info_, a, 1, orbit_ids, orbits.members.size(), offset);
      offset = checked_rank(offset, orbits.members.size());
      continue;
    }
    // Candidate classes: with a known order, a cheap chain's, exact when the
    // chain reaches that order (its explicit transversal rows stay within a
    // quarter of the memory limit, beyond it Schreier trees: no n² memory by
    // the back door); else random elements' (large orbits) or single points.
    // Unless proven, checked and merged by streaming.
    detail::UnionFind uf(n);
    bool proven = false;
    if ((!group.known_order_lazy() || !chain_classes(group, gens, a, uf, proven, options.memory_limit_bytes / 4)) &&
        members.size() >= kRandomFrom && gens.size() <= kRandomGensMax)
      random_stabilizer_classes(n, a, random, uf, tparent, tlabel);
    std::size_t classes = 0;
    std::vector<std::int32_t> local = ids_by_smallest_point(uf, n, classes);
    // The orbits of G_a refine {a}, the rest of a's orbit, and every other
    // point orbit of G; candidates that are already this coarse are exact
    // (a 2-transitive action on a's orbit, S(n) and A(n) among them): no
    // O(r n²) checks.
    if (classes == orbits.members.size() + 1) proven = true;
    if (!proven) {
      detail::UnionFind merged(classes);
      exact_classes_streaming(n, a, gens, local, merged, options.memory_limit_bytes,
                              group.known_order_lazy().has_value());
      std::size_t merged_count = 0;
      const std::vector<std::int32_t> remap = ids_by_smallest_point(merged, classes, merged_count);
      for (auto& v : local) v = remap[static_cast<std::size_t>(v)];
      classes = merged_count;
    }
    reserve_info(out.info_, static_cast<std::size_t>(offset) + classes, n, im.local.size() + 1, options.memory_limit_bytes);
    im.local_slot[o] = static_cast<std::uint32_t>(im.local.size());
    im.local.push_back(std::move(local));
    bfs_tree(a, im.tree_gens, im.parent, im.label, order);
    append_orbit_info(out.info_, a, members.size(), im.local.back(), classes, offset);
    offset = checked_rank(offset, classes);
  }
  out.implicit_ = implicit;
  finish_info(out.info_, [&](Point i, Point j) { return im.color(i, j); });
  return out;
}

bool Orbitals::computed_for(const PermGroup& group) const {
  return degree_ == group.degree() && generators_hash_ == generators_hash(group);
}

std::int32_t Orbitals::color_no_checks(Point i, Point j) const {
  if (!colors_.empty()) return colors_[static_cast<std::size_t>(i) * degree_ + j];
  return implicit_->color(i, j);
}

std::int32_t Orbitals::color(Point i, Point j) const {
  if (i >= degree_ || j >= degree_)
    throw std::out_of_range("pair (" + std::to_string(i) + ", " + std::to_string(j) +
                            ") is out of range, expected points in [0, " + std::to_string(degree_) + ")");
  return color_no_checks(i, j);
}

std::vector<std::int32_t> Orbitals::colors_of(const std::vector<std::pair<Point, Point>>& pairs) const {
  std::vector<std::int32_t> out;
  out.reserve(pairs.size());
  for (const auto& [i, j] : pairs) out.push_back(color(i, j));
  return out;
}

std::vector<std::int32_t> Orbitals::diagonal_colors() const {
  std::vector<std::int32_t> out(degree_);
  for (std::size_t i = 0; i < degree_; ++i) out[i] = color_no_checks(static_cast<Point>(i), static_cast<Point>(i));
  return out;
}

}  // namespace asen::algebra
