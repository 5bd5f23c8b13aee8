## tests/: the llt/hist suite, and the on-demand fuzzer of its decoder.
if HAVE_CHECK
check_PROGRAMS += tests/check_hist
TESTS += tests/check_hist
endif
tests_check_hist_SOURCES = tests/check_hist.c tests/testutil.h
tests_check_hist_CFLAGS = $(TEST_CFLAGS)
tests_check_hist_LDADD = $(TEST_LDADD)

# libFuzzer target for llt_hist_decode, built on demand with clang
# (`make fuzz-hist`, FUZZ_SECONDS=60 by default); never part of check.
# The fuzzing build skips the CRC check so that inputs reach the parser.
FUZZ_CC = clang
FUZZ_SECONDS = 60
EXTRA_DIST += tests/fuzz/fuzz_hist_decode.c tests/fuzz/corpus_hist
fuzz-hist:
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -I$(top_builddir) -I$(top_builddir)/include -I$(top_srcdir)/include \
		-include $(top_builddir)/config.h -DLLT_STATIC -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
		$(top_srcdir)/tests/fuzz/fuzz_hist_decode.c $(top_srcdir)/lib/hist.c \
		$(top_srcdir)/lib/membarrier.c -pthread -lm -o tests/fuzz/fuzz_hist_decode
	rm -rf tests/fuzz/corpus_hist.run && cp -r $(top_srcdir)/tests/fuzz/corpus_hist tests/fuzz/corpus_hist.run && chmod -R u+w tests/fuzz/corpus_hist.run
	./tests/fuzz/fuzz_hist_decode -max_total_time=$(FUZZ_SECONDS) -max_len=4096 tests/fuzz/corpus_hist.run
.PHONY: fuzz-hist
CLEANFILES += tests/fuzz/fuzz_hist_decode
