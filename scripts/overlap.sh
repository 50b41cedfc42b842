#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# overlap.sh: how much of the page cache that two containers hold twice,
# from two copies of one image cached differently, the duplicate report
# finds: with v1's rule (equal hash and equal pages) and with v2's groups
# of overlapping copies and their estimated saving, against the true
# intersection that mincore() shows.
#
# Builds what it needs, makes two byte-identical copies of an image on the
# VM's ext4 disk, boots the debug kernel in mode overlap (scripts/vm/overlap
# runs the scenarios and measures), checks the log like any other run and
# prints the markdown table, also written to $B/overlap-table.md.  Not a
# test, and not run by test.sh.
#
# The image: Debian's promtool (a 46 MiB Go binary, from the prometheus
# package that deps.sh installs), the loader and C library it runs with,
# libcrypto, libstdc++ and libm as libraries the program maps, small
# configuration files, and data/metrics.db of PCS_OVL_DATA [48] MiB of
# random bytes.  PCS_KERNEL_PREBUILT=1 boots $B/out-debug as it is
# instead of building it.  PCS_VM_MEM [3G], PCS_DISK_SIZE [1G] as run-vm.sh
# takes them.
. "$(dirname "$0")/lib.sh"

export PCS_VM_MEM=${PCS_VM_MEM:-3G}
export PCS_DISK_SIZE=${PCS_DISK_SIZE:-1G}
export PCS_VM_TIMEOUT=${PCS_VM_TIMEOUT:-3600}
data_mib=${PCS_OVL_DATA:-48}
binary=/usr/bin/promtool

"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh"
if [ "${PCS_KERNEL_PREBUILT:-}" = 1 ]; then
	[ -f "$B/out-debug/arch/x86/boot/bzImage" ] ||
		die "overlap: PCS_KERNEL_PREBUILT=1 but no $B/out-debug/arch/x86/boot/bzImage"
else
	"$TOP/scripts/build-kernel.sh" debug
fi
"$TOP/scripts/build-tests.sh"
mkdir -p "$B/tests"
gcc -Wall -Wextra -O2 -static -o "$B/tests/pcs_access" \
	"$TOP/scripts/bench/pcs_access.c" 2>"$B/tests/pcs_access.log" ||
	{ cat "$B/tests/pcs_access.log" >&2; die "overlap: pcs_access does not build"; }
if [ -s "$B/tests/pcs_access.log" ]; then cat "$B/tests/pcs_access.log" >&2; fi
cp "$TOP/scripts/vm/overlap" "$B/tests/overlap"
chmod +x "$B/tests/overlap"

# The image, then its copy
I=$B/disk-root/overlap
rm -rf "$I"
a=$I/img-a
mkdir -p "$a"/{bin,lib,etc,data}
[ -x "$binary" ] || die "overlap: no $binary (the prometheus package)"
cp -L "$binary" "$a/bin/"
# The libraries it loads, the loader under the name the VM calls it by
for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
	case $lib in
	*/ld-linux-x86-64.so.2)	cp -L "$lib" "$a/lib/ld-linux-x86-64.so.2" ;;
	*)			cp -L "$lib" "$a/lib/" ;;
	esac
done
[ -f "$a/lib/ld-linux-x86-64.so.2" ] || die "overlap: $binary has no ld-linux-x86-64.so.2"
for lib in libcrypto.so.3 libstdc++.so.6 libm.so.6; do
	p=$(/sbin/ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ { print $NF; exit }')
	[ -n "$p" ] || die "overlap: no $lib on this host"
	cp -L "$p" "$a/lib/$lib"
done
cat >"$a/etc/prometheus.yml" <<-'END'
	global:
	  scrape_interval: 15s
	scrape_configs:
	  - job_name: app
	    static_configs:
	      - targets: ["localhost:9100"]
END
cat >"$a/etc/rules.yml" <<-'END'
	groups:
	  - name: app
	    rules:
	      - record: job:app_requests:rate5m
	        expr: sum by (job) (rate(app_requests_total[5m]))
	      - alert: AppDown
	        expr: up{job="app"} == 0
	        for: 5m
END
cat >"$a/etc/metrics.prom" <<-'END'
	# HELP app_requests_total Requests served.
	# TYPE app_requests_total counter
	app_requests_total{code="200"} 1027
	app_requests_total{code="500"} 3
END
head -c "${data_mib}M" /dev/urandom >"$a/data/metrics.db"
# The program must run from the image's own loader and libraries
"$a/lib/ld-linux-x86-64.so.2" --library-path "$a/lib" "$a/bin/$(basename "$binary")" \
	check config "$a/etc/prometheus.yml" >/dev/null 2>&1 ||
	die "overlap: $binary does not run from the image's loader and libraries"
cp -a "$a" "$I/img-b"
diff -r "$a" "$I/img-b" >/dev/null || die "overlap: the copies of the image differ"
echo "bin=$(basename "$binary")" >"$I/overlap.env"
msg "image: $(du -sk "$a" | cut -f1) KiB, $(find "$a" -type f | wc -l) files, copied to img-b"

log=$B/log-overlap.txt
start=$(date +%s)
flock /tmp/pcs-vm.lock "$TOP/scripts/run-vm.sh" debug overlap "$log" overlap pcs_access
elapsed=$(( $(date +%s) - start ))
"$TOP/scripts/check-log.sh" "$log" >/dev/null ||
	die "overlap: the run failed (see above and $log)"

kver=$(tr -d '\r' <"$log" | sed -n 's/^PCS-BOOTED.* kernel=\([^ ]*\).*/\1/p')
commit=$(git -C "$TOP" log -1 --format='%h %cs "%s"')
dirty=$(cd "$TOP" && our_kernel_files | xargs -r git status --porcelain -- | wc -l)
{
	echo "Run of \`scripts/overlap.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), ${elapsed}s with the boot."
	echo "Tree at commit $commit ($dirty kernel files changed since); kernel $kver, debug variant;"
	echo "QEMU/TCG, PCS_VM_MEM=$PCS_VM_MEM, ext4 on virtio-blk.  Image: $(find "$a" -type f | wc -l) files, $(du -sk "$a" | cut -f1) KiB:"
	echo "$(cd "$a" && find . -type f | sed 's|^\./||' | sort | while read -r f; do
		printf '%s (%s KiB) ' "$f" $(( ($(stat -c %s "$f") + 1023) / 1024 ))
	done)."
	echo "Pages are 4 KiB.  Details per file and per group: PCS-OVL-LOG lines of $(basename "$log")."
	echo
	tr -d '\r' <"$log" | sed -n 's/^PCS-OVL //p'
} >"$B/overlap-table.md"
cat "$B/overlap-table.md"
