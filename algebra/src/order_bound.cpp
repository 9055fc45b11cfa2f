#include "order_bound.hpp"

#include <map>

#include "union_find.hpp"

namespace asen::algebra::detail {

std::vector<std::vector<Point>> orbits_of(std::size_t n, const std::vector<const Permutation*>& gens) {
  UnionFind orbit_of(n);
  for (const Permutation* g : gens)
    for (std::size_t x = 0; x < n; ++x) orbit_of.unite(static_cast<std::uint32_t>(x), (*g)[static_cast<Point>(x)]);
  std::map<std::uint32_t, std::vector<Point>> orbits;
  for (std::size_t x = 0; x < n; ++x) orbits[orbit_of.find(static_cast<std::uint32_t>(x))].push_back(static_cast<Point>(x));
  std::vector<std::vector<Point>> out;
  out.reserve(orbits.size());
  for (auto& [root, orbit] : orbits) out.push_back(std::move(orbit));
  return out;
}

std::optional<std::vector<BlockSystem>> block_systems(std::size_t n, const std::vector<Point>& orbit,
                                                      const std::vector<const Permutation*>& gens) {
  constexpr double kBudget = 5e7;
  constexpr std::size_t kTries = 32;
  std::vector<BlockSystem> out;
  const std::size_t m = orbit.size();
  if (m < 4) return out;
  const std::size_t tries = std::min(kTries, m - 1);
  if (static_cast<double>(tries) * static_cast<double>(m) * static_cast<double>(gens.size()) > kBudget)
    return std::nullopt;
  std::map<std::size_t, bool> tried;
  // Atkinson: the smallest block containing {a, b}, for several b.
  for (std::size_t t = 0; t < tries; ++t) {
    const Point a = orbit[0];
    const Point b = orbit[1 + (t * (m - 1)) / tries];
    UnionFind uf(n);
    std::vector<std::pair<Point, Point>> queue{{a, b}};
    uf.unite(a, b);
    for (std::size_t k = 0; k < queue.size(); ++k)
      for (const Permutation* g : gens) {
        const Point x = (*g)[queue[k].first];
        const Point y = (*g)[queue[k].second];
        if (uf.unite(x, y)) queue.emplace_back(x, y);
      }
    std::size_t s = 0;
    const std::uint32_t ra = uf.find(a);
    for (const Point x : orbit) s += uf.find(x) == ra ? 1 : 0;
    // One system per block size (enough for the bounds).
    if (s == m || m % s != 0 || tried.count(s) != 0) continue;
    tried[s] = true;
    BlockSystem sys;
    sys.block.assign(n, BlockSystem::kOff);
    sys.block_size = s;
    std::map<std::uint32_t, std::uint32_t> id;
    for (const Point x : orbit) {
      const auto it = id.emplace(uf.find(x), static_cast<std::uint32_t>(id.size())).first;
      sys.block[x] = it->second;
    }
    sys.blocks = id.size();
    out.push_back(std::move(sys));
  }
  return out;
}

std::optional<BigInt> order_upper_bound(std::size_t n, const std::vector<Permutation>& generators) {
  std::vector<const Permutation*> gens;
  bool all_even = true;
  for (const auto& g : generators)
    if (!g.is_identity()) {
      gens.push_back(&g);
      all_even = all_even && g.sign() > 0;
    }
  BigInt bound = 1;
  bool moved = false;
  for (const auto& orbit : orbits_of(n, gens)) {
    const std::size_t m = orbit.size();
    if (m < 2) continue;
    moved = true;
    BigInt best = factorial(m);
    const auto systems = block_systems(n, orbit, gens);
    if (!systems) return std::nullopt;
    for (const BlockSystem& sys : *systems) {
      const BigInt wreath = boost::multiprecision::pow(factorial(sys.block_size), static_cast<unsigned>(sys.blocks)) *
                            factorial(sys.blocks);
      if (wreath < best) best = wreath;
    }
    bound *= best;
  }
  // The even part of a group with an odd element has half its order.
  if (all_even && moved) bound /= 2;
  return bound;
}

}  // namespace asen::algebra::detail
