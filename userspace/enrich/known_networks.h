// Known scanners: source networks with a name (research scanners such as
// Censys or Shodan, a university's measurement project), read from a text
// file of lines "CIDR NAME" (docs/enrichment.md). Reports label the top
// sources with these names and can leave the networks out
// (--exclude-known), so that research scans stand apart from malware.
//
// The data plane counts sources per IPv4 /24 and IPv6 /48: a network is
// known when it overlaps a listed CIDR, so a listed /32 names its whole
// /24 (the file's narrower entries are reported as such).
#ifndef DARKSCOPE_ENRICH_KNOWN_NETWORKS_H_
#define DARKSCOPE_ENRICH_KNOWN_NETWORKS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "darkscope/abi.h"

namespace darkscope {

class KnownNetworks {
 public:
  // Lines "CIDR NAME..." (the name is the rest of the line), blank lines
  // and '#' comments skipped; `what` (the file) names errors with the line.
  static absl::StatusOr<KnownNetworks> Parse(absl::string_view text,
                                             const std::string& what);
  static absl::StatusOr<KnownNetworks> Load(const std::string& path);

  // The name of the first listed CIDR overlapping `net`, or nullptr.
  const std::string* NameOf(const ds_net_key& net) const;
  size_t size() const { return entries_.size(); }
  // Entries narrower than the network the data plane counts (/24, /48).
  int narrower_than_networks() const { return narrower_; }

 private:
  struct Entry {
    int family;
    unsigned __int128 first, last;  // the CIDR's addresses, IPv4 in the low
                                    // 32 bits
    std::string name;
  };
  std::vector<Entry> entries_;
  int narrower_ = 0;
};

}  // namespace darkscope

#endif  // DARKSCOPE_ENRICH_KNOWN_NETWORKS_H_
