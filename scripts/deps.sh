#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs from Debian's archive (nothing else).
# deps.sh [series]
. "$(dirname "$0")/lib.sh"

PKGS="build-essential flex bison bc libelf-dev libssl-dev cpio xz-utils patch
perl python3 git busybox-static qemu-system-x86 ccache e2fsprogs sparse
libc6-dev btrfs-progs prometheus crun rsync"
# "deps.sh series": also what format-series.sh --check needs, the cross
# compilers of scripts/build-matrix.sh and docutils for the docs step.
[ "${1:-}" = series ] &&
	PKGS="$PKGS gcc-i686-linux-gnu gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu
python3-docutils"

missing=
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
have_src=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)

if [ -n "$missing" ] || [ -z "$have_src" ]; then
	msg "installing:$missing linux-source-6.12"
	export DEBIAN_FRONTEND=noninteractive
	sudo_if_needed apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	[ -z "$missing" ] || sudo_if_needed apt-get install -y -q --no-install-recommends $missing >/dev/null
	if [ -z "$have_src" ]; then
		# The patches are made against one point release; prefer it, and
		# let the tree step say so if only another one is available.
		sudo_if_needed apt-get install -y -q --no-install-recommends \
			"linux-source-6.12=$DEB_SRC_VERSION" >/dev/null 2>&1 ||
		sudo_if_needed apt-get install -y -q --no-install-recommends \
			linux-source-6.12 >/dev/null
	fi
fi
[ -f "$TARBALL" ] || die "deps: $TARBALL missing after installing linux-source-6.12"
ccache -M 8G >/dev/null
