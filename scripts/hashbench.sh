#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# hashbench.sh: what the candidate per-page hashes cost on this CPU, natively.
#
# Builds scripts/bench/hashbench from the kernel's own sources in
# $B/pristine (lib/siphash.c, lib/xxhash.c, crypto/nhpoly1305.c, the
# Poly1305 and BLAKE2s library code, the x86 NH and BLAKE2s assembly; see
# scripts/bench/kshim.h for how, nothing is copied) and pcs_hash.c, the
# per-page value of the series; runs its self-test (the kernel's test
# vectors), waits for a quiet host, runs it and prints the markdown table,
# also written to $B/hashbench-table.md.  Not a test, and not run by
# test.sh.  Under QEMU/TCG these costs are inverted, hence the host.
#
# Environment (defaults in brackets): PCS_HASHBENCH_MIB [64] MiB of random
# pages for the streaming figures; PCS_HASHBENCH_RUNS [7];
# PCS_HASHBENCH_CPU [the last CPU]; PCS_HASHBENCH_MAXLOAD [2.5] and
# PCS_HASHBENCH_WAIT [1200] s: wait up to that long for the 1-minute load
# average to drop to MAXLOAD before measuring (the table says when it did
# not); PCS_HASHBENCH_CRAWL [1024] MiB: then also time the userspace
# baseline of BENCHMARKS.md (pcs_crawl hash, with this pcs_hash) and the
# cat floor (pcs_crawl floor) natively, on the data set of that size
# (pcs_fill, kept in $B/hashbench/data), cached as in the VM; 0: not.
. "$(dirname "$0")/lib.sh"

mib=${PCS_HASHBENCH_MIB:-64}
runs=${PCS_HASHBENCH_RUNS:-7}
cpu=${PCS_HASHBENCH_CPU:-}
maxload=${PCS_HASHBENCH_MAXLOAD:-2.5}
wait_s=${PCS_HASHBENCH_WAIT:-1200}
crawl_mib=${PCS_HASHBENCH_CRAWL:-1024}

[ "$(uname -m)" = x86_64 ] || die "hashbench: x86_64 only (it measures the x86 assembly)"
command -v gcc >/dev/null || die "hashbench: gcc is missing (apt-get install gcc)"
[ -f "$PRISTINE/crypto/nhpoly1305.c" ] || "$TOP/scripts/tree.sh"

out=$B/hashbench
bench=$TOP/scripts/bench
mkdir -p "$out"
kflags=(-funsigned-char -fno-strict-aliasing -include "$bench/kshim.h"
	-I"$PRISTINE/include" -I"$PRISTINE")
build() {
	local log=$out/build.log
	nice -n 10 gcc -Wall -Wextra "$@" 2>"$log" ||
		{ cat "$log" >&2; die "hashbench: gcc $* failed"; }
	if [ -s "$log" ]; then cat "$log" >&2; fi
}
msg "building $out/hashbench from $PRISTINE"
build -O2 "${kflags[@]}" -c -o "$out/pcs_hash.o" "$bench/pcs_hash.c"
build -O2 "${kflags[@]}" -c -o "$out/hashbench_kernel.o" "$bench/hashbench_kernel.c"
objs=()
for s in nh-sse2-x86_64 nh-avx2-x86_64 blake2s-core; do
	build "${kflags[@]}" -c -o "$out/$s.o" "$PRISTINE/arch/x86/crypto/$s.S"
	objs+=("$out/$s.o")
done
build -O2 -static -o "$out/hashbench" "$bench/hashbench.c" \
	"$out/hashbench_kernel.o" "$out/pcs_hash.o" "${objs[@]}"

if [ "$crawl_mib" != 0 ]; then
	build -O2 -static -o "$out/pcs_fill" "$bench/pcs_fill.c"
	build -O2 -static -o "$out/pcs_crawl" "$bench/pcs_crawl.c" \
		"$out/pcs_hash.o" "$out/nh-sse2-x86_64.o" "$out/nh-avx2-x86_64.o"
fi

"$out/hashbench" --selftest >&2 ||
	die "hashbench: the kernel code as built here fails its test vectors"

load1() { cut -d' ' -f1 /proc/loadavg; }
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
waited=0
while above "$(load1)" "$maxload" && [ "$waited" -lt "$wait_s" ]; do
	msg "load average $(load1) above $maxload: waiting (${waited}s of ${wait_s}s)"
	sleep 60
	waited=$((waited + 60))
done
load_start=$(load1)

args=(-m "$mib" -r "$runs")
[ -z "$cpu" ] || args+=(-c "$cpu")
msg "measuring (${mib} MiB, $runs runs)"
table=$("$out/hashbench" "${args[@]}")
load_end=$(load1)

# The baseline and the floor natively: cached as in the VM, then timed
# in turn, $runs times each, on the CPU of hashbench
crawl=
if [ "$crawl_mib" != 0 ]; then
	data=$out/data/n$crawl_mib
	if [ ! -f "$data/.complete" ]; then
		msg "writing the ${crawl_mib} MiB data set to $data"
		rm -rf "$data"
		mkdir -p "$out/data"
		"$out/pcs_fill" create "$data" "$crawl_mib" "$crawl_mib" >&2
		touch "$data/.complete"
	fi
	ccpu=${cpu:-$(( $(nproc) - 1 ))}
	sync	# POSIX_FADV_DONTNEED leaves dirty pages
	"$out/pcs_fill" drop "$data"
	"$out/pcs_fill" warm "$data" >&2
	"$out/pcs_crawl" -c "$ccpu" -o "$out/crawl.txt" hash "$data" >&2
	rm -f "$out/crawl.base" "$out/crawl.floor"
	for _ in $(seq "$runs"); do
		"$out/pcs_crawl" -c "$ccpu" hash "$data" >>"$out/crawl.base"
		"$out/pcs_crawl" -c "$ccpu" floor "$data" >>"$out/crawl.floor"
	done
	load_end=$(load1)
	med() {	# med FILE: the median ns= of FILE, in ns
		sed -n 's/^ns=\([0-9]*\).*/\1/p' "$1" | sort -n |
			awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	}
	pages=$(sed -n 's/.* pages=\([0-9]*\).*/\1/p' "$out/crawl.base" | head -1)
	nh=$(sed -n 's/.* nh=\([a-z0-9]*\).*/\1/p' "$out/crawl.base" | head -1)
	row() {	# row NAME FILE
		awk -v n="$1" -v t="$(med "$2")" -v p="$pages" 'BEGIN {
			printf "| %s | %.1f | %.0f |\n", n, t / 1e6, t / p }'
	}
	crawl=$(
		echo "The userspace baseline natively: the ${crawl_mib} MiB data set of BENCHMARKS.md, $pages pages cached"
		echo "in $(wc -l <"$out/crawl.txt") files (pcs_fill warm), CPU $ccpu, median of $runs runs, interleaved;"
		echo "pcs_hash_page_values() with NH $nh."
		echo
		echo "| | ms | ns/page |"
		echo "|---|---|---|"
		row "baseline: cachestat, mincore, pread, pcs_hash_page_values(), sketch (pcs_crawl hash)" "$out/crawl.base"
		row "floor: pread of the cached runs (pcs_crawl floor)" "$out/crawl.floor"
	)
fi

model=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p')
fam=$(lscpu | sed -n 's/^CPU family:[[:space:]]*//p')
mod=$(lscpu | sed -n 's/^Model:[[:space:]]*//p')
flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { case " ${flags#*:} " in *" $1 "*) echo yes ;; *) echo no ;; esac; }
virt=$(systemd-detect-virt 2>/dev/null || true)
note=
if above "$load_start" "$maxload" || above "$load_end" "$maxload"; then
	note="**The load average was above $maxload (${load_start} at the start, ${load_end} at the end): other work shared the CPUs, the figures are disturbed.**"
fi
{
	echo "Run of \`scripts/hashbench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), natively on the host:"
	echo "$model (family $fam, model $mod), $(nproc) CPUs${virt:+, virtualized ($virt)};"
	echo "AVX2 $(has avx2), AVX-512F $(has avx512f), AVX-512VL $(has avx512vl), SSSE3 $(has ssse3), ERMS $(has erms), FSRM $(has fsrm)."
	echo "Linux $(uname -r); $(gcc --version | head -1), -O2 -static; kernel code from Debian's"
	echo "linux-source-6.12 ($PRISTINE), unmodified, through scripts/bench/kshim.h."
	[ -z "$note" ] || echo "$note"
	echo
	echo "$table"
	[ -z "$crawl" ] || printf '\n%s\n' "$crawl"
} >"$B/hashbench-table.md"
cat "$B/hashbench-table.md"
