// Uses the installed asen library: parses a group spec, prints its order and
// the number of its orbitals (the colours of the breaking input).
#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>

#include <iostream>

int main(int argc, char** argv) {
  const std::string spec = argc > 1 ? argv[1] : "D(10)";
  try {
    const auto group = asen::algebra::PermGroup::parse(spec);
    const auto orbitals = asen::algebra::Orbitals::compute(group);
    std::cout << spec << ": degree " << group.degree() << ", order " << group.order() << ", "
              << orbitals.rank() << " orbitals\n";
  } catch (const asen::Error& e) {
    std::cerr << "consumer: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
