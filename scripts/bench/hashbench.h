/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The candidates of hashbench that come from kernel sources other than
 * pcs_hash.c (hashbench_kernel.c, built with kshim.h), as seen from the
 * harness (hashbench.c, plain userspace).  Each hashes one 4096-byte page
 * and returns 64 bits of the result, so that no call can be left out.
 */
#ifndef PCS_HASHBENCH_H
#define PCS_HASHBENCH_H

#include <stdint.h>

/* Draws the keys of every candidate from SEED (not secret: a benchmark) */
void hbk_setup(uint64_t seed);

/* Runs the kernel's test vectors; returns the number of failures */
int hbk_selftest(void);

uint64_t hbk_xxh64(const void *page, uint64_t index);
uint64_t hbk_v1_value(const void *page, uint64_t index);
uint64_t hbk_siphash(const void *page, uint64_t index);
uint64_t hbk_nh_generic(const void *page, uint64_t index);
uint64_t hbk_nh_sse2(const void *page, uint64_t index);
uint64_t hbk_nh_avx2(const void *page, uint64_t index);
uint64_t hbk_poly1305(const void *page, uint64_t index);
uint64_t hbk_blake2s_generic(const void *page, uint64_t index);
uint64_t hbk_blake2s_ssse3(const void *page, uint64_t index);
uint64_t hbk_blake2s_avx512(const void *page, uint64_t index);

#endif /* PCS_HASHBENCH_H */
