/* llt/log.h: a non-blocking logger.
 *
 * LLT_LOG(lg, LLT_INFO, "id=%d px=%f sym=%s", id, px, sym) checks the
 * logger's level (one load and a compare), then copies a pointer to a
 * static descriptor of the call site (format, file, line, level and the
 * argument types, captured at compile time with C11 _Generic), a counter
 * timestamp, a per-thread sequence number and the raw argument bytes into
 * the calling thread's own SPSC ring (<llt/ring.h>).  No formatting, lock,
 * allocation or system call happens on the calling thread; the one
 * allocation is the thread's ring, on its first call.  A background thread
 * drains every ring, merges the records in timestamp order within a
 * bounded window, and writes a self-describing binary log (llt-log(5))
 * that llt-logcat(1) decodes, or formats text itself.  See
 * llt_log_open(3) and LLT_LOG(3). */
#ifndef LLT_LOG_H
#define LLT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <llt/common.h>
#include <llt/clock.h>
#include <llt/ring.h>

LLT_BEGIN_DECLS

/* Levels, in increasing severity.  LLT_DEBUG is taken (the library's
 * debug-build switch), so the debug level is LLT_LOG_DEBUG. */
enum llt_log_level {
	LLT_LOG_TRACE = 0,
	LLT_LOG_DEBUG = 1,
	LLT_LOG_INFO = 2,
	LLT_LOG_NOTICE = 3,
	LLT_LOG_WARN = 4,
	LLT_LOG_ERROR = 5,
	LLT_LOG_FATAL = 6,
	LLT_LOG_OFF = 7          /* as a minimum level: log nothing */
};
#define LLT_TRACE LLT_LOG_TRACE
#define LLT_INFO LLT_LOG_INFO
#define LLT_NOTICE LLT_LOG_NOTICE
#define LLT_WARN LLT_LOG_WARN
#define LLT_ERROR LLT_LOG_ERROR
#define LLT_FATAL LLT_LOG_FATAL

/* Longest string argument copied, in bytes; a longer one is cut there and
 * decoded with LLT_LOG_TRUNC_MARK appended. */
#define LLT_LOG_STR_MAX 1024
#define LLT_LOG_TRUNC_MARK "[...]"
/* Most arguments after the format. */
#define LLT_LOG_ARGS_MAX 16

/* Sinks (struct llt_log_config.sinks). */
#define LLT_LOG_SINK_BINARY 0x1u  /* the binary log at path (default) */
#define LLT_LOG_SINK_TEXT 0x2u    /* text lines at text_path, or stderr */

/* Flags (struct llt_log_config.flags). */
#define LLT_LOG_BLOCK 0x1u         /* a full ring makes the caller wait instead of dropping */
#define LLT_LOG_CRASH_HANDLER 0x2u /* install the fatal-signal handler (llt_log_crash_handler(3)) */

/* fsync policy (struct llt_log_config.fsync). */
enum llt_log_fsync {
	LLT_LOG_FSYNC_NEVER = 0,   /* leave it to the kernel */
	LLT_LOG_FSYNC_CLOSE = 1,   /* at rotation, llt_log_flush() and close (default) */
	LLT_LOG_FSYNC_WRITE = 2    /* after every batch written */
};

/* Told, on the backend thread, that thread tid dropped n more messages. */
typedef void llt_log_drop_fn(void *arg, uint32_t tid, uint64_t n);

struct llt_log_config {
	const char *path;            /* binary log file; NULL: no binary sink */
	const char *text_path;       /* text sink file; NULL: stderr */
	unsigned sinks;              /* LLT_LOG_SINK_*; 0 means BINARY */
	unsigned flags;              /* LLT_LOG_BLOCK, LLT_LOG_CRASH_HANDLER */
	int level;                   /* minimum level logged (LLT_LOG_INFO) */
	size_t ring_bytes;           /* per-thread ring (1 MiB) */
	uint64_t flush_interval_ns;  /* idle backend sleep and write latency (1 ms) */
	uint64_t merge_window_ns;    /* timestamp merge window (1 ms) */
	uint64_t rotate_bytes;       /* rotate a sink file past this size; 0: never */
	unsigned rotate_keep;        /* rotated files kept: path.1 ... path.N (5) */
	enum llt_log_fsync fsync;
	llt_log_drop_fn *on_drop;    /* optional */
	void *drop_arg;
	uint64_t reserved[4];
};

struct llt_log_stats {
	uint64_t logged;          /* records written to the sinks */
	uint64_t dropped;         /* calls that found their ring full (drop policy) */
	uint64_t blocked;         /* calls that waited for space (block policy) */
	uint64_t bytes;           /* bytes written to the binary sink */
	uint64_t write_errors;    /* failed writes (their data is lost) */
	int last_errno;           /* errno of the last failed write, 0 if none */
	unsigned threads;         /* producer threads with a live ring */
	uint64_t rotations;
};

struct llt_log;

/* The static descriptor of one call site.  Treat as private. */
struct llt_log_site {
	const char *fmt;
	const char *file;
	const char *func;
	uint32_t line;
	uint8_t level;
	uint8_t flags;            /* LLT_LOG_IMPL_SITE_RATE */
	uint8_t nargs;
	uint8_t reserved0;
	unsigned char types[LLT_LOG_ARGS_MAX + 1];
};

/* State of one rate-limited call site.  Treat as private. */
struct llt_log_rate {
	uint64_t start;           /* ticks: start of the current interval */
	uint64_t count;           /* messages let through in it */
	uint64_t suppressed;      /* messages held back since the last one let through */
};

LLT_API void llt_log_config_init(struct llt_log_config *cfg);
LLT_API int llt_log_open(const struct llt_log_config *cfg, struct llt_log **out);
LLT_API int llt_log_close(struct llt_log *lg);
LLT_API int llt_log_flush(struct llt_log *lg);
LLT_API int llt_log_preallocate(struct llt_log *lg);
LLT_API void llt_log_set_level(struct llt_log *lg, int level);
LLT_API void llt_log_stats(struct llt_log *lg, struct llt_log_stats *st);
LLT_API int llt_log_crash_handler(struct llt_log *lg);
LLT_API const char *llt_log_level_name(int level);

/* Inline: llt_log_level; the macros LLT_LOG and LLT_LOG_RATE. */

/* ---------------------------------------------------------------- private */

/* Argument type codes, one per argument (what the ring and the file
 * carry).  Integers narrower than 32 bits travel as 32-bit values, as
 * printf's default promotions pass them. */
#define LLT_LOG_T_I32 1u
#define LLT_LOG_T_U32 2u
#define LLT_LOG_T_I64 3u
#define LLT_LOG_T_U64 4u
#define LLT_LOG_T_F64 5u
#define LLT_LOG_T_F80 6u   /* long double, 16 bytes in the ring */
#define LLT_LOG_T_PTR 7u
#define LLT_LOG_T_STR 8u

#define LLT_LOG_IMPL_SITE_RATE 0x1u

/* The record header each call writes into its ring.  A record is one ring
 * element (LLT_LOG_IMPL_ELEM bytes) or, when longer, several in a row. */
struct llt_log_impl_hdr {
	uint64_t tsc;
	const struct llt_log_site *site;
	uint32_t seq;
	uint16_t len;             /* bytes of the record, this header included */
	uint16_t reserved0;
};
#define LLT_LOG_IMPL_ELEM 56u
#define LLT_LOG_IMPL_HDR ((size_t)sizeof(struct llt_log_impl_hdr))
#define LLT_LOG_IMPL_REC_MAX (LLT_LOG_IMPL_HDR + 8 + LLT_LOG_ARGS_MAX * (2 + LLT_LOG_STR_MAX))

/* One calling thread's side of one logger. */
struct llt_log_impl_prod {
	struct llt_ring *ring;
	struct llt_log *log;
	uint64_t gen;
	uint32_t seq;             /* next sequence number */
	uint32_t tid;
	uint64_t dropped;         /* written by this thread only (relaxed) */
	uint64_t blocked;
	unsigned char *scratch;   /* LLT_LOG_IMPL_REC_MAX bytes for long records */
	size_t scratch_len;
};

/* The part of struct llt_log the inline path reads, first in it. */
struct llt_log_impl_pub {
	int level;
	unsigned flags;
	uint64_t gen;
};

/* What a thread last logged to: checked on every call. */
struct llt_log_impl_tls {
	struct llt_log_impl_prod *prod;
	const struct llt_log *log;
	uint64_t gen;
};
LLT_API extern __thread struct llt_log_impl_tls llt_log_impl_cur
	__attribute__((tls_model("initial-exec")));

LLT_API struct llt_log_impl_prod *llt_log_impl_attach(struct llt_log *lg);
LLT_API unsigned char *llt_log_impl_full(struct llt_log_impl_prod *p, size_t n);
LLT_API void llt_log_impl_commit_long(struct llt_log_impl_prod *p);
LLT_API int llt_log_impl_rate_slow(struct llt_log_rate *r, uint64_t n, uint64_t interval_ns,
				   uint64_t now, uint32_t *suppressed);

LLT_END_DECLS

#define LLT_LOG_H_INSIDE
#include <llt/bits/log_impl.h>
#undef LLT_LOG_H_INSIDE

#endif /* LLT_LOG_H */
