/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcs_hash: the per-page value of memory.pagecache_stat (v2), computed in
 * userspace by the kernel's own code, so that the userspace baseline of
 * BENCHMARKS.md hashes exactly as the kernel does.
 *
 * For a page of 4096 bytes at page index INDEX of its file:
 *
 *	(lo, hi) = NHPoly1305_k1(page)		16 bytes, two little-endian u64
 *	value    = siphash_3u64(INDEX, lo, hi, k2)	SipHash-2-4
 *
 * NHPoly1305 is crypto/nhpoly1305.c (Adiantum's ε-almost-∆-universal hash:
 * NH over each 1024 bytes, the four NH results through Poly1305), with the
 * key k1 of NHPOLY1305_KEY_SIZE bytes as crypto_nhpoly1305_setkey() takes
 * it; siphash_3u64() is lib/siphash.c with the 128-bit key k2.  Both keys
 * are secret (the kernel draws them once per boot).  NH runs as the AVX2
 * code of arch/x86/crypto/nh-avx2-x86_64.S when the CPU has AVX2, else as
 * the generic C of crypto/nhpoly1305.c: the value is the same.
 *
 * Build (P = build/pristine, made by scripts/tree.sh; nothing is copied
 * from it):
 *
 *	K="-include scripts/bench/kshim.h -I$P/include -I$P"
 *	gcc -O2 -funsigned-char -fno-strict-aliasing $K -c -o pcs_hash.o \
 *		scripts/bench/pcs_hash.c
 *	gcc $K -c -o nh-sse2.o $P/arch/x86/crypto/nh-sse2-x86_64.S
 *	gcc $K -c -o nh-avx2.o $P/arch/x86/crypto/nh-avx2-x86_64.S
 *	gcc -O2 -static -o prog prog.c pcs_hash.o nh-sse2.o nh-avx2.o
 *
 * prog.c includes only this header, which needs nothing of the kernel.
 * pcs_hash.o defines the kernel's siphash*, hsiphash*, poly1305_core_* and
 * crypto_nhpoly1305_* functions; prog.c must not define those names.
 * On other architectures, leave out the two .S objects: NH is generic.
 */
#ifndef PCS_HASH_H
#define PCS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define PCS_HASH_PAGE_SIZE	4096
#define PCS_HASH_K1_SIZE	1088	/* NHPOLY1305_KEY_SIZE */
#define PCS_HASH_K2_SIZE	16	/* siphash_key_t, two le64 */
/* A key is k1 followed by k2 */
#define PCS_HASH_KEY_SIZE	(PCS_HASH_K1_SIZE + PCS_HASH_K2_SIZE)
#define PCS_HASH_DIGEST_SIZE	16	/* POLY1305_DIGEST_SIZE */

/* Which NH code a key uses */
enum pcs_hash_nh {
	PCS_HASH_NH_AUTO,	/* AVX2 if the CPU has it, else generic */
	PCS_HASH_NH_GENERIC,	/* nh_generic() of crypto/nhpoly1305.c */
	PCS_HASH_NH_SSE2,	/* arch/x86/crypto/nh-sse2-x86_64.S */
	PCS_HASH_NH_AVX2,	/* arch/x86/crypto/nh-avx2-x86_64.S */
};

struct pcs_hash_key;

/*
 * A key for pcs_hash_page(), from PCS_HASH_KEY_SIZE bytes, using NH code
 * NH; NULL (errno set) if out of memory, or EINVAL if this build or CPU
 * cannot run NH.  Free it with pcs_hash_key_free().
 */
struct pcs_hash_key *pcs_hash_key_new(const unsigned char *key,
				      enum pcs_hash_nh nh);
void pcs_hash_key_free(struct pcs_hash_key *key);

/* "generic", "sse2" or "avx2": the NH code the key uses */
const char *pcs_hash_nh_name(const struct pcs_hash_key *key);

/* The per-page value of a page of PCS_HASH_PAGE_SIZE bytes at INDEX */
uint64_t pcs_hash_page(const struct pcs_hash_key *key, uint64_t index,
		       const void *page);

/*
 * The two values the kernel gives a page (pcs_page_values() of
 * mm/pagecache_stat.c): NHPoly1305_k1 of the page once, then
 *
 *	*sum    = siphash_3u64(INDEX, lo, hi, k2)	(= pcs_hash_page())
 *	*sketch = siphash_3u64(INDEX, lo, hi, SKETCH_KEY)
 *
 * SKETCH_KEY is PCS_HASH_K2_SIZE bytes (two little-endian u64).  The sum
 * value goes into the record's hash, the sketch value into its sketch.
 */
void pcs_hash_page_values(const struct pcs_hash_key *key,
			  const unsigned char sketch_key[PCS_HASH_K2_SIZE],
			  uint64_t index, const void *page, uint64_t *sum,
			  uint64_t *sketch);

/*
 * The hash printed for a record of N pages whose values sum to SUM (mod
 * 2^64): siphash_2u64(SUM, N) under KEY, PCS_HASH_K2_SIZE bytes (two
 * little-endian u64), as pcs_record_hash() of mm/pagecache_stat.c computes
 * it under its own per-boot key.
 */
uint64_t pcs_hash_record(const unsigned char key[PCS_HASH_K2_SIZE],
			 uint64_t sum, uint64_t n);

/* NHPoly1305_k1 of LEN bytes, any LEN (the tests use the kernel's vectors) */
void pcs_hash_nhpoly1305(const struct pcs_hash_key *key, const void *data,
			 size_t len, unsigned char digest[PCS_HASH_DIGEST_SIZE]);

/*
 * For benchmarks and tests: the NH function itself, NH_KEY of 268 u32
 * words, LEN a multiple of 16 up to 1024, four 64-bit sums out; NULL if
 * this build or CPU cannot run it.
 */
typedef void (*pcs_hash_nh_fn)(const uint32_t *nh_key, const uint8_t *msg,
			       size_t len, uint64_t hash[4]);
pcs_hash_nh_fn pcs_hash_nh_function(enum pcs_hash_nh nh);

/*
 * Checks that every NH code this CPU can run gives the same values, and a
 * known answer; prints what fails on stderr and returns the number of
 * failures (0: all good).
 */
int pcs_hash_selftest(void);

#endif /* PCS_HASH_H */
