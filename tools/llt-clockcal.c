/* llt-clockcal: calibrate libllt's clock and report what it chose and why.
 *
 * Reports the source llt_clock_init() chose (llt_clock_info), the counter's
 * rate from repeated calibrations against CLOCK_MONOTONIC_RAW and their
 * spread, the per-call cost of every way to read the time, and a
 * cross-CPU order check.  --save writes the long calibration where
 * llt_clock_init() can use it.  See llt-clockcal(1).
 *
 * Per-call costs are amortised: a burst of BURST_CALLS calls is timed with
 * clock_gettime(CLOCK_MONOTONIC_RAW) around it and divided, since on a
 * virtual machine the counter may advance in steps coarser than one call
 * (BENCHMARKING.md).  The implementations are interleaved round-robin in
 * each repetition so that noise falls on all of them alike, the first
 * repetition is a discarded warm-up, and the median is reported. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/version.h>

#define PROGRAM "llt-clockcal"

#define DEFAULT_DURATION_MS 1000u
#define MIN_DURATION_MS 10u
#define MAX_DURATION_MS 600000u
#define SHORT_CAL_MS 10u
#define REPEAT_CALS 5
#define BURST_CALLS 1000u
#define BURST_REPS 51        /* after one discarded warm-up */

#define EXIT_FAIL 1          /* clock unusable or a measurement failed */
#define EXIT_USAGE 2         /* bad command line, or --save failed */

#if defined(__x86_64__) || defined(__i386__)
#  define HAVE_X86 1
#else
#  define HAVE_X86 0
#endif

static volatile uint64_t sink;

/* ------------------------------------------------------------ the readers */

static inline uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static inline uint64_t mono_raw_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts_ns(&ts);
}

static inline uint64_t cg_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_ns(&ts);
}

static inline uint64_t cg_monotonic_raw(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts_ns(&ts);
}

static inline uint64_t cg_realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts_ns(&ts);
}

static inline uint64_t cg_monotonic_coarse(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts_ns(&ts);
}

#if HAVE_X86
static inline uint64_t raw_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t raw_rdtscp(void)
{
	uint32_t lo, hi, aux;
	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	(void)aux;
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t raw_lfence_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}
#endif

/* One burst of n calls; the sum keeps every result alive, and it ends up
 * in the volatile sink. */
#define BURST(name, expr)                                         \
	static __attribute__((noinline)) uint64_t burst_##name(unsigned n) \
	{                                                         \
		uint64_t acc = 0;                                 \
		for (unsigned i = 0; i < n; i++)                  \
			acc += (expr);                            \
		return acc;                                       \
	}

BURST(now, llt_clock_now())
BURST(start, llt_clock_start())
BURST(end, llt_clock_end())
BURST(now_ns, llt_clock_now_ns())
#if HAVE_X86
BURST(rdtsc, raw_rdtsc())
BURST(rdtscp, raw_rdtscp())
BURST(lfence_rdtsc, raw_lfence_rdtsc())
#endif
BURST(cg_mono, cg_monotonic())
BURST(cg_raw, cg_monotonic_raw())
BURST(cg_real, cg_realtime())
BURST(cg_coarse, cg_monotonic_coarse())

struct reader {
	const char *key;    /* JSON key */
	const char *label;  /* human label */
	uint64_t (*burst)(unsigned n);
	bool available;
	double ns;          /* median ns per call */
	double ns_min, ns_max;
};

static struct reader readers[] = {
	{"llt_clock_now", "llt_clock_now", burst_now, true, 0, 0, 0},
	{"llt_clock_start", "llt_clock_start", burst_start, true, 0, 0, 0},
	{"llt_clock_end", "llt_clock_end", burst_end, true, 0, 0, 0},
	{"llt_clock_now_ns", "llt_clock_now_ns", burst_now_ns, true, 0, 0, 0},
#if HAVE_X86
	{"rdtsc", "rdtsc (inline asm)", burst_rdtsc, true, 0, 0, 0},
	{"rdtscp", "rdtscp (inline asm)", burst_rdtscp, true, 0, 0, 0},
	{"lfence_rdtsc", "lfence;rdtsc (inline asm)", burst_lfence_rdtsc, true, 0, 0, 0},
#endif
	{"clock_gettime_monotonic", "clock_gettime(MONOTONIC)", burst_cg_mono, true, 0, 0, 0},
	{"clock_gettime_monotonic_raw", "clock_gettime(MONOTONIC_RAW)", burst_cg_raw, true, 0, 0, 0},
	{"clock_gettime_realtime", "clock_gettime(REALTIME)", burst_cg_real, true, 0, 0, 0},
	{"clock_gettime_monotonic_coarse", "clock_gettime(MONOTONIC_COARSE)", burst_cg_coarse, true, 0, 0, 0},
};
#define NREADERS (sizeof readers / sizeof readers[0])

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Returns false if a burst could not be timed (a clock going backwards). */
static bool measure_costs(void)
{
	static double ns[NREADERS][BURST_REPS];
	bool ok = true;

#if HAVE_X86
	/* Executing rdtscp where cpuid does not offer it raises #UD. */
	for (size_t k = 0; k < NREADERS; k++)
		if (!strcmp(readers[k].key, "rdtscp"))
			readers[k].available = llt_cpu_has(LLT_CPU_RDTSCP);
#endif
	/* Rep 0 is the warm-up; each rep starts at a different reader. */
	for (int rep = 0; rep <= BURST_REPS; rep++) {
		for (size_t j = 0; j < NREADERS; j++) {
			size_t k = (j + (size_t)rep) % NREADERS;
			if (!readers[k].available)
				continue;
			uint64_t t0 = mono_raw_ns();
			uint64_t acc = readers[k].burst(BURST_CALLS);
			uint64_t t1 = mono_raw_ns();
			sink += acc;
			if (rep > 0)
				ns[k][rep - 1] = (double)(t1 - t0) / BURST_CALLS;
			if (t1 < t0)
				ok = false;
		}
	}
	for (size_t k = 0; k < NREADERS; k++) {
		if (!readers[k].available)
			continue;
		readers[k].ns = median(ns[k], BURST_REPS);
		readers[k].ns_min = ns[k][0];
		readers[k].ns_max = ns[k][BURST_REPS - 1];
		if (!(readers[k].ns > 0))
			ok = false;
	}
	return ok;
}

/* ----------------------------------------------------------------- names */

static const char *rate_source_name(enum llt_clock_rate_source r)
{
	switch (r) {
	case LLT_CLOCK_RATE_NONE: return "none";
	case LLT_CLOCK_RATE_CALIBRATED: return "calibrated";
	case LLT_CLOCK_RATE_SAVED: return "saved";
	case LLT_CLOCK_RATE_CPUID: return "cpuid";
	case LLT_CLOCK_RATE_HYPERVISOR: return "hypervisor";
	case LLT_CLOCK_RATE_KERNEL: return "kernel";
	case LLT_CLOCK_RATE_CNTFRQ: return "cntfrq";
	case LLT_CLOCK_RATE_EXACT: return "exact";
	case LLT_CLOCK_RATE_APPLIED: return "applied";
	}
	return "unknown";
}

static const char *rate_source_what(enum llt_clock_rate_source r)
{
	switch (r) {
	case LLT_CLOCK_RATE_NONE: return "no rate";
	case LLT_CLOCK_RATE_CALIBRATED: return "measured at start-up";
	case LLT_CLOCK_RATE_SAVED: return "the calibration file";
	case LLT_CLOCK_RATE_CPUID: return "cpuid leaf 0x15";
	case LLT_CLOCK_RATE_HYPERVISOR: return "cpuid leaf 0x40000010";
	case LLT_CLOCK_RATE_KERNEL: return "the kernel's, perf mmap page";
	case LLT_CLOCK_RATE_CNTFRQ: return "cntfrq_el0";
	case LLT_CLOCK_RATE_EXACT: return "1 tick = 1 ns";
	case LLT_CLOCK_RATE_APPLIED: return "llt_clock_apply";
	}
	return "unknown";
}

static bool parse_mode(const char *s, enum llt_clock_mode *mode)
{
	static const enum llt_clock_mode modes[] = {
		LLT_CLOCK_MODE_AUTO, LLT_CLOCK_MODE_COUNTER,
		LLT_CLOCK_MODE_MONOTONIC, LLT_CLOCK_MODE_STRICT,
	};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (!strcmp(s, llt_clock_mode_name(modes[i]))) {
			*mode = modes[i];
			return true;
		}
	return false;
}

/* ------------------------------------------------------------------ JSON */

static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* A number, or null when it is not finite or not measured. */
static void json_num(double v, int digits)
{
	if (isfinite(v))
		printf("%.*f", digits, v);
	else
		fputs("null", stdout);
}

static void json_bool(bool v)
{
	fputs(v ? "true" : "false", stdout);
}

/* ---------------------------------------------------------------- report */

struct report {
	struct llt_clock_info info;
	enum llt_clock_mode mode_requested;
	unsigned duration_ms;
	/* calibrations; hz is NAN when not measured */
	struct llt_clock_cal short_cal, long_cal;
	double short_hz, long_hz;
	double repeat_hz[REPEAT_CALS];
	unsigned repeat_ms;
	double repeat_median, spread_ppm, short_long_ppm, inuse_long_ppm;
	const char *cal_error;       /* strerror of a failed calibration */
	double counter_hz;           /* for ticks per call: the counter's rate */
	/* costs */
	bool costs_ok;
	/* sync */
	bool sync_ran;
	unsigned sync_ms;
	struct llt_clock_sync sync;
	const char *sync_error;
	/* files */
	const char *default_path;
	const char *saved_to;
};

static bool counter_in_use(const struct llt_clock_info *i)
{
	return i->source == LLT_CLOCK_SOURCE_TSC || i->source == LLT_CLOCK_SOURCE_CNTVCT;
}

static double cycles_of(const struct report *r, double ns)
{
	return isfinite(r->counter_hz) && r->counter_hz > 0 ? ns * r->counter_hz / 1e9 : NAN;
}

static void print_json(const struct report *r)
{
	const struct llt_clock_info *i = &r->info;

	printf("{\n  \"program\": ");
	json_str(PROGRAM);
	printf(",\n  \"version\": ");
	json_str(LLT_VERSION_STRING);
	printf(",\n  \"source\": ");
	json_str(llt_clock_source_name(i->source));
	printf(",\n  \"mode\": ");
	json_str(llt_clock_mode_name(i->mode));
	printf(",\n  \"mode_requested\": ");
	json_str(llt_clock_mode_name(r->mode_requested));
	printf(",\n  \"reason\": ");
	json_str(i->reason);
	printf(",\n  \"rate_source\": ");
	json_str(rate_source_name(i->rate_source));
	printf(",\n  \"hz\": ");
	json_num(i->hz, 3);
	printf(",\n  \"ppm_error\": ");
	json_num(i->ppm_error, 4);
	printf(",\n  \"ppm_check\": ");
	json_num(i->ppm_check, 4);
	printf(",\n  \"has_counter\": ");
	json_bool(i->has_counter);
	printf(",\n  \"invariant\": ");
	json_bool(i->invariant);
	printf(",\n  \"hypervisor\": ");
	json_bool(i->hypervisor);
	printf(",\n  \"hypervisor_name\": ");
	json_str(i->hypervisor_name);
	printf(",\n  \"kernel_clocksource\": ");
	json_str(i->kernel_clocksource);
	printf(",\n  \"kernel_uses_counter\": ");
	json_bool(i->kernel_uses_counter);
	printf(",\n  \"sync_checked\": ");
	json_bool(i->sync_checked);
	printf(",\n  \"synced\": ");
	if (i->sync_checked)
		json_bool(i->synced);
	else
		fputs("null", stdout);
	printf(",\n  \"sync_cpus\": %u", i->sync_cpus);
	printf(",\n  \"sync_max_warp_ticks\": %llu", (unsigned long long)i->sync_max_warp);
	printf(",\n  \"init_ns\": %llu", (unsigned long long)i->init_ns);

	printf(",\n  \"calibrations\": {\n    \"short_ms\": %u,\n    \"short_hz\": ", SHORT_CAL_MS);
	json_num(r->short_hz, 3);
	printf(",\n    \"long_ms\": %u,\n    \"long_hz\": ", r->duration_ms);
	json_num(r->long_hz, 3);
	printf(",\n    \"long_ppm_error\": ");
	json_num(isfinite(r->long_hz) ? r->long_cal.ppm_error : NAN, 4);
	printf(",\n    \"short_long_ppm\": ");
	json_num(r->short_long_ppm, 4);
	printf(",\n    \"in_use_long_ppm\": ");
	json_num(r->inuse_long_ppm, 4);
	printf(",\n    \"repeat_ms\": %u,\n    \"repeat_hz\": [", r->repeat_ms);
	for (int k = 0; k < REPEAT_CALS; k++) {
		if (k)
			fputs(", ", stdout);
		json_num(r->repeat_hz[k], 3);
	}
	printf("],\n    \"repeat_median_hz\": ");
	json_num(r->repeat_median, 3);
	printf(",\n    \"spread_ppm\": ");
	json_num(r->spread_ppm, 4);
	printf("\n  }");

	printf(",\n  \"cost_burst_calls\": %u,\n  \"cost_reps\": %d", BURST_CALLS, BURST_REPS);
	printf(",\n  \"cost_ns\": {");
	bool first = true;
	for (size_t k = 0; k < NREADERS; k++) {
		if (!readers[k].available)
			continue;
		printf("%s\n    ", first ? "" : ",");
		json_str(readers[k].key);
		printf(": ");
		json_num(readers[k].ns, 3);
		first = false;
	}
	printf("\n  },\n  \"cost_cycles\": {");
	first = true;
	for (size_t k = 0; k < NREADERS; k++) {
		if (!readers[k].available)
			continue;
		printf("%s\n    ", first ? "" : ",");
		json_str(readers[k].key);
		printf(": ");
		json_num(cycles_of(r, readers[k].ns), 2);
		first = false;
	}
	printf("\n  }");

	printf(",\n  \"sync_check\": ");
	if (r->sync_ran) {
		printf("{\n    \"duration_ms\": %u,\n    \"cpus\": %u,\n    \"samples\": %llu,"
		       "\n    \"warps\": %llu,\n    \"max_warp_ticks\": %llu,\n    \"max_warp_ns\": ",
		       r->sync_ms, r->sync.cpus, (unsigned long long)r->sync.samples,
		       (unsigned long long)r->sync.warps, (unsigned long long)r->sync.max_warp);
		json_num(isfinite(r->counter_hz) ? (double)r->sync.max_warp * 1e9 / r->counter_hz : NAN, 1);
		printf("\n  }");
	} else {
		fputs("null", stdout);
	}
	printf(",\n  \"default_cal_path\": ");
	json_str(r->default_path);
	printf(",\n  \"saved_to\": ");
	json_str(r->saved_to);
	printf("\n}\n");
}

static void print_human(const struct report *r)
{
	const struct llt_clock_info *i = &r->info;
	const int w = 20;

	printf("%s (libllt) %s\n\nclock chosen by llt_clock_init\n", PROGRAM, LLT_VERSION_STRING);
	printf("  %-*s%s\n", w, "source", llt_clock_source_name(i->source));
	printf("  %-*s%s\n", w, "why", i->reason);
	if (i->mode != r->mode_requested)
		printf("  %-*s%s (requested %s; from LLT_CLOCK)\n", w, "mode",
		       llt_clock_mode_name(i->mode), llt_clock_mode_name(r->mode_requested));
	else
		printf("  %-*s%s\n", w, "mode", llt_clock_mode_name(i->mode));
	printf("  %-*s%s (%s)\n", w, "rate source", rate_source_name(i->rate_source),
	       rate_source_what(i->rate_source));
	printf("  %-*s%.3f Hz (%.6f GHz)\n", w, "hz", i->hz, i->hz / 1e9);
	printf("  %-*s%.4f ppm\n", w, "ppm error", i->ppm_error);
	printf("  %-*s%+.4f ppm (%s)\n", w, "ppm check", i->ppm_check,
	       i->rate_source == LLT_CLOCK_RATE_CALIBRATED ? "half minus half"
	       : i->ppm_check != 0 ? "minus a 3 ms measurement"
				   : "not checked");
	printf("  %-*s%s\n", w, "invariant counter",
	       !i->has_counter ? "no counter" : i->invariant ? "yes" : "no");
	if (i->hypervisor)
		printf("  %-*syes (%s)\n", w, "hypervisor",
		       i->hypervisor_name[0] ? i->hypervisor_name : "unknown vendor");
	else
		printf("  %-*sno\n", w, "hypervisor");
	printf("  %-*s%s (%s)\n", w, "kernel clocksource",
	       i->kernel_clocksource[0] ? i->kernel_clocksource : "unknown",
	       i->kernel_uses_counter ? "the same counter" : "not the counter");
	if (i->sync_checked)
		printf("  %-*s%s across %u CPUs, max warp %llu ticks\n", w, "synced",
		       i->synced ? "yes" : "NO", i->sync_cpus, (unsigned long long)i->sync_max_warp);
	else
		printf("  %-*snot checked\n", w, "synced");
	printf("  %-*s%.3f ms\n", w, "init time", (double)i->init_ns / 1e6);
	if (r->default_path)
		printf("  %-*s%s (%s)\n", w, "calibration file", r->default_path,
		       access(r->default_path, R_OK) == 0 ? "present" : "absent");
	else
		printf("  %-*snone (LLT_CLOCK_FILE is empty)\n", w, "calibration file");

	printf("\ncounter rate, calibrated against CLOCK_MONOTONIC_RAW\n");
	if (r->cal_error) {
		printf("  not measured: %s\n", r->cal_error);
	} else {
		printf("  %-*s%.3f Hz (+/- %.3f ppm)\n", w, "short (10 ms)", r->short_hz,
		       r->short_cal.ppm_error);
		char label[32];
		snprintf(label, sizeof label, "long (%u ms)", r->duration_ms);
		printf("  %-*s%.3f Hz (+/- %.3f ppm)\n", w, label, r->long_hz, r->long_cal.ppm_error);
		printf("  %-*s%+.3f ppm\n", w, "short - long", r->short_long_ppm);
		snprintf(label, sizeof label, "%d x %u ms", REPEAT_CALS, r->repeat_ms);
		double lo = INFINITY, hi = -INFINITY;
		for (int k = 0; k < REPEAT_CALS; k++) {
			lo = fmin(lo, r->repeat_hz[k]);
			hi = fmax(hi, r->repeat_hz[k]);
		}
		printf("  %-*smin    %.3f Hz\n", w, label, lo);
		printf("  %-*smedian %.3f Hz\n", w, "", r->repeat_median);
		printf("  %-*smax    %.3f Hz\n", w, "", hi);
		printf("  %-*s%.3f ppm ((max - min) / median)\n", w, "spread", r->spread_ppm);
		if (isfinite(r->inuse_long_ppm))
			printf("  %-*s%+.3f ppm\n", w, "in use - long", r->inuse_long_ppm);
		else
			printf("  %-*snot applicable (the counter is not in use)\n", w, "in use - long");
	}
	if (r->saved_to)
		printf("  %-*s%s\n", w, "saved to", r->saved_to);

	printf("\nper-call cost, amortised over bursts of %u calls timed with\n"
	       "clock_gettime(MONOTONIC_RAW); median and min-max of %d bursts\n",
	       BURST_CALLS, BURST_REPS);
	printf("  %-31s %8s %8s   %s\n", "call", "ns", "ticks", "ns min-max");
	for (size_t k = 0; k < NREADERS; k++) {
		if (!readers[k].available) {
			printf("  %-31s %8s\n", readers[k].label, "n/a");
			continue;
		}
		printf("  %-31s %8.2f %8.1f   %.2f-%.2f\n", readers[k].label, readers[k].ns,
		       cycles_of(r, readers[k].ns), readers[k].ns_min, readers[k].ns_max);
	}

	printf("\ncross-CPU order (llt_clock_check_sync)\n");
	if (!r->sync_ran) {
		printf("  not run: %s\n", r->sync_error ? r->sync_error : "no cycle counter");
	} else if (r->sync.cpus < 2) {
		printf("  not meaningful: only %u CPU allowed\n", r->sync.cpus);
	} else {
		printf("  %-*s%u ms\n", w, "duration", r->sync_ms);
		printf("  %-*s%u\n", w, "CPUs", r->sync.cpus);
		printf("  %-*s%llu\n", w, "samples", (unsigned long long)r->sync.samples);
		printf("  %-*s%llu%s\n", w, "warps", (unsigned long long)r->sync.warps,
		       r->sync.warps ? " (the counter went backwards between CPUs)" : "");
		printf("  %-*s%llu ticks (%.1f ns)\n", w, "max warp", (unsigned long long)r->sync.max_warp,
		       (double)r->sync.max_warp * 1e9 / r->counter_hz);
	}
}

/* ----------------------------------------------------------------- usage */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTION]...\n"
		"Report the clock source libllt chooses and why, calibrate the cycle\n"
		"counter against CLOCK_MONOTONIC_RAW, measure what each way of reading\n"
		"the time costs, and check that the counter is ordered across CPUs.\n"
		"\n"
		"  -d, --duration=MS   length of the long calibration, 10 to 600000 ms\n"
		"                        (default %u); the repeated calibrations take\n"
		"                        MS/10 each and the order check MS/4\n"
		"  -j, --json          print one JSON object instead of the report\n"
		"  -m, --mode=MODE     pass MODE to llt_clock_init: auto, counter,\n"
		"                        monotonic or strict (default auto)\n"
		"  -q, --quiet         print no report; only errors and the exit status\n"
		"  -s, --save=FILE     write the long calibration to FILE; llt_clock_init\n"
		"                        reads %s\n"
		"  -h, --help          display this help and exit\n"
		"  -V, --version       output version information and exit\n"
		"\n"
		"Per-call costs are amortised over bursts of %u calls.\n"
		"\n"
		"Exit status:\n"
		" 0  success\n"
		" 1  the clock is unusable or a measurement failed (a calibration failed,\n"
		"    or the order check saw the counter go backwards while it is in use)\n"
		" 2  usage error, or --save failed\n"
		"\n"
		"Environment: LLT_CLOCK overrides the auto mode; LLT_CLOCK_FILE names the\n"
		"calibration file (empty: none).\n",
		PROGRAM, DEFAULT_DURATION_MS,
		llt_clock_cal_default_path() ? llt_clock_cal_default_path() : "no file",
		BURST_CALLS);
}

static void try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", PROGRAM);
}

static void version(void)
{
	printf("%s (libllt) %s\n"
	       "License LGPL-2.1: GNU Lesser General Public License version 2.1.\n"
	       "This is free software: you are free to change and redistribute it.\n"
	       "There is NO WARRANTY, to the extent permitted by law.\n",
	       PROGRAM, LLT_VERSION_STRING);
}

/* A directory check before the measurements, so that an unwritable --save
 * fails at once rather than after them. */
static int check_save_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return ENOMEM;
	int err = access(dir, W_OK | X_OK) == 0 ? 0 : errno;
	free(dir);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"duration", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"mode", required_argument, NULL, 'm'},
		{"quiet", no_argument, NULL, 'q'},
		{"save", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	unsigned duration_ms = DEFAULT_DURATION_MS;
	enum llt_clock_mode mode = LLT_CLOCK_MODE_AUTO;
	const char *save = NULL;
	bool json = false, quiet = false;
	int c;

	/* getopt's own messages name argv[0]; under libtool's wrapper that is
	 * a path into .libs, so name the program as its other messages do. */
	if (argc > 0)
		argv[0] = (char *)PROGRAM;
	while ((c = getopt_long(argc, argv, "d:jm:qs:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end != '\0' || optarg[0] == '-' ||
			    v < MIN_DURATION_MS || v > MAX_DURATION_MS) {
				fprintf(stderr, "%s: invalid duration '%s': give %u to %u milliseconds\n",
					PROGRAM, optarg, MIN_DURATION_MS, MAX_DURATION_MS);
				try_help();
				return EXIT_USAGE;
			}
			duration_ms = (unsigned)v;
			break;
		}
		case 'j':
			json = true;
			break;
		case 'm':
			if (!parse_mode(optarg, &mode)) {
				fprintf(stderr, "%s: invalid mode '%s': give auto, counter, monotonic or strict\n",
					PROGRAM, optarg);
				try_help();
				return EXIT_USAGE;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 's':
			if (!*optarg) {
				fprintf(stderr, "%s: --save needs a file name\n", PROGRAM);
				try_help();
				return EXIT_USAGE;
			}
			save = optarg;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_SUCCESS : EXIT_FAIL;
		case 'V':
			version();
			return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_SUCCESS : EXIT_FAIL;
		default:
			try_help();
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: extra operand '%s'\n", PROGRAM, argv[optind]);
		try_help();
		return EXIT_USAGE;
	}
	if (save) {
		int err = check_save_dir(save);
		if (err) {
			fprintf(stderr, "%s: %s: %s\n", PROGRAM, save, strerror(err));
			return EXIT_USAGE;
		}
	}

	int status = EXIT_SUCCESS;
	struct report r;
	memset(&r, 0, sizeof r);
	r.mode_requested = mode;
	r.duration_ms = duration_ms;
	r.default_path = llt_clock_cal_default_path();

	int e = llt_clock_init(mode);
	if (e == 0)
		e = llt_clock_info(&r.info);
	if (e != 0 || r.info.source == LLT_CLOCK_SOURCE_NONE || !(r.info.hz > 0)) {
		fprintf(stderr, "%s: the clock is unusable: %s\n", PROGRAM,
			e ? strerror(-e) : "no source chosen");
		return EXIT_FAIL;
	}

	/* Calibrations: short, then the repeats, then the long one. */
	r.short_hz = r.long_hz = r.repeat_median = r.spread_ppm = NAN;
	r.short_long_ppm = r.inuse_long_ppm = NAN;
	for (int k = 0; k < REPEAT_CALS; k++)
		r.repeat_hz[k] = NAN;
	r.repeat_ms = duration_ms / 10;
	e = llt_clock_calibrate(SHORT_CAL_MS, &r.short_cal);
	if (e == 0)
		r.short_hz = r.short_cal.hz;
	for (int k = 0; e == 0 && k < REPEAT_CALS; k++) {
		struct llt_clock_cal cal;
		e = llt_clock_calibrate(r.repeat_ms, &cal);
		if (e == 0)
			r.repeat_hz[k] = cal.hz;
	}
	if (e == 0)
		e = llt_clock_calibrate(duration_ms, &r.long_cal);
	if (e == 0) {
		double sorted[REPEAT_CALS];
		memcpy(sorted, r.repeat_hz, sizeof sorted);
		r.repeat_median = median(sorted, REPEAT_CALS);
		r.spread_ppm = (sorted[REPEAT_CALS - 1] - sorted[0]) / r.repeat_median * 1e6;
		r.long_hz = r.long_cal.hz;
		r.short_long_ppm = (r.short_hz - r.long_hz) / r.long_hz * 1e6;
		if (counter_in_use(&r.info))
			r.inuse_long_ppm = (r.info.hz - r.long_hz) / r.long_hz * 1e6;
		r.counter_hz = r.long_hz;
	} else {
		r.cal_error = strerror(-e);
		r.counter_hz = counter_in_use(&r.info) ? r.info.hz : NAN;
		/* No counter at all is not a failure: there is nothing to calibrate. */
		if (e != -ENOTSUP) {
			fprintf(stderr, "%s: calibration failed: %s\n", PROGRAM, r.cal_error);
			status = EXIT_FAIL;
		}
	}

	if (save) {
		e = r.cal_error ? -ENOTSUP : llt_clock_cal_save(&r.long_cal, save);
		if (e != 0) {
			fprintf(stderr, "%s: %s: %s\n", PROGRAM, save, strerror(-e));
			return EXIT_USAGE;
		}
		r.saved_to = save;
	}

	/* Costs, pinned to the CPU we are on so no migration lands in a burst. */
	int cpu = llt_cpu_current();
	bool pinned = cpu >= 0 && llt_cpu_pin(cpu) == 0;
	r.costs_ok = measure_costs();
	if (pinned)
		llt_cpu_unpin();
	if (!r.costs_ok) {
		fprintf(stderr, "%s: a per-call cost could not be measured\n", PROGRAM);
		status = EXIT_FAIL;
	}

	/* Cross-CPU order over a quarter of the duration. */
	r.sync_ms = duration_ms / 4 < 10 ? 10 : duration_ms / 4;
	e = llt_clock_check_sync(r.sync_ms, &r.sync);
	if (e == 0) {
		r.sync_ran = true;
		if (r.sync.warps && counter_in_use(&r.info)) {
			fprintf(stderr, "%s: the counter in use went backwards by up to %llu ticks between CPUs\n",
				PROGRAM, (unsigned long long)r.sync.max_warp);
			status = EXIT_FAIL;
		}
	} else if (e != -ENOTSUP) {
		r.sync_error = strerror(-e);
		fprintf(stderr, "%s: order check failed: %s\n", PROGRAM, r.sync_error);
		status = EXIT_FAIL;
	}

	if (!quiet) {
		if (json)
			print_json(&r);
		else
			print_human(&r);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write error: %s\n", PROGRAM, strerror(errno));
		return EXIT_FAIL;
	}
	return status;
}
