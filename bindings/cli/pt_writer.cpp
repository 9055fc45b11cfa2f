// The .pt writer plugin (libasen_pt_writer.so): the only CLI file that
// includes LibTorch. It exports one C function, see pt_plugin.hpp.

#include "pt_plugin.hpp"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <type_traits>
#include <vector>

namespace {

// A tensor holding a copy of `count` values at `data`.
template <typename T>
at::Tensor tensor_of(const T* data, std::size_t count, at::IntArrayRef shape, at::ScalarType type) {
  at::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(type));
  if (count != 0) std::memcpy(t.data_ptr(), data, count * sizeof(T));
  return t;
}

std::vector<char> pickle(const AsenPtArrays& a) {
  static_assert(sizeof(bool) == sizeof(std::uint8_t), "color_in_base is copied as bytes into a bool tensor");
  const auto e = static_cast<std::int64_t>(a.num_edges);
  const auto n = static_cast<std::int64_t>(a.num_nodes);
  c10::Dict<std::string, at::Tensor> dict;
  dict.insert("edge_index", tensor_of(a.edge_index, 2 * a.num_edges, {2, e}, at::kLong));
  dict.insert("edge_attr", tensor_of(a.edge_attr, a.num_edges, {e}, at::kLong));
  dict.insert("node_color", tensor_of(a.node_color, a.num_nodes, {n}, at::kLong));
  dict.insert("num_colors", tensor_of(&a.num_colors, 1, {}, at::kLong));
  dict.insert("num_nodes", torch::tensor(n, torch::TensorOptions().dtype(at::kLong)).reshape({}));
  if (a.color_in_base != nullptr)
    dict.insert("color_in_base", tensor_of(a.color_in_base, a.color_in_base_size,
                                           {static_cast<std::int64_t>(a.color_in_base_size)}, at::kBool));
  // As torch::pickle_save writes it, but without TorchScript's type tags
  // (torch.jit._pickle.restore_type_tag around the dict): a plain dict of
  // tensors, which torch.load(weights_only=True) (the default from torch 2.6
  // on) accepts.
  std::vector<char> pickled;
  torch::jit::Pickler pickler([&](const char* bytes, std::size_t size) { pickled.insert(pickled.end(), bytes, bytes + size); },
                              nullptr, nullptr, nullptr, nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(c10::IValue(std::move(dict)));
  pickler.stop();
  std::vector<char> container;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, std::size_t size) {
    const char* bytes = static_cast<const char*>(data);
    container.insert(container.end(), bytes, bytes + size);
    return size;
  });
  torch::jit::writeArchiveAndTensors("data", pickled.data(), pickled.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  return container;
}

void set_error(char* error, std::size_t error_size, const char* message) {
  if (error_size != 0) std::snprintf(error, error_size, "%s", message);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int asen_pt_write(const AsenPtArrays* arrays,
                                                                    AsenPtSink sink, void* context,
                                                                    char* error, std::size_t error_size) {
  try {
    const std::vector<char> bytes = pickle(*arrays);
    sink(context, bytes.data(), bytes.size());
    return 0;
  } catch (const c10::Error& e) {
    set_error(error, error_size, e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_error(error, error_size, e.what());
  } catch (...) {
    set_error(error, error_size, "unknown error");
  }
  return 1;
}

// The signature must stay that of AsenPtWriteFunction.
static_assert(std::is_same_v<decltype(&asen_pt_write), AsenPtWriteFunction>);
