// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of hashbench: candidates and test vectors built from the
 * kernel's own sources with kshim.h (see there, and scripts/hashbench.sh):
 * lib/xxhash.c, lib/crypto/blake2s{,-generic,-selftest}.c, the BLAKE2s
 * assembly of arch/x86/crypto/blake2s-core.S (linked beside), and the test
 * vectors of lib/siphash_kunit.c and crypto/testmgr.h.  SipHash, Poly1305,
 * NH and NHPoly1305 are those of pcs_hash.o, the same code as the per-page
 * value.
 */
#include "kshim.h"

KSHIM_KERNEL_CODE_BEGIN
#include <linux/siphash.h>
#include <crypto/nhpoly1305.h>
#include <crypto/internal/blake2s.h>

#include "lib/xxhash.c"

/*
 * blake2s-generic.c makes blake2s_compress() a weak alias of the generic
 * code, where the x86 glue would define it; here it picks the code chosen
 * by the benchmark, as the glue picks by CPU feature.
 */
#define blake2s_compress kshim_blake2s_compress_alias
#include "lib/crypto/blake2s-generic.c"
#undef blake2s_compress
#include "lib/crypto/blake2s.c"
#include "lib/crypto/blake2s-selftest.c"

#include "lib/siphash_kunit.c"

/* Of the thousands of vectors, only nhpoly1305_tv_template is used */
#include "crypto/testmgr.h"
KSHIM_KERNEL_CODE_END

#include "hashbench.h"
#include "pcs_hash.h"

/* arch/x86/crypto/{nh-sse2-x86_64,nh-avx2-x86_64,blake2s-core}.S */
asmlinkage void nh_sse2(const u32 *key, const u8 *message, size_t message_len,
			__le64 hash[NH_NUM_PASSES]);
asmlinkage void nh_avx2(const u32 *key, const u8 *message, size_t message_len,
			__le64 hash[NH_NUM_PASSES]);
asmlinkage void blake2s_compress_ssse3(struct blake2s_state *state,
				       const u8 *block, const size_t nblocks,
				       const u32 inc);
asmlinkage void blake2s_compress_avx512(struct blake2s_state *state,
					const u8 *block, const size_t nblocks,
					const u32 inc);

typedef void (*blake2s_compress_t)(struct blake2s_state *state,
				   const u8 *block, size_t nblocks,
				   const u32 inc);

static blake2s_compress_t hbk_compress = blake2s_compress_generic;

void blake2s_compress(struct blake2s_state *state, const u8 *block,
		      size_t nblocks, const u32 inc)
{
	hbk_compress(state, block, nblocks, inc);
}

static siphash_key_t hbk_sipkey;
static struct nhpoly1305_key hbk_nhkey;
static u8 hbk_blake2s_key[BLAKE2S_KEY_SIZE];

void hbk_setup(uint64_t seed)
{
	u8 k[NHPOLY1305_KEY_SIZE];
	struct crypto_shash tfm = { .ctx = &hbk_nhkey };
	size_t i;

	for (i = 0; i < sizeof(k); i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		k[i] = seed >> 56;
	}
	crypto_nhpoly1305_setkey(&tfm, k, sizeof(k));
	memcpy(&hbk_sipkey, k, sizeof(hbk_sipkey));
	memcpy(hbk_blake2s_key, k + 100, sizeof(hbk_blake2s_key));
}

uint64_t hbk_xxh64(const void *page, uint64_t index)
{
	(void)index;
	return xxh64(page, PCS_HASH_PAGE_SIZE, 0);
}

/* The value of a page in v1 (mm/pagecache_stat.c) */
uint64_t hbk_v1_value(const void *page, uint64_t index)
{
	return siphash_2u64(index, xxh64(page, PCS_HASH_PAGE_SIZE, 0),
			    &hbk_sipkey);
}

uint64_t hbk_siphash(const void *page, uint64_t index)
{
	(void)index;
	return siphash(page, PCS_HASH_PAGE_SIZE, &hbk_sipkey);
}

/* NH alone, as NHPoly1305 runs it on a page: 4 x 1024 bytes, same key */
static uint64_t nh_page(nh_t nh, const u8 *page)
{
	__le64 h[NH_NUM_PASSES];
	u64 sum = 0;
	int i;

	for (i = 0; i < PCS_HASH_PAGE_SIZE; i += NH_MESSAGE_BYTES) {
		nh(hbk_nhkey.nh_key, page + i, NH_MESSAGE_BYTES, h);
		sum += le64_to_cpu(h[0]) ^ le64_to_cpu(h[1]) ^
		       le64_to_cpu(h[2]) ^ le64_to_cpu(h[3]);
	}
	return sum;
}

uint64_t hbk_nh_generic(const void *page, uint64_t index)
{
	(void)index;
	return nh_page(pcs_hash_nh_function(PCS_HASH_NH_GENERIC), page);
}

uint64_t hbk_nh_sse2(const void *page, uint64_t index)
{
	(void)index;
	return nh_page(nh_sse2, page);
}

uint64_t hbk_nh_avx2(const void *page, uint64_t index)
{
	(void)index;
	return nh_page(nh_avx2, page);
}

/* Poly1305 alone over the page (the ε-∆U hash, no NH in front) */
uint64_t hbk_poly1305(const void *page, uint64_t index)
{
	struct poly1305_state state;
	u8 out[POLY1305_DIGEST_SIZE];

	(void)index;
	poly1305_core_init(&state);
	poly1305_core_blocks(&state, &hbk_nhkey.poly_key, page,
			     PCS_HASH_PAGE_SIZE / POLY1305_BLOCK_SIZE, 1);
	poly1305_core_emit(&state, NULL, out);
	return get_unaligned_le64(out);
}

static uint64_t blake2s_page(blake2s_compress_t compress, const u8 *page)
{
	u8 out[BLAKE2S_HASH_SIZE];

	hbk_compress = compress;
	blake2s(out, page, hbk_blake2s_key, sizeof(out), PCS_HASH_PAGE_SIZE,
		sizeof(hbk_blake2s_key));
	return get_unaligned_le64(out);
}

uint64_t hbk_blake2s_generic(const void *page, uint64_t index)
{
	(void)index;
	return blake2s_page(blake2s_compress_generic, page);
}

uint64_t hbk_blake2s_ssse3(const void *page, uint64_t index)
{
	(void)index;
	return blake2s_page(blake2s_compress_ssse3, page);
}

uint64_t hbk_blake2s_avx512(const void *page, uint64_t index)
{
	(void)index;
	return blake2s_page(blake2s_compress_avx512, page);
}

static bool cpu_has_avx512vl(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") &&
	       __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512vl");
}

/* NHPoly1305 of every vector of the kernel's testmgr.h, each NH code */
static int nhpoly1305_vectors(void)
{
	static const struct {
		enum pcs_hash_nh nh;
		const char *name;
	} nhs[] = {
		{ PCS_HASH_NH_GENERIC, "generic" },
		{ PCS_HASH_NH_SSE2, "sse2" },
		{ PCS_HASH_NH_AVX2, "avx2" },
	};
	u8 key[PCS_HASH_KEY_SIZE] = { 0 };
	u8 digest[PCS_HASH_DIGEST_SIZE];
	int failures = 0, ran = 0;
	size_t i, v;

	for (i = 0; i < ARRAY_SIZE(nhs); i++) {
		for (v = 0; v < ARRAY_SIZE(nhpoly1305_tv_template); v++) {
			const struct hash_testvec *tv =
				&nhpoly1305_tv_template[v];
			struct pcs_hash_key *k;

			if (tv->ksize != NHPOLY1305_KEY_SIZE) {
				fprintf(stderr, "nhpoly1305 vector %zu: key of %u bytes\n",
					v, tv->ksize);
				failures++;
				continue;
			}
			memcpy(key, tv->key, tv->ksize);
			k = pcs_hash_key_new(key, nhs[i].nh);
			if (!k) {
				printf("selftest: nhpoly1305 %s: not on this CPU, skipped\n",
				       nhs[i].name);
				break;
			}
			pcs_hash_nhpoly1305(k, tv->plaintext, tv->psize,
					    digest);
			if (memcmp(digest, tv->digest, sizeof(digest))) {
				fprintf(stderr, "nhpoly1305 %s: vector %zu (%u bytes): FAIL\n",
					nhs[i].name, v + 1, tv->psize);
				failures++;
			}
			ran++;
			pcs_hash_key_free(k);
		}
	}
	printf("selftest: nhpoly1305: %d of crypto/testmgr.h's vectors x NH code, %d failed\n",
	       ran, failures);
	return failures;
}

/* The last step of the per-page value, against lib/siphash.c directly */
static int page_value(void)
{
	static u8 page[PCS_HASH_PAGE_SIZE] __aligned(64);
	u8 key[PCS_HASH_KEY_SIZE], d[PCS_HASH_DIGEST_SIZE];
	struct pcs_hash_key *k;
	siphash_key_t k2;
	int failures = 0;
	size_t i;

	get_random_bytes(key, sizeof(key));
	get_random_bytes(page, sizeof(page));
	k = pcs_hash_key_new(key, PCS_HASH_NH_GENERIC);
	if (!k)
		return 1;
	k2.key[0] = get_unaligned_le64(key + NHPOLY1305_KEY_SIZE);
	k2.key[1] = get_unaligned_le64(key + NHPOLY1305_KEY_SIZE + 8);
	for (i = 0; i < 4; i++) {
		u64 index = i * 0x123456789ULL;

		page[i * 1000] ^= 0x5a;
		pcs_hash_nhpoly1305(k, page, sizeof(page), d);
		if (pcs_hash_page(k, index, page) !=
		    siphash_3u64(index, get_unaligned_le64(d),
				 get_unaligned_le64(d + 8), &k2)) {
			fprintf(stderr, "pcs_hash_page: not siphash_3u64(index, NHPoly1305): FAIL\n");
			failures++;
		}
	}
	pcs_hash_key_free(k);
	return failures;
}

int hbk_selftest(void)
{
	static const struct {
		const char *name;
		blake2s_compress_t compress;
		bool (*usable)(void);
	} b2[] = {
		{ "generic", blake2s_compress_generic, NULL },
		{ "ssse3", blake2s_compress_ssse3, NULL },
		{ "avx512", blake2s_compress_avx512, cpu_has_avx512vl },
	};
	int failures = 0, f;
	size_t i;

	f = kshim_kunit_run();
	printf("selftest: siphash: lib/siphash_kunit.c's cases, %d failed\n", f);
	failures += f;

	failures += nhpoly1305_vectors();

	f = page_value();
	f += pcs_hash_selftest();
	printf("selftest: pcs_hash: known answer and NH codes agree, %d failed\n",
	       f);
	failures += f;

	__builtin_cpu_init();
	for (i = 0; i < ARRAY_SIZE(b2); i++) {
		if (i && !__builtin_cpu_supports("ssse3"))
			break;
		if (b2[i].usable && !b2[i].usable()) {
			printf("selftest: blake2s %s: not on this CPU, skipped\n",
			       b2[i].name);
			continue;
		}
		hbk_compress = b2[i].compress;
		f = !blake2s_selftest();
		printf("selftest: blake2s %s: lib/crypto/blake2s-selftest.c, %s\n",
		       b2[i].name, f ? "FAILED" : "passed");
		failures += f;
	}
	hbk_compress = blake2s_compress_generic;

	/* xxh64 has no vectors in the kernel: the reference's empty input */
	f = xxh64("", 0, 0) != 0xef46db3751d8e999ULL;
	printf("selftest: xxh64: empty input, %s\n", f ? "FAILED" : "passed");
	failures += f;
	return failures;
}
