## tests/bench/: benchmarks, built and run by `make bench`, never by check.
##
## A benchmark is an EXTRA_PROGRAMS entry, so automake knows how to build it
## but neither `make` nor `make check` does, and a BENCH_PROGS entry, so
## `make bench` builds and runs it.  (Not BENCH_PROGRAMS: automake takes any
## *_PROGRAMS for a primary and then demands a BENCHdir to install into.)
## Other fragments, included after this one, add theirs with
##   BENCH_PROGS += tests/bench/bench_foo
##   EXTRA_PROGRAMS += tests/bench/bench_foo
##   CLEANFILES += tests/bench/bench_foo$(EXEEXT)
## A timing is never a test assertion.
BENCH_PROGS += tests/bench/bench_clock

EXTRA_PROGRAMS += tests/bench/bench_clock
tests_bench_bench_clock_SOURCES = tests/bench/bench_clock.c
tests_bench_bench_clock_LDADD = lib/libllt.la
CLEANFILES += tests/bench/bench_clock$(EXEEXT)

bench: $(BENCH_PROGS)
	@for p in $(BENCH_PROGS); do \
	  echo "== $$p"; \
	  ./$$p || exit 1; \
	done
.PHONY: bench
