// RowBinary: ClickHouse's binary row format (little-endian integers,
// strings and arrays prefixed by a LEB128 length, DateTime as UInt32 Unix
// seconds), and a snapshot's tables as rows of the schema's base tables
// (export/schema.h), column for column.
#ifndef DARKSCOPE_EXPORT_ROW_BINARY_H_
#define DARKSCOPE_EXPORT_ROW_BINARY_H_

#include <cstdint>
#include <iterator>
#include <string>

#include "absl/strings/string_view.h"
#include "darkscope/abi.h"
#include "snapshot/snapshot.h"

namespace darkscope {

class RowBinary {
 public:
  void UInt8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void UInt16(uint16_t v) { Little(v, 2); }
  void UInt32(uint32_t v) { Little(v, 4); }
  void UInt64(uint64_t v) { Little(v, 8); }
  void DateTime(int64_t unix_seconds) {
    UInt32(static_cast<uint32_t>(unix_seconds));
  }
  void String(absl::string_view s) {
    Length(s.size());
    out_.append(s.data(), s.size());
  }
  template <typename Numbers>
  void ArrayUInt64(const Numbers& values) {
    Length(std::size(values));
    for (uint64_t v : values) UInt64(v);
  }
  template <typename Strings>
  void ArrayString(const Strings& values) {
    Length(values.size());
    for (const auto& v : values) String(v);
  }
  // Counts a row (the caller wrote its columns).
  void EndRow() { ++rows_; }

  const std::string& bytes() const { return out_; }
  size_t rows() const { return rows_; }

 private:
  void Little(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void Length(uint64_t n) {
    do {
      uint8_t b = n & 0x7f;
      n >>= 7;
      if (n) b |= 0x80;
      out_.push_back(static_cast<char>(b));
    } while (n);
  }

  std::string out_;
  size_t rows_ = 0;
};

// A network's six prefix bytes as one number (first byte highest), as the
// schema's `prefix` column holds them, and back.
uint64_t PrefixNumber(const ds_net_key& net);
ds_net_key NetOfPrefixNumber(uint8_t family, uint64_t prefix);

// Appends the rows `snapshot` has in base table `table` ("ports", ...,
// "snapshots"). `content_hash` goes into the snapshots row.
void EncodeTableRows(const std::string& table, const Snapshot& snapshot,
                     uint64_t content_hash, RowBinary& rows);

}  // namespace darkscope

#endif  // DARKSCOPE_EXPORT_ROW_BINARY_H_
