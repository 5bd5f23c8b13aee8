## tests/: llt/park.  The Check suite and the Promela model of the
## sleep/wake protocol (skipped, exit 77, when spin is not installed).
TESTS += tests/check_park_model.sh
EXTRA_DIST += tests/park.pml tests/park_broken.pml tests/check_park_model.sh
if HAVE_CHECK
check_PROGRAMS += tests/check_park
TESTS += tests/check_park
tests_check_park_SOURCES = tests/check_park.c
tests_check_park_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_park_LDADD = lib/libllt.la $(CHECK_LIBS)
endif
