#include <asen/algebra/stab_chain.hpp>
#include <asen/error.hpp>
#include <asen/interrupt.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_set>

#include "order_bound.hpp"
#include "random.hpp"

namespace asen::algebra {

const char* to_string(ChainProof proof) {
  switch (proof) {
    case ChainProof::known_order:
      return "known-order";
    case ChainProof::deterministic:
      return "deterministic";
    case ChainProof::monte_carlo:
      return "monte-carlo";
    case ChainProof::upper_bound:
      return "upper-bound";
    case ChainProof::jordan:
      return "jordan";
  }
  return "unknown";
}

namespace {

constexpr std::uint32_t kNone = UINT32_MAX;

bool is_identity(const std::vector<Point>& w) {
  for (std::size_t x = 0; x < w.size(); ++x)
    if (w[x] != x) return false;
  return true;
}

}  // namespace

// The builder owns the mutable state of the construction; StabChain itself is
// immutable once built, so it can be shared between threads.
class StabChain::Builder {
 public:
  Builder(StabChain& chain, const StabChainOptions& options)
      : c_(chain), opt_(options), n_(chain.degree_) {}

  // Adds a non-identity residue `w` that fixes the base points of levels
  // [0, level). A residue that fixes every base point opens a new level.
  void add_strong(const std::vector<Point>& w, std::size_t level) {
    if (level == c_.levels_.size()) {
      Point moved = 0;
      while (moved < n_ && w[moved] == moved) ++moved;
      new_level(moved);
    }
    Strong s;
    s.perm = w;
    s.inv.resize(n_);
    for (std::size_t x = 0; x < n_; ++x) s.inv[w[x]] = static_cast<Point>(x);
    c_.strong_.push_back(std::move(s));
    const auto id = static_cast<std::uint32_t>(c_.strong_.size() - 1);
    for (std::size_t i = 0; i <= level; ++i) {
      c_.levels_[i].gens.push_back(id);
      // A basic orbit cannot outgrow the group orbit of its base point minus
      // the earlier base points in it: a full orbit needs no extension.
      if (c_.levels_[i].orbit.size() < capacity_[i]) extend_orbit(c_.levels_[i], id);
    }
  }

  void new_level(Point base) {
    if (c_.levels_.size() >= opt_.max_base_length)
      throw LimitError("the base of the stabilizer chain is longer than the limit of " +
                       std::to_string(opt_.max_base_length));
    Level lv;
    lv.base = base;
    lv.orbit.push_back(base);
    lv.index.assign(n_, -1);
    lv.index[base] = 0;
    lv.explicit_reps = reserve_row();
    if (lv.explicit_reps) {
      if (c_.narrow()) {
        lv.narrow_reps.resize(n_);
        std::iota(lv.narrow_reps.begin(), lv.narrow_reps.end(), std::uint16_t{0});
      } else {
        lv.inverse_reps.resize(n_);
        std::iota(lv.inverse_reps.begin(), lv.inverse_reps.end(), Point{0});
      }
    }
    lv.parent.push_back(kNone);
    lv.via.push_back(kNone);
    c_.levels_.push_back(std::move(lv));
    capacity_.push_back(capacity_of(c_.levels_.size() - 1));
    Level& added = c_.levels_.back();
    if (added.explicit_reps) {
      // Room for every row the level can hold within the budget, so growing
      // the orbit never copies the rows (pages are touched only when written).
      const std::size_t rows = std::min(capacity_.back(), 1 + (opt_.explicit_transversal_bytes - used_bytes_) / row_bytes());
      if (c_.narrow())
        added.narrow_reps.reserve(rows * n_);
      else
        added.inverse_reps.reserve(rows * n_);
    }
    // A long base: block systems of G bound the basic orbits much better
    // (a level whose orbit is full is never scanned again).
    if (c_.levels_.size() == kBlocksFrom && !blocks_tried_) {
      blocks_tried_ = true;
      for (const auto& orbit : detail::orbits_of(n_, generators_)) {
        const auto systems = detail::block_systems(n_, orbit, generators_);
        if (systems) systems_.insert(systems_.end(), systems->begin(), systems->end());
      }
      for (std::size_t i = 0; i < c_.levels_.size(); ++i) capacity_[i] = capacity_of(i);
    }
  }

  // The largest possible basic orbit of `level`: the group orbit of its base
  // point minus the earlier base points in it; and for every block system
  // (G-invariant, so the stabilizer of the earlier base points fixes each
  // block holding one of them setwise): the base point's block minus the
  // earlier base points in it, or, if that block holds none, the blocks that
  // hold none.
  std::size_t capacity_of(std::size_t level) const {
    const Point b = c_.levels_[level].base;
    std::size_t earlier = 0;
    for (std::size_t i = 0; i < level; ++i) earlier += group_orbit_[c_.levels_[i].base] == group_orbit_[b] ? 1 : 0;
    std::size_t cap = group_orbit_size_[group_orbit_[b]] - earlier;
    for (const detail::BlockSystem& sys : systems_) {
      const std::uint32_t own = sys.block[b];
      if (own == detail::BlockSystem::kOff) continue;
      std::vector<bool> touched(sys.blocks, false);
      std::size_t touched_count = 0;
      std::size_t in_own = 0;
      for (std::size_t i = 0; i < level; ++i) {
        const std::uint32_t c = sys.block[c_.levels_[i].base];
        if (c == detail::BlockSystem::kOff) continue;
        in_own += c == own ? 1 : 0;
        if (!touched[c]) {
          touched[c] = true;
          ++touched_count;
        }
      }
      cap = std::min(cap, in_own > 0 ? sys.block_size - in_own : (sys.blocks - touched_count) * sys.block_size);
    }
    return cap;
  }

  // Sifts `w` in place from level `from`; returns the level where it stopped.
  std::size_t sift(std::vector<Point>& w, std::size_t from = 0) const {
    const std::size_t k = c_.levels_.size();
    for (std::size_t i = from; i < k; ++i) {
      const Level& lv = c_.levels_[i];
      const Point delta = w[lv.base];
      if (delta == lv.base) continue;
      const std::int32_t pos = lv.index[delta];
      if (pos < 0) return i;
      c_.apply_inverse_rep(lv, static_cast<std::size_t>(pos), w.data());
    }
    return k;
  }

  // Sifts and adds the residue if it is not the identity. True if added.
  bool sift_and_add(std::vector<Point> w) {
    const std::size_t level = sift(w);
    if (level == c_.levels_.size() && is_identity(w)) return false;
    add_strong(w, level);
    return true;
  }

  void run(const std::vector<Permutation>& generators) {
    // Orbits of the whole group on points (bounds on the basic orbits).
    group_orbit_.resize(n_);
    std::iota(group_orbit_.begin(), group_orbit_.end(), Point{0});
    auto root = [&](Point x) {
      while (group_orbit_[x] != x) x = group_orbit_[x] = group_orbit_[group_orbit_[x]];
      return x;
    };
    for (const auto& g : generators)
      for (std::size_t x = 0; x < n_; ++x) {
        const Point a = root(static_cast<Point>(x));
        const Point b = root(g[static_cast<Point>(x)]);
        if (a != b) group_orbit_[std::max(a, b)] = std::min(a, b);
      }
    group_orbit_size_.assign(n_, 0);
    for (std::size_t x = 0; x < n_; ++x) ++group_orbit_size_[group_orbit_[x] = root(static_cast<Point>(x))];
    std::vector<Permutation> gens;
    for (const auto& g : generators)
      if (!g.is_identity()) gens.push_back(g);
    for (const auto& g : gens) generators_.push_back(&g);
    for (Point b : opt_.base_prefix) new_level(b);
    if (gens.empty()) {
      c_.proof_ = ChainProof::deterministic;
      check_known_order_reached();
      return;
    }
    for (const auto& g : gens) sift_and_add(g.images());

    std::mt19937_64 rng(opt_.seed);
    detail::ProductReplacement random(n_, gens, rng);
    bound_ = opt_.upper_bound;
    random_phase(random, gens);
    const bool claimed = known_order_reached() && !opt_.known_order_trusted;
    if (known_order_reached() && !claimed) {
      check_known_order_reached();  // reached, or passed: then it was wrong
      c_.proof_ = ChainProof::known_order;
      return;
    }
    check_known_order_reached();
    if (upper_bound_reached()) {
      c_.proof_ = ChainProof::upper_bound;
      return;
    }

    const bool automatic = opt_.verification == ChainVerification::automatic;
    const double cost = estimated_verification_cost();
    if (opt_.verification == ChainVerification::always || (automatic && cost <= opt_.verify_budget)) {
      verify_deterministically();
      check_known_order_reached();  // a claimed order below the true one
      c_.proof_ = ChainProof::deterministic;
      return;
    }
    if (claimed) {  // a claim Sims' test cannot afford to check is believed
      c_.proof_ = ChainProof::known_order;
      return;
    }
    c_.proof_ = ChainProof::monte_carlo;
    if (opt_.bound_when_needed && !bound_ && !opt_.known_order) {
      bound_ = detail::order_upper_bound(n_, gens);
      if (bound_) {
        random_phase(random, gens);
        if (upper_bound_reached()) {
          c_.proof_ = ChainProof::upper_bound;
          return;
        }
      }
    }
    // With explicit rows at every level Sims' test checks each Schreier
    // generator point by point (about 3x cheaper per estimated step than
    // building it): a larger budget, about a second (D_20000 from two
    // generators: 0.8 s), is spent on a proof where a bound gave none.
    const bool all_explicit = std::all_of(c_.levels_.begin(), c_.levels_.end(),
                                          [](const Level& lv) { return lv.explicit_reps; });
    if (automatic && all_explicit && cost <= kExplicitBudgetFactor * opt_.verify_budget) {
      verify_deterministically();
      c_.proof_ = ChainProof::deterministic;
    }
  }

  // Random elements (then every given generator again, as a deterministic
  // check) until `consecutive_sifts` sift to the identity in a row; with a
  // known order until it is reached (giving up after many more), with an
  // upper bound until it is reached or 4x as many sifted in a row.
  void random_phase(detail::ProductReplacement& random, const std::vector<Permutation>& gens) {
    const unsigned target = std::max(1U, opt_.consecutive_sifts);
    const unsigned give_up = opt_.known_order ? 40U * target + 400U : bound_ ? 4U * target : target;
    for (;;) {
      unsigned in_a_row = 0;
      while (in_a_row < give_up) {
        throw_if_interrupted("the stabilizer chain computation");
        if (known_order_reached() || upper_bound_reached()) break;
        if (sift_and_add(random.next()))
          in_a_row = 0;
        else
          ++in_a_row;
      }
      if (known_order_reached()) return;
      // Deterministic check that the chain contains every given generator.
      bool added = false;
      for (const auto& g : gens) added = sift_and_add(g.images()) || added;
      if (!added) return;
    }
  }

 private:
  // True if one more explicit row fits in the budget (and reserves it).
  bool reserve_row() {
    if (used_bytes_ + row_bytes() > opt_.explicit_transversal_bytes) return false;
    used_bytes_ += row_bytes();
    return true;
  }

  std::size_t row_bytes() const { return n_ * (c_.narrow() ? sizeof(std::uint16_t) : sizeof(Point)); }

  // A level that runs out of budget drops its rows and keeps only its tree.
  void drop_rows(Level& lv) {
    used_bytes_ -= lv.inverse_reps.size() * sizeof(Point) + lv.narrow_reps.size() * sizeof(std::uint16_t);
    lv.explicit_reps = false;
    std::vector<Point>().swap(lv.inverse_reps);
    std::vector<std::uint16_t>().swap(lv.narrow_reps);
  }

  // Appends the row x -> up[sinv[x]] (up: row p of `reps`).
  template <typename Row>
  void append_row(std::vector<Row>& reps, std::size_t p, const Point* sinv) {
    const std::size_t base = reps.size();
    reps.resize(base + n_);
    const Row* up = reps.data() + p * n_;
    Row* out = reps.data() + base;
    for (std::size_t x = 0; x < n_; ++x) out[x] = up[sinv[x]];
  }

  // Extends the orbit of level `lv` after strong generator `id` was added to
  // its generators: old points are mapped by the new generator only, new
  // points by every generator of the level.
  void extend_orbit(Level& lv, std::uint32_t id) {
    std::size_t old_size = lv.orbit.size();
    std::size_t scan = old_size;  // first unprocessed new point
    for (std::size_t p = 0; p < old_size; ++p) try_image(lv, p, id);
    while (scan < lv.orbit.size()) {
      for (std::uint32_t g : lv.gens) try_image(lv, scan, g);
      ++scan;
    }
  }

  void try_image(Level& lv, std::size_t p, std::uint32_t g) {
    const Strong& s = c_.strong_[g];
    const Point image = s.perm[lv.orbit[p]];
    if (lv.index[image] >= 0) return;
    lv.index[image] = static_cast<std::int32_t>(lv.orbit.size());
    lv.orbit.push_back(image);
    lv.parent.push_back(static_cast<std::uint32_t>(p));
    lv.via.push_back(g);
    if (lv.explicit_reps && !reserve_row()) drop_rows(lv);
    if (!lv.explicit_reps) return;
    // u_image = u_p * s, so u_image^-1 = s^-1 * u_p^-1: x -> u_p^-1(s^-1(x)).
    if (c_.narrow())
      append_row(lv.narrow_reps, p, s.inv.data());
    else
      append_row(lv.inverse_reps, p, s.inv.data());
  }

  bool known_order_reached() const {
    if (!opt_.known_order) return false;
    // Cheap test on the logarithm first; exact comparison only when close.
    double log_order = 0.0;
    for (const Level& lv : c_.levels_) log_order += std::log(static_cast<double>(lv.orbit.size()));
    const double log_known = std::log(static_cast<double>(*opt_.known_order));
    if (std::isfinite(log_known) && log_order < log_known - 1e-6) return false;
    return c_.order() >= *opt_.known_order;
  }

  bool upper_bound_reached() const { return bound_ && c_.order() >= *bound_; }

  void check_known_order_reached() const {
    if (!opt_.known_order) return;
    const BigInt order = c_.order();
    if (order != *opt_.known_order)
      throw Error("the stabilizer chain reached order " + to_decimal(order) +
                  " but the group was declared to have order " + opt_.known_order->str());
  }

  double estimated_verification_cost() const {
    double cost = 0.0;
    const std::size_t k = c_.levels_.size();
    for (std::size_t i = 0; i < k; ++i) {
      const Level& lv = c_.levels_[i];
      cost += static_cast<double>(lv.orbit.size()) * static_cast<double>(lv.gens.size()) *
              static_cast<double>(n_) * static_cast<double>(k - i + 1);
    }
    return cost;
  }

  // Sims' test, from the deepest level up: every Schreier generator
  // u_d s u_{d^s}^-1 of a level must sift through the levels below it.
  // A failure adds the residue and re-verifies from the level it changed.
  void verify_deterministically() {
    std::vector<Point> forward(n_);
    std::vector<Point> row(n_);
    std::vector<Point> h(n_);
    std::size_t i = c_.levels_.size();
    while (i > 0) {
      --i;
      bool restarted = false;
      const std::size_t orbit_size = c_.levels_[i].orbit.size();
      mark_bases_below(i);
      for (std::size_t p = 0; p < orbit_size && !restarted; ++p) {
        throw_if_interrupted("the stabilizer chain computation");
        const bool fused = c_.levels_[i].explicit_reps;
        if (fused) find_base_preimages(i, p);
        bool have_forward = false;
        const std::size_t gen_count = c_.levels_[i].gens.size();
        for (std::size_t gi = 0; gi < gen_count; ++gi) {
          const Level& lv = c_.levels_[i];
          const std::uint32_t g = lv.gens[gi];
          const Strong& s = c_.strong_[g];
          const Point image = s.perm[lv.orbit[p]];
          const auto q = static_cast<std::size_t>(lv.index[image]);
          if (lv.parent[q] == p && lv.via[q] == g) continue;  // tree edge: trivial
          if (fused && sifts_to_identity(i, p, s.perm.data(), q)) continue;
          if (!have_forward) {  // forward = u_p
            std::iota(row.begin(), row.end(), Point{0});
            c_.apply_inverse_rep(lv, p, row.data());
            for (std::size_t x = 0; x < n_; ++x) forward[row[x]] = static_cast<Point>(x);
            have_forward = true;
          }
          for (std::size_t x = 0; x < n_; ++x) h[x] = s.perm[forward[x]];
          c_.apply_inverse_rep(lv, q, h.data());
          const std::size_t level = sift(h, i + 1);
          if (level == c_.levels_.size() && is_identity(h)) continue;
          add_strong(h, level);
          i = level + 1;  // re-verify from the changed level upwards
          restarted = true;
          break;
        }
      }
    }
  }

  // Row `pos` of an explicit level (x -> u_pos^-1(x)), narrow or wide.
  template <typename Row>
  static const Row* explicit_row(const Level& lv, std::size_t pos, std::size_t n);

  // base_level_[x]: the level j > i whose base point is x, or -1.
  void mark_bases_below(std::size_t i) {
    base_level_.assign(n_, -1);
    for (std::size_t j = i + 1; j < c_.levels_.size(); ++j)
      base_level_[c_.levels_[j].base] = static_cast<std::int32_t>(j);
    base_preimage_.assign(c_.levels_.size(), 0);
  }

  // base_preimage_[j] := u_p(b_j) for the levels j below i, by one scan of
  // the explicit row u_p^-1 (its entry at u_p(b_j) is b_j).
  void find_base_preimages(std::size_t i, std::size_t p) {
    const Level& lv = c_.levels_[i];
    if (c_.narrow())
      scan_row(explicit_row<std::uint16_t>(lv, p, n_));
    else
      scan_row(explicit_row<Point>(lv, p, n_));
  }

  template <typename Row>
  void scan_row(const Row* up) {
    for (std::size_t y = 0; y < n_; ++y) {
      const std::int32_t j = base_level_[up[y]];
      if (j >= 0) base_preimage_[static_cast<std::size_t>(j)] = static_cast<Point>(y);
    }
  }

  // Whether the Schreier generator h = u_p s u_q^-1 of level `i` (an
  // explicit level) sifts to the identity through the levels below, decided
  // without building h or its residue. The base points' images h(b_j) =
  // u_q^-1(s(u_p(b_j))) choose one transversal row per level; h times the
  // chosen rows is the identity iff it maps u_p(y) to u_p(y) for every y,
  // i.e. rows(u_q^-1(s(y))) = u_p^-1(y), which reads three rows in order.
  // False also when a level on the way keeps only a tree, or the sift stops:
  // the caller then takes the general path, which adds the residue.
  bool sifts_to_identity(std::size_t i, std::size_t p, const Point* s, std::size_t q) {
    return c_.narrow() ? fused_sift<std::uint16_t>(i, p, s, q) : fused_sift<Point>(i, p, s, q);
  }

  template <typename Row>
  bool fused_sift(std::size_t i, std::size_t p, const Point* s, std::size_t q) {
    const Level& top = c_.levels_[i];
    const Row* up = explicit_row<Row>(top, p, n_);
    const Row* uq = explicit_row<Row>(top, q, n_);
    std::vector<const Row*>& chosen = chosen_rows<Row>();
    chosen.clear();
    const std::size_t k = c_.levels_.size();
    for (std::size_t j = i + 1; j < k; ++j) {
      const Level& lv = c_.levels_[j];
      Point image = uq[s[base_preimage_[j]]];
      for (const Row* r : chosen) image = r[image];
      if (image == lv.base) continue;
      const std::int32_t pos = lv.index[image];
      if (pos < 0 || !lv.explicit_reps) return false;
      chosen.push_back(explicit_row<Row>(lv, static_cast<std::size_t>(pos), n_));
    }
    for (std::size_t y = 0; y < n_; ++y) {
      Point image = uq[s[y]];
      for (const Row* r : chosen) image = r[image];
      if (image != up[y]) return false;
    }
    return true;
  }

  template <typename Row>
  std::vector<const Row*>& chosen_rows() {
    if constexpr (std::is_same_v<Row, std::uint16_t>)
      return chosen_narrow_;
    else
      return chosen_wide_;
  }

  StabChain& c_;
  const StabChainOptions& opt_;
  std::size_t n_;
  std::size_t used_bytes_ = 0;
  std::optional<BigInt> bound_;                // opt_.upper_bound, or computed when needed
  std::vector<Point> group_orbit_;             // point -> representative of its group orbit
  std::vector<std::size_t> group_orbit_size_;  // representative -> orbit size
  std::vector<std::size_t> capacity_;          // per level: the largest possible basic orbit
  static constexpr std::size_t kBlocksFrom = 32;  // levels before block systems are looked for
  static constexpr double kExplicitBudgetFactor = 10.0;  // verify_budget's multiple when every level is explicit
  std::vector<const Permutation*> generators_;    // the non-identity given generators
  bool blocks_tried_ = false;
  std::vector<detail::BlockSystem> systems_;  // block systems of G, found once the base is long
  std::vector<std::int32_t> base_level_;      // verification: point -> level below whose base it is
  std::vector<Point> base_preimage_;          // verification: level j -> u_p(b_j)
  std::vector<const std::uint16_t*> chosen_narrow_;  // fused_sift's rows, one per level that moves
  std::vector<const Point*> chosen_wide_;
};

template <typename Row>
const Row* StabChain::Builder::explicit_row(const Level& lv, std::size_t pos, std::size_t n) {
  if constexpr (std::is_same_v<Row, std::uint16_t>)
    return lv.narrow_reps.data() + pos * n;
  else
    return lv.inverse_reps.data() + pos * n;
}

StabChain StabChain::build(std::size_t degree, const std::vector<Permutation>& generators,
                           const StabChainOptions& options) {
  if (degree > static_cast<std::size_t>(INT32_MAX))
    throw InputError("degree " + std::to_string(degree) + " is too large");
  for (std::size_t k = 0; k < generators.size(); ++k)
    if (generators[k].degree() != degree)
      throw InputError("generator " + std::to_string(k) + " has degree " +
                       std::to_string(generators[k].degree()) + " but the group has degree " +
                       std::to_string(degree));
  std::vector<bool> seen(degree, false);
  for (Point b : options.base_prefix) {
    if (b >= degree)
      throw InputError("base point " + std::to_string(b) + " is out of range, expected a value in [0, " +
                       std::to_string(degree) + ")");
    if (seen[b]) throw InputError("base point " + std::to_string(b) + " is repeated");
    seen[b] = true;
  }
  StabChain chain;
  chain.degree_ = degree;
  Builder builder(chain, options);
  builder.run(generators);
  return chain;
}

void StabChain::apply_inverse_rep(const Level& lv, std::size_t pos, Point* w) const {
  const std::size_t n = degree_;
  if (lv.explicit_reps && narrow()) {
    const std::uint16_t* u = lv.narrow_reps.data() + pos * n;
    for (std::size_t x = 0; x < n; ++x) w[x] = u[w[x]];
    return;
  }
  if (lv.explicit_reps) {
    const Point* u = lv.inverse_reps.data() + pos * n;
    for (std::size_t x = 0; x < n; ++x) w[x] = u[w[x]];
    return;
  }
  // u_delta = s_1 s_2 ... s_d along the tree path from the base point, so
  // w * u_delta^-1 = w * s_d^-1 * ... * s_1^-1: walk from delta to the root.
  while (lv.via[pos] != kNone) {
    const Point* inv = strong_[lv.via[pos]].inv.data();
    for (std::size_t x = 0; x < n; ++x) w[x] = inv[w[x]];
    pos = lv.parent[pos];
  }
}

std::vector<Point> StabChain::base() const {
  std::vector<Point> out;
  out.reserve(levels_.size());
  for (const Level& lv : levels_) out.push_back(lv.base);
  return out;
}

const std::vector<Point>& StabChain::basic_orbit(std::size_t level) const {
  if (level >= levels_.size())
    throw std::out_of_range("level " + std::to_string(level) + " is out of range, the chain has " +
                            std::to_string(levels_.size()) + " levels");
  return levels_[level].orbit;
}

BigInt StabChain::order() const {
  BigInt order = 1;
  for (const Level& lv : levels_) order *= lv.orbit.size();
  return order;
}

std::pair<Permutation, std::size_t> StabChain::sift(const Permutation& p) const {
  if (p.degree() != degree_)
    throw InputError("the permutation has degree " + std::to_string(p.degree()) +
                     " but the group has degree " + std::to_string(degree_));
  std::vector<Point> w = p.images();
  const std::size_t k = levels_.size();
  for (std::size_t i = 0; i < k; ++i) {
    const Level& lv = levels_[i];
    const Point delta = w[lv.base];
    if (delta == lv.base) continue;
    const std::int32_t pos = lv.index[delta];
    if (pos < 0) return {Permutation::from_images_no_checks(std::move(w)), i};
    apply_inverse_rep(lv, static_cast<std::size_t>(pos), w.data());
  }
  return {Permutation::from_images_no_checks(std::move(w)), k};
}

bool StabChain::prove_by_upper_bound(const BigInt& bound) {
  if (is_proven()) return true;
  if (order() != bound) return false;
  proof_ = ChainProof::upper_bound;
  return true;
}

bool StabChain::contains(const Permutation& p) const {
  auto [residue, level] = sift(p);
  return level == levels_.size() && residue.is_identity();
}

std::vector<Permutation> StabChain::strong_generators() const {
  std::vector<Permutation> out;
  out.reserve(strong_.size());
  for (const Strong& s : strong_) out.push_back(Permutation::from_images_no_checks(s.perm));
  return out;
}

std::vector<Permutation> StabChain::stabilizer_generators(std::size_t level) const {
  if (level > levels_.size())
    throw std::out_of_range("level " + std::to_string(level) + " is out of range, the chain has " +
                            std::to_string(levels_.size()) + " levels");
  if (level == levels_.size()) return {};
  std::vector<Permutation> out;
  for (std::uint32_t g : levels_[level].gens)
    out.push_back(Permutation::from_images_no_checks(strong_[g].perm));
  return out;
}

Permutation StabChain::transversal_element(std::size_t level, Point point) const {
  const std::vector<Point>& orbit = basic_orbit(level);
  (void)orbit;
  const Level& lv = levels_[level];
  if (point >= degree_ || lv.index[point] < 0)
    throw std::out_of_range("point " + std::to_string(point) + " is not in the basic orbit of level " +
                            std::to_string(level));
  std::vector<Point> uinv(degree_);
  std::iota(uinv.begin(), uinv.end(), Point{0});
  apply_inverse_rep(lv, static_cast<std::size_t>(lv.index[point]), uinv.data());
  std::vector<Point> u(degree_);
  for (std::size_t x = 0; x < degree_; ++x) u[uinv[x]] = static_cast<Point>(x);
  return Permutation::from_images_no_checks(std::move(u));
}

Permutation StabChain::random_element(std::mt19937_64& rng) const {
  // The product of one random inverse transversal element per level is uniform
  // in a complete chain (and so is its inverse).
  std::vector<Point> w(degree_);
  std::iota(w.begin(), w.end(), Point{0});
  for (const Level& lv : levels_) {
    const std::size_t pos = detail::uniform_below(rng, lv.orbit.size());
    apply_inverse_rep(lv, pos, w.data());
  }
  return Permutation::from_images_no_checks(std::move(w));
}

void StabChain::for_each_element(const std::function<void(const Permutation&)>& visit,
                                 const BigInt& limit) const {
  const BigInt total = order();
  if (total > limit)
    throw LimitError("the group has " + to_decimal(total) + " elements, more than the limit of " +
                     to_decimal(limit));
  const std::size_t k = levels_.size();
  // Depth-first over one inverse transversal element per level: each element
  // is u_0^-1 u_1^-1 ... u_{k-1}^-1 for a unique choice, i.e. every element once.
  std::vector<std::vector<Point>> partial(k + 1, std::vector<Point>(degree_));
  std::iota(partial[0].begin(), partial[0].end(), Point{0});
  std::vector<std::size_t> choice(k + 1, 0);
  std::function<void(std::size_t)> descend = [&](std::size_t i) {
    if (i == k) {
      visit(Permutation::from_images_no_checks(partial[k]));
      return;
    }
    const Level& lv = levels_[i];
    for (std::size_t pos = 0; pos < lv.orbit.size(); ++pos) {
      partial[i + 1] = partial[i];
      apply_inverse_rep(lv, pos, partial[i + 1].data());
      descend(i + 1);
    }
  };
  descend(0);
}

}  // namespace asen::algebra
