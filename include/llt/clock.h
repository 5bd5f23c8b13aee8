/* llt/clock.h: a high-resolution, low-overhead clock.
 *
 * llt_clock_now() returns raw ticks from the cheapest trustworthy counter
 * (the TSC on x86, cntvct_el0 on aarch64, else CLOCK_MONOTONIC_RAW in ns);
 * llt_clock_to_ns() converts a tick count by one multiply and shift.  The
 * source is chosen once, at llt_clock_init() or the first read, and never
 * changes afterwards, so readings stay monotonic.  See llt_clock_now(3),
 * llt_clock_init(3), llt_clock_info(3), llt_clock_calibrate(3). */
#ifndef LLT_CLOCK_H
#define LLT_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <llt/common.h>

LLT_BEGIN_DECLS

enum llt_clock_source {
	LLT_CLOCK_SOURCE_NONE = 0,      /* not initialised yet */
	LLT_CLOCK_SOURCE_TSC = 1,       /* x86 rdtsc */
	LLT_CLOCK_SOURCE_CNTVCT = 2,    /* aarch64 virtual counter */
	LLT_CLOCK_SOURCE_MONOTONIC = 3, /* clock_gettime(CLOCK_MONOTONIC_RAW), 1 tick = 1 ns */
};

enum llt_clock_mode {
	LLT_CLOCK_MODE_AUTO = 0,      /* counter if invariant, ordered across CPUs and stable; LLT_CLOCK may override */
	LLT_CLOCK_MODE_COUNTER = 1,   /* the cycle counter whenever the CPU has one */
	LLT_CLOCK_MODE_MONOTONIC = 2, /* always CLOCK_MONOTONIC_RAW */
	LLT_CLOCK_MODE_STRICT = 3,    /* the counter only when the kernel's clocksource uses it */
};

/* Where the tick rate in use came from. */
enum llt_clock_rate_source {
	LLT_CLOCK_RATE_NONE = 0,
	LLT_CLOCK_RATE_CALIBRATED = 1,  /* measured against CLOCK_MONOTONIC_RAW at start-up */
	LLT_CLOCK_RATE_SAVED = 2,       /* a calibration file from llt-clockcal --save */
	LLT_CLOCK_RATE_CPUID = 3,       /* cpuid leaf 0x15 (crystal ratio) */
	LLT_CLOCK_RATE_HYPERVISOR = 4,  /* hypervisor cpuid leaf 0x40000010 */
	LLT_CLOCK_RATE_KERNEL = 5,      /* the kernel's own TSC conversion (perf mmap page) */
	LLT_CLOCK_RATE_CNTFRQ = 6,      /* aarch64 cntfrq_el0 */
	LLT_CLOCK_RATE_EXACT = 7,       /* 1 tick = 1 ns (CLOCK_MONOTONIC_RAW) */
	LLT_CLOCK_RATE_APPLIED = 8,     /* set by llt_clock_apply() */
};

/* The quality report of llt_clock_info(). */
struct llt_clock_info {
	enum llt_clock_source source;
	enum llt_clock_mode mode;           /* the mode that chose it (after LLT_CLOCK) */
	enum llt_clock_rate_source rate_source;
	double hz;                          /* ticks per second in use */
	double ppm_error;                   /* estimated uncertainty of hz, ppm */
	double ppm_check;                   /* hz minus an independent short measurement, ppm; 0 if none */
	uint64_t mult;                      /* ns = ticks * mult >> 32 */
	bool has_counter;                   /* the CPU has a cycle counter */
	bool invariant;                     /* cpuid: constant rate in every power state */
	bool sync_checked;                  /* the cross-CPU order check ran */
	bool synced;                        /* ... and saw no tick go backwards */
	bool hypervisor;                    /* running under a hypervisor */
	bool kernel_uses_counter;           /* the kernel's clocksource is the counter */
	unsigned sync_cpus;                 /* CPUs the check covered */
	uint64_t sync_max_warp;             /* largest backward step seen, ticks */
	uint64_t init_ns;                   /* time llt_clock_init took */
	char hypervisor_name[16];           /* cpuid 0x40000000 vendor, "" if none */
	char kernel_clocksource[32];        /* sysfs current_clocksource, "" if unreadable */
	char reason[160];                   /* why this source, in one sentence */
};

/* One calibration against CLOCK_MONOTONIC_RAW; also the content of a saved
 * calibration file (llt_clock_cal_save(3)). */
struct llt_clock_cal {
	double hz;              /* measured ticks per second */
	double ppm_error;       /* uncertainty from the bracketing reads, ppm */
	uint64_t duration_ns;   /* length of the measurement window */
	int64_t realtime_sec;   /* when it was made (CLOCK_REALTIME seconds) */
	char cpu[64];           /* CPU model it was made on */
};

/* The result of llt_clock_check_sync(). */
struct llt_clock_sync {
	unsigned cpus;          /* CPUs that took part */
	uint64_t samples;       /* ordered read pairs compared */
	uint64_t warps;         /* pairs whose later read was smaller */
	uint64_t max_warp;      /* largest backward step, ticks */
};

/* A wall-clock anchor: the same instant as ticks and as CLOCK_REALTIME. */
struct llt_clock_anchor {
	uint64_t ticks;
	int64_t realtime_ns;
};

LLT_API int llt_clock_init(enum llt_clock_mode mode);
LLT_API int llt_clock_info(struct llt_clock_info *info);
LLT_API const char *llt_clock_source_name(enum llt_clock_source source);
LLT_API const char *llt_clock_mode_name(enum llt_clock_mode mode);
LLT_API int llt_clock_calibrate(unsigned duration_ms, struct llt_clock_cal *cal);
LLT_API int llt_clock_apply(const struct llt_clock_cal *cal);
LLT_API int llt_clock_cal_save(const struct llt_clock_cal *cal, const char *path);
LLT_API int llt_clock_cal_load(const char *path, struct llt_clock_cal *cal);
LLT_API const char *llt_clock_cal_default_path(void);
LLT_API int llt_clock_check_sync(unsigned duration_ms, struct llt_clock_sync *sync);
LLT_API int llt_clock_anchor(struct llt_clock_anchor *anchor);
LLT_API int llt_clock_anchor_refresh(void);
LLT_API int64_t llt_clock_to_realtime_ns(uint64_t ticks);

/* Inline reads: llt_clock_now, llt_clock_start, llt_clock_end,
 * llt_clock_to_ns, llt_clock_from_ns, llt_clock_now_ns. */

/* Private: read by the inline functions, not part of the API. */
struct llt_clock_impl_state {
	uint32_t source;        /* enum llt_clock_source, 0 until chosen */
	uint32_t reserved0;
	uint64_t mult;          /* ns per tick << 32; 0 until chosen */
	uint64_t inv_mult;      /* ticks per ns << 32 */
	uint64_t reserved[5];
} __attribute__((aligned(64)));
LLT_API extern struct llt_clock_impl_state llt_clock_impl_g;
LLT_API uint64_t llt_clock_impl_read_slow(int ordered);
LLT_API uint64_t llt_clock_impl_mult_slow(int inverse);

LLT_END_DECLS

#define LLT_CLOCK_H_INSIDE
#include <llt/bits/clock_impl.h>
#undef LLT_CLOCK_H_INSIDE

#endif /* LLT_CLOCK_H */
