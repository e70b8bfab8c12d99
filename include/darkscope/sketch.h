/* The bit arithmetic of darkscope's two per-network sets, shared by the XDP
 * program (which sets bits) and the agent (which estimates from them):
 *
 * - the host bitmap (DS_HOST_BITMAP_WORDS x 64 bits): for IPv4 the last
 *   address byte picks the bit, so the count is exact; for IPv6 a hash of
 *   the 80 bits below the /48 picks it, and the agent estimates the count by
 *   linear counting.
 * - the distinct-port sketch: Probabilistic Counting with Stochastic
 *   Averaging (Flajolet and Martin, 1985), DS_PORT_SKETCH_BUCKETS buckets of
 *   DS_PORT_SKETCH_BITS bits. A port's hash picks a bucket and, by its
 *   number of trailing zero bits, the bit to set. Setting a bit is an atomic
 *   OR, sketches of several intervals merge by OR, and the agent's estimator
 *   (userspace/sketch/) reads the count back.
 *
 * Plain C on fixed-width types so both sides compile it.
 */
#ifndef DARKSCOPE_SKETCH_H_
#define DARKSCOPE_SKETCH_H_

#include <linux/types.h>

#include "darkscope/abi.h"

/* MurmurHash3's 32-bit finalizer: a bijection with full avalanche. */
static inline __u32 ds_mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Number of trailing zero bits of x, 32 for x == 0. BPF has no ctz
 * instruction, so this is a branchy binary search. */
static inline __u32 ds_ctz32(__u32 x)
{
	__u32 n = 0;

	if (x == 0)
		return 32;
	if ((x & 0xffff) == 0) {
		n += 16;
		x >>= 16;
	}
	if ((x & 0xff) == 0) {
		n += 8;
		x >>= 8;
	}
	if ((x & 0xf) == 0) {
		n += 4;
		x >>= 4;
	}
	if ((x & 0x3) == 0) {
		n += 2;
		x >>= 2;
	}
	if ((x & 0x1) == 0)
		n += 1;
	return n;
}

/* Position (0 .. 64 * DS_PORT_SKETCH_WORDS - 1) of the sketch bit that a
 * destination port sets: bucket * DS_PORT_SKETCH_BITS + rank. */
static inline __u32 ds_port_sketch_bit(__u16 port)
{
	__u32 h = ds_mix32((__u32)port ^ 0x9e3779b9u);
	__u32 bucket = h & (DS_PORT_SKETCH_BUCKETS - 1);
	__u32 rank = ds_ctz32(h >> 5);

	if (rank > DS_PORT_SKETCH_BITS - 1)
		rank = DS_PORT_SKETCH_BITS - 1;
	return bucket * DS_PORT_SKETCH_BITS + rank;
}

/* Bit (0..255) of the IPv6 host bitmap for the 80 bits below a /48, given
 * as bytes 6..15 of the address. */
static inline __u32 ds_ipv6_host_bit(const __u8 *low80)
{
	__u32 h = 0x811c9dc5u;
	int i;

	for (i = 0; i < 10; i++)
		h = ds_mix32(h ^ low80[i]);
	return h & 0xff;
}

#endif /* DARKSCOPE_SKETCH_H_ */
