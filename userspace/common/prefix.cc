// Parsing and printing of prefixes and networks.
#include "common/prefix.h"

#include <arpa/inet.h>

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
    return absl::InvalidArgumentError(absl::StrCat(
        "parse prefix '", cidr, "': expected address/length, e.g. 198.18.0.0/15"));
  }
  absl::StatusOr<Prefix> address = ParseAddress(cidr.substr(0, slash));
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parse prefix '", cidr, "': '", cidr.substr(0, slash),
        "' is not an IPv4 or IPv6 address"));
  }
  Prefix prefix = *address;
  int length = -1;
  if (!absl::SimpleAtoi(cidr.substr(slash + 1), &length) || length < 0 ||
      length > prefix.length) {
    return absl::InvalidArgumentError(
        absl::StrCat("parse prefix '", cidr, "': length must be 0..",
                     prefix.length));
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
