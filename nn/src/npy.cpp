#include <asen/error.hpp>
#include <asen/read_file.hpp>
#include <asen/nn/npy.hpp>

#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>
#include <system_error>

namespace asen::nn {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

// What the header dict holds: strings, booleans and tuples of integers.
struct HeaderValue {
  enum class Type { string, boolean, tuple } type = Type::string;
  std::string text;
  bool flag = false;
  std::vector<std::int64_t> numbers;
};

// A parser for the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  std::map<std::string, HeaderValue> parse() {
    std::map<std::string, HeaderValue> out;
    skip_space();
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') {
        ++at_;
        break;
      }
      const std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      out[key] = parse_value(key);
      skip_space();
      if (peek() == ',') {
        ++at_;
        continue;
      }
      expect('}');
      break;
    }
    skip_space();
    if (at_ != text_.size()) fail("unexpected text after the header dict");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(source_ + ": malformed .npy header (" + what + " at character " + std::to_string(at_) +
                     " of '" + std::string(text_.substr(0, 120)) + "')");
  }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  void skip_space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\t' || text_[at_] == '\r'))
      ++at_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++at_;
  }
  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    ++at_;
    const std::size_t end = text_.find(quote, at_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(at_, end - at_));
    at_ = end + 1;
    return s;
  }
  HeaderValue parse_value(const std::string& key) {
    HeaderValue v;
    const char c = peek();
    if (c == '\'' || c == '"') {
      v.type = HeaderValue::Type::string;
      v.text = parse_string();
    } else if (text_.substr(at_, 4) == "True") {
      v.type = HeaderValue::Type::boolean;
      v.flag = true;
      at_ += 4;
    } else if (text_.substr(at_, 5) == "False") {
      v.type = HeaderValue::Type::boolean;
      at_ += 5;
    } else if (c == '(') {
      v.type = HeaderValue::Type::tuple;
      ++at_;
      for (;;) {
        skip_space();
        if (peek() == ')') {
          ++at_;
          break;
        }
        if (std::isdigit(static_cast<unsigned char>(peek())) == 0) fail("expected a non-negative integer in the shape");
        std::int64_t n = 0;
        while (std::isdigit(static_cast<unsigned char>(peek())) != 0) {
          const int digit = peek() - '0';
          if (n > (std::numeric_limits<std::int64_t>::max() - digit) / 10) fail("a dimension is too large");
          n = n * 10 + digit;
          ++at_;
        }
        if (peek() == 'L') ++at_;  // Python 2 long literals
        v.numbers.push_back(n);
        skip_space();
        if (peek() == ',') {
          ++at_;
          continue;
        }
        expect(')');
        break;
      }
    } else if (c == '[' && key == "descr") {
      throw InputError(source_ + ": structured (record) dtypes are not supported; save a plain numeric array");
    } else {
      fail("unexpected value for '" + key + "'");
    }
    return v;
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t at_ = 0;
};

std::uint64_t read_le(const char* p, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < bytes; ++k) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[k])) << (8 * k);
  return v;
}

std::int64_t sign_extend(std::uint64_t v, std::size_t bytes) {
  if (bytes == 8) return static_cast<std::int64_t>(v);
  const std::uint64_t sign = std::uint64_t{1} << (8 * bytes - 1);
  return static_cast<std::int64_t>((v ^ sign) - sign);
}

}  // namespace

NpyArray NpyArray::parse(std::string_view bytes, const std::string& source) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic)
    throw InputError(source + " is not a .npy file (it does not start with \\x93NUMPY; save arrays with numpy.save)");
  if (bytes.size() < 10) throw InputError(source + " is truncated: it ends inside the .npy preamble");
  const auto major = static_cast<unsigned char>(bytes[6]);
  const auto minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    throw InputError(source + " has .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                     "; this reader knows versions 1.0, 2.0 and 3.0");
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + length_bytes) throw InputError(source + " is truncated: it ends inside the .npy preamble");
  const std::uint64_t header_length = read_le(bytes.data() + 8, length_bytes);
  const std::size_t header_start = 8 + length_bytes;
  if (header_length > bytes.size() - header_start)
    throw InputError(source + " is truncated: its header says " + std::to_string(header_length) +
                     " bytes but the file ends before that");
  const std::string_view header = bytes.substr(header_start, static_cast<std::size_t>(header_length));
  const std::map<std::string, HeaderValue> dict = HeaderParser(header, source).parse();

  NpyArray a;
  a.source_ = source;
  const auto descr = dict.find("descr");
  const auto order = dict.find("fortran_order");
  const auto shape = dict.find("shape");
  if (descr == dict.end() || descr->second.type != HeaderValue::Type::string)
    throw InputError(source + ": the .npy header has no 'descr' string");
  if (order == dict.end() || order->second.type != HeaderValue::Type::boolean)
    throw InputError(source + ": the .npy header has no 'fortran_order' True/False");
  if (shape == dict.end() || shape->second.type != HeaderValue::Type::tuple)
    throw InputError(source + ": the .npy header has no 'shape' tuple");
  a.descr_ = descr->second.text;
  a.shape_ = shape->second.numbers;

  // The dtype: byte order, kind and size.
  const std::string& d = a.descr_;
  if (d.size() >= 2 && d[1] == 'O')
    throw InputError(source + " holds Python objects (dtype '" + d + "'), which only pickle can read; save a numeric array");
  if (d.size() < 3) throw InputError(source + " has the unknown dtype '" + d + "'");
  const char byte_order = d[0];
  const char kind = d[1];
  const std::string size_text = d.substr(2);
  if (size_text.find_first_not_of("0123456789") != std::string::npos || size_text.size() > 2)
    throw InputError(source + " has the dtype '" + d + "', which this reader does not support");
  a.item_size_ = static_cast<std::size_t>(std::stoi(size_text));
  const std::string supported = "floats f4 f8, integers i1 i2 i4 i8 u1 u2 u4 u8, or bool b1";
  switch (kind) {
    case 'f':
      a.kind_ = Kind::floating;
      if (a.item_size_ != 4 && a.item_size_ != 8)
        throw InputError(source + " has the dtype '" + d + "' (" + std::to_string(8 * a.item_size_) +
                         "-bit floats); save float32 or float64 (" + supported + ")");
      break;
    case 'i':
    case 'u':
      a.kind_ = kind == 'i' ? Kind::signed_integer : Kind::unsigned_integer;
      if (a.item_size_ != 1 && a.item_size_ != 2 && a.item_size_ != 4 && a.item_size_ != 8)
        throw InputError(source + " has the dtype '" + d + "'; expected " + supported);
      break;
    case 'b':
      a.kind_ = Kind::boolean;
      if (a.item_size_ != 1) throw InputError(source + " has the dtype '" + d + "'; expected " + supported);
      break;
    default:
      throw InputError(source + " has the dtype '" + d + "', which this reader does not support; expected " +
                       supported);
  }
  if (byte_order == '>' && a.item_size_ > 1)
    throw InputError(source + " holds big-endian numbers ('" + d +
                     "'); convert them with array.astype(array.dtype.newbyteorder('<')) before saving");
  if (byte_order != '<' && byte_order != '|' && byte_order != '=' && byte_order != '>')
    throw InputError(source + " has the dtype '" + d + "' with an unknown byte order");
  if (byte_order == '=')
    // NumPy writes '<' or '>' explicitly; '=' (native) in a file is ambiguous.
    throw InputError(source + " has the dtype '" + d + "' without an explicit byte order");

  // The data: exactly size * item_size bytes.
  std::uint64_t count = 1;
  for (const std::int64_t n : a.shape_) {
    if (n != 0 && count > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(n) / a.item_size_)
      throw InputError(source + ": the shape " + a.shape_string() + " is too large");
    count *= static_cast<std::uint64_t>(n);
  }
  const std::uint64_t data_bytes = count * a.item_size_;
  const std::size_t data_start = header_start + static_cast<std::size_t>(header_length);
  const std::size_t available = bytes.size() - data_start;
  if (available < data_bytes)
    throw InputError(source + " is truncated: the shape " + a.shape_string() + " of '" + d + "' needs " +
                     std::to_string(data_bytes) + " bytes of data but the file holds " + std::to_string(available));
  if (available > data_bytes)
    throw InputError(source + " is corrupt: it holds " + std::to_string(available - data_bytes) +
                     " bytes after the data of shape " + a.shape_string() + " (several arrays in one file? use one "
                     ".npy file per array)");
  const std::string_view data = bytes.substr(data_start, static_cast<std::size_t>(data_bytes));
  if (!order->second.flag || a.shape_.size() < 2) {
    a.data_.assign(data.data(), data.size());
    return a;
  }
  // Fortran order: the first index varies fastest. Copy each item to its
  // C-order position.
  const std::size_t dims = a.shape_.size();
  std::vector<std::uint64_t> f_stride(dims, 1);
  for (std::size_t k = 1; k < dims; ++k) f_stride[k] = f_stride[k - 1] * static_cast<std::uint64_t>(a.shape_[k - 1]);
  a.data_.assign(data.size(), '\0');
  std::vector<std::int64_t> index(dims, 0);
  for (std::uint64_t c = 0; c < count; ++c) {
    std::uint64_t f = 0;
    for (std::size_t k = 0; k < dims; ++k) f += static_cast<std::uint64_t>(index[k]) * f_stride[k];
    std::memcpy(&a.data_[c * a.item_size_], data.data() + f * a.item_size_, a.item_size_);
    for (std::size_t k = dims; k-- > 0;) {  // the next C-order index
      if (++index[k] < a.shape_[k]) break;
      index[k] = 0;
    }
  }
  return a;
}

NpyArray NpyArray::read(const std::string& path) { return parse(asen::detail::read_file(path, path), path); }

std::int64_t NpyArray::size() const {
  std::int64_t n = 1;
  for (const std::int64_t d : shape_) n *= d;
  return n;
}

std::string NpyArray::shape_string() const {
  std::string out = "(";
  for (std::size_t k = 0; k < shape_.size(); ++k) out += (k ? ", " : "") + std::to_string(shape_[k]);
  if (shape_.size() == 1) out += ",";
  return out + ")";
}

std::vector<double> NpyArray::to_doubles() const {
  const auto n = static_cast<std::size_t>(size());
  std::vector<double> out(n);
  for (std::size_t k = 0; k < n; ++k) {
    const char* p = data_.data() + k * item_size_;
    const std::uint64_t bits = read_le(p, item_size_);
    switch (kind_) {
      case Kind::floating:
        if (item_size_ == 4) {
          const auto b = static_cast<std::uint32_t>(bits);
          float f = 0;
          std::memcpy(&f, &b, sizeof f);
          out[k] = f;
        } else {
          double f = 0;
          std::memcpy(&f, &bits, sizeof f);
          out[k] = f;
        }
        break;
      case Kind::signed_integer:
        out[k] = static_cast<double>(sign_extend(bits, item_size_));
        break;
      case Kind::unsigned_integer:
        out[k] = static_cast<double>(bits);
        break;
      case Kind::boolean:
        out[k] = bits != 0 ? 1.0 : 0.0;
        break;
    }
  }
  return out;
}

std::string NpyArray::index_string(std::size_t flat) const {
  std::vector<std::int64_t> index(shape_.size());
  for (std::size_t k = shape_.size(); k-- > 0;) {
    const auto extent = static_cast<std::size_t>(shape_[k]);
    index[k] = extent > 0 ? static_cast<std::int64_t>(flat % extent) : 0;
    flat = extent > 0 ? flat / extent : 0;
  }
  std::string out = "[";
  for (std::size_t k = 0; k < index.size(); ++k) out += (k ? ", " : "") + std::to_string(index[k]);
  return out + "]";
}

std::vector<std::int64_t> NpyArray::to_int64() const {
  const auto n = static_cast<std::size_t>(size());
  std::vector<std::int64_t> out(n);
  if (kind_ == Kind::floating) {
    const std::vector<double> values = to_doubles();
    for (std::size_t k = 0; k < n; ++k) {
      const double v = values[k];
      if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.0e18)
        throw InputError(source_ + " holds " + std::to_string(v) + " at index " + index_string(k) +
                         ", not a whole number; integers were expected here");
      out[k] = static_cast<std::int64_t>(v);
    }
    return out;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t bits = read_le(data_.data() + k * item_size_, item_size_);
    if (kind_ == Kind::signed_integer) {
      out[k] = sign_extend(bits, item_size_);
    } else if (kind_ == Kind::unsigned_integer) {
      if (bits > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw InputError(source_ + " holds " + std::to_string(bits) + " at index " + index_string(k) +
                         ", too large for a 64-bit signed integer");
      out[k] = static_cast<std::int64_t>(bits);
    } else {
      out[k] = bits != 0 ? 1 : 0;
    }
  }
  return out;
}

}  // namespace asen::nn
