#!/usr/bin/env bash
# aarch64: cross-build with Debian's gcc-aarch64-linux-gnu (--host=
# aarch64-linux-gnu, --enable-werror) against Check and libunwind for arm64
# from Debian's arm64 packages (multiarch: dpkg --add-architecture arm64),
# then run the whole make check under qemu-user (.ci/qemu-run as the
# LOG_COMPILER; no binfmt_misc registration).  qemu proves the aarch64 code
# paths (cntvct_el0, yield, the aarch64 cache-line and padding values), not
# the memory orderings: it does not reproduce the weak memory model.
# Last, the installed llt/config.h of this build and of an x86_64 build
# must be byte-identical (tests/check_config_h.sh A B).
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" = 0 ] && [ -z "${LLT_CI_NO_INSTALL:-}" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
	fi
	ci_time "apt-get update (arm64)" apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
fi
ci_install gcc g++ gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user-static \
	pkg-config pkg-config:arm64 libc6-dev:arm64 check:arm64 libsubunit-dev:arm64 libunwind-dev:arm64
src=$(ci_srcdir)
dir=$top/_ci_aarch64
rm -rf "$dir" && mkdir -p "$dir/build" "$dir/x86_64" && cd "$dir/build"
# libunwind for arm64 comes from multiarch, so backtraces are built in.
ci_time "configure --host=aarch64-linux-gnu" \
	"$src/configure" -q --host=aarch64-linux-gnu --prefix=/usr --enable-werror --with-libunwind=yes > configure.out
sed -n '/^  host:/p;/^  counter:/p;/^  cache line (target):/p;/^  libunwind/p;/^  Check/p' configure.out
# -no-install: test programs and tools are aarch64 ELF files with an RPATH
# to lib/.libs, not libtool wrapper scripts, so qemu can run them directly.
ci_time "build (-Werror)" make -j"$jobs" all LDFLAGS=-no-install >/dev/null
ci_time "test programs (-Werror)" make -j"$jobs" check TESTS= LDFLAGS=-no-install >/dev/null
file -b tests/check_clock | cut -d, -f1-2
# The test scripts run natively and reach the aarch64 programs through
# these wrappers (their LOGCAT, WRITER and CLOCKCAL variables).
mkdir -p qemu-bin
for p in tools/llt-logcat tools/llt-clockcal tests/check_log; do
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$top/.ci/qemu-run" "$PWD/$p" > "qemu-bin/${p##*/}"
	chmod +x "qemu-bin/${p##*/}"
done
rc=0
# CC_PAN: spin's verifier is built and run on the host.
ci_time "make check under qemu-user" \
	env LLT_TEST_SCALE=0.05 CK_TIMEOUT_MULTIPLIER=10 CC_PAN=gcc \
	LOGCAT="$PWD/qemu-bin/llt-logcat" CLOCKCAL="$PWD/qemu-bin/llt-clockcal" WRITER="$PWD/qemu-bin/check_log" \
	make -j"$jobs" check LDFLAGS=-no-install LOG_COMPILER="$top/.ci/qemu-run" >/dev/null 2>&1 || rc=$?
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' test-suite.log | tr '\n' ' '; echo
grep -h '^SKIP' tests/*.log 2>/dev/null | sort | uniq -c || true
[ $rc -eq 0 ] || { ci_failures "$dir/build/tests"; exit $rc; }

# The installed llt/config.h: aarch64 against x86_64.
make install-nodist_lltincludeHEADERS DESTDIR="$dir/inst-aarch64" >/dev/null
cd "$dir/x86_64"
"$src/configure" -q --prefix=/usr >/dev/null
make install-nodist_lltincludeHEADERS DESTDIR="$dir/inst-x86_64" >/dev/null
sh "$src/tests/check_config_h.sh" "$dir/inst-x86_64/usr/include/llt/config.h" "$dir/inst-aarch64/usr/include/llt/config.h"
