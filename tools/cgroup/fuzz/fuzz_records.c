// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the record parser of pagecache_dups, fed in chunks
 * (the first input byte sets the chunk size) as read() would, and every
 * record it accepts printed again in canonical form and parsed back to
 * the same values. Not built by the Makefile or run by the tests:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *	-o fuzz_records fuzz_records.c -lm
 *   ./fuzz_records -max_total_time=300 corpus/
 */
#define PCD_NO_MAIN
#include "../pagecache_dups.c"

static void check_roundtrip(void)
{
	char line[LINE_MAX_BYTES];
	struct prec p;
	const char *why;
	size_t i;
	int n, k;

	for (i = 0; i < nr_recs; i++) {
		const struct rec *r = &recs[i];

		if (r->nv != (r->pages < SKETCH_MAX ? r->pages : SKETCH_MAX))
			abort();
		n = snprintf(line, sizeof(line), "%u:%u ino=%llu pages=%llu hash=%016llx sketch=",
			     r->major, r->minor, (unsigned long long)r->ino,
			     (unsigned long long)r->pages,
			     (unsigned long long)r->hash);
		for (k = 0; k < r->nv; k++) {
			if (k && vals[r->voff + k] <= vals[r->voff + k - 1])
				abort();
			n += snprintf(line + n, sizeof(line) - n, "%s%llx",
				      k ? "," : "",
				      (unsigned long long)vals[r->voff + k]);
		}
		why = parse_record(line, line + n, &p);
		if (why || p.major != r->major || p.minor != r->minor ||
		    p.ino != r->ino || p.pages != r->pages ||
		    p.hash != r->hash || p.nv != r->nv ||
		    memcmp(p.v, vals + r->voff, p.nv * sizeof(*p.v)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader rd = { .file = "fuzz", .src = 0 };
	size_t chunk, off;
	int bad = 0;

	page_size = 4096;
	nr_recs = 0;
	nr_vals = 0;
	all_pages = 0;
	if (!size)
		return 0;
	chunk = 1 + data[0] % 64;
	data++;
	size--;
	for (off = 0; off < size && !bad; off += chunk)
		bad = rd_push(&rd, (const char *)data + off,
			      size - off < chunk ? size - off : chunk);
	if (!bad)
		bad = rd_finish(&rd);
	if (!bad)
		check_roundtrip();
	free(rd.line);
	return 0;
}
