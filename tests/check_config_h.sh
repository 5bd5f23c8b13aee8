#!/bin/sh
# No build-host facts in the installed llt/config.h: libllt-dev is
# Multi-Arch: same, so an x86_64 and an aarch64 build must install the same
# bytes.  Per-architecture values are chosen by #if inside the file; the
# only configure output allowed is an explicit --with-cacheline-size.
#   check_config_h.sh            (make check) the generated config.h is
#                                config.h.in with its two placeholders set to
#                                the fixed "per-architecture default" comments
#   check_config_h.sh A B        the two files are identical (.ci/aarch64.sh
#                                compares the x86_64 and aarch64 installs)
set -u
if [ $# -eq 2 ]; then
	if cmp -s "$1" "$2"; then
		echo "ok: $1 and $2 are identical"; exit 0
	fi
	echo "FAIL: the installed llt/config.h differs between the two builds:"
	diff -u "$1" "$2"
	exit 1
fi
srcdir=${top_srcdir:-${srcdir:-.}}
builddir=${top_builddir:-.}
in=$srcdir/include/llt/config.h.in
out=$builddir/include/llt/config.h
[ -f "$out" ] || { echo "FAIL: $out not generated"; exit 1; }
if grep -q '^#define LLT_\(CACHELINE\|PAD\)_SIZE [0-9]' "$out" &&
	! grep -q '^#define LLT_\(CACHELINE\|PAD\)_SIZE [0-9]' "$in"; then
	echo "SKIP: configured --with-cacheline-size, which writes the size into llt/config.h on purpose"
	exit 77
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
sed -e 's|@LLT_CACHELINE_OVERRIDE@|/* LLT_CACHELINE_SIZE: per-architecture default below */|' \
    -e 's|@LLT_PAD_OVERRIDE@|/* LLT_PAD_SIZE: per-architecture default below */|' "$in" > "$tmp/expect"
if grep -n '@[A-Za-z_]*@' "$tmp/expect"; then
	echo "FAIL: $in has a configure substitution besides the two cache-line overrides;"
	echo "per-build values would make llt/config.h differ between architectures"
	exit 1
fi
if ! cmp -s "$tmp/expect" "$out"; then
	echo "FAIL: $out is not the architecture-neutral expansion of $in:"
	diff -u "$tmp/expect" "$out"
	exit 1
fi
echo "ok: $out holds no build-host facts"
