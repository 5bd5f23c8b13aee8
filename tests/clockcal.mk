## tests/clockcal.mk: llt-clockcal's command line, exit status and JSON report.
TESTS += tests/check_clockcal.sh
EXTRA_DIST += tests/check_clockcal.sh
