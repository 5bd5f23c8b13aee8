## tests/: Check suites, one program per module, run by `make check`.
## Programs that need something absent (two CPUs, an invariant counter)
## print why and exit 77 (skipped).

# -Wno-cast-align: the suites build deliberately misaligned handles from byte
# buffers to test -EINVAL; clang warns on every such cast on any target (gcc
# only on strict-alignment ones).  The library itself keeps -Wcast-align.
TEST_CFLAGS = $(AM_CFLAGS) -Wno-cast-align $(CHECK_CFLAGS)
TEST_LDADD = lib/libllt.la $(CHECK_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += \
	tests/check_version \
	tests/check_cpu \
	tests/check_cpu_pin \
	tests/check_clock \
	tests/check_clock_counter
TESTS += \
	tests/check_version \
	tests/check_cpu \
	tests/check_cpu_pin \
	tests/check_clock \
	tests/check_clock_counter
else
check-local: no-check-framework
no-check-framework:
	@echo "make check needs the Check unit-test framework >= 0.11 (Debian: apt-get install check)," >&2
	@echo "then re-run configure." >&2
	@exit 1
endif

tests_check_version_SOURCES = tests/check_version.c tests/testutil.h
tests_check_version_CFLAGS = $(TEST_CFLAGS)
tests_check_version_LDADD = $(TEST_LDADD)
tests_check_cpu_SOURCES = tests/check_cpu.c tests/testutil.h
tests_check_cpu_CFLAGS = $(TEST_CFLAGS)
tests_check_cpu_LDADD = $(TEST_LDADD)
tests_check_cpu_pin_SOURCES = tests/check_cpu_pin.c tests/testutil.h
tests_check_cpu_pin_CFLAGS = $(TEST_CFLAGS)
tests_check_cpu_pin_LDADD = $(TEST_LDADD)
tests_check_clock_SOURCES = tests/check_clock.c tests/testutil.h
tests_check_clock_CFLAGS = $(TEST_CFLAGS)
tests_check_clock_LDADD = $(TEST_LDADD)
tests_check_clock_counter_SOURCES = tests/check_clock_counter.c tests/testutil.h
tests_check_clock_counter_CFLAGS = $(TEST_CFLAGS)
tests_check_clock_counter_LDADD = $(TEST_LDADD)

# Every public header compiles on its own as C11 and as C++, and the
# private bodies in llt/bits/ refuse to be included directly.
TESTS += tests/check_headers.sh
EXTRA_DIST += tests/check_headers.sh
# Check's default 4 s per test is too tight for a loaded 2-core machine;
# tests bound their own work, so this only catches real hangs.
TESTS_ENVIRONMENT = \
	CC='$(CC)' CXX='$(CXX)' top_builddir='$(top_builddir)' top_srcdir='$(top_srcdir)' \
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-60}; \
	export CC CXX top_builddir top_srcdir CK_DEFAULT_TIMEOUT;

# The Debian symbols file follows the version script.
TESTS += tests/check_symbols.sh
EXTRA_DIST += tests/check_symbols.sh
