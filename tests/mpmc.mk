## tests/: llt/mpmc.
if HAVE_CHECK
check_PROGRAMS += tests/check_mpmc
TESTS += tests/check_mpmc
endif
tests_check_mpmc_SOURCES = tests/check_mpmc.c tests/testutil.h
tests_check_mpmc_CFLAGS = $(TEST_CFLAGS)
tests_check_mpmc_LDADD = $(TEST_LDADD)
if HAVE_CHECK
# The same suite with the fenced notifier that shared channels and kernels
# without membarrier(2) use: lib/mpmc.c built into the test with
# LLT_MPMC_NO_MEMBARRIER (its llt_mpmc_* definitions take precedence over
# the library's).
check_PROGRAMS += tests/check_mpmc_fenced
TESTS += tests/check_mpmc_fenced
endif
tests_check_mpmc_fenced_SOURCES = tests/check_mpmc.c tests/testutil.h lib/mpmc.c
tests_check_mpmc_fenced_CPPFLAGS = $(AM_CPPFLAGS) -DLLT_MPMC_NO_MEMBARRIER
tests_check_mpmc_fenced_CFLAGS = $(TEST_CFLAGS)
tests_check_mpmc_fenced_LDADD = $(TEST_LDADD)
