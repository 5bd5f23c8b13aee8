## tests/bench/: llt/park.  Built on demand: make bench-park.
EXTRA_PROGRAMS += tests/bench/bench_park
tests_bench_bench_park_SOURCES = tests/bench/bench_park.c
tests_bench_bench_park_LDADD = lib/libllt.la
CLEANFILES += tests/bench/bench_park

bench-park: tests/bench/bench_park$(EXEEXT)
	./tests/bench/bench_park$(EXEEXT)
.PHONY: bench-park
