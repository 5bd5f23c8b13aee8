## tests/bench/: benchmarks, built and run by `make bench`, never by check.
