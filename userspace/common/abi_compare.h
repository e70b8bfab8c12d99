// Equality and ordering for the ABI structs (include/darkscope/abi.h), so
// that the agent can key ordered maps by them and tests can compare them.
// Every ABI struct is plain bytes with explicit padding, so byte-wise
// comparison is exact.
#ifndef DARKSCOPE_COMMON_ABI_COMPARE_H_
#define DARKSCOPE_COMMON_ABI_COMPARE_H_

#include <cstring>
#include <type_traits>

#include "darkscope/abi.h"

namespace darkscope {

template <typename T>
concept AbiStruct =
    std::is_same_v<T, ds_port_stats> || std::is_same_v<T, ds_traffic> ||
    std::is_same_v<T, ds_net_key> || std::is_same_v<T, ds_source_stats> ||
    std::is_same_v<T, ds_dest_stats> || std::is_same_v<T, ds_flow_key>;

}  // namespace darkscope

template <darkscope::AbiStruct T>
bool operator==(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <darkscope::AbiStruct T>
bool operator<(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) < 0;
}

#endif  // DARKSCOPE_COMMON_ABI_COMPARE_H_
