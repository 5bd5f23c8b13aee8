## tests/bench/: llt/park.  Run by make bench, or alone by make bench-park.
EXTRA_PROGRAMS += tests/bench/bench_park
BENCH_PROGS += tests/bench/bench_park
tests_bench_bench_park_SOURCES = tests/bench/bench_park.c
tests_bench_bench_park_LDADD = lib/libllt.la
CLEANFILES += tests/bench/bench_park$(EXEEXT)

bench-park: tests/bench/bench_park$(EXEEXT)
	./tests/bench/bench_park$(EXEEXT)
.PHONY: bench-park
