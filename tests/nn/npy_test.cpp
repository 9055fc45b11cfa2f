#include <asen/error.hpp>
#include <asen/nn/npy.hpp>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "scratch_dir.hpp"

using asen::InputError;
using asen::nn::NpyArray;

namespace {

/// The bytes of a .npy file with this header and data (as numpy.save writes
/// them: the header padded with spaces to a multiple of 64 and ended by '\n').
std::string npy_bytes(const std::string& descr, const std::string& shape, const std::string& data,
                      bool fortran = false, int major = 1) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                     ", 'shape': " + shape + ", }";
  const std::size_t preamble = major == 1 ? 10 : 12;
  const std::size_t padded = (preamble + dict.size() + 1 + 63) / 64 * 64;
  dict += std::string(padded - preamble - dict.size() - 1, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t k = 0; k < (major == 1 ? 2U : 4U); ++k) out += static_cast<char>((dict.size() >> (8 * k)) & 0xFFU);
  return out + dict + data;
}

template <typename T>
std::string raw(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.data(), out.size());  // the test machine is little-endian, as NumPy's '<'
  return out;
}

void expect_input_error(const std::string& bytes, const std::string& fragment) {
  try {
    (void)NpyArray::parse(bytes, "data/x.npy");
    FAIL() << "expected an InputError containing '" << fragment << "'";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("data/x.npy"), std::string::npos) << e.what();
  }
}

TEST(NpyArray, ReadsAFloat32ArrayInCOrder) {
  const NpyArray a = NpyArray::parse(npy_bytes("<f4", "(2, 3)", raw<float>({0, 1, 2, 3, 4.5F, -5})));
  EXPECT_TRUE(a.is_floating());
  EXPECT_EQ(a.shape(), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.shape_string(), "(2, 3)");
  EXPECT_EQ(a.to_doubles(), (std::vector<double>{0, 1, 2, 3, 4.5, -5}));
  // Whole floats convert to integers.
  EXPECT_EQ(NpyArray::parse(npy_bytes("<f4", "(2,)", raw<float>({3, -5}))).to_int64(),
            (std::vector<std::int64_t>{3, -5}));
}

TEST(NpyArray, ReadsFormatVersionsTwoAndThree) {
  for (const int major : {2, 3}) {
    const NpyArray a = NpyArray::parse(npy_bytes("<f8", "(3,)", raw<double>({1.25, 2, 3}), false, major));
    EXPECT_EQ(a.shape_string(), "(3,)");
    EXPECT_EQ(a.to_doubles(), (std::vector<double>{1.25, 2, 3}));
  }
}

TEST(NpyArray, ReadsEveryIntegerWidthAndBools) {
  EXPECT_EQ(NpyArray::parse(npy_bytes("|i1", "(2,)", raw<std::int8_t>({-3, 7}))).to_int64(),
            (std::vector<std::int64_t>{-3, 7}));
  EXPECT_EQ(NpyArray::parse(npy_bytes("<i2", "(2,)", raw<std::int16_t>({-300, 7}))).to_int64(),
            (std::vector<std::int64_t>{-300, 7}));
  EXPECT_EQ(NpyArray::parse(npy_bytes("<i4", "(2,)", raw<std::int32_t>({-70000, 7}))).to_int64(),
            (std::vector<std::int64_t>{-70000, 7}));
  EXPECT_EQ(NpyArray::parse(npy_bytes("<i8", "(1,)", raw<std::int64_t>({-5000000000LL}))).to_int64(),
            (std::vector<std::int64_t>{-5000000000LL}));
  EXPECT_EQ(NpyArray::parse(npy_bytes("|u1", "(2,)", raw<std::uint8_t>({255, 1}))).to_int64(),
            (std::vector<std::int64_t>{255, 1}));
  EXPECT_EQ(NpyArray::parse(npy_bytes("<u2", "(1,)", raw<std::uint16_t>({65535}))).to_doubles(),
            (std::vector<double>{65535}));
  EXPECT_EQ(NpyArray::parse(npy_bytes("<u4", "(1,)", raw<std::uint32_t>({4000000000U}))).to_int64(),
            (std::vector<std::int64_t>{4000000000LL}));
  const NpyArray b = NpyArray::parse(npy_bytes("|b1", "(3,)", raw<std::uint8_t>({1, 0, 1})));
  EXPECT_EQ(b.kind(), NpyArray::Kind::boolean);
  EXPECT_EQ(b.to_int64(), (std::vector<std::int64_t>{1, 0, 1}));
}

TEST(NpyArray, ReordersFortranOrderToCOrder) {
  // The 2 x 3 array [[0, 1, 2], [3, 4, 5]] stored column by column.
  const NpyArray a = NpyArray::parse(npy_bytes("<i4", "(2, 3)", raw<std::int32_t>({0, 3, 1, 4, 2, 5}), true));
  EXPECT_EQ(a.to_int64(), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  // And a 2 x 2 x 2 one: element (i, j, k) = 4i + 2j + k at Fortran offset i + 2j + 4k.
  std::vector<std::int32_t> f(8);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k) f[static_cast<std::size_t>(i + 2 * j + 4 * k)] = 4 * i + 2 * j + k;
  EXPECT_EQ(NpyArray::parse(npy_bytes("<i4", "(2, 2, 2)", raw(f), true)).to_int64(),
            (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(NpyArray, ReadsAScalarAndAnEmptyArray) {
  EXPECT_EQ(NpyArray::parse(npy_bytes("<f8", "()", raw<double>({7}))).size(), 1);
  const NpyArray empty = NpyArray::parse(npy_bytes("<f4", "(0, 16, 3)", ""));
  EXPECT_EQ(empty.size(), 0);
  EXPECT_TRUE(empty.to_doubles().empty());
}

TEST(NpyArray, RefusesBigEndianData) {
  expect_input_error(npy_bytes(">f4", "(1,)", raw<float>({1})), "big-endian");
}

TEST(NpyArray, RefusesDtypesItCannotRead) {
  expect_input_error(npy_bytes("<f2", "(1,)", std::string(2, '\0')), "16-bit floats");
  expect_input_error(npy_bytes("<c8", "(1,)", std::string(8, '\0')), "does not support");
  expect_input_error(npy_bytes("<U3", "(1,)", std::string(12, '\0')), "does not support");
  expect_input_error(npy_bytes("|O", "(1,)", std::string(8, '\0')), "Python objects");
  expect_input_error(npy_bytes("<x", "(1,)", std::string(8, '\0')), "unknown dtype");
  std::string structured = npy_bytes("<f4", "(1,)", raw<float>({1}));
  structured.replace(structured.find("'<f4'"), 5, "[('a', '<f4')]");
  expect_input_error(structured, "structured");
}

TEST(NpyArray, RefusesTruncatedAndOverlongFiles) {
  const std::string good = npy_bytes("<f4", "(2, 3)", raw<float>({0, 1, 2, 3, 4, 5}));
  expect_input_error(good.substr(0, good.size() - 1), "truncated");
  expect_input_error(good.substr(0, 40), "truncated");  // inside the header
  expect_input_error(good.substr(0, 9), "truncated");
  expect_input_error(good + "xxxx", "4 bytes after the data");
}

TEST(NpyArray, RefusesFilesThatAreNotNpy) {
  expect_input_error("PK\x03\x04 a zip archive (an .npz?)", "not a .npy file");
  expect_input_error("", "not a .npy file");
  std::string version = npy_bytes("<f4", "(1,)", raw<float>({1}));
  version[6] = 9;
  expect_input_error(version, "version 9.0");
}

TEST(NpyArray, RefusesMalformedHeaders) {
  std::string no_shape = npy_bytes("<f4", "(1,)", raw<float>({1}));
  no_shape.replace(no_shape.find("'shape'"), 7, "'shapf'");
  expect_input_error(no_shape, "no 'shape'");
  std::string bad_tuple = npy_bytes("<f4", "(1,)", raw<float>({1}));
  bad_tuple.replace(bad_tuple.find("(1,)"), 4, "(x, )");
  expect_input_error(bad_tuple, "malformed .npy header");
  std::string negative = npy_bytes("<f4", "(1,)", raw<float>({1}));
  negative.replace(negative.find("(1,)"), 4, "(-1,)");
  expect_input_error(negative, "malformed .npy header");
}

TEST(NpyArray, ToInt64RefusesFractionsAndNaN) {
  const NpyArray a = NpyArray::parse(npy_bytes("<f4", "(2,)", raw<float>({1, 2.5F})), "t.npy");
  try {
    (void)a.to_int64();
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("t.npy holds 2.5"), std::string::npos) << e.what();
  }
}

TEST(NpyArray, ReadNamesAMissingFileOrAFolder) {
  const asen::testing::ScratchDir scratch;
  const auto& dir = scratch.path();
  try {
    (void)NpyArray::read((dir / "asen-no-such-file.npy").string());
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("asen-no-such-file.npy"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)NpyArray::read(dir.string()), InputError);
}

TEST(NpyArray, ReadsAFileFromDisk) {
  const asen::testing::ScratchDir scratch;
  const auto path = scratch.path() / "t.npy";
  {
    std::ofstream out(path, std::ios::binary);
    out << npy_bytes("<i8", "(2,)", raw<std::int64_t>({4, 5}));
  }
  EXPECT_EQ(NpyArray::read(path.string()).to_int64(), (std::vector<std::int64_t>{4, 5}));
}

}  // namespace
