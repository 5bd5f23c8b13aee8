## tests/: llt/mpmc.
if HAVE_CHECK
check_PROGRAMS += tests/check_mpmc
TESTS += tests/check_mpmc
endif
tests_check_mpmc_SOURCES = tests/check_mpmc.c tests/testutil.h
tests_check_mpmc_CFLAGS = $(TEST_CFLAGS)
tests_check_mpmc_LDADD = $(TEST_LDADD)
