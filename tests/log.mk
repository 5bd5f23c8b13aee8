## tests/: llt/log and llt-logcat.
if HAVE_CHECK
check_PROGRAMS += tests/check_log
TESTS += tests/check_log
endif
tests_check_log_SOURCES = tests/check_log.c tests/testutil.h lib/logdec.c lib/logdec.h lib/logfmt.h lib/logsym.c lib/logsym.h
tests_check_log_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib -I$(top_srcdir)/tools
tests_check_log_CFLAGS = $(TEST_CFLAGS) $(NOINLINE_ONCE_CFLAGS)
# -rdynamic: the crash test's backtrace names the faulting function.
tests_check_log_LDFLAGS = -rdynamic
tests_check_log_LDADD = $(TEST_LDADD)

TESTS += tests/check_logcat.sh
EXTRA_DIST += tests/check_logcat.sh tests/data/crash-v1.0.lltlog tests/data/crash-v1.0.txt tests/data/crash-v1.0.json

# libFuzzer target for llt-logcat's decoder, built on demand with clang
# (`make fuzz-log`, FUZZ_SECONDS=60 by default); never part of check.
EXTRA_DIST += tests/fuzz/fuzz_logcat.c tests/fuzz/corpus_log
fuzz-log:
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -I$(top_builddir) -I$(top_builddir)/include -I$(top_srcdir)/include \
		-I$(top_srcdir)/lib -I$(top_srcdir)/tools -include $(top_builddir)/config.h -DLLT_STATIC -DLOGCAT_NO_MAIN \
		$(top_srcdir)/tests/fuzz/fuzz_logcat.c $(top_srcdir)/tools/llt-logcat.c $(top_srcdir)/lib/logdec.c $(top_srcdir)/lib/logsym.c \
		$(top_srcdir)/lib/version.c -o tests/fuzz/fuzz_logcat
	rm -rf tests/fuzz/corpus_log.run && cp -r $(top_srcdir)/tests/fuzz/corpus_log tests/fuzz/corpus_log.run && chmod -R u+w tests/fuzz/corpus_log.run
	./tests/fuzz/fuzz_logcat -max_total_time=$(FUZZ_SECONDS) -max_len=65536 tests/fuzz/corpus_log.run
.PHONY: fuzz-log
CLEANFILES += tests/fuzz/fuzz_logcat
