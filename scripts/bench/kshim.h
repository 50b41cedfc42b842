/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kshim.h: just enough of the kernel's types and macros to compile some of
 * the kernel's hash and crypto sources, unmodified, into userspace programs
 * (scripts/bench/hashbench, and pcs_hash.c for the userspace baseline).
 *
 * The kernel sources are not copied: the compiler is pointed at Debian's
 * tree, and this header is included before anything else:
 *
 *	P=build/pristine
 *	K="-include scripts/bench/kshim.h -I$P/include -I$P"
 *	gcc -funsigned-char -fno-strict-aliasing $K -c FILE.c
 *	gcc $K -c $P/arch/x86/crypto/X.S
 *
 * A C file then includes the kernel's .c files it wants, between
 * KSHIM_KERNEL_CODE_BEGIN and KSHIM_KERNEL_CODE_END, e.g.
 * #include "lib/siphash.c".  The kernel headers that would pull in the
 * rest of the kernel (linux/types.h, linux/kernel.h, crypto/hash.h, ...)
 * are found in the tree but stay empty: this header defines their include
 * guards and provides what the sources use from them.  A header that is not
 * listed here is read from the tree as it is; if it needs more of the
 * kernel, the build fails and names it, rather than building something else.
 *
 * Kconfig: the values of an x86_64 kernel where they change the code that
 * is built (HAVE_EFFICIENT_UNALIGNED_ACCESS, AS_AVX512), with one exception:
 * CONFIG_DCACHE_WORD_ACCESS is left unset, so lib/siphash.c reads the last
 * 1-7 bytes of an input one by one instead of with load_unaligned_zeropad(),
 * which may read past the end of the buffer and relies on the kernel's
 * exception tables.  Both give the same result; a page is a multiple of 8
 * bytes and never has such a tail.  IS_ENABLED() only knows the options
 * listed below, so an option this header has not decided on fails the
 * build.
 *
 * Userspace only; little-endian hosts only (x86_64 is what is measured).
 */
#ifndef PCS_KSHIM_H
#define PCS_KSHIM_H

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "kshim.h: little-endian hosts only"
#endif

/* Kconfig, for #ifdef and for IS_ENABLED() */
#define CONFIG_64BIT				1
#define CONFIG_X86_64				1
#define CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS	1
#define CONFIG_AS_AVX512			1
#define CONFIG_CRYPTO_LIB_POLY1305_RSIZE	11
#define CONFIG_CRYPTO_LIB_BLAKE2S_GENERIC	1
#define CONFIG_CRYPTO_ARCH_HAVE_LIB_BLAKE2S	1

#define KSHIM_IS_ENABLED_CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS	1
#define KSHIM_IS_ENABLED_CONFIG_AS_AVX512			1
#define KSHIM_IS_ENABLED_CONFIG_CRYPTO_ARCH_HAVE_LIB_POLY1305	0
#define KSHIM_IS_ENABLED_CONFIG_CRYPTO_MANAGER_DISABLE_TESTS	0
#define KSHIM_IS_ENABLED_DEBUG					0
#define IS_ENABLED(option)	(KSHIM_IS_ENABLED_##option)

#define BITS_PER_LONG		64
#define __LITTLE_ENDIAN		1234

/* Kernel headers that stay empty (see above) */
#define __LINUX_KCONFIG_H
#define _LINUX_TYPES_H
#define __LINUX_COMPILER_H
#define _LINUX_KERNEL_H
#define _LINUX_MODULE_H
#define _LINUX_INIT_H
#define _LINUX_BUG_H
#define _LINUX_ERRNO_H
#define _LINUX_STRING_H_
#define __LINUX_UNALIGNED_H
#define _LINUX_RANDOM_H
#define _LINUX_LINKAGE_H
#define _LINUX_CFI_TYPES_H
#define _LINUX_CRYPTO_H
#define _CRYPTO_HASH_H
#define _CRYPTO_ALGAPI_H
#define _CRYPTO_INTERNAL_HASH_H
#define _KUNIT_TEST_H

#ifdef __ASSEMBLER__

/* linux/linkage.h, without CFI type hashes or return thunks */
#define SYM_FUNC_START(name)		\
	.globl name;			\
	.type name, @function;		\
	.p2align 4;			\
	name:
#define SYM_TYPED_FUNC_START(name)	SYM_FUNC_START(name)
#define SYM_FUNC_END(name)		.size name, . - name
#define RET				ret

/* The objects do not need an executable stack */
	.section .note.GNU-stack, "", @progbits
	.previous

#else /* !__ASSEMBLER__ */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Around the kernel's .c files and testmgr.h: the warnings that the
 * kernel's own build leaves off (scripts/Makefile.extrawarn at W=0:
 * -Wno-pointer-sign, no -Wsign-compare, no -Wunused-const-variable), so
 * that the file including them still builds with -Wall -Wextra and no
 * warning of its own is hidden.  The kernel's code generation flags
 * -funsigned-char and -fno-strict-aliasing belong on the command line.
 */
#define KSHIM_KERNEL_CODE_BEGIN						\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wpointer-sign\"")		\
	_Pragma("GCC diagnostic ignored \"-Wsign-compare\"")		\
	_Pragma("GCC diagnostic ignored \"-Wunused-const-variable\"")
#define KSHIM_KERNEL_CODE_END	_Pragma("GCC diagnostic pop")

/* linux/types.h */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned __int128 u128;
typedef u16 __le16;
typedef u32 __le32;
typedef u64 __le64;
typedef u16 __be16;
typedef u32 __be32;
typedef u64 __be64;

/* linux/compiler*.h, linux/init.h, linux/linkage.h */
#define __force
#define __init
#define __exit
#define __initconst
#define __initdata
#define __ro_after_init
#define __read_mostly
#define asmlinkage
#define __aligned(x)		__attribute__((__aligned__(x)))
#ifndef __always_inline		/* glibc's sys/cdefs.h has one */
#define __always_inline		inline __attribute__((__always_inline__))
#endif
#define noinline		__attribute__((__noinline__))
#define noinline_for_stack	noinline
#define __maybe_unused		__attribute__((__unused__))
#define __weak			__attribute__((__weak__))
#define __alias(symbol)		__attribute__((__alias__(#symbol)))
#define __must_check		__attribute__((__warn_unused_result__))
#define fallthrough		__attribute__((__fallthrough__))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define barrier_data(ptr)	__asm__ __volatile__("" : : "r"(ptr) : "memory")

/* linux/build_bug.h, linux/bug.h, linux/printk.h */
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), "BUILD_BUG_ON(" #cond ")")
#define pr_err(...)		fprintf(stderr, __VA_ARGS__)
#define WARN_ON(cond) ({						\
	int __kshim_warn = !!(cond);					\
	if (unlikely(__kshim_warn))					\
		fprintf(stderr, "WARNING at %s:%d: %s\n",		\
			__FILE__, __LINE__, #cond);			\
	__kshim_warn;							\
})

/* linux/module.h, linux/export.h, linux/init.h, crypto/algapi.h */
#define KSHIM_DECL_NOTHING(x)	_Static_assert(1, #x)
#define EXPORT_SYMBOL(sym)		KSHIM_DECL_NOTHING(sym)
#define EXPORT_SYMBOL_GPL(sym)		KSHIM_DECL_NOTHING(sym)
#define MODULE_LICENSE(x)		KSHIM_DECL_NOTHING(x)
#define MODULE_AUTHOR(x)		KSHIM_DECL_NOTHING(x)
#define MODULE_DESCRIPTION(x)		KSHIM_DECL_NOTHING(x)
#define MODULE_ALIAS_CRYPTO(x)		KSHIM_DECL_NOTHING(x)
#define THIS_MODULE			NULL
/* Kept, so that the kernel's static init and exit functions are used */
#define module_init(fn)							\
	static int (*const kshim_init_##fn)(void) __attribute__((__used__)) = fn
#define subsys_initcall(fn)		module_init(fn)
#define module_exit(fn)							\
	static void (*const kshim_exit_##fn)(void) __attribute__((__used__)) = fn

/* uapi/asm-generic/errno-base.h */
#define ENOMEM		12
#define ENODEV		19
#define EINVAL		22

/* linux/kernel.h, linux/math.h, linux/minmax.h, linux/align.h */
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define round_down(x, y)	((x) & ~((__typeof__(x))((y) - 1)))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define min(x, y) ({							\
	__typeof__(x) __kshim_x = (x);					\
	__typeof__(y) __kshim_y = (y);					\
	__kshim_x < __kshim_y ? __kshim_x : __kshim_y;			\
})
#define max(x, y) ({							\
	__typeof__(x) __kshim_x = (x);					\
	__typeof__(y) __kshim_y = (y);					\
	__kshim_x > __kshim_y ? __kshim_x : __kshim_y;			\
})
#define min_t(type, x, y)	min((type)(x), (type)(y))
#define max_t(type, x, y)	max((type)(x), (type)(y))

/* linux/bitops.h */
static inline u64 rol64(u64 word, unsigned int shift)
{
	return (word << (shift & 63)) | (word >> ((-shift) & 63));
}

static inline u64 ror64(u64 word, unsigned int shift)
{
	return (word >> (shift & 63)) | (word << ((-shift) & 63));
}

static inline u32 rol32(u32 word, unsigned int shift)
{
	return (word << (shift & 31)) | (word >> ((-shift) & 31));
}

static inline u32 ror32(u32 word, unsigned int shift)
{
	return (word >> (shift & 31)) | (word << ((-shift) & 31));
}

/* linux/byteorder/generic.h, on a little-endian CPU */
#define cpu_to_le16(x)		((__le16)(u16)(x))
#define cpu_to_le32(x)		((__le32)(u32)(x))
#define cpu_to_le64(x)		((__le64)(u64)(x))
#define le16_to_cpu(x)		((u16)(__le16)(x))
#define le32_to_cpu(x)		((u32)(__le32)(x))
#define le64_to_cpu(x)		((u64)(__le64)(x))
#define le16_to_cpup(p)		(*(const __le16 *)(p))
#define le32_to_cpup(p)		(*(const __le32 *)(p))
#define le64_to_cpup(p)		(*(const __le64 *)(p))

static inline void le64_add_cpu(__le64 *var, u64 val)
{
	*var = cpu_to_le64(le64_to_cpu(*var) + val);
}

static inline void cpu_to_le32_array(u32 *buf, unsigned int words)
{
	(void)buf;
	(void)words;
}

static inline void le32_to_cpu_array(u32 *buf, unsigned int words)
{
	(void)buf;
	(void)words;
}

/* linux/unaligned.h */
static inline u16 get_unaligned_le16(const void *p)
{
	u16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline u32 get_unaligned_le32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline u64 get_unaligned_le64(const void *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void put_unaligned_le32(u32 v, void *p)
{
	memcpy(p, &v, sizeof(v));
}

static inline void put_unaligned_le64(u64 v, void *p)
{
	memcpy(p, &v, sizeof(v));
}

/* linux/string.h */
static inline void memzero_explicit(void *s, size_t count)
{
	memset(s, 0, count);
	barrier_data(s);
}

/*
 * linux/random.h: only lib/crypto/blake2s-selftest.c draws random bytes,
 * for inputs that it compares across implementations; a fixed sequence
 * (splitmix64) keeps runs reproducible.
 */
static inline void get_random_bytes(void *buf, size_t len)
{
	static u64 kshim_random_state = 0x7063735f68617368ULL;
	u8 *p = buf;

	while (len) {
		u64 z = (kshim_random_state += 0x9e3779b97f4a7c15ULL);
		size_t n = len < 8 ? len : 8;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(p, &z, n);
		p += n;
		len -= n;
	}
}

/*
 * crypto/hash.h, crypto/internal/hash.h: a synchronous hash ("shash") is a
 * transform holding the key (crypto_shash_ctx) and a descriptor holding
 * the state of one computation (shash_desc_ctx).  crypto/nhpoly1305.c is
 * written against these; here they are two pointers, so a caller runs the
 * kernel's own init/update/final functions on a key and a state of its own.
 */
struct crypto_shash {
	void *ctx;
};

struct shash_desc {
	struct crypto_shash *tfm;
	void *ctx;
};

static inline void *crypto_shash_ctx(struct crypto_shash *tfm)
{
	return tfm->ctx;
}

static inline void *shash_desc_ctx(struct shash_desc *desc)
{
	return desc->ctx;
}

struct crypto_alg {
	const char *cra_name;
	const char *cra_driver_name;
	int cra_priority;
	unsigned int cra_blocksize;
	unsigned int cra_ctxsize;
	const void *cra_module;
};

struct shash_alg {
	struct crypto_alg base;
	unsigned int digestsize;
	unsigned int descsize;
	int (*init)(struct shash_desc *desc);
	int (*update)(struct shash_desc *desc, const u8 *data,
		      unsigned int len);
	int (*final)(struct shash_desc *desc, u8 *out);
	int (*setkey)(struct crypto_shash *tfm, const u8 *key,
		      unsigned int keylen);
};

static inline int crypto_register_shash(struct shash_alg *alg)
{
	(void)alg;
	return 0;
}

static inline void crypto_unregister_shash(struct shash_alg *alg)
{
	(void)alg;
}

/*
 * kunit/test.h: enough to run a KUnit suite's cases and count the failed
 * expectations.  kunit_test_suite() names the suite kshim_kunit_suite, so
 * one suite per C file.
 */
struct kunit {
	const char *name;
	int failures;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
};

struct kunit_suite {
	const char *name;
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(fn)		{ .run_case = fn, .name = #fn }
#define kunit_test_suite(suite)						\
	static struct kunit_suite *const kshim_kunit_suite = &(suite)
#define KUNIT_EXPECT_EQ_MSG(test, left, right, ...) do {		\
	if ((left) != (right)) {					\
		(test)->failures++;					\
		fprintf(stderr, "%s: ", (test)->name);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

/* Runs every case of the file's suite; returns the failed expectations */
#define kshim_kunit_run() ({						\
	struct kunit __kshim_test = { .name = kshim_kunit_suite->name };\
	struct kunit_case *__kshim_c;					\
	for (__kshim_c = kshim_kunit_suite->test_cases;			\
	     __kshim_c->run_case; __kshim_c++)				\
		__kshim_c->run_case(&__kshim_test);			\
	__kshim_test.failures;						\
})

#endif /* !__ASSEMBLER__ */
#endif /* PCS_KSHIM_H */
