#!/usr/bin/env bash
# Static analysis: cppcheck and clang-tidy over lib/ and tools/ with the
# checked-in configuration (.cppcheck-suppressions.xml, .clang-tidy,
# tools/.clang-tidy) through `make lint`; any finding fails.
source "$(dirname "$0")/lib.sh"
ci_install cppcheck clang-tidy clang
src=$(ci_srcdir)
dir=$top/_ci_lint
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
ci_time "configure" "$src/configure" -q CC=clang CXX=clang++ >/dev/null
ci_time "build" make -j"$jobs" all >/dev/null
cppcheck --version; clang-tidy --version | sed -n 's/.*LLVM version/clang-tidy (LLVM)/p'
ci_time "cppcheck" make lint-cppcheck LINT_JOBS="$jobs"
ci_time "clang-tidy" make lint-clang-tidy LINT_JOBS="$jobs"
