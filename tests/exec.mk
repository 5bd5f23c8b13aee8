## tests/: llt/threadpool and llt/sched.
if HAVE_CHECK
check_PROGRAMS += tests/check_threadpool
TESTS += tests/check_threadpool
check_PROGRAMS += tests/check_sched
TESTS += tests/check_sched
endif
tests_check_threadpool_SOURCES = tests/check_threadpool.c tests/testutil.h
tests_check_threadpool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_check_threadpool_CFLAGS = $(TEST_CFLAGS)
tests_check_threadpool_LDADD = $(TEST_LDADD)
tests_check_sched_SOURCES = tests/check_sched.c tests/testutil.h
tests_check_sched_CFLAGS = $(TEST_CFLAGS)
tests_check_sched_LDADD = $(TEST_LDADD)
