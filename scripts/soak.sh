#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# soak.sh MINUTES: run the many-readers mix of test_pagecache_stat_reliability
# for MINUTES on the debug kernel in the VM: 16 readers of memory.pagecache_stat
# (sharing an open file and each with its own, of several cgroups) and of
# /proc/pagecache_stat, while processes write, truncate and unlink files and
# cgroups come and go.  Then the walker's slab caches (pcs_record, pcs_run)
# must hold as many objects as before the readers opened, kmemleak must find
# no new unreferenced object, and the kernel log must be clean.  The VM boots
# with slab_nomerge, so that those caches are counted apart from others.
# Prints the soak's figures and the verdict of check-log.sh; exit status 0
# only if all of it passed.  scripts/test.sh runs one minute of it.
. "$(dirname "$0")/lib.sh"

minutes=${1:?usage: soak.sh MINUTES}
[[ $minutes =~ ^[1-9][0-9]*$ ]] || die "soak: MINUTES must be a whole number"
# The test case's own time limit is 25 hours.
[ "$minutes" -le 1440 ] || die "soak: at most 1440 minutes (24 hours)"

"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh" >/dev/null
"$TOP/scripts/build-kernel.sh" debug
"$TOP/scripts/build-tests.sh"

log=$B/log-soak-${minutes}m.txt
start=$(date +%s)
# The VM's time limit: the soak, the case's setup and leak checks, a boot.
PCS_VM_MEM=${PCS_VM_MEM:-1G} PCS_VM_TIMEOUT=$((minutes * 60 + 900)) \
	"$TOP/scripts/run-vm.sh" debug test "$log" test_pagecache_stat_reliability \
	-- slab_nomerge "PCS_SOAK_SECS=$((minutes * 60))" \
	pcs.args.test_pagecache_stat_reliability=-t,soak \
	"pcs.ksft_timeout=$((minutes * 60 + 600))"
echo "-- soak of $minutes minutes ($(( $(date +%s) - start )) s with the boot), from $log:"
grep -a '^#' "$log" | tr -d '\r' | sed -n '/RUN .*soak/,/OK\|FAIL/p' | sed 's/^/    /'
if "$TOP/scripts/check-log.sh" "$log"; then
	echo "soak passed"
else
	echo "soak FAILED"
	exit 1
fi
