## tests/check_ring: the SPSC ring (llt/ring.h).
if HAVE_CHECK
check_PROGRAMS += tests/check_ring
TESTS += tests/check_ring
endif
tests_check_ring_SOURCES = tests/check_ring.c
tests_check_ring_CFLAGS = $(TEST_CFLAGS)
tests_check_ring_LDADD = lib/libllt.la $(CHECK_LIBS) $(PTHREAD_LIBS)
