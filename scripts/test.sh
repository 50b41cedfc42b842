#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The test command: install what is missing, make the patched tree, check
# style, build the debug kernel and the selftests, boot it and run every
# selftest, prove the splat detector, and print "N passed, N failed".
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
pass=0 fail=0 skip=0
failures=()

result() {	# result NAME STATUS [DETAIL]: one harness-level check
	if [ "$2" = 0 ]; then
		pass=$((pass + 1))
		printf 'ok - %s\n' "$1"
	else
		fail=$((fail + 1))
		failures+=("$1${3:+: $3}")
		printf 'not ok - %s%s\n' "$1" "${3:+: $3}"
	fi
}

add_counts() {	# add_counts "counts P F S"
	local _ p f s
	read -r _ p f s <<<"$1"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

finish() {
	local f
	echo
	for f in "${failures[@]}"; do
		echo "FAILED: $f"
	done
	echo "$skip skipped (see above for each reason), $(( $(date +%s) - start ))s"
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}

"$TOP/scripts/deps.sh"
if ! out=$("$TOP/scripts/tree.sh" 2>&1); then
	echo "$out"
	result "patches apply cleanly" 1 "$(grep -m1 '^FAILED' <<<"$out" | sed 's/^FAILED: //')"
	finish
fi
echo "$out"
result "patches apply cleanly" 0

# The series as upstream receives it: git format-patch, git am of it onto
# a git tree of the pristine source gives exactly the tree tested here, and
# checkpatch.pl --strict passes every patch.  (format-series.sh --check,
# the second command of the README, also builds each step.)
out=$("$TOP/scripts/format-series.sh" "$B/series/out" 2>&1) && rc=0 || rc=$?
echo "$out"
result "series: format-patch, git am round trip, checkpatch --strict" $rc \
	"$(grep -m1 '^FAILED' <<<"$out" | sed 's/^FAILED: //')"

out=$("$TOP/scripts/checkpatch.sh" 2>&1) && rc=0 || rc=$?
echo "$out"
result "checkpatch --strict" $rc "$(grep -m1 '^FAILED' <<<"$out")"

if ! "$TOP/scripts/build-kernel.sh" debug; then
	result "debug kernel builds" 1 "see the message above"
	finish
fi
result "debug kernel builds" 0
"$TOP/scripts/build-tests.sh" || { result "selftests build" 1; finish; }

# The report tool's parsing and grouping cases also run here, on the host
# (its kernel cases skip here and run in the VM).
out=$(sh "$B/tests/test_pagecache_dups.sh" "$B/tests/data/pagecache_dups" 2>&1) &&
	rc=0 || rc=$?
echo "-- test_pagecache_dups.sh (host):"
grep -E '^(ok|not ok) ' <<<"$out" | sed 's/^/    /'
while IFS= read -r line; do
	case $line in
	"not ok "*)	fail=$((fail + 1)); failures+=("host: $line") ;;
	*"# SKIP"*)	skip=$((skip + 1)) ;;
	"ok "*)		pass=$((pass + 1)) ;;
	esac
done <<<"$out"
if [ $rc != 0 ]; then
	# What the failing cases said
	grep -vE '^(ok|not ok) ' <<<"$out" | tail -n 40 | sed 's/^/    /'
	grep -q '^not ok ' <<<"$out" ||
		result "host: test_pagecache_dups.sh exited with status $rc" 1 "without a failing case"
fi

# vm_start NAME VARIANT MODE [TESTS...] [-- KERNEL-ARGS...]: boot in the
# background, the log in $B/log-NAME.txt; vm_judge NAME VARIANT waits for
# it, judges the log, counts its cases and names what failed.  Two VMs may
# run side by side: each TCG VM keeps about one host core busy.
declare -A vm_pid vm_t0
vm_start() {
	local name=$1 variant=$2 mode=$3
	shift 3
	vm_t0[$name]=$(date +%s)
	"$TOP/scripts/run-vm.sh" "$variant" "$mode" "$B/log-$name.txt" "$@" \
		>"$B/log-$name.host" 2>&1 &
	vm_pid[$name]=$!
}

vm_judge() {
	local name=$1 variant=$2 log=$B/log-$1.txt out rc
	wait "${vm_pid[$name]}" || true
	cat "$B/log-$name.host"
	echo "== $name: $(( $(date +%s) - ${vm_t0[$name]} )) s since its boot began"
	out=$("$TOP/scripts/check-log.sh" "$log" 2>&1) && rc=0 || rc=$?
	echo "-- $name ($variant kernel):"
	grep -aE '^(# )?(ok|not ok) ' "$log" | tr -d '\r' | sed 's/^/    /' || true
	grep -v '^counts' <<<"$out" || true
	add_counts "$(tail -n 1 <<<"$out")"
	[ $rc = 0 ] ||
		failures+=("$name: $(grep '^FAILED' <<<"$out" | sed 's/^FAILED: //' | paste -sd';')")
	return 0
}

# kcsan_selftests LOG: the KCSAN boot means something only if KCSAN ran
# (its own boot self-test passed) and if check-log.sh fails a log with a
# KCSAN report in it: the boot's log with a report added before its dmesg
# end, one report naming a walker function, one elsewhere in the kernel.
kcsan_selftests() {
	local log=$1 t=$B/log-kcsan-injected.txt fn verdict out races want ran
	# Every case selected ran (in both LRU modes): one that skipped, for an
	# option the KCSAN config lacks, would race nothing.
	races=$(kcsan_vm_args | sed -n 's/^pcs\.args\.test_pagecache_stat=//p' |
		tr , '\n' | grep -vxc -- -t)
	want=$((2 * races + 1))
	ran=$(tr -d '\r' <"$log" | grep -cE '^# ok [0-9]+ (pcs\.(mglru|classic)\.[a-z_]+|rel\.many_readers)$' || true)
	[ "$ran" = "$want" ] && rc=0 || rc=1
	result "KCSAN kernel: the $want selected cases ran, none skipped" $rc "$ran ran"
	grep -aqE 'kcsan: selftest: ([0-9]+)/\1 tests passed' "$log" &&
		result "KCSAN kernel: KCSAN's boot self-test passed" 0 ||
		result "KCSAN kernel: KCSAN's boot self-test passed" 1 "no 'kcsan: selftest: N/N tests passed' in $log"
	for fn in pcs_count_folio:"KCSAN report in our code" \
		  fake_race_elsewhere:"KCSAN report not in scripts/known-failures/kcsan"; do
		verdict=${fn#*:} fn=${fn%%:*}
		awk -v fn="$fn" '/^PCS-DMESG-END/ {
			print "=================================================================="
			print "BUG: KCSAN: data-race in " fn " / folio_remove_rmap_ptes"
			print ""
			print "read to 0xffff888003f5a018 of 8 bytes by task 93 on cpu 1:"
			print " " fn "+0x1c/0x2a0"
			print "=================================================================="
		} { print }' "$log" >"$t"
		out=$("$TOP/scripts/check-log.sh" "$t" 2>&1) && rc=0 || rc=$?
		[ $rc != 0 ] && grep -q "$verdict" <<<"$out" && rc=0 || rc=1
		result "harness self-test: a KCSAN report in $fn fails the run" $rc \
			"check-log.sh said: $(grep -m1 FAILED <<<"$out")"
	done
}

# Every kernel first: a VM must not share the CPU with a kernel build.
# (Two VMs side by side keep the two cores busy.)
out=$("$TOP/scripts/static-check.sh" debug 2>&1) && rc=0 || rc=$?
echo "$out"
result "W=1 and sparse on the new files" $rc "$(grep -m1 '^FAILED' <<<"$out")"
built=()
for v in nomemcg:CONFIG_MEMCG=n featureoff:CONFIG_PAGECACHE_STAT=n \
	 kcsan:CONFIG_KCSAN=y; do
	if "$TOP/scripts/build-kernel.sh" "${v%%:*}"; then
		built+=("${v%%:*}")
		result "${v#*:} kernel builds" 0
	else
		result "${v#*:} kernel builds" 1 "see the message above"
	fi
done
have() { [[ " ${built[*]} " == *" $1 "* ]]; }

# Upstream's test first, on a fresh system and alone on the host, as
# upstream runs it: some of its cases (test_memcg_low) depend on reclaim
# timing and failed once when other work shared the host.
vm_start debug-memcontrol debug test test_memcontrol
vm_judge debug-memcontrol debug

# Ours, in the 3 GiB VM, and beside it, one at a time in 1 GiB VMs: the
# reliability cases, the KCSAN kernel's race cases, then the boots that
# check a variant.
# The report tool's slowest cases need neither root nor a kernel and ran on
# the host above: the VM, where they took over ten minutes, skips them.
vm_start debug-test debug test test_pagecache_stat test_pagecache_dups.sh -- \
	PCD_SKIP=deep_tree,many_children,estimator_bound

# The reliability cases (fault injection, a killed reader, many readers,
# one minute of the soak, swap).  slab_nomerge: the soak counts the
# walker's slab caches apart from others.
# 1 GiB: kmemleak scans all of RAM at each of the cases' leak checks.
export PCS_VM_MEM=1G
PCS_VM_TIMEOUT=1800 vm_start debug-reliability debug test \
	test_pagecache_stat_reliability -- slab_nomerge PCS_SOAK_SECS=60
vm_judge debug-reliability debug

# Data races: the race cases and the many readers on the KCSAN kernel
# (kcsan_vm_args in lib.sh).  check-log.sh fails the boot on a KCSAN report
# that involves our files, and on one elsewhere that
# scripts/known-failures/kcsan does not list.
if have kcsan; then
	mapfile -t args < <(kcsan_vm_args)
	PCS_VM_TIMEOUT=3600 vm_start kcsan-races kcsan test "${args[@]}"
	vm_judge kcsan-races kcsan
	kcsan_selftests "$B/log-kcsan-races.txt"
fi

vm_start debug-nomemcg-boot debug test test_pagecache_stat -- cgroup_disable=memory
vm_judge debug-nomemcg-boot debug
if have nomemcg; then
	vm_start nomemcg-test nomemcg test test_pagecache_stat
	vm_judge nomemcg-test nomemcg
fi
if have featureoff; then
	vm_start featureoff-test featureoff test check_feature_off
	vm_judge featureoff-test featureoff
fi

# Harness self-test: a boot that provokes a WARNING must be judged failed.
log=$B/log-debug-splat.txt
PCS_VM_TIMEOUT=600 "$TOP/scripts/run-vm.sh" debug splat "$log"
if out=$("$TOP/scripts/check-log.sh" "$log" 2>&1); then
	result "harness self-test: a provoked WARNING fails the run" 1 "not detected"
else
	grep -q 'kernel log: .*WARNING' <<<"$out" &&
		result "harness self-test: a provoked WARNING fails the run" 0 ||
		result "harness self-test: a provoked WARNING fails the run" 1 "$out"
fi
unset PCS_VM_MEM

vm_judge debug-test debug
finish
