## tests/bench/: llt/sched and llt/threadpool against TBB (task_group,
## parallel_for) and OpenMP tasks/loops (gcc's libgomp, -fopenmp in this
## program's flags only).  `make bench` or `make bench-exec`.
EXTRA_PROGRAMS += tests/bench/bench_exec
BENCH_PROGS += tests/bench/bench_exec
CLEANFILES += tests/bench/bench_exec$(EXEEXT)
tests_bench_bench_exec_SOURCES = tests/bench/bench_exec.cc
tests_bench_bench_exec_CXXFLAGS = -O2 -fopenmp $(PTHREAD_CFLAGS) $(SAN_CFLAGS)
tests_bench_bench_exec_LDFLAGS = -fopenmp
tests_bench_bench_exec_LDADD = lib/libllt.la $(BENCH_TBB_LIBS) $(PTHREAD_LIBS)

.PHONY: bench-exec
bench-exec: tests/bench/bench_exec$(EXEEXT)
	./tests/bench/bench_exec$(EXEEXT)
