## tests/: Check suites, one program per module, run by `make check`.
