#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mkpatch.sh PATH...: developer helper.  Regenerate PATH.patch from the
# edited copy $B/edit/PATH against the pristine tree, keeping any text above
# the diff of PATH.patch.  (Commit messages live in commits/, see series.)  "mkpatch.sh --edit PATH" first
# makes $B/edit/PATH from the pristine file with the current patch applied.
. "$(dirname "$0")/lib.sh"

edit=0
[ "${1:-}" = --edit ] && { edit=1; shift; }
for f in "$@"; do
	p=$TOP/$f.patch
	mkdir -p "$B/edit/$(dirname "$f")"
	if [ $edit = 1 ]; then
		cp "$PRISTINE/$f" "$B/edit/$f"
		[ -f "$p" ] && (cd "$B/edit" && patch -s -p1 --no-backup-if-mismatch <"$p")
		echo "$B/edit/$f"
		continue
	fi
	mkdir -p "$(dirname "$p")"
	hdr=$(mktemp)
	if [ -f "$p" ]; then
		sed '/^--- a\//,$d' "$p" >"$hdr"
	fi
	d=$(mktemp -d)
	mkdir -p "$d/a/$(dirname "$f")" "$d/b/$(dirname "$f")"
	cp "$PRISTINE/$f" "$d/a/$f"
	cp "$B/edit/$f" "$d/b/$f"
	{ cat "$hdr"; (cd "$d" && diff -u --label "a/$f" --label "b/$f" "a/$f" "b/$f"); } >"$p" || true
	rm -rf "$d" "$hdr"
	echo "$p"
done
