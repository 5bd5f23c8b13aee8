## tests/bench/: llt/prof benchmark (`make bench-prof`).
EXTRA_PROGRAMS += tests/bench/bench_prof
BENCH_PROGS += tests/bench/bench_prof
CLEANFILES += tests/bench/bench_prof$(EXEEXT)
tests_bench_bench_prof_SOURCES = tests/bench/bench_prof.c
tests_bench_bench_prof_LDADD = lib/libllt.la -lm
.PHONY: bench-prof
bench-prof: tests/bench/bench_prof$(EXEEXT)
	./tests/bench/bench_prof$(EXEEXT)
