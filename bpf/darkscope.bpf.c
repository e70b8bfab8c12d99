// SPDX-License-Identifier: GPL-2.0
/* darkscope's data plane: an XDP program that counts the traffic sent to a
 * darknet at line rate.
 *
 * Top to bottom, for every frame:
 *   1. pick the epoch (the set of counter maps the agent is not draining);
 *   2. parse Ethernet, up to two VLAN tags, IPv4 or IPv6;
 *   3. check that the destination is inside the darknet (a bitmap by /24
 *      for IPv4, an LPM trie for IPv6); everything else passes untouched;
 *   4. walk IPv6 extension headers, parse TCP, UDP, ICMP or ICMPv6;
 *   5. classify (SYN, SYN-ACK, RST, ..., fragment) and fingerprint (Mirai,
 *      ZMap, Masscan, backscatter);
 *   6. count into the epoch's tables;
 *   7. sample: redirect the packet to its rx queue's AF_XDP socket if the
 *      policy picks it and the per-CPU rate limit allows;
 *   8. leave through one exit that counts the verdict.
 *
 * Every key, value and counter index is defined in include/darkscope/abi.h;
 * docs/maps.md says who writes and reads each map and what happens when a
 * bounded one is full.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "darkscope/abi.h"
#include "darkscope/sketch.h"

char LICENSE[] SEC("license") = "GPL";

/* Load-time settings, filled by the agent through the skeleton. */
const volatile struct ds_config config = {
	.darknet_action = XDP_DROP,
	.sources_bound = DS_SOURCES_MAX,
	.source_index_mask = DS_INDEX_LOAD * DS_SOURCES_MAX - 1,
	.flows_bound = DS_FLOWS_MAX,
	.flow_index_mask = DS_INDEX_LOAD * DS_FLOWS_MAX - 1,
};

/* The layout version of the build that loaded the program ("1_3fa2b4c1",
 * LayoutVersion() in userspace/loader/pins.h), filled by the loader and never
 * read here: an agent that finds the program attached to an interface with
 * its pins gone reads it from the .rodata map before adopting the maps. */
const volatile char ds_layout[16] = {};

/* ---- Maps ---------------------------------------------------------------- */

/* The epoch the program counts into; written by the agent at each flip. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ds_control);
} ds_control SEC(".maps");

/* Which darknet packets go to the AF_XDP sample: written by the agent at
 * any time, read once per darknet packet. All zero (the initial state):
 * nothing is sampled. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ds_sample_policy);
} ds_sample_policy SEC(".maps");

/* The rate limit's token bucket, one per CPU; the agent zeroes it (a full
 * bucket) when it changes the policy. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ds_sample_bucket);
} ds_sample_bucket SEC(".maps");

/* The AF_XDP socket of each rx queue, by queue index: filled by the agent's
 * sampler. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, DS_XSK_QUEUES_MAX);
	__type(key, __u32);
	__type(value, __u32);
} ds_xsks SEC(".maps");

/* IPv4 darknet membership: one bit per destination /24. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DS_DARK_V4_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} ds_dark_v4 SEC(".maps");

/* IPv6 darknet membership: longest-prefix match on the destination. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, DS_DARK_V6_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ds_v6_prefix_key);
	__type(value, __u8);
} ds_dark_v6 SEC(".maps");

/* A counter table in two epochs: inner maps name_0 and name_1, reached
 * through the outer ARRAY_OF_MAPS `name` indexed by epoch. The agent swaps
 * fresh inner maps into an outer slot to reset it; the kernel returns from
 * that update only after running programs finished, so the maps it took
 * out are quiescent. */
#define DS_EPOCH_TABLE(name, map_type, flags, key_type, value_type, entries)   \
	struct name##_table {                                                  \
		__uint(type, map_type);                                        \
		__uint(map_flags, flags);                                      \
		__uint(max_entries, entries);                                  \
		__type(key, key_type);                                         \
		__type(value, value_type);                                     \
	} name##_0 SEC(".maps"), name##_1 SEC(".maps");                        \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);                      \
		__uint(max_entries, DS_EPOCHS);                                \
		__type(key, __u32);                                            \
		__array(values, struct name##_table);                          \
	} name SEC(".maps") = {                                                \
		.values = {&name##_0, &name##_1},                              \
	}

/* Per-CPU: every packet writes here, and a few keys (23/tcp) are hot. */
DS_EPOCH_TABLE(ds_counters, BPF_MAP_TYPE_PERCPU_ARRAY, 0, __u32,
	       struct ds_counters, 1);
DS_EPOCH_TABLE(ds_ports, BPF_MAP_TYPE_PERCPU_ARRAY, 0, __u32,
	       struct ds_port_counts, DS_PORT_INDEX_COUNT);
/* Shared, atomic adds: source ports are spread (one entry per packet at
 * random in a flood), so a per-CPU copy costs a pointer and a page more per
 * packet and 2 MB per possible CPU, for contention that seldom happens.
 * Memory-mappable: the drain reads and zeroes the entries ds_touched names
 * in place. */
DS_EPOCH_TABLE(ds_src_ports, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, __u32,
	       struct ds_traffic, DS_SRC_PORT_INDEX_COUNT);
/* Which entries of the two arrays above some CPU touched (abi.h): shared,
 * written once per entry, CPU and epoch, so that the drain reads what an
 * interval touched instead of every entry of every CPU. Memory-mappable:
 * the drain reads and zeroes its 33 KB in place, not in batch syscalls. */
DS_EPOCH_TABLE(ds_touched, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, __u32, __u64,
	       DS_TOUCHED_WORDS);
/* Sources and flows: dense tables (abi.h, DS_INDEX_*), shared and updated
 * with atomics. Records are handed out in order, so an interval's records
 * lie together whatever the bound, and a key costs an index entry and its
 * record: no bucket, no lock, no freelist. Memory-mappable: the drain reads
 * and zeroes them without a syscall per entry. The loader sizes them
 * (bound + 1 records; the index DS_INDEX_LOAD x bound, a power of two). */
DS_EPOCH_TABLE(ds_sources, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, __u32,
	       struct ds_source_record, DS_SOURCES_MAX + 1);
DS_EPOCH_TABLE(ds_source_index, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, __u32,
	       __u32, DS_INDEX_LOAD *DS_SOURCES_MAX);
DS_EPOCH_TABLE(ds_flows, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, __u32,
	       struct ds_flow_record, DS_FLOWS_MAX + 1);
DS_EPOCH_TABLE(ds_flow_index, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, __u32, __u32,
	       DS_INDEX_LOAD *DS_FLOWS_MAX);
/* Destinations: a hash table, shared and updated with atomics by default,
 * PERCPU_HASH when the loader says so (config.per_cpu_hashes). Its keys are
 * the darknet's own networks, few and hot. Preallocated: inserting a new
 * key is a freelist pop, not an allocation. */
DS_EPOCH_TABLE(ds_dests, BPF_MAP_TYPE_HASH, 0, struct ds_net_key,
	       struct ds_dest_stats, DS_DESTINATIONS_MAX);

/* ---- Parsing -------------------------------------------------------------- */

#define DS_ETH_P_8021Q	0x8100
#define DS_ETH_P_8021AD 0x88a8
#define DS_IPPROTO_MH	135
#define DS_TCP_FIN	0x01
#define DS_TCP_SYN	0x02
#define DS_TCP_RST	0x04
#define DS_TCP_ACK	0x10
#define DS_ZMAP_IP_ID	54321
#define DS_DNS_PORT	53

/* Returned by the parse steps: carry on. Any other value is the counter
 * (enum ds_counter) that explains why the packet stops there. */
#define DS_CONTINUE 0u

struct ds_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* ICMP and ICMPv6 share this 8-byte header shape (type, code, checksum,
 * four bytes that depend on the type). <linux/icmp.h> is not used: it
 * pulls in libc headers that do not build for the BPF target. */
struct ds_icmp_hdr {
	__u8 type;
	__u8 code;
	__be16 checksum;
	__be32 rest;
};

#define DS_ICMP_ECHOREPLY      0
#define DS_ICMP_DEST_UNREACH   3
#define DS_ICMP_SOURCE_QUENCH  4
#define DS_ICMP_REDIRECT       5
#define DS_ICMP_ECHO	       8
#define DS_ICMP_TIME_EXCEEDED  11
#define DS_ICMP_PARAMETERPROB  12
#define DS_ICMPV6_DEST_UNREACH 1
#define DS_ICMPV6_PARAMPROB    4
#define DS_ICMPV6_ECHO_REQUEST 128
#define DS_ICMPV6_ECHO_REPLY   129

struct ds_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3, flags in low bits */
	__be32 identification;
};

/* A bounds-checked position in the frame. */
struct ds_cursor {
	void *pos;
	void *end;
};

/* What the program learned about a darknet packet. */
struct ds_packet {
	__u32 frame_len; /* bytes of the whole frame */
	__u32 l4_len;	 /* bytes after the IP header(s), by the IP lengths */
	__u32 outcome;	 /* class or L4 malformation: an enum ds_counter */
	__u8 family;	 /* DS_FAMILY_IPV4 or DS_FAMILY_IPV6 */
	__u8 vlan_depth; /* 0, 1 or 2 */
	__u8 l4_proto;	 /* IPPROTO_* of the transport header */
	__u8 l4_ok;	 /* 1: slot and port are valid */
	__u8 slot;	 /* DS_SLOT_* */
	__u8 fragment;	 /* 1: a non-first fragment */
	__u16 port;	 /* destination port, ICMP type or protocol */
	__u16 sport;	 /* TCP/UDP source port */
	__u16 ip_id;	 /* IPv4 identification, host order */
	__u8 mirai;
	__u8 zmap;
	__u8 masscan;
	__u8 backscatter;
	__u8 pad[2];
	__u8 saddr[16]; /* network order; IPv4 in the first 4 bytes */
	__u8 daddr[16];
};

static __always_inline __u32 parse_ethernet(struct ds_cursor *c,
					    struct ds_packet *pkt,
					    __u16 *ethertype)
{
	struct ethhdr *eth = c->pos;
	struct ds_vlan_hdr *vlan;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return DS_CTR_MALFORMED_ETH;
	proto = bpf_ntohs(eth->h_proto);
	c->pos = eth + 1;

#pragma unroll
	for (i = 0; i < 2; i++) {
		if (proto != DS_ETH_P_8021Q && proto != DS_ETH_P_8021AD)
			break;
		vlan = c->pos;
		if ((void *)(vlan + 1) > c->end)
			return DS_CTR_MALFORMED_VLAN;
		proto = bpf_ntohs(vlan->encap_proto);
		c->pos = vlan + 1;
		pkt->vlan_depth++;
	}
	if (proto == DS_ETH_P_8021Q || proto == DS_ETH_P_8021AD)
		return DS_CTR_VLAN_TOO_DEEP;
	*ethertype = proto;
	return DS_CONTINUE;
}

static __always_inline int dark_v4(__be32 daddr_be)
{
	__u32 daddr = bpf_ntohl(daddr_be);
	__u32 word = daddr >> 14;
	__u64 *bits = bpf_map_lookup_elem(&ds_dark_v4, &word);

	return bits && (*bits & (1ull << ((daddr >> 8) & 63)));
}

static __always_inline int dark_v6(const __u8 *daddr)
{
	struct ds_v6_prefix_key key = {.prefixlen = 128};

	__builtin_memcpy(key.addr, daddr, 16);
	return bpf_map_lookup_elem(&ds_dark_v6, &key) != NULL;
}

/* IPv4 header with options; membership. */
static __always_inline __u32 parse_ipv4(struct ds_cursor *c,
					struct ds_packet *pkt, __u32 l3_off)
{
	struct iphdr *ip = c->pos;
	__u32 hdr_len, tot_len;

	if ((void *)(ip + 1) > c->end)
		return DS_CTR_MALFORMED_IPV4;
	if (ip->version != 4 || ip->ihl < 5)
		return DS_CTR_MALFORMED_IPV4;
	hdr_len = ip->ihl * 4;
	if (c->pos + hdr_len > c->end)
		return DS_CTR_MALFORMED_IPV4;
	tot_len = bpf_ntohs(ip->tot_len);
	if (tot_len < hdr_len || tot_len > pkt->frame_len - l3_off)
		return DS_CTR_MALFORMED_IPV4;
	if (!dark_v4(ip->daddr))
		return DS_CTR_NON_DARKNET;

	pkt->family = DS_FAMILY_IPV4;
	__builtin_memcpy(pkt->saddr, &ip->saddr, 4);
	__builtin_memcpy(pkt->daddr, &ip->daddr, 4);
	pkt->ip_id = bpf_ntohs(ip->id);
	pkt->l4_proto = ip->protocol;
	pkt->l4_len = tot_len - hdr_len;
	pkt->fragment = (bpf_ntohs(ip->frag_off) & 0x1fff) != 0;
	c->pos += hdr_len;
	return DS_CONTINUE;
}

/* IPv6 fixed header; membership. Extension headers come after. */
static __always_inline __u32 parse_ipv6(struct ds_cursor *c,
					struct ds_packet *pkt, __u32 l3_off)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 payload_len;

	if ((void *)(ip6 + 1) > c->end)
		return DS_CTR_MALFORMED_IPV6;
	if (ip6->version != 6)
		return DS_CTR_MALFORMED_IPV6;
	payload_len = bpf_ntohs(ip6->payload_len);
	if (payload_len > pkt->frame_len - l3_off - sizeof(*ip6))
		return DS_CTR_MALFORMED_IPV6;
	if (!dark_v6(ip6->daddr.in6_u.u6_addr8))
		return DS_CTR_NON_DARKNET;

	pkt->family = DS_FAMILY_IPV6;
	__builtin_memcpy(pkt->saddr, &ip6->saddr, 16);
	__builtin_memcpy(pkt->daddr, &ip6->daddr, 16);
	pkt->l4_proto = ip6->nexthdr;
	pkt->l4_len = payload_len;
	c->pos = ip6 + 1;
	return DS_CONTINUE;
}

static __always_inline int ipv6_is_extension(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_FRAGMENT ||
	       nexthdr == IPPROTO_AH || nexthdr == DS_IPPROTO_MH;
}

/* Walks up to DS_IPV6_EXT_MAX extension headers to the transport header. */
static __always_inline __u32 parse_ipv6_extensions(struct ds_cursor *c,
						   struct ds_packet *pkt)
{
	struct ipv6_opt_hdr *ext;
	struct ds_ipv6_frag_hdr *frag;
	__u32 len;
	int i;

#pragma unroll
	for (i = 0; i < DS_IPV6_EXT_MAX; i++) {
		if (!ipv6_is_extension(pkt->l4_proto))
			return DS_CONTINUE;
		ext = c->pos;
		if ((void *)(ext + 1) > c->end)
			return DS_CTR_MALFORMED_IPV6_EXT;
		if (pkt->l4_proto == IPPROTO_FRAGMENT) {
			frag = c->pos;
			if ((void *)(frag + 1) > c->end)
				return DS_CTR_MALFORMED_IPV6_EXT;
			if (bpf_ntohs(frag->frag_off) & 0xfff8)
				pkt->fragment = 1;
			len = sizeof(*frag);
		} else if (pkt->l4_proto == IPPROTO_AH) {
			len = ((__u32)ext->hdrlen + 2) * 4;
		} else {
			len = ((__u32)ext->hdrlen + 1) * 8;
		}
		if (len > pkt->l4_len || c->pos + len > c->end)
			return DS_CTR_MALFORMED_IPV6_EXT;
		pkt->l4_proto = ext->nexthdr;
		pkt->l4_len -= len;
		c->pos += len;
		if (pkt->fragment)
			return DS_CONTINUE;
	}
	if (ipv6_is_extension(pkt->l4_proto))
		return DS_CTR_IPV6_EXT_LIMIT;
	return DS_CONTINUE;
}

/* Scanner fingerprints of an IPv4 TCP SYN, from the scanners' sources:
 *   Mirai, loader/scanner.c (scanner_init): tcph->seq = iph->daddr, so
 *     ntohl(seq) == ntohl(daddr);
 *   ZMap, src/probe_modules/packet.c (make_ip_header): ip_id = 54321;
 *   Masscan, src/templ-pkt.c (tcp_create_packet): ip_id = ip_them ^
 *     port_them ^ seqno, truncated to 16 bits (host order).
 * ZMap's mark is checked on every IPv4 probe, the others on SYNs only. */
static __always_inline void fingerprint_tcp_syn(struct ds_packet *pkt,
						__u32 seq)
{
	__u32 daddr;

	if (pkt->family != DS_FAMILY_IPV4)
		return;
	__builtin_memcpy(&daddr, pkt->daddr, 4);
	daddr = bpf_ntohl(daddr);
	pkt->mirai = seq == daddr;
	pkt->masscan = pkt->ip_id == ((daddr ^ pkt->port ^ seq) & 0xffff);
}

static __always_inline __u32 parse_tcp(struct ds_cursor *c,
				       struct ds_packet *pkt)
{
	struct tcphdr *tcp = c->pos;
	__u32 hdr_len;
	__u8 flags;

	if ((void *)(tcp + 1) > c->end || pkt->l4_len < sizeof(*tcp))
		return DS_CTR_MALFORMED_TCP;
	hdr_len = tcp->doff * 4;
	if (hdr_len < sizeof(*tcp) || hdr_len > pkt->l4_len ||
	    c->pos + hdr_len > c->end)
		return DS_CTR_MALFORMED_TCP;

	pkt->slot = DS_SLOT_TCP;
	pkt->port = bpf_ntohs(tcp->dest);
	pkt->sport = bpf_ntohs(tcp->source);
	flags = ((__u8 *)tcp)[13];
	if (flags & DS_TCP_RST) {
		pkt->backscatter = 1;
		return DS_CTR_TCP_RST;
	}
	if ((flags & (DS_TCP_SYN | DS_TCP_ACK)) == (DS_TCP_SYN | DS_TCP_ACK)) {
		pkt->backscatter = 1;
		return DS_CTR_TCP_SYNACK;
	}
	if (flags & DS_TCP_SYN) {
		fingerprint_tcp_syn(pkt, bpf_ntohl(tcp->seq));
		return DS_CTR_TCP_SYN;
	}
	return DS_CTR_TCP_OTHER;
}

static __always_inline __u32 parse_udp(struct ds_cursor *c,
				       struct ds_packet *pkt)
{
	struct udphdr *udp = c->pos;

	if ((void *)(udp + 1) > c->end || pkt->l4_len < sizeof(*udp))
		return DS_CTR_MALFORMED_UDP;
	pkt->slot = DS_SLOT_UDP;
	pkt->port = bpf_ntohs(udp->dest);
	pkt->sport = bpf_ntohs(udp->source);
	pkt->backscatter = pkt->sport == DS_DNS_PORT;
	return DS_CTR_UDP;
}

/* ICMP errors (RFC 1122 3.2.2) and echo replies are answers to packets the
 * darknet never sent: backscatter of spoofed traffic (Moore et al., 2006). */
static __always_inline __u32 parse_icmp(struct ds_cursor *c,
					struct ds_packet *pkt)
{
	struct ds_icmp_hdr *icmp = c->pos;
	__u8 type;

	if ((void *)(icmp + 1) > c->end || pkt->l4_len < sizeof(*icmp))
		return DS_CTR_MALFORMED_ICMP;
	type = icmp->type;
	pkt->slot = DS_SLOT_ICMP;
	pkt->port = type;
	if (type == DS_ICMP_ECHO)
		return DS_CTR_ICMP_ECHO;
	if (type == DS_ICMP_DEST_UNREACH || type == DS_ICMP_SOURCE_QUENCH ||
	    type == DS_ICMP_REDIRECT || type == DS_ICMP_TIME_EXCEEDED ||
	    type == DS_ICMP_PARAMETERPROB) {
		pkt->backscatter = 1;
		return DS_CTR_ICMP_ERROR;
	}
	pkt->backscatter = type == DS_ICMP_ECHOREPLY;
	return DS_CTR_ICMP_OTHER;
}

static __always_inline __u32 parse_icmpv6(struct ds_cursor *c,
					  struct ds_packet *pkt)
{
	struct ds_icmp_hdr *icmp6 = c->pos;
	__u8 type;

	if ((void *)(icmp6 + 1) > c->end || pkt->l4_len < sizeof(*icmp6))
		return DS_CTR_MALFORMED_ICMPV6;
	type = icmp6->type;
	pkt->slot = DS_SLOT_ICMPV6;
	pkt->port = type;
	if (type == DS_ICMPV6_ECHO_REQUEST)
		return DS_CTR_ICMP_ECHO;
	if (type >= DS_ICMPV6_DEST_UNREACH && type <= DS_ICMPV6_PARAMPROB) {
		pkt->backscatter = 1;
		return DS_CTR_ICMP_ERROR;
	}
	pkt->backscatter = type == DS_ICMPV6_ECHO_REPLY;
	return DS_CTR_ICMP_OTHER;
}

/* The transport header: sets the class (or the L4 malformation) in
 * pkt->outcome and, when the header was whole, slot and port. */
static __always_inline void parse_transport(struct ds_cursor *c,
					    struct ds_packet *pkt)
{
	__u32 outcome;

	if (pkt->fragment) {
		pkt->outcome = DS_CTR_FRAGMENT;
		return;
	}
	switch (pkt->l4_proto) {
	case IPPROTO_TCP:
		outcome = parse_tcp(c, pkt);
		break;
	case IPPROTO_UDP:
		outcome = parse_udp(c, pkt);
		break;
	case IPPROTO_ICMP:
		outcome = pkt->family == DS_FAMILY_IPV4 ? parse_icmp(c, pkt)
							: DS_CTR_OTHER_PROTO;
		break;
	case IPPROTO_ICMPV6:
		outcome = pkt->family == DS_FAMILY_IPV6 ? parse_icmpv6(c, pkt)
							: DS_CTR_OTHER_PROTO;
		break;
	default:
		outcome = DS_CTR_OTHER_PROTO;
		break;
	}
	if (outcome == DS_CTR_OTHER_PROTO) {
		pkt->slot = DS_SLOT_OTHER;
		pkt->port = pkt->l4_proto;
	}
	pkt->l4_ok = outcome < DS_CTR_MALFORMED_ETH ||
		     outcome > DS_CTR_MALFORMED_ICMPV6;
	if (pkt->l4_ok && pkt->family == DS_FAMILY_IPV4)
		pkt->zmap = pkt->ip_id == DS_ZMAP_IP_ID;
	pkt->outcome = outcome;
}

/* ---- Counting ------------------------------------------------------------- */

/* Benchmarks only: bench/xdp_bisect.sh compiles the program with
 * DS_BENCH_WITHOUT set to switch tables off (DS_BENCH_* bits below), in
 * build directories of its own, to measure in situ what each costs. Every
 * build that counts has 0: the verifier sees the calls, unconditionally. */
#ifndef DS_BENCH_WITHOUT
#define DS_BENCH_WITHOUT 0
#endif
#define DS_BENCH_PORTS	   1  /* ds_ports and ds_src_ports (and ds_touched) */
#define DS_BENCH_FLOWS	   2  /* ds_flows and its index */
#define DS_BENCH_SOURCES   4  /* ds_sources and its index */
#define DS_BENCH_DESTS	   8  /* ds_dests */
#define DS_BENCH_SRC_PORTS 16 /* ds_src_ports alone */

/* The value inserted for a new key of ds_dests: zeros. Kept in .rodata,
 * off the 512-byte stack. */
static const struct ds_dest_stats ds_zero_value;

/* The epoch's inner map of an outer table, or NULL if the agent left the
 * slot empty. */
static __always_inline void *epoch_table(void *outer, __u32 epoch)
{
	return bpf_map_lookup_elem(outer, &epoch);
}

/* The value of `key` in ds_dests, inserted as zero if absent. NULL when
 * the table is full: the caller's overflow counter says so. `overflowed` is
 * this CPU's overflow counter of the table in this epoch: once it is
 * nonzero the table was full, and it stays full until the epoch is drained
 * (nothing deletes from a table the program counts into), so a new key is
 * not tried again: a flood of new keys costs one lookup per packet, not a
 * lookup and a failing, bucket-locked insert. */
static __always_inline void *lookup_or_insert(void *table, const void *key,
					      const void *zero,
					      const __u64 *overflowed)
{
	void *value = bpf_map_lookup_elem(table, key);
	long err;

	if (value || *overflowed)
		return value;
	err = bpf_map_update_elem(table, key, zero, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return NULL;
	return bpf_map_lookup_elem(table, key);
}

/* Adds to a counter: a plain add when `per_cpu` (only this CPU writes it),
 * an atomic one otherwise. Returns the value after the add: with a shared
 * counter, this packet's own total (the atomic add returns the value before
 * it). `per_cpu` is a constant or a read-only setting: the verifier prunes
 * the branch not taken. */
static __always_inline __u64 add_value(__u64 *value, __u64 amount, int per_cpu)
{
	if (per_cpu) {
		*value += amount;
		return *value;
	}
	return __sync_fetch_and_add(value, amount) + amount;
}

/* Sets a bit in a bitmap of `word_count` words (a power of two), writing
 * only when it is not yet set. */
static __always_inline void set_bit(__u64 *words, __u32 word_count, __u32 bit,
				    int per_cpu)
{
	__u64 mask = 1ull << (bit & 63);
	__u64 *word = &words[(bit >> 6) & (word_count - 1)];

	if (*word & mask)
		return;
	if (per_cpu)
		*word |= mask;
	else
		__sync_fetch_and_or(word, mask);
}

/* The dense tables' hash of a key (its first 8 bytes, then 4 more for a
 * flow), seeded per load so that senders cannot aim at one run of the
 * index (splitmix64's finalizer). */
static __always_inline __u64 dense_hash(__u64 k0, __u32 k1)
{
	__u64 h = (k0 ^ config.hash_seed) * 0x9e3779b97f4a7c15ull;

	h = (h ^ (h >> 30) ^ k1) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

#define DS_INDEX_RECORD_MASK ((1u << DS_INDEX_TAG_SHIFT) - 1u)
#define DS_RECORD_INDEX_SLOT 12 /* offsetof(index_slot), abi.h asserts it */
#define DS_RECORD_COUNTS     16 /* offsetof(stats), abi.h asserts it */

/* One lookup in a dense table, for dense_probe (through bpf_loop, so that
 * the verifier sees the probe once instead of once per position). */
struct ds_probe {
	void *index;   /* the epoch's ds_source_index or ds_flow_index */
	void *records; /* the epoch's ds_sources or ds_flows */
	__u8 *record;  /* the record claimed, then the key's */
	const __u64 *overflowed; /* this CPU's overflow counter of the table */
	__u32 *inline_cells;	 /* a flow's source's flows[], or NULL */
	__u64 k0;		 /* the key's first 8 bytes */
	__u32 k1;		 /* a flow key's last 4 bytes */
	__u32 pos;		 /* the key's first index entry (its hash) */
	__u32 tag;     /* the key's tag, in place (DS_INDEX_TAG_SHIFT) */
	__u32 claimed; /* the record number claimed, 0 for none */
	__u8 wide;     /* 1: a flow (12-byte key, the flows' bound and mask) */
	__u8 found;    /* 1: `record` is the key's */
};
/* The probe lives on the stack of the program and of every bpf_loop
 * callback's caller: the program and the callback together have 512 bytes,
 * so the bound and the index mask are read from config, not copied here. */

/* How many of a key's probes are its source's flows[] entries: all of them
 * for a flow whose source record was found, none otherwise. */
static __always_inline __u32 inline_probes(const __u32 *inline_cells)
{
	return inline_cells ? DS_SOURCE_FLOW_SLOTS : 0;
}

/* Probe `i` of a key's probe sequence in a dense table (abi.h, DS_INDEX_*):
 * stops (1) at the key's record, or when the key cannot fit. A flow's
 * sequence begins with its source's flows[] entries (DS_SOURCE_FLOW_SLOTS),
 * then goes on in the index; every CPU walks a key's entries in the same
 * order, so the argument below holds for the whole sequence. An empty index
 * entry means the key is not in the table: it claims the next record number
 * from the header (fetch-and-add), writes the key into that record, then
 * takes the entry by compare-and-swap. A CPU that loses the swap reads what
 * won: its own key (the record it claimed stays unused, with no packets,
 * and holds nothing) or another (it probes on with the same record). Two
 * CPUs with one key meet at the same first empty entry, so a key has one
 * record. The key does not fit when every record number is handed out (the
 * bound); once this CPU's overflow counter is nonzero, the header (no
 * longer written once the numbers are out) is read before a new key takes
 * a number, so that a flood of new keys into a full table costs a few
 * reads per packet and no write to a shared line. */
static long dense_probe(__u64 i, void *arg)
{
	struct ds_probe *p = arg;
	__u32 zero = 0, slot, entry, number;
	__u32 inline_count = inline_probes(p->inline_cells);
	__u32 bound = p->wide ? config.flows_bound : config.sources_bound;
	__u32 mask =
		p->wide ? config.flow_index_mask : config.source_index_mask;
	__u8 *record;
	__u64 *header, taken;
	__u32 *cell;

	if (i < inline_count) {
		cell = p->inline_cells;
		if (!cell || i >= DS_SOURCE_FLOW_SLOTS)
			return 1;
		cell += i;
		slot = DS_INDEX_SLOT_INLINE;
	} else {
		slot = (p->pos + (__u32)i - inline_count) & mask;
		cell = bpf_map_lookup_elem(p->index, &slot);
		if (!cell)
			return 1;
	}
	entry = *(volatile __u32 *)cell;
	if (entry == 0) {
		if (!p->claimed) {
			header = bpf_map_lookup_elem(p->records, &zero);
			if (!header)
				return 1;
			header = (__u64 *)((__u8 *)header + DS_RECORD_COUNTS);
			if (*p->overflowed &&
			    *(volatile __u64 *)header >= bound)
				return 1;
			taken = __sync_fetch_and_add(header, 1) + 1;
			if (taken > bound)
				return 1;
			number = (__u32)taken;
			record = bpf_map_lookup_elem(p->records, &number);
			if (!record)
				return 1;
			*(__u64 *)record = p->k0;
			if (p->wide)
				*(__u32 *)(record + 8) = p->k1;
			p->record = record;
			p->claimed = number;
		}
		record = p->record;
		if (!record)
			return 1;
		*(__u32 *)(record + DS_RECORD_INDEX_SLOT) = slot;
		entry = __sync_val_compare_and_swap(cell, 0,
						    p->tag | p->claimed);
		if (entry == 0) {
			p->found = 1;
			return 1;
		}
	}
	if ((entry & ~DS_INDEX_RECORD_MASK) != p->tag)
		return 0;
	number = entry & DS_INDEX_RECORD_MASK;
	record = bpf_map_lookup_elem(p->records, &number);
	if (!record || *(__u64 *)record != p->k0 ||
	    (p->wide && *(__u32 *)(record + 8) != p->k1))
		return 0;
	p->record = record;
	p->found = 1;
	return 1;
}

/* The record of a key in a dense table (`index`, `records`: the epoch's
 * ds_sources or ds_flows), claimed if the key is new; NULL when it does not
 * fit: every record number handed out, or no empty entry within
 * DS_INDEX_PROBES of the index (at most 1 / DS_INDEX_LOAD full: rare).
 * `wide`: the key has 12 bytes (a flow), else 8 (a network).
 * `inline_cells`: a flow's source's flows[] (probed first), or NULL. */
static __always_inline __u8 *dense_record(void *index, void *records, __u64 k0,
					  __u32 k1, int wide,
					  const __u64 *overflowed,
					  __u32 *inline_cells)
{
	__u64 h = dense_hash(k0, k1);
	struct ds_probe probe = {
		.index = index,
		.records = records,
		.overflowed = overflowed,
		.k0 = k0,
		.inline_cells = inline_cells,
		.k1 = k1,
		.wide = wide,
		.pos = (__u32)h,
		.tag = (__u32)(h >> 56) << DS_INDEX_TAG_SHIFT,
	};

	bpf_loop(DS_INDEX_PROBES + inline_probes(inline_cells), dense_probe,
		 &probe, 0);
	return probe.found ? probe.record : NULL;
}

static __always_inline void net_key(struct ds_net_key *key, __u8 family,
				    const __u8 *addr)
{
	key->family = family;
	key->prefix[0] = addr[0];
	key->prefix[1] = addr[1];
	key->prefix[2] = addr[2];
	if (family == DS_FAMILY_IPV6) {
		key->prefix[3] = addr[3];
		key->prefix[4] = addr[4];
		key->prefix[5] = addr[5];
	}
}

static __always_inline __u32 host_bit(__u8 family, const __u8 *addr)
{
	return family == DS_FAMILY_IPV4 ? addr[3] : ds_ipv6_host_bit(addr + 6);
}

/* Sets bit `bit` of the epoch's ds_touched bitmap: called when this CPU's
 * packets in an array entry go from 0 to 1. */
static __always_inline void mark_touched(__u32 epoch, __u32 bit,
					 struct ds_counters *ctr)
{
	__u32 word = bit / 64;
	void *table = epoch_table(&ds_touched, epoch);
	__u64 *bits = table ? bpf_map_lookup_elem(table, &word) : NULL;

	if (!bits) {
		ctr->value[DS_CTR_EPOCH_MAP_MISSING]++;
		return;
	}
	__sync_fetch_and_or(bits, 1ull << (bit % 64));
}

static __always_inline void count_ports(__u32 epoch, struct ds_packet *pkt,
					struct ds_counters *ctr)
{
	__u32 index = ds_port_index(pkt->slot, pkt->port);
	struct ds_port_counts *port;
	struct ds_traffic *src_port;
	void *table;

	table = epoch_table(&ds_ports, epoch);
	port = table ? bpf_map_lookup_elem(table, &index) : NULL;
	if (!port) {
		ctr->value[DS_CTR_EPOCH_MAP_MISSING]++;
		return;
	}
	if (port->packets == 0)
		mark_touched(epoch, index, ctr);
	port->packets++;
	port->bytes += pkt->frame_len;
	port->syn += pkt->outcome == DS_CTR_TCP_SYN;
	port->rst += pkt->outcome == DS_CTR_TCP_RST;
	port->mirai += pkt->mirai;
	port->zmap += pkt->zmap;
	port->masscan += pkt->masscan;
	port->backscatter += pkt->backscatter;

	if (pkt->slot != DS_SLOT_TCP && pkt->slot != DS_SLOT_UDP)
		return;
	if (DS_BENCH_WITHOUT & DS_BENCH_SRC_PORTS)
		return;
	index = (__u32)pkt->slot * 65536 + pkt->sport;
	table = epoch_table(&ds_src_ports, epoch);
	src_port = table ? bpf_map_lookup_elem(table, &index) : NULL;
	if (!src_port) {
		ctr->value[DS_CTR_EPOCH_MAP_MISSING]++;
		return;
	}
	if (__sync_fetch_and_add(&src_port->packets, 1) == 0)
		mark_touched(epoch, DS_TOUCHED_PORT_WORDS * 64 + index, ctr);
	__sync_fetch_and_add(&src_port->bytes, pkt->frame_len);
}

/* Counts packets, bytes and the host bit of a network's value (a source's
 * stats or a destination's: both begin as struct ds_dest_stats, abi.h
 * asserts it). Returns the packets after this one. */
static __always_inline __u64 count_hosts(struct ds_dest_stats *net,
					 struct ds_packet *pkt,
					 const __u8 *addr, int per_cpu)
{
	__u64 packets = add_value(&net->packets, 1, per_cpu);

	add_value(&net->bytes, pkt->frame_len, per_cpu);
	set_bit(net->hosts, DS_HOST_BITMAP_WORDS, host_bit(pkt->family, addr),
		per_cpu);
	return packets;
}

static __always_inline void count_dest(__u32 epoch, struct ds_packet *pkt,
				       struct ds_counters *ctr)
{
	struct ds_net_key key = {};
	struct ds_dest_stats *net;
	void *table = epoch_table(&ds_dests, epoch);

	if (!table) {
		ctr->value[DS_CTR_EPOCH_MAP_MISSING]++;
		return;
	}
	net_key(&key, pkt->family, pkt->daddr);
	net = lookup_or_insert(table, &key, &ds_zero_value,
			       &ctr->value[DS_CTR_OVERFLOW_DESTINATIONS]);
	if (!net) {
		ctr->value[DS_CTR_OVERFLOW_DESTINATIONS]++;
		return;
	}
	count_hosts(net, pkt, pkt->daddr, config.per_cpu_hashes);
}

/* Whether the packet is a probe whose destination port says what the
 * source scans: a TCP SYN, or UDP from an unprivileged source port. Answers
 * (SYN-ACK, RST, replies from 53/udp, 123/udp, ...) go to the victims'
 * ephemeral ports, which would make every reflector look like a wide-range
 * scanner. */
static __always_inline int is_probe(const struct ds_packet *pkt)
{
	return pkt->l4_ok &&
	       (pkt->outcome == DS_CTR_TCP_SYN ||
		(pkt->outcome == DS_CTR_UDP && pkt->sport >= 1024));
}

/* Returns the source network's packets in this interval, this one
 * included; 0 if the table was full or missing. `*record`: the source's
 * record, or NULL. */
static __always_inline __u64 count_source(__u32 epoch, struct ds_packet *pkt,
					  struct ds_counters *ctr,
					  struct ds_source_record **record)
{
	struct ds_net_key key = {};
	struct ds_source_record *src;
	void *records = epoch_table(&ds_sources, epoch);
	void *index = epoch_table(&ds_source_index, epoch);
	__u64 k0, packets;

	if (!records || !index) {
		ctr->value[DS_CTR_EPOCH_MAP_MISSING]++;
		return 0;
	}
	net_key(&key, pkt->family, pkt->saddr);
	__builtin_memcpy(&k0, &key, sizeof(k0));
	src = (struct ds_source_record *)dense_record(
		index, records, k0, 0, 0, &ctr->value[DS_CTR_OVERFLOW_SOURCES],
		NULL);
	*record = src;
	if (!src) {
		ctr->value[DS_CTR_OVERFLOW_SOURCES]++;
		return 0;
	}
	packets = count_hosts((struct ds_dest_stats *)&src->stats, pkt,
			      pkt->saddr, 0);
	if (is_probe(pkt))
		set_bit(src->stats.port_sketch, DS_PORT_SKETCH_WORDS,
			ds_port_sketch_bit(pkt->port), 0);
	else if (pkt->outcome == DS_CTR_TCP_SYNACK)
		add_value(&src->stats.synack, 1, 0);
	else if (pkt->outcome == DS_CTR_TCP_RST)
		add_value(&src->stats.rst, 1, 0);
	return packets;
}

/* `src`: the packet's source record (its flows[] are probed first), or
 * NULL when the sources table had no room for it. */
static __always_inline void count_flow(__u32 epoch, struct ds_packet *pkt,
				       struct ds_counters *ctr,
				       struct ds_source_record *src)
{
	struct ds_flow_key key = {};
	struct ds_flow_record *flow;
	void *records = epoch_table(&ds_flows, epoch);
	void *index = epoch_table(&ds_flow_index, epoch);
	__u64 k0;
	__u32 k1;

	if (!records || !index) {
		ctr->value[DS_CTR_EPOCH_MAP_MISSING]++;
		return;
	}
	net_key(&key.src, pkt->family, pkt->saddr);
	key.proto_slot = pkt->slot;
	key.port = pkt->port;
	__builtin_memcpy(&k0, &key, sizeof(k0));
	__builtin_memcpy(&k1, (__u8 *)&key + sizeof(k0), sizeof(k1));
	flow = (struct ds_flow_record *)dense_record(
		index, records, k0, k1, 1, &ctr->value[DS_CTR_OVERFLOW_FLOWS],
		src ? src->flows : NULL);
	if (!flow) {
		ctr->value[DS_CTR_OVERFLOW_FLOWS]++;
		return;
	}
	add_value(&flow->stats.packets, 1, 0);
	add_value(&flow->stats.bytes, pkt->frame_len, 0);
	/* Most packets carry no fingerprint: no atomic for a zero. */
	if (pkt->mirai)
		add_value(&flow->stats.mirai, 1, 0);
	if (pkt->zmap)
		add_value(&flow->stats.zmap, 1, 0);
	if (pkt->masscan)
		add_value(&flow->stats.masscan, 1, 0);
}

/* Returns what count_source returns: the source network's packets so far
 * in the interval. */
static __always_inline __u64 count_darknet(__u32 epoch, struct ds_packet *pkt,
					   struct ds_counters *ctr)
{
	struct ds_source_record *src = NULL;
	__u64 source_packets = 0;

	ctr->value[DS_CTR_DARKNET_PACKETS]++;
	ctr->value[DS_CTR_DARKNET_BYTES] += pkt->frame_len;
	ctr->value[pkt->family == DS_FAMILY_IPV4 ? DS_CTR_IPV4 : DS_CTR_IPV6]++;
	if (pkt->vlan_depth)
		ctr->value[DS_CTR_VLAN_TAGGED]++;
	if (pkt->outcome < DS_CTR_COUNT)
		ctr->value[pkt->outcome]++;
	ctr->value[DS_CTR_MIRAI] += pkt->mirai;
	ctr->value[DS_CTR_ZMAP] += pkt->zmap;
	ctr->value[DS_CTR_MASSCAN] += pkt->masscan;
	ctr->value[DS_CTR_BACKSCATTER] += pkt->backscatter;

	/* The source first: its record holds its first flows. */
	if (!(DS_BENCH_WITHOUT & DS_BENCH_SOURCES))
		source_packets = count_source(epoch, pkt, ctr, &src);
	if (pkt->l4_ok) {
		if (!(DS_BENCH_WITHOUT & DS_BENCH_PORTS))
			count_ports(epoch, pkt, ctr);
		if (!(DS_BENCH_WITHOUT & DS_BENCH_FLOWS))
			count_flow(epoch, pkt, ctr, src);
	}
	if (!(DS_BENCH_WITHOUT & DS_BENCH_DESTS))
		count_dest(epoch, pkt, ctr);
	return source_packets;
}

/* ---- Sampling ------------------------------------------------------------- */

/* Takes one token from this CPU's bucket; 0 when it is empty. The bucket
 * gains one nanosecond of credit per nanosecond, up to burst_ns, and a
 * packet costs token_ns. */
static __always_inline int
take_sample_token(const struct ds_sample_policy *policy)
{
	struct ds_sample_bucket *bucket;
	__u32 zero = 0;
	__u64 now, credit;

	if (!policy->token_ns)
		return 1;
	bucket = bpf_map_lookup_elem(&ds_sample_bucket, &zero);
	if (!bucket)
		return 0;
	now = bpf_ktime_get_ns();
	credit = bucket->last_ns ? bucket->credit_ns + (now - bucket->last_ns)
				 : policy->burst_ns;
	if (credit > policy->burst_ns)
		credit = policy->burst_ns;
	bucket->last_ns = now;
	if (credit < policy->token_ns) {
		bucket->credit_ns = credit;
		return 0;
	}
	bucket->credit_ns = credit - policy->token_ns;
	return 1;
}

/* Redirects a counted darknet packet to its rx queue's AF_XDP socket when
 * the policy picks it: one in `rate` of this CPU's darknet packets, or one
 * of the first `first` packets of its source network in the interval
 * (`source_packets` is its rank there, over every CPU). When
 * the queue has no socket, bpf_redirect_map returns `action` (its flags'
 * low bits): the packet gets the darknet verdict, counted as a failure. */
static __always_inline int sample(struct xdp_md *ctx, struct ds_counters *ctr,
				  __u64 source_packets, int action)
{
	const struct ds_sample_policy *policy;
	__u32 zero = 0, queue;
	long ret;

	policy = bpf_map_lookup_elem(&ds_sample_policy, &zero);
	if (!policy)
		return action;
	if (policy->rate &&
	    ctr->value[DS_CTR_DARKNET_PACKETS] % policy->rate == 0)
		ctr->value[DS_CTR_SAMPLE_BY_RATE]++;
	else if (source_packets && source_packets <= policy->first)
		ctr->value[DS_CTR_SAMPLE_BY_FIRST]++;
	else
		return action;

	if (!take_sample_token(policy)) {
		ctr->value[DS_CTR_SAMPLE_RATE_LIMITED]++;
		return action;
	}
	queue = ctx->rx_queue_index;
	if (queue >= DS_XSK_QUEUES_MAX) {
		ctr->value[DS_CTR_SAMPLE_QUEUE_OUT_OF_RANGE]++;
		return action;
	}
	ret = bpf_redirect_map(&ds_xsks, queue, action);
	if (ret != XDP_REDIRECT) {
		ctr->value[DS_CTR_SAMPLE_NO_SOCKET]++;
		return action;
	}
	ctr->value[DS_CTR_SAMPLE_REDIRECTED]++;
	return XDP_REDIRECT;
}

/* The one exit: counts the verdict. */
static __always_inline int verdict(struct ds_counters *ctr, int action)
{
	ctr->value[action == XDP_DROP	    ? DS_CTR_ACTION_DROP
		   : action == XDP_REDIRECT ? DS_CTR_ACTION_REDIRECT
					    : DS_CTR_ACTION_PASS]++;
	return action;
}

/* "xdp.frags": the program takes multi-buffer frames (jumbo frames on a
 * driver with XDP multi-buffer; GRO/TSO-sized frames in a replay's test run)
 * and counts them at their whole length; it parses only the headers, which
 * are in the first buffer (docs/maps.md, Frames larger than a page). */
SEC("xdp.frags")
int xdp_count_darknet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ds_cursor cursor = {.pos = data, .end = data_end};
	struct ds_packet pkt = {};
	struct ds_counters *ctr;
	struct ds_control *control;
	__u16 ethertype = 0;
	__u32 zero = 0, epoch = 0, outcome, l3_off;
	__u64 source_packets;
	void *table;

	control = bpf_map_lookup_elem(&ds_control, &zero);
	if (control)
		epoch = *(volatile __u32 *)&control->epoch & 1;
	table = epoch_table(&ds_counters, epoch);
	ctr = table ? bpf_map_lookup_elem(table, &zero) : NULL;
	if (!ctr)
		return XDP_PASS; /* nowhere to count: the agent's slot is empty */

	pkt.frame_len =
		bpf_xdp_get_buff_len(ctx); /* every buffer of the frame */
	ctr->value[DS_CTR_PACKETS_SEEN]++;
	ctr->value[DS_CTR_BYTES_SEEN] += pkt.frame_len;

	outcome = parse_ethernet(&cursor, &pkt, &ethertype);
	if (outcome != DS_CONTINUE)
		goto pass;
	l3_off = sizeof(struct ethhdr) +
		 pkt.vlan_depth * sizeof(struct ds_vlan_hdr);
	if (ethertype == ETH_P_IP)
		outcome = parse_ipv4(&cursor, &pkt, l3_off);
	else if (ethertype == ETH_P_IPV6)
		outcome = parse_ipv6(&cursor, &pkt, l3_off);
	else
		outcome = DS_CTR_NON_IP;
	if (outcome != DS_CONTINUE)
		goto pass;

	/* Inside the darknet from here on: counted whatever follows. */
	if (pkt.family == DS_FAMILY_IPV6)
		pkt.outcome = parse_ipv6_extensions(&cursor, &pkt);
	if (pkt.outcome == DS_CONTINUE)
		parse_transport(&cursor, &pkt);
	source_packets = count_darknet(epoch, &pkt, ctr);
	return verdict(ctr,
		       sample(ctx, ctr, source_packets, config.darknet_action));

pass:
	if (outcome < DS_CTR_COUNT)
		ctr->value[outcome]++;
	return verdict(ctr, XDP_PASS);
}
