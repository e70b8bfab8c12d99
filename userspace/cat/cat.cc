// Rows of snapshots as JSON Lines or CSV.
#include "cat/cat.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/counter_names.h"
#include "common/port_index.h"
#include "common/prefix.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "sketch/distinct_counts.h"

namespace darkscope {
namespace {

struct Cell {
  std::string name;
  std::string text;
  bool quoted;  // a string in JSON
};
using Row = std::vector<Cell>;

Cell Str(std::string name, std::string text) {
  return {std::move(name), std::move(text), true};
}
Cell Num(std::string name, uint64_t value) {
  return {std::move(name), absl::StrCat(value), false};
}
Cell Bool(std::string name, bool value) {
  return {std::move(name), value ? "true" : "false", false};
}

std::string JsonEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(
          &out, "\\u00",
          absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  return out;
}

std::string CsvField(absl::string_view s) {
  if (s.find_first_of(",\"\n") == absl::string_view::npos)
    return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const char* SlotName(uint32_t slot) {
  return slot < kSlotNames.size() ? kSlotNames[slot] : "unknown";
}

uint64_t HostCount(const ds_net_key& net,
                   const __u64 (&hosts)[DS_HOST_BITMAP_WORDS]) {
  if (net.family == DS_FAMILY_IPV4) return CountIpv4Hosts(hosts);
  return static_cast<uint64_t>(std::llround(EstimateIpv6Hosts(hosts)));
}

// Every row of one snapshot's `table`, each starting with the common cells.
std::vector<Row> Rows(const Snapshot& s, absl::string_view table) {
  const Row common = {
      Str("table", std::string(table)),
      Str("interval_start",
          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", s.interval_start,
                           absl::UTCTimeZone())),
      Str("sensor", s.sensor)};
  std::vector<Row> rows;
  auto add = [&](std::initializer_list<Cell> cells) {
    Row row = common;
    row.insert(row.end(), cells.begin(), cells.end());
    rows.push_back(std::move(row));
  };
  const EpochCounts& c = s.counts;
  if (table == "summary") {
    Row row = common;
    row.push_back(Num("interval_seconds", s.interval_seconds));
    row.push_back(Bool("complete", s.complete));
    row.push_back(Num("packets", c.counters[DS_CTR_DARKNET_PACKETS]));
    row.push_back(Num("bytes", c.counters[DS_CTR_DARKNET_BYTES]));
    for (int i = 0; i < DS_CTR_COUNT; ++i)
      row.push_back(Num(kCounterNames[i], c.counters[i]));
    for (const auto& [name, value] : s.agent_counters)
      row.push_back(Num(name, value));
    rows.push_back(std::move(row));
  } else if (table == "ports") {
    for (const auto& [index, p] : c.ports) {
      auto [slot, port] = SlotPortOfIndex(index);
      add({Str("proto", SlotName(slot)), Num("port", port),
           Num("packets", p.packets), Num("bytes", p.bytes), Num("syn", p.syn),
           Num("synack", p.synack), Num("rst", p.rst), Num("mirai", p.mirai),
           Num("zmap", p.zmap), Num("masscan", p.masscan),
           Num("backscatter", p.backscatter)});
    }
  } else if (table == "src_ports") {
    for (const auto& [index, t] : c.src_ports) {
      add({Str("proto", SlotName(index / 65536)), Num("port", index % 65536),
           Num("packets", t.packets), Num("bytes", t.bytes)});
    }
  } else if (table == "sources") {
    for (const auto& [net, v] : c.sources) {
      add({Str("src_net", NetKeyToString(net)), Num("packets", v.packets),
           Num("bytes", v.bytes), Num("hosts", HostCount(net, v.hosts)),
           Num("ports", static_cast<uint64_t>(std::llround(
                            EstimateDistinctPorts(v.port_sketch)))),
           Num("synack", v.synack), Num("rst", v.rst)});
    }
  } else if (table == "destinations") {
    for (const auto& [net, v] : c.destinations) {
      add({Str("dst_net", NetKeyToString(net)), Num("packets", v.packets),
           Num("bytes", v.bytes), Num("hosts", HostCount(net, v.hosts))});
    }
  } else if (table == "flows") {
    for (const auto& [key, t] : c.flows) {
      add({Str("src_net", NetKeyToString(key.src)),
           Str("proto", SlotName(key.proto_slot)), Num("port", key.port),
           Num("packets", t.packets), Num("bytes", t.bytes),
           Num("mirai", t.mirai), Num("zmap", t.zmap),
           Num("masscan", t.masscan)});
    }
  }
  return rows;
}

class RowPrinter {
 public:
  RowPrinter(CatFormat format, std::ostream& out)
      : format_(format), out_(out) {}

  void Print(const Row& row) {
    if (format_ == CatFormat::kJsonLines) {
      out_ << '{';
      for (size_t i = 0; i < row.size(); ++i) {
        if (i) out_ << ',';
        out_ << '"' << JsonEscape(row[i].name) << "\":";
        if (row[i].quoted) {
          out_ << '"' << JsonEscape(row[i].text) << '"';
        } else {
          out_ << row[i].text;
        }
      }
      out_ << "}\n";
      return;
    }
    // CSV: a header line whenever the columns change (a new table).
    std::vector<std::string> names;
    for (const Cell& cell : row) names.push_back(cell.name);
    if (names != header_) {
      header_ = names;
      std::vector<std::string> fields;
      for (const std::string& n : names) fields.push_back(CsvField(n));
      out_ << absl::StrJoin(fields, ",") << '\n';
    }
    std::vector<std::string> fields;
    for (const Cell& cell : row) fields.push_back(CsvField(cell.text));
    out_ << absl::StrJoin(fields, ",") << '\n';
  }

 private:
  CatFormat format_;
  std::ostream& out_;
  std::vector<std::string> header_;
};

}  // namespace

int CatSnapshots(const std::vector<std::string>& files,
                 const CatOptions& options, std::ostream& out,
                 std::ostream& errors) {
  RowPrinter printer(options.format, out);
  int failed = 0;
  for (const std::string& file : files) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(file);
    absl::StatusOr<Snapshot> snapshot =
        bytes.ok() ? DecodeSnapshot(*bytes)
                   : absl::StatusOr<Snapshot>(bytes.status());
    if (!snapshot.ok()) {
      errors << "darkscope cat: " << file << ": " << snapshot.status().message()
             << "\n";
      ++failed;
      continue;
    }
    for (const char* table : kCatTables) {
      if (!options.table.empty() && options.table != table) continue;
      for (const Row& row : Rows(*snapshot, table)) printer.Print(row);
    }
  }
  out.flush();
  return failed;
}

}  // namespace darkscope
