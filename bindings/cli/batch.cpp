#include "batch.hpp"

#include "commands.hpp"

#include <asen/error.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <vector>

namespace asen::cli {
namespace {

using algebra::PermGroup;
using algebra::Permutation;
using algebra::Point;

std::size_t degree_member(const Json& value) {
  if (!value.is_number_unsigned() || value.get<std::uint64_t>() > kMaxDegree)
    throw InputError("\"degree\" must be an integer in [0, " + std::to_string(kMaxDegree) + "], got " +
                     value.dump(-1, ' ', false, Json::error_handler_t::replace));
  return value.get<std::size_t>();
}

// One generator of a {"generators": [...]} request, on its own degree.
Permutation generator_member(const Json& value, std::size_t k) {
  const std::string where = "generators[" + std::to_string(k) + "]";
  try {
    if (value.is_string()) return Permutation::parse(value.get<std::string>());
    if (!value.is_array())
      throw InputError("expected a list of 0-based images or a string in cycle notation");
    std::vector<Point> images;
    images.reserve(value.size());
    for (const auto& image : value) {
      if (!image.is_number_unsigned() || image.get<std::uint64_t>() > std::numeric_limits<Point>::max())
        throw InputError("the image at index " + std::to_string(images.size()) + " is " +
                         image.dump(-1, ' ', false, Json::error_handler_t::replace) +
                         ", not a point (a non-negative integer)");
      images.push_back(image.get<Point>());
    }
    return Permutation(std::move(images));
  } catch (const InputError& e) {
    throw InputError(where + ": " + e.what());
  }
}

PermGroup group_from_generators(const Json& list, std::optional<std::size_t> degree) {
  if (!list.is_array()) throw InputError("\"generators\" must be a list");
  std::vector<Permutation> gens;
  std::size_t largest = 0;
  std::optional<std::size_t> image_list_degree;
  for (std::size_t k = 0; k < list.size(); ++k) {
    gens.push_back(generator_member(list[k], k));
    const std::size_t n = gens.back().degree();
    // As in specs: image lists must agree on their length; cycles act on
    // the largest point written.
    if (list[k].is_array()) {
      if (image_list_degree && *image_list_degree != n)
        throw InputError("generators[" + std::to_string(k) + "] has " + std::to_string(n) +
                         " images but an earlier image list has " + std::to_string(*image_list_degree));
      image_list_degree = n;
    }
    largest = std::max(largest, n);
  }
  if (gens.empty() && !degree) throw InputError("\"generators\" is empty: give a \"degree\" as well");
  if (degree && *degree < largest)
    throw InputError("degree " + std::to_string(*degree) + " is smaller than the degree " +
                     std::to_string(largest) + " of the generators");
  const std::size_t n = degree.value_or(largest);
  for (auto& g : gens) g = g.extended(n);
  return PermGroup(n, std::move(gens));
}

// "[json.exception.parse_error.101] parse error at ..." -> "parse error at ..."
std::string without_json_prefix(const std::string& what) {
  if (what.rfind("[json.exception.", 0) == 0) {
    const auto end = what.find("] ");
    if (end != std::string::npos) return what.substr(end + 2);
  }
  return what;
}

Json error_object(std::size_t line, const Json* id, const std::string& message) {
  Json out = Json::object();
  out["line"] = line;
  if (id) out["id"] = *id;
  out["error"] = one_line(message);
  return out;
}

// Reads one request into a Json value (nlohmann's own DOM builder does the
// work) and notes what the value alone cannot tell: a member given twice
// (JSON keeps the last, so a request naming its group twice would be half
// read), and an integer too wide for 64 bits in the "id" (kept as a double,
// it would be echoed rounded: 1.2345678901234568e+29 for
// 123456789012345678901234567890).
class RequestReader {
 public:
  explicit RequestReader(Json& result) : dom_(result) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const Json::string_t& text) {
    if (inside_top_member("id") && text.find_first_of(".eE") == std::string::npos && wide_id_.empty())
      wide_id_ = text;  // an integer literal that did not fit 64 bits
    return dom_.number_float(v, text);
  }
  bool string(Json::string_t& v) { return dom_.string(v); }
  bool binary(Json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) {
    if (open_.size() >= kMaxDepth) return too_deep();
    open_.push_back({true, {}, {}});
    return dom_.start_object(n);
  }
  bool key(Json::string_t& k) {
    Container& top = open_.back();
    if (!top.keys.insert(k).second && repeated_.empty()) repeated_ = k;
    top.last_key = k;
    return dom_.key(k);
  }
  bool end_object() {
    open_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    if (open_.size() >= kMaxDepth) return too_deep();
    open_.push_back({false, {}, {}});
    return dom_.start_array(n);
  }
  bool end_array() {
    open_.pop_back();
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& token, const nlohmann::detail::exception& e) {
    return dom_.parse_error(position, token, e);  // throws
  }

  // Arrays and objects nested deeper are refused: the value would be echoed
  // (an id) or quoted in an error, and writing JSON recurses.
  static constexpr std::size_t kMaxDepth = 256;

  bool deep() const { return deep_; }
  const std::string& repeated() const { return repeated_; }
  const std::string& wide_id() const { return wide_id_; }

 private:
  struct Container {
    bool object;
    std::set<std::string> keys;
    std::string last_key;
  };
  bool too_deep() {
    deep_ = true;
    return false;  // stops the parser
  }
  // In the value of the request's member `name`, at any depth.
  bool inside_top_member(const std::string& name) const {
    return !open_.empty() && open_.front().object && open_.front().last_key == name;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  std::vector<Container> open_;
  std::string repeated_;
  std::string wide_id_;
  bool deep_ = false;
};

// The output for one input line; never throws for a bad line.
JsonReply process_line(const std::string& text, std::size_t line, const BatchHandler& handler) {
  if (text.find_first_not_of(" \t\r\n\f\v") == std::string::npos)
    return {error_object(line, nullptr, "empty line"), std::nullopt, std::nullopt};
  Json request;
  RequestReader reader(request);
  try {
    Json::sax_parse(text, &reader);
  } catch (const Json::exception& e) {
    return {error_object(line, nullptr, "invalid JSON: " + without_json_prefix(e.what())), std::nullopt, std::nullopt};
  }
  if (reader.deep())
    return {error_object(line, nullptr,
                         "arrays and objects nested more than " + std::to_string(RequestReader::kMaxDepth) +
                             " deep"),
            std::nullopt, std::nullopt};
  if (!reader.repeated().empty())
    return {error_object(line, nullptr, "the member \"" + reader.repeated() + "\" is given twice"), std::nullopt, std::nullopt};
  if (!reader.wide_id().empty())
    return {error_object(line, nullptr,
                         "the integer " + reader.wide_id() +
                             " in \"id\" is beyond 64 bits and would come back rounded; give it as a string"),
            std::nullopt, std::nullopt};
  if (!request.is_object())
    return {error_object(line, nullptr, "expected a JSON object such as {\"spec\": \"S(5)\"}"), std::nullopt, std::nullopt};
  const Json* id = request.contains("id") ? &request["id"] : nullptr;
  try {
    JsonReply reply = handler(group_from_request(request));
    JsonReply out{Json::object(), std::move(reply.orbitals), std::move(reply.generators)};
    out.object["line"] = line;
    if (id) out.object["id"] = *id;
    for (auto& [key, value] : reply.object.items()) out.object[key] = std::move(value);
    return out;
  } catch (const Json::exception& e) {
    return {error_object(line, id, without_json_prefix(e.what())), std::nullopt, std::nullopt};
  } catch (const std::bad_alloc&) {
    return {error_object(line, id, out_of_memory_message("this line")), std::nullopt, std::nullopt};
  } catch (const std::exception& e) {
    return {error_object(line, id, e.what()), std::nullopt, std::nullopt};
  } catch (...) {
    return {error_object(line, id, "unknown error"), std::nullopt, std::nullopt};
  }
}

}  // namespace

PermGroup group_from_request(const Json& request) {
  for (const auto& [key, value] : request.items())
    if (key != "spec" && key != "generators" && key != "degree" && key != "id")
      throw InputError("unknown member \"" + key +
                       "\"; expected \"spec\" or \"generators\", \"degree\", \"id\"");
  std::optional<std::size_t> degree;
  if (request.contains("degree")) degree = degree_member(request["degree"]);
  const bool has_spec = request.contains("spec");
  const bool has_generators = request.contains("generators");
  if (has_spec && has_generators) throw InputError("give either \"spec\" or \"generators\", not both");
  if (has_spec) {
    if (!request["spec"].is_string()) throw InputError("\"spec\" must be a string");
    return PermGroup::parse(request["spec"].get<std::string>(), degree);
  }
  if (has_generators) return group_from_generators(request["generators"], degree);
  throw InputError("missing \"spec\" or \"generators\"");
}

int run_batch(const std::string& path, const BatchHandler& handler, std::ostream& out) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
      throw InputError("cannot read the batch file '" + path + "': it is a directory");
    file.open(path);
    if (!file) throw InputError("cannot open the batch file '" + path + "': " + std::strerror(errno));
    in = &file;
  }
  std::string text;
  errno = 0;
  for (std::size_t line = 1; std::getline(*in, text); ++line) {
    write_json(out, process_line(text, line, handler));
    out << '\n' << std::flush;
  }
  if (in->bad())
    throw InputError("reading the batch file '" + path + "' failed" +
                     (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string()));
  return kExitOk;
}

}  // namespace asen::cli
