// The ABI header against the compiled object: every struct that crosses the
// kernel boundary must have, in the BTF that clang emitted for the XDP
// program, the size and member offsets that the agent's compiler gives the
// same header. A mismatch means the two sides read different layouts.
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "darkscope/abi.h"
#include "gtest/gtest.h"

namespace darkscope::testing {
namespace {

struct Member {
  std::string name;
  size_t offset;
};

struct AbiStructCase {
  std::string name;
  size_t size;
  std::vector<Member> members;
};

#define DS_MEMBER(type, field) \
  Member { #field, offsetof(type, field) }

std::vector<AbiStructCase> Cases() {
  return {
      {"ds_control",
       sizeof(ds_control),
       {DS_MEMBER(ds_control, epoch), DS_MEMBER(ds_control, pad)}},
      {"ds_config",
       sizeof(ds_config),
       {DS_MEMBER(ds_config, darknet_action),
        DS_MEMBER(ds_config, per_cpu_hashes), DS_MEMBER(ds_config, hash_seed),
        DS_MEMBER(ds_config, sources_bound),
        DS_MEMBER(ds_config, source_index_mask),
        DS_MEMBER(ds_config, flows_bound),
        DS_MEMBER(ds_config, flow_index_mask)}},
      {"ds_counters", sizeof(ds_counters), {DS_MEMBER(ds_counters, value)}},
      {"ds_sample_policy",
       sizeof(ds_sample_policy),
       {DS_MEMBER(ds_sample_policy, rate), DS_MEMBER(ds_sample_policy, first),
        DS_MEMBER(ds_sample_policy, token_ns),
        DS_MEMBER(ds_sample_policy, burst_ns)}},
      {"ds_sample_bucket",
       sizeof(ds_sample_bucket),
       {DS_MEMBER(ds_sample_bucket, credit_ns),
        DS_MEMBER(ds_sample_bucket, last_ns)}},
      {"ds_port_counts",
       sizeof(ds_port_counts),
       {DS_MEMBER(ds_port_counts, packets), DS_MEMBER(ds_port_counts, bytes),
        DS_MEMBER(ds_port_counts, syn), DS_MEMBER(ds_port_counts, rst),
        DS_MEMBER(ds_port_counts, mirai), DS_MEMBER(ds_port_counts, zmap),
        DS_MEMBER(ds_port_counts, masscan),
        DS_MEMBER(ds_port_counts, backscatter)}},
      {"ds_traffic",
       sizeof(ds_traffic),
       {DS_MEMBER(ds_traffic, packets), DS_MEMBER(ds_traffic, bytes)}},
      {"ds_net_key",
       sizeof(ds_net_key),
       {DS_MEMBER(ds_net_key, family), DS_MEMBER(ds_net_key, pad),
        DS_MEMBER(ds_net_key, prefix)}},
      {"ds_source_stats",
       sizeof(ds_source_stats),
       {DS_MEMBER(ds_source_stats, packets), DS_MEMBER(ds_source_stats, bytes),
        DS_MEMBER(ds_source_stats, hosts),
        DS_MEMBER(ds_source_stats, port_sketch),
        DS_MEMBER(ds_source_stats, synack), DS_MEMBER(ds_source_stats, rst)}},
      {"ds_dest_stats",
       sizeof(ds_dest_stats),
       {DS_MEMBER(ds_dest_stats, packets), DS_MEMBER(ds_dest_stats, bytes),
        DS_MEMBER(ds_dest_stats, hosts)}},
      {"ds_flow_key",
       sizeof(ds_flow_key),
       {DS_MEMBER(ds_flow_key, src), DS_MEMBER(ds_flow_key, proto_slot),
        DS_MEMBER(ds_flow_key, pad), DS_MEMBER(ds_flow_key, port)}},
      {"ds_flow_stats",
       sizeof(ds_flow_stats),
       {DS_MEMBER(ds_flow_stats, packets), DS_MEMBER(ds_flow_stats, bytes),
        DS_MEMBER(ds_flow_stats, mirai), DS_MEMBER(ds_flow_stats, zmap),
        DS_MEMBER(ds_flow_stats, masscan)}},
      {"ds_v6_prefix_key",
       sizeof(ds_v6_prefix_key),
       {DS_MEMBER(ds_v6_prefix_key, prefixlen),
        DS_MEMBER(ds_v6_prefix_key, addr)}},
      {"ds_source_record",
       sizeof(ds_source_record),
       {DS_MEMBER(ds_source_record, key), DS_MEMBER(ds_source_record, pad),
        DS_MEMBER(ds_source_record, index_slot),
        DS_MEMBER(ds_source_record, stats),
        DS_MEMBER(ds_source_record, flows)}},
      {"ds_flow_record",
       sizeof(ds_flow_record),
       {DS_MEMBER(ds_flow_record, key), DS_MEMBER(ds_flow_record, index_slot),
        DS_MEMBER(ds_flow_record, stats)}},
  };
}

struct BtfDeleter {
  void operator()(btf* b) const { btf__free(b); }
};

class AbiBtfTest : public ::testing::TestWithParam<AbiStructCase> {
 protected:
  static void SetUpTestSuite() {
    btf_.reset(btf__parse_elf(DARKSCOPE_BPF_OBJECT, nullptr));
  }
  static std::unique_ptr<btf, BtfDeleter> btf_;
};
std::unique_ptr<btf, BtfDeleter> AbiBtfTest::btf_;

TEST_P(AbiBtfTest, MatchesCompiledObject) {
  ASSERT_NE(btf_, nullptr) << "btf__parse_elf " << DARKSCOPE_BPF_OBJECT;
  const AbiStructCase& expected = GetParam();
  int id = btf__find_by_name_kind(btf_.get(), expected.name.c_str(),
                                  BTF_KIND_STRUCT);
  ASSERT_GT(id, 0) << expected.name << " is not in the object's BTF";
  const btf_type* type = btf__type_by_id(btf_.get(), id);
  EXPECT_EQ(btf__resolve_size(btf_.get(), id),
            static_cast<long>(expected.size));
  ASSERT_EQ(btf_vlen(type), expected.members.size())
      << expected.name << " has a different number of members";
  const btf_member* members = btf_members(type);
  for (size_t i = 0; i < expected.members.size(); ++i) {
    EXPECT_EQ(btf__name_by_offset(btf_.get(), members[i].name_off),
              expected.members[i].name);
    EXPECT_EQ(btf_member_bit_offset(type, i), expected.members[i].offset * 8)
        << expected.name << "." << expected.members[i].name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Structs, AbiBtfTest, ::testing::ValuesIn(Cases()),
    [](const ::testing::TestParamInfo<AbiStructCase>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace darkscope::testing
