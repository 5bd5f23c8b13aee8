#!/usr/bin/env bash
# valgrind memcheck (--error-exitcode=1, definite leaks are errors) over the
# single-threaded suites with CK_FORK=no: make check-valgrind
# (tests/matrix.mk; the suites it runs are VALGRIND_TESTS there).  Bounded:
# LLT_TEST_SCALE=0.1 and a 15-minute timeout for the whole pass.
source "$(dirname "$0")/lib.sh"
ci_install valgrind
src=$(ci_srcdir)
dir=$top/_ci_valgrind
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
ci_time "configure" "$src/configure" -q >/dev/null
ci_time "build" make -j"$jobs" all >/dev/null
valgrind --version
rc=0
ci_time "memcheck" timeout 900 make -j"$jobs" check-valgrind LLT_TEST_SCALE=0.1 >/dev/null 2>&1 || rc=$?
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' test-suite.log | tr '\n' ' '; echo
[ $rc -eq 0 ] || { ci_failures "$dir/tests"; exit $rc; }
