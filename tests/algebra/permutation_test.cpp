#include <asen/algebra/permutation.hpp>
#include <asen/error.hpp>
#include <gtest/gtest.h>
TEST(Smoke, Parses) { EXPECT_EQ(asen::algebra::Permutation::parse("(1,2,3)").to_cycle_string(), "(1,2,3)"); }
