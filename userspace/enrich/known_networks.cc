// Known scanners' networks, from a file of "CIDR NAME" lines.
#include "enrich/known_networks.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/prefix.h"
#include "enrich/names.h"

namespace darkscope {
namespace {

using u128 = unsigned __int128;

// The address of a Prefix (IPv4 in the low 32 bits).
u128 AddressNumber(const Prefix& p) {
  const int bytes = p.family == DS_FAMILY_IPV4 ? 4 : 16;
  u128 n = 0;
  for (int i = 0; i < bytes; ++i) n = n << 8 | p.addr[i];
  return n;
}

// [first, last] of a network key: its /24 or /48.
std::pair<u128, u128> NetRange(const ds_net_key& net) {
  if (net.family == DS_FAMILY_IPV4) {
    const u128 first = u128{net.prefix[0]} << 24 | u128{net.prefix[1]} << 16 |
                       u128{net.prefix[2]} << 8;
    return {first, first | 0xff};
  }
  u128 first = 0;
  for (int i = 0; i < 6; ++i) first = first << 8 | net.prefix[i];
  first <<= 80;
  return {first, first | ((u128{1} << 80) - 1)};
}

}  // namespace

absl::StatusOr<KnownNetworks> KnownNetworks::Parse(absl::string_view text,
                                                   const std::string& what) {
  KnownNetworks known;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(
          "known networks ", what, " line ", line_number, ": ", why,
          " (expected CIDR NAME, e.g. 192.0.2.0/24 Example Research)"));
    };
    const size_t space = line.find_first_of(" \t");
    if (space == absl::string_view::npos) return bad("no name");
    const absl::string_view cidr = line.substr(0, space);
    const std::string name(absl::StripAsciiWhitespace(line.substr(space)));
    const std::vector<absl::string_view> parts = absl::StrSplit(cidr, '/');
    absl::StatusOr<Prefix> address = ParseAddress(parts[0]);
    if (!address.ok())
      return bad(absl::StrCat("'", parts[0], "' not an address"));
    const int bits = address->family == DS_FAMILY_IPV4 ? 32 : 128;
    int length = bits;
    if (parts.size() > 2 ||
        (parts.size() == 2 && (!absl::SimpleAtoi(parts[1], &length) ||
                               length < 0 || length > bits))) {
      return bad(absl::StrCat("'", cidr, "' not a CIDR"));
    }
    const u128 host_mask =
        length == 128 ? 0 : ((u128{1} << (bits - length)) - 1);
    const u128 first = AddressNumber(*address) & ~host_mask;
    known.entries_.push_back({address->family, first, first | host_mask, name});
    if (length > (address->family == DS_FAMILY_IPV4 ? 24 : 48))
      ++known.narrower_;
  }
  return known;
}

absl::StatusOr<KnownNetworks> KnownNetworks::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ReadEnrichmentFile(path, "known networks");
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

const std::string* KnownNetworks::NameOf(const ds_net_key& net) const {
  const auto [first, last] = NetRange(net);
  for (const Entry& e : entries_) {
    if (e.family == net.family && e.first <= last && first <= e.last)
      return &e.name;
  }
  return nullptr;
}

}  // namespace darkscope
