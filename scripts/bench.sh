#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh: benchmarks of memory.pagecache_stat on the perf kernel.
#
# Builds the perf kernel and the static helpers of scripts/bench/, boots the
# VM in mode bench (scripts/vm/bench does the measuring), checks the log
# like any other run, and prints the markdown table, also written to
# $B/bench-table.md.  Not a test, and not run by test.sh.
#
# Environment (defaults in brackets): PCS_VM_MEM [8G] and PCS_DISK_SIZE [9G]
# for run-vm.sh; PCS_BENCH_SIZES [64,256,1024,2048] MiB of page cache for the
# read cases; PCS_BENCH_SIBLING [2048] MiB the sibling caches in the
# scoping and mlock cases, and that the reclaim case streams;
# PCS_BENCH_RUNS [5]; PCS_BENCH_WORKSEC [3] seconds per workload run;
# PCS_BENCH_LOCK [16] MiB the mlockall() neighbour locks; PCS_BENCH_COW
# [128] MiB the fork-and-write workload writes; PCS_BENCH_HIGH [the
# workload's size, 256] MiB, memory.high of the reclaim case.  The disk
# holds 1.25 times the sum of the sizes and the sibling's data: grow
# PCS_DISK_SIZE with them.
. "$(dirname "$0")/lib.sh"

export PCS_VM_MEM=${PCS_VM_MEM:-8G}
export PCS_DISK_SIZE=${PCS_DISK_SIZE:-9G}
export PCS_VM_TIMEOUT=${PCS_VM_TIMEOUT:-5400}
sizes=${PCS_BENCH_SIZES:-64,256,1024,2048}
sib=${PCS_BENCH_SIBLING:-2048}
runs=${PCS_BENCH_RUNS:-5}
worksec=${PCS_BENCH_WORKSEC:-3}
lockmib=${PCS_BENCH_LOCK:-16}
cowmib=${PCS_BENCH_COW:-128}
high=${PCS_BENCH_HIGH:-}
[ "$runs" -ge 5 ] || msg "warning: PCS_BENCH_RUNS=$runs; the published figures need 5 or more"

"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh"
"$TOP/scripts/build-kernel.sh" perf

mkdir -p "$B/tests" "$B/bench-obj"
bench=$TOP/scripts/bench
# pcs_crawl hashes with the kernel's own code (pcs_hash.c and the x86 NH
# assembly, built from $PRISTINE through kshim.h, as hashbench.sh does)
kflags=(-funsigned-char -fno-strict-aliasing -include "$bench/kshim.h"
	-I"$PRISTINE/include" -I"$PRISTINE")
cc() {	# cc LOG GCC-ARGS...: build quietly, show warnings, fail on errors
	local log=$1
	shift
	gcc -Wall -Wextra "$@" 2>"$log" || { cat "$log" >&2; return 1; }
	if [ -s "$log" ]; then cat "$log" >&2; fi
}
o=$B/bench-obj
cc "$o/pcs_hash.log" -O2 "${kflags[@]}" -c -o "$o/pcs_hash.o" "$bench/pcs_hash.c" ||
	die "bench: pcs_hash.o does not build"
for s in nh-sse2-x86_64 nh-avx2-x86_64; do
	cc "$o/$s.log" "${kflags[@]}" -c -o "$o/$s.o" "$PRISTINE/arch/x86/crypto/$s.S" ||
		die "bench: $s.o does not build"
done
progs="pcs_fill pcs_crawl pcs_read pcs_work"
for p in $progs; do
	extra=()
	[ "$p" = pcs_crawl ] &&
		extra=("$o/pcs_hash.o" "$o/nh-sse2-x86_64.o" "$o/nh-avx2-x86_64.o")
	cc "$B/tests/$p.log" -O2 -static -o "$B/tests/$p" "$bench/$p.c" "${extra[@]}" ||
		die "bench: $p does not build"
done
cp "$TOP/scripts/vm/bench" "$B/tests/bench"
chmod +x "$B/tests/bench"

batch=$(sed -n 's/^#define PCS_BATCH[[:space:]]*\([0-9]*\).*/\1/p' "$SRC/mm/pagecache_stat.c")
log=$B/log-bench.txt
others=$(pgrep -c qemu-system || true)
[ "$others" = 0 ] ||
	msg "warning: $others other QEMU process(es) running: TCG timings will be disturbed"
# TCG shares the host's CPUs: note what else runs (other VMs, load)
# every 5 s while the VM runs; the header says what was seen.
sampler() {
	while :; do
		echo "$(pgrep -c qemu-system || true) $(cut -d' ' -f1 /proc/loadavg)"
		sleep 5
	done
}
sampler >"$B/bench-host.txt" &
sampler_pid=$!
trap 'kill $sampler_pid 2>/dev/null || true' EXIT
start=$(date +%s)
# shellcheck disable=SC2086
"$TOP/scripts/run-vm.sh" perf bench "$log" bench $progs -- \
	"pcs.sizes=$sizes" "pcs.sib=$sib" "pcs.runs=$runs" \
	"pcs.worksec=$worksec" "pcs.batch=$batch" "pcs.lock=$lockmib" \
	"pcs.cow=$cowmib" ${high:+"pcs.high=$high"}
elapsed=$(( $(date +%s) - start ))
kill $sampler_pid 2>/dev/null || true
# Our own VM is one QEMU process
host=$(awk '{ q = $1 - 1 > q ? $1 - 1 : q; l = $2 > l ? $2 : l }
	END { printf "at most %d other QEMU process(es), load average at most %s", q, l }' \
	"$B/bench-host.txt")
"$TOP/scripts/check-log.sh" "$log" >/dev/null ||
	die "bench: the run failed (see above and $log)"

kver=$(tr -d '\r' <"$log" | sed -n 's/^PCS-BOOTED.* kernel=\([^ ]*\).*/\1/p')
# The kernel files of the tree measured: the commit, and any local change
commit=$(git -C "$TOP" log -1 --format='%h %cs "%s"')
dirty=$(cd "$TOP" && our_kernel_files | xargs -r git status --porcelain -- | wc -l)
mem_kb=$(tr -d '\r' <"$log" | sed -n 's/.*MemTotal \([0-9]*\) kB.*/\1/p')
lrugen=$(tr -d '\r' <"$log" | sed -n 's/^PCS-BENCH-LOG.*lru_gen: //p')
cfg=$B/out-perf/.config
opts=$(grep -E '^CONFIG_(HZ|PREEMPT[A-Z_]*|LRU_GEN[A-Z_]*|TRANSPARENT_HUGEPAGE|MEMCG|PAGECACHE_STAT|NR_CPUS|CRYPTO_NHPOLY1305[A-Z0-9_]*)=' "$cfg" |
	sed 's/^CONFIG_//' | tr '\n' ' ')
{
	echo "Run of \`scripts/bench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), ${elapsed}s in the VM."
	echo "Tree at commit $commit ($dirty kernel files changed since)."
	echo "Kernel $kver, perf variant (tinyconfig + scripts/configs/common.config,"
	echo "feature.config, perf.config: no KASAN, KFENCE, lockdep, DEBUG_VM, kmemleak);"
	echo "$opts; lru_gen $lrugen."
	echo "VM: QEMU/TCG q35, 2 vCPUs on 2 NUMA nodes, PCS_VM_MEM=$PCS_VM_MEM (MemTotal $mem_kb kB),"
	echo "ext4 on virtio-blk (PCS_DISK_SIZE=$PCS_DISK_SIZE), on a $(nproc)-CPU host ($host, sampled"
	echo "every 5 s).  Sizes $sizes MiB, sibling $sib MiB, mlock $lockmib MiB, COW $cowmib MiB,"
	echo "$runs runs per figure, shown as median (min-max); ratios are taken run by run"
	echo "within the same boot.  Raw measurements: PCS-BENCH-LOG lines of $(basename "$log")."
	echo
	tr -d '\r' <"$log" | sed -n 's/^PCS-BENCH //p'
} >"$B/bench-table.md"
cat "$B/bench-table.md"
