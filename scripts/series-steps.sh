#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# series-steps.sh: the second half of "format-series.sh --check", which runs
# it after git am has made the series' commits in $B/series/src.
#
# Builds every step of the series, oldest first, in one build directory
# (make rebuilds what each step changes), with the build matrix's x86_64
# base config (scripts/configs/matrix.config on tinyconfig):
#  - a step that changes kernel files: vmlinux, and the object of every C
#    file it adds or changes (a module's object alone), with no warning;
#  - W=1 on those objects: a file the step adds has no W=1 warning, and a
#    file it changes has none that it did not have at the step before;
#  - a step that changes the cgroup selftests or tools/cgroup: they build
#    without warnings;
#  - a step that changes documentation: docutils finds no reStructuredText
#    warning in it that the file did not have before;
#  - the step that adds the MAINTAINERS entry: get_maintainer.pl's section
#    self-test passes it, and each of its F: lines names a file.
# Then scripts/build-matrix.sh, the other architectures and configs.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/deps.sh" series
trap 'echo "FAILED: steps: line $LINENO: $BASH_COMMAND" >&2' ERR

S=$B/series
AM=$S/src
O=$S/out-steps
CFG=$S/cfg-steps
mkdir -p "$O" "$CFG"
KMAKE=(make -s -C "$AM" -j"$JOBS" CC="ccache gcc" HOSTCC="ccache gcc")
mapfile -t commits < <(git -C "$AM" rev-list --reverse pristine..HEAD)
[ ${#commits[@]} -gt 0 ] || die "steps: no commits in $AM, run format-series.sh first"
head=${commits[-1]}
t_all=$(date +%s)

# The step's config: tinyconfig and the fragment, replaced only if changed.
configure() {
	"${KMAKE[@]}" O="$CFG" tinyconfig >/dev/null
	(cd "$CFG" && "$AM/scripts/kconfig/merge_config.sh" -m -O "$CFG" \
		"$CFG/.config" "$TOP/scripts/configs/matrix.config" >"$CFG/merge.log" 2>&1) ||
		die "steps: merge_config.sh failed, see $CFG/merge.log"
	"${KMAKE[@]}" O="$CFG" olddefconfig >/dev/null
	cmp -s "$CFG/.config" "$O/.config" || cp "$CFG/.config" "$O/.config"
	"${KMAKE[@]}" O="$O" olddefconfig >/dev/null
}

# C files of the kernel (not tools/) that commit $1 adds or changes.
kernel_c_files() {
	git -C "$AM" diff --name-only --diff-filter=AM "$1~1" "$1" -- '*.c' |
		grep -v '^tools/' || true
}

# w1 FILE...: the W=1 warnings of the files' objects, line numbers dropped.
w1() {
	local f objs=()
	for f in "$@"; do
		objs+=("${f%.c}.o")
	done
	"${KMAKE[@]}" O="$O" W=1 "${objs[@]}" >"$O/w1.log" 2>&1 ||
		{ cat "$O/w1.log"; die "steps: W=1 build of ${objs[*]} failed"; }
	grep -E '(warning|error):' "$O/w1.log" |
		sed -E 's/:[0-9]+:[0-9]+:/:/; s/:[0-9]+:/:/' | sort || true
}

# rst_warnings REV FILE: docutils' warnings on FILE as of REV, without line
# numbers.  Plain docutils does not know Sphinx's roles and directives, so
# only what a step adds counts.
PY=
for p in python3 /usr/bin/python3; do
	"$p" -c 'import docutils' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || die "steps: no python3 with docutils (scripts/deps.sh series installs python3-docutils)"
rst_warnings() {
	git -C "$AM" show "$1:$2" 2>/dev/null | "$PY" -c '
import io, re, sys
import docutils.core
out = io.StringIO()
docutils.core.publish_doctree(sys.stdin.read(), source_path=sys.argv[1],
	settings_overrides={"report_level": 2, "halt_level": 5,
			    "warning_stream": out,
			    "file_insertion_enabled": False,
			    "raw_enabled": False})
for line in out.getvalue().splitlines():
	m = re.match(r"^.*?:\d+: \((\w+)/\d\) (.*)$", line)
	if m:
		print("%s: %s: %s" % (sys.argv[1], m.group(1), m.group(2)))
' "$2" | sort
}

step=0
checkout() {
	git -C "$AM" checkout -q --detach "$1"
	configure
}

# Step 0, the pristine tree: W=1 of the files the first step changes.
checkout pristine
mapfile -t next < <(kernel_c_files "${commits[0]}")
baseline=
if [ ${#next[@]} -gt 0 ]; then
	existing=()
	for f in "${next[@]}"; do
		[ -e "$AM/$f" ] && existing+=("$f")
	done
	[ ${#existing[@]} -eq 0 ] || baseline=$(w1 "${existing[@]}")
fi

for c in "${commits[@]}"; do
	step=$((step + 1))
	t0=$(date +%s)
	subject=$(git -C "$AM" log -1 --format=%s "$c")
	mapfile -t changed < <(git -C "$AM" diff --name-only "$c~1" "$c")
	kernel=0 selftests=0 tools=0 maint=0 docs=0
	for f in "${changed[@]}"; do
		case $f in
		tools/testing/selftests/cgroup/*)	selftests=1 ;;
		tools/cgroup/*)				tools=1 ;;
		Documentation/*.rst)			docs=1 ;;
		Documentation/*)			;;
		MAINTAINERS)				maint=1 ;;
		*)					kernel=1 ;;
		esac
	done
	did=()
	# A step that changes no kernel file leaves the config as it was.
	if [ $kernel = 1 ]; then
		checkout "$c"
	else
		git -C "$AM" checkout -q --detach "$c"
	fi
	if [ $kernel = 1 ]; then
		if grep -q '^CONFIG_PAGECACHE_STAT=y' "$O/.config"; then
			did+=("PAGECACHE_STAT=y")
		elif grep -q 'config PAGECACHE_STAT$' "$AM/mm/Kconfig"; then
			die "steps: step $step: CONFIG_PAGECACHE_STAT exists but is not set"
		fi
		mapfile -t cfiles < <(kernel_c_files "$c")
		objs=()
		for f in "${cfiles[@]}"; do
			objs+=("${f%.c}.o")
		done
		if ! "${KMAKE[@]}" O="$O" vmlinux "${objs[@]}" >"$O/build.log" 2>&1; then
			tail -n 40 "$O/build.log"
			die "steps: step $step ($subject) does not build, see $O/build.log"
		fi
		if grep -E 'warning:' "$O/build.log"; then
			die "steps: step $step ($subject) builds with warnings"
		fi
		did+=("vmlinux ${objs[*]}")
		if [ ${#cfiles[@]} -gt 0 ]; then
			now=$(w1 "${cfiles[@]}")
			added=$(comm -13 <(echo "$baseline") <(echo "$now") | sed '/^$/d')
			if [ -n "$added" ]; then
				echo "$added"
				die "steps: step $step ($subject) adds W=1 warnings"
			fi
			did+=("W=1 clean")
		fi
	fi
	if [ $selftests = 1 ]; then
		mkdir -p "$S/kselftest"
		out=$(make -s -C "$AM/tools/testing/selftests/cgroup" CC="ccache gcc" \
			OUTPUT="$S/kselftest" 2>&1) ||
			{ echo "$out"; die "steps: step $step: the cgroup selftests do not build"; }
		# Upstream's tests are not ours to judge: warnings in our files.
		grep -E 'pagecache_stat[a-z_]*\.[ch]:[0-9]+:[0-9]+: warning' <<<"$out" &&
			die "steps: step $step: the pagecache_stat selftests build with warnings"
		did+=("selftests/cgroup")
	fi
	if [ $tools = 1 ]; then
		mkdir -p "$S/tools"
		out=$(make -s -C "$AM/tools/cgroup" CC="ccache gcc" OUTPUT="$S/tools/" 2>&1) ||
			{ echo "$out"; die "steps: step $step: tools/cgroup does not build"; }
		grep -E 'warning:' <<<"$out" && die "steps: step $step: tools/cgroup builds with warnings"
		did+=("tools/cgroup")
	fi
	if [ $docs = 1 ]; then
		while read -r f; do
			added=$(comm -13 <(rst_warnings "$c~1" "$f") <(rst_warnings "$c" "$f"))
			[ -z "$added" ] ||
				{ echo "$added"; die "steps: step $step: $f gains reStructuredText warnings"; }
			did+=("$f: no new docutils warning")
		done < <(git -C "$AM" diff --name-only "$c~1" "$c" -- 'Documentation/*.rst')
	fi
	if [ $maint = 1 ]; then
		# The lines the step adds to MAINTAINERS: get_maintainer.pl's
		# section self-test (format, order) reports none of them, and
		# each F: pattern there names a file of the tree.
		lines=$(git -C "$AM" diff -U0 "$c~1" "$c" -- MAINTAINERS |
			sed -n 's/^@@ -[0-9,]* +\([0-9]*\),\([0-9]*\) @@.*/\1 \2/p')
		out=$(cd "$AM" && ./scripts/get_maintainer.pl --self-test=sections 2>&1) || true
		while read -r first count; do
			[ -n "$first" ] || continue
			bad=$(awk -F: -v a="$first" -v b="$((first + count - 1))" \
				'$1 == "./MAINTAINERS" && $2 >= a && $2 <= b' <<<"$out")
			[ -z "$bad" ] || { echo "$bad"; die "steps: step $step: MAINTAINERS entry: $bad"; }
			while read -r pat; do
				[ -n "$(git -C "$AM" ls-files -- "$pat")" ] ||
					die "steps: step $step: MAINTAINERS F: $pat matches no file"
			done < <(sed -n "${first},$((first + count - 1))s/^F:[[:space:]]*//p" "$AM/MAINTAINERS")
		done <<<"$lines"
		did+=("MAINTAINERS: section self-test, every F: matches")
	fi
	echo "ok - step $step/${#commits[@]} builds: $subject [$(IFS=';'; echo "${did[*]}" | sed 's/;/; /g')] $(( $(date +%s) - t0 )) s"

	# The W=1 baseline for the next step: its files as they are now.
	[ "$c" = "$head" ] && break
	nextc=${commits[$step]}
	existing=()
	while read -r f; do
		[ -n "$f" ] && [ -e "$AM/$f" ] && existing+=("$f")
	done < <(kernel_c_files "$nextc")
	baseline=
	[ ${#existing[@]} -eq 0 ] || baseline=$(w1 "${existing[@]}")
done
git -C "$AM" checkout -q --detach "$head"
msg "steps: all ${#commits[@]} steps build, $(( $(date +%s) - t_all )) s"
exec "$TOP/scripts/build-matrix.sh"
