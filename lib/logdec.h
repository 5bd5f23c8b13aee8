/* Private: the reader of the binary log (llt-log(5)).  Used by the text
 * sink of lib/log.c, by llt-logcat and by tests/fuzz/fuzz_logcat.c.  It
 * never trusts its input: every length is checked against the bytes
 * given, and it allocates only its descriptor table and module map. */
#ifndef LLT_LOGDEC_H
#define LLT_LOGDEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LLT_LOGDEC_ARGS 16

struct llt_logdec_op;

struct llt_logdec_desc {
	bool valid;
	uint8_t level, flags, nargs;
	uint32_t line;
	uint8_t types[LLT_LOGDEC_ARGS];
	char *file, *func, *fmt;
	const char *base;              /* file after its last '/' */
	/* The format parsed once (llt_logdec_format_desc), or NULL when it
	 * uses anything but the common conversions. */
	struct llt_logdec_op *plan;
	unsigned nops;
	size_t lit_total;              /* bytes of literal text in the plan */
};

struct llt_logdec_arg {
	uint8_t type;             /* LLT_LOG_T_* */
	uint8_t trunc;            /* string was cut at LLT_LOG_STR_MAX */
	uint32_t len;             /* string length */
	union {
		int64_t i;
		uint64_t u;
		double d;
		long double ld;
		const char *s;        /* not NUL-terminated */
	} v;
};

enum {
	LLT_LOGDEC_EV_RECORD = 1,
	LLT_LOGDEC_EV_DESC,
	LLT_LOGDEC_EV_THREAD,
	LLT_LOGDEC_EV_DROP,
	LLT_LOGDEC_EV_NOTE,
	LLT_LOGDEC_EV_CRASH,
	LLT_LOGDEC_EV_SYNC,
	LLT_LOGDEC_EV_MODULES
};

/* One module of the map (format 1.1): addresses in [lo, lo + len) belong
 * to path, whose link-time addresses are moved by bias. */
struct llt_logdec_mod {
	uint64_t bias, lo, len;
	char *path;
	uint8_t buildid[64];
	uint8_t buildid_len;
};

struct llt_logdec_ev {
	int type;
	uint64_t tsc;
	uint32_t tid;
	uint64_t seq;
	const struct llt_logdec_desc *desc;   /* RECORD */
	unsigned nargs;
	struct llt_logdec_arg args[LLT_LOGDEC_ARGS];
	uint64_t suppressed;                  /* RECORD of a rate-limited site */
	uint64_t count;                       /* DROP */
	int level;                            /* RECORD, NOTE, CRASH */
	const char *text;                     /* NOTE */
	uint32_t textlen;
	int signo;                            /* CRASH */
	uint64_t addr;
	uint32_t nframes;
	const uint8_t *frames, *frames_end;   /* walk with llt_logdec_frame() */
};

struct llt_logdec_frame {
	uint64_t ip, off;
	const char *name;
	uint32_t namelen;
};

struct llt_logdec {
	uint16_t version;         /* the header's field: major | minor << 8 */
	uint8_t major, minor;
	uint32_t pid;
	double hz;
	uint64_t anchor_ticks;
	int64_t anchor_ns;
	int64_t created_ns;
	uint32_t rotation;
	char host[256];
	char prog[256];
	struct llt_logdec_desc *descs;
	size_t ndescs;
	bool have_thread;
	uint32_t tid;
	uint64_t seq;
	uint64_t last_tsc;
	bool synced;              /* a SYNC entry was seen */
	struct llt_logdec_mod *mods;   /* the last module map read */
	size_t nmods;
};

const char *llt_logdec_level_name(int level);
void llt_logdec_init(struct llt_logdec *d);
void llt_logdec_free(struct llt_logdec *d);
/* > 0: header bytes; 0: need more bytes; -1: not a log (or bad header). */
long llt_logdec_header(struct llt_logdec *d, const uint8_t *buf, size_t len);
/* 1: an event (*used bytes); 0: the entry is incomplete; -1: corrupt. */
int llt_logdec_next(struct llt_logdec *d, const uint8_t *buf, size_t len,
		    struct llt_logdec_ev *ev, size_t *used);
/* Offset of the next sync marker at or after from, or len if none (the
 * caller keeps the last LLT_LOGF_SYNC_LEN - 1 bytes if more may come). */
size_t llt_logdec_resync(const uint8_t *buf, size_t len, size_t from);
/* Next frame of a CRASH event: 1, 0 at the end, -1 corrupt. */
int llt_logdec_frame(const uint8_t **p, const uint8_t *end, struct llt_logdec_frame *f);
/* printf-formats fmt with the arguments into out (always NUL-terminated);
 * returns the length. */
size_t llt_logdec_format(char *out, size_t cap, const char *fmt,
			 const struct llt_logdec_arg *args, unsigned nargs);
/* The same output as llt_logdec_format(desc->fmt, ...), faster: the
 * format was parsed when the descriptor was read, and integers, strings
 * and %f / %.Nf are converted without snprintf (exactly, with glibc's
 * round-half-even on the exact binary value; see fmt_fixed). */
size_t llt_logdec_format_desc(char *out, size_t cap, const struct llt_logdec_desc *desc,
			      const struct llt_logdec_arg *args, unsigned nargs);
/* Testing: the fixed-point conversion alone, as snprintf "%.*f" would
 * print v; returns the length, or 0 when v is outside the fast range
 * (then the formatter calls snprintf). */
size_t llt_logdec_fixed(char *out, double v, unsigned prec);

/* Wall-clock nanoseconds of a timestamp, from the header's anchor. */
int64_t llt_logdec_realtime(const struct llt_logdec *d, uint64_t tsc);
int64_t llt_logdec_ns(const struct llt_logdec *d, int64_t ticks);

#endif
