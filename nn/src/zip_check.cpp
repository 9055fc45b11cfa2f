#include "zip_check.hpp"

#include <asen/crc32.hpp>
#include <asen/error.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

namespace asen::nn::detail {
namespace {

// The zip format (PKWARE's APPNOTE): little-endian fields at fixed offsets.
constexpr std::uint32_t kEndOfDirectory = 0x06054b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr std::uint32_t kDirectoryEntry = 0x02014b50;
constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::uint16_t kZip64Extra = 0x0001;

// Reads little-endian fields of `bytes`; every read is bounds-checked, and a
// read past the end makes the archive "not followable" (std::nullopt).
class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  [[nodiscard]] std::optional<std::uint64_t> field(std::uint64_t at, int width) const {
    if (at > bytes_.size() || static_cast<std::uint64_t>(width) > bytes_.size() - at) return std::nullopt;
    std::uint64_t value = 0;
    for (int k = width - 1; k >= 0; --k)
      value = (value << 8U) | static_cast<std::uint8_t>(bytes_[at + static_cast<std::uint64_t>(k)]);
    return value;
  }
  [[nodiscard]] std::uint64_t size() const { return bytes_.size(); }
  [[nodiscard]] const char* data() const { return bytes_.data(); }

 private:
  const std::string& bytes_;
};

struct Directory {
  std::uint64_t offset = 0;
  std::uint64_t entries = 0;
};

std::optional<Directory> find_directory(const Reader& zip) {
  // The end-of-directory record: 22 bytes and a comment of up to 65535.
  if (zip.size() < 22) return std::nullopt;
  const std::uint64_t lowest = zip.size() > 22 + 65535 ? zip.size() - 22 - 65535 : 0;
  for (std::uint64_t at = zip.size() - 22 + 1; at-- > lowest;) {
    if (zip.field(at, 4) != kEndOfDirectory) continue;
    Directory d;
    d.entries = *zip.field(at + 10, 2);
    d.offset = *zip.field(at + 16, 4);
    if (d.entries != 0xFFFF && d.offset != 0xFFFFFFFF) return d;
    // Zip64: a locator just before this record points at the zip64 record.
    if (at < 20 || zip.field(at - 20, 4) != kZip64Locator) return std::nullopt;
    const auto record = zip.field(at - 20 + 8, 8);
    if (!record || zip.field(*record, 4) != kZip64EndOfDirectory) return std::nullopt;
    const auto entries = zip.field(*record + 32, 8);
    const auto offset = zip.field(*record + 48, 8);
    if (!entries || !offset) return std::nullopt;
    return Directory{*offset, *entries};
  }
  return std::nullopt;
}

}  // namespace

void verify_zip_checksums(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;  // the caller's reader reports it
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Reader zip(bytes);
  const std::optional<Directory> directory = find_directory(zip);
  if (!directory) return;
  std::uint64_t at = directory->offset;
  for (std::uint64_t e = 0; e < directory->entries; ++e) {
    if (zip.field(at, 4) != kDirectoryEntry) return;
    const auto method = zip.field(at + 10, 2);
    const auto crc = zip.field(at + 16, 4);
    std::optional<std::uint64_t> packed = zip.field(at + 20, 4);
    std::optional<std::uint64_t> size = zip.field(at + 24, 4);
    const auto name_length = zip.field(at + 28, 2);
    const auto extra_length = zip.field(at + 30, 2);
    const auto comment_length = zip.field(at + 32, 2);
    std::optional<std::uint64_t> local = zip.field(at + 42, 4);
    if (!method || !crc || !packed || !size || !name_length || !extra_length || !comment_length || !local) return;
    const std::uint64_t name_at = at + 46;
    if (name_at + *name_length > zip.size()) return;
    const std::string name(bytes, name_at, *name_length);
    // Zip64 sizes and offset, for the fields that hold 0xFFFFFFFF.
    for (std::uint64_t x = name_at + *name_length; x + 4 <= name_at + *name_length + *extra_length;) {
      const auto id = zip.field(x, 2);
      const auto length = zip.field(x + 2, 2);
      if (!id || !length) return;
      if (*id == kZip64Extra) {
        std::uint64_t next = x + 4;
        for (std::optional<std::uint64_t>* value : {&size, &packed, &local}) {
          if (**value != 0xFFFFFFFF) continue;
          *value = zip.field(next, 8);
          if (!*value) return;
          next += 8;
        }
      }
      x += 4 + *length;
    }
    if (*method == 0) {
      // A stored record: its bytes follow the local header.
      if (zip.field(*local, 4) != kLocalHeader) return;
      const auto local_name = zip.field(*local + 26, 2);
      const auto local_extra = zip.field(*local + 28, 2);
      if (!local_name || !local_extra) return;
      const std::uint64_t data_at = *local + 30 + *local_name + *local_extra;
      if (data_at > zip.size() || *size > zip.size() - data_at)
        throw InputError(what + " is corrupt: its record '" + name + "' is cut short (the file is truncated)");
      if (crc32(0, zip.data() + data_at, static_cast<std::size_t>(*size)) != *crc)
        throw InputError(what + " is corrupt: its record '" + name +
                         "' does not match its CRC-32 checksum (the file was damaged after it was written)");
    }
    at = name_at + *name_length + *extra_length + *comment_length;
  }
}

}  // namespace asen::nn::detail
