## tests/bench/: llt/hist benchmark (`make bench-hist`); at merge, also
## BENCH_PROGRAMS += tests/bench/bench_hist.
EXTRA_PROGRAMS += tests/bench/bench_hist
BENCH_PROGS += tests/bench/bench_hist
tests_bench_bench_hist_SOURCES = tests/bench/bench_hist.c
tests_bench_bench_hist_LDADD = lib/libllt.la -lm
bench-hist: tests/bench/bench_hist$(EXEEXT)
	./tests/bench/bench_hist$(EXEEXT)
.PHONY: bench-hist
CLEANFILES += tests/bench/bench_hist$(EXEEXT)
