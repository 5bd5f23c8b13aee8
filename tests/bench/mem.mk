## tests/bench/mem.mk: benchmarks of llt/objpool and llt/arena.  Not built
## by `make`; `make bench-mem` builds and runs them.  The malloc peers
## (jemalloc, mimalloc, tcmalloc) are loaded with LD_PRELOAD into one
## malloc benchmark binary, each in its own run of the same invocation.
MEM_BENCH = \
	tests/bench/bench_objpool \
	tests/bench/bench_arena \
	tests/bench/bench_mem_peers
EXTRA_PROGRAMS += $(MEM_BENCH)
CLEANFILES += $(MEM_BENCH)
EXTRA_DIST += tests/bench/bench_mem.h

tests_bench_bench_objpool_SOURCES = tests/bench/bench_objpool.c tests/bench/bench_mem.h
tests_bench_bench_objpool_LDADD = lib/libllt.la
tests_bench_bench_arena_SOURCES = tests/bench/bench_arena.c tests/bench/bench_mem.h
tests_bench_bench_arena_CFLAGS = $(AM_CFLAGS) $(BENCH_APR_CFLAGS) $(BENCH_TALLOC_CFLAGS)
tests_bench_bench_arena_LDADD = lib/libllt.la $(BENCH_APR_LIBS) $(BENCH_TALLOC_LIBS)
tests_bench_bench_mem_peers_SOURCES = tests/bench/bench_mem_peers.cc tests/bench/bench_mem.h
tests_bench_bench_mem_peers_CXXFLAGS = $(PTHREAD_CFLAGS) $(SAN_CFLAGS)
tests_bench_bench_mem_peers_LDADD = lib/libllt.la

bench-mem: $(MEM_BENCH)
	./tests/bench/bench_objpool
	@for peer in jemalloc:libjemalloc.so.2 mimalloc:libmimalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do \
	  name=$${peer%%:*}; so=$${peer#*:}; lib=; \
	  for d in /usr/lib/*-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do \
	    if test -f "$$d/$$so"; then lib=$$d/$$so; break; fi; \
	  done; \
	  if test -n "$$lib"; then \
	    echo; echo "== LD_PRELOAD=$$lib"; \
	    LLT_BENCH_MALLOC=$$name LD_PRELOAD=$$lib ./tests/bench/bench_objpool || exit 1; \
	  else \
	    echo; echo "== $$name: skipped ($$so not found)"; \
	  fi; \
	done
	./tests/bench/bench_mem_peers
	./tests/bench/bench_arena
.PHONY: bench-mem
# `make bench` runs these too (with their LD_PRELOAD runs of the peers).
bench: bench-mem
