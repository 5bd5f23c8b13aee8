## tests/: the portability and verification matrix (issue 10): the ABI
## baseline and the config.h test (both in make check), static analysis
## (make lint), the bounded fuzz pass (make check-fuzz) and memcheck
## (make check-valgrind).  .ci/*.sh run them in CI; README "Matrix".

# ---------------------------------------------------------------- ABI
# The exported symbols against tests/abi/<soname>.symbols.
TESTS += tests/check_abi.sh
EXTRA_DIST += tests/check_abi.sh tests/abi/libllt.so.1.symbols
READELF = readelf
# Rewrites the baseline from the library just built: only for a deliberate
# ABI change (a removal or a changed data size also needs a new SONAME).
abi-baseline: lib/libllt.la
	top_builddir=$(top_builddir) top_srcdir=$(top_srcdir) READELF='$(READELF)' \
	  $(SHELL) $(top_srcdir)/tests/check_abi.sh --print > $(top_srcdir)/tests/abi/libllt.so.$(LLT_SOVERSION).symbols
	@echo "updated $(top_srcdir)/tests/abi/libllt.so.$(LLT_SOVERSION).symbols: review the diff and commit it"
.PHONY: abi-baseline

# ---------------------------------------------------------------- config.h
# The installed llt/config.h holds no build-host facts.
TESTS += tests/check_config_h.sh
EXTRA_DIST += tests/check_config_h.sh

# ---------------------------------------------------------------- lint
# cppcheck and clang-tidy over lib/ and tools/ with the checked-in
# configuration: .clang-tidy and .cppcheck-suppressions.xml (each
# suppression says why).  Any finding fails.  LINT_JOBS files at a time.
CPPCHECK = cppcheck
CLANG_TIDY = clang-tidy
LINT_JOBS = 2
EXTRA_DIST += .clang-tidy tools/.clang-tidy .cppcheck-suppressions.xml
LINT_INCLUDES = -include $(top_builddir)/config.h -I$(top_builddir) \
	-I$(top_builddir)/include -I$(top_srcdir)/include -I$(top_srcdir)/lib -I$(top_srcdir)/tools \
	-D_GNU_SOURCE -DNDEBUG
LINT_FILES = $(lib_libllt_la_SOURCES) $(tools_llt_clockcal_SOURCES) \
	$(tools_llt_logcat_SOURCES) $(tools_llt_demo_SOURCES)
lint: lint-cppcheck lint-clang-tidy
lint-cppcheck: all
	@files=; for f in $(LINT_FILES); do case $$f in *.c) files="$$files $(top_srcdir)/$$f";; esac; done; \
	files=`printf '%s\n' $$files | LC_ALL=C sort -u`; \
	echo "cppcheck: `echo $$files | wc -w` files"; \
	$(CPPCHECK) -q -j$(LINT_JOBS) --std=c11 --language=c --enable=warning,portability,performance \
	  --inline-suppr --suppress-xml=$(top_srcdir)/.cppcheck-suppressions.xml \
	  --error-exitcode=1 --max-configs=1 \
	  --template='{file}:{line}: {severity} [{id}] {message}' \
	  -D__GNUC__=12 -D__linux__ -D__x86_64__ $(LINT_INCLUDES) $$files
lint-clang-tidy: all
	@files=; for f in $(LINT_FILES); do case $$f in *.c) files="$$files $(top_srcdir)/$$f";; esac; done; \
	files=`printf '%s\n' $$files | LC_ALL=C sort -u`; \
	echo "clang-tidy: `echo $$files | wc -w` files, config $(top_srcdir)/.clang-tidy, tools/.clang-tidy"; \
	printf '%s\n' $$files | xargs -P $(LINT_JOBS) -I{} \
	  $(CLANG_TIDY) --quiet {} -- -std=gnu11 -pthread $(LINT_INCLUDES)
.PHONY: lint lint-cppcheck lint-clang-tidy

# ---------------------------------------------------------------- fuzz
# Both libFuzzer targets (tests/hist.mk, tests/log.mk) for FUZZ_SECONDS
# each, with clang (FUZZ_CC); not part of make check.  Corpora grow in
# tests/fuzz/*.run/ and crash/leak/timeout inputs land in the build
# directory: both are .gitignored.
check-fuzz:
	$(MAKE) $(AM_MAKEFLAGS) fuzz-hist FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CC=$(FUZZ_CC)
	$(MAKE) $(AM_MAKEFLAGS) fuzz-log FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CC=$(FUZZ_CC)
.PHONY: check-fuzz

# ---------------------------------------------------------------- valgrind
# memcheck over the single-threaded suites, Check's fork mode off so that
# valgrind follows every test in one process.  The test programs are
# relinked with -no-install so they are ELF files, not libtool wrappers.
VALGRIND = valgrind
VALGRIND_TESTS = tests/check_version tests/check_cpu tests/check_clock tests/check_arena tests/check_hist
VALGRIND_FLAGS = --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --track-origins=yes --quiet
check-valgrind:
	rm -f $(VALGRIND_TESTS)
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(VALGRIND_TESTS)' LDFLAGS='$(LDFLAGS) -no-install' \
	  LOG_COMPILER='$(VALGRIND)' AM_LOG_FLAGS='$(VALGRIND_FLAGS)' CK_FORK=no \
	  LLT_TEST_SCALE=$${LLT_TEST_SCALE:-0.1} CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-10}
	rm -f $(VALGRIND_TESTS)
.PHONY: check-valgrind
