/* llt/clock on the cycle counter: cross-CPU order, calibration files,
 * applying a rate.  Skipped where auto mode does not choose the counter
 * (no invariant counter, or it failed the start-up checks), and the
 * cross-CPU cases need two allowed CPUs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* when built outside configure's config.h */
#endif
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>

#include "testutil.h"

static int cpus[2];
static const char *const env_default[] = {"LLT_CLOCK", "LLT_CLOCK_FILE=", NULL};
static int ncpus;

/* Ping-pong a timestamp between two pinned threads: whatever one CPU read
 * before the hand-off, the other must not read anything smaller after it. */
struct pingpong {
	uint64_t stamp;  /* written then published with turn */
	int turn;        /* whose move: 0 or 1; 2 = stop */
	uint64_t rounds;
	uint64_t backwards;
};

struct player_arg {
	struct pingpong *pp;
	int me;
	int cpu;
};

static void *play(void *p)
{
	struct player_arg *a = p;
	struct pingpong *pp = a->pp;
	if (llt_cpu_pin(a->cpu) != 0)
		return (void *)1;
	for (uint64_t i = 0; i < pp->rounds; i++) {
		int t;
		/* Acquire pairs with the other player's release below. */
		while ((t = __atomic_load_n(&pp->turn, __ATOMIC_ACQUIRE)) != a->me)
			llt_cpu_relax();
		uint64_t now = llt_clock_start();
		if (now < pp->stamp)
			pp->backwards++;
		pp->stamp = llt_clock_end();
		__atomic_store_n(&pp->turn, 1 - a->me, __ATOMIC_RELEASE);
	}
	return NULL;
}

START_TEST(ordered_across_cpus)
{
	if (ncpus < 2)
		return; /* one CPU: nothing to compare */
	struct pingpong pp = {.stamp = 0, .turn = 0, .rounds = (uint64_t)(200000 * llt_test_scale())};
	struct player_arg a[2] = {{&pp, 0, cpus[0]}, {&pp, 1, cpus[1]}};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, play, &a[i]), 0);
	for (int i = 0; i < 2; i++) {
		void *ret;
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_uint_eq(pp.backwards, 0);
}
END_TEST

START_TEST(sync_check_reports)
{
	struct llt_clock_sync sync;
	ck_assert_int_eq(llt_clock_check_sync(20, &sync), 0);
	ck_assert_uint_eq(sync.cpus, (unsigned)(ncpus < 8 ? ncpus : 8));
	if (ncpus >= 2)
		ck_assert_uint_gt(sync.samples, 100);
	ck_assert_uint_eq(sync.warps, 0);
	ck_assert_uint_eq(sync.max_warp, 0);
	struct llt_clock_info info;
	ck_assert_int_eq(llt_clock_info(&info), 0);
	if (ncpus >= 2) {
		ck_assert(info.sync_checked && info.synced);
		ck_assert_uint_ge(info.sync_cpus, 2);
	}
}
END_TEST

START_TEST(calibration_agrees)
{
	struct llt_clock_info info;
	struct llt_clock_cal cal;
	ck_assert_int_eq(llt_clock_info(&info), 0);
	ck_assert_int_eq(llt_clock_calibrate(50, &cal), 0);
	double ppm = (cal.hz - info.hz) / info.hz * 1e6;
	ck_assert_msg(fabs(ppm) < 1000, "50 ms calibration %.3f Hz vs %.3f Hz in use (%.1f ppm)", cal.hz, info.hz, ppm);
	ck_assert(cal.ppm_error > 0 && cal.ppm_error < 1000);
	ck_assert_uint_ge(cal.duration_ns, 50000000);
	ck_assert(cal.cpu[0] != '\0');
}
END_TEST

static char calpath[128];

/* Which rate sources are "exact" (preferred to a saved file). */
static int exact(enum llt_clock_rate_source r)
{
	return r == LLT_CLOCK_RATE_CPUID || r == LLT_CLOCK_RATE_HYPERVISOR || r == LLT_CLOCK_RATE_KERNEL ||
	       r == LLT_CLOCK_RATE_CNTFRQ;
}

static int child_uses_saved(void)
{
	struct llt_clock_info info;
	if (llt_clock_init(LLT_CLOCK_MODE_AUTO) || llt_clock_info(&info))
		return 1;
	if (info.rate_source != LLT_CLOCK_RATE_SAVED && !exact(info.rate_source))
		return 2;
	return 0;
}

static int child_rejects_saved(void)
{
	struct llt_clock_info info;
	if (llt_clock_init(LLT_CLOCK_MODE_AUTO) || llt_clock_info(&info))
		return 1;
	return info.rate_source == LLT_CLOCK_RATE_SAVED ? 2 : 0;
}

START_TEST(saved_calibration_is_used_when_it_fits)
{
	snprintf(calpath, sizeof calpath, "/tmp/llt-cal-%ld", (long)getpid());
	struct llt_clock_cal cal;
	ck_assert_int_eq(llt_clock_calibrate(100, &cal), 0);
	ck_assert_int_eq(llt_clock_cal_save(&cal, calpath), 0);
	char file_env[160];
	snprintf(file_env, sizeof file_env, "LLT_CLOCK_FILE=%s", calpath);
	const char *const env[] = {"LLT_CLOCK", file_env, NULL};
	llt_test_in_child("uses_saved", env);

	/* 1% off: not this machine's rate, so it is measured instead. */
	struct llt_clock_cal wrong = cal;
	wrong.hz *= 1.01;
	ck_assert_int_eq(llt_clock_cal_save(&wrong, calpath), 0);
	llt_test_in_child("rejects_saved", env);

	/* Another CPU model: ignored. */
	wrong = cal;
	snprintf(wrong.cpu, sizeof wrong.cpu, "Some Other CPU");
	ck_assert_int_eq(llt_clock_cal_save(&wrong, calpath), 0);
	llt_test_in_child("rejects_saved", env);
	unlink(calpath);
}
END_TEST

static int child_apply(void)
{
	struct llt_clock_info info;
	struct llt_clock_cal cal;
	if (llt_clock_init(LLT_CLOCK_MODE_AUTO) || llt_clock_info(&info))
		return 1;
	cal = (struct llt_clock_cal){.hz = info.hz * 2, .ppm_error = 1};
	if (llt_clock_apply(&cal))
		return 2;
	struct llt_clock_info after;
	if (llt_clock_info(&after) || after.rate_source != LLT_CLOCK_RATE_APPLIED || after.hz != cal.hz)
		return 3;
	/* Twice the rate: half the nanoseconds per tick. */
	uint64_t t = UINT64_C(1) << 40;
	double ratio = (double)llt_clock_to_ns(t) / ((double)t * 1e9 / info.hz);
	if (fabs(ratio - 0.5) > 1e-6)
		return 4;
	return 0;
}

START_TEST(apply_changes_the_rate)
{
	llt_test_in_child("apply", env_default);
}
END_TEST

static int child_counter_mode(void)
{
	struct llt_clock_info info;
	if (llt_clock_init(LLT_CLOCK_MODE_COUNTER) || llt_clock_info(&info))
		return 1;
	return info.source == LLT_CLOCK_SOURCE_MONOTONIC ? 2 : 0;
}

START_TEST(counter_mode)
{
	llt_test_in_child("counter_mode", env_default);
}
END_TEST

static const struct llt_test_child children[] = {
	{"uses_saved", child_uses_saved},
	{"rejects_saved", child_rejects_saved},
	{"apply", child_apply},
	{"counter_mode", child_counter_mode},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	int r = llt_test_child_main(argc, argv, children);
	if (r >= 0)
		return r;
	struct llt_clock_info info;
	setenv("LLT_CLOCK_FILE", "", 1);
	unsetenv("LLT_CLOCK");
	if (llt_clock_init(LLT_CLOCK_MODE_AUTO) || llt_clock_info(&info))
		return 99;
	if (info.source == LLT_CLOCK_SOURCE_MONOTONIC) {
		char why[256];
		snprintf(why, sizeof why, "auto mode does not use the counter here: %s", info.reason);
		llt_test_skip(why);
	}
	struct llt_cpu_topology *t;
	if (llt_cpu_topology_create(&t))
		return 99;
	int all[1024];
	int n = llt_cpu_topology_allowed(t, all, 1024);
	llt_cpu_topology_free(t);
	ncpus = n;
	cpus[0] = all[0];
	cpus[1] = n > 1 ? all[1] : all[0];
	printf("clock: %s at %.3f MHz (%s)\n", llt_clock_source_name(info.source), info.hz / 1e6, info.reason);

	Suite *s = suite_create("clock_counter");
	TCase *tc = tcase_create("counter");
	tcase_add_test(tc, ordered_across_cpus);
	tcase_add_test(tc, sync_check_reports);
	tcase_add_test(tc, calibration_agrees);
	tcase_add_test(tc, saved_calibration_is_used_when_it_fits);
	tcase_add_test(tc, apply_changes_the_rate);
	tcase_add_test(tc, counter_mode);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
