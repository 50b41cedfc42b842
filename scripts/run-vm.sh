#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run-vm.sh VARIANT MODE LOG [TESTS...] [-- KERNEL-ARGS...]
#
# Boot $B/out-VARIANT/arch/x86/boot/bzImage under QEMU/TCG (KVM guests hang
# on these machines) with 2 vCPUs on two NUMA nodes, a busybox initramfs
# holding the static test programs TESTS (from $B/tests), and a fresh ext4
# disk made by mke2fs -d.  MODE is passed to /init as pcs.mode=.  The serial
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
# Tools the selftests run when they exist (they skip their cases if not):
# Debian's dynamically linked binaries, with the libraries they load.
for tool in mkfs.btrfs mkfs.ext4 btrfs crun; do
	bin=$(PATH=/sbin:/usr/sbin:$PATH command -v "$tool") || continue
	cp -L "$bin" "$R/sbin/$tool"
	ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
done
cp "$TOP/scripts/vm/init" "$R/init"
chmod +x "$R/init"
: >"$R/tests/list"
for t in "${tests[@]}"; do
	cp "$B/tests/$t" "$R/tests/$t"
	echo "$t" >>"$R/tests/list"
done
[ -d "$B/tests/data" ] && cp -r "$B/tests/data" "$R/tests/data"
printf "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n" >"$R/etc/passwd"
(cd "$R" && find . | cpio -o -H newc --quiet) >"$V/initramfs.cpio"

# A fresh ext4 disk for every boot: block-backed page cache, not only tmpfs.
disk=$V/disk.img
rm -rf "$V/disk"
mkdir -p "$V/disk"
[ -d "$B/disk-root" ] && cp -a "$B/disk-root/." "$V/disk/"
rm -f "$disk"
mke2fs -q -t ext4 -d "$V/disk" -F "$disk" "$disk_size"

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
