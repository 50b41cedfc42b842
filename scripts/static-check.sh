#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# static-check.sh VARIANT: compile the new C files of the feature again with
# W=1 and sparse (C=2), with the config of VARIANT, in a build directory of
# their own (so that the kernel's objects keep their flags and the next
# build of VARIANT has nothing to redo); any warning or error reported in
# one of them fails.  Warnings from kernel headers that name none of our
# files are not ours and are ignored.
. "$(dirname "$0")/lib.sh"

variant=${1:-debug}
O=$B/static-$variant
[ -f "$B/out-$variant/.config" ] || die "static-check: build the $variant kernel first"
mkdir -p "$O"
cmp -s "$B/out-$variant/.config" "$O/.config" || cp "$B/out-$variant/.config" "$O/.config"
objs=()
ours=()
while read -r f; do
	ours+=("$f")
	if [[ $f == *.c ]]; then
		objs+=("${f%.c}.o")
	fi
done < <(new_kernel_sources)
log=$O/static-check.log
MAKE=(make -s -C "$SRC" O="$O" -j"$JOBS" CC="ccache gcc" HOSTCC="ccache gcc")
"${MAKE[@]}" olddefconfig >/dev/null
"${MAKE[@]}" W=1 C=2 "${objs[@]}" >"$log" 2>&1 ||
	{ cat "$log"; die "static-check: build with W=1 C=2 failed"; }
pattern=$(printf '%s|' "${ours[@]}")
if grep -E "(${pattern%|}):[0-9]+:[0-9]+: (warning|error)" "$log"; then
	die "static-check: W=1 or sparse reports on new files, see $log"
fi
msg "static-check($variant): W=1 and sparse clean on ${objs[*]}"
