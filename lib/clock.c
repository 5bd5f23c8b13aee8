/* llt/clock: source selection, calibration and conversion state.
 *
 * The hot reads are inline in llt/bits/clock_impl.h; this file chooses the
 * source once and publishes it with release stores:
 *   1. the counter must exist and (auto mode) be invariant per cpuid;
 *   2. a warp test modelled on the kernel's check_tsc_warp()
 *      (arch/x86/kernel/tsc_sync.c) must see no tick go backwards between
 *      CPUs: threads pinned to different CPUs take turns, under a lock,
 *      reading the counter and comparing with the previous reader's value;
 *   3. the rate comes from an exact source where the system gives one,
 *      else a saved calibration, else a measurement against
 *      CLOCK_MONOTONIC_RAW, and each is cross-checked by an independent
 *      short measurement. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(HAVE_CPUID_H)
#  include <cpuid.h>
#endif
#if defined(HAVE_PERF_EVENT)
#  include <linux/perf_event.h>
#  include <sys/mman.h>
#  include <sys/syscall.h>
#endif

#include <llt/clock.h>
#include <llt/cpu.h>

#ifndef LLT_CLOCK_FILE_DEFAULT
#  define LLT_CLOCK_FILE_DEFAULT "/var/lib/libllt/clock"
#endif

/* Start-up budgets: the whole of llt_clock_init stays near 15 ms. */
#define INIT_SYNC_MS 2
#define INIT_CAL_MS 10
#define CHECK_CAL_MS 3
/* Two measurements of the rate that differ by more than this (plus their
 * own uncertainties) mean the rate is not stable, or a saved or reported
 * rate is wrong for this machine. */
#define RATE_TOLERANCE_PPM 500.0
/* Two halves of one calibration that agree this well (plus their own
 * uncertainty) need no second look.  On a busy virtual machine a
 * preemption or an interrupt storm can spoil one bracketing read now and
 * then (seen here: 1 start in 15 under a load of 12, halves 300 ppm
 * apart), so a disagreement is measured again before it counts. */
#define RATE_AGREE_PPM 50.0
#define CAL_TRIES 3
#define MAX_SYNC_CPUS 8

LLT_API struct llt_clock_impl_state llt_clock_impl_g;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct llt_clock_info info;  /* under lock */

/* The wall-clock anchor, read with a sequence lock so that
 * llt_clock_anchor_refresh() may run while others convert. */
static _Atomic uint32_t anchor_seq;
static _Atomic uint64_t anchor_ticks;
static _Atomic int64_t anchor_rt;

static uint64_t mono_raw_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool have_counter(void)
{
#if defined(LLT_HAVE_TSC)
	return llt_cpu_has(LLT_CPU_TSC);
#elif defined(LLT_HAVE_CNTVCT)
	return true;
#else
	return false;
#endif
}

/* The counter itself, ordered, whatever source is chosen (calibration and
 * the sync check need it before the choice). */
static uint64_t counter_ordered(void)
{
#if defined(LLT_HAVE_TSC)
	uint32_t lo, hi;
	__asm__ __volatile__("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
#elif defined(LLT_HAVE_CNTVCT)
	uint64_t v;
	__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0\n\tisb" : "=r"(v) :: "memory");
	return v;
#else
	return mono_raw_ns();
#endif
}

static uint64_t source_read(uint32_t src, int ordered)
{
	if (src == LLT_CLOCK_SOURCE_MONOTONIC || src == LLT_CLOCK_SOURCE_NONE)
		return mono_raw_ns();
	if (ordered)
		return counter_ordered();
#if defined(LLT_HAVE_TSC)
	return llt_clock_impl_rdtsc();
#elif defined(LLT_HAVE_CNTVCT)
	uint64_t v;
	__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
	return mono_raw_ns();
#endif
}

/* ------------------------------------------------------------- calibration */

struct point {
	uint64_t ticks;  /* counter at the middle of the bracket */
	uint64_t ns;     /* the reference clock */
	uint64_t width;  /* bracket width, ticks */
};

/* A reference reading bracketed by two counter reads; the narrowest of a
 * few tries, so a preemption or an interrupt inside one does not count. */
static struct point bracket(clockid_t id)
{
	struct point best = {0, 0, UINT64_MAX};
	for (int i = 0; i < 9; i++) {
		struct timespec ts;
		uint64_t t0 = counter_ordered();
		clock_gettime(id, &ts);
		uint64_t t1 = counter_ordered();
		if (t1 - t0 < best.width) {
			best.width = t1 - t0;
			best.ticks = t0 + (t1 - t0) / 2;
			best.ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		}
	}
	return best;
}

static void sleep_until_raw(uint64_t deadline)
{
	for (;;) {
		uint64_t now = mono_raw_ns();
		if (now >= deadline)
			return;
		uint64_t left = deadline - now;
		struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
		nanosleep(&ts, NULL);
	}
}

static void rate_between(const struct point *a, const struct point *b, double *hz, double *ppm)
{
	double dt = (double)(b->ticks - a->ticks), dns = (double)(b->ns - a->ns);
	*hz = dns > 0 ? dt * 1e9 / dns : 0;
	/* Half a bracket at each end, plus the reference's 1 ns granularity. */
	*ppm = dt > 0 ? ((double)(a->width + b->width) / 2.0 / dt + 2.0 / dns) * 1e6 : INFINITY;
}

/* Measure the counter's rate over duration_ms; mid (if not NULL) gets the
 * rates of the two halves, whose difference says whether it is stable. */
static int measure(unsigned duration_ms, struct llt_clock_cal *cal, double half_hz[2])
{
	if (!have_counter())
		return -ENOTSUP;
	struct point a = bracket(CLOCK_MONOTONIC_RAW);
	uint64_t len = (uint64_t)duration_ms * 1000000u;
	sleep_until_raw(a.ns + len / 2);
	struct point m = bracket(CLOCK_MONOTONIC_RAW);
	sleep_until_raw(a.ns + len);
	struct point b = bracket(CLOCK_MONOTONIC_RAW);
	memset(cal, 0, sizeof *cal);
	rate_between(&a, &b, &cal->hz, &cal->ppm_error);
	cal->duration_ns = b.ns - a.ns;
	cal->realtime_sec = (int64_t)time(NULL);
	llt_impl_cpu_model(cal->cpu, sizeof cal->cpu);
	if (half_hz) {
		double e;
		rate_between(&a, &m, &half_hz[0], &e);
		rate_between(&m, &b, &half_hz[1], &e);
	}
	return cal->hz > 0 ? 0 : -EIO;
}

int llt_clock_calibrate(unsigned duration_ms, struct llt_clock_cal *cal)
{
	if (!cal || duration_ms == 0 || duration_ms > 3600u * 1000u)
		return -EINVAL;
	return measure(duration_ms, cal, NULL);
}

/* ------------------------------------------------------------ exact rates */

static double rate_from_perf(void)
{
#if defined(HAVE_PERF_EVENT) && defined(LLT_HAVE_TSC)
	/* The kernel publishes its own TSC-to-ns conversion on a perf event's
	 * mmap page when cap_user_time is set (a hardware counter event). */
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.size = sizeof attr;
	attr.type = PERF_TYPE_HARDWARE;
	attr.config = PERF_COUNT_HW_CPU_CYCLES;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return 0;
	long page = sysconf(_SC_PAGESIZE);
	struct perf_event_mmap_page *pg = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (pg == MAP_FAILED)
		return 0;
	double hz = 0;
	uint32_t seq;
	for (int tries = 0; tries < 100; tries++) {
		/* The kernel's sequence lock (perf_event_mmap_page.lock): the
		 * fields are read with acquire loads, so the re-read of the
		 * sequence cannot move ahead of them. */
		seq = __atomic_load_n(&pg->lock, __ATOMIC_ACQUIRE);
		struct perf_event_mmap_page caps;
		caps.capabilities = __atomic_load_n(&pg->capabilities, __ATOMIC_ACQUIRE);
		bool cap = caps.cap_user_time;
		uint32_t mult = __atomic_load_n(&pg->time_mult, __ATOMIC_ACQUIRE);
		uint16_t shift = __atomic_load_n(&pg->time_shift, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&pg->lock, __ATOMIC_RELAXED) != seq)
			continue;
		if (cap && mult && shift < 64)
			hz = ldexp(1e9, shift) / mult;
		break;
	}
	munmap(pg, (size_t)page);
	return hz;
#else
	return 0;
#endif
}

/* An exact rate and its source, or 0. */
static double exact_rate(enum llt_clock_rate_source *src, double *ppm)
{
#if defined(LLT_HAVE_CNTVCT)
	uint64_t f;
	__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(f));
	if (f) {
		*src = LLT_CLOCK_RATE_CNTFRQ;
		*ppm = 0;
		return (double)f;
	}
#endif
#if defined(HAVE_CPUID_H) && defined(LLT_HAVE_TSC)
	unsigned a, b, c, d;
	if (__get_cpuid_max(0, NULL) >= 0x15) {
		__cpuid(0x15, a, b, c, d);
		if (a && b && c) {
			*src = LLT_CLOCK_RATE_CPUID;
			*ppm = 0;
			return (double)c * b / a;
		}
	}
	if (llt_cpu_has(LLT_CPU_HYPERVISOR)) {
		__cpuid(0x40000000u, a, b, c, d);
		if (a >= 0x40000010u) {
			__cpuid(0x40000010u, a, b, c, d);
			if (a) {
				*src = LLT_CLOCK_RATE_HYPERVISOR;
				*ppm = 0.5 / a * 1e6; /* kHz granularity */
				return a * 1e3;
			}
		}
	}
#endif
	double hz = rate_from_perf();
	if (hz > 0) {
		*src = LLT_CLOCK_RATE_KERNEL;
		*ppm = 0.01;
		return hz;
	}
	return 0;
}

/* ------------------------------------------------------------- sync check */

struct warp {
	_Atomic int lock;
	_Atomic int started;
	_Atomic int go;
	uint64_t last;
	uint64_t samples, warps, max_warp;
	uint64_t deadline;
};

struct warp_arg {
	struct warp *w;
	int cpu;
	bool pinned;
};

static void *warp_thread(void *p)
{
	struct warp_arg *a = p;
	struct warp *w = a->w;
	a->pinned = llt_cpu_pin(a->cpu) == 0;
	atomic_fetch_add_explicit(&w->started, 1, memory_order_release);
	while (!atomic_load_explicit(&w->go, memory_order_acquire))
		llt_cpu_relax();
	for (unsigned i = 0;; i++) {
		if ((i & 63) == 0 && mono_raw_ns() >= w->deadline)
			break;
		/* The exchange's acquire pairs with the releasing store below, so
		 * each reader sees the previous reader's `last` and its counter
		 * read happened before ours. */
		while (atomic_exchange_explicit(&w->lock, 1, memory_order_acquire))
			llt_cpu_relax();
		uint64_t prev = w->last;
		uint64_t now = counter_ordered();
		w->last = now;
		w->samples++;
		if (now < prev) {
			w->warps++;
			if (prev - now > w->max_warp)
				w->max_warp = prev - now;
		}
		atomic_store_explicit(&w->lock, 0, memory_order_release);
	}
	return NULL;
}

int llt_clock_check_sync(unsigned duration_ms, struct llt_clock_sync *out)
{
	if (!out || duration_ms == 0 || duration_ms > 600u * 1000u)
		return -EINVAL;
	if (!have_counter())
		return -ENOTSUP;
	memset(out, 0, sizeof *out);
	int cpus[MAX_SYNC_CPUS * 64];
	int n = llt_impl_cpu_allowed_list(cpus, sizeof cpus / sizeof cpus[0]);
	if (n > (int)(sizeof cpus / sizeof cpus[0]))
		n = (int)(sizeof cpus / sizeof cpus[0]);
	if (n < 2) {
		out->cpus = n > 0 ? (unsigned)n : 1;
		return 0;
	}
	/* Spread the threads over the allowed CPUs, at most MAX_SYNC_CPUS. */
	int k = n < MAX_SYNC_CPUS ? n : MAX_SYNC_CPUS;
	struct warp w;
	memset(&w, 0, sizeof w);
	struct warp_arg args[MAX_SYNC_CPUS];
	pthread_t th[MAX_SYNC_CPUS];
	int started = 0;
	for (int i = 0; i < k; i++) {
		/* args[started] belongs to th[started], whatever fails. */
		args[started].w = &w;
		args[started].cpu = cpus[(long)i * n / k];
		args[started].pinned = false;
		if (pthread_create(&th[started], NULL, warp_thread, &args[started]) == 0)
			started++;
	}
	while (atomic_load_explicit(&w.started, memory_order_acquire) < started)
		sched_yield();
	w.deadline = mono_raw_ns() + (uint64_t)duration_ms * 1000000u;
	atomic_store_explicit(&w.go, 1, memory_order_release);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < started; i++)
		out->cpus += args[i].pinned;
	out->samples = w.samples;
	out->warps = w.warps;
	out->max_warp = w.max_warp;
	return started > 0 ? 0 : -EAGAIN;
}

/* --------------------------------------------------------- calibration file */

const char *llt_clock_cal_default_path(void)
{
	const char *env = secure_getenv("LLT_CLOCK_FILE");
	if (env)
		return *env ? env : NULL;
	return LLT_CLOCK_FILE_DEFAULT;
}

/* The file is read and written in the C locale, whatever the program's
 * LC_NUMERIC says ("2596120345.123", never "2596120345,123"). */
static locale_t c_loc;
static pthread_once_t c_loc_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* Switch this thread to the C numeric locale; returns the previous one
 * for restore_locale(), or 0 if no C locale could be made. */
static locale_t use_c_locale(void)
{
	pthread_once(&c_loc_once, c_locale_init);
	return c_loc ? uselocale(c_loc) : (locale_t)0;
}

static void restore_locale(locale_t old)
{
	if (old)
		uselocale(old);
}
int llt_clock_cal_save(const struct llt_clock_cal *cal, const char *path)
{
	if (!cal || !path || !*path || !(cal->hz > 1e3 && cal->hz < 1e12) ||
	    !(cal->ppm_error >= 0 && isfinite(cal->ppm_error)))
		return -EINVAL;
	/* Write a unique temporary file beside the target, sync it, then
	 * rename: a reader sees the old file or the whole new one. */
	static _Atomic unsigned serial;
	size_t len = strlen(path);
	char *tmp = malloc(len + 40);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len + 40, "%s.tmp.%ld.%u", path, (long)getpid(),
		 atomic_fetch_add_explicit(&serial, 1, memory_order_relaxed));
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		int err = errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return -err;
	}
	char cpu[sizeof cal->cpu];
	snprintf(cpu, sizeof cpu, "%.*s", (int)sizeof cal->cpu - 1, cal->cpu);
	cpu[strcspn(cpu, "\n")] = '\0';
	locale_t old = use_c_locale();
	fprintf(f, "# libllt clock calibration, written by llt_clock_cal_save(3)\n"
		   "version 1\nhz %.3f\nppm_error %.4f\nduration_ns %llu\nrealtime_sec %lld\ncpu %s\n",
		cal->hz, cal->ppm_error, (unsigned long long)cal->duration_ns,
		(long long)cal->realtime_sec, cpu);
	restore_locale(old);
	int err = 0;
	if (fflush(f) != 0 || ferror(f))
		err = errno ? errno : EIO;
	if (!err && fsync(fileno(f)) != 0)
		err = errno;
	if (fclose(f) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return -err;
}

int llt_clock_cal_load(const char *path, struct llt_clock_cal *out)
{
	if (!path || !out)
		return -EINVAL;
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	struct llt_clock_cal cal;
	memset(&cal, 0, sizeof cal);
	char line[256];
	int version = 0, have_hz = 0, bad = 0;
	locale_t old = use_c_locale();
	while (fgets(line, sizeof line, f)) {
		if (!strchr(line, '\n') && !feof(f)) {
			bad = 1;
			break;
		}
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *val = strchr(line, ' ');
		if (!val) {
			bad = 1;
			break;
		}
		*val++ = '\0';
		char *end;
		/* Every number starts with a digit: no empty, signed or
		 * space-padded values. */
		bool numeric = strcmp(line, "cpu") != 0;
		if (numeric && !(val[0] >= '0' && val[0] <= '9')) {
			bad = 1;
			break;
		}
		if (!strcmp(line, "version")) {
			version = (int)strtol(val, &end, 10);
			bad |= *end != '\0';
		} else if (!strcmp(line, "hz")) {
			cal.hz = strtod(val, &end);
			bad |= *end != '\0';
			have_hz = 1;
		} else if (!strcmp(line, "ppm_error")) {
			cal.ppm_error = strtod(val, &end);
			bad |= *end != '\0';
		} else if (!strcmp(line, "duration_ns")) {
			cal.duration_ns = strtoull(val, &end, 10);
			bad |= *end != '\0';
		} else if (!strcmp(line, "realtime_sec")) {
			cal.realtime_sec = strtoll(val, &end, 10);
			bad |= *end != '\0';
		} else if (!strcmp(line, "cpu")) {
			snprintf(cal.cpu, sizeof cal.cpu, "%s", val);
		} /* unknown keys: from a newer writer, ignored */
		if (bad)
			break;
	}
	restore_locale(old);
	if (ferror(f))
		bad = 1;
	fclose(f);
	if (bad || version != 1 || !have_hz || !(cal.hz > 1e3 && cal.hz < 1e12) ||
	    !(cal.ppm_error >= 0 && isfinite(cal.ppm_error)))
		return -EINVAL;
	*out = cal;
	return 0;
}

/* ------------------------------------------------------------------ state */

static void publish_rate(double hz)
{
	uint64_t mult = (uint64_t)llround(ldexp(1e9 / hz, 32));
	uint64_t inv = (uint64_t)llround(ldexp(hz / 1e9, 32));
	if (mult == 0)
		mult = 1;
	/* Release: pairs with the acquire loads in llt_clock_to_ns() and
	 * llt_clock_from_ns(), which then see the rest of the state. */
	__atomic_store_n(&llt_clock_impl_g.inv_mult, inv, __ATOMIC_RELEASE);
	__atomic_store_n(&llt_clock_impl_g.mult, mult, __ATOMIC_RELEASE);
	info.hz = hz;
	info.mult = mult;
}

static void anchor_set(uint32_t src)
{
	/* Bracket CLOCK_REALTIME between two reads of the chosen source. */
	uint64_t best_w = UINT64_MAX, ticks = 0;
	int64_t rt = 0;
	for (int i = 0; i < 9; i++) {
		struct timespec ts;
		uint64_t t0 = source_read(src, 1);
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t t1 = source_read(src, 1);
		if (t1 - t0 < best_w) {
			best_w = t1 - t0;
			ticks = t0 + (t1 - t0) / 2;
			rt = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
	}
	/* Sequence lock writer (callers hold the clock's mutex): odd while
	 * writing.  Without fences (Boehm, "Can seqlocks get along with
	 * programming language memory models?", MSPC 2012): the field stores
	 * are releases, so a reader that reads either new field also sees
	 * the odd sequence stored before it, and the final release publishes
	 * both fields with the even sequence. */
	uint32_t s = atomic_load_explicit(&anchor_seq, memory_order_relaxed);
	atomic_store_explicit(&anchor_seq, s + 1, memory_order_relaxed);
	atomic_store_explicit(&anchor_ticks, ticks, memory_order_release);
	atomic_store_explicit(&anchor_rt, rt, memory_order_release);
	atomic_store_explicit(&anchor_seq, s + 2, memory_order_release);
}

static enum llt_clock_mode mode_from_env(enum llt_clock_mode mode, char *note, size_t size)
{
	const char *env = secure_getenv("LLT_CLOCK");
	note[0] = '\0';
	if (mode != LLT_CLOCK_MODE_AUTO || !env || !*env)
		return mode;
	if (!strcmp(env, "auto"))
		return LLT_CLOCK_MODE_AUTO;
	if (!strcmp(env, "tsc") || !strcmp(env, "counter"))
		return LLT_CLOCK_MODE_COUNTER;
	if (!strcmp(env, "monotonic"))
		return LLT_CLOCK_MODE_MONOTONIC;
	if (!strcmp(env, "strict"))
		return LLT_CLOCK_MODE_STRICT;
	snprintf(note, size, " (LLT_CLOCK=%.20s not understood)", env);
	return LLT_CLOCK_MODE_AUTO;
}

/* Choose the rate of the counter; returns false if it is not stable. */
static bool choose_rate(bool strict_check)
{
	enum llt_clock_rate_source rs = LLT_CLOCK_RATE_NONE;
	double ppm = 0, hz = exact_rate(&rs, &ppm);
	struct llt_clock_cal check;
	bool have_check = false;

	if (hz <= 0) {
		const char *path = llt_clock_cal_default_path();
		struct llt_clock_cal saved;
		memset(&saved, 0, sizeof saved); /* clang-analyzer: not written when the load fails */
		char model[64];
		llt_impl_cpu_model(model, sizeof model);
		if (path && llt_clock_cal_load(path, &saved) == 0 && !strcmp(saved.cpu, model)) {
			hz = saved.hz;
			ppm = saved.ppm_error;
			rs = LLT_CLOCK_RATE_SAVED;
		}
	}
	if (hz > 0) {
		/* Cross-check the reported or saved rate with a short measurement;
		 * a mismatch (twice, so one disturbed measurement does not
		 * count) means it is not this machine's rate. */
		bool agrees = false;
		for (int i = 0; i < 2 && !agrees; i++) {
			if (measure(CHECK_CAL_MS, &check, NULL) != 0)
				break;
			have_check = true;
			double diff = (hz - check.hz) / check.hz * 1e6;
			if (fabs(diff) <= RATE_TOLERANCE_PPM + check.ppm_error + ppm) {
				info.ppm_check = diff;
				agrees = true;
			}
		}
		if (have_check && !agrees)
			hz = 0; /* fall back to a full calibration */
	}
	if (hz <= 0) {
		/* Keep the calibration whose halves agree best; stop at the
		 * first that agrees well. */
		struct llt_clock_cal cal, best = {0};
		double best_check = INFINITY;
		for (int i = 0; i < CAL_TRIES; i++) {
			double half[2];
			if (measure(INIT_CAL_MS, &cal, half) != 0)
				break;
			double check_ppm = (half[0] - half[1]) / cal.hz * 1e6;
			if (fabs(check_ppm) < fabs(best_check)) {
				best = cal;
				best_check = check_ppm;
			}
			if (fabs(check_ppm) <= RATE_AGREE_PPM + 4 * cal.ppm_error)
				break;
		}
		if (!isfinite(best_check))
			return false;
		hz = best.hz;
		ppm = best.ppm_error;
		rs = LLT_CLOCK_RATE_CALIBRATED;
		info.ppm_check = best_check;
		if (strict_check && fabs(best_check) > RATE_TOLERANCE_PPM + 4 * ppm)
			return false;
	}
	info.rate_source = rs;
	info.ppm_error = ppm;
	publish_rate(hz);
	return true;
}

static void choose(enum llt_clock_mode req)
{
	char note[64];
	enum llt_clock_mode mode = mode_from_env(req, note, sizeof note);
	uint64_t t0 = mono_raw_ns();

	memset(&info, 0, sizeof info);
	info.mode = mode;
	info.has_counter = have_counter();
#if defined(LLT_HAVE_TSC)
	info.invariant = llt_cpu_has(LLT_CPU_INVARIANT_TSC);
	const char *kname = "tsc";
#elif defined(LLT_HAVE_CNTVCT)
	info.invariant = true;
	const char *kname = "arch_sys_counter";
#else
	const char *kname = "";
#endif
	info.hypervisor = llt_cpu_has(LLT_CPU_HYPERVISOR);
	llt_impl_hypervisor(info.hypervisor_name, sizeof info.hypervisor_name);
	if (llt_impl_read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			       info.kernel_clocksource, sizeof info.kernel_clocksource) < 0)
		info.kernel_clocksource[0] = '\0';
	info.kernel_uses_counter = *kname && !strcmp(info.kernel_clocksource, kname);

	uint32_t src = LLT_CLOCK_SOURCE_MONOTONIC;
	const char *why = NULL;
	char buf[160];
	if (mode == LLT_CLOCK_MODE_MONOTONIC) {
		why = "CLOCK_MONOTONIC_RAW requested";
	} else if (!info.has_counter) {
		why = "this CPU has no usable cycle counter";
#if defined(LLT_HAVE_TSC)
	} else if (!llt_cpu_has(LLT_CPU_RDTSCP)) {
		/* llt_clock_end() executes rdtscp, which faults (#UD) where
		 * cpuid does not offer it (old CPUs, some hypervisor CPU models). */
		why = "this CPU has a TSC but no rdtscp, which llt_clock_end needs";
#endif
	} else if (mode == LLT_CLOCK_MODE_STRICT && !info.kernel_uses_counter) {
		snprintf(buf, sizeof buf, "strict mode and the kernel's clocksource is %s, not %s",
			 info.kernel_clocksource[0] ? info.kernel_clocksource : "unknown", kname);
		why = buf;
	} else if (mode == LLT_CLOCK_MODE_AUTO && !info.invariant) {
		why = "cpuid does not report an invariant counter";
	} else {
		struct llt_clock_sync sync;
		if (llt_clock_check_sync(INIT_SYNC_MS, &sync) == 0 && sync.cpus > 1) {
			info.sync_checked = true;
			info.synced = sync.warps == 0;
			info.sync_cpus = sync.cpus;
			info.sync_max_warp = sync.max_warp;
		}
		if (mode == LLT_CLOCK_MODE_AUTO && info.sync_checked && !info.synced) {
			snprintf(buf, sizeof buf, "the counter went back by up to %llu ticks between CPUs",
				 (unsigned long long)info.sync_max_warp);
			why = buf;
		} else if (!choose_rate(mode == LLT_CLOCK_MODE_AUTO)) {
			why = "the counter's rate was not stable during calibration";
		} else {
#if defined(LLT_HAVE_TSC)
			src = LLT_CLOCK_SOURCE_TSC;
#else
			src = LLT_CLOCK_SOURCE_CNTVCT;
#endif
		}
	}
	if (src == LLT_CLOCK_SOURCE_MONOTONIC) {
		info.rate_source = LLT_CLOCK_RATE_EXACT;
		info.ppm_error = 0;
		info.ppm_check = 0;
		publish_rate(1e9);
		snprintf(info.reason, sizeof info.reason, "%s%s", why, note);
	} else if (mode == LLT_CLOCK_MODE_AUTO) {
		char order[48];
		if (info.sync_checked)
			snprintf(order, sizeof order, "ordered across %u CPUs", info.sync_cpus);
		else
			snprintf(order, sizeof order, "order across CPUs not checked");
		snprintf(info.reason, sizeof info.reason,
			 "invariant counter, %s, rate stable%s%s%s", order,
			 info.kernel_uses_counter ? "" : "; kernel clocksource ",
			 info.kernel_uses_counter ? "" : (info.kernel_clocksource[0] ? info.kernel_clocksource : "unknown"),
			 note);
	} else {
		snprintf(info.reason, sizeof info.reason, "%s%s",
			 mode == LLT_CLOCK_MODE_STRICT ? "strict mode, and the kernel's clocksource is the counter too"
						       : "counter mode requested", note);
	}
	info.source = (enum llt_clock_source)src;
	anchor_set(src);
	info.init_ns = mono_raw_ns() - t0;
	/* Release: a thread that sees the source also sees the rate above. */
	__atomic_store_n(&llt_clock_impl_g.source, src, __ATOMIC_RELEASE);
}

int llt_clock_init(enum llt_clock_mode mode)
{
	if ((unsigned)mode > LLT_CLOCK_MODE_STRICT)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	int r = 0;
	if (__atomic_load_n(&llt_clock_impl_g.source, __ATOMIC_ACQUIRE) == LLT_CLOCK_SOURCE_NONE)
		choose(mode);
	else if (mode != LLT_CLOCK_MODE_AUTO && mode != info.mode)
		r = -EBUSY;
	pthread_mutex_unlock(&lock);
	return r;
}

static void ensure_init(void)
{
	if (__atomic_load_n(&llt_clock_impl_g.source, __ATOMIC_ACQUIRE) == LLT_CLOCK_SOURCE_NONE)
		llt_clock_init(LLT_CLOCK_MODE_AUTO);
}

uint64_t llt_clock_impl_read_slow(int ordered)
{
	ensure_init();
	return source_read(__atomic_load_n(&llt_clock_impl_g.source, __ATOMIC_ACQUIRE), ordered);
}

uint64_t llt_clock_impl_mult_slow(int inverse)
{
	ensure_init();
	return inverse ? __atomic_load_n(&llt_clock_impl_g.inv_mult, __ATOMIC_ACQUIRE)
		       : __atomic_load_n(&llt_clock_impl_g.mult, __ATOMIC_ACQUIRE);
}

int llt_clock_info(struct llt_clock_info *out)
{
	if (!out)
		return -EINVAL;
	ensure_init();
	pthread_mutex_lock(&lock);
	*out = info;
	pthread_mutex_unlock(&lock);
	return 0;
}

int llt_clock_apply(const struct llt_clock_cal *cal)
{
	if (!cal || !(cal->hz > 1e3 && cal->hz < 1e12) || !(cal->ppm_error >= 0 && isfinite(cal->ppm_error)))
		return -EINVAL;
	ensure_init();
	pthread_mutex_lock(&lock);
	int r = 0;
	uint32_t src = __atomic_load_n(&llt_clock_impl_g.source, __ATOMIC_ACQUIRE);
	if (src == LLT_CLOCK_SOURCE_MONOTONIC) {
		r = -ENOTSUP; /* nanoseconds already: nothing to calibrate */
	} else {
		publish_rate(cal->hz);
		info.rate_source = LLT_CLOCK_RATE_APPLIED;
		info.ppm_error = cal->ppm_error;
		info.ppm_check = 0;
		anchor_set(src);
	}
	pthread_mutex_unlock(&lock);
	return r;
}

const char *llt_clock_source_name(enum llt_clock_source s)
{
	switch (s) {
	case LLT_CLOCK_SOURCE_NONE: return "none";
	case LLT_CLOCK_SOURCE_TSC: return "tsc";
	case LLT_CLOCK_SOURCE_CNTVCT: return "cntvct";
	case LLT_CLOCK_SOURCE_MONOTONIC: return "monotonic";
	}
	return NULL;
}

const char *llt_clock_mode_name(enum llt_clock_mode m)
{
	switch (m) {
	case LLT_CLOCK_MODE_AUTO: return "auto";
	case LLT_CLOCK_MODE_COUNTER: return "counter";
	case LLT_CLOCK_MODE_MONOTONIC: return "monotonic";
	case LLT_CLOCK_MODE_STRICT: return "strict";
	}
	return NULL;
}

/* ------------------------------------------------------------ wall clock */

int llt_clock_anchor(struct llt_clock_anchor *out)
{
	if (!out)
		return -EINVAL;
	ensure_init();
	for (;;) {
		uint32_t s = atomic_load_explicit(&anchor_seq, memory_order_acquire);
		if (s & 1) {
			llt_cpu_relax();
			continue;
		}
		/* Acquire loads pair with the writer's release stores of the
		 * fields, and keep the re-read of the sequence after them: if
		 * it is unchanged, both fields are from one anchor. */
		out->ticks = atomic_load_explicit(&anchor_ticks, memory_order_acquire);
		out->realtime_ns = atomic_load_explicit(&anchor_rt, memory_order_acquire);
		if (atomic_load_explicit(&anchor_seq, memory_order_relaxed) == s)
			return 0;
	}
}

int llt_clock_anchor_refresh(void)
{
	ensure_init();
	pthread_mutex_lock(&lock);
	anchor_set(__atomic_load_n(&llt_clock_impl_g.source, __ATOMIC_ACQUIRE));
	pthread_mutex_unlock(&lock);
	return 0;
}

int64_t llt_clock_to_realtime_ns(uint64_t ticks)
{
	struct llt_clock_anchor a;
	llt_clock_anchor(&a);
	if (ticks >= a.ticks)
		return a.realtime_ns + (int64_t)llt_clock_to_ns(ticks - a.ticks);
	return a.realtime_ns - (int64_t)llt_clock_to_ns(a.ticks - ticks);
}
