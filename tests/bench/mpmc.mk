## tests/bench/: llt/mpmc against the MPMC queues Debian packages (ck_ring,
## DPDK rte_ring, boost::lockfree, moodycamel, TBB) and a mutex+condvar
## queue.  Header-only peers are found with __has_include; DPDK needs
## libraries, probed by configure.  `make bench` or `make bench-mpmc`.
EXTRA_PROGRAMS += tests/bench/bench_mpmc
BENCH_PROGS += tests/bench/bench_mpmc
CLEANFILES += tests/bench/bench_mpmc$(EXEEXT)
tests_bench_bench_mpmc_SOURCES = tests/bench/bench_mpmc.cc tests/bench/bench_mpmc_ck.c
tests_bench_bench_mpmc_CFLAGS = -O2 $(PTHREAD_CFLAGS) $(SAN_CFLAGS)
tests_bench_bench_mpmc_CXXFLAGS = -O2 $(PTHREAD_CFLAGS) $(SAN_CFLAGS) $(BENCH_DPDK_CFLAGS)
tests_bench_bench_mpmc_LDADD = lib/libllt.la $(BENCH_TBB_LIBS) $(BENCH_DPDK_LIBS) $(PTHREAD_LIBS)

.PHONY: bench-mpmc
bench-mpmc: tests/bench/bench_mpmc$(EXEEXT)
	./tests/bench/bench_mpmc$(EXEEXT)
