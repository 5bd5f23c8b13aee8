/* llt/clock: reads, conversions, modes, calibration files, the wall-clock
 * anchor.  Counter-specific and cross-CPU cases are in check_clock_counter.c.
 *
 * The clock chooses its source once per process, so every case that needs
 * a particular mode runs in a child process of its own (in_child). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* when built outside configure's config.h */
#endif
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <llt/clock.h>
#include <llt/cpu.h>

#include "testutil.h"

static uint64_t raw_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

START_TEST(reads_are_monotonic)
{
	uint64_t prev = llt_clock_now();
	long n = (long)(2000000 * llt_test_scale());
	for (long i = 0; i < n; i++) {
		uint64_t a = llt_clock_now(), b = llt_clock_start(), c = llt_clock_end();
		ck_assert_uint_ge(a, prev);
		ck_assert_uint_ge(b, a);
		ck_assert_uint_ge(c, b);
		prev = c;
	}
	uint64_t ns0 = llt_clock_now_ns();
	ck_assert_uint_ge(llt_clock_now_ns(), ns0);
}
END_TEST

/* ticks -> ns within 1% of CLOCK_MONOTONIC_RAW over 200 ms. */
START_TEST(rate_matches_monotonic_raw)
{
	uint64_t t0 = llt_clock_start(), r0 = raw_ns();
	struct timespec ts = {0, 200000000};
	while (nanosleep(&ts, &ts) != 0)
		;
	uint64_t t1 = llt_clock_end(), r1 = raw_ns();
	double got = (double)llt_clock_to_ns(t1 - t0), want = (double)(r1 - r0);
	ck_assert_msg(fabs(got - want) / want < 0.01, "clock %.0f ns vs CLOCK_MONOTONIC_RAW %.0f ns", got, want);
}
END_TEST

/* Conversions at the boundaries, against the rate the library reports. */
START_TEST(conversion_exact)
{
	struct llt_clock_info info;
	ck_assert_int_eq(llt_clock_info(&info), 0);
	ck_assert(info.hz > 0);
	ck_assert_uint_eq(llt_clock_to_ns(0), 0);
	ck_assert_uint_eq(llt_clock_from_ns(0), 0);
	/* The fixed-point multiplier itself is within half a unit of 1e9/hz. */
	double exact_mult = ldexp(1e9 / info.hz, 32);
	ck_assert(fabs((double)info.mult - exact_mult) <= 0.5 + exact_mult * 1e-15);
	const uint64_t ticks[] = {1, 2, 3, 1000, 999999, UINT64_C(1) << 32, UINT64_C(1) << 40,
				  (UINT64_C(1) << 40) + 1, UINT64_C(1) << 52, UINT64_C(123456789012345)};
	for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
		long double ref = (long double)ticks[i] * 1e9L / (long double)info.hz;
		long double got = (long double)llt_clock_to_ns(ticks[i]);
		/* Within 1 ns per second of interval, plus the 1 ns truncation. */
		long double tol = 1.0L + ref / 1e9L;
		ck_assert_msg(fabsl(got - ref) <= tol, "%llu ticks: %.3Lf ns, want %.3Lf",
			      (unsigned long long)ticks[i], got, ref);
		/* and back: to_ns truncates up to 1 ns, which is hz/1e9 ticks. */
		long double back = (long double)llt_clock_from_ns((uint64_t)got);
		ck_assert_msg(fabsl(back - (long double)ticks[i]) <= info.hz / 1e9 + 2.0L + (long double)ticks[i] * 1e-9L,
			      "%llu ticks -> %.0Lf ns -> %.0Lf ticks", (unsigned long long)ticks[i], got, back);
	}
	/* Linear: to_ns(a + b) is to_ns(a) + to_ns(b) within the truncation. */
	uint64_t a = UINT64_C(1) << 40, b = 12345;
	int64_t d = (int64_t)(llt_clock_to_ns(a + b) - llt_clock_to_ns(a) - llt_clock_to_ns(b));
	ck_assert(d >= -1 && d <= 1);
}
END_TEST

START_TEST(info_is_consistent)
{
	struct llt_clock_info info;
	ck_assert_int_eq(llt_clock_info(NULL), -EINVAL);
	ck_assert_int_eq(llt_clock_info(&info), 0);
	ck_assert_ptr_nonnull(llt_clock_source_name(info.source));
	ck_assert_ptr_nonnull(llt_clock_mode_name(info.mode));
	ck_assert_ptr_null(llt_clock_source_name((enum llt_clock_source)42));
	ck_assert_ptr_null(llt_clock_mode_name((enum llt_clock_mode)42));
	ck_assert(info.source != LLT_CLOCK_SOURCE_NONE);
	ck_assert(strlen(info.reason) > 0);
	ck_assert_int_eq(info.hypervisor, llt_cpu_has(LLT_CPU_HYPERVISOR));
	ck_assert_int_eq(info.hypervisor, info.hypervisor_name[0] != '\0');
	ck_assert(info.ppm_error >= 0);
	if (info.source == LLT_CLOCK_SOURCE_MONOTONIC) {
		ck_assert(info.hz == 1e9);
		ck_assert_uint_eq(info.mult, UINT64_C(1) << 32);
		ck_assert_int_eq(info.rate_source, LLT_CLOCK_RATE_EXACT);
	} else {
		ck_assert(info.has_counter);
		ck_assert(info.rate_source != LLT_CLOCK_RATE_NONE && info.rate_source != LLT_CLOCK_RATE_EXACT);
	}
	/* The kernel's clocksource is reported as sysfs has it. */
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		char cs[64] = "";
		ck_assert_ptr_nonnull(fgets(cs, sizeof cs, f));
		fclose(f);
		cs[strcspn(cs, "\n")] = '\0';
		ck_assert_str_eq(info.kernel_clocksource, cs);
	}
}
END_TEST

/* No mode from the environment, and no system calibration file. */
static const char *const env_default[] = {"LLT_CLOCK", "LLT_CLOCK_FILE=", NULL};

static int child_monotonic(void)
{
	struct llt_clock_info info;
	if (llt_clock_init(LLT_CLOCK_MODE_MONOTONIC) != 0)
		return 1;
	if (llt_clock_info(&info) || info.source != LLT_CLOCK_SOURCE_MONOTONIC ||
	    info.mode != LLT_CLOCK_MODE_MONOTONIC)
		return 2;
	/* 1 tick = 1 ns exactly, and readings are CLOCK_MONOTONIC_RAW. */
	if (llt_clock_to_ns(UINT64_C(1) << 40) != UINT64_C(1) << 40 || llt_clock_from_ns(12345) != 12345)
		return 3;
	uint64_t a = raw_ns(), t = llt_clock_now(), b = raw_ns();
	if (t < a || t > b)
		return 4;
	/* A rate cannot be applied to nanoseconds. */
	struct llt_clock_cal cal = {.hz = 2e9};
	if (llt_clock_apply(&cal) != -ENOTSUP)
		return 5;
	/* Asking for another mode once chosen is refused; auto is fine. */
	if (llt_clock_init(LLT_CLOCK_MODE_COUNTER) != -EBUSY || llt_clock_init(LLT_CLOCK_MODE_AUTO) != 0 ||
	    llt_clock_init(LLT_CLOCK_MODE_MONOTONIC) != 0)
		return 6;
	return 0;
}

START_TEST(mode_monotonic)
{
	llt_test_in_child("monotonic", env_default);
}
END_TEST

static int child_env_monotonic(void)
{
	struct llt_clock_info info;
	(void)llt_clock_now(); /* the first read initialises, honouring LLT_CLOCK */
	if (llt_clock_info(&info) || info.source != LLT_CLOCK_SOURCE_MONOTONIC ||
	    info.mode != LLT_CLOCK_MODE_MONOTONIC)
		return 1;
	return 0;
}

static int child_env_ignored_by_explicit_mode(void)
{
	struct llt_clock_info info;
	if (llt_clock_init(LLT_CLOCK_MODE_STRICT) || llt_clock_info(&info) || info.mode != LLT_CLOCK_MODE_STRICT)
		return 1;
	/* Strict follows the kernel: the counter only when it is the clocksource. */
	if ((info.source != LLT_CLOCK_SOURCE_MONOTONIC) != info.kernel_uses_counter)
		return 2;
	return 0;
}

static int child_env_garbage(void)
{
	struct llt_clock_info info;
	if (llt_clock_init(LLT_CLOCK_MODE_AUTO) || llt_clock_info(&info) || info.mode != LLT_CLOCK_MODE_AUTO)
		return 1;
	return strstr(info.reason, "not understood") ? 0 : 2;
}

START_TEST(mode_from_environment)
{
	static const char *const mono[] = {"LLT_CLOCK=monotonic", "LLT_CLOCK_FILE=", NULL};
	static const char *const junk[] = {"LLT_CLOCK=sundial", "LLT_CLOCK_FILE=", NULL};
	llt_test_in_child("env_monotonic", mono);
	llt_test_in_child("env_ignored", mono);
	llt_test_in_child("env_garbage", junk);
}
END_TEST

START_TEST(init_bad_mode)
{
	ck_assert_int_eq(llt_clock_init((enum llt_clock_mode)4), -EINVAL);
	ck_assert_int_eq(llt_clock_init((enum llt_clock_mode)-1), -EINVAL);
}
END_TEST

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/llt-clock-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(cal_file_round_trip)
{
	make_tmpdir();
	char path[128];
	snprintf(path, sizeof path, "%s/cal", tmpdir);
	struct llt_clock_cal cal = {.hz = 2596120345.125, .ppm_error = 0.25, .duration_ns = 1000000000,
				    .realtime_sec = 1790000000, .cpu = "Test CPU @ 2.6GHz"};
	ck_assert_int_eq(llt_clock_cal_save(&cal, path), 0);
	struct llt_clock_cal back;
	ck_assert_int_eq(llt_clock_cal_load(path, &back), 0);
	ck_assert(fabs(back.hz - cal.hz) < 0.001);
	ck_assert(fabs(back.ppm_error - cal.ppm_error) < 1e-4);
	ck_assert_uint_eq(back.duration_ns, cal.duration_ns);
	ck_assert_int_eq(back.realtime_sec, cal.realtime_sec);
	ck_assert_str_eq(back.cpu, cal.cpu);

	/* Bad input changes nothing and says why. */
	struct llt_clock_cal bad = cal;
	bad.hz = 0;
	ck_assert_int_eq(llt_clock_cal_save(&bad, path), -EINVAL);
	bad.hz = NAN;
	ck_assert_int_eq(llt_clock_cal_save(&bad, path), -EINVAL);
	bad = cal;
	bad.ppm_error = -1;
	ck_assert_int_eq(llt_clock_cal_save(&bad, path), -EINVAL);
	ck_assert_int_eq(llt_clock_cal_save(NULL, path), -EINVAL);
	ck_assert_int_eq(llt_clock_cal_save(&cal, NULL), -EINVAL);
	ck_assert_int_eq(llt_clock_cal_save(&cal, ""), -EINVAL);
	ck_assert_int_eq(llt_clock_cal_save(&cal, "/nonexistent-dir/x/cal"), -ENOENT);
	ck_assert_int_eq(llt_clock_cal_load(path, &back), 0); /* still the good file */
	ck_assert(fabs(back.hz - cal.hz) < 0.001);

	char missing[160];
	snprintf(missing, sizeof missing, "%s/none", tmpdir);
	memset(&back, 0x5a, sizeof back);
	ck_assert_int_eq(llt_clock_cal_load(missing, &back), -ENOENT);
	ck_assert_int_eq(llt_clock_cal_load(NULL, &back), -EINVAL);
	ck_assert_int_eq(llt_clock_cal_load(path, NULL), -EINVAL);

	static const char *const corrupt[] = {
		"",                                        /* empty */
		"version 2\nhz 1000000000\n",              /* future version */
		"version 1\n",                             /* no rate */
		"version 1\nhz fast\n",                    /* not a number */
		"version 1\nhz 1e9x\n",                    /* trailing junk */
		"version 1\nhz -5\n",                      /* negative */
		"version 1\nhz 1e9\nppm_error nan\n",      /* not finite */
		"hz 1e9\n",                                /* no version */
		"version1\nhz 1e9\n",                      /* no separator */
		"version 1\nhz 1e9\nduration_ns -5\n",    /* signed */
		"version 1\nhz 1e9\nduration_ns \n",      /* empty */
		"version 1\nhz  1e9\n",                    /* padded */
		"\177ELF\x02\x01\x01",                    /* not text */
	};
	char cpath[160];
	snprintf(cpath, sizeof cpath, "%s/corrupt", tmpdir);
	for (size_t i = 0; i < sizeof corrupt / sizeof corrupt[0]; i++) {
		write_file(cpath, corrupt[i]);
		memset(&back, 0x5a, sizeof back);
		ck_assert_msg(llt_clock_cal_load(cpath, &back) == -EINVAL, "corrupt file %zu accepted", i);
		ck_assert_uint_eq(back.duration_ns, UINT64_C(0x5a5a5a5a5a5a5a5a)); /* untouched */
	}
	/* Comments and unknown keys (from a newer writer) are fine. */
	write_file(cpath, "# hello\nversion 1\nhz 3000000000\nfuture_key 7\n");
	ck_assert_int_eq(llt_clock_cal_load(cpath, &back), 0);
	ck_assert(back.hz == 3e9);
	unlink(cpath);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

/* The file is locale-independent: written under a comma-decimal locale,
 * it still loads in the C locale.  Compiling a locale takes seconds, hence
 * a test case (and timeout) of its own. */
START_TEST(cal_file_locale)
{
	make_tmpdir();
	char path[128];
	snprintf(path, sizeof path, "%s/cal", tmpdir);
	struct llt_clock_cal cal = {.hz = 2596120345.125, .ppm_error = 0.25, .duration_ns = 1000000000,
				    .realtime_sec = 1790000000, .cpu = "Test CPU @ 2.6GHz"};
	struct llt_clock_cal back;
	if (!setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
		/* Not installed: compile it from the locales package's source. */
		char cmd[256];
		snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", tmpdir);
		if (system(cmd) == 0) {
			setenv("LOCPATH", tmpdir, 1);
			setlocale(LC_NUMERIC, "de_DE.UTF-8");
		}
	}
	struct lconv *lc = localeconv();
	if (lc && !strcmp(lc->decimal_point, ",")) {
		ck_assert_int_eq(llt_clock_cal_save(&cal, path), 0);
		ck_assert_int_eq(llt_clock_cal_load(path, &back), 0); /* under the same locale */
		ck_assert(fabs(back.hz - cal.hz) < 0.001);
		setlocale(LC_NUMERIC, "C");
		ck_assert_int_eq(llt_clock_cal_load(path, &back), 0);
		ck_assert(fabs(back.hz - cal.hz) < 0.001);
	} else {
		printf("note: no de_DE locale (install 'locales'); locale case not run\n");
	}
	char rm[128];
	snprintf(rm, sizeof rm, "rm -rf %s/de_DE.UTF-8", tmpdir);
	if (system(rm) != 0)
		printf("note: could not remove %s/de_DE.UTF-8\n", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

START_TEST(cal_default_path)
{
	setenv("LLT_CLOCK_FILE", "/some/where", 1);
	ck_assert_str_eq(llt_clock_cal_default_path(), "/some/where");
	setenv("LLT_CLOCK_FILE", "", 1);
	ck_assert_ptr_null(llt_clock_cal_default_path());
	unsetenv("LLT_CLOCK_FILE");
	const char *p = llt_clock_cal_default_path();
	ck_assert_ptr_nonnull(p);
	ck_assert(p[0] == '/');
	ck_assert_ptr_nonnull(strstr(p, "/lib/libllt/clock"));
}
END_TEST

START_TEST(calibrate_bad_input)
{
	struct llt_clock_cal cal;
	ck_assert_int_eq(llt_clock_calibrate(0, &cal), -EINVAL);
	ck_assert_int_eq(llt_clock_calibrate(10, NULL), -EINVAL);
	ck_assert_int_eq(llt_clock_calibrate(3600u * 1000u + 1, &cal), -EINVAL);
	ck_assert_int_eq(llt_clock_apply(NULL), -EINVAL);
	struct llt_clock_cal zero = {.hz = 0};
	ck_assert_int_eq(llt_clock_apply(&zero), -EINVAL);
	struct llt_clock_sync sync;
	ck_assert_int_eq(llt_clock_check_sync(0, &sync), -EINVAL);
	ck_assert_int_eq(llt_clock_check_sync(1, NULL), -EINVAL);
	ck_assert_int_eq(llt_clock_anchor(NULL), -EINVAL);
}
END_TEST

START_TEST(anchor_follows_realtime)
{
	struct llt_clock_anchor a;
	ck_assert_int_eq(llt_clock_anchor(&a), 0);
	ck_assert(a.realtime_ns > INT64_C(1500000000) * 1000000000);
	for (int i = 0; i < 3; i++) {
		struct timespec ts;
		uint64_t t = llt_clock_now();
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t rt = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		int64_t got = llt_clock_to_realtime_ns(t);
		ck_assert_msg(llabs(got - rt) < 2000000, "realtime off by %lld ns", (long long)(got - rt));
		/* ticks before the anchor map to earlier times */
		ck_assert_int_lt(llt_clock_to_realtime_ns(a.ticks - 1000), a.realtime_ns);
		ck_assert_int_eq(llt_clock_anchor_refresh(), 0);
		struct llt_clock_anchor b;
		ck_assert_int_eq(llt_clock_anchor(&b), 0);
		ck_assert_uint_ge(b.ticks, a.ticks);
		a = b;
	}
}
END_TEST

static const struct llt_test_child children[] = {
	{"monotonic", child_monotonic},
	{"env_monotonic", child_env_monotonic},
	{"env_ignored", child_env_ignored_by_explicit_mode},
	{"env_garbage", child_env_garbage},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	int r = llt_test_child_main(argc, argv, children);
	if (r >= 0)
		return r;
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("reads");
	tcase_add_test(tc, reads_are_monotonic);
	tcase_add_test(tc, rate_matches_monotonic_raw);
	tcase_add_test(tc, conversion_exact);
	tcase_add_test(tc, info_is_consistent);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tc = tcase_create("modes");
	tcase_add_test(tc, mode_monotonic);
	tcase_add_test(tc, mode_from_environment);
	tcase_add_test(tc, init_bad_mode);
	suite_add_tcase(s, tc);
	tc = tcase_create("calibration");
	tcase_add_test(tc, cal_file_round_trip);
	tcase_add_test(tc, cal_default_path);
	tcase_add_test(tc, calibrate_bad_input);
	tcase_add_test(tc, anchor_follows_realtime);
	suite_add_tcase(s, tc);
	tc = tcase_create("locale");
	tcase_add_test(tc, cal_file_locale);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
