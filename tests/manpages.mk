## tests/manpages.mk: the man pages agree with headers, map and library.
TESTS += tests/check_manpages.sh
EXTRA_DIST += tests/check_manpages.sh
