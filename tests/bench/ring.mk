## tests/bench/bench_ring: the SPSC ring against its peers, in one run.
## Run by `make bench` with the others, or alone by `make bench-ring`.
## Peers are found with __has_include, so none is needed to build.
EXTRA_PROGRAMS += tests/bench/bench_ring
BENCH_PROGS += tests/bench/bench_ring
CLEANFILES += tests/bench/bench_ring$(EXEEXT)
tests_bench_bench_ring_SOURCES = tests/bench/bench_ring.c tests/bench/bench_ring.h \
	tests/bench/bench_ring_peers.cc
tests_bench_bench_ring_CFLAGS = $(AM_CFLAGS)
tests_bench_bench_ring_CXXFLAGS = $(PTHREAD_CFLAGS) $(SAN_CFLAGS)
tests_bench_bench_ring_LDADD = lib/libllt.la $(PTHREAD_LIBS)

.PHONY: bench-ring
bench-ring: tests/bench/bench_ring$(EXEEXT)
	$(builddir)/tests/bench/bench_ring
