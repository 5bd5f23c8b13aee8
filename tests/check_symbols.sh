#!/bin/sh
# debian/libllt1.symbols lists exactly the global names of lib/libllt.map,
# so a new public function cannot land without its Debian symbol (and
# dpkg-gensymbols -c4 in the package build catches any other drift).
set -u
srcdir=${srcdir:-.}
map=$srcdir/lib/libllt.map
sym=$srcdir/debian/libllt1.symbols
[ -f "$sym" ] || { echo "SKIP: no $sym"; exit 77; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
# Names in the map: between "global:" and "local:", minus comments.
sed -e 's,/\*.*\*/,,g' "$map" | sed -n '/global:/,/local:/p' |
	grep -o '[A-Za-z_][A-Za-z0-9_]*;' | tr -d ';' | sort -u > "$tmp/map"
sed -n 's/^ \([A-Za-z_][A-Za-z0-9_]*\)@LLT_[0-9.]* .*/\1/p' "$sym" | grep -v '^LLT_' | sort > "$tmp/sym"
if ! cmp -s "$tmp/map" "$tmp/sym"; then
	echo "lib/libllt.map and debian/libllt1.symbols differ (< map only, > symbols only):"
	diff "$tmp/map" "$tmp/sym" | grep '^[<>]'
	exit 1
fi
echo "ok: $(wc -l < "$tmp/map") symbols in both"
