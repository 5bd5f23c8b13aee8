## tests/: the llt/prof suite.  The outlier case needs the slow function's
## name in the dynamic symbol table (dladdr), hence -rdynamic.
if HAVE_CHECK
check_PROGRAMS += tests/check_prof
TESTS += tests/check_prof
endif
tests_check_prof_SOURCES = tests/check_prof.c tests/testutil.h
tests_check_prof_CFLAGS = $(TEST_CFLAGS)
tests_check_prof_LDADD = $(TEST_LDADD)
tests_check_prof_LDFLAGS = $(AM_LDFLAGS) -rdynamic
