## tests/bench/mem.mk: benchmarks of llt/objpool and llt/arena.
