#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-kernel.sh VARIANT [make args...]: configure and build $SRC into
# $B/out-VARIANT.  The config is tinyconfig with the fragments of the
# variant merged by the kernel's merge_config.sh; every option a fragment
# asks for is checked after olddefconfig, and one that fell out stops the
# build with its name.
#
# featureoff is the debug config with CONFIG_PAGECACHE_STAT off, and its
# first build starts from a copy of the debug kernel's build directory:
# Kbuild records which CONFIG_ symbols each object depends on, so only the
# objects that test CONFIG_PAGECACHE_STAT (or what it selects) are built
# again, about a minute instead of a cold build's eight.
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: build-kernel.sh VARIANT}
shift
C=$TOP/scripts/configs
case $variant in
debug)		frags="$C/common.config $C/feature.config $C/debug.config $C/tests.config $C/faultinject.config" ;;
perf)		frags="$C/common.config $C/feature.config $C/perf.config" ;;
nomemcg)	frags="$C/common.config $C/feature.config $C/debug.config $C/nomemcg.config" ;;
featureoff)	frags="$C/common.config $C/feature.config $C/debug.config $C/tests.config $C/faultinject.config $C/featureoff.config"
		seed=debug ;;
pristine)	frags="$C/common.config $C/debug.config" ;;
kcsan)		frags="$C/common.config $C/feature.config $C/debug.config $C/kcsan.config" ;;
*)		die "build: unknown variant $variant" ;;
esac

O=$B/out-$variant
CFG=$B/cfg-$variant
if [ -n "${seed:-}" ] && [ ! -e "$O/.config" ] && [ -f "$B/out-$seed/.pcs-built" ]; then
	msg "$variant: starting from a copy of the $seed kernel's build directory"
	mkdir -p "$O"
	cp -a "$B/out-$seed/." "$O/"
	rm -f "$O/.pcs-built"
fi
tree=$SRC
[ "$variant" = pristine ] && tree=$PRISTINE
mkdir -p "$O" "$CFG"
MAKE=(make -s -C "$tree" -j"$JOBS" CC="ccache gcc" HOSTCC="ccache gcc")

# Generate the config apart, and replace $O/.config only if it changed, so
# that an unchanged config never triggers a rebuild.
"${MAKE[@]}" O="$CFG" tinyconfig >/dev/null
# shellcheck disable=SC2086
(cd "$CFG" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$CFG" \
	"$CFG/.config" $frags >"$CFG/merge.log" 2>&1) ||
	die "build: merge_config.sh failed, see $CFG/merge.log"
"${MAKE[@]}" O="$CFG" olddefconfig >/dev/null

# The value each option should have: the last fragment that names it wins,
# as in merge_config.sh.
declare -A want
# shellcheck disable=SC2086
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)			want[${line%%=*}]=$line ;;
	"# CONFIG_"*" is not set")	opt=${line#\# }; want[${opt%% *}]="unset" ;;
	esac
done < <(cat $frags)
bad=
for opt in "${!want[@]}"; do
	if [ "${want[$opt]}" = unset ]; then
		grep -q "^$opt=" "$CFG/.config" && bad="$bad $opt(should be unset)"
	else
		grep -qxF "${want[$opt]}" "$CFG/.config" || bad="$bad ${want[$opt]}"
	fi
done
[ -z "$bad" ] ||
	die "build($variant): requested options fell out of the config (unmet dependencies?):$bad"

cmp -s "$CFG/.config" "$O/.config" || cp "$CFG/.config" "$O/.config"

# Nothing to do when the config, the targets and every file tree.sh
# overlays are those of the last good build (tree.sh rewrites a file only
# when its content changes): a no-op make of the whole tree costs ~20 s.
stamp=$( { cat "$O/.config" "$PRISTINE/.pcs-tarball"; echo "$tree $*"
	   sed "s|^|$SRC/|" "$SRC/.pcs-manifest" | xargs -r stat -c '%n %s %Y'
	 } | sha1sum)
if [ -f "$O/arch/x86/boot/bzImage" ] &&
   [ "$(cat "$O/.pcs-built" 2>/dev/null)" = "$stamp" ]; then
	msg "$variant kernel is up to date"
	exit 0
fi
rm -f "$O/.pcs-built"
msg "building $variant kernel in $O"
t0=$(date +%s)
"${MAKE[@]}" O="$O" olddefconfig >/dev/null
if ! "${MAKE[@]}" O="$O" "${@:-bzImage}" >"$O/build.log" 2>&1; then
	tail -n 40 "$O/build.log" >&2
	die "build($variant): make failed, see $O/build.log"
fi
grep -E 'warning:' "$O/build.log" >&2 || true
echo "$stamp" >"$O/.pcs-built"
msg "built $variant kernel in $(( $(date +%s) - t0 )) s"
