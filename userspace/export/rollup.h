// The hourly and daily roll-ups (ports, src_ports, sources and flows by
// hour and by day; export/schema.h), inserted by the export itself, one INSERT
// per roll-up table per batch, so that each roll-up table is exactly-once on
// its own, whatever happened to the base tables' INSERTs:
//  - cluster: the batch's rows are summed here, per (sensor, hour|day,
//    key), and sent as one block per table, the same bytes on every retry;
//    each Replicated roll-up table drops a block it already holds. Every
//    row carries `block`, a hash of the batch's snapshots, so that two
//    batches whose sums are equal (one sensor, one hour, the same counts in
//    two intervals) are two different blocks, not one deduplicated;
//  - single node (no deduplication): the server adds to the roll-up what
//    it lacks of its base table, key by key, for the sensors' hours or days
//    the batch touches (the base table's count() and sums minus the
//    roll-up's `rows` and sums). Sent again after any failure, it adds
//    only what is still missing, so it cannot double what is in.
#ifndef DARKSCOPE_EXPORT_ROLLUP_H_
#define DARKSCOPE_EXPORT_ROLLUP_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "export/row_binary.h"
#include "export/schema.h"
#include "snapshot/snapshot.h"

namespace darkscope {

// The `block` of a batch: FNV-1a 64 over its files' content hashes, in
// order.
uint64_t RollupBlockId(const std::vector<uint64_t>& content_hashes);

// Appends `rollup`'s rows for `snapshots`, summed per (sensor, step, key),
// each with `block`, in the order the keys first come in `snapshots` (the
// same snapshots give the same bytes).
void EncodeRollupRows(const ClickHouseTable& rollup,
                      const std::vector<const Snapshot*>& snapshots,
                      uint64_t block, RowBinary& rows);

// The INSERT ... SELECT that adds to `rollup` what it lacks of its base
// table for the steps (hours or days) of the given (sensor, interval
// start) pairs; its new rows carry `block`.
std::string RollupCatchUpStatement(
    const SchemaTarget& target, const ClickHouseTable& rollup,
    const std::vector<std::pair<std::string, int64_t>>& intervals,
    uint64_t block);

}  // namespace darkscope

#endif  // DARKSCOPE_EXPORT_ROLLUP_H_
