## tests/bench/: llt/chan against the blocking SPSC queues Debian packages
## (TBB, moodycamel), found with __has_include.  `make bench` or
## `make bench-chan`.
EXTRA_PROGRAMS += tests/bench/bench_chan
BENCH_PROGS += tests/bench/bench_chan
CLEANFILES += tests/bench/bench_chan$(EXEEXT)
tests_bench_bench_chan_SOURCES = tests/bench/bench_chan.cc
tests_bench_bench_chan_CXXFLAGS = -O2 $(PTHREAD_CFLAGS) $(SAN_CFLAGS)
tests_bench_bench_chan_LDADD = lib/libllt.la $(BENCH_TBB_LIBS) $(PTHREAD_LIBS)

.PHONY: bench-chan
bench-chan: tests/bench/bench_chan$(EXEEXT)
	./tests/bench/bench_chan$(EXEEXT)
