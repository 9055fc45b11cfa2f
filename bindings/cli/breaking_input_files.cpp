#include "breaking_input_files.hpp"

#include "atomic_file.hpp"
#include "matrix_files.hpp"
#include "output.hpp"
#include "pt_writer.hpp"

#include <asen/crc32.hpp>
#include <asen/error.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <ostream>
#include <streambuf>

namespace asen::cli {
namespace {

// The zip format's 32-bit sizes and offsets; 0xFFFFFFFF itself means ZIP64.
constexpr std::uint64_t kZipLimit = 0xFFFFFFFEULL;
constexpr std::size_t kChunk = std::size_t{1} << 14U;

// A sink that only computes the CRC-32 and the size of what is written.
class CrcBuffer : public std::streambuf {
 public:
  CrcBuffer() : data_(kChunk) { setp(data_.data(), data_.data() + data_.size()); }
  [[nodiscard]] std::uint32_t crc() {
    consume();
    return crc_;
  }
  [[nodiscard]] std::uint64_t size() {
    consume();
    return size_;
  }

 protected:
  int_type overflow(int_type ch) override {
    consume();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override {
    consume();
    return 0;
  }

 private:
  void consume() {
    const auto n = static_cast<std::size_t>(pptr() - pbase());
    crc_ = crc32(crc_, pbase(), n);
    size_ += n;
    setp(data_.data(), data_.data() + data_.size());
  }

  std::vector<char> data_;
  std::uint32_t crc_ = 0;
  std::uint64_t size_ = 0;
};

void put_u16(std::ostream& out, std::uint64_t v) {
  out.put(static_cast<char>(v & 0xFFU));
  out.put(static_cast<char>((v >> 8U) & 0xFFU));
}

void put_u32(std::ostream& out, std::uint64_t v) {
  for (unsigned b = 0; b < 4; ++b) out.put(static_cast<char>((v >> (8U * b)) & 0xFFU));
}

// DOS date of 1980-01-01, 00:00 (the earliest): the archive does not depend
// on when it was written.
constexpr std::uint16_t kDosTime = 0;
constexpr std::uint16_t kDosDate = (0U << 9U) | (1U << 5U) | 1U;
constexpr std::uint16_t kZipVersion = 20;  // 2.0: the version numpy's own archives need

struct MemberInfo {
  std::uint32_t crc = 0;
  std::uint64_t size = 0;
  std::uint64_t offset = 0;
};

// Entries common to a local header and a central directory entry, from the
// "version needed" field to the extra field length.
void put_common(std::ostream& out, const ZipMember& member, const MemberInfo& info) {
  put_u16(out, kZipVersion);  // version needed to extract
  put_u16(out, 0);            // flags
  put_u16(out, 0);            // method: stored
  put_u16(out, kDosTime);
  put_u16(out, kDosDate);
  put_u32(out, info.crc);
  put_u32(out, info.size);  // compressed size
  put_u32(out, info.size);  // uncompressed size
  put_u16(out, member.name.size());
  put_u16(out, 0);  // extra field length
}

// Little-endian values whatever the host, a chunk at a time.
template <typename T>
void write_le(std::ostream& out, const T* data, std::size_t count) {
  static_assert(std::is_integral_v<T>);
  std::vector<char> chunk;
  chunk.reserve(kChunk * sizeof(T));
  for (std::size_t start = 0; start < count; start += kChunk) {
    const std::size_t end = std::min(count, start + kChunk);
    chunk.clear();
    for (std::size_t k = start; k < end; ++k) {
      const auto v = static_cast<std::make_unsigned_t<T>>(data[k]);
      for (std::size_t b = 0; b < sizeof(T); ++b) chunk.push_back(static_cast<char>((v >> (8 * b)) & 0xFFU));
    }
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  }
}

void write_int64_npy(std::ostream& out, const std::vector<std::size_t>& shape, const std::int64_t* data,
                     std::size_t count) {
  write_npy_header(out, "<i8", shape);
  write_le(out, data, count);
}

}  // namespace

BreakingInputFormat breaking_input_format_for(const std::string& path) {
  refuse_directory_target(path);
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".npz") return BreakingInputFormat::npz;
  if (ext == ".json") return BreakingInputFormat::json;
  if (ext == ".pt") {
    const std::string reason = pt_unavailable_reason();
    if (!reason.empty()) throw InputError("cannot write '" + path + "': " + reason + "; use .npz or .json");
    return BreakingInputFormat::pt;
  }
  throw InputError("cannot write '" + path + "': unknown extension '" + ext +
                   "', expected .npz, .pt or .json");
}

std::size_t breaking_input_format_bytes_per_edge(BreakingInputFormat format) {
  // .pt: the three int64 values of an edge in tensors, and again in the
  // pickled archive.
  constexpr std::size_t kPtBytesPerEdge = 2 * 3 * sizeof(std::int64_t);
  return format == BreakingInputFormat::pt ? kPtBytesPerEdge : 0;
}

void write_zip(std::ostream& out, const std::vector<ZipMember>& members) {
  // Pass 1: the CRC and the size of every member, and so every offset.
  std::vector<MemberInfo> infos(members.size());
  std::uint64_t offset = 0;
  for (std::size_t k = 0; k < members.size(); ++k) {
    CrcBuffer sink;
    std::ostream stream(&sink);
    members[k].write(stream);
    stream.flush();
    infos[k] = {sink.crc(), sink.size(), offset};
    if (infos[k].size > kZipLimit)
      throw LimitError("the array '" + members[k].name + "' has " + std::to_string(infos[k].size) +
                       " bytes, too many for a zip archive without ZIP64 (4 GiB); use .pt or .json");
    offset += 30 + members[k].name.size() + infos[k].size;
  }
  const std::uint64_t directory_offset = offset;
  std::uint64_t directory_size = 0;
  for (const auto& m : members) directory_size += 46 + m.name.size();
  if (directory_offset + directory_size > kZipLimit)
    throw LimitError("the archive would have " + std::to_string(directory_offset + directory_size) +
                     " bytes, too many for a zip archive without ZIP64 (4 GiB); use .pt or .json");
  if (members.size() > 0xFFFFU) throw LimitError("too many members for a zip archive");

  // Pass 2: each local header and its data.
  for (std::size_t k = 0; k < members.size(); ++k) {
    put_u32(out, 0x04034b50U);
    put_common(out, members[k], infos[k]);
    out << members[k].name;
    members[k].write(out);
  }
  // The central directory, then its end record.
  for (std::size_t k = 0; k < members.size(); ++k) {
    put_u32(out, 0x02014b50U);
    put_u16(out, kZipVersion);  // version made by (MS-DOS attributes)
    put_common(out, members[k], infos[k]);
    put_u16(out, 0);  // comment length
    put_u16(out, 0);  // disk number
    put_u16(out, 0);  // internal attributes
    put_u32(out, 0);  // external attributes
    put_u32(out, infos[k].offset);
    out << members[k].name;
  }
  put_u32(out, 0x06054b50U);
  put_u16(out, 0);  // this disk
  put_u16(out, 0);  // the directory's disk
  put_u16(out, members.size());
  put_u16(out, members.size());
  put_u32(out, directory_size);
  put_u32(out, directory_offset);
  put_u16(out, 0);  // comment length
}

void write_npz(std::ostream& out, const graph::BreakingInput& input) {
  const std::size_t e = input.num_edges();
  const std::size_t n = input.num_nodes;
  std::vector<ZipMember> members;
  members.push_back({"edge_index.npy", [&](std::ostream& s) {
                       write_int64_npy(s, {2, e}, input.edge_index.data(), input.edge_index.size());
                     }});
  members.push_back({"edge_attr.npy", [&](std::ostream& s) {
                       write_int64_npy(s, {e}, input.edge_attr.data(), input.edge_attr.size());
                     }});
  members.push_back({"node_color.npy", [&](std::ostream& s) {
                       write_int64_npy(s, {n}, input.node_color.data(), input.node_color.size());
                     }});
  members.push_back(
      {"num_colors.npy", [&](std::ostream& s) { write_int64_npy(s, {}, &input.num_colors, 1); }});
  const auto num_nodes = static_cast<std::int64_t>(n);
  members.push_back({"num_nodes.npy", [&](std::ostream& s) { write_int64_npy(s, {}, &num_nodes, 1); }});
  if (input.mode == graph::BreakingMode::weak_sparse)
    members.push_back({"color_in_base.npy", [&](std::ostream& s) {
                         write_npy_header(s, "|b1", {input.color_in_base.size()});
                         for (const auto flag : input.color_in_base) s.put(flag != 0 ? '\1' : '\0');
                       }});
  write_zip(out, members);
}

void write_breaking_input_json(std::ostream& out, const graph::BreakingInput& input) {
  const std::size_t e = input.num_edges();
  out << "{\"num_nodes\":" << input.num_nodes << ",\"mode\":\"" << graph::to_string(input.mode)
      << "\",\"num_colors\":" << input.num_colors << ",\"edge_index\":[";
  write_json_list(out, input.edge_index.data(), e);
  out << ',';
  write_json_list(out, input.edge_index.data() + e, e);
  out << "],\"edge_attr\":";
  write_json_list(out, input.edge_attr.data(), e);
  out << ",\"node_color\":";
  write_json_list(out, input.node_color.data(), input.node_color.size());
  if (input.mode == graph::BreakingMode::weak_sparse) {
    out << ",\"color_in_base\":";
    write_json_list(out, input.color_in_base.data(), input.color_in_base.size(), true);
  }
  out << "}\n";
}

void save_breaking_input(const std::string& path, BreakingInputFormat format,
                         const graph::BreakingInput& input) {
  AtomicFile file(path);
  switch (format) {
    case BreakingInputFormat::npz:
      write_npz(file.stream(), input);
      break;
    case BreakingInputFormat::pt:
      write_pt(file.stream(), input);
      break;
    case BreakingInputFormat::json:
      write_breaking_input_json(file.stream(), input);
      break;
  }
  file.commit();
}

}  // namespace asen::cli
