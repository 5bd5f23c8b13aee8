/* llt/cpu placement across CPUs: needs at least two allowed CPUs, else
 * skipped.  The "allowed set" cases re-execute this program under a
 * narrower affinity mask, since libllt captures the set at load. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* when built outside configure's config.h */
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>

#include "testutil.h"

static int allowed[1024];
static int nallowed;
static const char *self_path;

static void *pinned_thread(void *arg)
{
	int cpu = *(int *)arg;
	if (llt_cpu_pin(cpu) != 0)
		return (void *)1;
	/* Stay put while we spin: every sample must be on the pinned CPU. */
	for (int i = 0; i < 100000; i++)
		if (llt_cpu_current() != cpu)
			return (void *)2;
	return NULL;
}

START_TEST(pin_moves_threads)
{
	for (int i = 0; i < nallowed && i < 8; i++) {
		pthread_t th;
		void *ret;
		ck_assert_int_eq(pthread_create(&th, NULL, pinned_thread, &allowed[i]), 0);
		ck_assert_int_eq(pthread_join(th, &ret), 0);
		ck_assert_ptr_null(ret);
	}
}
END_TEST

START_TEST(pin_set_stays_in_set)
{
	int two[2] = {allowed[0], allowed[1]};
	ck_assert_int_eq(llt_cpu_pin_set(two, 2), 0);
	cpu_set_t set;
	ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
	ck_assert_int_eq(CPU_COUNT(&set), 2);
	ck_assert(CPU_ISSET(two[0], &set) && CPU_ISSET(two[1], &set));
	for (int i = 0; i < 1000; i++) {
		int c = llt_cpu_current();
		ck_assert(c == two[0] || c == two[1]);
	}
	/* Pinning elsewhere and back is allowed: "allowed" is the process's
	 * starting set, not the thread's current mask. */
	ck_assert_int_eq(llt_cpu_pin(two[1]), 0);
	ck_assert_int_eq(llt_cpu_pin(two[0]), 0);
	ck_assert_int_eq(llt_cpu_current(), two[0]);
	ck_assert_int_eq(llt_cpu_unpin(), 0);
}
END_TEST

/* Re-run this program with only the first allowed CPU in its mask. */
START_TEST(restricted_set_refuses_other_cpus)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(allowed[0], &one);
		if (sched_setaffinity(0, sizeof one, &one) != 0)
			_exit(3);
		llt_test_exec_self(self_path, "--restricted", NULL);
		_exit(4);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

/* Runs in the re-executed child: exit 0 when every check holds. */
static int restricted_child(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) != 1)
		return 10;
	int only = -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			only = i;
	struct llt_cpu_topology *t;
	if (llt_cpu_topology_create(&t) != 0)
		return 11;
	int cpus[1024];
	int n = llt_cpu_topology_allowed(t, cpus, 1024);
	int count = llt_cpu_topology_count(t);
	llt_cpu_topology_free(t);
	if (n != 1 || cpus[0] != only)
		return 12;
	for (int c = 0; c < count; c++) {
		int want = c == only ? 0 : -EINVAL;
		if (llt_cpu_pin(c) != want || llt_cpu_is_allowed(c) != (c == only))
			return 13;
	}
	int pair[2] = {only, only == 0 ? 1 : 0};
	if (llt_cpu_pin_set(pair, 2) != -EINVAL)
		return 14;
	if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) != 1)
		return 15; /* the refused call changed nothing */
	/* The clock's sync check covers the allowed set only. */
	struct llt_clock_sync sync;
	int r = llt_clock_check_sync(1, &sync);
	if (r == 0 && sync.cpus != 1)
		return 16;
	if (r != 0 && r != -ENOTSUP)
		return 17;
	return 0;
}

int main(int argc, char **argv)
{
	self_path = argv[0];
	if (argc > 1 && !strcmp(argv[1], "--restricted"))
		return restricted_child();
	struct llt_cpu_topology *t;
	if (llt_cpu_topology_create(&t) != 0)
		return 99;
	nallowed = llt_cpu_topology_allowed(t, allowed, 1024);
	llt_cpu_topology_free(t);
	if (nallowed < 2)
		llt_test_skip("needs at least two allowed CPUs");

	Suite *s = suite_create("cpu_pin");
	TCase *tc = tcase_create("placement");
	tcase_add_test(tc, pin_moves_threads);
	tcase_add_test(tc, pin_set_stays_in_set);
	tcase_add_test(tc, restricted_set_refuses_other_cpus);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
