/* darkscope's kernel/user ABI: every key, value, setting and counter index
 * that crosses the boundary between the XDP program (bpf/) and the agent
 * (userspace/). Both sides include this one header; each struct has a size
 * assert on both sides, and tests/abi_btf_test.cc compares every struct with
 * the BTF of the compiled object.
 *
 * Rules: fixed-width types only, explicit padding, no bool, bitfield or
 * enum-typed fields. Multi-byte fields are host byte order unless typed
 * __be16/__be32. See docs/maps.md for who writes and reads each map.
 */
#ifndef DARKSCOPE_ABI_H_
#define DARKSCOPE_ABI_H_

#include <linux/types.h>

/* Bumped whenever a map's key or value layout changes; pinned map names and
 * snapshot files carry it. */
#define DS_ABI_VERSION 4

/* Two sets of counter maps: the program counts into one while the agent
 * drains the other. */
#define DS_EPOCHS 2

/* ds_net_key.family values. */
#define DS_FAMILY_IPV4 4
#define DS_FAMILY_IPV6 6

/* Protocol slots of the port-indexed tables (ds_ports, ds_src_ports, and
 * ds_flow_key.proto_slot). */
#define DS_SLOT_TCP    0 /* port = TCP port */
#define DS_SLOT_UDP    1 /* port = UDP port */
#define DS_SLOT_ICMP   2 /* port = ICMP type */
#define DS_SLOT_ICMPV6 3 /* port = ICMPv6 type */
#define DS_SLOT_OTHER  4 /* port = IP protocol number (last IPv6 next header) */
#define DS_SLOT_COUNT  5

/* ds_ports is an array indexed by (slot, port): TCP and UDP take 65536
 * entries each, ICMP, ICMPv6 and other protocols 256 each. */
#define DS_PORT_INDEX_TCP    0u
#define DS_PORT_INDEX_UDP    65536u
#define DS_PORT_INDEX_ICMP   131072u
#define DS_PORT_INDEX_ICMPV6 (131072u + 256u)
#define DS_PORT_INDEX_OTHER  (131072u + 512u)
#define DS_PORT_INDEX_COUNT  (131072u + 768u)

/* ds_src_ports holds TCP and UDP only: index = slot * 65536 + source port.
 * A shared, memory-mappable array (atomic adds), unlike ds_ports, which is
 * per CPU. */
#define DS_SRC_PORT_INDEX_COUNT 131072u

/* ds_touched, per epoch: one bit per entry of ds_ports, then one per entry
 * of ds_src_ports, in __u64 words (bit i of the bitmap: word i / 64, bit
 * i % 64). The program sets an entry's bit when its packets there (its
 * CPU's, for ds_ports) go from 0 to 1, so every nonzero entry has its bit set; the drain
 * reads and clears only the entries of nonzero words (docs/maps.md). The
 * bitmap is a memory-mappable array (BPF_F_MMAPABLE), read in place. */
#define DS_TOUCHED_PORT_WORDS	  ((DS_PORT_INDEX_COUNT + 63u) / 64u)
#define DS_TOUCHED_SRC_PORT_WORDS ((DS_SRC_PORT_INDEX_COUNT + 63u) / 64u)
#define DS_TOUCHED_WORDS	  (DS_TOUCHED_PORT_WORDS + DS_TOUCHED_SRC_PORT_WORDS)

/* Default bounds of the keyed tables; the agent may change them before load. */
#define DS_SOURCES_MAX	    262144u
#define DS_DESTINATIONS_MAX 65536u
#define DS_FLOWS_MAX	    1048576u
#define DS_DARK_V6_MAX	    64u

/* ds_sources and ds_flows are dense tables (docs/maps.md): records in an
 * array, numbered from 1 in the order their keys first came (entry 0 is the
 * table's header), found through an open-addressed index, an array of
 * __u32 entries: 0 empty, else (tag << DS_INDEX_TAG_SHIFT) | record number,
 * the tag being the top 8 bits of the key's hash. The index has a power of
 * two entries, at least DS_INDEX_LOAD times the bound, probed linearly up to
 * DS_INDEX_PROBES entries. A record number fits in DS_INDEX_TAG_SHIFT bits,
 * which bounds the tables. */
#define DS_INDEX_TAG_SHIFT  24
#define DS_INDEX_RECORD_MAX ((1u << DS_INDEX_TAG_SHIFT) - 2u)
#define DS_INDEX_LOAD	    2u
#define DS_INDEX_PROBES	    32

/* A source's first flows are found through its own record, not the flow
 * index: each ds_source_record holds DS_SOURCE_FLOW_SLOTS entries shaped
 * as index entries (0, or tag << DS_INDEX_TAG_SHIFT | flow record number),
 * the first probes of each of its flows' probe sequences; the flow index
 * takes the rest (a source with more flows, or a source the table had no
 * room for). A flow record found through its source has index_slot
 * DS_INDEX_SLOT_INLINE. The flow index is a random page of megabytes per
 * packet; the source's record is in the cache already. */
#define DS_SOURCE_FLOW_SLOTS 12
#define DS_INDEX_SLOT_INLINE 0xffffffffu

/* ds_dark_v4 is a bitmap with one bit per IPv4 /24: 2^24 bits in __u64
 * words. Word index = daddr >> 14, bit = (daddr >> 8) & 63 (host order). */
#define DS_DARK_V4_WORDS 262144u

/* ds_xsks (XSKMAP) entries: rx queues 0 .. DS_XSK_QUEUES_MAX - 1 can have
 * an AF_XDP socket; sampled packets on higher queues are counted as
 * DS_CTR_SAMPLE_QUEUE_OUT_OF_RANGE. */
#define DS_XSK_QUEUES_MAX 256u

/* IPv6 extension headers walked before giving up (counted as
 * DS_CTR_IPV6_EXT_LIMIT). */
#define DS_IPV6_EXT_MAX 6

/* Distinct-port sketch of a source network: 32 buckets of 16 bits (PCSA),
 * packed four buckets to a __u64. See include/darkscope/sketch.h. */
#define DS_PORT_SKETCH_BUCKETS 32
#define DS_PORT_SKETCH_BITS    16
#define DS_PORT_SKETCH_WORDS   8

/* Host bitmap of a network: one bit per IPv4 host (exact), or per hash
 * bucket of the IPv6 interface bits (an estimate). */
#define DS_HOST_BITMAP_WORDS 4

/* Indexes into the per-CPU counter block (struct ds_counters). Named and
 * append-only (a new counter goes at the end of DS_COUNTER_LIST): the
 * agent prints them by name. Identities the
 * tests check:
 *   PACKETS_SEEN = NON_IP + NON_DARKNET + DARKNET_PACKETS + MALFORMED_ETH
 *                  + MALFORMED_VLAN + VLAN_TOO_DEEP + MALFORMED_IPV4
 *                  + MALFORMED_IPV6
 *   DARKNET_PACKETS = sum of the classes (TCP_SYN .. FRAGMENT)
 *                     + IPV6_EXT_LIMIT + MALFORMED_IPV6_EXT
 *                     + MALFORMED_TCP + MALFORMED_UDP + MALFORMED_ICMP
 *                     + MALFORMED_ICMPV6
 *   PACKETS_SEEN = ACTION_PASS + ACTION_DROP + ACTION_REDIRECT
 *   SAMPLE_BY_RATE + SAMPLE_BY_FIRST = SAMPLE_RATE_LIMITED
 *                     + SAMPLE_REDIRECTED + SAMPLE_NO_SOCKET
 *                     + SAMPLE_QUEUE_OUT_OF_RANGE
 *   SAMPLE_REDIRECTED = ACTION_REDIRECT
 */
/* The counters, in index order: X(NAME, name, "what it counts"). The
 * enum, the names snapshots and monitoring print (userspace
 * common/counter_names.h) and the table in docs/snapshot-format.md all come
 * from this one list (a test compares the docs with it). */
#define DS_COUNTER_LIST(X)                                                         \
	X(PACKETS_SEEN, packets_seen, "every frame the program ran on")            \
	X(BYTES_SEEN, bytes_seen, "their frame bytes")                             \
	X(NON_IP, non_ip, "neither IPv4 nor IPv6: passed")                         \
	X(NON_DARKNET, non_darknet,                                                \
	  "IP, destination outside the darknet: passed")                           \
	X(DARKNET_PACKETS, darknet_packets, "destination inside the darknet")      \
	X(DARKNET_BYTES, darknet_bytes, "their frame bytes")                       \
	X(IPV4, ipv4, "darknet packets over IPv4")                                 \
	X(IPV6, ipv6, "darknet packets over IPv6")                                 \
	X(VLAN_TAGGED, vlan_tagged,                                                \
	  "darknet packets with one or two VLAN tags")                             \
	/* Classes of darknet packets: each counted packet is in exactly one, \
	 * unless its L4 header was malformed. */    \
	X(TCP_SYN, tcp_syn, "SYN without ACK: a scan probe")                       \
	X(TCP_SYNACK, tcp_synack, "SYN+ACK: backscatter")                          \
	X(TCP_RST, tcp_rst, "RST (with or without ACK): backscatter")              \
	X(TCP_OTHER, tcp_other, "any other TCP flags")                             \
	X(UDP, udp, "UDP datagrams")                                               \
	X(ICMP_ECHO, icmp_echo, "ICMP echo request / ICMPv6 128")                  \
	X(ICMP_ERROR, icmp_error,                                                  \
	  "unreachable, time exceeded, ...: backscatter")                          \
	X(ICMP_OTHER, icmp_other,                                                  \
	  "other ICMP/ICMPv6 types (echo reply included)")                         \
	X(OTHER_PROTO, other_proto, "neither TCP, UDP, ICMP nor ICMPv6")           \
	X(FRAGMENT, fragment, "non-first fragment: no L4 header")                  \
	/* Fingerprints and backscatter (a packet may carry several). */           \
	X(MIRAI, mirai, "TCP SYN, seq == IPv4 destination")                        \
	X(ZMAP, zmap, "IPv4 id == 54321")                                          \
	X(MASSCAN, masscan, "TCP SYN, id == (daddr ^ dport ^ seq) & 0xffff")       \
	X(BACKSCATTER, backscatter,                                                \
	  "SYN-ACK, RST, ICMP error or echo reply, UDP from source port 53")       \
	/* Frames that could not be parsed; passed when the destination could \
	 * not be read, counted as darknet traffic when it could. */    \
	X(MALFORMED_ETH, malformed_eth, "shorter than an Ethernet header")         \
	X(MALFORMED_VLAN, malformed_vlan, "truncated VLAN tag")                    \
	X(VLAN_TOO_DEEP, vlan_too_deep, "a third VLAN tag: passed")                \
	X(MALFORMED_IPV4, malformed_ipv4,                                          \
	  "truncated header or options, bad version, IHL < 5, total length "       \
	  "out of range")                                                          \
	X(MALFORMED_IPV6, malformed_ipv6,                                          \
	  "truncated fixed header, bad version")                                   \
	X(MALFORMED_IPV6_EXT, malformed_ipv6_ext,                                  \
	  "truncated extension header")                                            \
	X(IPV6_EXT_LIMIT, ipv6_ext_limit,                                          \
	  "more than DS_IPV6_EXT_MAX extension headers")                           \
	X(MALFORMED_TCP, malformed_tcp, "truncated header or data offset < 5")     \
	X(MALFORMED_UDP, malformed_udp, "truncated UDP header")                    \
	X(MALFORMED_ICMP, malformed_icmp, "truncated ICMP header")                 \
	X(MALFORMED_ICMPV6, malformed_icmpv6, "truncated ICMPv6 header")           \
	/* Bounded tables: updates that did not fit (the packet is still counted \
	 * everywhere else). */ \
	X(OVERFLOW_SOURCES, overflow_sources,                                      \
	  "a source network that did not fit in ds_sources")                       \
	X(OVERFLOW_DESTINATIONS, overflow_destinations,                            \
	  "a destination /24 that did not fit in ds_dests")                        \
	X(OVERFLOW_FLOWS, overflow_flows,                                          \
	  "a (source, protocol, port) that did not fit in ds_flows")               \
	/* An epoch's map was missing from its outer map: the agent's bug, the \
	 * packet is passed uncounted beyond this counter. */   \
	X(EPOCH_MAP_MISSING, epoch_map_missing,                                    \
	  "the epoch's map was missing from its outer map")                        \
	/* The program's verdicts. */                                              \
	X(ACTION_PASS, action_pass, "verdict XDP_PASS")                            \
	X(ACTION_DROP, action_drop, "verdict XDP_DROP")                            \
	/* Sampling (struct ds_sample_policy): darknet packets picked for the \
	 * AF_XDP sample, and what became of them. A packet picked by both \
	 * rules counts under BY_RATE only. */    \
	X(SAMPLE_BY_RATE, sample_by_rate, "picked as one in `rate`")               \
	X(SAMPLE_BY_FIRST, sample_by_first,                                        \
	  "picked as one of the first `first` packets of its source network "      \
	  "in the interval")                                                       \
	X(SAMPLE_RATE_LIMITED, sample_rate_limited,                                \
	  "picked, but this CPU's token bucket was empty: not sampled")            \
	X(SAMPLE_REDIRECTED, sample_redirected,                                    \
	  "handed to the rx queue's AF_XDP socket")                                \
	/* Redirect failures the program sees, by reason; the packet gets the \
	 * darknet verdict instead. Drops after a redirect (the socket's rx \
	 * ring full) are the socket's XDP_STATISTICS, in the agent's summary. */    \
	X(SAMPLE_NO_SOCKET, sample_no_socket,                                      \
	  "no socket in ds_xsks for the queue")                                    \
	X(SAMPLE_QUEUE_OUT_OF_RANGE, sample_queue_out_of_range,                    \
	  "rx queue >= DS_XSK_QUEUES_MAX")                                         \
	X(ACTION_REDIRECT, action_redirect, "verdict XDP_REDIRECT: sampled")

enum ds_counter {
#define DS_COUNTER_ENUM(NAME, name, doc) DS_CTR_##NAME,
	DS_COUNTER_LIST(DS_COUNTER_ENUM)
#undef DS_COUNTER_ENUM
	DS_CTR_COUNT,
};

/* ds_control's only entry: written by the agent, read by the program once
 * per packet. */
struct ds_control {
	__u32 epoch; /* which set of counter maps to count into: 0 or 1 */
	__u32 pad;   /* zero */
};

/* ds_sample_policy's only entry: which darknet packets go to the AF_XDP
 * sample. Written by the agent at any time (the program reads it once per
 * darknet packet); all zero, the map's initial state, samples nothing. */
struct ds_sample_policy {
	__u32 rate;	/* 1 in `rate` darknet packets per CPU (the CPU's
			 * darknet_packets counter is a multiple of it);
			 * 0: none, 1: all */
	__u32 first;	/* also the first `first` packets of each source
			 * network (IPv4 /24, IPv6 /48) in the interval; 0: off */
	__u64 token_ns; /* rate limit per CPU: nanoseconds of credit one
			 * sampled packet costs (1e9 / packets per second);
			 * 0: no limit */
	__u64 burst_ns; /* most credit a CPU's bucket holds, >= token_ns */
};

/* ds_sample_bucket value (per CPU): the token bucket of the rate limit. */
struct ds_sample_bucket {
	__u64 credit_ns; /* credit left, at most burst_ns */
	__u64 last_ns;	 /* bpf_ktime_get_ns() of the last refill; 0: never,
			  * the bucket starts full */
};

/* Load-time settings, a `const volatile` global filled through the
 * skeleton before load. */
struct ds_config {
	__u32 darknet_action; /* XDP_DROP (default) or XDP_PASS for darknet packets */
	__u32 per_cpu_hashes; /* 1: ds_dests is a PERCPU_HASH map updated with
			       * plain adds; 0: a shared HASH map updated with
			       * atomics (ds_sources and ds_flows are shared
			       * dense tables either way) */
	__u64 hash_seed;      /* seeds the dense tables' index hash; random per
			       * load */
	__u32 sources_bound;  /* records ds_sources may hold (1..bound) */
	__u32 source_index_mask; /* ds_source_index entries - 1 */
	__u32 flows_bound;	 /* records ds_flows may hold */
	__u32 flow_index_mask;	 /* ds_flow_index entries - 1 */
};

/* ds_counters' only entry (per CPU): the counters of one interval. */
struct ds_counters {
	__u64 value[DS_CTR_COUNT]; /* indexed by enum ds_counter */
};

/* What a destination port/type received in an interval: ds_ports' counts
 * with their SYN-ACKs (ds_port_stats_of), as snapshots keep them. */
struct ds_port_stats {
	__u64 packets;	   /* darknet packets to this destination port/type */
	__u64 bytes;	   /* their frame bytes */
	__u64 syn;	   /* TCP SYN without ACK */
	__u64 synack;	   /* TCP SYN+ACK */
	__u64 rst;	   /* TCP RST */
	__u64 mirai;	   /* Mirai fingerprint */
	__u64 zmap;	   /* ZMap fingerprint */
	__u64 masscan;	   /* Masscan fingerprint */
	__u64 backscatter; /* backscatter classes */
};

/* ds_ports value (per CPU), key = port index (DS_PORT_INDEX_*): one cache
 * line, where ds_port_stats' 72 bytes always span two. SYN-ACKs are not
 * counted: a TCP port's backscatter is its SYN-ACKs and its RSTs, so they
 * are the difference (ds_port_stats_of). */
struct ds_port_counts {
	__u64 packets;	   /* darknet packets to this destination port/type */
	__u64 bytes;	   /* their frame bytes */
	__u64 syn;	   /* TCP SYN without ACK */
	__u64 rst;	   /* TCP RST */
	__u64 mirai;	   /* Mirai fingerprint */
	__u64 zmap;	   /* ZMap fingerprint */
	__u64 masscan;	   /* Masscan fingerprint */
	__u64 backscatter; /* backscatter classes */
};

/* Packets and bytes: the value of ds_src_ports. */
struct ds_traffic {
	__u64 packets;
	__u64 bytes; /* frame bytes */
};

/* A network: IPv4 /24 or IPv6 /48. Key of ds_sources and ds_dests. */
struct ds_net_key {
	__u8 family;	/* DS_FAMILY_IPV4 or DS_FAMILY_IPV6 */
	__u8 pad;	/* zero */
	__u8 prefix[6]; /* network order: IPv4 /24 in [0..2] with [3..5] zero;
			 * IPv6 /48 in [0..5] */
};

/* ds_sources value: one source network in one interval. */
struct ds_source_stats {
	__u64 packets;
	__u64 bytes;
	__u64 hosts[DS_HOST_BITMAP_WORDS]; /* bit per source host */
	__u64 port_sketch
		[DS_PORT_SKETCH_WORDS]; /* distinct destination ports of
						   * probes: TCP SYN, UDP from
						   * ports >= 1024 */
	__u64 synack; /* TCP SYN+ACK from this network: it is the victim of a
		       * SYN flood spoofing darknet addresses */
	__u64 rst;    /* TCP RST from this network: the same, for floods of
		       * other TCP packets */
};

/* ds_dests value: one destination network inside the darknet. */
struct ds_dest_stats {
	__u64 packets;
	__u64 bytes;
	__u64 hosts[DS_HOST_BITMAP_WORDS]; /* bit per destination host hit */
};

/* ds_flows key: (source network, protocol, destination port). */
struct ds_flow_key {
	struct ds_net_key src; /* source network */
	__u8 proto_slot;       /* DS_SLOT_* */
	__u8 pad;	       /* zero */
	__u16 port;	       /* as in ds_ports: port, ICMP type or protocol */
};

/* ds_flows value: one (source network, protocol, port) in one interval.
 * The fingerprints are counted per source here as well as per port in
 * ds_ports, so that a report restricted to sources (a country) has them. */
struct ds_flow_stats {
	__u64 packets;
	__u64 bytes;   /* frame bytes */
	__u64 mirai;   /* of the packets: Mirai fingerprint */
	__u64 zmap;    /* ZMap fingerprint */
	__u64 masscan; /* Masscan fingerprint */
};

/* A record of ds_sources (a dense table, DS_INDEX_*): the key, where the
 * index points to it, the counts. Entry 0 is the table's header: its
 * stats.packets counts the record numbers handed out (it may pass the
 * bound, and a number handed out may stay unused: a record whose packets
 * are 0 holds nothing). Records are written only by the program; the drain
 * reads records 1 .. min(header, bound) and zeroes them with their index
 * entries. */
struct ds_source_record {
	struct ds_net_key key;
	__u32 pad;	  /* zero */
	__u32 index_slot; /* the ds_source_index entry that holds this record */
	struct ds_source_stats stats;
	__u32 flows[DS_SOURCE_FLOW_SLOTS]; /* this source's first flows */
};

/* A record of ds_flows, laid out as ds_source_record (the counts at the
 * same offset; entry 0 the header, its stats.packets the numbers handed
 * out). */
struct ds_flow_record {
	struct ds_flow_key key;
	__u32 index_slot; /* the ds_flow_index entry that holds this record, or
			   * DS_INDEX_SLOT_INLINE: one of its source's flows */
	struct ds_flow_stats stats;
};

/* ds_dark_v6 key: an LPM trie key for IPv6 darknet prefixes. */
struct ds_v6_prefix_key {
	__u32 prefixlen; /* bits, 0..128 */
	__u8 addr[16];	 /* network order */
};

#ifdef __cplusplus
#define DS_ABI_STATIC_ASSERT static_assert
#else
#define DS_ABI_STATIC_ASSERT _Static_assert
#endif
#define DS_ABI_ASSERT_SIZE(type, size)                                         \
	DS_ABI_STATIC_ASSERT(sizeof(struct type) == (size),                    \
			     #type " layout changed")
DS_ABI_ASSERT_SIZE(ds_control, 8);
DS_ABI_ASSERT_SIZE(ds_config, 32);
DS_ABI_ASSERT_SIZE(ds_sample_policy, 24);
DS_ABI_ASSERT_SIZE(ds_sample_bucket, 16);
DS_ABI_ASSERT_SIZE(ds_counters, 8 * DS_CTR_COUNT);
DS_ABI_ASSERT_SIZE(ds_port_stats, 72);
DS_ABI_ASSERT_SIZE(ds_port_counts, 64); /* one cache line */
DS_ABI_ASSERT_SIZE(ds_traffic, 16);
DS_ABI_ASSERT_SIZE(ds_net_key, 8);
DS_ABI_ASSERT_SIZE(ds_source_stats, 128);
DS_ABI_ASSERT_SIZE(ds_dest_stats, 48);
DS_ABI_ASSERT_SIZE(ds_flow_key, 12);
DS_ABI_ASSERT_SIZE(ds_flow_stats, 40);
DS_ABI_ASSERT_SIZE(ds_v6_prefix_key, 20);
DS_ABI_ASSERT_SIZE(ds_source_record, 192); /* three whole cache lines */
DS_ABI_ASSERT_SIZE(ds_flow_record, 56);

/* The program counts sources and destinations with one helper: a source's
 * value begins as a destination's does. */
#define DS_ABI_SAME_OFFSET(a, b, field)                                        \
	DS_ABI_STATIC_ASSERT(__builtin_offsetof(struct a, field) ==            \
				     __builtin_offsetof(struct b, field),      \
			     #a "." #field " moved")
DS_ABI_SAME_OFFSET(ds_source_stats, ds_dest_stats, packets);
DS_ABI_SAME_OFFSET(ds_source_stats, ds_dest_stats, bytes);
DS_ABI_SAME_OFFSET(ds_source_stats, ds_dest_stats, hosts);
/* Both dense tables keep the index entry's position at offset 12 and their
 * counts (and the header's count) at offset 16. */
DS_ABI_SAME_OFFSET(ds_source_record, ds_flow_record, index_slot);
DS_ABI_STATIC_ASSERT(__builtin_offsetof(struct ds_source_record, stats) == 16,
		     "ds_source_record.stats moved");
DS_ABI_STATIC_ASSERT(__builtin_offsetof(struct ds_flow_record, stats) == 16,
		     "ds_flow_record.stats moved");

/* Index of (slot, port) in ds_ports; ICMP types and protocols use the low
 * 8 bits. */
static inline __u32 ds_port_index(__u32 slot, __u32 port)
{
	switch (slot) {
	case DS_SLOT_TCP:
		return DS_PORT_INDEX_TCP + (port & 0xffff);
	case DS_SLOT_UDP:
		return DS_PORT_INDEX_UDP + (port & 0xffff);
	case DS_SLOT_ICMP:
		return DS_PORT_INDEX_ICMP + (port & 0xff);
	case DS_SLOT_ICMPV6:
		return DS_PORT_INDEX_ICMPV6 + (port & 0xff);
	default:
		return DS_PORT_INDEX_OTHER + (port & 0xff);
	}
}

/* A port's counts as ds_ports holds them for protocol slot `slot`, with
 * their SYN-ACKs: TCP's backscatter less its RSTs (a RST with SYN and ACK
 * set counts as a RST); other slots have none. */
static inline struct ds_port_stats
ds_port_stats_of(__u32 slot, const struct ds_port_counts *c)
{
	struct ds_port_stats s = {
		.packets = c->packets,
		.bytes = c->bytes,
		.syn = c->syn,
		.synack = slot == DS_SLOT_TCP ? c->backscatter - c->rst : 0,
		.rst = c->rst,
		.mirai = c->mirai,
		.zmap = c->zmap,
		.masscan = c->masscan,
		.backscatter = c->backscatter,
	};

	return s;
}

#endif /* DARKSCOPE_ABI_H_ */
