#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# format-series.sh [--check] DIR: the series as upstream receives it.
#
# Makes the commits of `series` on a git repository of the pristine tree
# ($B/series/work, made once from Debian's tarball, about a minute), and
# writes them with git format-patch into DIR: 0000-cover-letter.patch (its
# subject and text from COVER-LETTER, the shortlog and diffstat from git)
# and one numbered patch per commit, [PATCH v2 n/N], To/Cc from
# scripts/get_maintainer.pl.  Then it proves the round trip: git am of
# DIR's patches onto the pristine commit ($B/series/src) makes the same
# commits, and the tree at the end is exactly $SRC, the tree the test
# command builds and tests; and checkpatch.pl --strict passes each patch.
#
# --check also builds every step in $B/series/src: vmlinux and the objects
# of the files the step changes (a module's object alone), W=1 on those
# objects (a step may add no W=1 warning to a file it changes, and a file
# it adds must have none), the selftests and tools/cgroup where a step
# changes them; then scripts/build-matrix.sh.
. "$(dirname "$0")/lib.sh"

check=0
[ "${1:-}" = --check ] && { check=1; shift; }
DIR=${1:?usage: format-series.sh [--check] DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

S=$B/series
WORK=$S/work			# where the commits are made
AM=$S/src			# where git am applies them, and the steps build
VERSION=2
# Deterministic commits: the same inputs give the same patches.
export GIT_AUTHOR_DATE='2026-11-26 12:00:00 +0000'
export GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_COMMITTER_NAME='Pagecache Stat Developers'
export GIT_COMMITTER_EMAIL='pagecache-stat@example.org'
git() { command git -c core.looseCompression=1 -c gc.auto=0 \
	-c advice.detachedHead=false "$@"; }

"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh" >/dev/null

# The pristine tree as one commit, tagged "pristine", made once per tarball.
base_id="$(cat "$PRISTINE/.pcs-tarball") $KVER_WANT"
if [ "$(cat "$S/.base" 2>/dev/null)" != "$base_id" ]; then
	msg "series: making a git repository of the pristine tree in $WORK"
	rm -rf "$S"
	mkdir -p "$S"
	cp -a "$PRISTINE" "$WORK"
	rm -f "$WORK/.pcs-tarball"
	git init -q "$WORK"
	# Debian's top-level .gitignore ignores everything: -f.
	git -C "$WORK" add -A -f
	GIT_AUTHOR_NAME=Debian GIT_AUTHOR_EMAIL=debian-kernel@lists.debian.org \
		git -C "$WORK" commit -q -m "Linux $KVER_WANT (Debian linux-source-6.12 $DEB_SRC_VERSION)"
	git -C "$WORK" tag pristine
	git -C "$WORK" worktree add -q --detach "$AM" pristine
	echo "$base_id" >"$S/.base"
fi

# The commits, from series: message file, then its patches and new files.
git -C "$WORK" checkout -q -f --detach pristine
git -C "$WORK" clean -q -f -d -x
n=0
commit_pending() {
	[ -n "${msgfile:-}" ] || return 0
	local from subject
	from=$(sed -n '1s/^From: //p' "$TOP/$msgfile")
	subject=$(sed -n '2s/^Subject: //p' "$TOP/$msgfile")
	[ -n "$from" ] && [ -n "$subject" ] ||
		die "series: $msgfile must begin with From: and Subject: lines"
	grep -qxF "Signed-off-by: $from" "$TOP/$msgfile" ||
		die "series: $msgfile has no Signed-off-by: of its author, $from"
	[ ${#paths[@]} -gt 0 ] || die "series: $msgfile has no files"
	git -C "$WORK" add -f -- "${paths[@]}"
	{ echo "$subject"; sed '1,2d' "$TOP/$msgfile"; } |
		git -C "$WORK" commit -q --author="$from" -F -
	n=$((n + 1))
}
msgfile=
paths=()
while read -r first second; do
	if [ "$first" = commit ]; then
		commit_pending
		msgfile=$second
		paths=()
	elif [[ $first == *.patch ]]; then
		out=$(git -C "$WORK" apply --verbose "$TOP/$first" 2>&1) ||
			die "series: $first does not apply: $out"
		while read -r t; do
			paths+=("$t")
		done < <(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$TOP/$first")
	else
		mkdir -p "$WORK/$(dirname "$first")"
		cp "$TOP/$first" "$WORK/$first"
		paths+=("$first")
	fi
done < <(series_entries)
commit_pending

# The patches, twice: the first pass names the files for get_maintainer.pl.
rm -f "$DIR"/*.patch
fp=(format-patch -q -o "$DIR" -v "$VERSION" --cover-letter --no-signature
    --subject-prefix=PATCH --zero-commit pristine..HEAD)
git -C "$WORK" "${fp[@]}"
gm=("$WORK/scripts/get_maintainer.pl" --no-git --no-git-fallback --no-rolestats
    --no-keywords)
ours=$(sed -n '1s/^From: //p' "$TOP/$(series_entries | sed -n '1s/^commit //p')")
patches=()
for f in "$DIR"/*.patch; do
	[[ $f == *-0000-cover-letter.patch ]] || patches+=("$f")
done
# To: the maintainers of what the series touches; Cc: reviewers and lists.
to=$(cd "$WORK" && "${gm[@]}" --m --no-r --no-l "${patches[@]}" |
	grep -vxF "$ours" | sort -u) ||
	die "series: get_maintainer.pl failed"
cc=$(cd "$WORK" && "${gm[@]}" --no-m --r --l "${patches[@]}" |
	grep -vxF "$ours" | sort -u) ||
	die "series: get_maintainer.pl failed"
[ -n "$to" ] || die "series: get_maintainer.pl named no maintainer"
args=()
while read -r a; do args+=(--to="$a"); done <<<"$to"
while read -r a; do [ -n "$a" ] && args+=(--cc="$a"); done <<<"$cc"
rm -f "$DIR"/*.patch
git -C "$WORK" "${fp[@]}" "${args[@]}"
# Plain names: 0000-cover-letter.patch, 0001-....patch.
for f in "$DIR"/v"$VERSION"-*.patch; do
	mv "$f" "$DIR/$(basename "$f" | sed "s/^v$VERSION-//")"
done

# The cover letter: COVER-LETTER's subject and text in git's template.
cover=$DIR/0000-cover-letter.patch
csubj=$(sed -n '1s/^Subject: //p' "$TOP/COVER-LETTER")
[ -n "$csubj" ] || die "series: COVER-LETTER must begin with a Subject: line"
sed '1,2d' "$TOP/COVER-LETTER" >"$S/blurb"
awk -v subj="$csubj" -v blurb="$S/blurb" '
	/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, subj) }
	/^\*\*\* BLURB HERE \*\*\*$/ {
		while ((getline l < blurb) > 0)
			print l
		next
	}
	{ print }' "$cover" >"$cover.new"
mv "$cover.new" "$cover"
grep -q '\*\*\*' "$cover" && die "series: the cover letter still has a template line"
total=$(find "$DIR" -name '0[0-9][0-9][0-9]-*.patch' ! -name '0000-*' | wc -l)
msg "series: $total patches and a cover letter in $DIR, To: $(wc -l <<<"$to"), Cc: $(wc -l <<<"$cc")"

# The round trip: git am onto the pristine commit.
git -C "$AM" am --abort >/dev/null 2>&1 || true
git -C "$AM" checkout -q -f --detach pristine
patches=()
for f in "$DIR"/0*.patch; do
	[[ $f == */0000-cover-letter.patch ]] || patches+=("$f")
done
if ! out=$(git -C "$AM" am -q --whitespace=error-all "${patches[@]}" 2>&1 </dev/null); then
	git -C "$AM" am --abort >/dev/null 2>&1 || true
	die "series: git am of $DIR fails: $out"
fi
[ "$(git -C "$AM" rev-list --count pristine..HEAD)" = "$n" ] ||
	die "series: git am made $(git -C "$AM" rev-list --count pristine..HEAD) commits, not $n"
for i in $(seq 0 $((n - 1))); do
	[ "$(git -C "$AM" rev-parse "HEAD~$i^{tree}")" = \
	  "$(git -C "$WORK" rev-parse "HEAD~$i^{tree}")" ] ||
		die "series: after git am, step $((n - i)) differs from the commit made from series"
done
# ... and the last tree is the tested one: the same files changed, each equal.
git -C "$AM" diff --name-only pristine HEAD | sort >"$S/changed"
sort "$SRC/.pcs-manifest" >"$S/manifest"
cmp -s "$S/changed" "$S/manifest" ||
	die "series: git am changes other files than the tested tree: $(diff "$S/manifest" "$S/changed" | grep '^[<>]' | paste -sd' ')"
while read -r f; do
	cmp -s "$AM/$f" "$SRC/$f" || die "series: $f after git am differs from $SRC/$f"
	[ -x "$AM/$f" ] && a=x || a=-
	[ -x "$SRC/$f" ] && b=x || b=-
	[ "$a" = "$b" ] || die "series: $f after git am has mode $a, $SRC/$f $b"
done <"$S/changed"
msg "series: git am of the $n patches onto $KVER_WANT gives the tested tree ($(wc -l <"$S/changed") files)"

# checkpatch.pl --strict on every patch, as scripts/checkpatch.sh on the new
# files: errors fail, warnings and checks are printed.  FILE_PATH_CHANGES
# ("does MAINTAINERS need updating?") is waived: the last patch adds the
# entry.
errors=0
for p in "${patches[@]}"; do
	out=$(cd "$AM" && ./scripts/checkpatch.pl --strict --quiet --show-types \
		--no-summary --ignore FILE_PATH_CHANGES "$p" 2>&1) || true
	[ -z "$out" ] && continue
	printf '%s\n' "$out" | sed "s|^|$(basename "$p"): |"
	errors=$((errors + $(grep -c '^ERROR:' <<<"$out" || true)))
done
[ "$errors" = 0 ] || die "series: checkpatch.pl --strict: $errors errors"
msg "series: checkpatch.pl --strict passes the $n patches"

[ "$check" = 1 ] || exit 0
exec "$TOP/scripts/series-steps.sh" "$n"
