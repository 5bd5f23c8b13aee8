#!/bin/sh
# tests/check_install.sh: check what `make install` puts on a system.
#
# Usage: tests/check_install.sh [BUILDDIR]      (default: the current directory)
# Environment: MAKE (default make), CC (default cc), CFLAGS (default -O2),
#              KEEP=1 keeps the temporary tree.
#
# 1. `make install DESTDIR=$tmp` from the configured BUILDDIR;
# 2. compiles a program outside the tree that includes <llt/llt.h> and calls
#    llt_version(), llt_clock_now() and llt_clock_to_ns(), with no flags but
#    what `pkg-config --cflags --libs libllt` says, the .pc found in $tmp and
#    PKG_CONFIG_SYSROOT_DIR=$tmp (the .pc names the real prefix);
# 3. runs it against the installed library (LD_LIBRARY_PATH);
# 4. renders every installed manual page with man-db as lintian does; any
#    message fails.  `.so` stubs and symlinks are resolved, not rendered.
#
# Run by `make installcheck` (and so by `make distcheck`) and by
# .ci/packages.sh.  It never installs outside its own temporary directory.
set -eu

builddir=${1:-.}
MAKE=${MAKE:-make}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

fail() { echo "check_install: FAIL: $*" >&2; exit 1; }
note() { echo "check_install: $*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/llt-install.XXXXXX")
cleanup() { if [ "${KEEP:-}" = 1 ]; then note "kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
root=$tmp/root
work=$tmp/work
mkdir -p "$root" "$work"

# ------------------------------------------------------------ 1. install
note "make install DESTDIR=$root"
(cd "$builddir" && $MAKE install DESTDIR="$root") >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "make install failed"; }

pc=$(find "$root" -name libllt.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "libllt.pc was not installed"
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
ls "$libdir"/libllt.so.1 >/dev/null 2>&1 || fail "no libllt.so.1 next to $pc"
[ -e "$libdir/libllt.so" ] || fail "no libllt.so link in $libdir"
if ls "$libdir"/*.a >/dev/null 2>&1; then fail "a static library was installed"; fi

# ------------------------------------------------------------ 2. compile
cat >"$work/use-llt.c" <<'PROG'
#include <llt/llt.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	const char *v = llt_version();
	uint64_t t0, t1, ns;

	if (strcmp(v, LLT_VERSION_STRING) != 0) {
		fprintf(stderr, "llt_version() = %s but the header says %s\n", v, LLT_VERSION_STRING);
		return 1;
	}
	if (!llt_version_check(LLT_VERSION_MAJOR, LLT_VERSION_MINOR, LLT_VERSION_PATCH)) {
		fprintf(stderr, "llt_version_check() rejects the version it reports\n");
		return 1;
	}
	t0 = llt_clock_now();
	t1 = llt_clock_now();
	if (t1 < t0) {
		fprintf(stderr, "llt_clock_now() went backwards: %llu then %llu\n",
			(unsigned long long)t0, (unsigned long long)t1);
		return 1;
	}
	ns = llt_clock_to_ns(t1 - t0);
	if (ns > 1000000000u) {
		fprintf(stderr, "two consecutive reads %llu ns apart\n", (unsigned long long)ns);
		return 1;
	}
	printf("libllt %s, two reads %llu ns apart\n", v, (unsigned long long)ns);
	return 0;
}
PROG

# Only the DESTDIR tree's .pc first, the system's after it (for libunwind
# in Requires.private); the sysroot prefixes every -I and -L.
PKG_CONFIG_PATH=$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
flags=$($PKG_CONFIG --cflags --libs libllt) || fail "pkg-config --cflags --libs libllt failed"
note "pkg-config --cflags --libs libllt: $flags"
case " $flags " in
	*" -I$root"/*) ;;
	*) fail "no -I into the installed tree in: $flags" ;;
esac
case " $flags " in
	*" -L$root"/*) ;;
	*) fail "no -L into the installed tree in: $flags" ;;
esac
unset PKG_CONFIG_SYSROOT_DIR

# shellcheck disable=SC2086 # $CFLAGS and $flags are word lists
(cd "$work" && $CC $CFLAGS -Wall -Wextra -Werror -o use-llt use-llt.c $flags) ||
	fail "a program using only pkg-config's flags did not build"

# ------------------------------------------------------------ 3. run
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$work/use-llt" ||
	fail "the program failed against the installed library"

# ------------------------------------------------------------ 4. man pages
pages=$(find "$root" -path '*/man/man[0-9]*/*' \( -type f -o -type l \) | LC_ALL=C sort)
if [ -z "$pages" ]; then
	note "no manual pages installed"
elif ! command -v man >/dev/null 2>&1; then
	note "SKIP manual pages: man (man-db) not found"
else
	n=0
	for page in $pages; do
		mandir=$(dirname "$(dirname "$page")")
		if [ -L "$page" ]; then
			[ -e "$page" ] || fail "dangling manual page link $page"
			continue
		fi
		so=$(sed -n '1s/^\.so[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$page")
		if [ -n "$so" ]; then
			[ -f "$mandir/$so" ] || fail "$page: .so $so does not exist"
			continue
		fi
		if ! LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
			man --warnings -E UTF-8 -l -Tutf8 -Z "$page" >/dev/null 2>"$tmp/man.err" ||
			[ -s "$tmp/man.err" ]; then
			cat "$tmp/man.err" >&2
			fail "man --warnings on $page"
		fi
		n=$((n + 1))
	done
	note "rendered $n manual pages without warnings"
fi

note "PASS"
