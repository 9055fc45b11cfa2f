#pragma once
/// \file
/// Symmetry discovery, read out exactly: after a structure was trained on a
/// group G that may be too small for its task, merge the orbital colours the
/// model has learned to treat alike and compute, with the graph layer
/// (nauty/Traces, exact order), the automorphism group of the merged
/// colouring. That group D >= G^(2) >= G is the symmetry the trained model
/// has (up to the merge threshold): if every colour of a cluster had the
/// same embedding, the model would be exactly D-equivariant.
///
/// The rule, in three steps:
///
///   1. Each colour c of the structure's breaking input gets a feature f_c:
///      its row of the colour embedding (ColorFeature::embedding, default)
///      or that row after every layer's edge projection, concatenated
///      (ColorFeature::projected: [W_e^1 f_c; ...; W_e^L f_c], what the
///      attention actually sees).
///   2. Distances are Euclidean, d(a, b) = |f_a - f_b|, and are compared
///      with a scale-free threshold: a and b are *close* when
///          d(a, b) <= threshold * s,   s = sqrt(mean over all a, b of d(a, b)^2),
///      i.e. s is the root-mean-square distance between two colours drawn
///      at random (equivalently sqrt(2) times the RMS distance of the
///      features from their mean). Scale-free because the size of the
///      embeddings depends on their initialisation, the learning rate and
///      the length of training, while the question "is this pair much
///      closer than colours are to each other in general?" does not; the RMS
///      (rather than a median) keeps the scale at the spread between
///      functionally different colours even when most colours should merge.
///   3. Clusters are the connected components of "close" (single linkage,
///      union-find), restricted to colours of the same kind: a colour of
///      self-loops (i, i) only merges with colours of self-loops, a colour of
///      arcs (i, j), i != j, only with colours of arcs (a permutation maps
///      loops to loops, so merging across kinds could not change the group).
///
/// The merged colouring keeps the breaking input's arcs (dense, or the
/// sparse arcs of a base graph) and colours each by its colour's cluster;
/// vertex colours come from the self-loops. Merging only coarsens the
/// colouring, so D contains the automorphism group of the trained breaking
/// input, G^(2), and hence G: checked on G's generators every time (a
/// failure means a bug, and raises asen::Error).
///
/// Whether colours that play symmetric roles end up close depends on
/// training: they must start close, so that they differ only as far as the
/// gradient makes them (TrainConfig::edge_init_scale = 0.01, i.e. `asen
/// train --edge-init-scale 0.01`). With torch's default N(0, 1) start the
/// random distances between rows (about 16 at dim 128) dwarf what 15 epochs
/// learn (about 2): on intersect trained on S(5)*S(5), seed 0, every pair of
/// colours stayed 0.98 to 1.17 s apart, nothing to read. With the scale
/// 0.01 and asen train's other defaults, measured on intersect (whose labels
/// are symmetric under S(5) wr S(2)) trained on S(5)*S(5), seeds 0..4: the
/// three pairs of colours the wreath product joins ended at most 0.22,
/// 0.25, 0.31, 0.28, 0.22 times s apart, every other pair of one kind at
/// least 1.51, 1.33, 1.13, 1.35, 1.27 s; intersect trained on the wreath
/// product itself: its two arc colours 1.25 and 1.29 s apart (seeds 0, 1);
/// cyclicsum on D(10), seed 0: the distance-1 and distance-2 colours 0.47 s
/// apart, distances 3, 4, 5 within 0.57 s (merged, they still allow only
/// D(10)). Hence the default threshold 0.5: between the two groups, with a
/// margin on both sides for intersect. (Measured through asen.nn with the
/// scale applied to a fresh structure, then the C++ training loop.)

#include <asen/algebra/perm_group.hpp>
#include <asen/graph/automorphisms.hpp>
#include <asen/nn/breaking_input.hpp>
#include <asen/nn/model.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace asen::nn {

/// The default relative threshold (see the file comment for the rule).
constexpr double kDefaultDiscoverThreshold = 0.5;

/// What is compared between colours.
enum class ColorFeature {
  embedding,  ///< the colour's embedding row
  projected,  ///< the row after each layer's edge projection, concatenated
};
/// "embedding", "projected". \throws InputError for anything else (parse).
const char* to_string(ColorFeature feature);
ColorFeature parse_color_feature(const std::string& text);

struct DiscoverOptions {
  /// Relative merge threshold, >= 0 (0 merges only identical features).
  double threshold = kDefaultDiscoverThreshold;
  ColorFeature feature = ColorFeature::embedding;
  graph::AutomorphismBackend backend = graph::AutomorphismBackend::automatic;
  /// The group the structure was trained on. Default: the group its
  /// description records (every structure built by training or load_model);
  /// none for a structure added by hand.
  std::optional<algebra::PermGroup> trained_group;
  /// A spec of the group the task truly has, to compare with. Default: the
  /// group of the synthetic task named like the structure (task_info), if
  /// the structure is that task (same kind, vocabulary and outputs; not
  /// trained on a data folder or on a breaking input given as tensors);
  /// "" to compare with nothing.
  std::optional<std::string> true_group;
};

/// A group compared with the discovered one.
struct ReferenceGroup {
  std::string spec;
  algebra::BigInt order = 1;
  /// |G^(2)| of this group (the largest group its breaking input can see).
  algebra::BigInt closure_order = 1;
};

struct Discovery {
  std::string structure;
  std::int64_t num_nodes = 0;
  /// The trained rank K: the number of colours of the breaking input.
  std::int64_t num_colors = 0;
  /// The group trained on (spec "" and order of the closure when unknown).
  std::optional<ReferenceGroup> trained_group;
  /// |Aut| of the trained breaking input (= |G^(2)| for a group's orbitals).
  algebra::BigInt trained_closure_order = 1;
  double threshold = 0;
  ColorFeature feature = ColorFeature::embedding;
  /// s: the RMS distance between two used colours; merged when d <= threshold * s.
  double scale = 0;
  /// Colours no edge of the breaking input carries (orbitals that miss a
  /// sparse input's base graph): their embeddings never train, so they take
  /// part in neither the scale nor the clusters.
  std::vector<std::int64_t> unused_colors;
  /// A pair (source, target) of each colour: its first edge in the breaking
  /// input's order (row-major for dense inputs); (-1, -1) for an unused colour.
  std::vector<std::pair<std::int64_t, std::int64_t>> representatives;
  /// d(a, b) for every pair of colours, K x K, in the chosen feature space.
  std::vector<std::vector<double>> distances;
  /// The cluster of each colour (clusters numbered by their smallest
  /// colour); -1 for an unused colour.
  std::vector<std::int64_t> cluster_of;
  /// The colours of each cluster, sorted (the used colours only).
  std::vector<std::vector<std::int64_t>> clusters;
  /// The number of clusters (the rank of the merged colouring).
  std::int64_t merged_rank = 0;
  /// Aut of the merged colouring: exact order, generators, orbits.
  graph::AutomorphismGroup discovered;
  /// Every generator of the trained group preserves the merged colouring
  /// (always true; a violation raises asen::Error).
  bool contains_trained_group = true;
  /// |discovered| > trained_closure_order: more symmetry than the breaking input gave.
  bool larger_than_trained = false;
  /// The true group, when known.
  std::optional<ReferenceGroup> true_group;
  /// discovered == true group (same order, each contains the other's generators).
  std::optional<bool> equals_true_group;
  /// discovered == the true group's 2-closure (the most the model can show).
  std::optional<bool> equals_true_closure;
  /// What was noticed on the way (a true group on fewer points than the
  /// structure's, its other points fixed), for the faces to show.
  std::vector<std::string> notes;
};

/// Discovery from given colour features [K, D] (one row per colour of
/// `input`): the core of discover_symmetry, usable with any embeddings.
/// `options.trained_group` and `options.true_group` are used as given (no
/// defaults from a model). \throws InputError for a negative or non-finite
/// threshold, features of the wrong shape or non-finite, a trained or true
/// group on another number of points or a bad true-group spec.
[[nodiscard]] Discovery discover_symmetry(const BreakingInput& input, const torch::Tensor& color_features,
                                          const DiscoverOptions& options = {});

/// Discovery on a structure of a model: its learned colour embeddings
/// (or their projections), its breaking input, and the groups its
/// description and task name give unless the options say otherwise.
/// \throws InputError for an unknown structure, or as above.
/// \complexity O(K^2 D) for the distances, plus one automorphism search on
/// the breaking input and one on the merged colouring.
[[nodiscard]] Discovery discover_symmetry(AsenModel& model, const std::string& structure,
                                          const DiscoverOptions& options = {});

}  // namespace asen::nn
