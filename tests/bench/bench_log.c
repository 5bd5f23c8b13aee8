/* bench_log: llt/log against spdlog's async logger and fprintf, in one run.
 *
 * The message is the issue's: "id=%d px=%f sym=%s".  For each logger:
 *  - per-call latency: every call timed with llt_clock_start/end (the
 *    timing pair's own cost, measured alone, is printed: it is included);
 *  - amortised cost: a burst of BURST calls timed as one region, divided
 *    by BURST, next to a burst of bare llt_clock_now() reads (the goal is
 *    at most one timestamp read + 5 ns);
 *  - throughput until flushed (close returns) and bytes per message on
 *    disk for 1M and 10M messages (blocking policy: nothing is lost, and
 *    the count is checked);
 *  - llt-logcat's decode speed on the 10M-message file (stdout to
 *    /dev/null).
 * Repetitions: REPS after one discarded warm-up, implementations
 * interleaved within a repetition; medians and min-max.  The producer is
 * pinned to the first allowed CPU; the loggers' background threads (libllt's
 * and spdlog's worker) may run on any allowed CPU.  The machine is shared: figures are
 * noisy.  LLT_BENCH_QUICK=1 runs 10x fewer messages. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/log.h>
#include "bench_pct.h"

int peer_spdlog_available(void);
int peer_spdlog_open(const char *path);
void peer_spdlog_log(int id, double px, const char *sym);
void peer_spdlog_close(void);

#define REPS 5
#define BURST 8000
#define LAT_N 200000

enum impl { I_LLT, I_SPDLOG, I_FPRINTF, I_N };
static const char *const names[] = { "libllt", "spdlog-async", "fprintf" };

static char dir[256];
static const char *sym = "AAPL";
static volatile uint64_t sink;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of the whole process (every thread), ns. */
static uint64_t cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --------------------------------------------------------------- loggers */

struct ctx {
	enum impl impl;
	struct llt_log *lg;
	FILE *f;
	char path[300];
};

static int ctx_open(struct ctx *c, enum impl impl, const char *tag, unsigned flags)
{
	c->impl = impl;
	snprintf(c->path, sizeof c->path, "%s/%s.%s", dir, names[impl], tag);
	switch (impl) {
	case I_LLT: {
		struct llt_log_config cfg;
		llt_log_config_init(&cfg);
		cfg.path = c->path;
		cfg.flags = flags;
		cfg.fsync = LLT_LOG_FSYNC_NEVER;
		cfg.ring_bytes = 4u << 20;
		return llt_log_open(&cfg, &c->lg);
	}
	case I_SPDLOG:
		return peer_spdlog_open(c->path);
	case I_FPRINTF:
		c->f = fopen(c->path, "w");
		return c->f ? 0 : -errno;
	default:
		return -1;
	}
}

static inline void ctx_log(struct ctx *c, int id, double px)
{
	switch (c->impl) {
	case I_LLT:
		LLT_LOG(c->lg, LLT_INFO, "id=%d px=%f sym=%s", id, px, sym);
		break;
	case I_SPDLOG:
		peer_spdlog_log(id, px, sym);
		break;
	case I_FPRINTF:
		fprintf(c->f, "%s:%d id=%d px=%f sym=%s\n", __FILE__, __LINE__, id, px, sym);
		break;
	default:
		break;
	}
}

/* Flushes and closes; returns the messages the logger says it wrote
 * (libllt) or n (the others, checked by line count elsewhere). */
static uint64_t ctx_close(struct ctx *c, uint64_t n)
{
	switch (c->impl) {
	case I_LLT: {
		struct llt_log_stats st;
		llt_log_flush(c->lg);
		llt_log_stats(c->lg, &st);
		llt_log_close(c->lg);
		return st.logged;
	}
	case I_SPDLOG:
		peer_spdlog_close();
		return n;
	case I_FPRINTF:
		fclose(c->f);
		return n;
	default:
		return 0;
	}
}

static uint64_t file_size(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* ------------------------------------------------------------ the cases */

static double timer_cost_ns(void)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 10000; i++) {
		uint64_t t0 = llt_clock_start(), t1 = llt_clock_end();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	uint64_t *v = malloc(10000 * sizeof *v);
	for (int i = 0; i < 10000; i++) {
		uint64_t t0 = llt_clock_start(), t1 = llt_clock_end();
		v[i] = t1 - t0;
	}
	double r = bench_pct_ticks(v, 10000).p50;
	free(v);
	(void)best;
	return r;
}

/* out: p50, p99, p99.9, max (ns), and for libllt the time
 * llt_log_preallocate took (us): a thread's first message would pay it
 * (its ring is allocated and every page touched), as a latency-minded
 * caller will not. */
static void latency(enum impl impl, double out[5])
{
	struct ctx c;
	uint64_t *v = malloc(LAT_N * sizeof *v);
	memset(out, 0, 5 * sizeof *out);
	if (ctx_open(&c, impl, "lat", LLT_LOG_BLOCK) != 0) {
		free(v);
		return;
	}
	if (impl == I_LLT) {
		uint64_t t0 = llt_clock_now();
		if (llt_log_preallocate(c.lg) != 0)
			abort();
		out[4] = llt_clock_to_ns(llt_clock_now() - t0) / 1000.0;
	}
	for (int i = 0; i < LAT_N; i++) {
		uint64_t t0 = llt_clock_start();
		ctx_log(&c, i, i * 0.25);
		uint64_t t1 = llt_clock_end();
		v[i] = t1 - t0;
		/* A realistic caller does other work between messages; give the
		 * backend room (the ring, 4 MiB, holds 64k messages). */
		if ((i & 4095) == 4095)
			usleep(200);
	}
	ctx_close(&c, LAT_N);
	struct bench_pct p = bench_pct_ticks(v, LAT_N);
	out[0] = p.p50;
	out[1] = p.p99;
	out[2] = p.p999;
	out[3] = p.max;
	unlink(c.path);
	free(v);
}

/* Burst cost per call, ns; the logger is fresh and its ring empty. */
static double burst(enum impl impl)
{
	struct ctx c;
	if (ctx_open(&c, impl, "burst", LLT_LOG_BLOCK) != 0)
		return 0;
	/* Warm the thread's ring (first call allocates it) and the caches. */
	for (int i = 0; i < 1000; i++)
		ctx_log(&c, i, 1.0);
	if (impl == I_LLT)
		llt_log_flush(c.lg);
	uint64_t t0 = llt_clock_start();
	for (int i = 0; i < BURST; i++)
		ctx_log(&c, i, i * 0.5);
	uint64_t t1 = llt_clock_end();
	ctx_close(&c, BURST);
	unlink(c.path);
	return (double)llt_clock_to_ns(t1 - t0) / BURST;
}

static double burst_rdtsc(void)
{
	uint64_t s = 0;
	uint64_t t0 = llt_clock_start();
	for (int i = 0; i < BURST; i++) {
		s += llt_clock_now();
		__asm__ volatile("" : "+r"(s));
	}
	uint64_t t1 = llt_clock_end();
	sink = s;
	return (double)llt_clock_to_ns(t1 - t0) / BURST;
}

/* Messages per second until everything is on disk; bytes per message. */
static void throughput(enum impl impl, uint64_t n, double *rate, double *bpm, double *cpm, const char *keep)
{
	struct ctx c;
	*rate = *bpm = *cpm = 0;
	if (ctx_open(&c, impl, keep ? keep : "tp", LLT_LOG_BLOCK) != 0)
		return;
	uint64_t c0 = cpu_ns();
	uint64_t t0 = mono_ns();
	for (uint64_t i = 0; i < n; i++)
		ctx_log(&c, (int)i, (double)i * 0.25);
	uint64_t got = ctx_close(&c, n);
	uint64_t t1 = mono_ns();
	*cpm = (double)(cpu_ns() - c0) / (double)n;
	if (got != n) {
		fprintf(stderr, "bench_log: %s wrote %" PRIu64 " of %" PRIu64 " messages\n", names[impl], got, n);
		exit(1);
	}
	*rate = (double)n / ((double)(t1 - t0) / 1e9);
	uint64_t hdr = impl == I_LLT ? 64 : 0;
	*bpm = (double)(file_size(c.path) - hdr) / (double)n;
	if (!keep)
		unlink(c.path);
}

int main(void)
{
	bool quick = getenv("LLT_BENCH_QUICK") != NULL;
	const char *logcat = getenv("LLT_LOGCAT") ? getenv("LLT_LOGCAT") : "./tools/llt-logcat";
	bool have_spdlog = peer_spdlog_available();
	int impls = I_N;

	snprintf(dir, sizeof dir, "%s/bench_log.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("bench_log: mkdtemp");
		return 1;
	}
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	int cpus[8];
	if (llt_cpu_pin(0) != 0)
		fprintf(stderr, "bench_log: could not pin to CPU 0\n");
	(void)cpus;
	printf("bench_log: message \"id=%%d px=%%f sym=%%s\"; %d reps after a warm-up; producer pinned to CPU 0,\n"
	       "background threads unpinned;\n"
	       "spdlog %s; files in %s (noisy shared machine)\n\n",
	       REPS, have_spdlog ? "async (queue 8192, block)" : "not built (configure found no spdlog)", dir);

	/* Per-call latency and bursts, interleaved. */
	double lat[I_N][REPS][5], bur[I_N][REPS], tsc[REPS];
	double timer = timer_cost_ns();
	for (int r = -1; r < REPS; r++) {
		for (int i = 0; i < impls; i++) {
			if (i == I_SPDLOG && !have_spdlog)
				continue;
			double l[5];
			latency((enum impl)i, l);
			double b = burst((enum impl)i);
			if (r >= 0) {
				memcpy(lat[i][r], l, sizeof l);
				bur[i][r] = b;
			}
		}
		double t = burst_rdtsc();
		if (r >= 0)
			tsc[r] = t;
	}
	printf("Per-call latency, %d calls (ns, each including the timing pair, median %.1f ns alone)\n", LAT_N, timer);
	printf("  %-14s %8s %8s %8s %10s   (medians of %d reps; p99.9 min-max)\n", "logger", "p50", "p99", "p99.9", "max", REPS);
	for (int i = 0; i < impls; i++) {
		if (i == I_SPDLOG && !have_spdlog)
			continue;
		double m[4], lo = 1e18, hi = 0;
		for (int k = 0; k < 4; k++) {
			double v[REPS];
			for (int r = 0; r < REPS; r++)
				v[r] = lat[i][r][k];
			m[k] = median(v, REPS);
			if (k == 2)
				lo = v[0], hi = v[REPS - 1];
		}
		printf("  %-14s %8.0f %8.0f %8.0f %10.0f   (%.0f-%.0f)\n", names[i], m[0], m[1], m[2], m[3], lo, hi);
	}
	{
		double v[REPS];
		for (int r = 0; r < REPS; r++)
			v[r] = lat[I_LLT][r][4];
		double m = median(v, REPS); /* sorts v */
		printf("  libllt's thread set-up, done before the timed calls with llt_log_preallocate (a thread's\n"
		       "  first message pays it otherwise): %.0f us (median; %.0f-%.0f)\n",
		       m, v[0], v[REPS - 1]);
	}
	double tm;
	{
		double v[REPS];
		memcpy(v, tsc, sizeof v);
		tm = median(v, REPS);
		printf("\nAmortised cost per call over a burst of %d (ns; median, min-max)\n", BURST);
		printf("  %-14s %8.2f   (%.2f-%.2f)\n", "llt_clock_now", tm, v[0], v[REPS - 1]);
	}
	double llt_burst = 0;
	for (int i = 0; i < impls; i++) {
		if (i == I_SPDLOG && !have_spdlog)
			continue;
		double v[REPS];
		memcpy(v, bur[i], sizeof v);
		double m = median(v, REPS);
		if (i == I_LLT)
			llt_burst = m;
		printf("  %-14s %8.2f   (%.2f-%.2f)%s\n", names[i], m, v[0], v[REPS - 1],
		       i == I_LLT ? "" : "");
	}
	printf("  goal: libllt <= llt_clock_now + 5 ns = %.2f ns: %s\n", tm + 5, llt_burst <= tm + 5 ? "met" : "NOT met");

	/* Throughput. */
	uint64_t ns[2] = { 1000000, 10000000 };
	if (quick)
		ns[0] /= 10, ns[1] /= 10;
	printf("\nEnd-to-end throughput until flushed and closed (msgs/s), bytes per message on disk,\n"
	       "CPU time of all the process's threads per message (less sensitive to other load)\n");
	double llt_rate[2] = { 0, 0 }, peer_rate[I_N][2];
	memset(peer_rate, 0, sizeof peer_rate);
	for (int s = 0; s < 2; s++) {
		int reps = s == 0 ? 3 : 1;
		for (int i = 0; i < impls; i++) {
			if (i == I_SPDLOG && !have_spdlog)
				continue;
			double v[3], cv[3], bpm = 0;
			for (int r = 0; r < reps; r++)
				throughput((enum impl)i, ns[s], &v[r], &bpm, &cv[r],
					   (i == I_LLT && s == 1) ? "keep" : NULL);
			double m = median(v, reps), cm = median(cv, reps);
			peer_rate[i][s] = m;
			if (i == I_LLT)
				llt_rate[s] = m;
			printf("  %-14s %9" PRIu64 " msgs  %10.3fM msgs/s  (%s)  %6.1f bytes/msg  %7.1f CPU ns/msg\n",
			       names[i], ns[s], m / 1e6, reps > 1 ? "median of 3" : "1 run", bpm, cm);
		}
	}
	for (int s = 0; s < 2; s++)
		for (int i = 1; i < impls; i++)
			if (peer_rate[i][s] > 0)
				printf("  ratio libllt/%s at %" PRIu64 ": %.1fx\n", names[i], ns[s], llt_rate[s] / peer_rate[i][s]);

	/* Decode speed. */
	char cmd[1024], kept[300];
	snprintf(kept, sizeof kept, "%s/libllt.keep", dir);
	snprintf(cmd, sizeof cmd, "%s '%s' > /dev/null", logcat, kept);
	if (access(logcat, X_OK) == 0) {
		double v[3];
		for (int r = 0; r < 3; r++) {
			uint64_t t0 = mono_ns();
			int rc = system(cmd);
			uint64_t t1 = mono_ns();
			if (rc != 0) {
				fprintf(stderr, "bench_log: %s failed (%d)\n", cmd, rc);
				break;
			}
			v[r] = (double)ns[1] / ((double)(t1 - t0) / 1e9);
		}
		double m = median(v, 3);
		printf("\nllt-logcat decode to text (stdout to /dev/null), %" PRIu64 " msgs: %.2fM msgs/s (median of 3, %.2f-%.2f); goal >= 2M: %s\n",
		       ns[1], m / 1e6, v[0] / 1e6, v[2] / 1e6, m >= 2e6 ? "met" : "NOT met");
	} else {
		printf("\nllt-logcat not found at %s (set LLT_LOGCAT): decode speed skipped\n", logcat);
	}
	unlink(kept);
	rmdir(dir);
	return 0;
}
