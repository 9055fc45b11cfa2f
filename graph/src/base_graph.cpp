// Boost's GraphViz reader and edge iterators trigger GCC's maybe-uninitialized
// false positives where their templates are instantiated (in this file), so
// the warning is off for the whole file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <asen/error.hpp>
#include <asen/read_file.hpp>
#include <asen/graph/base_graph.hpp>

#include <boost/graph/graphviz.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace asen::graph {
namespace {

// Colour ids by the sorted order of colour names; `sorted` gets the names of
// the ids.
std::vector<std::int32_t> number_colors(const std::vector<std::string>& names, std::vector<std::string>& sorted) {
  std::map<std::string, std::int32_t> id;
  for (const auto& name : names) id.emplace(name, 0);
  std::int32_t next = 0;
  sorted.clear();
  for (auto& [name, value] : id) {
    value = next++;
    sorted.push_back(name);
  }
  std::vector<std::int32_t> out;
  out.reserve(names.size());
  for (const auto& name : names) out.push_back(id.at(name));
  return out;
}

bool all_equal(const std::vector<std::int32_t>& v) {
  return std::adjacent_find(v.begin(), v.end(), std::not_equal_to<>()) == v.end();
}

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Vertex ids (and vertex counts) go up to the largest degree asen takes,
// 2^24: a graph is made into groups and colourings on its vertices.
constexpr std::uint64_t kMaxVertices = std::uint64_t{1} << 24U;

bool parse_id(const std::string& word, std::uint64_t& value) {
  if (word.empty() || word.size() > 10) return false;
  value = 0;
  for (char c : word) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value <= kMaxVertices;
}

}  // namespace

namespace {
std::size_t checked_vertices(std::size_t n) {
  if (n > kMaxVertices)
    throw InputError("a graph with " + std::to_string(n) + " vertices is too large, the largest has " +
                     std::to_string(kMaxVertices));
  return n;
}
}  // namespace

BaseGraph::BaseGraph(std::size_t n, const std::vector<std::pair<Point, Point>>& edges, bool directed,
                     std::vector<std::int32_t> vertex_colors)
    : storage_(checked_vertices(n)), directed_(directed) {
  if (!vertex_colors.empty() && vertex_colors.size() != n)
    throw InputError("the graph has " + std::to_string(n) + " vertices but " + std::to_string(vertex_colors.size()) +
                     " vertex colours");
  std::set<std::pair<Point, Point>> seen;
  for (const auto& [u, v] : edges) {
    if (u >= n || v >= n)
      throw InputError("edge (" + std::to_string(u) + ", " + std::to_string(v) +
                       ") has a vertex out of range, expected ids in [0, " + std::to_string(n) + ")");
    const auto key = directed ? std::make_pair(u, v) : std::make_pair(std::min(u, v), std::max(u, v));
    if (!seen.insert(key).second) continue;
    edges_.push_back(key);
    boost::add_edge(key.first, key.second, storage_);
    if (!directed && key.first != key.second) boost::add_edge(key.second, key.first, storage_);
  }
  for (std::size_t v = 0; v < vertex_colors.size(); ++v)
    if (vertex_colors[v] < 0 || vertex_colors[v] >= (1 << 30))
      throw InputError("vertex " + std::to_string(v) + " has colour " + std::to_string(vertex_colors[v]) +
                       ", expected a colour in [0, 2^30)");
  if (!vertex_colors.empty()) {
    colored_ = !all_equal(vertex_colors);
    for (std::size_t v = 0; v < n; ++v) storage_[v].color = vertex_colors[v];
  }
}

BaseGraph BaseGraph::with_names(std::vector<std::string> vertex_names,
                                std::vector<std::string> color_names) const {
  const std::size_t n = num_vertices();
  if (!vertex_names.empty() && vertex_names.size() != n)
    throw InputError("the graph has " + std::to_string(n) + " vertices but " +
                     std::to_string(vertex_names.size()) + " vertex names");
  if (!color_names.empty()) {
    const auto colors = vertex_colors();
    const auto largest = colors.empty() ? 0 : *std::max_element(colors.begin(), colors.end());
    if (color_names.size() <= static_cast<std::size_t>(largest))
      throw InputError("the graph has colour ids up to " + std::to_string(largest) + " but " +
                       std::to_string(color_names.size()) + " colour names");
  }
  BaseGraph g = *this;
  g.names_ = std::move(vertex_names);
  g.color_names_ = std::move(color_names);
  return g;
}

std::vector<std::pair<Point, Point>> BaseGraph::arcs() const {
  std::vector<std::pair<Point, Point>> out;
  for (const auto& [u, v] : edges_) {
    out.emplace_back(u, v);
    if (!directed_ && u != v) out.emplace_back(v, u);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::int32_t> BaseGraph::vertex_colors() const {
  std::vector<std::int32_t> out(num_vertices());
  for (std::size_t v = 0; v < out.size(); ++v) out[v] = storage_[v].color;
  return out;
}

BaseGraph BaseGraph::read(const std::string& path) {
  const std::string text = asen::detail::read_file(path, "the graph file '" + path + "'");
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".dot" || ext == ".gv") return parse_dot(text, path);
  return parse_edge_list(text, path);
}

namespace {

// A UTF-8 byte-order mark (which Windows editors write) is not text.
std::string_view without_bom(std::string_view text) {
  return text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
}

// Text quoted in a message with control and non-ASCII bytes as \xNN (a NUL
// would cut the message short, and raw binary garbles a terminal).
std::string printable(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

}  // namespace

BaseGraph BaseGraph::parse_edge_list(std::string_view text, const std::string& source) {
  text = without_bom(text);
  std::vector<std::pair<Point, Point>> edges;
  std::map<Point, std::string> colors;
  bool directed = false;
  bool declared = false;
  std::uint64_t declared_n = 0;
  std::uint64_t largest = 0;
  std::size_t largest_line = 0;  // where `largest` was first named
  std::size_t declared_line = 0;
  bool any_vertex = false;
  std::size_t line_no = 0;
  std::size_t start = 0;
  auto fail = [&](const std::string& message) {
    throw InputError(source + ":" + std::to_string(line_no) + ": " + printable(message));
  };
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string line(text.substr(start, end - start));
    start = end + 1;
    ++line_no;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    const auto words = split_words(line);
    if (words.empty()) {
      if (end == text.size()) break;
      continue;
    }
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    if (words[0] == "vertices") {
      if (words.size() != 2 || !parse_id(words[1], declared_n))
        fail("expected 'vertices N' with N a number of vertices up to " + std::to_string(kMaxVertices) + ", got '" +
             line + "'");
      if (declared) fail("'vertices' is given twice");
      declared = true;
      declared_line = line_no;
    } else if (words[0] == "directed") {
      if (words.size() != 1) fail("expected 'directed' alone on its line");
      if (!edges.empty()) fail("'directed' must come before the first edge");
      directed = true;
    } else if (words[0] == "color") {
      if (words.size() != 3 || !parse_id(words[1], a) || a == kMaxVertices)
        fail("expected 'color VERTEX NAME', got '" + line + "'");
      if (declared && a >= declared_n)
        fail("vertex " + words[1] + " is out of range for 'vertices " + std::to_string(declared_n) + "'");
      if (colors.count(static_cast<Point>(a)) != 0) fail("vertex " + words[1] + " is given a colour twice");
      colors[static_cast<Point>(a)] = words[2];
      if (!any_vertex || a > largest) largest_line = line_no;
      largest = std::max(largest, a);
      any_vertex = true;
    } else {
      if (words.size() != 2) fail("expected an edge 'u v' (two vertex ids), got '" + line + "'");
      if (!parse_id(words[0], a) || a == kMaxVertices)
        fail("'" + words[0] + "' is not a vertex id (a number in [0, " + std::to_string(kMaxVertices - 1) + "])");
      if (!parse_id(words[1], b) || b == kMaxVertices)
        fail("'" + words[1] + "' is not a vertex id (a number in [0, " + std::to_string(kMaxVertices - 1) + "])");
      edges.emplace_back(static_cast<Point>(a), static_cast<Point>(b));
      if (!any_vertex || std::max(a, b) > largest) largest_line = line_no;
      largest = std::max({largest, a, b});
      any_vertex = true;
      if (declared && (a >= declared_n || b >= declared_n))
        fail("vertex " + std::to_string(std::max(a, b)) + " is out of range for 'vertices " +
             std::to_string(declared_n) + "'");
    }
    if (end == text.size()) break;
  }
  const std::size_t n = declared ? declared_n : (any_vertex ? largest + 1 : 0);
  if (declared && any_vertex && largest >= declared_n)
    throw InputError(source + ":" + std::to_string(largest_line) + ": vertex " + std::to_string(largest) +
                     " is out of range for 'vertices " + std::to_string(declared_n) + "' on line " +
                     std::to_string(declared_line));
  std::vector<std::int32_t> vertex_colors;
  std::vector<std::string> color_names;
  if (!colors.empty()) {
    std::vector<std::string> names(n);
    for (const auto& [v, name] : colors) names[v] = name;
    vertex_colors = number_colors(names, color_names);
  }
  BaseGraph g(n, edges, directed, vertex_colors);
  g.color_names_ = std::move(color_names);
  return g;
}

namespace {

struct DotResult {
  std::size_t n = 0;
  bool directed = false;
  std::vector<std::pair<Point, Point>> edges;
  std::vector<std::string> names;
  std::vector<std::string> colors;
};

// The header's first keyword ("strict", "graph" or "digraph", any case):
// where it starts after blanks and comments, and the word in lower case.
std::pair<std::size_t, std::string> dot_keyword(std::string_view text, std::size_t k = 0) {
  for (;;) {
    while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
    if (text.substr(k, 2) == "//" || text.substr(k, 1) == "#") {
      k = text.find('\n', k);
      if (k == std::string_view::npos) return {text.size(), ""};
      continue;
    }
    if (text.substr(k, 2) == "/*") {
      k = text.find("*/", k);
      if (k == std::string_view::npos) return {text.size(), ""};
      k += 2;
      continue;
    }
    break;
  }
  std::string word;
  for (std::size_t j = k; j < text.size() && std::isalpha(static_cast<unsigned char>(text[j])); ++j)
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(text[j])));
  return {k, word};
}

// Boost's reader needs the graph type up front: peek at the header keyword.
bool dot_is_directed(std::string_view text) {
  auto [k, word] = dot_keyword(text);
  if (word == "strict") std::tie(k, word) = dot_keyword(text, k + word.size());
  return word == "digraph";
}

// "strict" blanked out: Boost's reader drops self-loops in strict graphs,
// GraphViz keeps them; what strict does forbid, a repeated edge, counts once
// here anyway. Positions and line numbers stay as they were.
std::string without_strict(std::string text) {
  const auto [k, word] = dot_keyword(text);
  if (word == "strict") text.replace(k, word.size(), word.size(), ' ');
  return text;
}

// Boost's reader descends into subgraphs by recursion: deeper nesting than
// this is refused before it could overflow the stack.
constexpr int kMaxDotNesting = 500;

// The braces of a GraphViz text outside its strings and comments.
struct BraceScan {
  int depth = 0;                ///< unclosed '{' at the end
  bool in_string = false;       ///< a string left open at the end
  std::size_t too_deep_line = 0;  ///< line of the first '{' deeper than kMaxDotNesting, or 0
  /// Offsets of the '{' that open an anonymous subgraph (`{ rank=same; a; b }`,
  /// `a -- { b c }`): not the graph's body and not after `subgraph [ID]`.
  std::vector<std::size_t> anonymous;
  /// Line of the first subgraph that holds an edge and is itself the end of
  /// an edge (`{a -- b} -- c`), or 0: Boost's reader drops the outer edges.
  std::size_t edge_to_edges_line = 0;
  /// The first named subgraph opened a second time (GraphViz merges the two;
  /// Boost's reader keeps the node defaults the first had, and drops nodes of
  /// the second as the end of an edge), its line and the first one's, or 0.
  std::string reopened_name;
  std::size_t reopened_line = 0;
  std::size_t reopened_first_line = 0;
  /// Unquoted IDs with bytes 0x80-0xFF (GraphViz's `α -- β`), as (offset,
  /// length): Boost's tokenizer takes only ASCII, so they are quoted.
  std::vector<std::pair<std::size_t, std::size_t>> non_ascii_words;
};

bool is_dot_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         static_cast<unsigned char>(c) >= 0x80;
}

BraceScan scan_braces(const std::string& text) {
  BraceScan scan;
  std::size_t line = 1;
  bool line_start = true;  // only blanks so far on this line
  // The last two tokens before the current position: a word (its text),
  // "\"" for a quoted string, or the punctuation character.
  std::string last;
  std::string before_last;
  std::string third_last;
  std::string last_text;  // the last token's text: a quoted string's content
  std::map<std::string, std::size_t> subgraph_lines;  // named subgraphs, by name
  bool body_seen = false;
  // Open braces: whether an edge operator came right before the subgraph,
  // whether one is inside it, and its line.
  struct Frame {
    bool edge_before = false;
    bool edge_inside = false;
    std::size_t line = 0;
  };
  std::vector<Frame> frames;
  std::size_t closed_with_edges = 0;  // line of a subgraph with edges that just closed, or 0
  auto is_edge_op = [](const std::string& t) { return t == "--" || t == "->"; };
  auto token = [&](std::string t, std::string text_of_token = {}) {
    last_text = text_of_token.empty() ? t : std::move(text_of_token);
    if (closed_with_edges != 0 && is_edge_op(t) && scan.edge_to_edges_line == 0)
      scan.edge_to_edges_line = closed_with_edges;
    closed_with_edges = 0;
    if (is_edge_op(t) && !frames.empty()) frames.back().edge_inside = true;
    third_last = std::move(before_last);
    before_last = std::move(last);
    last = std::move(t);
  };
  auto is_subgraph = [](const std::string& t) {
    if (t.size() != 8) return false;
    std::string lower;
    for (char c : t) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower == "subgraph";
  };
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (c == '\n') {
      ++line;
      line_start = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    const bool at_line_start = line_start;
    line_start = false;
    if (c == '"') {
      scan.in_string = true;
      const std::size_t open = k;
      for (++k; k < text.size(); ++k) {
        if (text[k] == '\n') ++line;
        if (text[k] == '\\' && k + 1 < text.size()) {
          if (text[++k] == '\n') ++line;
        } else if (text[k] == '"') {
          scan.in_string = false;
          break;
        }
      }
      token("\"", text.substr(open + 1, k - open - 1) + '"');
    } else if ((c == '#' && at_line_start) || text.compare(k, 2, "//") == 0) {
      while (k + 1 < text.size() && text[k + 1] != '\n') ++k;
    } else if (text.compare(k, 2, "/*") == 0) {
      const std::size_t close = text.find("*/", k + 2);
      const std::size_t stop = close == std::string::npos ? text.size() : close + 2;
      line += static_cast<std::size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(k),
                                                  text.begin() + static_cast<std::ptrdiff_t>(stop), '\n'));
      k = stop - 1;
    } else if (text.compare(k, 2, "--") == 0 || text.compare(k, 2, "->") == 0) {
      token(text.substr(k, 2));
      ++k;
    } else if (is_dot_word_char(c)) {
      std::size_t end = k;
      while (end < text.size() && is_dot_word_char(text[end]) && text.compare(end, 2, "--") != 0 &&
             text.compare(end, 2, "->") != 0)
        ++end;
      if (std::any_of(text.begin() + static_cast<std::ptrdiff_t>(k), text.begin() + static_cast<std::ptrdiff_t>(end),
                      [](char b) { return static_cast<unsigned char>(b) >= 0x80; }))
        scan.non_ascii_words.emplace_back(k, end - k);
      token(text.substr(k, end - k));
      k = end - 1;
    } else {
      if (c == '{') {
        // The graph's body and kMaxDotNesting subgraphs inside it.
        if (++scan.depth > kMaxDotNesting + 1 && scan.too_deep_line == 0) scan.too_deep_line = line;
        const bool named_by_id = (last == "\"" || is_dot_word_char(last[0])) && is_subgraph(before_last);
        const bool named = is_subgraph(last) || named_by_id;
        if (named_by_id && body_seen) {
          // `x` and `"x"` name the same subgraph (a quoted name keeps its
          // closing quote in last_text only to tell "" from no name).
          std::string name = last_text;
          if (last == "\"") name.pop_back();
          const auto [it, inserted] = subgraph_lines.emplace(name, line);
          if (!inserted && scan.reopened_line == 0) {
            scan.reopened_name = name;
            scan.reopened_line = line;
            scan.reopened_first_line = it->second;
          }
        }
        if (body_seen && !named) scan.anonymous.push_back(k);
        Frame frame;
        frame.line = line;
        frame.edge_before = body_seen && (named_by_id ? is_edge_op(third_last)
                                          : is_subgraph(last) ? is_edge_op(before_last)
                                                              : is_edge_op(last));
        body_seen = true;
        token(std::string(1, c));
        frames.push_back(frame);
        continue;
      }
      if (c == '}') {
        --scan.depth;
        token(std::string(1, c));
        if (!frames.empty()) {
          const Frame frame = frames.back();
          frames.pop_back();
          if (frame.edge_inside) {
            if (!frames.empty()) frames.back().edge_inside = true;
            if (frame.edge_before && scan.edge_to_edges_line == 0) scan.edge_to_edges_line = frame.line;
            closed_with_edges = frame.line;
          }
        }
        continue;
      }
      token(std::string(1, c));
    }
  }
  return scan;
}

// Boost's reader (1.74) takes `{` without the `subgraph` keyword for a
// syntax error, and bytes 0x80-0xFF in an unquoted ID too: the keyword is put
// in front of every anonymous subgraph, and such IDs are quoted (they hold
// no quote or backslash), on the same line, so that line numbers stay right.
std::string rewrite_for_boost(const std::string& text, const BraceScan& scan) {
  // (offset, text inserted there), in order of offset
  std::vector<std::pair<std::size_t, const char*>> inserts;
  for (const std::size_t at : scan.anonymous) inserts.emplace_back(at, "subgraph ");
  for (const auto& [at, length] : scan.non_ascii_words) {
    inserts.emplace_back(at, "\"");
    inserts.emplace_back(at + length, "\"");
  }
  std::stable_sort(inserts.begin(), inserts.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  out.reserve(text.size() + 9 * inserts.size());
  std::size_t from = 0;
  for (const auto& [at, what] : inserts) {
    out.append(text, from, at - from);
    out += what;
    from = at;
  }
  out.append(text, from, std::string::npos);
  return out;
}

template <typename G>
DotResult read_with_boost(const std::string& text) {
  G g;
  boost::dynamic_properties dp(boost::ignore_other_properties);
  std::map<typename G::vertex_descriptor, std::string> ids;
  std::map<typename G::vertex_descriptor, std::string> colors;
  boost::associative_property_map<decltype(ids)> id_map(ids);
  boost::associative_property_map<decltype(colors)> color_map(colors);
  dp.property("node_id", id_map);
  dp.property("color", color_map);
  boost::read_graphviz(text, g, dp, "node_id");
  DotResult r;
  const std::size_t count = boost::num_vertices(g);
  // A name in canonical decimal ("0", "7", "12", not "07") is that vertex
  // number; other names (GraphViz's "07" is not "7") come after the largest
  // such number, in sorted order (Boost's vertex order sorts the names).
  std::vector<bool> numeric(count, false);
  std::uint64_t next = 0;
  for (std::size_t v = 0; v < count; ++v) {
    std::uint64_t value = 0;
    const std::string& name = ids[v];
    numeric[v] = !name.empty() && (name == "0" || name[0] != '0') &&
                 std::all_of(name.begin(), name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (!numeric[v]) continue;
    if (!parse_id(name, value) || value >= kMaxVertices)
      throw InputError("the node id " + name + " is too large: numeric ids are vertex numbers, below " +
                       std::to_string(kMaxVertices));
    next = std::max(next, value + 1);
  }
  std::vector<Point> index(count);
  for (std::size_t v = 0; v < count; ++v) {
    std::uint64_t value = 0;
    if (numeric[v])
      parse_id(ids[v], value);
    else
      value = next++;
    if (value >= kMaxVertices)
      throw InputError("the graph has more than " + std::to_string(kMaxVertices) + " vertices");
    index[v] = static_cast<Point>(value);
  }
  r.n = static_cast<std::size_t>(next);
  r.names.assign(r.n, "");
  r.colors.assign(r.n, "");
  for (std::size_t v = 0; v < count; ++v) {
    r.names[index[v]] = ids[v];
    r.colors[index[v]] = colors.count(v) ? colors[v] : "";
  }
  typename boost::graph_traits<G>::edge_iterator e, e_end;
  for (std::tie(e, e_end) = boost::edges(g); e != e_end; ++e)
    r.edges.emplace_back(index[boost::source(*e, g)], index[boost::target(*e, g)]);
  return r;
}

DotResult read_dot(const std::string& text, bool directed) {
  using Directed = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  using Undirected = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  DotResult r = directed ? read_with_boost<Directed>(text) : read_with_boost<Undirected>(text);
  r.directed = directed;
  return r;
}

// GraphViz's HTML-like strings (`label=<<b>x</b>>`, a node `<x>`), which
// Boost's reader does not know, as quoted strings with the same text: outside
// quoted strings and comments, a '<' opens one and the matching '>' (angle
// brackets nest) closes it. Its line breaks become blanks inside the quotes
// and are repeated after them, so every later line keeps its number. An
// unclosed one is left as it is for Boost to refuse.
std::string quote_html_strings(const std::string& text) {
  if (text.find('<') == std::string::npos) return text;
  std::string out;
  out.reserve(text.size() + 16);
  bool line_start = true;
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (c == '\n') {
      line_start = true;
      out += c;
      continue;
    }
    const bool at_line_start = line_start;
    if (!std::isspace(static_cast<unsigned char>(c))) line_start = false;
    std::size_t stop = k;  // a string or comment copied through: its last offset
    if (c == '"') {
      for (stop = k + 1; stop < text.size() && text[stop] != '"'; ++stop)
        if (text[stop] == '\\' && stop + 1 < text.size()) ++stop;
    } else if ((c == '#' && at_line_start) || text.compare(k, 2, "//") == 0) {
      while (stop + 1 < text.size() && text[stop + 1] != '\n') ++stop;
    } else if (text.compare(k, 2, "/*") == 0) {
      const std::size_t close = text.find("*/", k + 2);
      stop = close == std::string::npos ? text.size() - 1 : close + 1;
    } else if (c == '<') {
      std::size_t depth = 0;
      std::size_t end = k;
      for (; end < text.size(); ++end) {
        if (text[end] == '<') ++depth;
        if (text[end] == '>' && --depth == 0) break;
      }
      if (end < text.size()) {
        std::string quoted = "\"";
        std::size_t breaks = 0;
        for (std::size_t j = k + 1; j < end; ++j) {
          const char h = text[j];
          if (h == '\n') ++breaks;
          quoted += h == '\n' ? std::string(1, ' ')
                    : h == '"'  ? std::string("\\\"")
                    : h == '\\' ? std::string("\\\\")
                                : std::string(1, h);
        }
        out += quoted + "\"" + std::string(breaks, '\n');
        k = end;
        continue;
      }
    }
    out.append(text, k, stop - k + 1);
    k = stop;
  }
  return out;
}

// Closing braces for the unclosed '{' of `text`, outside strings.
std::string closers(const std::string& text) {
  const BraceScan scan = scan_braces(text);
  return scan.in_string ? std::string() : std::string(static_cast<std::size_t>(std::max(scan.depth, 0)), '}');
}

// Boost reports syntax errors without a position: find the line by parsing
// prefixes of whole lines (closed with the braces they need). A prefix that
// holds the error fails with the whole text's message (the reader stops at
// the first error); a shorter one parses, or fails otherwise where it cuts a
// statement spread over several lines. The first line whose prefix fails
// with that message is where the error is.
std::size_t error_line(const std::string& text, bool directed, const std::string& message) {
  std::vector<std::size_t> line_end;
  for (std::size_t k = 0; k < text.size(); ++k)
    if (text[k] == '\n') line_end.push_back(k);
  line_end.push_back(text.size());
  auto holds_error = [&](std::size_t lines) {
    const std::string prefix = text.substr(0, line_end[lines - 1]);
    try {
      read_dot(prefix + "\n" + closers(prefix), directed);
      return false;
    } catch (const std::exception& e) {
      return e.what() == message;
    }
  };
  std::size_t lo = 1;  // smallest line count that may hold it
  std::size_t hi = line_end.size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (holds_error(mid))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

}  // namespace

BaseGraph BaseGraph::parse_dot(std::string_view text_view, const std::string& source) {
  text_view = without_bom(text_view);
  const bool directed = dot_is_directed(text_view);
  const std::string original = quote_html_strings(without_strict(std::string(text_view)));
  const BraceScan scan = scan_braces(original);
  if (scan.too_deep_line != 0)
    throw InputError(source + ":" + std::to_string(scan.too_deep_line) + ": GraphViz subgraphs nested more than " +
                     std::to_string(kMaxDotNesting) + " deep");
  if (scan.edge_to_edges_line != 0)
    throw InputError(source + ":" + std::to_string(scan.edge_to_edges_line) +
                     ": an edge to or from a subgraph that itself holds edges (as in `{a -- b} -- c`) is not "
                     "supported by the GraphViz reader; write the edges out (`a -- b; a -- c; b -- c`)");
  if (scan.reopened_line != 0)
    throw InputError(source + ":" + std::to_string(scan.reopened_line) + ": the subgraph '" +
                     printable(scan.reopened_name) + "' is opened a second time (first at line " +
                     std::to_string(scan.reopened_first_line) +
                     "); GraphViz merges the two, the GraphViz reader asen uses (Boost's) does not: give its "
                     "contents in one subgraph");
  const std::string text = rewrite_for_boost(original, scan);
  DotResult r;
  try {
    r = read_dot(text, directed);
  } catch (const InputError& e) {
    throw InputError(source + ": " + e.what());
  } catch (const boost::bad_graphviz_syntax& e) {
    // Boost's reader takes one node per statement; GraphViz also reads
    // "a, b [color=red]", which the reader refuses at the comma.
    const std::string what = e.what();
    const bool node_list = what.find("Invalid start token") != std::string::npos && what.find("<comma>") != std::string::npos;
    throw InputError(source + ":" + std::to_string(error_line(text, directed, e.what())) +
                     ": GraphViz syntax error: " + printable(what) +
                     (node_list ? "; a list of nodes 'a, b [...]' is not read here: give each node a statement of "
                                  "its own ('a [...]; b [...]')"
                                : ""));
  } catch (const boost::graph_exception& e) {
    throw InputError(source + ":" + std::to_string(error_line(text, directed, e.what())) +
                     ": cannot read the GraphViz graph: " + printable(e.what()));
  }
  std::vector<std::string> color_names;
  const std::vector<std::int32_t> vertex_colors = number_colors(r.colors, color_names);
  BaseGraph g(r.n, r.edges, r.directed, vertex_colors);
  g.names_ = std::move(r.names);
  g.color_names_ = std::move(color_names);
  return g;
}

}  // namespace asen::graph
