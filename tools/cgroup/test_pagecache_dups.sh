#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Tests of pagecache_dups. Usage: test_pagecache_dups.sh [PAGECACHE_DUPS]
#
# Most cases feed records in the v2 format from files (--input, or a fake
# cgroup tree given as --root) and run anywhere; test_pagecache_dups_gen,
# built next to the tool, makes the simulated groups of the estimator's
# cases. Some need root (mounts, su) or tools (promtool, python3) and are
# skipped, with the reason, without them. The "kernel" cases need a kernel
# with memory.pagecache_stat, root, and an ext4 directory to write to
# (PCD_DIR, default /mnt/ext4): they run in the harness's VM and are
# skipped elsewhere. Output is TAP.
#
# "A && B || C" here means: C when A or B fails.
# shellcheck disable=SC2015

T=$1
if [ -z "$T" ]; then
	# next to this script, or in data/ there (as in the harness's VM)
	T=$(dirname "$0")/pagecache_dups
	[ -x "$T" ] || T=$(dirname "$0")/data/pagecache_dups
fi
G=$(dirname "$T")/test_pagecache_dups_gen
# the sample of v2 records: in testdata/ here, or next to the binaries
SAMPLE=$(dirname "$0")/testdata/v2-sample.txt
[ -f "$SAMPLE" ] || SAMPLE=$(dirname "$T")/testdata/v2-sample.txt
PS=$(getconf PAGESIZE 2>/dev/null || echo 4096)
W=$(mktemp -d) || exit 1
cleanup() {
	# the mounts of the cases, one a line (names may hold spaces)
	if [ -f "$W/.mounts" ]; then
		while IFS= read -r m; do umount "$m"; done <"$W/.mounts"
	fi
	rm -rf "$W"
}
trap cleanup EXIT
n=0
nfail=0
why=

pass() { n=$((n + 1)); echo "ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
fail() {
	n=$((n + 1)); nfail=$((nfail + 1))
	echo "not ok $n $1"
	echo "# $why"
	sed 's/^/#   stdout: /' "$W/out" 2>/dev/null | head -n 20
	sed 's/^/#   stderr: /' "$W/err" 2>/dev/null | head -n 5
}

# case_ NAME FUNCTION: a case passes when FUNCTION returns 0, is skipped
# when it returns 2 (with $skipped set); FUNCTION sets $why when it fails.
# Cases named in PCD_SKIP (comma-separated, without "pagecache_dups.") are
# skipped: the harness's VM skips the slow ones that need neither root nor
# a kernel, which it has run on the host already.
case_() {
	case ",${PCD_SKIP:-}," in
	*",${1#pagecache_dups.},"*)
		skip "$1" "in PCD_SKIP (run where the harness runs it)"
		return
		;;
	esac
	why="(no reason given)"
	skipped=
	"$2"
	case $? in
	0) pass "$1" ;;
	2) skip "$1" "$skipped" ;;
	*) fail "$1" ;;
	esac
}

run() { "$T" "$@" >"$W/out" 2>"$W/err"; rc=$?; return $rc; }
want_rc() {
	[ "$rc" = "$1" ] && return 0
	why="exit status $rc, want $1"
	return 1
}
has() {
	grep -qF -- "$1" "$W/out" && return 0
	why="output lacks: $1"
	return 1
}
hasnt() {
	grep -qF -- "$1" "$W/out" || return 0
	why="output has: $1"
	return 1
}
err_has() {
	grep -qF -- "$1" "$W/err" && return 0
	why="stderr lacks: $1 (it says: $(head -c 300 "$W/err"))"
	return 1
}
empty_stdout() {
	[ -s "$W/out" ] || return 0
	why="a report was printed although the run failed"
	return 1
}
# json_ok FILE: FILE is valid JSON (python3 or jq decide; without them,
# return 2 with $skipped set).
json_ok() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8", errors="strict"))' "$1" 2>"$W/jsonerr" && return 0
	elif command -v jq >/dev/null 2>&1; then
		jq . "$1" >/dev/null 2>"$W/jsonerr" && return 0
	else
		skipped="no python3 or jq to check the JSON"
		return 2
	fi
	why="not valid JSON: $(cat "$W/jsonerr")"
	return 1
}

# as_nobody ARGS...: run the tool as user nobody (uid 65534); ARGS must
# not need quoting.
as_nobody() {
	# a copy in $W, which nobody can reach wherever the tool was built
	chmod 755 "$W"
	cp "$T" "$W/tool"
	su -s /bin/sh nobody -c "exec $W/tool $*" >"$W/out" 2>"$W/err"
	rc=$?
}

can_be_nobody() {
	[ "$(id -u)" = 0 ] || { skipped="not root"; return 1; }
	id nobody >/dev/null 2>&1 || { skipped="no user nobody"; return 1; }
	su -s /bin/sh nobody -c true 2>/dev/null ||
		{ skipped="su to nobody does not work here"; return 1; }
}

# rec DEV INO CONTENT FIRST COUNT: the record of pages FIRST..FIRST+COUNT-1
# of a file whose content is CONTENT (a number > 0): the page at index i
# has the value CONTENT * 2^32 + p(i), p a permutation of the 32-bit
# numbers, so copies of one content share the values of the indices they
# both cache, other contents share none, and the smallest values are a
# scattered sample of the indices (as with the kernel's PRF).
rec() {
	printf '%s ino=%s pages=%d hash=%04x%06x%06x sketch=' "$1" "$2" "$5" "$3" "$4" "$5"
	# (busybox awk prints no number above 2^31 - 1 with %x: 16-bit halves)
	awk -v c="$3" -v f="$4" -v n="$5" 'BEGIN {
		for (i = f; i < f + n; i++) {
			v = (i * 2654435761 + 12345) % 4294967296
			printf "%x%04x%04x\n", c, int(v / 65536), v % 65536
		}
	}' | sort | head -n 128 | tr '\n' ',' | sed 's/,$//'
	echo
}
# recn DEV INO CONTENT PAGES: a file of PAGES pages, all cached.
recn() { rec "$1" "$2" "$3" 0 "$4"; }

# grp COPIES CACHED SAVED: an exact group's fields, sizes in pages.
grp() {
	printf '"copies":%d,"cached_bytes":%d,"saveable_bytes":%d,"saveable_low_bytes":%d,"saveable_high_bytes":%d,' \
		"$1" $(($2 * PS)) $(($3 * PS)) $(($3 * PS)) $(($3 * PS))
}

# Three containers: content 0xbb (1024 pages) cached by all three on
# distinct inodes, 0xaa (256 pages) by two, the rest once.
mk_three() {
	{ recn 254:0 12 170 256; recn 254:0 15 187 1024
	  recn 254:0 20 204 3; } >"$W/a"
	{ recn 254:0 13 170 256; recn 254:0 16 187 1024; } >"$W/b"
	{ recn 254:0 30 187 1024; recn 254:0 31 238 5; } >"$W/c"
}
three() { run "$@" -i /a="$W/a" -i /b="$W/b" -i /c="$W/c"; }

t_groups_identical() {
	mk_three
	three -j && want_rc 0 || return 1
	has "\"kind\":\"identical\",\"exact\":true,\"hash\":\"00bb000000000400\",\"size_bytes\":$((1024 * PS)),$(grp 3 3072 2048)" &&
		has "\"kind\":\"identical\",\"exact\":true,\"hash\":\"00aa000000000100\",\"size_bytes\":$((256 * PS)),$(grp 2 512 256)" &&
		has "\"cached_bytes\":$(((1283 + 1280 + 1029) * PS))," &&
		has "\"duplicated_bytes\":$(((3 * 1024 + 2 * 256) * PS)),\"exact_saveable_bytes\":$((2304 * PS))," &&
		has "\"saveable_bytes\":$((2304 * PS)),\"groups\":2," &&
		has '"groups":2,"exact_groups":2,"estimated_groups":0}' &&
		hasnt '"ino":20,' && hasnt '"ino":31,'
}

t_largest_waste_first() {
	mk_three
	three && want_rc 0 || return 1
	first=$(grep -m1 '^#1 ' "$W/out")
	second=$(grep -m1 '^#2 ' "$W/out")
	case $first$second in
	*"3 copies, 12.0 MiB cached; sharing saves 8.0 MiB (exact: identical copies)"*"2 copies, 2.0 MiB cached; sharing saves 1.0 MiB"*)
		;;
	*)
		why="groups not in order of saving: '$first' / '$second'"
		return 1 ;;
	esac
	has "sharing would save   9.0 MiB exact"
}

t_waste_by_cgroup() {
	mk_three
	three -j && want_rc 0 || return 1
	# Each copy carries its part of its group's saving (by its pages):
	# /a and /b hold a copy of both contents, /c of the larger only.
	a=$(sed -n 's/.*"cgroup":"\/a","saveable_bytes":\([0-9]*\),.*/\1/p' "$W/out")
	b=$(sed -n 's/.*"cgroup":"\/b","saveable_bytes":\([0-9]*\),.*/\1/p' "$W/out")
	c=$(sed -n 's/.*"cgroup":"\/c","saveable_bytes":\([0-9]*\),.*/\1/p' "$W/out")
	want_a=$(((2048 * PS + 2) / 3 + 128 * PS))
	if [ -z "$a" ] || [ "$a" != "$b" ] || [ $((a - want_a)) -gt 1 ] ||
	   [ $((want_a - a)) -gt 1 ] || [ "$c" != $(((2048 * PS + 1) / 3)) ]; then
		why="waste by cgroup a=$a b=$b c=$c, want a=b=$want_a c=$(((2048 * PS + 1) / 3))"
		return 1
	fi
}

t_text_headers() {
	mk_three
	three --bytes && want_rc 0 || return 1
	has "    CGROUP  DEVICE      INODE             PAGES" &&
		has "    /a      254:0       15                 1024" &&
		has "share of the saving by cgroup (a group's saving is split over its copies by their pages)" &&
		has "CGROUP         SAVES   SHARE     ITS CACHE" &&
		has "sharing would save   $((2304 * PS)) exact" &&
		has "totals (bytes)" || return 1
	run --version && want_rc 0 && has "pagecache_dups 2.0 (records v2, JSON schema 2)" &&
		run --help && has "pagecache_dups(8)"
}

t_limit() {
	mk_three
	three -n 1 && want_rc 0 && has "... and 1 more groups (--limit 0 shows all)" &&
		hasnt "#2 " || return 1
	three -j -n 1 && want_rc 0 && has '"duplicates_omitted":1' &&
		has '"groups":2,' && has '"rank":1,' && hasnt '"rank":2,' || return 1
	# JSON lists all by default, text 20
	three -j && has '"rank":2,' && has '"duplicates_omitted":0'
}

t_same_inode_is_one_copy() {
	# The same page cache seen in two cgroups (as through an overlayfs
	# lower layer read by two containers) is one copy, not a duplicate.
	recn 254:0 12 170 256 >"$W/a"
	recn 254:0 12 170 256 >"$W/b"
	run -j -i /a="$W/a" -i /b="$W/b" && want_rc 0 &&
		has '"saveable_bytes":0,' && has '"duplicates":[]' &&
		has "\"cached_bytes\":$((256 * PS)),"
}

t_equal_devino_distinct() {
	# Two records of one inode in one file are distinct page caches (an
	# inode evicted and read again during the read): two copies.
	{ recn 254:0 12 170 20; recn 254:0 12 170 20; } >"$W/a"
	run -j -i /a="$W/a" && want_rc 0 && has "$(grp 2 40 20)" || return 1
	# ... and parts of one page cache in two cgroups are one copy
	{ rec 254:0 12 170 0 10; } >"$W/a"
	{ rec 254:0 12 170 10 10; recn 254:0 99 170 20; } >"$W/b"
	run -j -i /a="$W/a" -i /b="$W/b" && want_rc 0 && has "$(grp 2 40 20)"
}

t_unrelated_contents() {
	recn 254:0 12 170 256 >"$W/a"
	recn 254:0 13 171 256 >"$W/b"
	run -j -i /a="$W/a" -i /b="$W/b" && want_rc 0 && has '"groups":0,'
}

t_overlap_exact() {
	# Complete sketches: U is counted. Pages 0-99 and 50-119 of one
	# file: 50 in common; a third copy 110-119 shares 10 with the second.
	{ rec 8:1 1 170 0 100; rec 8:1 2 170 50 70; rec 8:1 3 170 110 10; } >"$W/a"
	run -j -i /a="$W/a" && want_rc 0 &&
		has '"kind":"overlap","exact":true,"hash":null,"size_bytes":null,' &&
		has "$(grp 3 180 60)" || return 1
	# the same file at other offsets is another content: no group
	{ rec 8:1 1 170 0 100; } >"$W/a"
	{ awk -v c=170 'BEGIN { printf "8:1 ino=2 pages=100 hash=0000000000000001 sketch="
		for (i = 0; i < 100; i++) printf "%s%x%08x", (i ? "," : ""), c, i + 1000
		printf "\n" }'; } >"$W/b"
	run -j -i /a="$W/a" -i /b="$W/b" && want_rc 0 && has '"groups":0,'
}

t_overlap_estimated() {
	# 1000 pages cached by one, 500 of them by another: estimated, and
	# the true saving (500 pages) is within the bound.
	{ rec 8:1 1 170 0 1000; rec 8:1 2 170 0 500; } >"$W/a"
	run -j -i /a="$W/a" && want_rc 0 &&
		has '"kind":"estimated","exact":false,' || return 1
	lo=$(sed -n 's/.*"saveable_low_bytes":\([0-9]*\),.*/\1/p' "$W/out")
	hi=$(sed -n 's/.*"saveable_high_bytes":\([0-9]*\),.*/\1/p' "$W/out")
	[ "$lo" -le $((500 * PS)) ] && [ "$hi" -ge $((500 * PS)) ] ||
		{ why="500 pages not in [$lo, $hi] bytes"; return 1; }
	has '"estimated_groups":1}' || return 1
	run -i /a="$W/a" && has "(exact: " && return 1
	has "confidence; estimated)" && has "+ ~"
}

# The estimator's bound, on simulated groups with known answers: N = 2..10
# copies, overlaps of 0/25/50/100%, sizes 16..8000 pages, copy 0 often
# fully cached. It may miss with probability 1e-4 per group; with these
# fixed seeds it misses none. The generator's oracle also says which
# copies share a sketch value: the groups found must be exactly those.
sim_check() {
	awk '
	function num(name,   s) {
		if (!match($0, "\"" name "\":[0-9]+"))
			return -1
		s = substr($0, RSTART, RLENGTH)
		sub(/.*:/, "", s)
		return s + 0
	}
	FNR == NR { copies[$1] = $2; S[$1] = $3; U[$1] = $4; nt++; next }
	/"page_size":/ { ps = num("page_size") }
	/^\{"rank":/ {
		ng++
		ino = num("ino"); est = num("saveable_bytes")
		lo = num("saveable_low_bytes"); hi = num("saveable_high_bytes")
		k = gsub(/"ino":/, "&")
		if (!(ino in S)) { unknown++; next }
		seen[ino] = 1
		if (k != copies[ino]) badcopies++
		truth = (S[ino] - U[ino]) * ps
		if (truth < lo || truth > hi) miss++
		if (/"exact":true/) { exact++; if (est != truth) badexact++ }
		else { nest++; w += (hi - lo) / (S[ino] * ps); e += (est > truth ? est - truth : truth - est) / (S[ino] * ps) }
	}
	END {
		for (k in S) if (!(k in seen)) missing++
		printf "groups %d of %d, %d exact, %d estimated: %d outside the bound, %d exact wrong, %d with other copies, %d unknown, %d missing; mean width %.3f S, mean error %.4f S\n", ng, nt, exact, nest, miss, badexact, badcopies, unknown, missing, nest ? w / nest : 0, nest ? e / nest : 0
		exit (ng != nt || miss || badexact || badcopies || unknown || missing || nest < nt / 3)
	}' "$1/truth" "$W/out"
}

sim_inputs() {
	for j in 0 1 2 3 4 5 6 7 8 9; do
		printf -- '-i /c%d=%s/c%d ' "$j" "$1" "$j"
	done
}

t_estimator_bound() {
	[ -x "$G" ] || { skipped="no $G"; return 2; }
	mkdir -p "$W/sim"
	"$G" sim 1 "${PCD_SIM_TRIALS:-2000}" "$W/sim" || { why="the generator failed"; return 1; }
	# shellcheck disable=SC2046
	run -j $(sim_inputs "$W/sim") && want_rc 0 || return 1
	res=$(sim_check "$W/sim") && echo "# $res" && return 0
	why=$res
	return 1
}

t_unrelated_never_grouped() {
	[ -x "$G" ] || { skipped="no $G"; return 2; }
	mkdir -p "$W/sim0"
	"$G" sim 2 500 "$W/sim0" 0 || { why="the generator failed"; return 1; }
	# shellcheck disable=SC2046
	run -j $(sim_inputs "$W/sim0") && want_rc 0 && has '"groups":0,' &&
		[ ! -s "$W/sim0/truth" ]
}

t_focus() {
	mk_three
	three -j --focus /c && want_rc 0 || return 1
	# Duplicate totals are of the groups shown; cached_bytes of all.
	has '"focus":"/c"' && has '"hash":"00bb000000000400"' &&
		hasnt '"hash":"00aa000000000100"' &&
		has "\"cached_bytes\":$(((1283 + 1280 + 1029) * PS))," &&
		has "\"saveable_bytes\":$((2048 * PS)),\"groups\"" &&
		has '"groups":1,' || return 1
	three --focus /c/ && want_rc 0 &&
		has "showing the groups with a copy in /c; the totals of duplicates are of those groups only"
}

t_focus_names_no_cgroup() {
	mk_three
	three --focus /nonexistent
	want_rc 1 && empty_stdout && err_has "names no cgroup" || return 1
	three --focus /a/b
	want_rc 1 || return 1
	mk_tree
	run --root "$R" --focus /nonexistent
	want_rc 1 && err_has "--focus /nonexistent names no cgroup" || return 1
	run --root "$R" --focus /x /a
	want_rc 1 || return 1
	run --proc --focus /a
	want_rc 1 || return 1
	# an ancestor of the cgroups read names them
	run -i /k/a="$W/a" -i /k/b="$W/b" --focus /k && want_rc 0
}

t_empty_cgroups() {
	: >"$W/a"
	: >"$W/b"
	run -i /a="$W/a" -i /b="$W/b" && want_rc 0 &&
		has "no content is cached more than once" &&
		has "page cache of 2 cgroups: 0 B in 0 records"
}

t_sample() {
	[ -f "$SAMPLE" ] || { skipped="no $SAMPLE"; return 2; }
	# keys in any order, a key of a later kernel, block-device page cache,
	# two page caches of one btrfs inode number
	run -j -i /s="$SAMPLE" && want_rc 0 &&
		has '"records":6,' && has "$(grp 3 10 5)"
}

t_malformed() {
	good=$(recn 8:1 11 1 1)
	for bad in "8:1 ino=12 pages=1 hash=00000000000000aa" \
		   "8:1 ino=12 pages=1 sketch=1" \
		   "8:1 pages=1 hash=00000000000000aa sketch=1" \
		   "8:1 ino=12 hash=00000000000000aa sketch=1" \
		   "8:1 ino=12 pages=1 hash=00000000000000a sketch=1" \
		   "8:1 ino=12 pages=1 hash=00000000000000aaa sketch=1" \
		   "8:1 ino=12 pages=1 hash=00000000000000AA sketch=1" \
		   "8:1 ino=12 pages=0 hash=00000000000000aa sketch=1" \
		   "8:1 ino=12 pages=1 hash=00000000000000aa sketch=1 " \
		   "8:1 ino=12  pages=1 hash=00000000000000aa sketch=1" \
		   "8:1	ino=12 pages=1 hash=00000000000000aa sketch=1" \
		   "8:1 ino=-12 pages=1 hash=00000000000000aa sketch=1" \
		   "8:1 ino=012 pages=1 hash=00000000000000aa sketch=1" \
		   "8:1 ino=99999999999999999999999 pages=1 hash=00000000000000aa sketch=1" \
		   "8:1 ino=12 ino=12 pages=1 hash=00000000000000aa sketch=1" \
		   "8:1 ino=12 pages=2 hash=00000000000000aa sketch=1" \
		   "8:1 ino=12 pages=2 hash=00000000000000aa sketch=2,1" \
		   "8:1 ino=12 pages=2 hash=00000000000000aa sketch=1,1" \
		   "8:1 ino=12 pages=2 hash=00000000000000aa sketch=1,02" \
		   "8:1 ino=12 pages=2 hash=00000000000000aa sketch=1,A" \
		   "8:1 ino=12 pages=2 hash=00000000000000aa sketch=1,,2" \
		   "8:1 ino=12 pages=1 hash=00000000000000aa sketch=" \
		   "8:1 ino=12 pages=1 hash=00000000000000aa sketch=10000000000000000" \
		   "8:1 ino=12 pages=1 hash=00000000000000aa sketch=1 Flags=x" \
		   "8:1 ino=12 pages=1 hash=00000000000000aa sketch=1 =x" \
		   "8:1 ino=12 pages=1 hash=00000000000000aa sketch=1 x" \
		   "8:1 ino=12 pages=1 hash=00000000000000aa sketch=1 x=\"a b\"" \
		   "08:1 ino=12 pages=1 hash=00000000000000aa sketch=1" \
		   "4096:0 ino=12 pages=1 hash=00000000000000aa sketch=1" \
		   "8:1048576 ino=12 pages=1 hash=00000000000000aa sketch=1" \
		   "8 ino=12 pages=1 hash=00000000000000aa sketch=1" \
		   "ino=12 pages=1 hash=00000000000000aa sketch=1" \
		   "dev ino nr_pages hash" \
		   "8:0 ino=1 pages=1 hash=00000000000000aa sketch=1"; do
		# the bad line comes second, after a good one
		printf '%s\n%s\n' "$good" "$bad" >"$W/bad"
		printf '%s\n' "$good" >"$W/good"
		run -i /good="$W/good" -i /bad="$W/bad"
		if [ "$rc" != 4 ] || [ -s "$W/out" ] ||
		   ! grep -q "$W/bad:2: malformed" "$W/err"; then
			why="line '$bad': exit $rc, want 4, no report, file:line named"
			return 1
		fi
	done
	# a full sketch has 128 values; 129 are too many
	awk 'BEGIN { printf "8:1 ino=12 pages=200 hash=00000000000000aa sketch="
		for (i = 1; i <= 129; i++) printf "%s%x", (i > 1 ? "," : ""), i
		printf "\n" }' >"$W/bad"
	run -i /bad="$W/bad"
	[ "$rc" = 4 ] || { why="129 sketch values: exit $rc"; return 1; }
	# no newline at the end, unsorted, a NUL byte
	printf '%s' "$good" >"$W/bad"
	run -i /bad="$W/bad"
	[ "$rc" = 4 ] && [ ! -s "$W/out" ] && grep -q 'no newline' "$W/err" ||
		{ why="no final newline: exit $rc"; return 1; }
	{ recn 8:1 13 1 1; recn 8:1 12 1 1; } >"$W/bad"
	run -i /bad="$W/bad"
	[ "$rc" = 4 ] && grep -q '8:1 ino=12 comes after 8:1 ino=13: records are not sorted' "$W/err" ||
		{ why="unsorted: exit $rc"; return 1; }
	{ recn 254:0 13 1 1; recn 8:1 14 1 1; } >"$W/bad"
	run -i /bad="$W/bad"
	[ "$rc" = 4 ] || { why="unsorted devices: exit $rc"; return 1; }
	printf '%s\n\000\n' "$good" >"$W/bad"
	run -i /bad="$W/bad"
	[ "$rc" = 4 ] && [ ! -s "$W/out" ] || { why="NUL byte: exit $rc"; return 1; }
}

t_v1_refused() {
	printf 'fe:00 12 64 0123456789abcdef\n' >"$W/v1"
	run -i /a="$W/v1"
	want_rc 4 && empty_stdout && err_has "$W/v1:1: malformed: this is the v1 format"
}

t_unknown_fields() {
	# a later kernel's fields, anywhere after the device, are skipped
	printf '8:1 flags=ro,x ino=12 sketch=1,2 hash=00000000000000aa pages=2 z9_=\n' >"$W/a"
	printf '8:1 ino=13 pages=2 hash=00000000000000aa sketch=1,2\n' >"$W/b"
	run -j -i /a="$W/a" -i /b="$W/b" && want_rc 0 && has "$(grp 2 4 2)"
}

t_overflow() {
	# pages whose byte count does not fit in 64 bits, one or in all
	shift=0
	while [ $((1 << shift)) -lt "$PS" ]; do shift=$((shift + 1)); done
	max=$((1 << (64 - shift)))
	printf '8:1 ino=12 pages=%s hash=00000000000000aa sketch=1' "$max" >"$W/bad"
	awk 'BEGIN { for (i = 2; i <= 128; i++) printf ",%x", i; printf "\n" }' >>"$W/bad"
	run -i /a="$W/bad"
	want_rc 4 && err_has "overflows a byte count" || return 1
	half=$((1 << (63 - shift)))
	for i in 12 13; do
		printf '8:1 ino=%s pages=%s hash=00000000000000aa sketch=1' "$i" "$half"
		awk 'BEGIN { for (i = 2; i <= 128; i++) printf ",%x", i; printf "\n" }'
	done >"$W/bad"
	run -i /a="$W/bad"
	want_rc 4 && err_has "$W/bad:2: malformed: the page counts add up to more than 2^64 bytes"
}

t_dev_zero() {
	# parsed while read: /dev/zero stops at its first bytes
	run -i /x=/dev/zero
	want_rc 4 && err_has "/dev/zero:1: malformed: a NUL byte" || return 1
	# and an endless line stops at the line limit
	yes x | tr -d "\n" | "$T" -i /x=/proc/self/fd/0 >"$W/out" 2>"$W/err"
	rc=$?
	want_rc 4 && err_has "/proc/self/fd/0:1: malformed: a line longer than 65536 bytes"
}

t_thousands_of_records() {
	# 3 cgroups x 4000 records; contents 1..3000 are cached by all three.
	for k in 1 2 3; do
		awk -v k=$k 'BEGIN {
			for (i = 1; i <= 4000; i++) {
				c = i <= 3000 ? i : k * 10000 + i
				n = i % 7 + 1
				printf "8:1 ino=%d pages=%d hash=%016x sketch=", k * 100000 + i, n, c
				for (j = 0; j < n; j++)
					printf "%s%x%08x", (j ? "," : ""), c, j + 1
				printf "\n"
			}
		}' >"$W/big$k"
	done
	want=$(awk 'BEGIN { for (i = 1; i <= 3000; i++) s += 2 * (i % 7 + 1); print s }')
	run -j -i /1="$W/big1" -i /2="$W/big2" -i /3="$W/big3" && want_rc 0 &&
		has "\"saveable_bytes\":$((want * PS)),\"groups\"" &&
		has '"groups":3000,' || return 1
	[ "$(grep -c '"copies":3,' "$W/out")" = 3000 ] ||
		{ why="not 3000 groups of 3 copies"; return 1; }
	run -n 5 -i /1="$W/big1" -i /2="$W/big2" -i /3="$W/big3" &&
		has "... and 2995 more groups"
}

t_missing_file() {
	run -i /a="$W/nonexistent" && return 1
	want_rc 2 && empty_stdout && err_has "No such file" || return 1
	# a cgroup v2 mount (here a plain directory) without the file
	mkdir -p "$W/nocg"
	echo "cpu memory" >"$W/nocg/cgroup.controllers"
	run --root "$W/nocg" && return 1
	want_rc 2 && err_has 'lacks the pagecache_stat patchset' || return 1
	echo "cpu" >"$W/nocg/cgroup.controllers"
	run --root "$W/nocg"
	want_rc 2 && err_has 'memory controller is not enabled' || return 1
	rm "$W/nocg/cgroup.controllers"
	run --root "$W/nocg"
	want_rc 2 && err_has 'is not a cgroup v2 directory'
}

t_messages() {
	# --proc without the file: the kernel lacks the patchset, and no
	# advice to use --proc
	if [ ! -e /proc/pagecache_stat ]; then
		run --proc
		want_rc 2 && err_has "/proc/pagecache_stat does not exist: the kernel lacks the pagecache_stat patchset" || return 1
		grep -q 'try --proc' "$W/err" && { why="advises --proc"; return 1; }
	fi
	# a mistyped cgroup is named as such
	mk_tree
	run --root "$R" /nosuch
	want_rc 2 && err_has "/nosuch: no such cgroup (under $R)" || return 1
	# an --input without a file
	run -i /x=
	want_rc 1 && err_has "--input /x=: no FILE after '='" || return 1
	run -i =x
	want_rc 1 && err_has "--input wants NAME=FILE"
}

t_usage_errors() {
	: >"$W/a"
	for args in "-i nofile" "--limit x" "--limit -1" "--proc /a" \
		    "--proc -i /a=$W/a" "relative" "--bogus" "/a/../b" \
		    "-i /a=$W/a -i /a/=$W/a" "--path-limit 1x"; do
		# shellcheck disable=SC2086
		run $args
		[ "$rc" = 1 ] || { why="'$args': exit $rc, want 1"; return 1; }
	done
	run -i /a="$W/a" --focus /nonexistent
	want_rc 1
}

# A fake cgroup tree: the root's file covers its children's pages, its own
# page cache (inode 40) and pages beyond its child's of inode 15.
mk_tree() {
	R=$W/cg
	rm -rf "$R"
	mkdir -p "$R/a" "$R/b" "$R/nomem"
	{ recn 254:0 12 170 256; rec 254:0 15 153 0 1030
	  recn 254:0 40 255 10; recn 254:0 50 255 10; } >"$R/memory.pagecache_stat"
	{ recn 254:0 12 170 256; rec 254:0 15 153 0 1024; } >"$R/a/memory.pagecache_stat"
	recn 254:0 50 255 10 >"$R/b/memory.pagecache_stat"
	: >"$R/cgroup.procs"
	echo "cpu memory" >"$R/cgroup.controllers"
}

t_leaf_attribution() {
	mk_tree
	run -j --root "$R" && want_rc 0 || return 1
	# Only content 255 is duplicated: the root's own inode 40 and /b's
	# inode 50; the root's records of its child's inodes are not copies.
	has '"groups":1,' &&
		has '"instances":[{"cgroup":"/","dev":"254:0","ino":40,' &&
		has '{"cgroup":"/b","dev":"254:0","ino":50,' &&
		has "\"cached_bytes\":$(((1280 + 10 + 10 + 6) * PS))," &&
		has "\"unattributed_bytes\":$((6 * PS))," &&
		has '{"name":"/a","records":2,'
}

t_nested_inputs() {
	# Saved files of a parent and its child count each page once, the
	# same as the scan of the tree: /b's records repeat /b/x's.
	mk_tree
	run -j --root "$R" && want_rc 0 || return 1
	cp "$W/out" "$W/scan"
	for names in "/ /a /b" "// /a/ /b//"; do
		# shellcheck disable=SC2086
		set -- $names
		run -j -i "$1=$R/memory.pagecache_stat" -i "$2=$R/a/memory.pagecache_stat" \
			-i "$3=$R/b/memory.pagecache_stat" && want_rc 0 || return 1
		has "\"cached_bytes\":$(((1280 + 10 + 10 + 6) * PS))," &&
			has '"groups":1,' && has "\"unattributed_bytes\":$((6 * PS))," || return 1
	done
	# named cgroups nest the same way
	run -j --root "$R" / /a && want_rc 0 &&
		has "\"cached_bytes\":$(((1280 + 10 + 10 + 6) * PS)),"
}

t_many_children() {
	# The root lists the records of 300 children and its own: linear
	# attribution gives each child's pages to the child.
	R=$W/many
	rm -rf "$R"
	mkdir -p "$R"
	echo memory >"$R/cgroup.controllers"
	i=1
	while [ $i -le 300 ]; do
		mkdir "$R/c$i"
		rec 8:1 $((i * 10)) $((i % 50 + 1)) 0 3 >"$R/c$i/memory.pagecache_stat"
		cat "$R/c$i/memory.pagecache_stat" >>"$R/memory.pagecache_stat"
		i=$((i + 1))
	done
	recn 8:1 99999 77 4 >>"$R/memory.pagecache_stat"
	run -j --root "$R" && want_rc 0 &&
		has "\"cached_bytes\":$(((300 * 3 + 4) * PS)),\"unattributed_bytes\":0," &&
		has '"groups":50,' && has "{\"name\":\"/\",\"records\":301,\"bytes\":$((4 * PS))}"
}

t_deep_tree() {
	# 1000 levels, 11 KB of path: no recursion, no PATH_MAX, a small
	# stack. The tree is made (and removed) a level at a time at its top,
	# so that no path here is long either.
	R=$W/deep
	rm -rf "$R"
	mkdir -p "$R/n123456789"
	echo memory >"$R/cgroup.controllers"
	{ recn 8:1 5 9 3; recn 8:1 6 9 3; } >"$R/n123456789/memory.pagecache_stat"
	i=1
	while [ $i -lt 1000 ]; do
		mkdir "$R/t" && mv "$R/n123456789" "$R/t/" &&
			mv "$R/t" "$R/n123456789" &&
			recn 8:1 5 9 3 >"$R/n123456789/memory.pagecache_stat" ||
			{ why="cannot make the tree"; return 1; }
		i=$((i + 1))
	done
	recn 8:1 5 9 3 >"$R/memory.pagecache_stat"
	# shellcheck disable=SC3045
	( ulimit -s 256 2>/dev/null; exec "$T" -j --root "$R" ) >"$W/out" 2>"$W/err"
	rc=$?
	# every level lists the bottom's first record, counted once
	if ! { want_rc 0 && has "\"cached_bytes\":$((6 * PS))," &&
	       has "$(grp 2 6 3)" &&
	       [ "$(grep -c '"records":1,' "$W/out")" = 1000 ]; }; then
		why="${why:-} ($(grep -c '"records":1,' "$W/out") cgroups with 1 record)"
		rm_deep
		return 1
	fi
	rm_deep
}
rm_deep() {
	while [ -d "$R/n123456789/n123456789" ]; do
		mv "$R/n123456789/n123456789" "$R/t" && rm -rf "$R/n123456789" &&
			mv "$R/t" "$R/n123456789" || return
	done
	rm -rf "$R"
}

t_json_utf8() {
	# cgroup names with bytes that are not UTF-8, control characters,
	# quotes and backslashes: valid JSON, every name kept in _hex
	R=$W/utf
	rm -rf "$R"
	mkdir -p "$R"
	echo memory >"$R/cgroup.controllers"
	bad=$(printf 'x\377y')
	ctl=$(printf 'q"\\\033[31m\001z')
	mkdir "$R/$bad" "$R/$ctl" "$R/ok-é"
	recn 8:1 1 5 4 >"$R/$bad/memory.pagecache_stat"
	recn 8:1 2 5 4 >"$R/$ctl/memory.pagecache_stat"
	recn 8:1 3 5 4 >"$R/ok-é/memory.pagecache_stat"
	{ recn 8:1 1 5 4; recn 8:1 2 5 4; recn 8:1 3 5 4; } >"$R/memory.pagecache_stat"
	run -j --root "$R" && want_rc 0 || return 1
	has '"name":"/x\ufffdy","name_hex":"2f78ff79"' &&
		has '"name":"/q\"\\\u001b[31m\u0001z"' && has '"name":"/ok-é"' &&
		hasnt '"name":"/ok-é","name_hex"' || return 1
	json_ok "$W/out" || return $?
	# the text report escapes them for the terminal
	run --root "$R" && want_rc 0 && has '/x\xffy' && has '/q"\\x1b[31m\x01z' &&
		hasnt "$(printf '\033')"
}

t_output_file() {
	mk_three
	mkdir -p "$W/o"
	# a symlink at the name: replaced, not followed
	: >"$W/victim"
	ln -s "$W/victim" "$W/o/report.json"
	umask 027
	three -j -o "$W/o/report.json"
	umask 022
	want_rc 0 && empty_stdout || return 1
	[ -f "$W/o/report.json" ] && [ ! -L "$W/o/report.json" ] &&
		[ ! -s "$W/victim" ] || { why="the symlink was followed"; return 1; }
	[ "$(stat -c %a "$W/o/report.json")" = 640 ] ||
		{ why="mode $(stat -c %a "$W/o/report.json"), want 640 (umask 027)"; return 1; }
	[ "$(find "$W/o" | wc -l)" = 2 ] || { why="a temporary file is left"; return 1; }
	cp "$W/o/report.json" "$W/out"
	has '"groups":2,' || return 1
	# an error leaves nothing
	three -j -o "$W/nodir/report.json"
	want_rc 5 && [ ! -e "$W/nodir" ]
}

t_prometheus() {
	mk_three
	{ rec 8:1 1 99 0 1000; rec 8:1 2 99 0 500; } >"$W/d"
	run --prometheus "$W/p/m.prom" -i /a="$W/a" -i /b="$W/b" -i /c="$W/c" -i /d="$W/d"
	want_rc 5 || { why="no directory: exit $rc"; return 1; }
	mkdir -p "$W/p"
	run --prometheus "$W/p/m.prom" -n 2 -i /a="$W/a" -i /b="$W/b" \
		-i /c="$W/c" -i /d="$W/d" && want_rc 0 && has "sharing would save" || return 1
	[ "$(ls -A "$W/p")" = m.prom ] || { why="files: $(ls -A "$W/p")"; return 1; }
	cp "$W/p/m.prom" "$W/out"
	has "pagecache_dups_saveable_bytes{kind=\"exact\"} $((2304 * PS))" &&
		has 'pagecache_dups_cgroup_cached_bytes{cgroup="/c"} ' &&
		has 'pagecache_dups_group_saveable_bytes{rank="1",kind="identical"} ' &&
		has 'pagecache_dups_group_saveable_high_bytes{rank="2",kind="estimated"}' &&
		hasnt '{rank="3",' && has '# TYPE pagecache_dups_groups gauge' &&
		has 'pagecache_dups_groups{kind="estimated"} 1' || return 1
	# "-": the metrics alone, on stdout
	run --prometheus - -i /a="$W/a" && want_rc 0 && hasnt "sharing would save" &&
		has "pagecache_dups_cached_bytes " || return 1
	command -v promtool >/dev/null 2>&1 ||
		{ skipped="no promtool (Debian's prometheus package)"; return 2; }
	promtool check metrics <"$W/p/m.prom" >"$W/out" 2>&1 ||
		{ why="promtool check metrics: $(cat "$W/out")"; return 1; }
	# labels that are not UTF-8 or hold quotes still pass
	mk_tree
	mkdir "$R/$(printf 'a"\\\377\nb')"
	recn 254:0 60 255 10 >"$R/$(printf 'a"\\\377\nb')/memory.pagecache_stat"
	"$T" --root "$R" --prometheus - >"$W/m2.prom" 2>"$W/err" || { why="exit $?"; return 1; }
	promtool check metrics <"$W/m2.prom" >"$W/out" 2>&1 ||
		{ why="promtool check metrics: $(cat "$W/out")"; return 1; }
}

t_permission_denied() {
	can_be_nobody || return 2
	recn 254:0 12 170 256 >"$W/a"
	chmod 600 "$W/a"
	as_nobody -i /a="$W/a"
	# a saved file: permission denied, and no word of CAP_SYS_ADMIN
	want_rc 3 && empty_stdout && err_has "Permission denied" || return 1
	grep -q CAP_SYS_ADMIN "$W/err" && { why="blames CAP_SYS_ADMIN"; return 1; }
	return 0
}

# mount_tmpfs DIR: a tmpfs at DIR (removed at the end), or return 2.
mount_tmpfs() {
	[ "$(id -u)" = 0 ] || { skipped="not root (mounts a tmpfs)"; return 2; }
	mkdir -p "$1"
	mount -t tmpfs pcdtest "$1" 2>/dev/null || { skipped="cannot mount a tmpfs"; return 2; }
	printf '%s\n' "$1" >>"$W/.mounts"
}

# recf FILE CONTENT FIRST COUNT: the record of pages of FILE, by its device
# and inode as stat(2) reports them.
recf() {
	d=$(stat -c %d "$1")
	rec "$((d >> 8 & 0xfff)):$(((d & 0xff) | (d >> 12 & 0xfff00)))" \
		"$(stat -c %i "$1")" "$2" "$3" "$4"
}

t_paths() {
	# a mount point with a space (\040 in mountinfo), files by (st_dev,
	# st_ino), and one budget for the whole search
	M="$W/with space"
	mount_tmpfs "$M" || return 2
	mkdir -p "$M/d1" "$M/d2"
	i=0
	while [ $i -lt 30 ]; do : >"$M/d1/f$i"; : >"$M/d2/f$i"; i=$((i + 1)); done
	head -c $((3 * PS)) /dev/urandom >"$M/d2/one"
	cp "$M/d2/one" "$M/d2/two"
	{ recf "$M/d2/one" 7 0 3; recf "$M/d2/two" 7 0 3; } | sort -t= -k2 -n >"$W/a"
	run -j --paths --path-limit 0 -i /a="$W/a" && want_rc 0 &&
		has "\"path\":\"$M/d2/one\"" && has "\"path\":\"$M/d2/two\"" &&
		has '"path_search":{"entries":' && has ',"complete":true}' || return 1
	run --paths --path-limit 1 -i /a="$W/a" && want_rc 0 &&
		has "(not found: --path-limit reached)" &&
		has "the path search stopped after 1 entries" || return 1
	run -j --paths --path-limit 1 -i /a="$W/a" && want_rc 0 &&
		has '"path_search":{"entries":1,"complete":false}'
}

t_verify() {
	M="$W/v"
	mount_tmpfs "$M" || return 2
	head -c $((4 * PS)) /dev/urandom >"$M/one"
	cp "$M/one" "$M/two"
	cp "$M/one" "$M/three"
	printf 'X' | dd of="$M/three" bs=1 seek=$((2 * PS + 5)) conv=notrunc 2>/dev/null
	# one and two: the same; three differs in its page 2, and caches
	# its page 0 only, which the others share
	{ recf "$M/one" 11 0 4; recf "$M/two" 11 0 4; } | sort -t= -k2 -n >"$W/a"
	recf "$M/three" 11 0 1 >"$W/b"
	run -j --verify -i /a="$W/a" && want_rc 0 &&
		has '"verify":{"result":"identical","equal_pages":4}' || return 1
	# the three files: not identical, 3 pages equal in all
	run -j --verify -i /a="$W/a" -i /b="$W/b" && want_rc 0 &&
		has '"verify":{"result":"differ","equal_pages":3}' || return 1
	run --verify -i /a="$W/a" -i /b="$W/b" && want_rc 0 &&
		has "NOT verified: the files differ (3 pages equal at equal offsets in all)" || return 1
	# a copy that was not found is not verified
	rec 8:1 999999 11 0 4 >"$W/d"
	run -j --verify -i /a="$W/a" -i /d="$W/d" && want_rc 0 &&
		has '"verify":{"result":"unresolved","equal_pages":0}'
}

t_bdev() {
	# block-device page cache (inode 0) is the disk itself
	for b in /dev/vda /dev/sda /dev/nvme0n1 /dev/loop0 /dev/ram0; do
		[ -b "$b" ] && break
	done
	[ -b "$b" ] || { skipped="no block device"; return 2; }
	r=$(stat -c '%t %T' "$b")
	dev=$(printf '%d:%d' "0x${r% *}" "0x${r#* }")
	{ rec "$dev" 0 3 0 2; rec "$dev" 0 3 0 2; } >"$W/a"
	run -j --paths -i /a="$W/a" && want_rc 0 && has "\"dev\":\"$dev\",\"ino\":0,\"pages\":2,\"path\":\"" ||
		return 1
	grep -q "\"path\":\"[^\"]*$(basename "$b")\"" "$W/out" || { why="not $b"; return 1; }
}

t_btrfs() {
	[ "$(id -u)" = 0 ] || { skipped="not root"; return 2; }
	command -v mkfs.btrfs >/dev/null 2>&1 || { skipped="no mkfs.btrfs"; return 2; }
	command -v btrfs >/dev/null 2>&1 || { skipped="no btrfs tool"; return 2; }
	grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null ||
		{ skipped="no btrfs in the kernel"; return 2; }
	truncate -s 200M "$W/btrfs.img"
	mkfs.btrfs -q "$W/btrfs.img" >/dev/null 2>&1 || { skipped="mkfs.btrfs failed"; return 2; }
	mkdir -p "$W/bt"
	mount -o loop "$W/btrfs.img" "$W/bt" 2>"$W/err" ||
		{ skipped="cannot mount a loop device: $(head -n 1 "$W/err")"; return 2; }
	printf '%s\n' "$W/bt" >>"$W/.mounts"
	# two subvolumes (each another st_dev) whose files reuse inode numbers
	btrfs -q subvolume create "$W/bt/s1" >/dev/null &&
		btrfs -q subvolume create "$W/bt/s2" >/dev/null || { why="subvolume create"; return 1; }
	head -c $((3 * PS)) /dev/urandom >"$W/bt/s1/f"
	cp "$W/bt/s1/f" "$W/bt/s2/f"
	[ "$(stat -c %i "$W/bt/s1/f")" = "$(stat -c %i "$W/bt/s2/f")" ] ||
		{ skipped="btrfs gave other inode numbers"; return 2; }
	{ recf "$W/bt/s1/f" 13 0 3; recf "$W/bt/s2/f" 13 0 3; } >"$W/a"
	sort -t' ' -k1,1 "$W/a" >"$W/a2"
	run -j --paths -i /a="$W/a2" && want_rc 0 &&
		has "\"path\":\"$W/bt/s1/f\"" && has "\"path\":\"$W/bt/s2/f\"" &&
		has "$(grp 2 6 3)"
}

t_oci_hook() {
	mycg=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ -n "$mycg" ] || { skipped="not in a cgroup v2 hierarchy"; return 2; }
	mk_tree
	mkdir -p "$R$mycg"
	[ "$mycg" = / ] || recn 254:0 40 255 10 >"$R$mycg/memory.pagecache_stat"
	sleep 30 &
	pid=$!
	# nested values, escapes (decoded: the id is "wéb-1"), and a "pid"
	# key inside them
	printf '{"ociVersion": "1.0.2", "id": "w\\u00e9b-1", "status": "running",\n' \
		>"$W/state"
	printf ' "annotations": {"x": "a \\"}{ b", "pid": "7"}, "pid": %d,\n' \
		$pid >>"$W/state"
	printf ' "bundle": "/b"}\n' >>"$W/state"
	mkdir -p "$W/hook"
	"$T" --oci-hook --root "$R" -o "$W/hook/%i.json" <"$W/state" >"$W/out" 2>"$W/err"
	rc=$?
	kill $pid
	wait $pid 2>/dev/null
	want_rc 0 || return 1
	[ -s "$W/hook/wéb-1.json" ] || { why="no $W/hook/wéb-1.json: $(ls "$W/hook")"; return 1; }
	[ "$(find "$W/hook" | wc -l)" = 2 ] || { why="a temporary file is left"; return 1; }
	cp "$W/hook/wéb-1.json" "$W/out"
	has "\"container\":{\"id\":\"wéb-1\",\"pid\":$pid,\"cgroup\":\"$mycg\"}" &&
		has "\"focus\":\"$mycg\""
}

# oci_refused STATE MESSAGE: the hook refuses STATE with exit 5, MESSAGE.
oci_refused() {
	printf '%s' "$1" >"$W/state"
	"$T" --oci-hook --root "$W/cg" -o "$W/hook2/%i.json" <"$W/state" >"$W/out" 2>"$W/err"
	rc=$?
	if [ "$rc" != 5 ] || [ -s "$W/out" ] || ! grep -qF -- "$2" "$W/err" ||
	   [ -n "$(ls -A "$W/hook2")" ]; then
		why="state '$1': exit $rc, want 5 and '$2': $(cat "$W/err")"
		return 1
	fi
}

t_oci_state() {
	mk_tree
	mkdir -p "$W/hook2"
	ok='"ociVersion":"1.0.2","status":"running","bundle":"/b"'
	oci_refused "{$ok,\"id\":\"../x\",\"pid\":1}" "holds a '/'" &&
		oci_refused "{$ok,\"id\":\"..\\/x\",\"pid\":1}" "holds a '/'" &&
		oci_refused "{$ok,\"id\":\"..\",\"pid\":1}" '"." or ".."' &&
		oci_refused "{$ok,\"id\":\".\",\"pid\":1}" '"." or ".."' &&
		oci_refused "{$ok,\"id\":\"\",\"pid\":1}" "is empty" &&
		oci_refused "{$ok,\"id\":\"a\\u0000b\",\"pid\":1}" "control character" &&
		oci_refused "{$ok,\"pid\":1}" 'no "id"' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":1.9}" 'not a positive integer' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":1e9}" 'not a positive integer' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":-1}" 'not a positive integer' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":0}" 'not a positive integer' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":99999999999}" 'not a positive integer' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":\"7\"}" '"pid" must be a number' &&
		oci_refused "{$ok,\"id\":\"x\"}" 'no "pid"' &&
		oci_refused "{$ok,\"id\":\"x\",\"id\":\"y\",\"pid\":1}" 'appears twice' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":1} x" 'trailing data' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":1" 'ends early' &&
		oci_refused "{$ok,\"id\":\"x	y\",\"pid\":1}" 'control character in a string' &&
		oci_refused "{$ok,\"id\":\"x$(printf '\377')\",\"pid\":1}" 'not valid UTF-8' &&
		oci_refused "{$ok,\"id\":\"x\\ud800\",\"pid\":1}" 'lone surrogate' &&
		oci_refused "{$ok,\"id\":\"x\\q\",\"pid\":1}" 'invalid escape' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":1,\"annotations\":{\"a\":1}}" 'values must be strings' &&
		oci_refused "{\"id\":\"x\",\"pid\":1}" 'no "ociVersion"' &&
		oci_refused "[1]" 'not a JSON object' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":1,\"x\":[01]}" 'invalid state on stdin' &&
		oci_refused "{$ok,\"id\":\"x\",\"pid\":1,\"x\":tru}" 'invalid JSON' || return 1
	# %i in a directory: usage error
	printf '{%s,"id":"x","pid":1}' "$ok" >"$W/state"
	"$T" --oci-hook -o "$W/%i/r.json" <"$W/state" >"$W/out" 2>"$W/err"
	rc=$?
	want_rc 1 && err_has "may only be in the file's name"
}

# --- against the kernel ---------------------------------------------------
CG=/sys/fs/cgroup
D=${PCD_DIR:-/mnt/ext4}/pcd-test
kernel_ok() {
	[ "$(id -u)" = 0 ] || { skipped="not root"; return 1; }
	[ -e $CG/memory.pagecache_stat ] ||
		{ skipped="no memory.pagecache_stat (kernel without the patchset)"; return 1; }
	[ -d "${PCD_DIR:-/mnt/ext4}" ] || { skipped="no ${PCD_DIR:-/mnt/ext4}"; return 1; }
	grep -q overlay /proc/filesystems || { skipped="no overlayfs"; return 1; }
	return 0
}

# devof FILE: the device FILE is on, as the kernel prints it (decimal
# major:minor of st_dev, which stat -c %d gives in glibc's encoding).
devof() {
	d=$(stat -c %d "$1")
	printf '%d:%d' $(((d >> 8) & 0xfff)) $(((d & 0xff) | ((d >> 12) & 0xfff00)))
}

# inst CGROUP FILE [path]: an instance of FILE in CGROUP (and its path).
inst() {
	printf '{"cgroup":"%s","dev":"%s","ino":%s,' \
		"$1" "$(devof "$2")" "$(stat -c %i "$2")"
	[ -z "$3" ] || printf '"pages":%d,"path":"%s"}' \
		$((($(stat -c %s "$2") + PS - 1) / PS)) "$2"
}

# in_cg CGROUP CMD...: run CMD in CGROUP (a child shell joins it).
in_cg() {
	cg=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG$cg" "$@"
}

# Three "containers": /pcd-c reads orig through an overlayfs mount whose
# lower layer holds it, /pcd-a reads the same inode directly, /pcd-b reads
# a byte-identical copy (another inode). Only /pcd-b's copy duplicates.
setup_kernel() {
	rm -rf "$D"
	mkdir -p "$D/lower" "$D/upper" "$D/work" "$D/merged" "$D/other"
	head -c 307200 /dev/urandom >"$D/lower/orig"
	cp "$D/lower/orig" "$D/other/copy"
	mount -t overlay none \
		-o "lowerdir=$D/lower,upperdir=$D/upper,workdir=$D/work" \
		"$D/merged" || return 1
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for c in a b c; do
		mkdir -p $CG/pcd-$c
	done
	in_cg /pcd-c cat "$D/merged/orig" >/dev/null &&
	in_cg /pcd-a cat "$D/lower/orig" >/dev/null &&
	in_cg /pcd-b cat "$D/other/copy" >/dev/null
}

cleanup_kernel() {
	umount "$D/merged" 2>/dev/null
	for c in a b c p/c1 p ctr; do
		rmdir $CG/pcd-$c 2>/dev/null
	done
	rm -rf "$D"
}

t_kernel_duplicates() {
	run -j --paths --verify /pcd-a /pcd-b /pcd-c && want_rc 0 || return 1
	# 300 KiB = 75 pages, cached twice: once (inode orig) for /pcd-c
	# through overlayfs and /pcd-a directly, once (copy) for /pcd-b.
	has "$(grp 2 150 75)" && has '"verify":{"result":"identical",' &&
		has "$(inst /pcd-b "$D/other/copy" path)" &&
		has "$(inst /pcd-c "$D/lower/orig" path)" &&
		has '"groups":1,' && hasnt '"cgroup":"/pcd-a","dev"'
}

t_kernel_scan_and_focus() {
	run -j --focus /pcd-b && want_rc 0 || return 1
	# The scan of the whole hierarchy finds the same group, and no other
	# content is cached twice with a copy in /pcd-b.
	has "\"focus\":\"/pcd-b\"" && has "$(grp 2 150 75)" &&
		has '"groups":1,' && has '{"cgroup":"/pcd-b","dev":'
}

t_kernel_partial() {
	# Another copy read in part: /pcd-b reads the first 25 pages of it
	# (readahead may cache more), /pcd-c all 75 of orig: an exact group
	# (complete sketches) whose saving is the pages of the part cached.
	cp "$D/other/copy" "$D/other/part"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	in_cg /pcd-c cat "$D/merged/orig" >/dev/null
	in_cg /pcd-b dd if="$D/other/part" bs="$PS" count=25 of=/dev/null 2>/dev/null
	run -j /pcd-b /pcd-c && want_rc 0 || return 1
	ino=$(stat -c %i "$D/other/part")
	line=$(grep "\"ino\":$ino," "$W/out")
	p=$(echo "$line" | sed -n "s/.*\"ino\":$ino,\"pages\":\([0-9]*\).*/\1/p")
	[ -n "$p" ] || { why="no group holds the part (inode $ino)"; return 1; }
	case $line in
	*"\"exact\":true,"*"\"saveable_bytes\":$((p * PS)),\"saveable_low_bytes\":$((p * PS)),"*)
		;;
	*)
		why="the part's $p pages are not the exact saving: $line"
		return 1 ;;
	esac
}

t_kernel_reparented() {
	# Pages left by a removed child count for its parent, and the parent's
	# records of its live child's inodes are not copies.
	mkdir -p $CG/pcd-p
	echo +memory >$CG/pcd-p/cgroup.subtree_control
	mkdir $CG/pcd-p/c1 $CG/pcd-p/c2
	head -c 40960 /dev/urandom >"$D/p1"
	cp "$D/p1" "$D/p2"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	in_cg /pcd-p/c1 cat "$D/p1" >/dev/null
	in_cg /pcd-p/c2 cat "$D/p2" >/dev/null
	rmdir $CG/pcd-p/c2
	run -j --focus /pcd-p && want_rc 0 || return 1
	has "$(grp 2 20 10)" &&
		has "$(inst /pcd-p "$D/p2")" && has "$(inst /pcd-p/c1 "$D/p1")"
}

t_kernel_proc() {
	[ -e /proc/pagecache_stat ] || { skipped="no /proc/pagecache_stat"; return 2; }
	run -j --paths --proc && want_rc 0 || return 1
	has "$(grp 2 150 75)" &&
		has "$(inst /proc/pagecache_stat "$D/lower/orig" path)"
}

t_kernel_unprivileged() {
	can_be_nobody || return 2
	as_nobody
	want_rc 3 && empty_stdout && err_has 'CAP_SYS_ADMIN'
}

t_kernel_oci_hook() {
	in_cg /pcd-b sleep 30 &
	sleep 1
	pid=$(head -n 1 $CG/pcd-b/cgroup.procs)
	printf '{"ociVersion":"1.0.2","id":"web","status":"running","pid":%s,"bundle":"/b"}' \
		"$pid" | "$T" --oci-hook -o "$W/hook-%i.json" >"$W/out" 2>"$W/err"
	rc=$?
	kill "$pid"
	wait
	want_rc 0 || return 1
	cp "$W/hook-web.json" "$W/out" || { why="no hook-web.json"; return 1; }
	has "\"container\":{\"id\":\"web\",\"pid\":$pid,\"cgroup\":\"/pcd-b\"}" &&
		has "$(inst /pcd-c "$D/lower/orig" path)"
}

t_kernel_crun() {
	# A real OCI runtime runs the hook as the README says: crun, a bundle
	# with a busybox root on ext4, the README's config.json hook. The
	# container's cgroup caches a copy of orig (which /pcd-c caches)
	# before it starts; the hook's file names the container and the copy.
	command -v crun >/dev/null 2>&1 || { skipped="no crun"; return 2; }
	# busybox's own shell answers "command -v busybox" with the applet's
	# name: look for the file
	bb=
	for d in $(echo "$PATH" | tr : ' ') /bin /usr/bin; do
		[ -x "$d/busybox" ] && { bb=$d/busybox; break; }
	done
	[ -n "$bb" ] || { skipped="no busybox for the container"; return 2; }
	# pivot_root(2) refuses to move the initramfs (the harness's VM runs
	# from one): there crun must enter the root with chroot(2)
	pivot=
	grep -q '^[^ ]* / rootfs ' /proc/mounts && pivot=--no-pivot
	B=$D/bundle
	rm -rf "$B"
	mkdir -p "$B/rootfs/bin" "$B/rootfs/proc" "$B/rootfs/dev" \
		/usr/local/bin /var/lib/pagecache_dups
	cp "$bb" "$B/rootfs/bin/busybox"
	ln -s busybox "$B/rootfs/bin/sleep"
	cp "$D/lower/orig" "$B/rootfs/blob"
	made_link=
	if [ ! -e /usr/local/bin/pagecache_dups ]; then
		ln -s "$(cd "$(dirname "$T")" && pwd)/$(basename "$T")" \
			/usr/local/bin/pagecache_dups && made_link=1
	fi
	cat >"$B/config.json" <<-EOF
	{ "ociVersion": "1.0.2",
	  "process": { "terminal": false, "user": { "uid": 0, "gid": 0 },
	               "args": [ "/bin/sleep", "60" ], "env": [ "PATH=/bin" ],
	               "cwd": "/" },
	  "root": { "path": "rootfs", "readonly": true },
	  "mounts": [ { "destination": "/proc", "type": "proc", "source": "proc" } ],
	  "hooks": { "poststart": [ {
	      "path": "/usr/local/bin/pagecache_dups",
	      "args": [ "pagecache_dups", "--oci-hook",
	                "-o", "/var/lib/pagecache_dups/%i.json" ] } ] },
	  "linux": { "cgroupsPath": "/pcd-ctr",
	             "namespaces": [ { "type": "mount" } ] } }
	EOF
	rm -f /var/lib/pagecache_dups/pcd-web.json
	# the copy's pages are cached by the cp above, in this shell's cgroup:
	# written back and dropped, so that the container's read caches them
	sync
	echo 3 >/proc/sys/vm/drop_caches
	in_cg /pcd-c cat "$D/merged/orig" >/dev/null
	crun --cgroup-manager=cgroupfs create $pivot --bundle "$B" pcd-web 2>"$W/err" &&
		in_cg /pcd-ctr cat "$B/rootfs/blob" >/dev/null &&
		crun start pcd-web 2>>"$W/err"
	rc=$?
	crun kill pcd-web KILL 2>/dev/null
	sleep 1
	crun delete -f pcd-web 2>/dev/null
	[ -z "$made_link" ] || rm -f /usr/local/bin/pagecache_dups
	[ "$rc" = 0 ] || { why="crun: $(cat "$W/err")"; return 1; }
	cp /var/lib/pagecache_dups/pcd-web.json "$W/out" 2>/dev/null ||
		{ why="no /var/lib/pagecache_dups/pcd-web.json: $(cat "$W/err")"; return 1; }
	has '"container":{"id":"pcd-web","pid":' && has '"cgroup":"/pcd-ctr"}' &&
		has "$(inst /pcd-ctr "$B/rootfs/blob" path)" &&
		has "$(inst /pcd-c "$D/lower/orig" path)"
}

case_ pagecache_dups.groups_identical t_groups_identical
case_ pagecache_dups.largest_waste_first t_largest_waste_first
case_ pagecache_dups.waste_by_cgroup t_waste_by_cgroup
case_ pagecache_dups.text_headers t_text_headers
case_ pagecache_dups.limit t_limit
case_ pagecache_dups.same_inode_is_one_copy t_same_inode_is_one_copy
case_ pagecache_dups.equal_devino_distinct t_equal_devino_distinct
case_ pagecache_dups.unrelated_contents t_unrelated_contents
case_ pagecache_dups.overlap_exact t_overlap_exact
case_ pagecache_dups.overlap_estimated t_overlap_estimated
case_ pagecache_dups.estimator_bound t_estimator_bound
case_ pagecache_dups.unrelated_never_grouped t_unrelated_never_grouped
case_ pagecache_dups.focus t_focus
case_ pagecache_dups.focus_names_no_cgroup t_focus_names_no_cgroup
case_ pagecache_dups.empty_cgroups t_empty_cgroups
case_ pagecache_dups.sample t_sample
case_ pagecache_dups.malformed t_malformed
case_ pagecache_dups.v1_refused t_v1_refused
case_ pagecache_dups.unknown_fields t_unknown_fields
case_ pagecache_dups.overflow t_overflow
case_ pagecache_dups.dev_zero t_dev_zero
case_ pagecache_dups.thousands_of_records t_thousands_of_records
case_ pagecache_dups.missing_file t_missing_file
case_ pagecache_dups.messages t_messages
case_ pagecache_dups.usage_errors t_usage_errors
case_ pagecache_dups.leaf_attribution t_leaf_attribution
case_ pagecache_dups.nested_inputs t_nested_inputs
case_ pagecache_dups.many_children t_many_children
case_ pagecache_dups.deep_tree t_deep_tree
case_ pagecache_dups.json_utf8 t_json_utf8
case_ pagecache_dups.output_file t_output_file
case_ pagecache_dups.prometheus t_prometheus
case_ pagecache_dups.permission_denied t_permission_denied
case_ pagecache_dups.paths t_paths
case_ pagecache_dups.verify t_verify
case_ pagecache_dups.bdev t_bdev
case_ pagecache_dups.btrfs t_btrfs
case_ pagecache_dups.oci_hook t_oci_hook
case_ pagecache_dups.oci_state t_oci_state

if kernel_ok; then
	if setup_kernel; then
		case_ pagecache_dups.kernel_duplicates t_kernel_duplicates
		case_ pagecache_dups.kernel_scan_and_focus t_kernel_scan_and_focus
		case_ pagecache_dups.kernel_proc t_kernel_proc
		case_ pagecache_dups.kernel_unprivileged t_kernel_unprivileged
		case_ pagecache_dups.kernel_oci_hook t_kernel_oci_hook
		case_ pagecache_dups.kernel_reparented t_kernel_reparented
		case_ pagecache_dups.kernel_partial t_kernel_partial
		case_ pagecache_dups.kernel_crun t_kernel_crun
	else
		why="setting up the containers failed"
		fail pagecache_dups.kernel_setup
	fi
	cleanup_kernel
else
	for c in duplicates scan_and_focus proc unprivileged oci_hook reparented partial crun; do
		skip pagecache_dups.kernel_$c "$skipped"
	done
fi

echo "1..$n"
[ "$nfail" = 0 ]
