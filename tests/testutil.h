/* Helpers shared by the Check suites. */
#ifndef LLT_TESTUTIL_H
#define LLT_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <llt/cpu.h>

/* Check records the location of every PASSING assertion (_mark_point: a
 * write(2) to its result pipe or file), so suites that assert inside loops
 * over millions of items spent most of their time in the kernel: 6M writes
 * in check_clock's read loop, 2.7M in check_hist, 1.2M in check_sched,
 * enough to hit the test timeout on a loaded 2-core machine (and to slow
 * every concurrency test into a different, syscall-bound regime).  Here a
 * passing assertion marks nothing; a failing one still reports its own file
 * and line, and a crash or timeout is reported at the test's start (or an
 * explicit llt_test_mark()) instead of at the last passing assertion.
 * check.h is included above, so its declaration of _mark_point is not
 * renamed by this macro. */
static inline void llt_test_no_mark(const char *file, int line)
{
	(void)file;
	(void)line;
}
#define _mark_point(file, line) llt_test_no_mark(file, line)
/* The real location mark, for a test that wants one before a long step. */
#define llt_test_mark() (_mark_point)(__FILE__, __LINE__)

/* Defined when the program is built with AddressSanitizer (gcc or clang). */
#if defined(__SANITIZE_ADDRESS__)
#  define LLT_TEST_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define LLT_TEST_ASAN 1
#  endif
#endif

/* Automake's harness: 77 = skipped, 99 = hard error. */
#define LLT_TEST_SKIP 77

static inline void llt_test_skip(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(LLT_TEST_SKIP);
}

/* Under qemu-user (.ci/qemu-run sets LLT_TEST_QEMU to the emulator's path):
 * the emulated CPU's ID registers, the host's /sys and the emulator's speed
 * are not the target's, so the few checks that depend on them skip, under
 * qemu only, saying why. */
static inline const char *llt_test_qemu(void)
{
	const char *q = getenv("LLT_TEST_QEMU");
	return q && *q ? q : NULL;
}

/* Re-execute this test program with argv {arg0, arg1, arg2}, by the path
 * readlink("/proc/self/exe") gives: under valgrind and qemu-user that is
 * the test program, while exec of /proc/self/exe itself would start the
 * emulator or valgrind's tool binary.  Under qemu the emulator is started
 * again on the program (without binfmt_misc the kernel cannot run an
 * aarch64 file).  Returns only on failure. */
static inline void llt_test_exec_self(const char *arg0, const char *arg1, const char *arg2)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0 || (size_t)n >= sizeof self - 1)
		strcpy(self, "/proc/self/exe");
	else
		self[n] = '\0';
	const char *qemu = llt_test_qemu();
	if (qemu && *qemu == '/')
		execl(qemu, qemu, "-0", arg0, self, arg1, arg2, (char *)NULL);
	else
		execl(self, arg0, arg1, arg2, (char *)NULL);
}

/* Scale iteration counts down under sanitizers and valgrind
 * (LLT_TEST_SCALE=0.1 runs a tenth). */
static inline double llt_test_scale(void)
{
	const char *s = getenv("LLT_TEST_SCALE");
	double v = s ? atof(s) : 1.0;
	return v > 0 ? v : 1.0;
}

static inline int llt_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static inline uint64_t llt_test_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of the whole process. */
static inline uint64_t llt_test_process_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64* (Vigna), one state per thread. */
static inline uint64_t llt_test_rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* A random pause for concurrency tests: mostly none, sometimes a short
 * spin, rarely a sleep long enough for the other side to park. */
static inline void llt_test_pause_maybe(uint64_t *s)
{
	uint64_t r = llt_test_rnd(s) % 100000;
	if (r < 3) {
		struct timespec ts = {0, (long)(20000 + llt_test_rnd(s) % 200000)};
		nanosleep(&ts, NULL);
	} else if (r < 300) {
		for (uint64_t i = llt_test_rnd(s) % 2000; i; i--)
			llt_cpu_relax();
	}
}

/* Cases that need a fresh process (the clock chooses its source once per
 * process) re-execute the test program: `prog --child NAME` runs the
 * function of that name from the program's table and exits with its
 * result.  env is a NULL-terminated list of "NAME=value" or "NAME" (unset). */
struct llt_test_child {
	const char *name;
	int (*fn)(void);
};

static inline int llt_test_child_main(int argc, char **argv, const struct llt_test_child *table)
{
	if (argc != 3 || strcmp(argv[1], "--child") != 0)
		return -1;
	for (; table->name; table++)
		if (!strcmp(table->name, argv[2]))
			return table->fn();
	return 98;
}

static inline void llt_test_in_child(const char *name, const char *const *env)
{
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (; env && *env; env++) {
			const char *eq = strchr(*env, '=');
			if (eq) {
				char var[64];
				snprintf(var, sizeof var, "%.*s", (int)(eq - *env), *env);
				setenv(var, eq + 1, 1);
			} else {
				unsetenv(*env);
			}
		}
		llt_test_exec_self("llt-test-child", "--child", name);
		_exit(97);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "child %s died with signal %d", name, WTERMSIG(st));
	ck_assert_msg(WEXITSTATUS(st) == 0, "child %s: check %d failed", name, WEXITSTATUS(st));
}

#endif
