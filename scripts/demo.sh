#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# README command 1: build and boot the patched kernel, start three
# "containers" from images on an ext4 disk, and show what of their page
# cache is the same content cached twice (scripts/vm/demo).
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh"
"$TOP/scripts/build-kernel.sh" debug
"$TOP/scripts/build-tests.sh"

# Three images: app-a; app-b with byte-identical copies of app-a's files
# (busybox from the initramfs, the report tool, a library, a model, a
# config) in other directories, plus its own; app-c-layer, which the demo
# stacks over app-a's directory with overlayfs.
I=$B/disk-root/images
rm -rf "$I"
mkdir -p "$I"/app-a/{bin,lib,share,etc} "$I"/app-b/{usr/bin,usr/lib,opt/data,etc} \
	"$I"/app-c-layer/{etc,data}
a=$I/app-a b=$I/app-b c=$I/app-c-layer
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

# What sharing should save: app-b's files that are byte-identical to one
# of app-a's, in whole pages.
page=$(getconf PAGESIZE)
declare -A in_a
while read -r sum _; do in_a[$sum]=1; done < <(find "$a" -type f -exec md5sum {} +)
want=0
while read -r sum f; do
	[ -n "${in_a[$sum]:-}" ] || continue
	size=$(stat -c %s "$f")
	want=$((want + (size + page - 1) / page * page))
done < <(find "$b" -type f -exec md5sum {} +)
echo "$want" >"$I/EXPECTED-SAVING"

mkdir -p "$B/tests"
cp "$TOP/scripts/vm/demo" "$B/tests/demo"
log=$B/log-demo.txt
PCS_VM_TIMEOUT=600 "$TOP/scripts/run-vm.sh" debug demo "$log" demo
sed -n '/^PCS-DEMO/,/^PCS-DMESG-BEGIN/p' "$log" | tr -d '\r' |
	grep -v '^PCS-DMESG' | sed 's/^PCS-DEMO //'
"$TOP/scripts/check-log.sh" "$log" >/dev/null
