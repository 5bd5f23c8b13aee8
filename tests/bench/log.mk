## tests/bench/: llt/log against spdlog's async logger (when configure
## found it) and fprintf, and llt-logcat's decode speed.  `make bench` or
## `make bench-log`.
EXTRA_PROGRAMS += tests/bench/bench_log
BENCH_PROGS += tests/bench/bench_log
CLEANFILES += tests/bench/bench_log$(EXEEXT)
tests_bench_bench_log_SOURCES = tests/bench/bench_log.c tests/bench/bench_log_peers.cc
tests_bench_bench_log_CFLAGS = $(AM_CFLAGS) -O2
tests_bench_bench_log_CXXFLAGS = -O2 $(PTHREAD_CFLAGS) $(SAN_CFLAGS) $(BENCH_SPDLOG_CFLAGS)
tests_bench_bench_log_LDADD = lib/libllt.la $(BENCH_SPDLOG_LIBS) $(PTHREAD_LIBS)
if HAVE_SPDLOG
tests_bench_bench_log_CXXFLAGS += -DBENCH_HAVE_SPDLOG=1
endif

.PHONY: bench-log
bench-log: tests/bench/bench_log$(EXEEXT) tools/llt-logcat$(EXEEXT)
	./tests/bench/bench_log$(EXEEXT)
