#!/usr/bin/env bash
# A short bounded libFuzzer pass over both targets (histogram file loader,
# logcat decoder) with clang: make check-fuzz FUZZ_SECONDS=${FUZZ_SECONDS:-30}
# each.  On a crash the reproducer (crash-*, leak-*, timeout-*, oom-*) is
# listed; it stays in _ci_fuzz/ (and .gitignore keeps such files and the
# grown corpora out of git in any tree).
source "$(dirname "$0")/lib.sh"
ci_install clang libclang-rt-14-dev
src=$(ci_srcdir)
dir=$top/_ci_fuzz
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
ci_time "configure" "$src/configure" -q CC=clang CXX=clang++ >/dev/null
rc=0
ci_time "check-fuzz (${FUZZ_SECONDS:-30} s per target)" \
	make check-fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}" > fuzz.log 2>&1 || rc=$?
grep -E '^(#[0-9]+ *DONE|Done [0-9]+ runs)' fuzz.log || true
if [ $rc -ne 0 ]; then
	tail -n 60 fuzz.log
	ls -l crash-* leak-* timeout-* oom-* 2>/dev/null || true
fi
exit $rc
