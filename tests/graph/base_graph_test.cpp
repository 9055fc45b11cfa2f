#include <asen/error.hpp>
#include <asen/graph/base_graph.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "scratch_dir.hpp"

using asen::InputError;
using asen::graph::BaseGraph;
using Edges = std::vector<std::pair<asen::graph::Point, asen::graph::Point>>;

namespace {

template <typename F>
void expect_input_error(F f, const std::string& fragment) {
  try {
    f();
    FAIL() << "expected an InputError containing '" << fragment << "'";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << fragment;
  }
}

std::string write_temp(const asen::testing::ScratchDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST(EdgeList, ReadsEdgesCommentsAndDirectives) {
  const BaseGraph g = BaseGraph::parse_edge_list(
      "# a path with a pendant colour\nvertices 5\n0 1\n1 2   # middle\n\n2 3\n1 0\ncolor 4 red\n");
  EXPECT_EQ(g.num_vertices(), 5U);
  EXPECT_FALSE(g.directed());
  EXPECT_EQ(g.edges(), (Edges{{0, 1}, {1, 2}, {2, 3}}));  // (1,0) duplicates (0,1)
  EXPECT_EQ(g.arcs(), (Edges{{0, 1}, {1, 0}, {1, 2}, {2, 1}, {2, 3}, {3, 2}}));
  EXPECT_TRUE(g.has_vertex_colors());
  // colours numbered by sorted name: "" < "red"
  EXPECT_EQ(g.vertex_colors(), (std::vector<std::int32_t>{0, 0, 0, 0, 1}));
}

TEST(EdgeList, DirectedArcsAndImpliedVertexCount) {
  const BaseGraph g = BaseGraph::parse_edge_list("directed\n0 1\n1 0\n2 0\n");
  EXPECT_TRUE(g.directed());
  EXPECT_EQ(g.num_vertices(), 3U);
  EXPECT_EQ(g.arcs(), (Edges{{0, 1}, {1, 0}, {2, 0}}));
  EXPECT_FALSE(g.has_vertex_colors());
}

TEST(EdgeList, AByteOrderMarkIsSkippedAndBinaryBytesAreEscapedInMessages) {
  // A UTF-8 byte-order mark (Windows editors) before either format.
  EXPECT_EQ(BaseGraph::parse_edge_list("\xEF\xBB\xBF" "0 1\n1 2\n").edges(), (Edges{{0, 1}, {1, 2}}));
  EXPECT_EQ(BaseGraph::parse_dot("\xEF\xBB\xBF" "graph { 0 -- 1 }").edges(), (Edges{{0, 1}}));
  // A NUL would cut the message short: control bytes are shown as \xNN.
  using namespace std::string_literals;
  expect_input_error([] { (void)BaseGraph::parse_edge_list("0 1\n1 \x00\x01x\n"s, "b.txt"); },
                     "b.txt:2: '\\x00\\x01x' is not a vertex id");
  expect_input_error([] { (void)BaseGraph::parse_dot("graph { 0 -- 1; \x01 }", "b.dot"); },
                     "b.dot:1: GraphViz syntax error: Invalid character (char is '\\x01')");
}

TEST(EdgeList, ErrorsNameTheLine) {
  expect_input_error([] { (void)BaseGraph::parse_edge_list("0 1\n1 x\n", "g.txt"); },
                     "g.txt:2: 'x' is not a vertex id");
  expect_input_error([] { (void)BaseGraph::parse_edge_list("0 1\n\n1 2 3\n", "g.txt"); },
                     "g.txt:3: expected an edge 'u v'");
  expect_input_error([] { (void)BaseGraph::parse_edge_list("0 -1\n", "g.txt"); }, "g.txt:1: '-1' is not a vertex id");
  expect_input_error([] { (void)BaseGraph::parse_edge_list("vertices 3\n0 3\n", "g.txt"); },
                     "g.txt:2: vertex 3 is out of range for 'vertices 3'");
  // Vertices named before 'vertices N': the line that names the largest.
  expect_input_error([] { (void)BaseGraph::parse_edge_list("0 1\n0 4\n2 3\nvertices 3\n", "g.txt"); },
                     "g.txt:2: vertex 4 is out of range for 'vertices 3' on line 4");
  expect_input_error([] { (void)BaseGraph::parse_edge_list("color 4 red\nvertices 3\n0 1\n", "g.txt"); },
                     "g.txt:1: vertex 4 is out of range for 'vertices 3' on line 2");
  expect_input_error([] { (void)BaseGraph::parse_edge_list("0 1\ndirected\n", "g.txt"); },
                     "g.txt:2: 'directed' must come before the first edge");
  expect_input_error([] { (void)BaseGraph::parse_edge_list("vertices 2\nvertices 2\n", "g.txt"); },
                     "g.txt:2: 'vertices' is given twice");
  expect_input_error([] { (void)BaseGraph::parse_edge_list("color 1\n", "g.txt"); }, "g.txt:1: expected 'color VERTEX NAME'");
  expect_input_error([] { (void)BaseGraph::parse_edge_list("vertices 3000000000\n", "g.txt"); },
                     "g.txt:1: expected 'vertices N'");
}

TEST(Dot, UndirectedWithIntegerNamesKeepsIds) {
  const BaseGraph g = BaseGraph::parse_dot("graph skeleton {\n  0 -- 1;\n  1 -- 2\n  4 [color=red]\n}\n");
  EXPECT_EQ(g.num_vertices(), 5U);
  EXPECT_FALSE(g.directed());
  EXPECT_EQ(g.edges(), (Edges{{0, 1}, {1, 2}}));
  EXPECT_EQ(g.vertex_colors(), (std::vector<std::int32_t>{0, 0, 0, 0, 1}));
}

TEST(Dot, NamedNodesAreNumberedInSortedOrder) {
  const BaseGraph g = BaseGraph::parse_dot("digraph { head -> neck; neck -> hip; hip -> neck }");
  EXPECT_TRUE(g.directed());
  EXPECT_EQ(g.num_vertices(), 3U);
  EXPECT_EQ(g.vertex_names(), (std::vector<std::string>{"head", "hip", "neck"}));
  EXPECT_EQ(g.arcs(), (Edges{{0, 2}, {1, 2}, {2, 1}}));
}

TEST(Dot, StrictGraphsKeepTheirLoopsAsGraphVizDoes) {
  // strict forbids repeated edges (which count once anyway), not loops.
  const BaseGraph g = BaseGraph::parse_dot("/* x */ STRICT graph {\n  0 -- 0; 0 -- 1; 1 -- 0\n}\n");
  EXPECT_FALSE(g.directed());
  EXPECT_EQ(g.edges(), (Edges{{0, 0}, {0, 1}}));
  const BaseGraph d = BaseGraph::parse_dot("strict digraph { a -> a; a -> b; a -> b }");
  EXPECT_TRUE(d.directed());
  EXPECT_EQ(d.arcs(), (Edges{{0, 0}, {0, 1}}));
  expect_input_error([] { (void)BaseGraph::parse_dot("strict graph {\n 0 -- 1;\n 1 -- ;\n}\n", "s.dot"); }, "s.dot:3:");
}

TEST(Dot, SyntaxErrorsNameTheLine) {
  expect_input_error([] { (void)BaseGraph::parse_dot("graph {\n  0 -- 1;\n  1 -- ;\n  2 -- 3;\n}\n", "s.dot"); },
                     "s.dot:3: GraphViz syntax error");
  expect_input_error([] { (void)BaseGraph::parse_dot("digraph {\n  a -> b;\n  b -> \"c;\n}\n", "s.dot"); }, "s.dot:3:");
  expect_input_error([] { (void)BaseGraph::parse_dot("graph {\n  a -> b;\n}\n", "s.dot"); }, "s.dot:2:");
  // After statements spread over several lines: the line of the error itself.
  expect_input_error([] { (void)BaseGraph::parse_dot("graph {\n x;\n a [\n label=\"hi\"\n ];\n c;\n d ];\n}\n", "m.dot"); },
                     "m.dot:7: GraphViz syntax error");
  expect_input_error([] { (void)BaseGraph::parse_dot("graph {\n x;\n a\n --\n b;\n c;\n e -- ;\n}\n", "m.dot"); },
                     "m.dot:7: GraphViz syntax error");
}

TEST(Dot, DecimalIdsKeepTheirNumbersAndOtherNamesComeAfter) {
  // "01" is its own node in GraphViz, not node 1; one named node does not
  // renumber the numeric ones.
  const BaseGraph g = BaseGraph::parse_dot("graph { 1 -- 2; 01 -- 3; 9 -- 10; 10 -- x; 2 -- \"a b\" }");
  EXPECT_EQ(g.num_vertices(), 14U);
  EXPECT_EQ(g.vertex_names()[1], "1");
  EXPECT_EQ(g.vertex_names()[10], "10");
  EXPECT_EQ(g.vertex_names()[11], "01");
  EXPECT_EQ(g.vertex_names()[12], "a b");
  EXPECT_EQ(g.vertex_names()[13], "x");
  EXPECT_EQ(g.edges(), (Edges{{1, 2}, {3, 11}, {9, 10}, {10, 13}, {2, 12}}));
  expect_input_error([] { (void)BaseGraph::parse_dot("graph { 0 -- 99999999999 }", "big.dot"); },
                     "big.dot: the node id 99999999999 is too large");
}

TEST(Dot, HtmlLikeStringsAreReadAsGraphvizReadsThem) {
  // Labels and ids `<...>` (angle brackets nest; line breaks inside): the
  // node <x> is the node x, and the lines after keep their numbers.
  const BaseGraph g = BaseGraph::parse_dot(
      "graph {\n a [label=<<b>bold</b><br/>\nnext>];\n <x> -- a; x -- y\n z [label=<\"q\" \\ >] \n}\n");
  EXPECT_EQ(g.num_vertices(), 4U);
  EXPECT_EQ(g.edges(), (Edges{{0, 1}, {1, 2}}));  // a, x, y, z numbered in sorted order
  expect_input_error([] { (void)BaseGraph::parse_dot("graph {\n a [label=<<b>x</b>>];\n\n b -- ;\n}\n", "h.dot"); },
                     "h.dot:4: GraphViz syntax error");
  // In a quoted string or a comment '<' is text.
  const BaseGraph q = BaseGraph::parse_dot("graph { \"<a\" -- b // <c\n /* <d */ }");
  EXPECT_EQ(q.num_vertices(), 2U);
  expect_input_error([] { (void)BaseGraph::parse_dot("graph {\n a [label=<open];\n}\n", "h.dot"); }, "h.dot:2:");
}

TEST(Dot, AnonymousSubgraphsAsGraphvizReadsThem) {
  // `{ ... }` without the keyword: a statement, an edge operand, nested in a
  // named subgraph; braces in strings and comments are not subgraphs.
  const BaseGraph g = BaseGraph::parse_dot(
      "graph G {\n"
      "  a -- b;\n"
      "  { rank=same; a; c }\n"
      "  b -- { d e }  // {\n"
      "  subgraph \"s{\" { { f } -- g }\n"
      "  /* { */ h\n"
      "}\n");
  EXPECT_EQ(g.vertex_names(), (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h"}));
  EXPECT_EQ(g.edges(), (Edges{{0, 1}, {1, 3}, {1, 4}, {5, 6}}));
  // An error after the rewritten text still names the right line.
  expect_input_error([] { (void)BaseGraph::parse_dot("graph {\n  { a b }\n  { a -- }\n}\n", "s.dot"); }, "s.dot:3:");
}

TEST(Dot, AnEdgeToASubgraphWithEdgesIsRefusedNotHalfRead) {
  // Boost's reader would keep `a -- b` and drop the edges to c: refused,
  // with the line of the subgraph, whichever side of the edge it is on.
  for (const std::string text : {"graph {\n {a -- b} -- c\n}", "graph {\n c -- {a -- b}\n}",
                                 "graph {\n subgraph s {a -- b} -- c\n}", "graph {\n c -- subgraph s { { a -- b } }\n}",
                                 "digraph {\n subgraph {a -> b} -> c\n}"})
    expect_input_error([&] { (void)BaseGraph::parse_dot(text, "e.dot"); }, "e.dot:2: an edge to or from a subgraph");
  // Subgraphs of nodes at an edge's end, and subgraphs with edges that are
  // no edge's end, are read as GraphViz reads them.
  const BaseGraph g = BaseGraph::parse_dot("graph {\n {a b} -- c\n subgraph s {c -- d}\n d -- {e f}; {g -- a}\n}");
  EXPECT_EQ(g.num_edges(), 6U);
}

TEST(Dot, UnquotedNonAsciiIdsAreReadAsGraphvizReadsThem) {
  // GraphViz's IDs take the bytes 0x80-0xFF unquoted (UTF-8 names, Latin-1).
  const BaseGraph g = BaseGraph::parse_dot("graph {\n  \xCE\xB1 -- \xCE\xB2; \xCE\xB2 -- \"\xCE\xB3\";\n"
                                           "  caf\xE9 [color=r\xE9" "d]; caf\xE9 -- \xCE\xB1\n}\n");
  EXPECT_EQ(g.vertex_names(), (std::vector<std::string>{"caf\xE9", "\xCE\xB1", "\xCE\xB2", "\xCE\xB3"}));
  EXPECT_EQ(g.num_edges(), 3U);
  EXPECT_EQ(g.vertex_colors()[0] != g.vertex_colors()[1], true);
  // an error after a quoted name still names its line
  expect_input_error([] { (void)BaseGraph::parse_dot("graph {\n \xCE\xB1 -- b\n \xCE\xB1 -- ;\n}\n", "u.dot"); },
                     "u.dot:3:");
}

TEST(Dot, ASubgraphOpenedTwiceIsRefusedNotMisread) {
  // GraphViz merges the two; Boost's reader gave `a` the node defaults the
  // first opening had (no colour, where GraphViz gives red).
  expect_input_error(
      [] {
        (void)BaseGraph::parse_dot("graph {\n subgraph x { b }\n node [color=red]\n subgraph \"x\" { a }\n a -- c\n}",
                                   "r.dot");
      },
      "r.dot:4: the subgraph 'x' is opened a second time (first at line 2)");
  // Two subgraphs of different names are fine.
  EXPECT_EQ(BaseGraph::parse_dot("graph { subgraph x { b } subgraph y { a } a -- b }").num_edges(), 1U);
}

TEST(BaseGraph, ADotListOfNodesIsRefusedWithWhatToWriteInstead) {
  expect_input_error([] { (void)BaseGraph::parse_dot("graph { 0 -- 1 -- 2 -- 0; 0, 1 [color=red] }", "f.dot"); },
                     "f.dot:1: GraphViz syntax error: Invalid start token for statement (token is \"<comma> ','\"); a "
                     "list of nodes 'a, b [...]' is not read here: give each node a statement of its own");
  EXPECT_EQ(BaseGraph::parse_dot("graph { 0 -- 1 -- 2 -- 0; 0 [color=red]; 1 [color=red] }").vertex_colors(),
            (std::vector<std::int32_t>{1, 1, 0}));
}

TEST(BaseGraphFiles, ReadsByExtensionAndReportsMissingFiles) {
  const asen::testing::ScratchDir dir;
  const BaseGraph a = BaseGraph::read(write_temp(dir, "asen_g.dot", "graph { 0 -- 1; 1 -- 2 }"));
  EXPECT_EQ(a.num_edges(), 2U);
  const BaseGraph b = BaseGraph::read(write_temp(dir, "asen_g.txt", "0 1\n1 2\n2 0\n"));
  EXPECT_EQ(b.num_edges(), 3U);
  // The extension's case does not matter.
  EXPECT_EQ(BaseGraph::read(write_temp(dir, "ASEN_G.GV", "digraph { a -> b }")).num_edges(), 1U);
  expect_input_error([] { (void)BaseGraph::read("/nonexistent/graph.txt"); },
                     "cannot read the graph file '/nonexistent/graph.txt'");
  expect_input_error([&] { (void)BaseGraph::read(dir.path().string()); }, "it is a directory");
  // A file that opens but cannot be read (every read of /proc/self/mem at
  // offset 0 fails): an error, not an empty graph.
  expect_input_error([] { (void)BaseGraph::read("/proc/self/mem"); },
                     "cannot read the graph file '/proc/self/mem': Input/output error");
  const std::string bad = write_temp(dir, "asen_bad.txt", "0 1\n\n\n0 1 2\n");
  expect_input_error([&] { (void)BaseGraph::read(bad); }, bad + ":4:");
}

TEST(BaseGraph, RejectsVerticesOutOfRange) {
  expect_input_error([] { (void)BaseGraph(3, Edges{{0, 3}}); }, "edge (0, 3) has a vertex out of range");
  expect_input_error([] { (void)BaseGraph(3, Edges{}, false, {0, 1}); }, "3 vertices but 2 vertex colours");
}
