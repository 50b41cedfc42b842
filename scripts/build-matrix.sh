#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-matrix.sh [NAME...]: the series' files in the configurations and on
# the architectures a 0-day bot builds, with Debian's cross compilers.
#
# Each entry is tinyconfig of its architecture with
# scripts/configs/matrix.config and its own options merged (a randconfig
# entry: the architecture's randconfig with a fixed seed, our option forced
# on).  The options asked for are checked in the final config.  Then, with
# the tree at the end of the series ($SRC), the objects of the files the
# series adds or changes that the config builds are compiled: no warning
# at all, and with W=1 (kernel-doc included) none that names a file the
# series adds.  vmlinux is linked on x86_64 only (format-series.sh --check's
# steps, and the test command's kernels); here a build of the objects is
# what fails when a configuration or an architecture breaks our code.
. "$(dirname "$0")/lib.sh"

C=$TOP/scripts/configs
S=$B/series
mkdir -p "$S"

# name arch cross-prefix options (";"-separated, "# CONFIG_X is not set" for
# off; "seed=N" for a randconfig).  The x86_64 entries turn one option off
# each from a base with NUMA on (tinyconfig has it off).
MATRIX="
i386-highmem	i386	i686-linux-gnu-	# CONFIG_NOHIGHMEM is not set;CONFIG_HIGHMEM4G=y;CONFIG_HIGHMEM=y
arm64-64k	arm64	aarch64-linux-gnu-	CONFIG_ARM64_64K_PAGES=y
riscv64	riscv	riscv64-linux-gnu-	CONFIG_ARCH_RV64I=y;CONFIG_64BIT=y
shmem-off	x86_64	-	CONFIG_NUMA=y;# CONFIG_SHMEM is not set
swap-off	x86_64	-	CONFIG_NUMA=y;# CONFIG_SWAP is not set
numa-off	x86_64	-	# CONFIG_NUMA is not set
lru_gen-off	x86_64	-	CONFIG_NUMA=y;# CONFIG_LRU_GEN is not set
thp-off	x86_64	-	CONFIG_NUMA=y;# CONFIG_TRANSPARENT_HUGEPAGE is not set
memcg-off	x86_64	-	CONFIG_NUMA=y;# CONFIG_MEMCG is not set
rand-1	x86_64	-	seed=1
rand-2	x86_64	-	seed=2
rand-3	x86_64	-	seed=3
"

# Our files: the new C files, the C files we change, and their objects with
# the option that builds each.
mapfile -t new_c < <(new_kernel_sources | grep '\.c$')
changed_c=()
for p in $(series_patches); do
	case $p in
	tools/*) ;;
	*.c.patch)	changed_c+=("${p%.patch}") ;;
	esac
done
ours=$(printf '%s|' "${new_c[@]}")
ours=${ours%|}
# The option that decides whether the config compiles FILE at all.
option_of() {
	case $1 in
	mm/pagecache_stat.c|fs/proc/pagecache_stat.c)	echo CONFIG_PAGECACHE_STAT ;;
	mm/memcontrol.c)		echo CONFIG_MEMCG ;;
	kernel/cgroup/cgroup.c)		echo CONFIG_CGROUPS ;;
	fs/btrfs/*)			echo CONFIG_BTRFS_FS ;;
	*)				die "matrix: no option known for $1; add it to option_of()" ;;
	esac
}

cross_ok() {
	command -v "${1}gcc" >/dev/null ||
		die "matrix: ${1}gcc missing (scripts/deps.sh series installs gcc-${1%-}-linux-gnu)"
}

fails=0
entry_failed() {	# entry_failed WHAT LOG, in run_entry
	tail -n 30 "$2"
	echo "not ok - matrix $name: $1, see $2"
	fails=$((fails + 1))
}

run_entry() {
	local name=$1 arch=$2 cross=$3 opts=$4 t0 O CFG make_args want o seed=
	t0=$(date +%s)
	O=$S/matrix-$arch			# one build directory per architecture
	CFG=$S/matrix-cfg-$name
	mkdir -p "$O" "$CFG"
	make_args=(-s -C "$SRC" -j"$JOBS" ARCH="$arch" HOSTCC="ccache gcc")
	if [ "$cross" = - ]; then
		make_args+=(CC="ccache gcc")
	else
		cross_ok "$cross"
		make_args+=(CROSS_COMPILE="$cross" CC="ccache ${cross}gcc")
	fi
	: >"$CFG/frag"
	tr ';' '\n' <<<"$opts" | while read -r o; do
		case $o in
		seed=*)	;;
		*)	echo "$o" >>"$CFG/frag" ;;
		esac
	done
	case $opts in seed=*) seed=${opts#seed=} ;; esac
	if [ -n "$seed" ]; then
		# A randconfig with our option forced on, and off what needs
		# tools Debian's gcc build lacks (pahole, GCC plugin headers).
		cat >"$CFG/allconfig" <<-EOF
		CONFIG_64BIT=y
		CONFIG_PAGECACHE_STAT=y
		# CONFIG_GCC_PLUGINS is not set
		# CONFIG_DEBUG_INFO_BTF is not set
		# CONFIG_WERROR is not set
		EOF
		KCONFIG_SEED=$seed KCONFIG_ALLCONFIG="$CFG/allconfig" \
			make "${make_args[@]}" O="$CFG" randconfig >/dev/null 2>&1 ||
			die "matrix: $name: randconfig failed"
		cp "$CFG/allconfig" "$CFG/frag"
	else
		make "${make_args[@]}" O="$CFG" tinyconfig >/dev/null
		(cd "$CFG" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$CFG" \
			"$CFG/.config" "$C/matrix.config" "$CFG/frag" >"$CFG/merge.log" 2>&1) ||
			die "matrix: $name: merge_config.sh failed, see $CFG/merge.log"
		make "${make_args[@]}" O="$CFG" olddefconfig >/dev/null
	fi
	# The options asked for, and our option, hold in the final config.
	while read -r want; do
		[ -n "$want" ] || continue
		grep -qxF -- "$want" "$CFG/.config" ||
			{ [[ $want == "# "* ]] && ! grep -q "^${want:2:-11}=" "$CFG/.config"; } ||
			die "matrix: $name: $want fell out of the config"
	done < <(grep -h -E '^(CONFIG_|# CONFIG_)' "$CFG/frag")
	grep -qx 'CONFIG_PAGECACHE_STAT=y' "$CFG/.config" ||
		die "matrix: $name: CONFIG_PAGECACHE_STAT=y fell out of the config"

	cmp -s "$CFG/.config" "$O/.config" || cp "$CFG/.config" "$O/.config"
	make "${make_args[@]}" O="$O" olddefconfig >/dev/null
	local objs=() new_objs=() f opt
	for f in "${new_c[@]}" "${changed_c[@]}"; do
		opt=$(option_of "$f")
		grep -qE "^$opt=(y|m)" "$O/.config" || continue
		[ "$f" = fs/proc/pagecache_stat.c ] &&
			! grep -q '^CONFIG_PROC_FS=y' "$O/.config" && continue
		objs+=("${f%.c}.o")
	done
	for f in "${new_c[@]}"; do
		[[ " ${objs[*]} " == *" ${f%.c}.o "* ]] && new_objs+=("${f%.c}.o")
	done
	# The objects, then W=1 on the new ones; each log must be clean.
	if ! make "${make_args[@]}" O="$O" "${objs[@]}" >"$CFG/build.log" 2>&1; then
		entry_failed "the objects do not build" "$CFG/build.log"
		return
	fi
	grep -E 'warning:' "$CFG/build.log" &&
		{ entry_failed "warnings" "$CFG/build.log"; return; }
	if ! make "${make_args[@]}" O="$O" W=1 "${new_objs[@]}" >"$CFG/w1.log" 2>&1; then
		entry_failed "the W=1 build fails" "$CFG/w1.log"
		return
	fi
	grep -E "($ours):[0-9]+(:[0-9]+)?: (warning|error)" "$CFG/w1.log" &&
		{ entry_failed "W=1 warnings in our files" "$CFG/w1.log"; return; }
	echo "ok - matrix $name ($arch${seed:+, randconfig seed $seed}): ${objs[*]}; W=1 clean on ${new_objs[*]} ($(( $(date +%s) - t0 )) s)"
}

"$TOP/scripts/deps.sh" series
"$TOP/scripts/tree.sh" >/dev/null
t_all=$(date +%s)
n=0
while IFS=$'\t' read -r name arch cross opts; do
	[ -n "$name" ] || continue
	if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then
		continue
	fi
	run_entry "$name" "$arch" "$cross" "$opts"
	n=$((n + 1))
done <<<"$MATRIX"
[ "$fails" = 0 ] || die "matrix: $fails of $n entries failed"
msg "matrix: $n entries build clean, $(( $(date +%s) - t_all )) s"
