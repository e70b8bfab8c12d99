// Country and AS lookups.
#include "enrich/origin.h"

#include <arpa/inet.h>
#include <csv.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status.h"
#include "snapshot/snapshot_files.h"

namespace darkscope {
namespace {

// The first address of a network as a sockaddr for libmaxminddb.
sockaddr_storage FirstAddress(const ds_net_key& net) {
  sockaddr_storage storage = {};
  if (net.family == DS_FAMILY_IPV4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    std::memcpy(&in->sin_addr, net.prefix, 3);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    std::memcpy(&in6->sin6_addr, net.prefix, 6);
  }
  return storage;
}

unsigned __int128 AddressNumber(const ds_net_key& net) {
  unsigned __int128 n = 0;
  const int bytes = net.family == DS_FAMILY_IPV4 ? 4 : 16;
  for (int i = 0; i < bytes; ++i) n = (n << 8) | (i < 6 ? net.prefix[i] : 0);
  if (net.family == DS_FAMILY_IPV4) n &= ~static_cast<unsigned __int128>(0xff);
  return n;
}

bool ParseU128(absl::string_view text, unsigned __int128& out) {
  if (text.empty()) return false;
  out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

// libcsv calls these per field and per row.
struct CsvRows {
  std::vector<std::string> fields;
  std::function<void(const std::vector<std::string>&)> row;
};

void OnField(void* data, size_t length, void* context) {
  static_cast<CsvRows*>(context)->fields.emplace_back(static_cast<char*>(data),
                                                      length);
}
void OnRow(int, void* context) {
  auto* rows = static_cast<CsvRows*>(context);
  rows->row(rows->fields);
  rows->fields.clear();
}

// Opens `path` into `mmdb`; `what` names the database in errors.
absl::Status OpenMmdb(const std::string& path, const char* what, MMDB_s& mmdb) {
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &mmdb);
  if (status == MMDB_SUCCESS) return absl::OkStatus();
  const int saved_errno = errno;
  return absl::NotFoundError(absl::StrCat(
      what, " ", path, ": ", MMDB_strerror(status),
      status == MMDB_IO_ERROR ? absl::StrCat(" (", strerror(saved_errno), ")")
                              : ""));
}

std::string MmdbDescription(const std::string& path, const MMDB_s& mmdb) {
  return absl::StrCat(
      path, " (", mmdb.metadata.database_type, ", built ",
      absl::FormatTime("%Y-%m-%d",
                       absl::FromUnixSeconds(mmdb.metadata.build_epoch),
                       absl::UTCTimeZone()),
      ")");
}

// The entry for the network's first address; nullopt if none.
absl::StatusOr<std::optional<MMDB_entry_s>> MmdbEntry(const MMDB_s& mmdb,
                                                      const ds_net_key& net) {
  const sockaddr_storage address = FirstAddress(net);
  int error = MMDB_SUCCESS;
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(const_cast<MMDB_s*>(&mmdb),
                           reinterpret_cast<const sockaddr*>(&address), &error);
  if (error != MMDB_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("MMDB_lookup_sockaddr: ", MMDB_strerror(error)));
  }
  if (!result.found_entry) return std::nullopt;
  return result.entry;
}

// The string at `path` (a null-terminated list of keys) in `entry`, "" if
// absent or not a string.
std::string MmdbString(MMDB_entry_s entry, const char* const* path) {
  MMDB_entry_data_s data;
  if (MMDB_aget_value(&entry, &data, path) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return "";
  }
  return std::string(data.utf8_string, data.data_size);
}

bool FileExists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CountryDatabase>> CountryDatabase::Open(
    const std::string& path, CountryLayout layout) {
  std::unique_ptr<CountryDatabase> db(new CountryDatabase());
  DS_RETURN_IF_ERROR(OpenMmdb(path, "country database", db->mmdb_));
  db->layout_ = layout;
  db->description_ = MmdbDescription(path, db->mmdb_);
  return db;
}

CountryDatabase::~CountryDatabase() { MMDB_close(&mmdb_); }

absl::StatusOr<std::string> CountryDatabase::CountryOf(
    const ds_net_key& net) const {
  DS_ASSIGN_OR_RETURN(std::optional<MMDB_entry_s> entry, MmdbEntry(mmdb_, net));
  if (!entry) return std::string();
  if (layout_ == CountryLayout::kCountryCode) {
    static constexpr const char* kPath[] = {"country_code", nullptr};
    return MmdbString(*entry, kPath);
  }
  static constexpr const char* kCountry[] = {"country", "iso_code", nullptr};
  static constexpr const char* kRegistered[] = {"registered_country",
                                                "iso_code", nullptr};
  std::string code = MmdbString(*entry, kCountry);
  return code.empty() ? MmdbString(*entry, kRegistered) : code;
}

absl::StatusOr<std::unique_ptr<AsnMmdbDatabase>> AsnMmdbDatabase::Open(
    const std::string& path) {
  std::unique_ptr<AsnMmdbDatabase> db(new AsnMmdbDatabase());
  DS_RETURN_IF_ERROR(OpenMmdb(path, "AS database", db->mmdb_));
  db->description_ = MmdbDescription(path, db->mmdb_);
  return db;
}

AsnMmdbDatabase::~AsnMmdbDatabase() { MMDB_close(&mmdb_); }

std::optional<AutonomousSystem> AsnMmdbDatabase::Lookup(
    const ds_net_key& net) const {
  absl::StatusOr<std::optional<MMDB_entry_s>> entry = MmdbEntry(mmdb_, net);
  if (!entry.ok() || !*entry) return std::nullopt;
  MMDB_entry_data_s data;
  if (MMDB_get_value(&**entry, &data, "autonomous_system_number", nullptr) !=
          MMDB_SUCCESS ||
      !data.has_data || data.type != MMDB_DATA_TYPE_UINT32) {
    return std::nullopt;
  }
  static constexpr const char* kName[] = {"autonomous_system_organization",
                                          nullptr};
  return AutonomousSystem{data.uint32, MmdbString(**entry, kName)};
}

absl::Status AsnDatabase::Load(const std::string& path,
                               std::vector<Range>& ranges) {
  DS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadWholeFile(path));
  csv_parser parser;
  if (csv_init(&parser, 0) != 0) return absl::InternalError("csv_init failed");
  absl::flat_hash_map<std::string, uint32_t> name_index;
  size_t line = 0;
  absl::Status status = absl::OkStatus();
  CsvRows rows;
  rows.row = [&](const std::vector<std::string>& f) {
    ++line;
    Range r = {};
    uint32_t asn = 0;
    if (!status.ok()) return;
    if (f.size() < 4 || !ParseU128(f[0], r.first) || !ParseU128(f[1], r.last) ||
        !absl::SimpleAtoi(f[2], &asn) || r.last < r.first) {
      status = absl::DataLossError(
          absl::StrCat(path, ": line ", line, " is not first,last,asn,name"));
      return;
    }
    r.asn = asn;
    auto [it, inserted] =
        name_index.try_emplace(f[3], static_cast<uint32_t>(names_.size()));
    if (inserted) names_.push_back(f[3]);
    r.name = it->second;
    ranges.push_back(r);
  };
  if (csv_parse(&parser, bytes.data(), bytes.size(), OnField, OnRow, &rows) !=
      bytes.size()) {
    status = absl::DataLossError(
        absl::StrCat(path, ": ", csv_strerror(csv_error(&parser))));
  }
  csv_fini(&parser, OnField, OnRow, &rows);
  csv_free(&parser);
  DS_RETURN_IF_ERROR(status);
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.first < b.first; });
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AsnDatabase>> AsnDatabase::Open(
    const std::string& ipv4_csv, const std::string& ipv6_csv) {
  std::unique_ptr<AsnDatabase> db(new AsnDatabase());
  DS_RETURN_IF_ERROR(db->Load(ipv4_csv, db->ipv4_));
  DS_RETURN_IF_ERROR(db->Load(ipv6_csv, db->ipv6_));
  db->description_ =
      absl::StrCat(ipv4_csv, " and ", ipv6_csv, " (",
                   db->ipv4_.size() + db->ipv6_.size(), " ranges)");
  return db;
}

std::optional<AutonomousSystem> AsnDatabase::Find(
    const std::vector<Range>& ranges, unsigned __int128 address) const {
  auto it = std::upper_bound(
      ranges.begin(), ranges.end(), address,
      [](unsigned __int128 a, const Range& r) { return a < r.first; });
  if (it == ranges.begin()) return std::nullopt;
  --it;
  if (address > it->last) return std::nullopt;
  return AutonomousSystem{it->asn, names_[it->name]};
}

std::optional<AutonomousSystem> AsnDatabase::Lookup(
    const ds_net_key& net) const {
  return Find(net.family == DS_FAMILY_IPV4 ? ipv4_ : ipv6_, AddressNumber(net));
}

std::unique_ptr<OriginLookup> OriginLookup::Open(const std::string& geo_dir) {
  auto lookup = std::make_unique<OriginLookup>();
  const std::string geolite_country = geo_dir + "/" + kGeoLite2CountryFile;
  const std::string npm_country = geo_dir + "/" + kNpmCountryFile;
  absl::StatusOr<std::unique_ptr<CountryDatabase>> countries =
      FileExists(geolite_country)
          ? CountryDatabase::Open(geolite_country, CountryLayout::kGeoLite2)
      : FileExists(npm_country)
          ? CountryDatabase::Open(npm_country)
          : absl::NotFoundError(absl::StrCat("no country database in ", geo_dir,
                                             " (neither ", kGeoLite2CountryFile,
                                             " nor ", kNpmCountryFile, ")"));
  if (countries.ok()) {
    lookup->countries_ = std::move(*countries);
  } else {
    lookup->warnings_.push_back(absl::StrCat(
        countries.status().message(),
        ": reporting without countries; install MaxMind's ",
        kGeoLite2CountryFile, " into ", geo_dir,
        " (geoipupdate), or the npm data: npm install --prefix ", geo_dir,
        " @ip-location-db/geo-whois-asn-country-mmdb (deploy/setup.sh does "
        "it)"));
  }
  const std::string geolite_asn = geo_dir + "/" + kGeoLite2AsnFile;
  const std::string npm_asn = geo_dir + "/" + kNpmAsnDir;
  if (FileExists(geolite_asn)) {
    absl::StatusOr<std::unique_ptr<AsnMmdbDatabase>> asns =
        AsnMmdbDatabase::Open(geolite_asn);
    if (asns.ok()) {
      lookup->asn_mmdb_ = std::move(*asns);
    } else {
      lookup->warnings_.push_back(
          absl::StrCat(asns.status().message(), ": reporting without ASes"));
    }
    return lookup;
  }
  absl::StatusOr<std::unique_ptr<AsnDatabase>> asns =
      FileExists(npm_asn) ? AsnDatabase::Open(npm_asn + "/asn-ipv4-num.csv",
                                              npm_asn + "/asn-ipv6-num.csv")
                          : absl::NotFoundError(absl::StrCat(
                                "none in ", geo_dir, " (neither ",
                                kGeoLite2AsnFile, " nor ", kNpmAsnDir, ")"));
  if (asns.ok()) {
    lookup->asns_ = std::move(*asns);
  } else {
    lookup->warnings_.push_back(
        absl::StrCat("AS database: ", asns.status().message(),
                     ": reporting without ASes; install MaxMind's ",
                     kGeoLite2AsnFile, " into ", geo_dir,
                     " (geoipupdate), or the npm data: npm install "
                     "--prefix ",
                     geo_dir,
                     " @ip-location-db/asn (deploy/setup.sh does "
                     "it)"));
  }
  return lookup;
}

std::unique_ptr<OriginLookup> OriginLookup::Clone() const {
  auto lookup = std::make_unique<OriginLookup>();
  lookup->countries_ = countries_;
  lookup->asns_ = asns_;
  lookup->asn_mmdb_ = asn_mmdb_;
  lookup->warnings_ = warnings_;
  return lookup;
}

const Origin& OriginLookup::Of(const ds_net_key& net) {
  auto [it, inserted] = cache_.try_emplace(net);
  if (!inserted) return it->second;
  if (countries_) {
    absl::StatusOr<std::string> country = countries_->CountryOf(net);
    if (country.ok()) it->second.country = *country;
  }
  if (asns_ || asn_mmdb_) {
    if (std::optional<AutonomousSystem> as =
            asns_ ? asns_->Lookup(net) : asn_mmdb_->Lookup(net)) {
      it->second.asn = as->number;
      it->second.as_name = as->name;
    }
  }
  return it->second;
}

std::vector<std::string> OriginLookup::sources() const {
  std::vector<std::string> out;
  if (countries_) out.push_back("countries: " + countries_->description());
  if (asns_) out.push_back("ASes: " + asns_->description());
  if (asn_mmdb_) out.push_back("ASes: " + asn_mmdb_->description());
  return out;
}

}  // namespace darkscope
