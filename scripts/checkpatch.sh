#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the kernel's checkpatch.pl --strict over every new kernel file of
# ours.  Errors fail; warnings and checks are printed.  The patches are
# checked in the form upstream receives them, as commits with their
# messages, by scripts/format-series.sh.
. "$(dirname "$0")/lib.sh"

CP="$SRC/scripts/checkpatch.pl --strict --quiet --show-types --no-summary"
errors=0
while read -r f; do
	case $f in
	*.patch)	continue ;;
	*.c|*.h)	args=(-f) ;;
	*)		args=(-f --ignore SPDX_LICENSE_TAG) ;;
	esac
	out=$(cd "$SRC" && $CP "${args[@]}" "$TOP/$f" 2>&1) || true
	[ -z "$out" ] && continue
	printf '%s\n' "$out" | sed "s|$TOP/||"
	n=$(grep -c '^ERROR:' <<<"$out" || true)
	errors=$((errors + n))
done < <(our_kernel_files)
[ "$errors" = 0 ] || { echo "FAILED: checkpatch: $errors errors"; exit 1; }
