## tests/: llt/chan.
if HAVE_CHECK
check_PROGRAMS += tests/check_chan
TESTS += tests/check_chan
endif
tests_check_chan_SOURCES = tests/check_chan.c tests/testutil.h
tests_check_chan_CFLAGS = $(TEST_CFLAGS)
tests_check_chan_LDADD = $(TEST_LDADD)
