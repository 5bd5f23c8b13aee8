## tests/mem.mk: Check suites of llt/objpool and llt/arena.
if HAVE_CHECK
check_PROGRAMS += tests/check_objpool tests/check_arena
TESTS += tests/check_objpool tests/check_arena
endif
tests_check_objpool_SOURCES = tests/check_objpool.c tests/testutil.h
tests_check_objpool_CFLAGS = $(TEST_CFLAGS)
tests_check_objpool_LDADD = $(TEST_LDADD)
tests_check_arena_SOURCES = tests/check_arena.c tests/testutil.h
tests_check_arena_CFLAGS = $(TEST_CFLAGS)
tests_check_arena_LDADD = $(TEST_LDADD)
