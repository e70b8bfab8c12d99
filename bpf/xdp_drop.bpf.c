// SPDX-License-Identifier: GPL-2.0
/* The baseline of bench/xdp_cost: an XDP program that drops every frame and
 * does nothing else, run side by side with xdp_count_darknet so that the
 * figures are ratios measured in one run. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_drop_all(struct xdp_md *ctx)
{
	return XDP_DROP;
}
