#!/bin/sh
# Every installed header compiles alone, as C11 and as C++11, with
# -Wall -Wextra -pedantic -Werror, by the build's compilers ($CC, $CXX) and
# by gcc/g++ and clang/clang++ where installed; llt/bits/ bodies refuse
# direct inclusion.
set -u
srcdir=${top_srcdir:-${srcdir:-.}}
builddir=${top_builddir:-.}
CC=${CC:-cc}
CXX=${CXX:-c++}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
inc="-I$builddir/include -I$srcdir/include"
fail=0
n=0
echo 'int main(void) { return 0; }' > "$tmp/probe.cc"
cp "$tmp/probe.cc" "$tmp/probe.c"
# The build's compilers, then the other family's where it is installed
# (a compiler that cannot build an empty file is left out, with a note).
ccs=; cxxs=
for c in "$CC" gcc clang; do
	case " $ccs " in *" $c "*) continue ;; esac
	if $c -c "$tmp/probe.c" -o "$tmp/probe.o" 2>/dev/null; then ccs="$ccs $c"
	elif [ "$c" = "$CC" ]; then echo "FAIL: the build's C compiler ($CC) does not work"; exit 1; fi
done
for c in "$CXX" g++ clang++; do
	case " $cxxs " in *" $c "*) continue ;; esac
	$c -c "$tmp/probe.cc" -o "$tmp/probe.o" 2>/dev/null && cxxs="$cxxs $c"
done
have_cxx=yes
[ -n "$cxxs" ] || have_cxx=no
for h in "$srcdir"/include/llt/*.h "$builddir"/include/llt/config.h "$builddir"/include/llt/version.h; do
	[ -f "$h" ] || continue
	name=llt/$(basename "$h")
	printf '#include <%s>\n#include <%s>\nint main(void) { return 0; }\n' "$name" "$name" > "$tmp/t.c"
	cp "$tmp/t.c" "$tmp/t.cc"
	for c in $ccs; do
		if ! $c -std=c11 -Wall -Wextra -pedantic -Werror $inc -c "$tmp/t.c" -o "$tmp/t.o" 2> "$tmp/err"; then
			echo "FAIL: $name as C11 ($c):"; cat "$tmp/err"; fail=1
		fi
	done
	for c in $cxxs; do
		if ! $c -std=c++11 -Wall -Wextra -pedantic -Werror $inc -c "$tmp/t.cc" -o "$tmp/t.o" 2> "$tmp/err"; then
			echo "FAIL: $name as C++11 ($c):"; cat "$tmp/err"; fail=1
		fi
	done
	n=$((n + 1))
done
for h in "$srcdir"/include/llt/bits/*.h; do
	[ -f "$h" ] || continue
	printf '#include <llt/bits/%s>\n' "$(basename "$h")" > "$tmp/b.c"
	if $CC -std=c11 $inc -c "$tmp/b.c" -o "$tmp/b.o" 2>/dev/null; then
		echo "FAIL: llt/bits/$(basename "$h") compiles when included directly"; fail=1
	fi
done
[ "$have_cxx" = yes ] || echo "note: no working C++ compiler ($CXX); C++ checks skipped"
echo "$n headers checked with:$ccs$cxxs"
exit $fail
