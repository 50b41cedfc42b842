#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make $SRC = pristine Debian tree + our new files + the patches of `series`.
#
# The pristine tree is unpacked once.  $SRC is a full copy made once; after
# that only the files we add or patch are rewritten, and only when their
# content changes, so an edit never needs a re-extract and make rebuilds
# only what really changed.  A patch that needs fuzz or an offset, or
# rejects, stops the run and is named.
. "$(dirname "$0")/lib.sh"

stamp_of() { stat -c '%s-%Y' "$TARBALL"; }

mkdir -p "$B"
if [ "$(cat "$PRISTINE/.pcs-tarball" 2>/dev/null)" != "$(stamp_of)" ]; then
	msg "unpacking $TARBALL"
	rm -rf "$PRISTINE" "$SRC" "$B/unpack"
	mkdir -p "$B/unpack"
	tar -C "$B/unpack" -xf "$TARBALL"
	mv "$B/unpack/linux-source-6.12" "$PRISTINE"
	rmdir "$B/unpack"
	stamp_of >"$PRISTINE/.pcs-tarball"
fi
kver=$(make -s -C "$PRISTINE" kernelversion 2>/dev/null)
[ "$kver" = "$KVER_WANT" ] ||
	msg "warning: tree is $kver, the patches were made against $KVER_WANT"

if [ ! -f "$SRC/.pcs-copied" ]; then
	msg "copying the pristine tree to $SRC"
	rm -rf "$SRC"
	cp -a "$PRISTINE" "$SRC"
	: >"$SRC/.pcs-manifest"
	touch "$SRC/.pcs-copied"
fi

# Build the overlay (every file we add or change) in a staging tree.
STAGE=$B/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"

while read -r f; do
	[ -n "$f" ] || continue
	if [ -e "$PRISTINE/$f" ]; then
		die "tree: $f exists in the kernel tree; change it with $f.patch in series"
	fi
	mkdir -p "$STAGE/$(dirname "$f")"
	cp "$TOP/$f" "$STAGE/$f"
done < <(new_kernel_files)

# Every patch and new file in exactly one commit of series, and every
# commit's message present: format-series.sh makes the commits from it.
entries=$(series_entries)
for f in $(our_kernel_files); do
	[ "$(grep -cxF "$f" <<<"$entries")" = 1 ] ||
		die "tree: $f must be listed once in series, under the commit that adds it"
done
while read -r _ msgfile; do
	[ -f "$TOP/$msgfile" ] || die "tree: series names $msgfile, which does not exist"
done < <(grep '^commit ' <<<"$entries")
[ "$(head -n 1 <<<"$entries" | cut -d' ' -f1)" = commit ] ||
	die "tree: series must begin with a commit line"
listed=$(series_patches)

for p in $listed; do
	[ -f "$TOP/$p" ] || die "tree: series lists $p, which does not exist"
	# Targets of the patch, pristine copies into the stage first.
	for t in $(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$TOP/$p"); do
		if [ ! -e "$STAGE/$t" ] && [ -e "$PRISTINE/$t" ]; then
			mkdir -p "$STAGE/$(dirname "$t")"
			cp -p "$PRISTINE/$t" "$STAGE/$t"
		fi
	done
	if ! out=$(cd "$STAGE" && patch -p1 -F0 -N --no-backup-if-mismatch \
			-r - <"$TOP/$p" 2>&1); then
		die "patch $p does not apply: $(tr '\n' ' ' <<<"$out")"
	fi
	if grep -Eq 'offset|fuzz' <<<"$out"; then
		die "patch $p does not apply cleanly (needs offset or fuzz): $(tr '\n' ' ' <<<"$out")"
	fi
done

# Sync the stage into $SRC: restore what we no longer touch, copy what
# changed.
(cd "$STAGE" && find . -type f | sed 's|^\./||' | sort) >"$B/manifest.new"
while read -r f; do
	grep -qxF "$f" "$B/manifest.new" && continue
	if [ -e "$PRISTINE/$f" ]; then
		cp -p "$PRISTINE/$f" "$SRC/$f"
	else
		rm -f "$SRC/$f"
	fi
done <"$SRC/.pcs-manifest"
while read -r f; do
	if ! cmp -s "$STAGE/$f" "$SRC/$f"; then
		mkdir -p "$SRC/$(dirname "$f")"
		cp "$STAGE/$f" "$SRC/$f"
	fi
done <"$B/manifest.new"
mv "$B/manifest.new" "$SRC/.pcs-manifest"
msg "tree: $(wc -l <"$SRC/.pcs-manifest") files overlaid, $(wc -w <<<"$listed") patches applied"
