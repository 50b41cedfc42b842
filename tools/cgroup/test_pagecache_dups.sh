#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Tests of pagecache_dups. Usage: test_pagecache_dups.sh [PAGECACHE_DUPS]
#
# The parsing, grouping and attribution cases feed records from files
# (--input, or a fake cgroup tree given as --root) and run anywhere. The
# "kernel" cases need a kernel with memory.pagecache_stat, root, and an
# ext4 directory to write to (PCD_DIR, default /mnt/ext4): they run in the
# harness's VM and are skipped elsewhere. Output is TAP.

T=$1
if [ -z "$T" ]; then
	# next to this script, or in data/ there (as in the harness's VM)
	T=$(dirname "$0")/pagecache_dups
	[ -x "$T" ] || T=$(dirname "$0")/data/pagecache_dups
fi
PS=4096				# x86_64; the cases that need it check it
W=$(mktemp -d) || exit 1
trap 'rm -rf "$W"' EXIT
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

# case NAME FUNCTION: a case passes when FUNCTION returns 0; FUNCTION sets
# $why when it fails.
case_() {
	why="(no reason given)"
	if "$2"; then pass "$1"; else fail "$1"; fi
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
empty_stdout() {
	[ -s "$W/out" ] || return 0
	why="a report was printed although the run failed"
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

# grp SIZE COPIES SAVED: a duplicate group's fields, sizes in pages.
grp() {
	printf '"size_bytes":%d,"copies":%d,"saveable_bytes":%d,' \
		$(($1 * PS)) "$2" $(($3 * PS))
}

# inst CGROUP FILE [path]: an instance of FILE in CGROUP (and its path).
inst() {
	printf '{"cgroup":"%s","dev":"%s","ino":%s,' \
		"$1" "$(devof "$2")" "$(stat -c %i "$2")"
	[ -z "$3" ] || printf '"path":"%s"}' "$2"
}

# rec DEV INO NR HASH: one record line.
rec() { printf '%s %s %s %016x\n' "$1" "$2" "$3" "$4"; }

# Three containers: content 0xbb (1024 pages) cached by all three on
# distinct inodes, 0xaa (256 pages) by two, the rest once.
mk_three() {
	{ rec fe:00 12 256 0xaa; rec fe:00 15 1024 0xbb
	  rec fe:00 20 3 0xcc; } >"$W/a"
	{ rec fe:00 13 256 0xaa; rec fe:00 16 1024 0xbb; } >"$W/b"
	{ rec fe:00 30 1024 0xbb; rec fe:00 31 5 0xee; } >"$W/c"
}
three() { run "$@" -i /a="$W/a" -i /b="$W/b" -i /c="$W/c"; }

t_groups_by_hash() {
	mk_three
	three -j && want_rc 0 || return 1
	has "{\"hash\":\"00000000000000bb\",$(grp 1024 3 2048)"
	[ $? = 0 ] || return 1
	has "{\"hash\":\"00000000000000aa\",$(grp 256 2 256)"
	[ $? = 0 ] || return 1
	has "\"cached_bytes\":$(((1283 + 1280 + 1029) * PS))," || return 1
	has "\"duplicated_bytes\":$(((3 * 1024 + 2 * 256) * PS))," &&
		has "\"saveable_bytes\":$((2304 * PS)),\"groups\":2}" &&
		hasnt 00000000000000cc && hasnt 00000000000000ee
}

t_largest_waste_first() {
	mk_three
	three --paths && want_rc 0 || return 1
	first=$(grep -m1 'cached' "$W/out" | grep -v 'page cache of')
	second=$(grep 'sharing saves' "$W/out" | sed -n 2p)
	case $first$second in
	*"4.0 MiB cached 3 times, sharing saves 8.0 MiB"*"1.0 MiB cached 2"*)
		;;
	*)
		why="groups not in order of waste: '$first' / '$second'"
		return 1 ;;
	esac
	# --paths on devices with no mount: said, not guessed.
	has "(not found)" && has "sharing would save   9.0 MiB"
}

t_waste_by_cgroup() {
	mk_three
	three -j && want_rc 0 || return 1
	# Each copy carries an equal part of its group's saveable bytes:
	# /a and /b hold a copy of both contents, /c of the larger only.
	a=$(sed -n 's/.*"cgroup":"\/a","saveable_bytes":\([0-9]*\)}.*/\1/p' "$W/out")
	b=$(sed -n 's/.*"cgroup":"\/b","saveable_bytes":\([0-9]*\)}.*/\1/p' "$W/out")
	c=$(sed -n 's/.*"cgroup":"\/c","saveable_bytes":\([0-9]*\)}.*/\1/p' "$W/out")
	want_a=$(((2048 * PS + 2) / 3 + 128 * PS))
	if [ -z "$a" ] || [ "$a" != "$b" ] || [ $((a - want_a)) -gt 1 ] ||
	   [ $((want_a - a)) -gt 1 ] || [ "$c" != $(((2048 * PS + 1) / 3)) ]; then
		why="waste by cgroup a=$a b=$b c=$c, want a=b=$want_a c=$(((2048 * PS + 1) / 3))"
		return 1
	fi
}

t_same_inode_is_one_copy() {
	# The same inode seen in two cgroups (as through an overlayfs lower
	# layer) is one copy, not a duplicate.
	rec fe:00 12 256 0xaa >"$W/a"
	rec fe:00 12 256 0xaa >"$W/b"
	run -j -i /a="$W/a" -i /b="$W/b" && want_rc 0 &&
		has '"saveable_bytes":0,"groups":0}' && has '"duplicates":[]'
}

t_same_hash_other_size() {
	rec fe:00 12 256 0xaa >"$W/a"
	rec fe:00 13 255 0xaa >"$W/b"
	run -j -i /a="$W/a" -i /b="$W/b" && want_rc 0 && has '"groups":0}'
}

t_focus() {
	mk_three
	three -j --focus /c && want_rc 0 || return 1
	has '"focus":"/c"' && has 00000000000000bb && hasnt 00000000000000aa &&
		has "\"saveable_bytes\":$((2048 * PS)),\"groups\":1}"
}

t_empty_cgroups() {
	: >"$W/a"
	: >"$W/b"
	run -i /a="$W/a" -i /b="$W/b" && want_rc 0 &&
		has "no content is cached more than once" &&
		has "page cache of 2 cgroups: 0 B in 0 records"
}

t_malformed() {
	good=$(rec fe:00 12 256 0xaa)
	for bad in "FE:00 12 1 00000000000000aa" \
		   "fe:00 12 1 00000000000000a" \
		   "fe:00 12 1 00000000000000aaa" \
		   "fe:00 12 1 00000000000000AA" \
		   "fe:00 12 0 00000000000000aa" \
		   "fe:00 12 1 00000000000000aa " \
		   "fe:00 -12 1 00000000000000aa" \
		   "fe:00 012 1 00000000000000aa" \
		   "fe:00 99999999999999999999999 1 00000000000000aa" \
		   "fe 12 1 00000000000000aa" \
		   "fe:00 12 00000000000000aa" \
		   "dev ino nr_pages hash" \
		   "$(rec fe:00 11 1 0x1)"; do
		# the bad line comes second, after a good one
		printf '%s\n%s\n' "$(rec fe:00 11 1 0x1)" "$bad" >"$W/bad"
		printf '%s\n' "$good" >"$W/good"
		run -i /good="$W/good" -i /bad="$W/bad"
		if [ "$rc" != 4 ] || [ -s "$W/out" ] ||
		   ! grep -q "$W/bad:2: malformed" "$W/err"; then
			why="line '$bad': exit $rc, want 4, no report, file:line named"
			return 1
		fi
	done
	# no newline at the end, unsorted, a NUL byte
	printf 'fe:00 12 1 00000000000000aa' >"$W/bad"
	run -i /bad="$W/bad"
	[ "$rc" = 4 ] && [ ! -s "$W/out" ] || { why="no final newline: exit $rc"; return 1; }
	{ rec fe:00 13 1 0xaa; rec fe:00 12 1 0xbb; } >"$W/bad"
	run -i /bad="$W/bad"
	[ "$rc" = 4 ] && grep -q 'not sorted' "$W/err" || { why="unsorted: exit $rc"; return 1; }
	{ rec 08:00 13 1 0xaa; rec 00:2a 14 1 0xbb; } >"$W/bad"
	run -i /bad="$W/bad"
	[ "$rc" = 4 ] || { why="unsorted devices: exit $rc"; return 1; }
	printf 'fe:00 12 1 00000000000000aa\n\000\n' >"$W/bad"
	run -i /bad="$W/bad"
	[ "$rc" = 4 ] && [ ! -s "$W/out" ] || { why="NUL byte: exit $rc"; return 1; }
}

t_thousands_of_records() {
	# 3 cgroups x 4000 records; contents 1..3000 are cached by all three.
	for k in 1 2 3; do
		awk -v k=$k 'BEGIN {
			for (i = 1; i <= 4000; i++)
				printf "fe:00 %d %d %08x%08x\n", k * 100000 + i,
					i % 7 + 1, i <= 3000 ? 0 : k, i
		}' >"$W/big$k"
	done
	want=$(awk 'BEGIN { for (i = 1; i <= 3000; i++) s += 2 * (i % 7 + 1); print s }')
	run -j -i /1="$W/big1" -i /2="$W/big2" -i /3="$W/big3" && want_rc 0 &&
		has "\"saveable_bytes\":$((want * PS)),\"groups\":3000}" || return 1
	[ "$(grep -o '"copies":3,' "$W/out" | wc -l)" = 3000 ] ||
		{ why="not 3000 groups of 3 copies"; return 1; }
	run -n 5 -i /1="$W/big1" -i /2="$W/big2" -i /3="$W/big3" &&
		has "... and 2995 more duplicated contents"
}

t_missing_file() {
	run -i /a="$W/nonexistent" && return 1
	want_rc 2 && empty_stdout || return 1
	# a cgroup v2 mount (here a plain directory) without the file
	mkdir -p "$W/nocg"
	run --root "$W/nocg" && return 1
	want_rc 2 && grep -q 'lacks the pagecache_stat patchset' "$W/err" ||
		{ why="no clear message: $(cat "$W/err")"; return 1; }
}

t_permission_denied() {
	can_be_nobody || return 2
	rec fe:00 12 256 0xaa >"$W/a"
	chmod 600 "$W/a"
	as_nobody -i /a="$W/a"
	want_rc 3 && empty_stdout
}

t_usage_errors() {
	: >"$W/a"
	for args in "/a /a/b" "-i nofile" "--limit x" "--proc /a" \
		    "--proc -i /a=$W/a" "relative" "--bogus"; do
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
	mkdir -p "$R/a" "$R/b" "$R/nomem$1"
	{ rec fe:00 12 256 0xaa; rec fe:00 15 1030 0x99
	  rec fe:00 40 10 0xff; rec fe:00 50 10 0xff; } >"$R/memory.pagecache_stat"
	{ rec fe:00 12 256 0xaa; rec fe:00 15 1024 0xbb; } >"$R/a/memory.pagecache_stat"
	rec fe:00 50 10 0xff >"$R/b/memory.pagecache_stat"
	: >"$R/cgroup.procs"
}

t_leaf_attribution() {
	mk_tree
	run -j --root "$W/cg" && want_rc 0 || return 1
	# Only 0xff is duplicated: the root's own inode 40 and /b's inode 50;
	# the root's records of its child's inodes 12 and 15 are not copies.
	has '"groups":1}' && has '"instances":[{"cgroup":"/","dev":"fe:00","ino":40,' &&
		has '{"cgroup":"/b","dev":"fe:00","ino":50,' &&
		has "\"cached_bytes\":$(((1280 + 10 + 10 + 6) * PS))," &&
		has "\"unattributed_bytes\":$((6 * PS))," &&
		has '{"name":"/a","records":2,'
}

t_oci_hook() {
	mycg=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ -n "$mycg" ] || { skipped="not in a cgroup v2 hierarchy"; return 2; }
	mk_tree
	mkdir -p "$R$mycg"
	[ "$mycg" = / ] || rec fe:00 40 10 0xff >"$R$mycg/memory.pagecache_stat"
	sleep 30 &
	pid=$!
	# nested values, escaped quotes and a "pid" key inside them
	printf '{"ociVersion": "1.0.2", "id": "ctr-1", "status": "running",\n' \
		>"$W/state"
	printf ' "annotations": {"x": "a \\"}{ b", "pid": "7"}, "pid": %d,\n' \
		$pid >>"$W/state"
	printf ' "bundle": "/b"}\n' >>"$W/state"
	"$T" --oci-hook --root "$R" -o "$W/%i.json" <"$W/state" >"$W/out" 2>"$W/err"
	rc=$?
	kill $pid
	wait $pid 2>/dev/null
	want_rc 0 || return 1
	[ -s "$W/ctr-1.json" ] || { why="no $W/ctr-1.json"; return 1; }
	ls "$W" | grep -q 'json.tmp' && { why="temporary file left"; return 1; }
	cp "$W/ctr-1.json" "$W/out"
	has "\"container\":{\"id\":\"ctr-1\",\"pid\":$pid,\"cgroup\":\"$mycg\"}" &&
		has "\"focus\":\"$mycg\"" || return 1
	# Bad states: no pid (as at poststop), not JSON.
	echo '{"ociVersion": "1.0.2", "id": "x", "status": "stopped"}' >"$W/state"
	"$T" --oci-hook --root "$R" <"$W/state" >"$W/out" 2>"$W/err"
	rc=$?
	want_rc 5 && empty_stdout && grep -q 'no "pid"' "$W/err" || return 1
	echo '{"id": "x", "pid": 1' >"$W/state"
	"$T" --oci-hook --root "$R" <"$W/state" >"$W/out" 2>"$W/err"
	rc=$?
	want_rc 5 && empty_stdout
}

case_ pagecache_dups.groups_by_hash t_groups_by_hash
case_ pagecache_dups.largest_waste_first t_largest_waste_first
case_ pagecache_dups.waste_by_cgroup t_waste_by_cgroup
case_ pagecache_dups.same_inode_is_one_copy t_same_inode_is_one_copy
case_ pagecache_dups.same_hash_other_size t_same_hash_other_size
case_ pagecache_dups.focus t_focus
case_ pagecache_dups.empty_cgroups t_empty_cgroups
case_ pagecache_dups.malformed t_malformed
case_ pagecache_dups.thousands_of_records t_thousands_of_records
case_ pagecache_dups.missing_file t_missing_file
case_ pagecache_dups.usage_errors t_usage_errors
case_ pagecache_dups.leaf_attribution t_leaf_attribution

# cases that may be skipped: return 2 with $skipped set
may_skip() {
	skipped=
	why="(no reason given)"
	"$2"
	case $? in
	0) pass "$1" ;;
	2) skip "$1" "$skipped" ;;
	*) fail "$1" ;;
	esac
}
may_skip pagecache_dups.permission_denied t_permission_denied
may_skip pagecache_dups.oci_hook t_oci_hook

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

# devof FILE: the device FILE is on, as the kernel prints it (glibc's
# encoding of st_dev, decoded).
devof() {
	d=$(stat -c %d "$1")
	printf '%02x:%02x' $(((d >> 8) & 0xfff)) $(((d & 0xff) | ((d >> 12) & 0xfff00)))
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
		-o lowerdir="$D/lower",upperdir="$D/upper",workdir="$D/work" \
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
	for c in a b c p/c1 p; do
		rmdir $CG/pcd-$c 2>/dev/null
	done
	rm -rf "$D"
}

t_kernel_duplicates() {
	run -j --paths /pcd-a /pcd-b /pcd-c && want_rc 0 || return 1
	# 300 KiB = 75 pages, cached twice: once (inode orig) for /pcd-c
	# through overlayfs and /pcd-a directly, once (copy) for /pcd-b.
	has "$(grp 75 2 75)\"instances\":[" &&
		has "$(inst /pcd-b "$D/other/copy" path)" &&
		has "$(inst /pcd-c "$D/lower/orig" path)" &&
		has "\"groups\":1}" && hasnt '"cgroup":"/pcd-a","dev"'
}

t_kernel_scan_and_focus() {
	run -j --focus /pcd-b && want_rc 0 || return 1
	# The scan of the whole hierarchy finds the same group, and no other
	# content is cached twice with a copy in /pcd-b.
	has "\"focus\":\"/pcd-b\"" &&
		has "\"copies\":2,\"saveable_bytes\":$((75 * PS))," &&
		has '"groups":1}' && has '{"cgroup":"/pcd-b","dev":'
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
	has "$(grp 10 2 10)\"instances\":[" &&
		has "$(inst /pcd-p "$D/p2")" && has "$(inst /pcd-p/c1 "$D/p1")"
}

t_kernel_proc() {
	[ -e /proc/pagecache_stat ] || { skipped="no /proc/pagecache_stat"; return 2; }
	run -j --paths --proc && want_rc 0 || return 1
	has "$(grp 75 2 75)" &&
		has "$(inst /proc/pagecache_stat "$D/lower/orig" path)"
}

t_kernel_unprivileged() {
	can_be_nobody || return 2
	as_nobody
	want_rc 3 && empty_stdout && grep -q 'CAP_SYS_ADMIN' "$W/err"
}

t_kernel_oci_hook() {
	in_cg /pcd-b sleep 30 &
	sleep 1
	pid=$(cat $CG/pcd-b/cgroup.procs | head -n 1)
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

if kernel_ok; then
	if setup_kernel; then
		case_ pagecache_dups.kernel_duplicates t_kernel_duplicates
		case_ pagecache_dups.kernel_scan_and_focus t_kernel_scan_and_focus
		may_skip pagecache_dups.kernel_proc t_kernel_proc
		may_skip pagecache_dups.kernel_unprivileged t_kernel_unprivileged
		case_ pagecache_dups.kernel_oci_hook t_kernel_oci_hook
		case_ pagecache_dups.kernel_reparented t_kernel_reparented
	else
		why="setting up the containers failed"
		fail pagecache_dups.kernel_setup
	fi
	cleanup_kernel
else
	for c in duplicates scan_and_focus proc unprivileged oci_hook reparented; do
		skip pagecache_dups.kernel_$c "$skipped"
	done
fi

echo "1..$n"
[ "$nfail" = 0 ]
