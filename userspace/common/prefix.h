// Darknet prefixes: parsing and validating the CIDR blocks an operator
// gives (--prefix 198.18.0.0/15, --prefix 2001:db8::/32), checking the set
// (no block given twice or inside another, none holding an address of the
// host), counting the addresses it covers, and printing networks of the ABI
// (ds_net_key) the way reports show them.
#ifndef DARKSCOPE_COMMON_PREFIX_H_
#define DARKSCOPE_COMMON_PREFIX_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "darkscope/abi.h"

namespace darkscope {

// An IPv4 or IPv6 prefix with no host bits set.
struct Prefix {
  int family = DS_FAMILY_IPV4;        // DS_FAMILY_IPV4 or DS_FAMILY_IPV6
  std::array<uint8_t, 16> addr = {};  // network order; IPv4 in [0..3]
  int length = 0;                     // prefix length in bits

  std::string ToString() const;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

// Parses "a.b.c.d/len" or "x::y/len". The darknet membership bitmap has one
// bit per IPv4 /24, so IPv4 prefixes longer than /24 are refused; so are
// prefixes with host bits set (a likely typo: 198.18.1.0/15).
absl::StatusOr<Prefix> ParseDarknetPrefix(absl::string_view cidr);

// True when `inner` lies inside `outer` (the same family, and `outer`'s
// first length bits equal); false when either is not a valid prefix.
bool PrefixContains(const Prefix& outer, const Prefix& inner);

// A darknet is a set of disjoint blocks: a prefix given twice or lying
// inside another is refused (never merged silently: a typo or a stale list
// is likelier than intent), the error naming both.
absl::Status CheckPrefixesDisjoint(absl::Span<const Prefix> prefixes);

// An address of this host, on the interface named.
struct HostAddress {
  std::string interface;
  Prefix address;  // length 32 or 128
};

// Refuses prefixes that hold one of `host`'s addresses: the program would
// count (and with the drop action, drop) the host's own traffic; 0.0.0.0/0
// cut the host off. The error names the prefix, the address and the
// interface, and the flag that allows it anyway.
absl::Status CheckNoHostAddresses(absl::Span<const Prefix> prefixes,
                                  absl::Span<const HostAddress> host);

// The number of IPv4 addresses `prefixes` cover, each counted once however
// many prefixes hold it (snapshots of agents before CheckPrefixesDisjoint
// may list overlapping ones); invalid entries (a crafted file) count 0.
uint64_t Ipv4AddressCount(absl::Span<const Prefix> prefixes);

// Parses a plain address ("203.0.113.7", "2001:db8::1").
absl::StatusOr<Prefix> ParseAddress(absl::string_view text);

// The network of a source or destination address: its /24 (IPv4) or /48
// (IPv6), as the tables key it.
ds_net_key NetKeyOf(const Prefix& address);

// "203.0.113.0/24" or "2001:db8:1::/48".
std::string NetKeyToString(const ds_net_key& key);

}  // namespace darkscope

#endif  // DARKSCOPE_COMMON_PREFIX_H_
