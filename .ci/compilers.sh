#!/usr/bin/env bash
# The compiler matrix on x86_64: gcc and clang (Debian's clang 14), each in
# a release (default -O2, NDEBUG) and a debug (--enable-debug: LLT_DEBUG
# assertions) configuration, all with --enable-werror, so the library, the
# tools and every test program build warning-free with the project's
# warning set (configure.ac WARN_CFLAGS).  make check runs in the gcc debug
# and clang release cells (gcc release runs in README command 2; clang
# debug is built only, to stay inside CI's time budget).
# Usage: .ci/compilers.sh [CELL...]   CELL = gcc-release gcc-debug clang-release clang-debug
source "$(dirname "$0")/lib.sh"
ci_install gcc g++ clang
src=$(ci_srcdir)
cells=("$@")
[ ${#cells[@]} -gt 0 ] || cells=(gcc-release gcc-debug clang-release clang-debug)

cell() {
	local name=$1 cc cxx opts=(--enable-werror) check=no
	case $name in
	gcc-*) cc=gcc cxx=g++ ;;
	clang-*) cc=clang cxx=clang++ ;;
	*) echo "compilers.sh: unknown cell $name" >&2; return 2 ;;
	esac
	case $name in *-debug) opts+=(--enable-debug) ;; esac
	case $name in gcc-debug|clang-release) check=yes ;; esac
	local dir=$top/_ci_cc/$name
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || return 1
	ci_time "$name: configure" "$src/configure" -q CC=$cc CXX=$cxx "${opts[@]}" >/dev/null || return 1
	# Library, tools and the test programs (check_PROGRAMS), -Werror.
	ci_time "$name: build (-Werror)" make -j"$jobs" all >/dev/null || return 1
	ci_time "$name: test programs (-Werror)" make -j"$jobs" check TESTS= >/dev/null || return 1
	if [ $check = yes ]; then
		local rc=0
		ci_time "$name: make check" make -j"$jobs" check >/dev/null 2>&1 || rc=$?
		grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' test-suite.log | tr '\n' ' '; echo
		[ $rc -eq 0 ] || { ci_failures "$dir/tests"; return $rc; }
	fi
	cd "$top"
}

for c in "${cells[@]}"; do
	echo "ci: cell $c"
	cell "$c"
done
