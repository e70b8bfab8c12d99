// Where a source network comes from: its country and its autonomous
// system, from a geo directory in one of two layouts (docs/enrichment.md):
// MaxMind's GeoLite2 files (GeoLite2-Country.mmdb, GeoLite2-ASN.mmdb, as
// geoipupdate writes them), or the npm packages deploy/setup.sh installs
// (a country mmdb with a top-level country_code, and AS ranges as CSV).
// mmdb files are read with libmaxminddb, CSV with libcsv. A GeoLite2 file
// is used when present, each database on its own. Reports look each /24
// up once, never per packet; OriginLookup caches.
#ifndef DARKSCOPE_ENRICH_ORIGIN_H_
#define DARKSCOPE_ENRICH_ORIGIN_H_

#include <maxminddb.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "common/abi_compare.h"
#include "darkscope/abi.h"

namespace darkscope {

// Where enrichment data is installed by default.
inline constexpr const char* kDefaultGeoDir = "/usr/local/share/darkscope/geo";

struct AutonomousSystem {
  uint32_t number = 0;
  std::string name;
};

// The file names of the two layouts inside a geo directory.
inline constexpr const char* kGeoLite2CountryFile = "GeoLite2-Country.mmdb";
inline constexpr const char* kGeoLite2AsnFile = "GeoLite2-ASN.mmdb";
inline constexpr const char* kNpmCountryFile =
    "node_modules/@ip-location-db/geo-whois-asn-country-mmdb/"
    "geo-whois-asn-country.mmdb";
inline constexpr const char* kNpmAsnDir = "node_modules/@ip-location-db/asn";

// How a country mmdb spells a country: a top-level "country_code" (the npm
// package), or GeoLite2's "country" -> "iso_code" (falling back to
// "registered_country" -> "iso_code" for ranges with no country).
enum class CountryLayout { kCountryCode, kGeoLite2 };

class CountryDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<CountryDatabase>> Open(
      const std::string& path,
      CountryLayout layout = CountryLayout::kCountryCode);
  ~CountryDatabase();
  CountryDatabase(const CountryDatabase&) = delete;
  CountryDatabase& operator=(const CountryDatabase&) = delete;

  // The ISO country code of the network's first address, "" if unknown.
  absl::StatusOr<std::string> CountryOf(const ds_net_key& net) const;
  // What the database is: path, type and build date.
  const std::string& description() const { return description_; }

 private:
  CountryDatabase() = default;
  MMDB_s mmdb_ = {};
  CountryLayout layout_ = CountryLayout::kCountryCode;
  std::string description_;
};

// GeoLite2-ASN.mmdb: autonomous_system_number and _organization per range.
class AsnMmdbDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<AsnMmdbDatabase>> Open(
      const std::string& path);
  ~AsnMmdbDatabase();
  AsnMmdbDatabase(const AsnMmdbDatabase&) = delete;
  AsnMmdbDatabase& operator=(const AsnMmdbDatabase&) = delete;
  std::optional<AutonomousSystem> Lookup(const ds_net_key& net) const;
  const std::string& description() const { return description_; }

 private:
  AsnMmdbDatabase() = default;
  MMDB_s mmdb_ = {};
  std::string description_;
};

class AsnDatabase {
 public:
  // `ipv4_csv`, `ipv6_csv`: rows "first,last,asn,name" with addresses as
  // decimal integers (asn-ipv4-num.csv, asn-ipv6-num.csv).
  static absl::StatusOr<std::unique_ptr<AsnDatabase>> Open(
      const std::string& ipv4_csv, const std::string& ipv6_csv);
  std::optional<AutonomousSystem> Lookup(const ds_net_key& net) const;
  const std::string& description() const { return description_; }

 private:
  struct Range {
    unsigned __int128 first, last;
    uint32_t asn;
    uint32_t name;  // index into names_
  };
  absl::Status Load(const std::string& path, std::vector<Range>& ranges);
  std::optional<AutonomousSystem> Find(const std::vector<Range>& ranges,
                                       unsigned __int128 address) const;

  std::vector<Range> ipv4_, ipv6_;
  std::vector<std::string> names_;
  std::string description_;
};

struct Origin {
  std::string country;  // "" if unknown
  uint32_t asn = 0;     // 0 if unknown
  std::string as_name;
};

// Both databases, each optional: a missing one is reported once (in
// warnings()) and its columns stay empty.
class OriginLookup {
 public:
  static std::unique_ptr<OriginLookup> Open(const std::string& geo_dir);
  // Another lookup over the same databases (read-only, shared) with a
  // cache of its own: one per thread.
  std::unique_ptr<OriginLookup> Clone() const;

  const Origin& Of(const ds_net_key& net);
  bool has_countries() const { return countries_ != nullptr; }
  bool has_asns() const { return asns_ != nullptr || asn_mmdb_ != nullptr; }
  // The databases used, with versions, for the report's sources line.
  std::vector<std::string> sources() const;
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::shared_ptr<const CountryDatabase> countries_;
  std::shared_ptr<const AsnDatabase> asns_;          // the npm CSVs, or
  std::shared_ptr<const AsnMmdbDatabase> asn_mmdb_;  // GeoLite2-ASN.mmdb
  std::vector<std::string> warnings_;
  // Node-based: Of() hands out references that later lookups keep valid.
  absl::node_hash_map<ds_net_key, Origin> cache_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_ENRICH_ORIGIN_H_
