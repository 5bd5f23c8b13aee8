#!/bin/sh
# check_manpages.sh: the man pages agree with the headers, the version
# script and the built library, and lint clean.
#
#  (a) every public function in include/llt/*.h and include/llt/bits/*.h,
#      inline ones included, has man/man3/<name>.3 (names with _impl_ are
#      private and exempt);
#  (b) every .so stub is one line and its target exists;
#  (c) `mandoc -Tlint -W warning` says nothing about any full page;
#  (d) lintian's `man --warnings` check says nothing on stderr;
#  (e) the ABI triple agrees: nm -D of lib/.libs/libllt.so == the global
#      names in lib/libllt.map == the exported pages + the _impl_ names;
#  (f) the man/*.mk fragments together list exactly the pages in the tree;
#  (g) house rules: ISO date in .TH, SEE ALSO sorted by section then name.
#
# Run by automake's parallel harness: $srcdir is the source tree and the
# current directory the build tree.  Exit 0 pass, 1 fail, 77 skip.

LC_ALL=C
export LC_ALL
srcdir=${srcdir:-$(dirname "$0")/..}
builddir=$(pwd)
man3=$srcdir/man/man3
man7=$srcdir/man/man7

for tool in mandoc man; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (Debian: apt-get install mandoc man-db groff-base)"
		exit 77
	fi
done
if ! command -v groff >/dev/null 2>&1 && ! command -v nroff >/dev/null 2>&1; then
	echo "SKIP: man needs groff or nroff, which is not installed"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_manpages.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# A page is a stub when its first line is `.so man3/<target>.3`.
is_stub() {
	head -n 1 "$1" | grep -q '^\.so '
}

# ------------------------------------------------------------ (a) headers
headers=$(ls "$srcdir"/include/llt/*.h "$srcdir"/include/llt/*.h.in \
	"$srcdir"/include/llt/bits/*.h "$builddir"/include/llt/*.h 2>/dev/null)
# The function name is the last identifier before the first "(" on a line
# that starts with LLT_API or LLT_INLINE (variables have no "(").
decl='[^(]*[^A-Za-z0-9_]\(llt_[A-Za-z0-9_]*\)[ 	]*(.*'
sed -n -e "s/^LLT_API $decl/\1/p" $headers | sort -u > "$tmp/api"
sed -n -e "s/^LLT_INLINE $decl/\1/p" $headers | sort -u > "$tmp/inline"
sort -u "$tmp/api" "$tmp/inline" | grep -v '_impl_' > "$tmp/public"
if [ ! -s "$tmp/public" ]; then
	fail "found no public function in $srcdir/include/llt"
fi
ls "$man3" | sed -n 's/\.3$//p' | sort -u > "$tmp/pages_all"
# Pages of function-like macros (LLT_LOG): each must name a
# `#define LLT_...(` of include/llt; they take no part in the ABI checks.
grep -h -o '^#define LLT_[A-Z0-9_]*(' $headers | sed 's/^#define //; s/($//' | sort -u > "$tmp/macros"
grep '^LLT_' "$tmp/pages_all" > "$tmp/macro_pages"
for name in $(comm -23 "$tmp/macro_pages" "$tmp/macros"); do
	fail "man/man3/$name.3 documents no function-like macro in include/llt"
done
# The private entry points of the inline functions (_impl_) share one
# page, llt_impl(3), which says not to call them; they take no part in the
# public-page and ABI checks below, but each must have its stub.
grep -v '^LLT_' "$tmp/pages_all" | grep -v '_impl_' | grep -v '^llt_impl$' > "$tmp/pages"
grep '_impl_' "$tmp/api" > "$tmp/private"
for name in $(comm -23 "$tmp/private" "$tmp/pages_all"); do
	fail "$name (private, exported for inline code) has no man/man3/$name.3 stub of llt_impl(3)"
done
for name in $(comm -23 "$tmp/public" "$tmp/pages"); do
	fail "$name is declared in include/llt but has no man/man3/$name.3"
done
for name in $(comm -13 "$tmp/public" "$tmp/pages"); do
	fail "man/man3/$name.3 documents no public function in include/llt"
done

# ------------------------------------------------------------ (b) stubs
full=
for page in "$man3"/*.3 "$man7"/*.7; do
	if is_stub "$page"; then
		if [ "$(wc -l < "$page")" -ne 1 ]; then
			fail "$page: a .so stub must be one line"
		fi
		target=$(sed -n '1s/^\.so[ 	]*//p' "$page")
		if [ ! -f "$srcdir/man/$target" ]; then
			fail "$page: .so target man/$target does not exist"
		elif is_stub "$srcdir/man/$target"; then
			fail "$page: .so target man/$target is itself a stub"
		fi
	else
		full="$full $page"
	fi
done

# ------------------------------------------------------------ (c) mandoc
for page in $full; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	if [ -n "$out" ]; then
		fail "mandoc -Tlint -W warning $page:"
		echo "$out" | sed 's/^/    /'
	fi
done

# ------------------------------------------------------------ (d) man --warnings
for page in $full; do
	out=$(MANROFFSEQ= MANWIDTH=80 LC_ALL=C.UTF-8 \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
	if [ -n "$out" ]; then
		fail "man --warnings $page:"
		echo "$out" | sed 's/^/    /'
	fi
done

# ------------------------------------------------------------ (e) ABI triple
map=$srcdir/lib/libllt.map
sed -n 's/^[ 	]*\(llt_[A-Za-z0-9_]*\);.*/\1/p' "$map" | sort -u > "$tmp/map"
grep '_impl_' "$tmp/map" > "$tmp/map_impl"
grep -v '_impl_' "$tmp/map" > "$tmp/map_public"
# Inline functions have pages but no symbol.
comm -23 "$tmp/pages" "$tmp/inline" > "$tmp/pages_exported"
if ! cmp -s "$tmp/map_public" "$tmp/pages_exported"; then
	fail "lib/libllt.map and the pages of non-inline functions differ (< map, > pages):"
	diff "$tmp/map_public" "$tmp/pages_exported" | grep '^[<>]' | sed 's/^/    /'
fi
if ! cmp -s "$tmp/map_public" "$tmp/api"; then
	# Every non-private LLT_API function is in the map, and nothing else.
	grep -v '_impl_' "$tmp/api" > "$tmp/api_public"
	if ! cmp -s "$tmp/map_public" "$tmp/api_public"; then
		fail "lib/libllt.map and the LLT_API functions in include/llt differ (< map, > headers):"
		diff "$tmp/map_public" "$tmp/api_public" | grep '^[<>]' | sed 's/^/    /'
	fi
fi
so=$builddir/lib/.libs/libllt.so
if ! command -v nm >/dev/null 2>&1; then
	echo "note: nm not found; skipping the nm -D leg of check (e)"
elif [ ! -f "$so" ]; then
	echo "note: $so not built (--disable-shared?); skipping the nm -D leg of check (e)"
else
	nm -D --defined-only "$so" | awk '{ print $NF }' | sed 's/@.*//' |
		grep '^llt_' | sort -u > "$tmp/nm"
	if ! cmp -s "$tmp/nm" "$tmp/map"; then
		fail "nm -D lib/.libs/libllt.so and lib/libllt.map differ (< library, > map):"
		diff "$tmp/nm" "$tmp/map" | grep '^[<>]' | sed 's/^/    /'
	fi
fi

# ------------------------------------------------------------ (f) man/local.mk
# Each module lists its pages in its own fragment (man/local.mk, man/ring.mk...).
cat "$srcdir"/man/*.mk | sed -n 's/^[ 	]*\(man\/man[0-9]\/[^ 	\\]*\).*/\1/p' | sort > "$tmp/listed"
(cd "$srcdir" && ls man/man3/*.3 man/man7/*.7) | sort > "$tmp/present"
for page in $(comm -13 "$tmp/listed" "$tmp/present"); do
	fail "$page is not listed in any man/*.mk"
done
for page in $(comm -23 "$tmp/listed" "$tmp/present"); do
	fail "man/*.mk lists $page, which does not exist"
done
if [ -n "$(uniq -d "$tmp/listed")" ]; then
	fail "man/*.mk lists a page twice: $(uniq -d "$tmp/listed" | tr '\n' ' ')"
fi

# ------------------------------------------------------------ (g) house rules
for page in $full; do
	if ! grep -q '^\.TH [^ ]* [0-9][a-z]* [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] ' "$page"; then
		fail "$page: .TH needs an ISO date (YYYY-MM-DD)"
	fi
	# SEE ALSO entries as "section name", in the order written.
	sed -n '/^\.SH SEE ALSO/,/^\.SH/p' "$page" |
		sed -n 's/^\.BR \([^ ]*\) (\([0-9][a-z]*\)).*/\2 \1/p' |
		sed 's/\\-/-/g' > "$tmp/seealso"
	if ! sort -c -k1,1n -k2,2 "$tmp/seealso" 2>/dev/null; then
		fail "$page: SEE ALSO is not sorted by section, then name"
	fi
done

count=$(echo $full | wc -w)
stubs=$(($(ls "$man3" | wc -l) + $(ls "$man7" | wc -l) - count))
if [ "$failures" -ne 0 ]; then
	echo "$failures problem(s) in the man pages"
	exit 1
fi
echo "ok: $(wc -l < "$tmp/public") public functions, $count pages, $stubs .so stubs, ABI triple agrees"
exit 0
