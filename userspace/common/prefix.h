// Darknet prefixes: parsing and validating the CIDR blocks an operator
// gives (--prefix 198.18.0.0/15, --prefix 2001:db8::/32), and printing
// networks of the ABI (ds_net_key) the way reports show them.
#ifndef DARKSCOPE_COMMON_PREFIX_H_
#define DARKSCOPE_COMMON_PREFIX_H_

#include <array>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "darkscope/abi.h"

namespace darkscope {

// An IPv4 or IPv6 prefix with no host bits set.
struct Prefix {
  int family = DS_FAMILY_IPV4;       // DS_FAMILY_IPV4 or DS_FAMILY_IPV6
  std::array<uint8_t, 16> addr = {};  // network order; IPv4 in [0..3]
  int length = 0;                     // prefix length in bits

  std::string ToString() const;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

// Parses "a.b.c.d/len" or "x::y/len". The darknet membership bitmap has one
// bit per IPv4 /24, so IPv4 prefixes longer than /24 are refused; so are
// prefixes with host bits set (a likely typo: 198.18.1.0/15).
absl::StatusOr<Prefix> ParseDarknetPrefix(absl::string_view cidr);

// Parses a plain address ("203.0.113.7", "2001:db8::1").
absl::StatusOr<Prefix> ParseAddress(absl::string_view text);

// The network of a source or destination address: its /24 (IPv4) or /48
// (IPv6), as the tables key it.
ds_net_key NetKeyOf(const Prefix& address);

// "203.0.113.0/24" or "2001:db8:1::/48".
std::string NetKeyToString(const ds_net_key& key);

}  // namespace darkscope

#endif  // DARKSCOPE_COMMON_PREFIX_H_
