// SPDX-License-Identifier: GPL-2.0
/*
 * pcs_hash: the per-page value of memory.pagecache_stat, from the kernel's
 * own lib/siphash.c, lib/crypto/poly1305-donna64.c and crypto/nhpoly1305.c
 * (and the x86 NH assembly, linked beside).  See pcs_hash.h for the value
 * and for how to build; kshim.h for how kernel code builds in userspace.
 */
#include "kshim.h"

KSHIM_KERNEL_CODE_BEGIN
#include "lib/siphash.c"
#include "lib/crypto/poly1305-donna64.c"
#include "crypto/nhpoly1305.c"
KSHIM_KERNEL_CODE_END

#include <errno.h>
#include <stdlib.h>

#include "pcs_hash.h"

_Static_assert(PCS_HASH_K1_SIZE == NHPOLY1305_KEY_SIZE, "k1 size");
_Static_assert(PCS_HASH_K2_SIZE == sizeof(siphash_key_t), "k2 size");
_Static_assert(PCS_HASH_DIGEST_SIZE == POLY1305_DIGEST_SIZE, "digest");
_Static_assert(NH_KEY_WORDS == 268 && NH_NUM_PASSES == 4, "NH shape");

#ifdef __x86_64__
/* arch/x86/crypto/nh-{sse2,avx2}-x86_64.S, as the kernel's glue declares them */
asmlinkage void nh_sse2(const u32 *key, const u8 *message, size_t message_len,
			__le64 hash[NH_NUM_PASSES]);
asmlinkage void nh_avx2(const u32 *key, const u8 *message, size_t message_len,
			__le64 hash[NH_NUM_PASSES]);
#endif

struct pcs_hash_key {
	struct nhpoly1305_key k1;
	siphash_key_t k2;
	nh_t nh;
	const char *nh_name;
};

static nh_t nh_function(enum pcs_hash_nh nh, const char **name)
{
#ifdef __x86_64__
	__builtin_cpu_init();
	if (nh == PCS_HASH_NH_AUTO)
		nh = __builtin_cpu_supports("avx2") ? PCS_HASH_NH_AVX2 :
						      PCS_HASH_NH_GENERIC;
#else
	if (nh == PCS_HASH_NH_AUTO)
		nh = PCS_HASH_NH_GENERIC;
#endif
	switch (nh) {
	case PCS_HASH_NH_GENERIC:
		*name = "generic";
		return nh_generic;
#ifdef __x86_64__
	case PCS_HASH_NH_SSE2:
		*name = "sse2";
		return nh_sse2;
	case PCS_HASH_NH_AVX2:
		*name = "avx2";
		return __builtin_cpu_supports("avx2") ? nh_avx2 : NULL;
#endif
	default:
		return NULL;
	}
}

pcs_hash_nh_fn pcs_hash_nh_function(enum pcs_hash_nh nh)
{
	const char *name;

	return nh_function(nh, &name);
}

struct pcs_hash_key *pcs_hash_key_new(const unsigned char *key,
				      enum pcs_hash_nh nh)
{
	struct crypto_shash tfm;
	struct pcs_hash_key *k;

	k = aligned_alloc(64, (sizeof(*k) + 63) & ~(size_t)63);
	if (!k)
		return NULL;
	k->nh = nh_function(nh, &k->nh_name);
	if (!k->nh) {
		free(k);
		errno = EINVAL;
		return NULL;
	}
	tfm.ctx = &k->k1;
	if (crypto_nhpoly1305_setkey(&tfm, key, NHPOLY1305_KEY_SIZE)) {
		free(k);
		errno = EINVAL;
		return NULL;
	}
	k->k2.key[0] = get_unaligned_le64(key + PCS_HASH_K1_SIZE);
	k->k2.key[1] = get_unaligned_le64(key + PCS_HASH_K1_SIZE + 8);
	return k;
}

void pcs_hash_key_free(struct pcs_hash_key *key)
{
	if (key)
		memzero_explicit(key, sizeof(*key));
	free(key);
}

const char *pcs_hash_nh_name(const struct pcs_hash_key *key)
{
	return key->nh_name;
}

/*
 * As the kernel's NHPoly1305 shash runs (crypto/nhpoly1305.c, and the
 * AVX2 glue arch/x86/crypto/nhpoly1305-avx2-glue.c with its NH): init,
 * update, final on the transform's key.
 */
void pcs_hash_nhpoly1305(const struct pcs_hash_key *key, const void *data,
			 size_t len, unsigned char digest[PCS_HASH_DIGEST_SIZE])
{
	struct nhpoly1305_state state;
	struct crypto_shash tfm = { .ctx = (void *)&key->k1 };
	struct shash_desc desc = { .tfm = &tfm, .ctx = &state };
	const u8 *src = data;

	crypto_nhpoly1305_init(&desc);
	while (len) {
		unsigned int n = min_t(size_t, len, 4096);

		crypto_nhpoly1305_update_helper(&desc, src, n, key->nh);
		src += n;
		len -= n;
	}
	crypto_nhpoly1305_final_helper(&desc, digest, key->nh);
}

uint64_t pcs_hash_page(const struct pcs_hash_key *key, uint64_t index,
		       const void *page)
{
	u8 d[POLY1305_DIGEST_SIZE];

	pcs_hash_nhpoly1305(key, page, PCS_HASH_PAGE_SIZE, d);
	return siphash_3u64(index, get_unaligned_le64(d),
			    get_unaligned_le64(d + 8), &key->k2);
}

void pcs_hash_page_values(const struct pcs_hash_key *key,
			  const unsigned char sketch_key[PCS_HASH_K2_SIZE],
			  uint64_t index, const void *page, uint64_t *sum,
			  uint64_t *sketch)
{
	siphash_key_t k3 = {
		.key = { get_unaligned_le64(sketch_key),
			 get_unaligned_le64(sketch_key + 8) },
	};
	u8 d[POLY1305_DIGEST_SIZE];
	u64 lo, hi;

	pcs_hash_nhpoly1305(key, page, PCS_HASH_PAGE_SIZE, d);
	lo = get_unaligned_le64(d);
	hi = get_unaligned_le64(d + 8);
	*sum = siphash_3u64(index, lo, hi, &key->k2);
	*sketch = siphash_3u64(index, lo, hi, &k3);
}

uint64_t pcs_hash_record(const unsigned char key[PCS_HASH_K2_SIZE],
			 uint64_t sum, uint64_t n)
{
	siphash_key_t k = {
		.key = { get_unaligned_le64(key), get_unaligned_le64(key + 8) },
	};

	return siphash_2u64(sum, n, &k);
}

/*
 * Known answer: key byte i = 7 * i + 3, page byte i = 13 * i + 1, index 5.
 * The parts are checked against the kernel's test vectors by
 * scripts/bench/hashbench --selftest; this pins how they are put together.
 */
#define PCS_HASH_KAT_INDEX	5
#define PCS_HASH_KAT_VALUE	0xeba94c0ad2851481ULL

int pcs_hash_selftest(void)
{
	static const enum pcs_hash_nh nhs[] = {
		PCS_HASH_NH_GENERIC, PCS_HASH_NH_SSE2, PCS_HASH_NH_AVX2,
	};
	static u8 page[PCS_HASH_PAGE_SIZE] __aligned(64);
	u8 key[PCS_HASH_KEY_SIZE];
	u64 want = PCS_HASH_KAT_VALUE;
	int failures = 0;
	size_t i, p;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (u8)(7 * i + 3);
	for (i = 0; i < sizeof(page); i++)
		page[i] = (u8)(13 * i + 1);

	for (i = 0; i < ARRAY_SIZE(nhs); i++) {
		struct pcs_hash_key *k = pcs_hash_key_new(key, nhs[i]);
		u64 v;

		if (!k)
			continue;	/* not on this CPU */
		v = pcs_hash_page(k, PCS_HASH_KAT_INDEX, page);
		if (v != want) {
			fprintf(stderr, "pcs_hash: known answer, NH %s: %#llx, not %#llx\n",
				k->nh_name, (unsigned long long)v,
				(unsigned long long)want);
			failures++;
		}
		/* every byte of the page and the index matter */
		for (p = 0; p < sizeof(page); p += 1021) {
			page[p] ^= 1;
			if (pcs_hash_page(k, PCS_HASH_KAT_INDEX, page) == v) {
				fprintf(stderr, "pcs_hash: NH %s: byte %zu ignored\n",
					k->nh_name, p);
				failures++;
			}
			page[p] ^= 1;
		}
		{
			static const unsigned char k3[PCS_HASH_K2_SIZE] = { 1 };
			u64 sum, sketch;

			pcs_hash_page_values(k, k3, PCS_HASH_KAT_INDEX, page,
					     &sum, &sketch);
			if (sum != v || sketch == v) {
				fprintf(stderr, "pcs_hash: NH %s: the two values are wrong\n",
					k->nh_name);
				failures++;
			}
		}
		if (pcs_hash_page(k, PCS_HASH_KAT_INDEX + 1, page) == v) {
			fprintf(stderr, "pcs_hash: NH %s: index ignored\n",
				k->nh_name);
			failures++;
		}
		pcs_hash_key_free(k);
	}
	return failures;
}
