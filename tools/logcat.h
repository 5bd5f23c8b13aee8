/* llt-logcat's decoding loop, factored out of main() so that the fuzz
 * target (tests/fuzz/fuzz_logcat.c) drives exactly what the tool runs. */
#ifndef LLT_LOGCAT_H
#define LLT_LOGCAT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "logdec.h"

struct llt_logsym;

/* Exit statuses (llt-logcat(1)). */
#define LOGCAT_OK 0
#define LOGCAT_IO 1          /* a file could not be opened or read */
#define LOGCAT_USAGE 2
#define LOGCAT_TRUNCATED 3   /* a file ends mid-record */
#define LOGCAT_CORRUPT 4     /* corrupt data, reported and skipped */

enum logcat_time {
	LOGCAT_TIME_WALL,
	LOGCAT_TIME_ISO,
	LOGCAT_TIME_EPOCH,
	LOGCAT_TIME_TICKS,
	LOGCAT_TIME_NS,
	LOGCAT_TIME_NONE
};

struct logcat_opts {
	int min_level;
	int64_t thread;            /* -1: all */
	int64_t since, until;      /* wall-clock ns */
	const char *grep;
	regex_t regex;
	bool have_regex;
	bool json, utc, follow;
	enum logcat_time time_style;
	const char *time_format;
};

struct logcat {
	const struct logcat_opts *opts;
	FILE *out;                 /* NULL: format but print nothing */
	struct llt_logsym *sym;    /* crash frames of 1.1 logs (lib/logsym.h) */
	char *msg, *line;
	uint64_t records;
	bool have_first, have_sec;
	uint64_t first_tsc;
	int64_t cached_sec;
	char sec_text[128], zone_text[16];
};

/* One input file being decoded. */
struct logcat_stream {
	const char *name;
	struct llt_logdec dec;
	uint64_t base;             /* file offset of the buffer's first byte */
	bool have_header, resyncing, dead, quiet;
	int status;                /* LOGCAT_* so far */
	uint64_t corrupt;
};

void logcat_init(struct logcat *lc, const struct logcat_opts *o, FILE *out);
void logcat_fini(struct logcat *lc);
void logcat_stream_init(struct logcat_stream *s, const char *name);
void logcat_stream_fini(struct logcat_stream *s);
/* Decodes what it can of buf (the stream's bytes from s->base on) and
 * returns how many bytes it consumed; with eof, an incomplete tail is
 * reported as truncation and everything is consumed. */
size_t logcat_decode(struct logcat *lc, struct logcat_stream *s, const uint8_t *buf, size_t len, bool eof);

#endif
