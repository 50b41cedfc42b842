# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sourced: the settings are used by the scripts
# Shared settings and helpers of the pagecache_stat harness; sourced, not run.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${PCS_BUILD:-$TOP/build}		# the one ignored build directory
PRISTINE=$B/pristine			# Debian's tree, never modified
SRC=$B/src				# pristine + our files + series
TARBALL=/usr/src/linux-source-6.12.tar.xz
KVER_WANT=6.12.117			# the tree the patches were made against
DEB_SRC_VERSION=6.12.117-1~deb12u1
JOBS=$(( $(nproc) + 1 ))

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/pcs-ccache}
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=pcs KBUILD_BUILD_HOST=pcs

# Top-level directories of a kernel tree; files of ours under them are
# kernel files (new ones are copied, *.patch ones are applied).
KERNEL_DIRS="arch block certs crypto Documentation drivers fs include init
io_uring ipc kernel lib mm net rust samples security sound tools usr virt"

# The KCSAN boot (test.sh and kcsan.sh): the selftest cases that race a
# read against truncation, unlink, umount, rmdir, memory.high, an LRU
# switch and reclaim, and the reliability test's many readers, as run-vm.sh
# arguments.
kcsan_vm_args() {
	local races=race_truncate,race_unlink,race_umount,race_rmdir
	races+=,race_memory_high,race_lru_gen_switch,rmdir_during_read
	races+=,reclaim_churn
	printf '%s\n' test_pagecache_stat test_pagecache_stat_reliability -- \
		"pcs.args.test_pagecache_stat=$(sed 's/\([^,]*\)/-t,\1/g' <<<"$races")" \
		pcs.args.test_pagecache_stat_reliability=-t,many_readers
}

msg() { printf '== %s\n' "$*" >&2; }
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

sudo_if_needed() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Kernel files of ours: new files (copied) and patches (applied by series).
our_kernel_files() {
	local d
	cd "$TOP"
	for d in $KERNEL_DIRS; do
		[ -d "$d" ] && git ls-files --cached --others --exclude-standard -- "$d"
	done
	[ -f MAINTAINERS.patch ] && echo MAINTAINERS.patch
	return 0
}

new_kernel_files() { our_kernel_files | grep -v '\.patch$' || true; }

# The new C and header files the kernel compiles (tools/ is not kernel).
new_kernel_sources() {
	new_kernel_files | grep -E '\.[ch]$' | grep -v '^tools/' || true
}

# The entries of `series`, comments and blank lines dropped: "commit FILE"
# lines and the patches and new files of each commit.
series_entries() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' "$TOP/series"
}

series_patches() { series_entries | grep '\.patch$' || true; }
