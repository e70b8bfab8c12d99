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
#define DS_ABI_VERSION 1

/* Two sets of counter maps: the program counts into one while the agent
 * drains the other. */
#define DS_EPOCHS 2

/* ds_net_key.family values. */
#define DS_FAMILY_IPV4 4
#define DS_FAMILY_IPV6 6

/* Protocol slots of the port-indexed tables (ds_ports, ds_src_ports, and
 * ds_flow_key.proto_slot). */
#define DS_SLOT_TCP 0    /* port = TCP port */
#define DS_SLOT_UDP 1    /* port = UDP port */
#define DS_SLOT_ICMP 2   /* port = ICMP type */
#define DS_SLOT_ICMPV6 3 /* port = ICMPv6 type */
#define DS_SLOT_OTHER 4  /* port = IP protocol number (last IPv6 next header) */
#define DS_SLOT_COUNT 5

/* ds_ports is an array indexed by (slot, port): TCP and UDP take 65536
 * entries each, ICMP, ICMPv6 and other protocols 256 each. */
#define DS_PORT_INDEX_TCP 0u
#define DS_PORT_INDEX_UDP 65536u
#define DS_PORT_INDEX_ICMP 131072u
#define DS_PORT_INDEX_ICMPV6 (131072u + 256u)
#define DS_PORT_INDEX_OTHER (131072u + 512u)
#define DS_PORT_INDEX_COUNT (131072u + 768u)

/* ds_src_ports holds TCP and UDP only: index = slot * 65536 + source port. */
#define DS_SRC_PORT_INDEX_COUNT 131072u

/* Default bounds of the hash tables; the agent may change them before load. */
#define DS_SOURCES_MAX 262144u
#define DS_DESTINATIONS_MAX 65536u
#define DS_FLOWS_MAX 1048576u
#define DS_DARK_V6_MAX 64u

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
#define DS_PORT_SKETCH_BITS 16
#define DS_PORT_SKETCH_WORDS 8

/* Host bitmap of a network: one bit per IPv4 host (exact), or per hash
 * bucket of the IPv6 interface bits (an estimate). */
#define DS_HOST_BITMAP_WORDS 4

/* Indexes into the per-CPU counter block (struct ds_counters). Named,
 * numbered and append-only: the agent prints them by name. Identities the
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
enum ds_counter {
	DS_CTR_PACKETS_SEEN = 0,  /* every frame the program ran on */
	DS_CTR_BYTES_SEEN = 1,    /* their frame bytes */
	DS_CTR_NON_IP = 2,        /* neither IPv4 nor IPv6: passed */
	DS_CTR_NON_DARKNET = 3,   /* IP, destination outside the darknet: passed */
	DS_CTR_DARKNET_PACKETS = 4, /* destination inside the darknet */
	DS_CTR_DARKNET_BYTES = 5, /* their frame bytes */
	DS_CTR_IPV4 = 6,          /* darknet packets over IPv4 */
	DS_CTR_IPV6 = 7,          /* darknet packets over IPv6 */
	DS_CTR_VLAN_TAGGED = 8,   /* darknet packets with one or two VLAN tags */
	/* Classes of darknet packets: each counted packet is in exactly one,
	 * unless its L4 header was malformed. */
	DS_CTR_TCP_SYN = 9,       /* SYN without ACK: a scan probe */
	DS_CTR_TCP_SYNACK = 10,   /* SYN+ACK: backscatter */
	DS_CTR_TCP_RST = 11,      /* RST (with or without ACK): backscatter */
	DS_CTR_TCP_OTHER = 12,    /* any other TCP flags */
	DS_CTR_UDP = 13,
	DS_CTR_ICMP_ECHO = 14,    /* ICMP echo request / ICMPv6 128 */
	DS_CTR_ICMP_ERROR = 15,   /* unreachable, time exceeded, ...: backscatter */
	DS_CTR_ICMP_OTHER = 16,   /* other ICMP/ICMPv6 types (echo reply included) */
	DS_CTR_OTHER_PROTO = 17,  /* neither TCP, UDP, ICMP nor ICMPv6 */
	DS_CTR_FRAGMENT = 18,     /* non-first fragment: no L4 header */
	/* Fingerprints and backscatter (a packet may carry several). */
	DS_CTR_MIRAI = 19,        /* TCP SYN, seq == IPv4 destination */
	DS_CTR_ZMAP = 20,         /* IPv4 id == 54321 */
	DS_CTR_MASSCAN = 21,      /* TCP SYN, id == (daddr ^ dport ^ seq) & 0xffff */
	DS_CTR_BACKSCATTER = 22,  /* SYN-ACK, RST, ICMP error or echo reply,
				   * UDP from source port 53 */
	/* Frames that could not be parsed; passed when the destination could
	 * not be read, counted as darknet traffic when it could. */
	DS_CTR_MALFORMED_ETH = 23,  /* shorter than an Ethernet header */
	DS_CTR_MALFORMED_VLAN = 24, /* truncated VLAN tag */
	DS_CTR_VLAN_TOO_DEEP = 25,  /* a third VLAN tag: passed */
	DS_CTR_MALFORMED_IPV4 = 26, /* truncated header or options, bad version,
				     * IHL < 5, total length out of range */
	DS_CTR_MALFORMED_IPV6 = 27, /* truncated fixed header, bad version */
	DS_CTR_MALFORMED_IPV6_EXT = 28, /* truncated extension header */
	DS_CTR_IPV6_EXT_LIMIT = 29, /* more than DS_IPV6_EXT_MAX extension headers */
	DS_CTR_MALFORMED_TCP = 30,  /* truncated header or data offset < 5 */
	DS_CTR_MALFORMED_UDP = 31,
	DS_CTR_MALFORMED_ICMP = 32,
	DS_CTR_MALFORMED_ICMPV6 = 33,
	/* Bounded tables: updates that did not fit (the packet is still counted
	 * everywhere else). */
	DS_CTR_OVERFLOW_SOURCES = 34,
	DS_CTR_OVERFLOW_DESTINATIONS = 35,
	DS_CTR_OVERFLOW_FLOWS = 36,
	/* An epoch's map was missing from its outer map: the agent's bug, the
	 * packet is passed uncounted beyond this counter. */
	DS_CTR_EPOCH_MAP_MISSING = 37,
	/* The program's verdicts. */
	DS_CTR_ACTION_PASS = 38,
	DS_CTR_ACTION_DROP = 39,
	/* Sampling (struct ds_sample_policy): darknet packets picked for the
	 * AF_XDP sample, and what became of them. A packet picked by both
	 * rules counts under BY_RATE only. */
	DS_CTR_SAMPLE_BY_RATE = 40,    /* picked as one in `rate` */
	DS_CTR_SAMPLE_BY_FIRST = 41,   /* picked as one of the first `first`
					* packets of its source network in the
					* interval */
	DS_CTR_SAMPLE_RATE_LIMITED = 42, /* picked, but this CPU's token bucket
					  * was empty: not sampled */
	DS_CTR_SAMPLE_REDIRECTED = 43, /* handed to the rx queue's AF_XDP socket */
	/* Redirect failures the program sees, by reason; the packet gets the
	 * darknet verdict instead. Drops after a redirect (the socket's rx
	 * ring full) are the socket's XDP_STATISTICS, in the agent's summary. */
	DS_CTR_SAMPLE_NO_SOCKET = 44,  /* no socket in ds_xsks for the queue */
	DS_CTR_SAMPLE_QUEUE_OUT_OF_RANGE = 45, /* rx queue >= DS_XSK_QUEUES_MAX */
	DS_CTR_ACTION_REDIRECT = 46,   /* verdict XDP_REDIRECT: sampled */
	DS_CTR_COUNT = 47,
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
	__u32 rate;     /* 1 in `rate` darknet packets per CPU (the CPU's
			 * darknet_packets counter is a multiple of it);
			 * 0: none, 1: all */
	__u32 first;    /* also the first `first` packets of each source
			 * network (IPv4 /24, IPv6 /48) in the interval; 0: off */
	__u64 token_ns; /* rate limit per CPU: nanoseconds of credit one
			 * sampled packet costs (1e9 / packets per second);
			 * 0: no limit */
	__u64 burst_ns; /* most credit a CPU's bucket holds, >= token_ns */
};

/* ds_sample_bucket value (per CPU): the token bucket of the rate limit. */
struct ds_sample_bucket {
	__u64 credit_ns; /* credit left, at most burst_ns */
	__u64 last_ns;   /* bpf_ktime_get_ns() of the last refill; 0: never,
			  * the bucket starts full */
};

/* Load-time settings, a `const volatile` global filled through the
 * skeleton before load. */
struct ds_config {
	__u32 darknet_action; /* XDP_DROP (default) or XDP_PASS for darknet packets */
	__u32 per_cpu_hashes; /* 1: ds_sources, ds_dests and ds_flows are
			       * PERCPU_HASH maps updated with plain adds; 0:
			       * shared HASH maps updated with atomics */
};

/* ds_counters' only entry (per CPU): the counters of one interval. */
struct ds_counters {
	__u64 value[DS_CTR_COUNT]; /* indexed by enum ds_counter */
};

/* ds_ports value (per CPU), key = port index (DS_PORT_INDEX_*). */
struct ds_port_stats {
	__u64 packets;     /* darknet packets to this destination port/type */
	__u64 bytes;       /* their frame bytes */
	__u64 syn;         /* TCP SYN without ACK */
	__u64 synack;      /* TCP SYN+ACK */
	__u64 rst;         /* TCP RST */
	__u64 mirai;       /* Mirai fingerprint */
	__u64 zmap;        /* ZMap fingerprint */
	__u64 masscan;     /* Masscan fingerprint */
	__u64 backscatter; /* backscatter classes */
};

/* Packets and bytes: the value of ds_src_ports (per CPU) and ds_flows. */
struct ds_traffic {
	__u64 packets;
	__u64 bytes; /* frame bytes */
};

/* A network: IPv4 /24 or IPv6 /48. Key of ds_sources and ds_dests. */
struct ds_net_key {
	__u8 family;    /* DS_FAMILY_IPV4 or DS_FAMILY_IPV6 */
	__u8 pad;       /* zero */
	__u8 prefix[6]; /* network order: IPv4 /24 in [0..2] with [3..5] zero;
			 * IPv6 /48 in [0..5] */
};

/* ds_sources value: one source network in one interval. */
struct ds_source_stats {
	__u64 packets;
	__u64 bytes;
	__u64 hosts[DS_HOST_BITMAP_WORDS];        /* bit per source host */
	__u64 port_sketch[DS_PORT_SKETCH_WORDS];  /* distinct destination ports of
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
	__u8 pad;              /* zero */
	__u16 port;            /* as in ds_ports: port, ICMP type or protocol */
};

/* ds_dark_v6 key: an LPM trie key for IPv6 darknet prefixes. */
struct ds_v6_prefix_key {
	__u32 prefixlen; /* bits, 0..128 */
	__u8 addr[16];   /* network order */
};

#ifdef __cplusplus
#define DS_ABI_STATIC_ASSERT static_assert
#else
#define DS_ABI_STATIC_ASSERT _Static_assert
#endif
#define DS_ABI_ASSERT_SIZE(type, size) \
	DS_ABI_STATIC_ASSERT(sizeof(struct type) == (size), #type " layout changed")
DS_ABI_ASSERT_SIZE(ds_control, 8);
DS_ABI_ASSERT_SIZE(ds_config, 8);
DS_ABI_ASSERT_SIZE(ds_sample_policy, 24);
DS_ABI_ASSERT_SIZE(ds_sample_bucket, 16);
DS_ABI_ASSERT_SIZE(ds_counters, 8 * DS_CTR_COUNT);
DS_ABI_ASSERT_SIZE(ds_port_stats, 72);
DS_ABI_ASSERT_SIZE(ds_traffic, 16);
DS_ABI_ASSERT_SIZE(ds_net_key, 8);
DS_ABI_ASSERT_SIZE(ds_source_stats, 128);
DS_ABI_ASSERT_SIZE(ds_dest_stats, 48);
DS_ABI_ASSERT_SIZE(ds_flow_key, 12);
DS_ABI_ASSERT_SIZE(ds_v6_prefix_key, 20);

/* The program counts sources and destinations with one helper: a source's
 * value begins as a destination's does. */
#define DS_ABI_SAME_OFFSET(a, b, field) \
	DS_ABI_STATIC_ASSERT(__builtin_offsetof(struct a, field) == \
				     __builtin_offsetof(struct b, field), \
			     #a "." #field " moved")
DS_ABI_SAME_OFFSET(ds_source_stats, ds_dest_stats, packets);
DS_ABI_SAME_OFFSET(ds_source_stats, ds_dest_stats, bytes);
DS_ABI_SAME_OFFSET(ds_source_stats, ds_dest_stats, hosts);

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

#endif /* DARKSCOPE_ABI_H_ */
