// Names for what the tables key by number or code, as the seed reports
// print them: a port's service from the system's services database
// (/etc/services, IANA's names), and a country's ISO 3166 name from
// Debian's iso-codes, in English or translated (its gettext catalogues:
// Japanese for the JPCERT/CC-style tables). Both are optional: a missing
// file leaves the names empty and says so in warnings().
#ifndef DARKSCOPE_ENRICH_NAMES_H_
#define DARKSCOPE_ENRICH_NAMES_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace darkscope {

// The most a file of names or networks may hold (/etc/services, the
// iso-codes catalogues and a known-scanners list are far smaller).
inline constexpr uint64_t kMaxEnrichmentFileBytes = 64 << 20;

// The text of the regular file `path`, at most kMaxEnrichmentFileBytes; a
// FIFO, device or directory is refused before any read. Errors start with
// `what` ("services database") and name the file.
absl::StatusOr<std::string> ReadEnrichmentFile(const std::string& path,
                                               const char* what);

inline constexpr const char* kServicesFile = "/etc/services";
inline constexpr const char* kIsoCodesDir = "/usr/share/iso-codes/json";
inline constexpr const char* kLocaleDir = "/usr/share/locale";

class ServiceNames {
 public:
  // Lines "name port/proto [aliases] [# comment]".
  static absl::StatusOr<ServiceNames> Load(const std::string& path);
  // "ssh" for (22, "tcp"); "" when the database has none.
  std::string Of(uint16_t port, const std::string& proto) const;
  size_t size() const { return names_.size(); }

 private:
  std::map<std::pair<uint16_t, std::string>, std::string> names_;
};

// The msgid -> msgstr pairs of a gettext .mo catalogue.
absl::StatusOr<std::map<std::string, std::string>> ReadMoCatalogue(
    const std::string& path);

class CountryNames {
 public:
  // iso_3166-1.json of `iso_codes_dir`; with `language` other than "en",
  // LOCALE_DIR/LANGUAGE/LC_MESSAGES/iso_3166-1.mo translates the names.
  static absl::StatusOr<CountryNames> Load(const std::string& language,
                                           const std::string& iso_codes_dir,
                                           const std::string& locale_dir);
  // The short name ("South Korea", "韓国" where iso-codes has one, else
  // the ISO name) of an alpha-2 code; "" if unknown.
  std::string Of(const std::string& alpha2) const;
  size_t size() const { return names_.size(); }

 private:
  std::map<std::string, std::string> names_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_ENRICH_NAMES_H_
