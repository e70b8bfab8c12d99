// The snapshot file format: encoding, and decoding with bounds checks.
#include "snapshot/snapshot.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/counter_names.h"
#include "common/status.h"

namespace darkscope {
namespace {

constexpr char kMagic[8] = {'D', 'S', 'S', 'N', 'A', 'P', '\r', '\n'};
constexpr char kEndMagic[4] = {'D', 'E', 'N', 'D'};
constexpr size_t kHeaderSize = 40;
constexpr size_t kTrailerSize = 8;
constexpr int kZstdLevel = 3;
// zstd's format limit: a block holds at most 128 KiB and takes at least 4
// bytes (an RLE block), so a compressed body of N bytes cannot hold more
// than N * 32768 bytes. A declared size above that is a lie, refused before
// anything is allocated.
constexpr uint64_t kMaxZstdRatio = (128 << 10) / 4;
// What a decode allocates before the frame proves it holds more: the
// body grows as the frame's output fills it.
constexpr uint64_t kFirstBodyBytes = 1 << 20;

// Column kinds: the width in bytes of an unsigned integer, or a network.
constexpr uint8_t kU8 = 1, kU16 = 2, kU32 = 4, kU64 = 8, kNet = 0x48;

// The flows' fingerprint counts, added after version 1's first files: a
// file without them reads them as 0 and says so (Snapshot::flow_fingerprints).
constexpr const char* kFlowFingerprintColumns[] = {"mirai", "zmap", "masscan"};

size_t WidthOf(uint8_t kind) { return kind == kNet ? 8 : kind; }
bool KnownKind(uint8_t kind) {
  return kind == kU8 || kind == kU16 || kind == kU32 || kind == kU64 ||
         kind == kNet;
}

struct Column {
  std::string name;
  uint8_t kind;
  std::vector<uint64_t> values;  // a network's 8 key bytes, memcpy'd
  // Instead of `values`, for a table streamed to a visitor: where the
  // column lies in the decoded body (valid while the decode runs).
  const uint8_t* raw = nullptr;

  uint64_t At(uint32_t row) const {
    if (raw == nullptr) return values[row];
    switch (WidthOf(kind)) {  // constant widths: plain loads
      case 1:
        return raw[row];
      case 2:
        return Load<uint16_t>(row);
      case 4:
        return Load<uint32_t>(row);
      default:
        return Load<uint64_t>(row);
    }
  }
  template <typename T>
  uint64_t Load(uint32_t row) const {
    T v;
    std::memcpy(&v, raw + size_t{row} * sizeof(T), sizeof(T));
    return v;
  }
};

struct Table {
  std::string name;
  uint32_t rows = 0;
  std::vector<Column> columns;

  const Column* Find(absl::string_view column) const {
    for (const Column& c : columns) {
      if (c.name == column) return &c;
    }
    return nullptr;
  }
};

// ---- Encoding --------------------------------------------------------------

// The format is little-endian, as are the hosts darkscope runs on (x86-64,
// arm64): values are copied, not assembled byte by byte.
static_assert(std::endian::native == std::endian::little,
              "the snapshot codec copies little-endian values");

class ByteWriter {
 public:
  void U8(uint8_t v) { bytes_.push_back(v); }
  void Uint(uint64_t v, size_t width) {
    size_t at = bytes_.size();
    bytes_.resize(at + width);
    std::memcpy(bytes_.data() + at, &v, width);
  }
  // `values`, each written `width` bytes wide.
  void Column(const std::vector<uint64_t>& values, size_t width) {
    if (values.empty()) return;  // no copy from an empty vector's null data()
    size_t at = bytes_.size();
    bytes_.resize(at + values.size() * width);
    uint8_t* out = bytes_.data() + at;
    if (width == 8) {
      std::memcpy(out, values.data(), values.size() * 8);
      return;
    }
    for (uint64_t v : values) {
      std::memcpy(out, &v, width);
      out += width;
    }
  }
  void Raw(const void* data, size_t size) {
    if (size == 0) return;
    const uint8_t* p = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + size);
  }
  // A string too long for its length field is cut to fit rather than
  // written with a wrapped length (a file no reader could parse); the
  // options that feed strings are bounded well below (ValidateAgentOptions).
  void String(absl::string_view s, size_t length_width) {
    s = s.substr(0, (uint64_t{1} << (8 * length_width)) - 1);
    Uint(s.size(), length_width);
    Raw(s.data(), s.size());
  }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

uint64_t NetToU64(const ds_net_key& key) {
  uint64_t v;
  std::memcpy(&v, &key, sizeof(v));
  return v;
}
ds_net_key U64ToNet(uint64_t v) {
  ds_net_key key;
  std::memcpy(&key, &v, sizeof(key));
  return key;
}

void AddColumn(Table& t, std::string name, uint8_t kind) {
  t.columns.push_back({std::move(name), kind, {}});
}

// The tables of a snapshot, in the order they are written.
std::vector<Table> ToTables(const Snapshot& s) {
  std::vector<Table> tables;

  Table counters{"counters", 1, {}};
  for (int i = 0; i < DS_CTR_COUNT; ++i) {
    counters.columns.push_back(
        {kCounterNames[i], kU64, {s.counts.counters[i]}});
  }
  tables.push_back(std::move(counters));

  Table agent{"agent", 1, {}};
  for (const auto& [name, value] : s.agent_counters) {
    agent.columns.push_back({name, kU64, {value}});
  }
  tables.push_back(std::move(agent));

  // Prefixes as two big-endian u64 halves of the address (IPv4 in the top
  // 32 bits of the first), its family and length.
  Table darknet{"darknet", static_cast<uint32_t>(s.darknet.size()), {}};
  AddColumn(darknet, "family", kU8);
  AddColumn(darknet, "addr_hi", kU64);
  AddColumn(darknet, "addr_lo", kU64);
  AddColumn(darknet, "length", kU8);
  for (const Prefix& p : s.darknet) {
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 8; ++i)
      hi = hi << 8 | p.addr[i], lo = lo << 8 | p.addr[8 + i];
    const uint64_t row[] = {static_cast<uint64_t>(p.family), hi, lo,
                            static_cast<uint64_t>(p.length)};
    for (size_t c = 0; c < std::size(row); ++c)
      darknet.columns[c].values.push_back(row[c]);
  }
  tables.push_back(std::move(darknet));

  Table ports{"ports", static_cast<uint32_t>(s.counts.ports.size()), {}};
  for (const char* c : {"index"}) AddColumn(ports, c, kU32);
  for (const char* c : {"packets", "bytes", "syn", "synack", "rst", "mirai",
                        "zmap", "masscan", "backscatter"}) {
    AddColumn(ports, c, kU64);
  }
  for (const auto& [index, p] : s.counts.ports) {
    const uint64_t row[] = {index,     p.packets,    p.bytes, p.syn,
                            p.synack,  p.rst,        p.mirai, p.zmap,
                            p.masscan, p.backscatter};
    for (size_t c = 0; c < std::size(row); ++c)
      ports.columns[c].values.push_back(row[c]);
  }
  tables.push_back(std::move(ports));

  if (!s.port_hours.empty()) {
    Table port_hours{
        "port_hours", static_cast<uint32_t>(s.port_hours.size()), {}};
    AddColumn(port_hours, "index", kU32);
    AddColumn(port_hours, "hour", kU8);
    AddColumn(port_hours, "packets", kU64);
    for (const auto& [key, packets] : s.port_hours) {
      port_hours.columns[0].values.push_back(key.first);
      port_hours.columns[1].values.push_back(key.second);
      port_hours.columns[2].values.push_back(packets);
    }
    tables.push_back(std::move(port_hours));
  }

  Table src_ports{
      "src_ports", static_cast<uint32_t>(s.counts.src_ports.size()), {}};
  AddColumn(src_ports, "index", kU32);
  AddColumn(src_ports, "packets", kU64);
  AddColumn(src_ports, "bytes", kU64);
  for (const auto& [index, t] : s.counts.src_ports) {
    src_ports.columns[0].values.push_back(index);
    src_ports.columns[1].values.push_back(t.packets);
    src_ports.columns[2].values.push_back(t.bytes);
  }
  tables.push_back(std::move(src_ports));

  Table sources{"sources", static_cast<uint32_t>(s.counts.sources.size()), {}};
  AddColumn(sources, "src_net", kNet);
  AddColumn(sources, "packets", kU64);
  AddColumn(sources, "bytes", kU64);
  for (int w = 0; w < DS_HOST_BITMAP_WORDS; ++w)
    AddColumn(sources, absl::StrCat("hosts", w), kU64);
  for (int w = 0; w < DS_PORT_SKETCH_WORDS; ++w)
    AddColumn(sources, absl::StrCat("port_sketch", w), kU64);
  AddColumn(sources, "synack", kU64);
  AddColumn(sources, "rst", kU64);
  for (const auto& [key, v] : s.counts.sources) {
    size_t c = 0;
    sources.columns[c++].values.push_back(NetToU64(key));
    sources.columns[c++].values.push_back(v.packets);
    sources.columns[c++].values.push_back(v.bytes);
    for (uint64_t w : v.hosts) sources.columns[c++].values.push_back(w);
    for (uint64_t w : v.port_sketch) sources.columns[c++].values.push_back(w);
    sources.columns[c++].values.push_back(v.synack);
    sources.columns[c++].values.push_back(v.rst);
  }
  tables.push_back(std::move(sources));

  Table dests{
      "destinations", static_cast<uint32_t>(s.counts.destinations.size()), {}};
  AddColumn(dests, "dst_net", kNet);
  AddColumn(dests, "packets", kU64);
  AddColumn(dests, "bytes", kU64);
  for (int w = 0; w < DS_HOST_BITMAP_WORDS; ++w)
    AddColumn(dests, absl::StrCat("hosts", w), kU64);
  for (const auto& [key, v] : s.counts.destinations) {
    size_t c = 0;
    dests.columns[c++].values.push_back(NetToU64(key));
    dests.columns[c++].values.push_back(v.packets);
    dests.columns[c++].values.push_back(v.bytes);
    for (uint64_t w : v.hosts) dests.columns[c++].values.push_back(w);
  }
  tables.push_back(std::move(dests));

  Table flows{"flows", static_cast<uint32_t>(s.counts.flows.size()), {}};
  AddColumn(flows, "src_net", kNet);
  AddColumn(flows, "proto", kU8);
  AddColumn(flows, "port", kU16);
  AddColumn(flows, "packets", kU64);
  AddColumn(flows, "bytes", kU64);
  // Merged from files without them (a roll-up of older files): the
  // fingerprints stay unknown rather than become zeros.
  if (s.flow_fingerprints) {
    for (const char* c : kFlowFingerprintColumns) AddColumn(flows, c, kU64);
  }
  for (const auto& [key, v] : s.counts.flows) {
    flows.columns[0].values.push_back(NetToU64(key.src));
    flows.columns[1].values.push_back(key.proto_slot);
    flows.columns[2].values.push_back(key.port);
    flows.columns[3].values.push_back(v.packets);
    flows.columns[4].values.push_back(v.bytes);
    if (!s.flow_fingerprints) continue;
    flows.columns[5].values.push_back(v.mirai);
    flows.columns[6].values.push_back(v.zmap);
    flows.columns[7].values.push_back(v.masscan);
  }
  tables.push_back(std::move(flows));
  return tables;
}

std::vector<uint8_t> EncodeBody(const Snapshot& s) {
  ByteWriter w;
  w.String(s.sensor, 2);
  std::vector<Table> tables = ToTables(s);
  w.Uint(tables.size(), 2);
  for (const Table& t : tables) {
    w.String(t.name, 1);
    w.Uint(t.columns.size(), 2);
    w.Uint(t.rows, 4);
    for (const Column& c : t.columns) {
      w.String(c.name, 1);
      w.U8(c.kind);
    }
    // Column-major: each column's values together compress well.
    for (const Column& c : t.columns) w.Column(c.values, WidthOf(c.kind));
  }
  return std::move(w.bytes());
}

// ---- Decoding --------------------------------------------------------------

// Reads little-endian fields, failing with the offset of the first read
// that would go past the end.
class ByteReader {
 public:
  ByteReader(absl::Span<const uint8_t> bytes, std::string where)
      : bytes_(bytes), where_(std::move(where)) {}

  absl::StatusOr<uint64_t> Uint(size_t width, absl::string_view what) {
    DS_RETURN_IF_ERROR(Need(width, what));
    uint64_t v = 0;
    std::memcpy(&v, bytes_.data() + pos_, width);
    pos_ += width;
    return v;
  }
  // Fills `values` with values `width` bytes wide; the caller checked Need.
  void Column(std::vector<uint64_t>& values, size_t width) {
    switch (width) {  // constant widths: the copies compile to plain loads
      case 1:
        return ColumnOf<1>(values);
      case 2:
        return ColumnOf<2>(values);
      case 4:
        return ColumnOf<4>(values);
      default:
        return ColumnOf<8>(values);
    }
  }
  template <size_t kWidth>
  void ColumnOf(std::vector<uint64_t>& values) {
    const uint8_t* at = bytes_.data() + pos_;
    for (uint64_t& v : values) {
      v = 0;
      std::memcpy(&v, at, kWidth);
      at += kWidth;
    }
    pos_ += values.size() * kWidth;
  }
  const uint8_t* here() const { return bytes_.data() + pos_; }
  // Steps over bytes the caller checked with Need.
  void Skip(size_t size) { pos_ += size; }
  absl::StatusOr<std::string> String(size_t length_width,
                                     absl::string_view what) {
    DS_ASSIGN_OR_RETURN(uint64_t length, Uint(length_width, what));
    DS_RETURN_IF_ERROR(Need(length, what));
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return s;
  }
  absl::Status Need(uint64_t size, absl::string_view what) const {
    if (size > bytes_.size() - pos_) {
      return Error(absl::StrCat(what, " needs ", size, " bytes, ",
                                bytes_.size() - pos_, " left"));
    }
    return absl::OkStatus();
  }
  absl::Status Error(absl::string_view what) const {
    return absl::DataLossError(
        absl::StrCat(where_, " offset ", pos_, ": ", what));
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  absl::Span<const uint8_t> bytes_;
  std::string where_;
  size_t pos_ = 0;
};

// The part of a snapshot a table belongs to; unknown tables belong to none.
uint32_t PartOf(absl::string_view table) {
  if (table == "counters" || table == "agent" || table == "darknet")
    return kSnapshotSummary;
  if (table == "ports" || table == "src_ports" || table == "port_hours")
    return kSnapshotPorts;
  if (table == "sources" || table == "destinations") return kSnapshotNetworks;
  if (table == "flows") return kSnapshotFlows;
  return 0;
}

// Tables outside `parts` are checked for length and stepped over.
// `streamed`: a table whose columns stay in the body (Column::raw).
absl::StatusOr<std::vector<Table>> DecodeTables(ByteReader& r, uint32_t parts,
                                                absl::string_view streamed) {
  DS_ASSIGN_OR_RETURN(uint64_t table_count, r.Uint(2, "table count"));
  if (table_count > kMaxSnapshotTables) {
    return r.Error(
        absl::StrCat(table_count, " tables; at most ", kMaxSnapshotTables));
  }
  std::vector<Table> tables;
  for (uint64_t t = 0; t < table_count; ++t) {
    Table table;
    DS_ASSIGN_OR_RETURN(table.name, r.String(1, "table name"));
    DS_ASSIGN_OR_RETURN(uint64_t columns, r.Uint(2, "column count"));
    if (columns > kMaxSnapshotColumns) {
      return r.Error(absl::StrCat("table ", table.name, " has ", columns,
                                  " columns; at most ", kMaxSnapshotColumns));
    }
    DS_ASSIGN_OR_RETURN(uint64_t rows, r.Uint(4, "row count"));
    table.rows = static_cast<uint32_t>(rows);
    for (uint64_t c = 0; c < columns; ++c) {
      Column column;
      DS_ASSIGN_OR_RETURN(column.name, r.String(1, "column name"));
      DS_ASSIGN_OR_RETURN(uint64_t kind, r.Uint(1, "column kind"));
      if (!KnownKind(static_cast<uint8_t>(kind))) {
        return r.Error(absl::StrCat("column ", table.name, ".", column.name,
                                    " has unknown kind ", kind));
      }
      column.kind = static_cast<uint8_t>(kind);
      table.columns.push_back(std::move(column));
    }
    const bool wanted = (PartOf(table.name) & parts) != 0;
    for (Column& column : table.columns) {
      size_t width = WidthOf(column.kind);
      DS_RETURN_IF_ERROR(r.Need(
          rows * width, absl::StrCat("column ", table.name, ".", column.name)));
      if (!wanted) {
        r.Skip(rows * width);
        continue;
      }
      if (table.name == streamed) {
        column.raw = r.here();
        r.Skip(rows * width);
        continue;
      }
      column.values.resize(rows);
      r.Column(column.values, width);
    }
    if (wanted) tables.push_back(std::move(table));
  }
  if (r.remaining() != 0) return r.Error("bytes after the last table");
  return tables;
}

// The named columns of a table, all required; for each row, fill(values).
// Rows were written from sorted tables, so the fills append in order.
absl::Status ForEachRow(
    const Table& table, std::initializer_list<const char*> names,
    const std::function<void(const std::vector<uint64_t>&)>& fill) {
  std::vector<const Column*> columns;
  for (const char* name : names) {
    // "name?": a column added after version 1's first files; 0 when absent.
    const absl::string_view wanted(name);
    const bool optional = absl::EndsWith(wanted, "?");
    const Column* column =
        table.Find(optional ? wanted.substr(0, wanted.size() - 1) : wanted);
    if (column == nullptr && optional) {
      columns.push_back(nullptr);
      continue;
    }
    if (column == nullptr) {
      return absl::DataLossError(
          absl::StrCat("table ", table.name, " lacks column ", name));
    }
    columns.push_back(column);
  }
  std::vector<uint64_t> row(columns.size());
  for (uint32_t i = 0; i < table.rows; ++i) {
    for (size_t c = 0; c < columns.size(); ++c)
      row[c] = columns[c] ? columns[c]->values[i] : 0;
    fill(row);
  }
  return absl::OkStatus();
}

// Whether a flows table has the fingerprint columns (all three or none).
absl::StatusOr<bool> HasFlowFingerprints(const Table& t) {
  int present = 0;
  for (const char* c : kFlowFingerprintColumns) present += t.Find(c) != nullptr;
  if (present != 0 && present != 3) {
    return absl::DataLossError(
        "table flows has some of the columns mirai, zmap, masscan, not all");
  }
  return present == 3;
}

// The flows table straight from the body to `each_flow`.
absl::Status VisitFlows(const Table& t, FlowVisitor each_flow) {
  const Column* columns[8] = {};
  const char* names[8] = {"src_net", "proto", "port", "packets",
                          "bytes",   "mirai", "zmap", "masscan"};
  DS_ASSIGN_OR_RETURN(const bool fingerprints, HasFlowFingerprints(t));
  const int wanted = fingerprints ? 8 : 5;
  for (int c = 0; c < wanted; ++c) {
    columns[c] = t.Find(names[c]);
    if (columns[c] == nullptr) {
      return absl::DataLossError(
          absl::StrCat("table flows lacks column ", names[c]));
    }
  }
  for (uint32_t i = 0; i < t.rows; ++i) {
    ds_flow_key key = {};
    key.src = U64ToNet(columns[0]->At(i));
    key.proto_slot = static_cast<uint8_t>(columns[1]->At(i));
    key.port = static_cast<uint16_t>(columns[2]->At(i));
    ds_flow_stats stats = {columns[3]->At(i), columns[4]->At(i), 0, 0, 0};
    if (fingerprints) {
      stats.mirai = columns[5]->At(i);
      stats.zmap = columns[6]->At(i);
      stats.masscan = columns[7]->At(i);
    }
    each_flow(key, stats);
  }
  return absl::OkStatus();
}

absl::Status FromTables(const std::vector<Table>& tables,
                        std::optional<FlowVisitor> each_flow, Snapshot& s) {
  for (const Table& t : tables) {
    if (t.name == "counters" || t.name == "agent") {
      if (t.rows != 1) {
        return absl::DataLossError(
            absl::StrCat("table ", t.name, " has ", t.rows, " rows, not 1"));
      }
      for (const Column& c : t.columns) {
        if (t.name == "agent") {
          s.agent_counters[c.name] = c.values[0];
          continue;
        }
        for (int i = 0; i < DS_CTR_COUNT; ++i) {
          if (c.name == kCounterNames[i]) s.counts.counters[i] = c.values[0];
        }
      }
    } else if (t.name == "darknet") {
      DS_RETURN_IF_ERROR(ForEachRow(
          t, {"family", "addr_hi", "addr_lo", "length"},
          [&](const std::vector<uint64_t>& v) {
            Prefix p;
            p.family = static_cast<int>(v[0]);
            for (int i = 0; i < 8; ++i) {
              p.addr[i] = static_cast<uint8_t>(v[1] >> (56 - 8 * i));
              p.addr[8 + i] = static_cast<uint8_t>(v[2] >> (56 - 8 * i));
            }
            p.length = static_cast<int>(v[3]);
            s.darknet.push_back(p);
          }));
      for (const Prefix& p : s.darknet) {
        const int bits = p.family == DS_FAMILY_IPV4 ? 32 : 128;
        if ((p.family != DS_FAMILY_IPV4 && p.family != DS_FAMILY_IPV6) ||
            p.length > bits) {
          return absl::DataLossError(
              absl::StrCat("table darknet: family ", p.family, " length ",
                           p.length, " is not a prefix"));
        }
      }
    } else if (t.name == "ports") {
      DS_RETURN_IF_ERROR(
          ForEachRow(t,
                     {"index", "packets", "bytes", "syn", "synack", "rst",
                      "mirai", "zmap", "masscan", "backscatter"},
                     [&](const std::vector<uint64_t>& v) {
                       s.counts.ports.emplace_hint(
                           s.counts.ports.end(), static_cast<uint32_t>(v[0]),
                           ds_port_stats{v[1], v[2], v[3], v[4], v[5], v[6],
                                         v[7], v[8], v[9]});
                     }));
    } else if (t.name == "port_hours") {
      DS_RETURN_IF_ERROR(ForEachRow(
          t, {"index", "hour", "packets"}, [&](const std::vector<uint64_t>& v) {
            s.port_hours.emplace_hint(
                s.port_hours.end(),
                std::make_pair(static_cast<uint32_t>(v[0]),
                               static_cast<uint8_t>(v[1])),
                v[2]);
          }));
    } else if (t.name == "src_ports") {
      DS_RETURN_IF_ERROR(ForEachRow(t, {"index", "packets", "bytes"},
                                    [&](const std::vector<uint64_t>& v) {
                                      s.counts.src_ports.emplace_hint(
                                          s.counts.src_ports.end(),
                                          static_cast<uint32_t>(v[0]),
                                          ds_traffic{v[1], v[2]});
                                    }));
    } else if (t.name == "sources") {
      DS_RETURN_IF_ERROR(ForEachRow(
          t,
          {"src_net", "packets", "bytes", "hosts0", "hosts1", "hosts2",
           "hosts3", "port_sketch0", "port_sketch1", "port_sketch2",
           "port_sketch3", "port_sketch4", "port_sketch5", "port_sketch6",
           "port_sketch7", "synack?", "rst?"},
          [&](const std::vector<uint64_t>& v) {
            ds_source_stats stats = {};
            stats.packets = v[1];
            stats.bytes = v[2];
            for (int w = 0; w < DS_HOST_BITMAP_WORDS; ++w)
              stats.hosts[w] = v[3 + w];
            for (int w = 0; w < DS_PORT_SKETCH_WORDS; ++w)
              stats.port_sketch[w] = v[7 + w];
            stats.synack = v[15];
            stats.rst = v[16];
            s.counts.sources.emplace_hint(s.counts.sources.end(),
                                          U64ToNet(v[0]), stats);
          }));
    } else if (t.name == "destinations") {
      DS_RETURN_IF_ERROR(
          ForEachRow(t,
                     {"dst_net", "packets", "bytes", "hosts0", "hosts1",
                      "hosts2", "hosts3"},
                     [&](const std::vector<uint64_t>& v) {
                       ds_dest_stats stats = {};
                       stats.packets = v[1];
                       stats.bytes = v[2];
                       for (int w = 0; w < DS_HOST_BITMAP_WORDS; ++w)
                         stats.hosts[w] = v[3 + w];
                       s.counts.destinations.emplace_hint(
                           s.counts.destinations.end(), U64ToNet(v[0]), stats);
                     }));
    } else if (t.name == "flows") {
      DS_ASSIGN_OR_RETURN(s.flow_fingerprints, HasFlowFingerprints(t));
      if (each_flow.has_value()) {
        DS_RETURN_IF_ERROR(VisitFlows(t, *each_flow));
        continue;
      }
      DS_RETURN_IF_ERROR(
          ForEachRow(t,
                     {"src_net", "proto", "port", "packets", "bytes", "mirai?",
                      "zmap?", "masscan?"},
                     [&](const std::vector<uint64_t>& v) {
                       ds_flow_key key = {};
                       key.src = U64ToNet(v[0]);
                       key.proto_slot = static_cast<uint8_t>(v[1]);
                       key.port = static_cast<uint16_t>(v[2]);
                       s.counts.flows.emplace_hint(
                           s.counts.flows.end(), key,
                           ds_flow_stats{v[3], v[4], v[5], v[6], v[7]});
                     }));
    }
    // Tables a later version adds are skipped.
  }
  return absl::OkStatus();
}

// Decompresses the zstd frame `compressed` into the first `raw_size` bytes
// of `body`. `body` grows with what the frame turns out to hold (from
// kFirstBodyBytes, doubling), never past raw_size + 1: a header that
// declares more than the frame holds costs no allocation.
absl::Status Decompress(absl::Span<const uint8_t> compressed, size_t raw_size,
                        std::vector<uint8_t>& body) {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> context(
      ZSTD_createDCtx(), ZSTD_freeDCtx);
  auto failed = [](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(
        "snapshot offset ", kHeaderSize, ": body does not decompress: ", why));
  };
  if (context == nullptr)
    return absl::ResourceExhaustedError("ZSTD_createDCtx failed");
  ZSTD_DCtx_reset(context.get(), ZSTD_reset_session_only);
  // One byte more than declared: output beyond it proves the frame longer.
  const size_t limit = raw_size + 1;
  size_t want = static_cast<size_t>(std::min<uint64_t>(limit, kFirstBodyBytes));
  if (body.size() < want) body.resize(want);
  ZSTD_inBuffer in = {compressed.data(), compressed.size(), 0};
  size_t produced = 0;
  for (;;) {
    ZSTD_outBuffer out = {body.data(), std::min(body.size(), limit), produced};
    const size_t left = ZSTD_decompressStream(context.get(), &out, &in);
    if (ZSTD_isError(left)) return failed(ZSTD_getErrorName(left));
    produced = out.pos;
    if (produced > raw_size) return failed("more bytes than the header says");
    if (left == 0) break;  // the frame is complete (and its checksum good)
    if (out.pos == out.size) {
      want = std::min(limit, std::max(body.size(), size_t{1}) * 2);
      if (body.size() < want) body.resize(want);
    } else if (in.pos == in.size) {
      return failed("the frame is cut short");
    }
  }
  if (in.pos != in.size) return failed("bytes after the frame");
  if (produced != raw_size) return failed("fewer bytes than the header says");
  return absl::OkStatus();
}

uint32_t Crc32(const uint8_t* data, size_t size) {
  return static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size)));
}

}  // namespace

std::vector<uint8_t> EncodeSnapshot(const Snapshot& s) {
  std::vector<uint8_t> body = EncodeBody(s);
  std::vector<uint8_t> compressed(ZSTD_compressBound(body.size()));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, kZstdLevel);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  size_t compressed_size = ZSTD_compress2(
      cctx, compressed.data(), compressed.size(), body.data(), body.size());
  ZSTD_freeCCtx(cctx);
  // Compressing into a buffer of ZSTD_compressBound bytes cannot fail.
  compressed.resize(compressed_size);

  ByteWriter w;
  w.Raw(kMagic, sizeof(kMagic));
  w.Uint(kSnapshotFormatVersion, 4);
  w.Uint(kHeaderSize, 4);
  w.Uint(static_cast<uint64_t>(absl::ToUnixSeconds(s.interval_start)), 8);
  w.Uint(s.interval_seconds, 4);
  w.U8(s.complete ? 1 : 0);
  w.Uint(0, 3);
  w.Uint(compressed.size(), 4);
  w.Uint(body.size(), 4);
  w.Raw(compressed.data(), compressed.size());
  uint32_t crc = Crc32(w.bytes().data(), w.bytes().size());
  w.Uint(crc, 4);
  w.Raw(kEndMagic, sizeof(kEndMagic));
  return std::move(w.bytes());
}

namespace {

absl::StatusOr<Snapshot> Decode(absl::Span<const uint8_t> bytes, uint32_t parts,
                                std::optional<FlowVisitor> each_flow) {
  ByteReader r(bytes, "snapshot");
  DS_RETURN_IF_ERROR(r.Need(kHeaderSize + kTrailerSize, "header and trailer"));
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return r.Error("not a darkscope snapshot (bad magic)");
  }
  const size_t crc_at = bytes.size() - kTrailerSize;
  if (std::memcmp(bytes.data() + crc_at + 4, kEndMagic, 4) != 0) {
    return absl::DataLossError(absl::StrCat(
        "snapshot offset ", crc_at + 4, ": bad end marker (truncated file?)"));
  }
  uint32_t stored_crc = 0;
  for (int i = 0; i < 4; ++i)
    stored_crc |= uint32_t{bytes[crc_at + i]} << (8 * i);
  if (Crc32(bytes.data(), crc_at) != stored_crc) {
    return absl::DataLossError(absl::StrCat(
        "snapshot offset ", crc_at, ": checksum mismatch (file corrupt)"));
  }

  (void)r.Uint(8, "magic");
  DS_ASSIGN_OR_RETURN(uint64_t version, r.Uint(4, "version"));
  if (version < kOldestReadableSnapshotVersion ||
      version > kSnapshotFormatVersion) {
    return r.Error(absl::StrCat(
        "format version ", version, " is not one this build reads (",
        kOldestReadableSnapshotVersion, "..", kSnapshotFormatVersion, ")"));
  }
  DS_ASSIGN_OR_RETURN(uint64_t header_size, r.Uint(4, "header size"));
  if (header_size != kHeaderSize) return r.Error("unexpected header size");
  Snapshot s;
  DS_ASSIGN_OR_RETURN(uint64_t start, r.Uint(8, "interval start"));
  s.interval_start = absl::FromUnixSeconds(static_cast<int64_t>(start));
  DS_ASSIGN_OR_RETURN(uint64_t seconds, r.Uint(4, "interval seconds"));
  s.interval_seconds = static_cast<uint32_t>(seconds);
  DS_ASSIGN_OR_RETURN(uint64_t complete, r.Uint(1, "complete flag"));
  s.complete = complete != 0;
  (void)r.Uint(3, "padding");
  DS_ASSIGN_OR_RETURN(uint64_t compressed_size, r.Uint(4, "body size"));
  DS_ASSIGN_OR_RETURN(uint64_t raw_size, r.Uint(4, "raw body size"));
  if (compressed_size != crc_at - kHeaderSize) {
    return r.Error("body size does not match the file length");
  }
  if (raw_size > kMaxSnapshotBodySize) {
    return r.Error(absl::StrCat("raw body size ", raw_size,
                                " is over the maximum of ",
                                kMaxSnapshotBodySize));
  }
  if (raw_size > compressed_size * kMaxZstdRatio) {
    return r.Error(absl::StrCat("raw body size ", raw_size,
                                " is more than a body of ", compressed_size,
                                " bytes can hold"));
  }
  const absl::Span<const uint8_t> compressed =
      bytes.subspan(kHeaderSize, static_cast<size_t>(compressed_size));
  const unsigned long long declared =
      ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return absl::DataLossError(absl::StrCat("snapshot offset ", kHeaderSize,
                                            ": body is not a zstd frame"));
  }
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != raw_size) {
    return absl::DataLossError(
        absl::StrCat("snapshot offset ", kHeaderSize, ": body's frame holds ",
                     declared, " bytes, the header says ", raw_size));
  }

  // The body goes into memory kept per thread for the next file: readers
  // decode file after file, and fresh pages for each body cost more than
  // the decompression (a 55 MB body: 51 ms into reused memory, 373 ms into
  // fresh, on the 2-CPU test machine). The tables copy what they need.
  thread_local std::vector<uint8_t> body;
  DS_RETURN_IF_ERROR(
      Decompress(compressed, static_cast<size_t>(raw_size), body));
  ByteReader br(absl::MakeConstSpan(body.data(), raw_size), "snapshot body");
  DS_ASSIGN_OR_RETURN(s.sensor, br.String(2, "sensor name"));
  DS_ASSIGN_OR_RETURN(
      std::vector<Table> tables,
      DecodeTables(br, parts, each_flow.has_value() ? "flows" : ""));
  DS_RETURN_IF_ERROR(FromTables(tables, each_flow, s));
  return s;
}

}  // namespace

absl::StatusOr<Snapshot> DecodeSnapshot(absl::Span<const uint8_t> bytes,
                                        uint32_t parts) {
  return Decode(bytes, parts, std::nullopt);
}

absl::StatusOr<Snapshot> DecodeSnapshot(absl::Span<const uint8_t> bytes,
                                        uint32_t parts, FlowVisitor each_flow) {
  return Decode(bytes, parts | kSnapshotFlows, each_flow);
}

std::string SnapshotFileName(absl::Time start) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ.dsnap", start, absl::UTCTimeZone());
}

}  // namespace darkscope
