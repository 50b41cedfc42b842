#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# README command 1: build and boot the patched kernel, start five
# "containers" from images, three through overlayfs on an ext4 disk and two
# from btrfs snapshots, and show the content their page caches hold more
# than once, with paths, and what sharing it would save (scripts/vm/demo).
# PCS_KERNEL_PREBUILT=1 boots $B/out-debug as it is instead of building it.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh"
if [ "${PCS_KERNEL_PREBUILT:-}" = 1 ]; then
	[ -f "$B/out-debug/arch/x86/boot/bzImage" ] ||
		die "demo: PCS_KERNEL_PREBUILT=1 but no $B/out-debug/arch/x86/boot/bzImage"
else
	"$TOP/scripts/build-kernel.sh" debug
fi
"$TOP/scripts/build-tests.sh"

# Four images on the ext4 disk:
# - app-a: busybox from the initramfs, the report tool, a library, a model,
#   configuration;
# - app-b: byte-identical copies of app-a's files in other directories,
#   and its own app.conf and cache.bin;
# - app-c-layer, which ctr-c stacks over app-a with overlayfs;
# - app-d: the same busybox, its own library and configuration, and a
#   16 MiB data file.  The VM copies it into a btrfs subvolume and
#   snapshots that twice, the roots of ctr-d and ctr-e (as btrfs storage
#   drivers run containers); ctr-e reads only the first 4 MiB of
#   the data file.
I=$B/disk-root/images
rm -rf "$I"
mkdir -p "$I"/app-a/{bin,lib,share,etc} "$I"/app-b/{usr/bin,usr/lib,opt/data,etc} \
	"$I"/app-c-layer/{etc,data} "$I"/app-d/{bin,lib,share,etc}
a=$I/app-a b=$I/app-b c=$I/app-c-layer d=$I/app-d
cp /bin/busybox "$a/bin/busybox"
cp "$B/tests/data/pagecache_dups" "$a/bin/pagecache_dups"
head -c 3M /dev/urandom >"$a/lib/libapp.so"
head -c 8M /dev/urandom >"$a/share/model.bin"
printf 'NAME="demo os"\nVERSION_ID=1\n' >"$a/etc/os-release"
echo "app=a" >"$a/etc/app.conf"
cp "$a/bin/busybox" "$a/bin/pagecache_dups" "$b/usr/bin/"
cp "$a/lib/libapp.so" "$b/usr/lib/"
cp "$a/share/model.bin" "$b/opt/data/"
cp "$a/etc/os-release" "$b/etc/"
echo "app=b" >"$b/etc/app.conf"
head -c 2M /dev/urandom >"$b/opt/data/cache.bin"
echo "app=c" >"$c/etc/app.conf"
head -c 1M /dev/urandom >"$c/data/index.bin"
cp "$a/bin/busybox" "$d/bin/busybox"
head -c 2M /dev/urandom >"$d/lib/libstore.so"
head -c 16M /dev/urandom >"$d/share/dataset.bin"
echo "app=d" >"$d/etc/app.conf"
partial=share/dataset.bin partial_mib=4

# What sharing saves exactly: over the files the containers read whole
# (ctr-c's reads of app-a are app-a's inodes, not copies), every content
# held by k files, k - 1 times, in whole pages.  ctr-e's part of the data
# file is a copy that the sketches can only estimate; the VM checks that
# estimate against the pages ctr-e cached.
page=$(getconf PAGESIZE)
declare -A copies size
while read -r sum f; do
	copies[$sum]=$(( ${copies[$sum]:-0} + 1 ))
	size[$sum]=$(stat -c %s "$f")
done < <(find "$a" "$b" "$c" "$d" -type f -exec md5sum {} + &&
	find "$d" -type f ! -path "$d/$partial" -exec md5sum {} +)
exact=0
for sum in "${!copies[@]}"; do
	exact=$(( exact + (copies[$sum] - 1) * ((size[$sum] + page - 1) / page * page) ))
done
cat >"$I/demo.env" <<-END
	# written by scripts/demo.sh, read by the VM's demo
	partial=$partial partial_mib=$partial_mib exact_saving=$exact
END

mkdir -p "$B/tests"
cp "$TOP/scripts/vm/demo" "$B/tests/demo"
log=$B/log-demo.txt
PCS_VM_TIMEOUT=900 "$TOP/scripts/run-vm.sh" debug demo "$log" demo
sed -n '/^PCS-DEMO/,/^PCS-DMESG-BEGIN/p' "$log" | tr -d '\r' |
	grep -v '^PCS-DMESG' | sed 's/^PCS-DEMO //'
"$TOP/scripts/check-log.sh" "$log" >/dev/null
