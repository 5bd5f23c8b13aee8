#!/bin/sh
# ABI baseline: the dynamic symbols libllt.so exports (name@version, kind,
# and the size of every data object) against the committed list in
# tests/abi/<soname>.symbols.  A symbol that disappears, or changes kind or
# size, fails: that breaks every program linked against the library.  A new
# symbol passes with a notice; the baseline is then refreshed on purpose:
#     make abi-baseline        (rewrites $(srcdir)/tests/abi/<soname>.symbols)
# readelf, not nm: it reads any ELF target, so a cross build checks too.
#   check_abi.sh             compare (make check)
#   check_abi.sh --print     print the current list (make abi-baseline)
set -u
srcdir=${top_srcdir:-${srcdir:-.}}
builddir=${top_builddir:-.}
READELF=${READELF:-readelf}
so=$builddir/lib/.libs/libllt.so
if ! command -v "$READELF" >/dev/null 2>&1; then
	echo "SKIP: no $READELF (binutils)"; exit 77
fi
if [ ! -f "$so" ]; then
	echo "SKIP: $so not built (--disable-shared?)"; exit 77
fi
soname=$("$READELF" -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ -n "$soname" ] || { echo "FAIL: $so has no SONAME"; exit 1; }

current() {
	# Defined, global or weak, default visibility; version definitions (ABS)
	# are not symbols.  Functions by name; data with its size.
	"$READELF" --dyn-syms -W "$so" |
		awk '$7 != "UND" && $7 != "ABS" && ($5 == "GLOBAL" || $5 == "WEAK") && ($6 == "DEFAULT" || $6 == "PROTECTED") {
			if ($4 == "FUNC" || $4 == "IFUNC") print $8, $4; else print $8, $4, $3 }' |
		LC_ALL=C sort
}
if [ "${1:-}" = --print ]; then
	echo "# $soname: exported dynamic symbols (tests/check_abi.sh --print)."
	echo "# Regenerate with 'make abi-baseline' only for a deliberate ABI change;"
	echo "# a removal or a changed object size also needs a new SONAME."
	current
	exit 0
fi

base=$srcdir/tests/abi/$soname.symbols
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
current > "$tmp/now"
if [ ! -f "$base" ]; then
	echo "FAIL: no ABI baseline $base for $soname."
	echo "If the SONAME changed on purpose, create it: make abi-baseline"
	exit 1
fi
grep -v '^#' "$base" | LC_ALL=C sort > "$tmp/base"
# Lines only in the baseline: removed or changed.  Only in the library: new.
LC_ALL=C comm -23 "$tmp/base" "$tmp/now" > "$tmp/gone"
LC_ALL=C comm -13 "$tmp/base" "$tmp/now" > "$tmp/new"
fail=0
if [ -s "$tmp/gone" ]; then
	echo "FAIL: $soname no longer exports these as in the baseline $base"
	echo "(removed, or changed kind or size; the library now has the '+' lines):"
	sed 's/^/  - /' "$tmp/gone"
	awk '{print $1}' "$tmp/gone" | while read -r name; do
		grep "^$name " "$tmp/new" | sed 's/^/  + /'
	done
	echo "Removing or changing an exported symbol breaks every program linked"
	echo "against $soname.  If it is deliberate, bump the libtool version in"
	echo "configure.ac (a new SONAME) and record it: make abi-baseline"
	fail=1
fi
if [ -s "$tmp/new" ]; then
	echo "NOTE: $(wc -l < "$tmp/new") exported symbol(s) not in the ABI baseline $base:"
	sed 's/^/  + /' "$tmp/new"
	echo "The baseline needs an update: run 'make abi-baseline' in the build tree"
	echo "and commit tests/abi/$soname.symbols."
fi
[ $fail -eq 0 ] && echo "ok: $(wc -l < "$tmp/now") symbols of $soname against the baseline ($(wc -l < "$tmp/base") in it)"
exit $fail
