// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the whole report of pagecache_dups on fuzzed records.
 * The input is split at each "\n--\n" into the files of sources named
 * /, /a, /a/b, /c, ... (nested: attribution runs), then grouped,
 * estimated, and printed as JSON, text and Prometheus to /dev/null; each
 * group's bound must hold its estimate. Not built by the Makefile:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *	-o fuzz_report fuzz_report.c -lm
 */
#define PCD_NO_MAIN
#include "../pagecache_dups.c"

static const char *const names[] = { "/", "/a", "/a/b", "/c", "/c/d", "/e" };

static void reset(void)
{
	size_t i;

	for (i = 0; i < nr_srcs; i++) {
		free(srcs[i].name);
		free(srcs[i].file);
	}
	for (i = 0; i < nr_vanished; i++)
		free(vanished[i]);
	for (i = 0; i < nr_recs; i++)
		free(recs[i].path);
	free(grecs);
	free(groups);
	free(uf);
	grecs = NULL;
	groups = NULL;
	uf = NULL;
	nr_srcs = 0;
	nr_vanished = 0;
	nr_recs = 0;
	nr_vals = 0;
	nr_groups = 0;
	all_pages = 0;
	unattributed_pages = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *sep;
	static FILE *null;
	struct report rp = { .listed = 0 };
	size_t i, ns = 0;

	page_size = 4096;
	if (!null)
		null = fopen("/dev/null", "w");
	while (p <= end && ns < 6) {
		struct reader rd = { .file = "fuzz" };

		sep = memmem(p, end - p, "\n--\n", 4);
		rd.src = add_src(names[ns], "fuzz", -1);
		srcs[rd.src].first = nr_recs;
		if (rd_push(&rd, p, sep ? (size_t)(sep + 1 - p) : (size_t)(end - p)) ||
		    rd_finish(&rd)) {
			free(rd.line);
			reset();
			return 0;
		}
		free(rd.line);
		srcs[rd.src].nr = nr_recs - srcs[rd.src].first;
		ns++;
		if (!sep)
			break;
		p = sep + 4;
	}
	link_parents();
	attribute();
	group_records(size & 1 ? "/a" : NULL);
	for (i = 0; i < nr_groups; i++)
		if (groups[i].lo > groups[i].est || groups[i].est > groups[i].hi ||
		    groups[i].hi > groups[i].cached)
			abort();
	rp.listed = nr_groups;
	print_json(null, &rp);
	print_text(null, &rp);
	print_prom(null, &rp, nr_groups);
	reset();
	return 0;
}
