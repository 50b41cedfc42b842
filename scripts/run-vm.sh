#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run-vm.sh VARIANT MODE LOG [TESTS...] [-- KERNEL-ARGS...]
#
# Boot $B/out-VARIANT/arch/x86/boot/bzImage under QEMU/TCG (KVM guests hang
# on these machines) with 2 vCPUs on two NUMA nodes, a busybox initramfs,
# and a fresh ext4 disk; the test programs TESTS are the cgroup selftests
# installed in $B/kselftest (on the disk) and the harness's own static
# programs of $B/tests (in the initramfs).  The disk is made by mke2fs -d
# for each boot.  MODE is passed to /init as pcs.mode=.  The serial
# log goes to LOG; a VM still running after $PCS_VM_TIMEOUT seconds is
# killed (and check-log.sh then fails the run: no PCS-DONE).
#
# The machine is q35 (i440fx builds its _PRT in an AML loop that the debug
# kernel under TCG interprets so slowly that ACPICA's 30 s loop timeout
# fires now and then, leaving virtio-pci without an IRQ), and the CPU has no
# LA57: with 5-level paging, an interrupt that lands while identify_cpu()
# has cleared boot_cpu_data's capabilities makes KASAN briefly see the
# direct map as unshadowed and report a wild access (seen on 6.12.117).
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: run-vm.sh VARIANT MODE LOG [TESTS...] [-- ARGS]}
mode=${2:?} log=${3:?}
shift 3
tests=() extra=()
while [ $# -gt 0 ]; do
	[ "$1" = -- ] && { shift; extra=("$@"); break; }
	tests+=("$1")
	shift
done
timeout_s=${PCS_VM_TIMEOUT:-1200}
# Memory (split evenly over the two NUMA nodes) and ext4 disk size:
# PCS_VM_MEM in MiB or with a G suffix, PCS_DISK_SIZE as mke2fs takes it.
mem=${PCS_VM_MEM:-3G} disk_size=${PCS_DISK_SIZE:-512M}
case $mem in
*G)	mem_mb=$(( ${mem%G} * 1024 )) ;;
*M)	mem_mb=${mem%M} ;;
*)	mem_mb=$mem ;;
esac
[ $(( mem_mb % 2 )) = 0 ] 2>/dev/null || die "vm: PCS_VM_MEM=$mem: want an even number of MiB"
kernel=$B/out-$variant/arch/x86/boot/bzImage
[ -f "$kernel" ] || die "vm: no kernel at $kernel"

# initramfs: busybox, /init and the test programs.
# One work directory per log, so that VMs can run side by side.
V=$B/vm-$(basename "$log" .txt)
R=$V/root
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,proc,sys,dev,tmp,mnt,tests,etc}
cp /bin/busybox "$R/bin/busybox"
# Debian's dynamically linked programs need their libraries.
copy_libs() {	# copy_libs BINARY...
	{ ldd "$@" 2>/dev/null || true; } | grep -v ':$' | grep -o '/[^ ]*' | sort -u |
	while read -r lib; do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
}
# Tools the selftests run when they exist (they skip their cases if not).
for tool in mkfs.btrfs mkfs.ext4 btrfs crun; do
	bin=$(PATH=/sbin:/usr/sbin:$PATH command -v "$tool") || continue
	cp -L "$bin" "$R/sbin/$tool"
	copy_libs "$bin"
done
# The kselftest runner applies each program's timeout with
# /usr/bin/timeout and makes its output line-buffered with /usr/bin/stdbuf
# when they exist, as on a distribution: coreutils' (busybox's timeout has
# no --foreground, and busybox has no stdbuf).
mkdir -p "$R/usr/bin" "$R/usr/libexec/coreutils"
cp -L /usr/bin/timeout /usr/bin/stdbuf "$R/usr/bin/"
cp -L /usr/libexec/coreutils/libstdbuf.so "$R/usr/libexec/coreutils/"
copy_libs /usr/bin/timeout /usr/bin/stdbuf
cp "$TOP/scripts/vm/init" "$R/init"
chmod +x "$R/init"

# A fresh ext4 disk for every boot, the VM's disk: block-backed page cache,
# not only tmpfs.  On it, as on a machine's disk, the cgroup selftests as
# `make install` laid them out (build-tests.sh): run_kselftest.sh, its
# runner and list, cgroup/settings, and the programs of this boot; /init
# runs those with run_kselftest.sh.  Other TESTS (the harness's own
# programs) go to the initramfs's /tests.
disk=$V/disk.img
D=$V/disk
rm -rf "$D"
mkdir -p "$D"
[ -d "$B/disk-root" ] && cp -a "$B/disk-root/." "$D/"
K=$B/kselftest
if [ -f "$K/run_kselftest.sh" ]; then
	mkdir -p "$D/kselftest/cgroup"
	cp -a "$K/run_kselftest.sh" "$K/kselftest" "$K/kselftest-list.txt" "$D/kselftest/"
	cp -a "$K/cgroup/settings" "$K/cgroup/config" "$D/kselftest/cgroup/"
fi
: >"$R/tests/list"
for t in "${tests[@]}"; do
	if [ -f "$K/cgroup/$t" ]; then
		cp -a "$K/cgroup/$t" "$D/kselftest/cgroup/$t"
		copy_libs "$K/cgroup/$t"
	elif grep -qsx "cgroup:$t" "$K/kselftest-list.txt"; then
		die "vm: $t is listed in $K but not installed (scripts/build-tests.sh)"
	else
		cp "$B/tests/$t" "$R/tests/$t"
	fi
	echo "$t" >>"$R/tests/list"
done
[ -d "$B/tests/data" ] && cp -r "$B/tests/data" "$R/tests/data"
printf "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n" >"$R/etc/passwd"
(cd "$R" && find . | cpio -o -H newc --quiet) >"$V/initramfs.cpio"
rm -f "$disk"
mke2fs -q -t ext4 -d "$D" -F "$disk" "$disk_size"

msg "booting $variant kernel (mode $mode), log in $log"
set +e
timeout --foreground -k 10 "$timeout_s" \
qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max,la57=off -m "${mem_mb}M" \
	-smp 2,sockets=2,cores=1,threads=1 \
	-object memory-backend-ram,id=m0,size=$(( mem_mb / 2 ))M \
	-object memory-backend-ram,id=m1,size=$(( mem_mb / 2 ))M \
	-numa node,nodeid=0,cpus=0,memdev=m0 \
	-numa node,nodeid=1,cpus=1,memdev=m1 \
	-kernel "$kernel" -initrd "$V/initramfs.cpio" \
	-append "console=ttyS0 loglevel=5 log_buf_len=8M panic=-1 watchdog_thresh=30 rcupdate.rcu_cpu_stall_timeout=60 pcs.mode=$mode ${extra[*]}" \
	-drive "file=$disk,if=virtio,format=raw" \
	-display none -monitor none -serial stdio -no-reboot \
	</dev/null >"$log" 2>&1
rc=$?
set -e
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "PCS-TIMEOUT: VM still running after ${timeout_s}s, killed" >>"$log"
fi
exit 0
