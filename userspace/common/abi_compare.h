// Equality, ordering and hashing for the ABI structs
// (include/darkscope/abi.h), so that the agent can key ordered maps and
// hash maps by them and tests can compare them.
// Every ABI struct is plain bytes with explicit padding, so byte-wise
// comparison is exact. Keys order as their bytes do (memcmp order), compared
// a word at a time: the drain sorts millions of them per interval.
#ifndef DARKSCOPE_COMMON_ABI_COMPARE_H_
#define DARKSCOPE_COMMON_ABI_COMPARE_H_

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "darkscope/abi.h"

namespace darkscope {

template <typename T>
concept AbiStruct = std::is_same_v<T, ds_port_stats> ||
    std::is_same_v<T, ds_traffic> || std::is_same_v<T, ds_net_key> ||
    std::is_same_v<T, ds_source_stats> || std::is_same_v<T, ds_dest_stats> ||
    std::is_same_v<T, ds_flow_key> || std::is_same_v<T, ds_flow_stats>;

}  // namespace darkscope

template <darkscope::AbiStruct T>
bool operator==(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

namespace darkscope::abi_internal {

// memcmp order, eight bytes at a time (byte-swapped so that the first byte
// is the most significant), then four.
template <size_t kSize>
inline int CompareBytes(const void* a, const void* b) {
  const unsigned char* pa = static_cast<const unsigned char*>(a);
  const unsigned char* pb = static_cast<const unsigned char*>(b);
  size_t at = 0;
  for (; at + 8 <= kSize; at += 8) {
    uint64_t x, y;
    std::memcpy(&x, pa + at, 8);
    std::memcpy(&y, pb + at, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  }
  if constexpr (kSize % 8 != 0) {
    return std::memcmp(pa + at, pb + at, kSize - at);
  }
  return 0;
}

}  // namespace darkscope::abi_internal

template <darkscope::AbiStruct T>
bool operator<(const T& a, const T& b) {
  return darkscope::abi_internal::CompareBytes<sizeof(T)>(&a, &b) < 0;
}

// absl's hash of the same bytes that operator== compares.
template <typename H, darkscope::AbiStruct T>
H AbslHashValue(H state, const T& value) {
  return H::combine_contiguous(std::move(state),
                               reinterpret_cast<const unsigned char*>(&value),
                               sizeof(T));
}

#endif  // DARKSCOPE_COMMON_ABI_COMPARE_H_
