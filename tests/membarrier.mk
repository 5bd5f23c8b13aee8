## tests/: lib/membarrier.c (private), through llt/park, llt/chan,
## llt/sched and the llt/hist recorder: LLT_MEMBARRIER=0 and the
## per-module switches.
if HAVE_CHECK
check_PROGRAMS += tests/check_membarrier
TESTS += tests/check_membarrier
endif
tests_check_membarrier_SOURCES = tests/check_membarrier.c tests/testutil.h
tests_check_membarrier_CFLAGS = $(TEST_CFLAGS)
tests_check_membarrier_LDADD = $(TEST_LDADD)
