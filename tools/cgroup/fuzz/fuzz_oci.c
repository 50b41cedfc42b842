// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the OCI state parser of pagecache_dups (strict JSON,
 * RFC 8259), and the id check. Not built by the Makefile:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *	-o fuzz_oci fuzz_oci.c -lm
 */
#define PCD_NO_MAIN
#include "../pagecache_dups.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_state st;

	if (!oci_parse((const char *)data, size, &st)) {
		/* what it accepts is valid: the strings are UTF-8 */
		if (!st.id || !st.oci_version || !st.status || !st.bundle)
			abort();
		for (size_t i = 0, k; i < st.id_len; i += k) {
			k = utf8_len((unsigned char *)st.id + i, st.id_len - i);
			if (!k)
				abort();
		}
		oci_bad_id(st.id, st.id_len);
	}
	oci_free(&st);
	return 0;
}
