// Parsing and printing of prefixes and networks.
#include "common/prefix.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace darkscope {
namespace {

bool HostBitsZero(const std::array<uint8_t, 16>& addr, int length) {
  for (int bit = length; bit < 128; ++bit) {
    if (addr[bit / 8] & (0x80 >> (bit % 8))) return false;
  }
  return true;
}

std::string AddressToString(int family, const uint8_t* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == DS_FAMILY_IPV4 ? AF_INET : AF_INET6, addr, text,
            sizeof(text));
  return text;
}

}  // namespace

std::string Prefix::ToString() const {
  return absl::StrCat(AddressToString(family, addr.data()), "/", length);
}

absl::StatusOr<Prefix> ParseAddress(absl::string_view text) {
  Prefix address;
  std::string copy(text);
  if (inet_pton(AF_INET, copy.c_str(), address.addr.data()) == 1) {
    address.family = DS_FAMILY_IPV4;
    address.length = 32;
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.addr.data()) == 1) {
    address.family = DS_FAMILY_IPV6;
    address.length = 128;
    return address;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("parse address '", text, "': not an IPv4 or IPv6 address"));
}

absl::StatusOr<Prefix> ParseDarknetPrefix(absl::string_view cidr) {
  size_t slash = cidr.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("parse prefix '", cidr,
                     "': expected address/length, e.g. 198.18.0.0/15"));
  }
  absl::StatusOr<Prefix> address = ParseAddress(cidr.substr(0, slash));
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parse prefix '", cidr, "': '", cidr.substr(0, slash),
                     "' is not an IPv4 or IPv6 address"));
  }
  Prefix prefix = *address;
  int length = -1;
  if (!absl::SimpleAtoi(cidr.substr(slash + 1), &length) || length < 0 ||
      length > prefix.length) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parse prefix '", cidr, "': length must be 0..", prefix.length));
  }
  if (prefix.family == DS_FAMILY_IPV4 && length > 24) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parse prefix '", cidr,
        "': IPv4 darknet prefixes must be /24 or shorter (membership is kept "
        "per destination /24)"));
  }
  // IPv4 fills the first 4 bytes and the rest is zero, so one check serves
  // both families.
  if (!HostBitsZero(prefix.addr, length)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parse prefix '", cidr, "': host bits are set after /", length));
  }
  prefix.length = length;
  return prefix;
}

namespace {

int FamilyBits(int family) { return family == DS_FAMILY_IPV4 ? 32 : 128; }

bool Valid(const Prefix& p) {
  return (p.family == DS_FAMILY_IPV4 || p.family == DS_FAMILY_IPV6) &&
         p.length >= 0 && p.length <= FamilyBits(p.family);
}

// Prefixes in address order, a block before the blocks inside it: then a
// block overlaps an earlier one exactly when it lies inside the last block
// kept that is not inside another (CIDR blocks nest or are disjoint).
std::vector<Prefix> Sorted(absl::Span<const Prefix> prefixes) {
  std::vector<Prefix> sorted(prefixes.begin(), prefixes.end());
  std::sort(sorted.begin(), sorted.end(), [](const Prefix& a, const Prefix& b) {
    if (a.family != b.family) return a.family < b.family;
    if (a.addr != b.addr) return a.addr < b.addr;
    return a.length < b.length;
  });
  return sorted;
}

}  // namespace

bool PrefixContains(const Prefix& outer, const Prefix& inner) {
  if (!Valid(outer) || !Valid(inner) || outer.family != inner.family ||
      outer.length > inner.length) {
    return false;
  }
  const int whole = outer.length / 8;
  if (!std::equal(outer.addr.begin(), outer.addr.begin() + whole,
                  inner.addr.begin())) {
    return false;
  }
  const int rest = outer.length % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (outer.addr[whole] & mask) == (inner.addr[whole] & mask);
}

absl::Status CheckPrefixesDisjoint(absl::Span<const Prefix> prefixes) {
  const std::vector<Prefix> sorted = Sorted(prefixes);
  const Prefix* last = nullptr;
  for (const Prefix& p : sorted) {
    if (last != nullptr && PrefixContains(*last, p)) {
      if (*last == p) {
        return absl::InvalidArgumentError(
            absl::StrCat("prefix ", p.ToString(),
                         " is given twice; give each darknet block once"));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "prefix ", p.ToString(), " lies inside prefix ", last->ToString(),
          ": overlapping blocks would count their addresses twice; give each "
          "darknet block once"));
    }
    last = &p;
  }
  return absl::OkStatus();
}

absl::Status CheckNoHostAddresses(absl::Span<const Prefix> prefixes,
                                  absl::Span<const HostAddress> host) {
  for (const Prefix& p : prefixes) {
    for (const HostAddress& h : host) {
      if (!PrefixContains(p, h.address)) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          "prefix ", p.ToString(), " holds ",
          AddressToString(h.address.family, h.address.addr.data()),
          ", an address of this host (", h.interface,
          "): its traffic would be counted as darknet traffic and, with "
          "--darknet-action drop, dropped; a darknet is unused address space "
          "(--allow-own-addresses to watch it anyway)"));
    }
  }
  return absl::OkStatus();
}

uint64_t Ipv4AddressCount(absl::Span<const Prefix> prefixes) {
  uint64_t addresses = 0;
  const Prefix* last = nullptr;
  const std::vector<Prefix> sorted = Sorted(prefixes);
  for (const Prefix& p : sorted) {
    if (p.family != DS_FAMILY_IPV4 || !Valid(p)) continue;
    if (last != nullptr && PrefixContains(*last, p)) continue;
    addresses += uint64_t{1} << (32 - p.length);
    last = &p;
  }
  return addresses;
}

ds_net_key NetKeyOf(const Prefix& address) {
  ds_net_key key = {};
  key.family = static_cast<uint8_t>(address.family);
  int bytes = address.family == DS_FAMILY_IPV4 ? 3 : 6;
  for (int i = 0; i < bytes; ++i) key.prefix[i] = address.addr[i];
  return key;
}

std::string NetKeyToString(const ds_net_key& key) {
  uint8_t addr[16] = {};
  if (key.family == DS_FAMILY_IPV4) {
    for (int i = 0; i < 3; ++i) addr[i] = key.prefix[i];
    return absl::StrCat(AddressToString(DS_FAMILY_IPV4, addr), "/24");
  }
  for (int i = 0; i < 6; ++i) addr[i] = key.prefix[i];
  return absl::StrCat(AddressToString(DS_FAMILY_IPV6, addr), "/48");
}

}  // namespace darkscope
