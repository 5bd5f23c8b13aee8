## tests/: llt/park.  The Check suite and the Promela model of the
## sleep/wake protocol (skipped, exit 77, when spin is not installed).
TESTS += tests/check_park_model.sh
EXTRA_DIST += tests/park.pml tests/park_broken.pml tests/check_park_model.sh tests/chan_fence.pml
if HAVE_CHECK
check_PROGRAMS += tests/check_park
TESTS += tests/check_park
tests_check_park_SOURCES = tests/check_park.c
tests_check_park_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_park_LDADD = lib/libllt.la $(CHECK_LIBS)
endif
if HAVE_CHECK
# The same suite against the condition-variable fallback: lib/park.c built
# into the test with LLT_PARK_NO_FUTEX (its llt_park_* definitions take
# precedence over the library's; clock and cpu still come from libllt).
check_PROGRAMS += tests/check_park_nofutex
TESTS += tests/check_park_nofutex
tests_check_park_nofutex_SOURCES = tests/check_park.c lib/park.c lib/membarrier.c
tests_check_park_nofutex_CPPFLAGS = $(AM_CPPFLAGS) -DLLT_PARK_NO_FUTEX
tests_check_park_nofutex_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_park_nofutex_LDADD = lib/libllt.la $(CHECK_LIBS)
endif
