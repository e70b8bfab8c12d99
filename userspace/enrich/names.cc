// Service and country names (names.h).
#include "enrich/names.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "snapshot/snapshot_files.h"

namespace darkscope {
namespace {}  // namespace

absl::StatusOr<std::string> ReadEnrichmentFile(const std::string& path,
                                               const char* what) {
  absl::StatusOr<std::vector<uint8_t>> bytes =
      ReadWholeFile(path, kMaxEnrichmentFileBytes);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(),
                        absl::StrCat(what, ": ", bytes.status().message()));
  }
  return std::string(bytes->begin(), bytes->end());
}

absl::StatusOr<ServiceNames> ServiceNames::Load(const std::string& path) {
  absl::StatusOr<std::string> text =
      ReadEnrichmentFile(path, "services database");
  if (!text.ok()) return text.status();
  ServiceNames services;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (size_t hash = line.find('#'); hash != absl::string_view::npos)
      line = line.substr(0, hash);
    const std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.size() < 2) continue;
    const std::pair<absl::string_view, absl::string_view> port_proto =
        absl::StrSplit(words[1], '/');
    uint32_t port = 0;
    if (!absl::SimpleAtoi(port_proto.first, &port) || port > 65535) continue;
    // The first name for a port wins (the file lists the IANA name first).
    services.names_.try_emplace(
        {static_cast<uint16_t>(port), absl::AsciiStrToLower(port_proto.second)},
        std::string(words[0]));
  }
  return services;
}

std::string ServiceNames::Of(uint16_t port, const std::string& proto) const {
  auto it = names_.find({port, absl::AsciiStrToLower(proto)});
  return it == names_.end() ? "" : it->second;
}

absl::StatusOr<std::map<std::string, std::string>> ReadMoCatalogue(
    const std::string& path) {
  absl::StatusOr<std::string> bytes =
      ReadEnrichmentFile(path, "gettext catalogue");
  if (!bytes.ok()) return bytes.status();
  const std::string& b = *bytes;
  auto bad = [&](const char* why) {
    return absl::DataLossError(
        absl::StrCat("read gettext catalogue ", path, ": ", why));
  };
  auto word = [&](size_t offset, bool swap) -> uint32_t {
    uint32_t v = 0;
    std::memcpy(&v, b.data() + offset, 4);
    return swap ? __builtin_bswap32(v) : v;
  };
  if (b.size() < 20) return bad("shorter than its header");
  bool swap = false;
  if (word(0, false) != 0x950412de) {
    if (word(0, true) != 0x950412de) return bad("not a .mo file");
    swap = true;
  }
  const uint32_t count = word(8, swap), originals = word(12, swap),
                 translations = word(16, swap);
  auto string_at = [&](uint32_t table, uint32_t i, std::string& out) -> bool {
    const uint64_t entry = uint64_t{table} + uint64_t{i} * 8;
    if (entry + 8 > b.size()) return false;
    const uint32_t length = word(entry, swap), offset = word(entry + 4, swap);
    if (uint64_t{offset} + length > b.size()) return false;
    out.assign(b, offset, length);
    return true;
  };
  std::map<std::string, std::string> catalogue;
  for (uint32_t i = 0; i < count; ++i) {
    std::string id, text;
    if (!string_at(originals, i, id) || !string_at(translations, i, text))
      return bad("a string lies outside the file");
    if (!id.empty()) catalogue[id] = text;
  }
  return catalogue;
}

absl::StatusOr<CountryNames> CountryNames::Load(
    const std::string& language, const std::string& iso_codes_dir,
    const std::string& locale_dir) {
  const std::string json_path = iso_codes_dir + "/iso_3166-1.json";
  absl::StatusOr<std::string> text =
      ReadEnrichmentFile(json_path, "ISO 3166 codes");
  if (!text.ok()) return text.status();
  const nlohmann::json codes = nlohmann::json::parse(*text, nullptr, false);
  if (codes.is_discarded() || !codes.contains("3166-1")) {
    return absl::DataLossError(absl::StrCat("read ISO 3166 codes ", json_path,
                                            ": not iso-codes' "
                                            "JSON (no \"3166-1\" list)"));
  }
  std::map<std::string, std::string> catalogue;
  if (language != "en") {
    absl::StatusOr<std::map<std::string, std::string>> read = ReadMoCatalogue(
        absl::StrCat(locale_dir, "/", language, "/LC_MESSAGES/iso_3166-1.mo"));
    if (!read.ok()) return read.status();
    catalogue = std::move(*read);
  }
  CountryNames names;
  for (const nlohmann::json& entry : codes["3166-1"]) {
    if (!entry.contains("alpha_2") || !entry.contains("name")) continue;
    const std::string name = entry["name"];
    const std::string common = entry.value("common_name", name);
    std::string shown = common;
    if (language != "en") {
      // The common name's translation where there is one, else the ISO
      // name's ("South Korea" has none in ja: "Korea, Republic of" has).
      auto t = catalogue.find(common);
      if (t == catalogue.end() || t->second.empty()) t = catalogue.find(name);
      if (t != catalogue.end() && !t->second.empty()) shown = t->second;
    }
    names.names_[entry["alpha_2"].get<std::string>()] = shown;
  }
  return names;
}

std::string CountryNames::Of(const std::string& alpha2) const {
  auto it = names_.find(alpha2);
  return it == names_.end() ? "" : it->second;
}

}  // namespace darkscope
