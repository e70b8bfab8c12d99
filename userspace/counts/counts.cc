// Merging counts: every sum over intervals (reports, roll-ups, tests) goes
// through AddCounts.
#include "counts/counts.h"

#include <cstddef>
#include <cstring>
#include <iterator>

namespace darkscope {
namespace {

// The __u64 words of an ABI value that merge by OR (host sets, sketches):
// [first, end). Every other word is a count and adds.
struct OrWords {
  size_t first = 0, end = 0;
};

template <typename T>
void AddWords(const T& from, T& into, OrWords or_words) {
  uint64_t a[sizeof(T) / 8], b[sizeof(T) / 8];
  std::memcpy(a, &from, sizeof(T));
  std::memcpy(b, &into, sizeof(T));
  for (size_t w = 0; w < std::size(a); ++w) {
    b[w] = w >= or_words.first && w < or_words.end ? b[w] | a[w] : b[w] + a[w];
  }
  std::memcpy(&into, b, sizeof(T));
}

// Both tables are sorted: each key of `from` is placed from the position
// after the previous one, which costs no tree descent when keys repeat or
// come in order.
template <typename Map>
void AddTable(const Map& from, Map& into, OrWords or_words) {
  auto hint = into.begin();
  for (const auto& [key, value] : from) {
    hint = into.try_emplace(hint, key);
    AddWords(value, hint->second, or_words);
    ++hint;
  }
}

}  // namespace

void AddCounts(const EpochCounts& from, EpochCounts& into) {
  for (int i = 0; i < DS_CTR_COUNT; ++i) into.counters[i] += from.counters[i];
  AddTable(from.ports, into.ports, OrWords{});
  AddTable(from.src_ports, into.src_ports, OrWords{});
  AddTable(from.flows, into.flows, OrWords{});
  // Host sets and port sketches merge; the counts around them add.
  AddTable(from.sources, into.sources,
           OrWords{offsetof(ds_source_stats, hosts) / 8,
                   offsetof(ds_source_stats, synack) / 8});
  AddTable(
      from.destinations, into.destinations,
      OrWords{offsetof(ds_dest_stats, hosts) / 8, sizeof(ds_dest_stats) / 8});
}

}  // namespace darkscope
