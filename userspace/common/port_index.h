// The inverse of ds_port_index(): which protocol slot and port (ICMP type,
// IP protocol) an index of ds_ports stands for.
#ifndef DARKSCOPE_COMMON_PORT_INDEX_H_
#define DARKSCOPE_COMMON_PORT_INDEX_H_

#include <cstdint>

#include "darkscope/abi.h"

namespace darkscope {

struct SlotPort {
  uint8_t slot;   // DS_SLOT_*
  uint16_t port;  // port, ICMP type or protocol number
};

inline SlotPort SlotPortOfIndex(uint32_t index) {
  if (index < DS_PORT_INDEX_UDP)
    return {DS_SLOT_TCP, static_cast<uint16_t>(index)};
  if (index < DS_PORT_INDEX_ICMP) {
    return {DS_SLOT_UDP, static_cast<uint16_t>(index - DS_PORT_INDEX_UDP)};
  }
  if (index < DS_PORT_INDEX_ICMPV6) {
    return {DS_SLOT_ICMP, static_cast<uint16_t>(index - DS_PORT_INDEX_ICMP)};
  }
  if (index < DS_PORT_INDEX_OTHER) {
    return {DS_SLOT_ICMPV6,
            static_cast<uint16_t>(index - DS_PORT_INDEX_ICMPV6)};
  }
  return {DS_SLOT_OTHER, static_cast<uint16_t>(index - DS_PORT_INDEX_OTHER)};
}

}  // namespace darkscope

#endif  // DARKSCOPE_COMMON_PORT_INDEX_H_
