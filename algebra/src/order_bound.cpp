#include "order_bound.hpp"

#include <map>

#include "union_find.hpp"

namespace asen::algebra::detail {

std::optional<BigInt> order_upper_bound(std::size_t n, const std::vector<Permutation>& generators) {
  std::vector<const Permutation*> gens;
  bool all_even = true;
  for (const auto& g : generators)
    if (!g.is_identity()) {
      gens.push_back(&g);
      all_even = all_even && g.sign() > 0;
    }
  UnionFind orbit_of(n);
  for (const Permutation* g : gens)
    for (std::size_t x = 0; x < n; ++x) orbit_of.unite(static_cast<std::uint32_t>(x), (*g)[static_cast<Point>(x)]);
  std::map<std::uint32_t, std::vector<Point>> orbits;
  for (std::size_t x = 0; x < n; ++x) orbits[orbit_of.find(static_cast<std::uint32_t>(x))].push_back(static_cast<Point>(x));

  constexpr double kBudget = 5e7;
  constexpr std::size_t kTries = 32;
  BigInt bound = 1;
  bool moved = false;
  for (const auto& [root, orbit] : orbits) {
    const std::size_t m = orbit.size();
    if (m < 2) continue;
    moved = true;
    BigInt best = factorial(m);
    const std::size_t tries = std::min(kTries, m - 1);
    if (m >= 4 && static_cast<double>(tries) * static_cast<double>(m) * static_cast<double>(gens.size()) > kBudget)
      return std::nullopt;
    std::map<std::size_t, bool> tried;
    // Atkinson: the smallest block containing {a, b}, for several b.
    for (std::size_t t = 0; m >= 4 && t < tries; ++t) {
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
      if (s == m || m % s != 0 || tried.count(s) != 0) continue;
      tried[s] = true;
      const std::size_t k = m / s;
      const BigInt wreath = boost::multiprecision::pow(factorial(s), static_cast<unsigned>(k)) * factorial(k);
      if (wreath < best) best = wreath;
    }
    bound *= best;
  }
  // The even part of a group with an odd element has half its order.
  if (all_even && moved) bound /= 2;
  return bound;
}

}  // namespace asen::algebra::detail
