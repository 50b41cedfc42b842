#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check-log.sh LOG: judge one VM run from its serial log.
#
# Counts the TAP results of every program run between PCS-BEGIN/PCS-END
# markers, the nested ones of the kselftest runner included (a "not ok" case
# listed in scripts/known-failures/<program> is a skip, with its reason),
# and fails the run when a program failed, when the
# VM did not reach PCS-DONE (hang, crash, timeout), or when the kernel log
# holds any report of the kernel's checkers.  Prints the problems, then a
# last line "counts PASS FAIL SKIP".  Exit status 0 only if nothing failed.
. "$(dirname "$0")/lib.sh"

log=${1:?usage: check-log.sh LOG}
pass=0 fail=0 skip=0
problems=()

# Kernel reports that fail a run, whatever the tests said.
SPLATS='WARNING:|BUG:|Oops|general protection fault|Kernel panic|'
SPLATS+='possible circular locking|possible recursive locking|'
SPLATS+='inconsistent lock state|suspicious RCU usage|bad unlock balance|'
SPLATS+='DEBUG_LOCKS_WARN_ON|lockdep is turned off|KASAN:|KFENCE:|'
SPLATS+='unreferenced object|suspected memory leak|'
SPLATS+='rcu: INFO|detected stalls|self-detected stall|soft lockup|'
SPLATS+='hard LOCKUP|blocked for more than|hung_task|Busy inodes|'
SPLATS+='list_add corruption|list_del corruption|UBSAN:|PCS-ERROR'

# Lines from the kernel, not from a test's own output.  KCSAN reports are
# judged below, one by one.
if grep -aE "$SPLATS" "$log" | grep -avE '^(ok|not ok|#) ' |
   grep -av 'BUG: KCSAN: ' >"$log.splats"; then
	problems+=("kernel log: $(head -n 1 "$log.splats" | tr -d '\r') ($(wc -l <"$log.splats") report lines, see $log)")
fi

# KCSAN (the kcsan kernel): a report with a function of ours in it (the
# racing accesses or their stacks) fails the run; one elsewhere in the
# kernel fails it unless scripts/known-failures/kcsan names its pair of
# functions ("BUG: KCSAN: data-race in A / B" is "A/B"), with the reason.
while IFS=$'\t' read -r key ours headline; do
	reason=$(awk -v k="$key" '$1 == k { sub(/^[^ ]+ +/, ""); print; exit }' \
		"$TOP/scripts/known-failures/kcsan" 2>/dev/null || true)
	if [ "$ours" = 1 ]; then
		problems+=("KCSAN report in our code: $headline, see $log")
	elif [ -n "$reason" ]; then
		msg "known KCSAN report elsewhere, tolerated: $key: $reason"
	else
		problems+=("KCSAN report not in scripts/known-failures/kcsan: $headline, see $log")
	fi
done < <(tr -d '\r' <"$log" | awk '
	/BUG: KCSAN: / {
		if (inrep) done_report()
		inrep = 1; ours = 0
		headline = substr($0, index($0, "BUG: KCSAN: "))
		key = headline
		sub(/^.* in /, "", key)
		gsub(/ /, "", key)
	}
	inrep && /(^|[^a-z0-9_])(pcs_[a-z0-9_]+|pagecache_stat_[a-z0-9_]+|proc_pagecache_stat_init)([+ ]|$)/ {
		ours = 1
	}
	inrep && /^=+$/ { done_report() }
	function done_report() {
		if (!((key, ours) in seen)) print key "\t" ours "\t" headline
		seen[key, ours] = 1
		inrep = 0
	}
	END { if (inrep) done_report() }')

if grep -aq '^PCS-TIMEOUT' "$log"; then
	problems+=("$(grep -a '^PCS-TIMEOUT' "$log") (hung VM or too slow), see $log")
elif ! grep -aq '^PCS-DONE' "$log"; then
	problems+=("VM stopped before the end of /init (crash or panic), see $log")
fi

# A program run by the kselftest runner (/init runs the cgroup selftests
# with run_kselftest.sh) has its output prefixed "# ": its cases are the
# "# ok N" and "# not ok N" lines, and the runner's own last line, "ok 1
# selftests: cgroup: NAME" or "not ok 1 ... # exit=N", says how the program
# ended.  Other programs print their cases unprefixed and end with PCS-END's
# rc=.
case_line() {	# case_line LINE: count one case of $prog
	local line=$1 name reason
	cases=$((cases + 1))
	case $line in
	"ok "*)
		if [[ $line == *"# SKIP"* ]]; then
			skip=$((skip + 1))
		else
			pass=$((pass + 1))
		fi
		;;
	"not ok "*)
		name=$(sed -E 's/^not ok [0-9]+ ([^ #]+).*/\1/' <<<"$line")
		reason=$(grep -s "^$name " "$known" | cut -d' ' -f2- || true)
		prog_fail=1
		if [ -n "$reason" ]; then
			skip=$((skip + 1))
			msg "known failure, counted as skipped: $prog $name: $reason"
		else
			fail=$((fail + 1))
			problems+=("$prog: $line")
		fi
		;;
	esac
}

prog_ended() {	# prog_ended HOW: $prog ended; HOW is 0 or why not
	if [ "$1" = 0 ] || [ "$prog_fail" = 1 ] ||
	   grep -q "^rc-nonzero-ok" "$known" 2>/dev/null; then
		return 0
	fi
	fail=$((fail + 1))
	problems+=("$prog $1 without a failing case")
}

# The runner's verdict on a kselftest program, strictly: a program ends
# "ok" having run cases (all that its "# 1..N" plan announced, if it
# printed one), or "not ok ... # exit=1" (KSFT_FAIL) after a failing case,
# or skipped whole; a crash (any other exit), a timeout, or no verdict at
# all fails it, even after a known failure.
ksft_ended() {
	local problem=
	case $ksft_end in
	"")			problem="left no runner verdict (no 'ok 1 selftests: cgroup: $prog' line)" ;;
	*"# TIMEOUT"*)		problem="hit the runner's timeout: $ksft_end" ;;
	"not ok "*"# exit=1")	[ "$prog_fail" = 1 ] ||
					problem="ended with '$ksft_end' without a failing case" ;;
	"not ok "*)		problem="ended with '$ksft_end'" ;;
	*"# SKIP"*)		[ "$cases" -gt 0 ] || skip=$((skip + 1)) ;;
	*)			[ "$cases" -gt 0 ] || problem="ran no case" ;;
	esac
	if [ -z "$problem" ] && [ -n "$plan" ] && [ "$cases" != "$plan" ]; then
		problem="reported $cases cases of the $plan its plan announced"
	fi
	[ -z "$problem" ] && return 0
	fail=$((fail + 1))
	problems+=("$prog: $problem")
}

prog=
while IFS= read -r line; do
	line=${line%$'\r'}
	case $line in
	"PCS-BEGIN "*)
		prog=${line#PCS-BEGIN }
		prog_fail=0 ksft=0 ksft_end='' cases=0 plan=''
		known=$TOP/scripts/known-failures/$prog
		continue
		;;
	"PCS-END "*)
		[ -n "$prog" ] || continue
		if [ "$ksft" = 1 ]; then
			ksft_ended
		else
			rc=${line##*rc=}
			[ "$rc" = 0 ] && prog_ended 0 || prog_ended "exited with status $rc"
		fi
		prog=
		continue
		;;
	esac
	[ -n "$prog" ] || continue
	case $line in
	"# selftests: cgroup: $prog")
		ksft=1 ;;
	"ok "*" selftests: cgroup: $prog"*|"not ok "*" selftests: cgroup: $prog"*)
		[ "$ksft" = 1 ] && ksft_end=$line ;;
	"# 1.."[0-9]*)
		[ "$ksft" = 1 ] && [ -z "$plan" ] &&
			plan=$(sed -E 's/^# 1\.\.([0-9]+).*/\1/' <<<"$line") ;;
	"# ok "*|"# not ok "*)
		[ "$ksft" = 1 ] && case_line "${line#\# }" ;;
	"ok "*|"not ok "*)
		[ "$ksft" = 1 ] || case_line "$line" ;;
	esac
done < <(grep -aE '^(PCS-BEGIN|PCS-END|(# )?(ok|not ok) |# selftests: |# 1\.\.[0-9])' "$log")

for p in "${problems[@]}"; do
	printf 'FAILED: %s\n' "$p" >&2
done
[ ${#problems[@]} -eq 0 ] || [ "$fail" -gt 0 ] || fail=1
echo "counts $pass $fail $skip"
[ ${#problems[@]} -eq 0 ]
