/* Check suite for llt/prof.h. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/prof.h>

#include "testutil.h"

static void spin_ns(uint64_t ns)
{
	uint64_t end = llt_clock_now() + llt_clock_from_ns(ns);
	while ((int64_t)(llt_clock_now() - end) < 0)
		;
}

/* A region whose end is inside this function: the outlier backtrace must
 * name it.  Not static and not inlined, and the program is linked with
 * -rdynamic, so dladdr() finds it. */
void llt_test_slow_region(struct llt_prof_probe *p, uint64_t ns);
__attribute__((noinline, used)) void llt_test_slow_region(struct llt_prof_probe *p, uint64_t ns)
{
	uint64_t t = llt_prof_start();
	spin_ns(ns);
	llt_prof_end(p, t);
	__asm__ __volatile__("" ::: "memory"); /* no tail position */
}

/* Record a synthetic latency: start and end ticks ns apart. */
static void put_ns(struct llt_prof_probe *p, uint64_t start, uint64_t ns, uint64_t tag)
{
	llt_prof_record(p, start, start + llt_clock_from_ns(ns), tag);
}

static char *report_of(struct llt_prof *prof, int width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(llt_prof_report(prof, f, width), 0);
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------ cases */

/* Busy-wait regions of 1 us and 100 us, 99:1: the percentiles land on
 * the right side of the split and the count is exact. */
START_TEST(test_counts_percentiles)
{
	struct llt_prof *prof;
	struct llt_prof_probe *p;
	ck_assert_int_eq(llt_prof_create("t", &prof), 0);
	ck_assert_int_eq(llt_prof_probe_create(prof, "region", NULL, &p), 0);
	for (int i = 0; i < 5000; i++) {
		uint64_t t = llt_prof_start();
		spin_ns(i % 100 == 0 ? 100000 : 1000);
		llt_prof_end(p, t);
	}
	ck_assert_int_eq(llt_prof_snapshot(prof), 0);
	const struct llt_hist *h = llt_prof_probe_hist(p);
	ck_assert_uint_eq(llt_hist_count(h), 5000);
	uint64_t p50 = llt_hist_value_at_percentile(h, 50), p98 = llt_hist_value_at_percentile(h, 98);
	uint64_t p995 = llt_hist_value_at_percentile(h, 99.5);
	ck_assert_msg(p50 >= 1000 && p50 < 20000, "p50 %" PRIu64, p50);
	ck_assert_msg(p98 < 50000, "p98 %" PRIu64, p98);
	ck_assert_msg(p995 >= 100000 && p995 < 100000000, "p99.5 %" PRIu64, p995);
	/* spin_ns(1000) waits whole counter ticks: 992 ns at a 62.5 MHz cntvct. */
	ck_assert_uint_ge(llt_hist_min(h), llt_clock_to_ns(llt_clock_from_ns(1000)));
	struct llt_prof_info info;
	ck_assert_int_eq(llt_prof_probe_info(p, &info), 0);
	ck_assert_str_eq(info.name, "region");
	ck_assert_uint_eq(info.count, 5000);
	ck_assert_uint_eq(info.threads, 1);
	ck_assert_uint_eq(info.intervals, 1);
	/* A second interval adds; reset clears. */
	for (int i = 0; i < 10; i++)
		llt_test_slow_region(p, 1000);
	ck_assert_int_eq(llt_prof_snapshot(prof), 0);
	ck_assert_int_eq(llt_prof_probe_info(p, &info), 0);
	ck_assert_uint_eq(info.count, 5010);
	ck_assert_uint_eq(info.interval_count, 10);
	ck_assert_int_eq(llt_prof_reset(prof), 0);
	ck_assert_uint_eq(llt_hist_count(llt_prof_probe_hist(p)), 0);
	llt_prof_free(prof);
}
END_TEST

START_TEST(test_outlier_backtrace)
{
	struct llt_prof *prof;
	struct llt_prof_probe *p;
	struct llt_prof_probe_attr a = { .outlier_ns = 50000 };
	ck_assert_int_eq(llt_prof_create("t", &prof), 0);
	ck_assert_int_eq(llt_prof_probe_create(prof, "slow", &a, &p), 0);
	for (int i = 0; i < 200; i++) {
		uint64_t t = llt_prof_start();
		spin_ns(200);
		llt_prof_end(p, t);
		if (i % 40 == 0)
			llt_test_slow_region(p, 200000);
	}
	ck_assert_int_eq(llt_prof_snapshot(prof), 0);
	struct llt_prof_info info;
	ck_assert_int_eq(llt_prof_probe_info(p, &info), 0);
	ck_assert_uint_eq(info.outlier_ns, 50000);
	/* the 5 slow ones, and maybe a fast one the machine preempted */
	ck_assert_uint_ge(info.outliers, 5);
	char *rep = report_of(prof, 100);
	if (!llt_prof_backtraces_enabled()) {
		printf("outlier backtrace case skipped: libllt was built without libunwind\n");
		ck_assert_ptr_nonnull(strstr(rep, "backtraces are off"));
		ck_assert_ptr_nonnull(strstr(rep, "backtraces off"));
		free(rep);
		llt_prof_free(prof);
		return;
	}
	struct llt_prof_stack st[8];
	ssize_t n = llt_prof_probe_stacks(p, st, 8);
	ck_assert_int_ge(n, 1);
	bool named = false;
	uint64_t slow = 0;
	for (ssize_t i = 0; i < n; i++) {
		char sym[256];
		ck_assert_uint_ge(st[i].depth, 2);
		if (llt_prof_symbol(st[i].ip[0], sym, sizeof sym) == 0 && strstr(sym, "llt_test_slow_region")) {
			named = true;
			slow += st[i].count;
			ck_assert_uint_ge(st[i].min_ns, 200000);
		}
	}
	ck_assert_msg(named, "no outlier stack names llt_test_slow_region");
	ck_assert_uint_eq(slow, 5);
	ck_assert_ptr_nonnull(strstr(rep, "llt_test_slow_region"));
	ck_assert_ptr_nonnull(strstr(rep, "backtraces on"));
	free(rep);
	llt_prof_free(prof);
}
END_TEST

/* Exemplars: the K worst, in order, with their tags and thread. */
START_TEST(test_exemplars)
{
	struct llt_prof *prof;
	struct llt_prof_probe *p;
	struct llt_prof_probe_attr a = { .exemplars = 4 };
	ck_assert_int_eq(llt_prof_create("t", &prof), 0);
	ck_assert_int_eq(llt_prof_probe_create(prof, "ex", &a, &p), 0);
	uint64_t base = llt_clock_now();
	/* 1000 samples of 1000 + 37*((i*7919) % 1000) ns: the worst are the
	 * tags whose (i*7919) % 1000 is 999, 998, 997, 996. */
	for (uint64_t i = 0; i < 1000; i++)
		put_ns(p, base + i * 100000, 1000 + 37 * ((i * 7919) % 1000), i);
	ck_assert_int_eq(llt_prof_snapshot(prof), 0);
	struct llt_prof_exemplar ex[8];
	ssize_t n = llt_prof_probe_exemplars(p, 0, ex, 8);
	ck_assert_int_eq(n, 4);
	uint32_t tid = (uint32_t)syscall(SYS_gettid);
	for (int k = 0; k < 4; k++) {
		uint64_t want = 999 - k;
		ck_assert_uint_eq((ex[k].tag * 7919) % 1000, want);
		ck_assert_uint_eq(ex[k].tsc, base + ex[k].tag * 100000);
		double v = 1000 + 37.0 * want;
		ck_assert_msg(fabs((double)ex[k].ns - v) <= v * 0.001 + 2, "ns %" PRIu64 " want %.0f", ex[k].ns, v);
		ck_assert_uint_eq(ex[k].tid, tid);
		ck_assert_uint_eq(ex[k].interval, 1);
	}
	/* A second, milder interval: its own K worst, and the all-time list
	 * keeps the first interval's. */
	for (uint64_t i = 0; i < 10; i++)
		put_ns(p, base + (2000 + i) * 100000, 500 + 100 * i, 5000 + i); /* distinct at >= 10 MHz counters */
	ck_assert_int_eq(llt_prof_snapshot(prof), 0);
	n = llt_prof_probe_exemplars(p, LLT_PROF_LAST_INTERVAL, ex, 8);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(ex[0].tag, 5009);
	ck_assert_uint_eq(ex[3].tag, 5006);
	ck_assert_uint_eq(ex[0].interval, 2);
	n = llt_prof_probe_exemplars(p, 0, ex, 2);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq((ex[0].tag * 7919) % 1000, 999);
	llt_prof_free(prof);
}
END_TEST

/* Coordinated omission: one gap of 100 expected intervals is flagged. */
START_TEST(test_co_warning)
{
	struct llt_prof *prof;
	struct llt_prof_probe *p, *q;
	struct llt_prof_probe_attr a = { .expected_interval_ns = 10000 };
	ck_assert_int_eq(llt_prof_create("t", &prof), 0);
	ck_assert_int_eq(llt_prof_probe_create(prof, "gappy", &a, &p), 0);
	ck_assert_int_eq(llt_prof_probe_create(prof, "steady", &a, &q), 0);
	uint64_t base = llt_clock_now(), step = llt_clock_from_ns(10000);
	uint64_t t = base;
	for (int i = 0; i < 1000; i++) {
		put_ns(q, base + (uint64_t)i * step, 100, 0);
		put_ns(p, t, 100, 0);
		t += step;
		if (i == 500)
			t += 99 * step; /* one gap of 100 intervals */
	}
	char *rep = report_of(prof, 80);
	struct llt_prof_info info;
	ck_assert_int_eq(llt_prof_probe_info(p, &info), 0);
	ck_assert_uint_eq(info.stalls, 1);
	ck_assert_msg(info.missed >= 98 && info.missed <= 100, "missed %" PRIu64, info.missed);
	ck_assert_msg(info.max_gap_ns >= 990000 && info.max_gap_ns <= 1010000, "gap %" PRIu64, info.max_gap_ns);
	ck_assert_int_eq(llt_prof_probe_info(q, &info), 0);
	ck_assert_uint_eq(info.stalls, 0);
	ck_assert_ptr_nonnull(strstr(rep, "WARNING: gappy"));
	ck_assert_ptr_null(strstr(rep, "WARNING: steady"));
	ck_assert_ptr_nonnull(strstr(rep, "coordinated omission"));
	free(rep);
	llt_prof_free(prof);
}
END_TEST

/* ------------------------------------------------------------ concurrency */

struct writer {
	struct llt_prof_probe *p;
	uint64_t n;
	int cpu;
	unsigned seed;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	if (w->cpu >= 0)
		llt_cpu_pin(w->cpu);
	uint64_t t = llt_clock_now();
	for (uint64_t i = 0; i < w->n; i++) {
		w->seed = w->seed * 1103515245 + 12345;
		put_ns(w->p, t, 100 + (w->seed >> 16) % 5000, i);
		t += 1000;
		if ((w->seed >> 8) % 4096 == 0)
			sched_yield(); /* random pauses */
	}
	return NULL;
}

/* Two writers record while the main thread snapshots: every sample lands
 * in exactly one interval, so the totals add up exactly.  Then the threads
 * exit, and a third thread reuses a slot: nothing is lost either. */
START_TEST(test_concurrent_snapshots)
{
	struct llt_prof *prof;
	struct llt_prof_probe *p;
	uint64_t n = (uint64_t)(2000000 * llt_test_scale());
	ck_assert_int_eq(llt_prof_create("t", &prof), 0);
	ck_assert_int_eq(llt_prof_probe_create(prof, "conc", NULL, &p), 0);
	struct writer w[3] = { { p, n, 0, 1 }, { p, n, 1, 2 }, { p, n / 3, -1, 3 } };
	if (!llt_cpu_is_allowed(0) || !llt_cpu_is_allowed(1))
		w[0].cpu = w[1].cpu = -1;
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	uint64_t seen = 0, snaps = 0;
	struct llt_prof_info info;
	for (;;) {
		ck_assert_int_eq(llt_prof_snapshot(prof), 0);
		ck_assert_int_eq(llt_prof_probe_info(p, &info), 0);
		seen += info.interval_count;
		ck_assert_uint_eq(seen, info.count);
		snaps++;
		if (info.count >= 2 * n)
			break;
		usleep(200);
		ck_assert_msg(snaps < 2000000, "no progress"); /* watchdog */
	}
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	ck_assert_int_eq(llt_prof_snapshot(prof), 0);
	ck_assert_int_eq(llt_prof_probe_info(p, &info), 0);
	ck_assert_uint_eq(info.count, 2 * n);
	/* one slot per live writer; a writer that started after the other
	 * exited reused its slot */
	ck_assert_uint_ge(info.threads, 1);
	ck_assert_uint_le(info.threads, 2);
	uint64_t slots = info.threads;
	ck_assert_uint_ge(snaps, 2);
	pthread_t t3;
	ck_assert_int_eq(pthread_create(&t3, NULL, writer_main, &w[2]), 0);
	ck_assert_int_eq(pthread_join(t3, NULL), 0);
	ck_assert_int_eq(llt_prof_snapshot(prof), 0);
	ck_assert_int_eq(llt_prof_probe_info(p, &info), 0);
	ck_assert_uint_eq(info.count, 2 * n + n / 3);
	ck_assert_uint_eq(info.threads, slots); /* an exited thread's slot was reused */
	ck_assert_uint_eq(info.dropped, 0);
	llt_prof_free(prof);
}
END_TEST

/* ------------------------------------------------------------ output */

/* A minimal well-formedness check: tags balance, and nothing follows the
 * root.  Comments, CDATA and DOCTYPE are not used by the writer. */
static bool balanced(const char *s)
{
	char stack[64][32];
	int depth = 0, roots = 0;
	for (const char *c = s; (c = strchr(c, '<')) != NULL;) {
		const char *e = strchr(c, '>');
		if (!e)
			return false;
		if (c[1] == '?') {
			c = e + 1;
			continue;
		}
		bool close = c[1] == '/', empty = e[-1] == '/';
		const char *n = c + 1 + close;
		size_t len = strcspn(n, " \t\n/>");
		if (len == 0 || len >= 32)
			return false;
		if (close) {
			if (depth == 0 || strncmp(stack[depth - 1], n, len) || stack[depth - 1][len])
				return false;
			depth--;
		} else if (!empty) {
			if (depth == 0)
				roots++;
			if (depth == 64)
				return false;
			memcpy(stack[depth], n, len);
			stack[depth++][len] = 0;
		} else if (depth == 0) {
			return false;
		}
		c = e + 1;
	}
	return depth == 0 && roots == 1;
}

static void check_xml(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	static char buf[4 << 20];
	size_t len = fread(buf, 1, sizeof buf - 1, f);
	buf[len] = 0;
	fclose(f);
	ck_assert_msg(balanced(buf), "%s: tags do not balance", path);
	if (system("command -v xmllint >/dev/null 2>&1") == 0) {
		char cmd[512];
		snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
		ck_assert_msg(system(cmd) == 0, "xmllint rejects %s", path);
	}
}

static struct llt_prof *filled(struct llt_prof_probe **pp, struct llt_prof_probe **qq)
{
	struct llt_prof *prof;
	struct llt_prof_probe *p, *q;
	ck_assert_int_eq(llt_prof_create("fish & <chips>", &prof), 0);
	ck_assert_int_eq(llt_prof_probe_create(prof, "a \"quoted\" <probe>", NULL, &p), 0);
	ck_assert_int_eq(llt_prof_probe_create(prof, "b", NULL, &q), 0);
	uint64_t t = llt_clock_now();
	for (int s = 0; s < 5; s++) {
		for (uint64_t i = 0; i < 20000; i++) {
			put_ns(p, t, 200 + (i * 7919) % 3000 + (i % 1000 == 0 ? 2000000 : 0), i);
			put_ns(q, t, 5000 + (i * 104729) % 50000, i);
			t += 1000;
		}
		ck_assert_int_eq(llt_prof_snapshot(prof), 0);
	}
	*pp = p;
	*qq = q;
	return prof;
}

START_TEST(test_svg)
{
	struct llt_prof_probe *p, *q;
	struct llt_prof *prof = filled(&p, &q);
	char path[] = "/tmp/check_prof_svgXXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_int_eq(llt_prof_write_svg(prof, f), 0);
	fclose(f);
	check_xml(path);
	f = fopen(path, "w");
	ck_assert_int_eq(llt_prof_write_heatmap(p, f), 0);
	fclose(f);
	check_xml(path);
	/* runs overlaid, one of them empty */
	struct llt_hist empty;
	ck_assert_int_eq(llt_hist_init(&empty, 1, 1000000, 2), 0);
	const struct llt_hist *hs[3] = { llt_prof_probe_hist(p), llt_prof_probe_hist(q), &empty };
	const char *names[3] = { "run 1", "run 2", "run 3 (empty)" };
	f = fopen(path, "w");
	ck_assert_int_eq(llt_prof_svg_percentiles(f, "runs", hs, names, 3), 0);
	fclose(f);
	check_xml(path);
	llt_hist_destroy(&empty);
	unlink(path);
	ck_assert(!balanced("<svg><g></svg>"));
	ck_assert(!balanced("<svg></svg><svg></svg>"));
	ck_assert(balanced("<?xml version=\"1.0\"?><svg><g/><text>a</text></svg>"));
	llt_prof_free(prof);
}
END_TEST

/* The .hgrm of a probe parses back to its percentiles. */
START_TEST(test_hgrm)
{
	struct llt_prof_probe *p, *q;
	struct llt_prof *prof = filled(&p, &q);
	const struct llt_hist *h = llt_prof_probe_hist(q);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(llt_hist_write_hgrm(h, f, 1000.0, 5), 0);
	fclose(f);
	int rows = 0;
	uint64_t last_total = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		double v, pct;
		uint64_t tot;
		if (sscanf(line, "%lf %lf %" SCNu64, &v, &pct, &tot) != 3)
			continue;
		uint64_t want = llt_hist_value_at_percentile(h, pct * 100);
		ck_assert_msg(fabs(v * 1000 - (double)want) <= (double)want * 1e-3 + 1, "%s: want %" PRIu64, line,
			      want);
		ck_assert_uint_ge(tot, last_total);
		last_total = tot;
		rows++;
	}
	ck_assert_int_ge(rows, 20);
	ck_assert_uint_eq(last_total, llt_hist_count(h));
	free(buf);
	llt_prof_free(prof);
}
END_TEST

START_TEST(test_report_text)
{
	struct llt_prof_probe *p, *q;
	struct llt_prof *prof = filled(&p, &q);
	char *rep = report_of(prof, 60);
	ck_assert_ptr_nonnull(strstr(rep, "p99.99"));
	ck_assert_ptr_nonnull(strstr(rep, "fish & <chips>"));
	ck_assert_ptr_nonnull(strstr(rep, "a \"quoted\" <probe>"));
	ck_assert_ptr_nonnull(strstr(rep, "|####"));
	ck_assert_ptr_nonnull(strstr(rep, "worst samples"));
	ck_assert_ptr_nonnull(strstr(rep, llt_prof_backtraces_enabled() ? "backtraces on" : "backtraces off"));
	/* bars fit the width */
	for (char *line = strtok(rep, "\n"); line; line = strtok(NULL, "\n"))
		if (strchr(line, '|'))
			ck_assert_msg(strlen(line) <= 60, "too wide: %s", line);
	free(rep);
	/* COLUMNS decides when no width is given */
	setenv("COLUMNS", "120", 1);
	rep = report_of(prof, 0);
	size_t wide = 0;
	for (char *line = strtok(rep, "\n"); line; line = strtok(NULL, "\n"))
		if (strchr(line, '|') && strlen(line) > wide)
			wide = strlen(line);
	ck_assert_uint_gt(wide, 100);
	ck_assert_uint_le(wide, 120);
	unsetenv("COLUMNS");
	free(rep);
	llt_prof_free(prof);
}
END_TEST

START_TEST(test_einval)
{
	struct llt_prof *prof, *sentinel = (struct llt_prof *)(uintptr_t)0x1;
	struct llt_prof_probe *p, *ps = (struct llt_prof_probe *)(uintptr_t)0x1;
	ck_assert_int_eq(llt_prof_create("x", NULL), -EINVAL);
	ck_assert_int_eq(llt_prof_create(NULL, &prof), 0);
	struct llt_prof_probe_attr bad[] = {
		{ .reserved = { 1 } }, { .flags = 0x10 }, { .exemplars = 17 },      { .digits = 6 },
		{ .digits = -1 },      { .lowest_ns = 1000, .highest_ns = 10 }, { .outliers = 100000 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		p = ps;
		ck_assert_int_eq(llt_prof_probe_create(prof, "x", &bad[i], &p), -EINVAL);
		ck_assert_ptr_eq(p, ps);
	}
	char longname[LLT_PROF_NAME_MAX + 1];
	memset(longname, 'n', sizeof longname - 1);
	longname[LLT_PROF_NAME_MAX] = 0;
	p = ps;
	ck_assert_int_eq(llt_prof_probe_create(prof, longname, NULL, &p), -EINVAL);
	ck_assert_int_eq(llt_prof_probe_create(prof, "", NULL, &p), -EINVAL);
	ck_assert_int_eq(llt_prof_probe_create(prof, NULL, NULL, &p), -EINVAL);
	ck_assert_int_eq(llt_prof_probe_create(NULL, "x", NULL, &p), -EINVAL);
	ck_assert_int_eq(llt_prof_probe_create(prof, "x", NULL, NULL), -EINVAL);
	ck_assert_ptr_eq(p, ps);
	ck_assert_int_eq(llt_prof_probe_create(prof, "ok", NULL, &p), 0);
	ck_assert_int_eq(llt_prof_snapshot(NULL), -EINVAL);
	ck_assert_int_eq(llt_prof_reset(NULL), -EINVAL);
	ck_assert_int_eq(llt_prof_report(NULL, stdout, 0), -EINVAL);
	ck_assert_int_eq(llt_prof_report(prof, NULL, 0), -EINVAL);
	ck_assert_int_eq(llt_prof_report(prof, stdout, -1), -EINVAL);
	ck_assert_int_eq(llt_prof_write_svg(NULL, stdout), -EINVAL);
	ck_assert_int_eq(llt_prof_write_svg(prof, NULL), -EINVAL);
	ck_assert_int_eq(llt_prof_write_heatmap(NULL, stdout), -EINVAL);
	const struct llt_hist *hs[1] = { NULL };
	const char *names[1] = { "x" };
	ck_assert_int_eq(llt_prof_svg_percentiles(stdout, "t", hs, names, 1), -EINVAL);
	ck_assert_int_eq(llt_prof_svg_percentiles(stdout, "t", hs, names, 0), -EINVAL);
	ck_assert_int_eq(llt_prof_svg_percentiles(NULL, "t", hs, names, 1), -EINVAL);
	struct llt_prof_info info;
	struct llt_prof_exemplar ex[1];
	struct llt_prof_stack st[1];
	char b[8];
	ck_assert_int_eq(llt_prof_probe_info(NULL, &info), -EINVAL);
	ck_assert_int_eq(llt_prof_probe_info(p, NULL), -EINVAL);
	ck_assert_int_eq(llt_prof_probe_exemplars(NULL, 0, ex, 1), -EINVAL);
	ck_assert_int_eq(llt_prof_probe_exemplars(p, 0x8, ex, 1), -EINVAL);
	ck_assert_int_eq(llt_prof_probe_exemplars(p, 0, NULL, 1), -EINVAL);
	ck_assert_int_eq(llt_prof_probe_exemplars(p, 0, ex, 1), 0);
	ck_assert_int_eq(llt_prof_probe_stacks(NULL, st, 1), -EINVAL);
	ck_assert_int_eq(llt_prof_probe_stacks(p, NULL, 1), -EINVAL);
	ck_assert_int_eq(llt_prof_symbol(NULL, b, sizeof b), -EINVAL);
	ck_assert_int_eq(llt_prof_symbol((void *)llt_test_slow_region, NULL, 8), -EINVAL);
	ck_assert_ptr_null(llt_prof_probe_hist(NULL));
	llt_prof_free(NULL);
	(void)sentinel;
	llt_prof_free(prof);
}
END_TEST

static Suite *prof_suite(void)
{
	Suite *s = suite_create("prof");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_counts_percentiles);
	tcase_add_test(tc, test_outlier_backtrace);
	tcase_add_test(tc, test_exemplars);
	tcase_add_test(tc, test_co_warning);
	tcase_add_test(tc, test_einval);
	suite_add_tcase(s, tc);
	tc = tcase_create("concurrency");
	tcase_add_test(tc, test_concurrent_snapshots);
	suite_add_tcase(s, tc);
	tc = tcase_create("output");
	tcase_add_test(tc, test_svg);
	tcase_add_test(tc, test_hgrm);
	tcase_add_test(tc, test_report_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	return llt_test_run(prof_suite());
}
