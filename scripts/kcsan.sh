#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kcsan.sh: the data-race run alone (test.sh runs it too).  Builds the
# kcsan variant (the debug kernel with KCSAN instead of KASAN, which cannot
# be combined with it), boots it and runs the race cases of
# kcsan_vm_args() (lib.sh).  scripts/check-log.sh fails the run on any
# KCSAN report that involves our functions, and on one elsewhere in the
# kernel that scripts/known-failures/kcsan does not list with its reason.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh" >/dev/null
"$TOP/scripts/build-kernel.sh" kcsan
"$TOP/scripts/build-tests.sh"

log=$B/log-kcsan.txt
mapfile -t args < <(kcsan_vm_args)
PCS_VM_TIMEOUT=${PCS_VM_TIMEOUT:-3600} "$TOP/scripts/run-vm.sh" kcsan test "$log" "${args[@]}"
echo "-- kcsan kernel:"
grep -aE '^(# )?(ok|not ok) ' "$log" | tr -d '\r' | sed 's/^/    /' || true
"$TOP/scripts/check-log.sh" "$log"
