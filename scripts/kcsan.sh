#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kcsan.sh: the data-race run.  Builds the kcsan variant (the debug kernel
# with KCSAN instead of KASAN, which cannot be combined with it), boots it
# and runs the selftest cases that race a read against truncation, unlink,
# umount, rmdir, memory.high, an LRU switch and reclaim, and the reliability
# test's many readers.  scripts/check-log.sh fails the run on any KCSAN
# report that involves our functions, and on one elsewhere in the kernel
# that scripts/known-failures/kcsan does not list with its reason.  Not
# part of test.sh: the variant is one more cold kernel build (about 20
# minutes on 2 cores), beyond CI's time.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh" >/dev/null
"$TOP/scripts/build-kernel.sh" kcsan
"$TOP/scripts/build-tests.sh"

races=race_truncate,race_unlink,race_umount,race_rmdir,race_memory_high
races+=,race_lru_gen_switch,rmdir_during_read,reclaim_churn
log=$B/log-kcsan.txt
PCS_VM_TIMEOUT=${PCS_VM_TIMEOUT:-3600} "$TOP/scripts/run-vm.sh" kcsan test "$log" \
	test_pagecache_stat test_pagecache_stat_reliability -- \
	"pcs.args.test_pagecache_stat=$(sed 's/\([^,]*\)/-t,\1/g' <<<"$races")" \
	pcs.args.test_pagecache_stat_reliability=-t,many_readers
echo "-- kcsan kernel:"
grep -aE '^(ok|not ok) ' "$log" | tr -d '\r' | sed 's/^/    /' || true
"$TOP/scripts/check-log.sh" "$log"
