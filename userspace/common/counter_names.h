// The names of the data plane's counters (enum ds_counter), as snapshots,
// `darkscope cat` and monitoring scripts spell them, generated from the
// ABI header's DS_COUNTER_LIST. Stable: scripts rely on them.
#ifndef DARKSCOPE_COMMON_COUNTER_NAMES_H_
#define DARKSCOPE_COMMON_COUNTER_NAMES_H_

#include <array>

#include "darkscope/abi.h"

namespace darkscope {

inline constexpr std::array<const char*, DS_CTR_COUNT> kCounterNames = {
#define DS_COUNTER_NAME(NAME, name, doc) #name,
    DS_COUNTER_LIST(DS_COUNTER_NAME)
#undef DS_COUNTER_NAME
};

// What each counter counts, as docs/snapshot-format.md lists it.
inline constexpr std::array<const char*, DS_CTR_COUNT> kCounterDocs = {
#define DS_COUNTER_DOC(NAME, name, doc) doc,
    DS_COUNTER_LIST(DS_COUNTER_DOC)
#undef DS_COUNTER_DOC
};

// Protocol slot names (DS_SLOT_*).
inline constexpr std::array<const char*, DS_SLOT_COUNT> kSlotNames = {
    "tcp", "udp", "icmp", "icmpv6", "other"};

}  // namespace darkscope

#endif  // DARKSCOPE_COMMON_COUNTER_NAMES_H_
