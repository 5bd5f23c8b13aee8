/* llt-logcat: decode the binary logs of llt/log (llt-log(5)) to text or
 * JSON, with filters, several files in order and a follow mode.  See
 * llt-logcat(1).
 *
 * The decoding itself is lib/logdec.c (shared with the library's text
 * sink and with tests/fuzz/fuzz_logcat.c); this file reads files, handles
 * errors and resynchronisation, filters and prints.  logcat_decode() is
 * the entry point the fuzz target drives. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <dirent.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <llt/log.h>
#include <llt/version.h>

#include "logcat.h"
#include "logdec.h"
#include "logfmt.h"
#include "logsym.h"

#define PROGRAM "llt-logcat"

#define BUF_CAP (4u << 20)
#define MSG_CAP (64u << 10)

/* ----------------------------------------------------------- the options */

static void opts_default(struct logcat_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->min_level = 0;
	o->thread = -1;
	o->since = INT64_MIN;
	o->until = INT64_MAX;
	o->time_style = LOGCAT_TIME_WALL;
	o->time_format = "%Y-%m-%d %H:%M:%S";
}

/* ---------------------------------------------------------------- output */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_mem(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
		n = b->cap - b->len - 1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_mem(b, s, strlen(s));
}

LLT_PRINTF(2, 3) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->len += (size_t)k < b->cap - b->len ? (size_t)k : b->cap - b->len - 1;
}

static void sb_json(struct sbuf *b, const char *s, size_t n)
{
	sb_mem(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sb_mem(b, e, 2);
		} else if (c == '\n') {
			sb_mem(b, "\\n", 2);
		} else if (c == '\t') {
			sb_mem(b, "\\t", 2);
		} else if (c < 0x20 || c >= 0x7f) {
			/* Bytes outside ASCII as \u00XX: the output is always
			 * valid JSON whatever the log holds. */
			sb_printf(b, "\\u%04x", c);
		} else {
			sb_mem(b, (const char *)&c, 1);
		}
	}
	sb_mem(b, "\"", 1);
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGABRT: return "SIGABRT";
	default: return "signal";
	}
}

/* Timestamp text, cached per second of wall-clock time. */
static void put_time(struct logcat *lc, struct llt_logdec *d, uint64_t tsc, struct sbuf *b)
{
	const struct logcat_opts *o = lc->opts;
	int64_t ns;
	switch (o->time_style) {
	case LOGCAT_TIME_NONE:
		return;
	case LOGCAT_TIME_TICKS:
		if (!lc->have_first) {
			lc->first_tsc = tsc;
			lc->have_first = true;
		}
		sb_printf(b, "%" PRId64, (int64_t)(tsc - lc->first_tsc));
		return;
	case LOGCAT_TIME_NS:
		if (!lc->have_first) {
			lc->first_tsc = tsc;
			lc->have_first = true;
		}
		sb_printf(b, "%" PRId64, llt_logdec_ns(d, (int64_t)(tsc - lc->first_tsc)));
		return;
	case LOGCAT_TIME_EPOCH:
		ns = llt_logdec_realtime(d, tsc);
		sb_printf(b, "%" PRId64 ".%09" PRId64, ns / 1000000000, (ns % 1000000000 + 1000000000) % 1000000000);
		return;
	default:
		break;
	}
	ns = llt_logdec_realtime(d, tsc);
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;
	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	if (!lc->have_sec || sec != lc->cached_sec) {
		time_t t = (time_t)sec;
		struct tm tm;
		if (o->utc)
			gmtime_r(&t, &tm);
		else
			localtime_r(&t, &tm);
		/* The user's --time-format is meant to be a format. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		const char *f = o->time_style == LOGCAT_TIME_ISO ? "%Y-%m-%dT%H:%M:%S" : o->time_format;
		size_t n = strftime(lc->sec_text, sizeof lc->sec_text, f, &tm);
		lc->sec_text[n] = '\0';
#pragma GCC diagnostic pop
		lc->zone_text[0] = '\0';
		if (o->time_style == LOGCAT_TIME_ISO) {
			if (o->utc)
				strcpy(lc->zone_text, "Z");
			else
				strftime(lc->zone_text, sizeof lc->zone_text, "%z", &tm);
		}
		lc->cached_sec = sec;
		lc->have_sec = true;
	}
	sb_str(b, lc->sec_text);
	char f9[11];
	f9[0] = '.';
	for (int i = 9; i >= 1; i--) {
		f9[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	sb_mem(b, f9, 10);
	sb_str(b, lc->zone_text);
}

static bool want(struct logcat *lc, struct llt_logdec *d, int level, uint32_t tid, uint64_t tsc,
		 const char *msg)
{
	const struct logcat_opts *o = lc->opts;
	if (level < o->min_level)
		return false;
	if (o->thread >= 0 && (int64_t)tid != o->thread)
		return false;
	if (o->since != INT64_MIN || o->until != INT64_MAX) {
		int64_t ns = llt_logdec_realtime(d, tsc);
		if (ns < o->since || ns > o->until)
			return false;
	}
	if (o->grep && strstr(msg, o->grep) == NULL)
		return false;
	if (o->have_regex && regexec(&o->regex, msg, 0, NULL, 0) != 0)
		return false;
	return true;
}

static void emit(struct logcat *lc, struct sbuf *b)
{
	sb_mem(b, "\n", 1);
	/* One thread writes: no need for stdio's lock per line. */
	if (lc->out)
		fwrite_unlocked(b->p, 1, b->len, lc->out);
}

/* Decimal digits of v at q; returns the end. */
static char *put_dec(char *q, uint32_t v)
{
	char t[10];
	int i = 10;
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(q, t + i, (size_t)(10 - i));
	return q + (10 - i);
}

static void on_event(struct logcat *lc, struct llt_logdec *d, const struct llt_logdec_ev *ev)
{
	const struct logcat_opts *o = lc->opts;
	char *msg = lc->msg;
	struct sbuf b = { lc->line, 0, MSG_CAP + 4096 };
	const char *file = "", *func = "";
	uint32_t line = 0;
	size_t msglen = SIZE_MAX;

	msg[0] = '\0';
	switch (ev->type) {
	case LLT_LOGDEC_EV_RECORD: {
		size_t n = llt_logdec_format_desc(msg, MSG_CAP, ev->desc, ev->args, ev->nargs);
		msglen = n;
		if (ev->suppressed) {
			snprintf(msg + n, MSG_CAP - n, " (%" PRIu64 " suppressed)", ev->suppressed);
			msglen = strlen(msg);
		}
		file = ev->desc->file;
		func = ev->desc->func;
		line = ev->desc->line;
		break;
	}
	case LLT_LOGDEC_EV_DROP:
		snprintf(msg, MSG_CAP, "%" PRIu64 " messages dropped", ev->count);
		break;
	case LLT_LOGDEC_EV_NOTE:
		snprintf(msg, MSG_CAP, "%.*s", (int)ev->textlen, ev->text);
		break;
	case LLT_LOGDEC_EV_CRASH:
		snprintf(msg, MSG_CAP, "%s (signal %d) at address 0x%" PRIx64 ", backtrace of %" PRIu32 " frames",
			 signame(ev->signo), ev->signo, ev->addr, ev->nframes);
		break;
	default:
		return;
	}
	if (!want(lc, d, ev->level, ev->tid, ev->tsc, msg))
		return;
	if (msglen == SIZE_MAX)
		msglen = strlen(msg);
	lc->records++;
	if (o->json) {
		static const char *const kinds[] = { "", "record", "", "", "drop", "note", "crash" };
		sb_printf(&b, "{\"type\":\"%s\",\"time\":\"", kinds[ev->type]);
		put_time(lc, d, ev->tsc, &b);
		sb_printf(&b, "\",\"ts_ns\":%" PRId64 ",\"ticks\":%" PRIu64 ",\"level\":\"%s\",\"thread\":%" PRIu32,
			  llt_logdec_realtime(d, ev->tsc), ev->tsc, llt_logdec_level_name(ev->level), ev->tid);
		if (ev->type == LLT_LOGDEC_EV_RECORD) {
			sb_printf(&b, ",\"seq\":%" PRIu64 ",\"file\":", ev->seq);
			sb_json(&b, file, strlen(file));
			sb_printf(&b, ",\"line\":%" PRIu32 ",\"func\":", line);
			sb_json(&b, func, strlen(func));
			if (ev->suppressed)
				sb_printf(&b, ",\"suppressed\":%" PRIu64, ev->suppressed);
		}
		if (ev->type == LLT_LOGDEC_EV_DROP)
			sb_printf(&b, ",\"count\":%" PRIu64, ev->count);
		sb_mem(&b, ",\"msg\":", 7);
		sb_json(&b, msg, strlen(msg));
		if (ev->type == LLT_LOGDEC_EV_CRASH) {
			sb_printf(&b, ",\"signal\":%d,\"addr\":\"0x%" PRIx64 "\",\"frames\":[", ev->signo, ev->addr);
			const uint8_t *p = ev->frames;
			struct llt_logdec_frame f;
			for (uint32_t i = 0; llt_logdec_frame(&p, ev->frames_end, &f) == 1; i++) {
				struct llt_logsym_res sr;
				sb_printf(&b, "%s{\"ip\":\"0x%" PRIx64 "\",\"name\":", i ? "," : "", f.ip);
				if (f.namelen == 0 && d->minor >= 1 && llt_logsym_lookup(lc->sym, d, f.ip, i > 0, &sr)) {
					/* 1.1: symbolised here, from the module map. */
					sb_json(&b, sr.name ? sr.name : "", sr.name ? sr.namelen : 0);
					sb_printf(&b, ",\"off\":%" PRIu64 ",\"module\":", sr.name ? sr.name_off : 0);
					sb_json(&b, sr.module, strlen(sr.module));
					sb_printf(&b, ",\"module_off\":%" PRIu64 "}", sr.module_off);
					continue;
				}
				sb_json(&b, f.name, f.namelen);
				sb_printf(&b, ",\"off\":%" PRIu64 "}", f.off);
			}
			sb_mem(&b, "]", 1);
		}
		sb_mem(&b, "}", 1);
		emit(lc, &b);
		return;
	}
	if (o->time_style != LOGCAT_TIME_NONE) {
		put_time(lc, d, ev->tsc, &b);
		sb_mem(&b, " ", 1);
	}
	/* "%-6s [%u] " and "%s:%u " by hand (the hot path: snprintf was a
	 * good part of the time per record). */
	const char *lname = llt_logdec_level_name(ev->level);
	size_t ll = strlen(lname);
	if (b.len + 32 < b.cap) {
		char *q = b.p + b.len;
		memcpy(q, lname, ll);
		q += ll;
		for (; ll < 6; ll++)
			*q++ = ' ';
		*q++ = ' ';
		*q++ = '[';
		q = put_dec(q, ev->tid);
		*q++ = ']';
		*q++ = ' ';
		*q = '\0';
		b.len = (size_t)(q - b.p);
	} else {
		sb_printf(&b, "%-6s [%" PRIu32 "] ", lname, ev->tid);
	}
	if (ev->type == LLT_LOGDEC_EV_RECORD) {
		const char *base = ev->desc->base;
		size_t bl = strlen(base);
		if (b.len + bl + 16 < b.cap) {
			char *q = b.p + b.len;
			memcpy(q, base, bl);
			q += bl;
			*q++ = ':';
			q = put_dec(q, line);
			*q++ = ' ';
			*q = '\0';
			b.len = (size_t)(q - b.p);
		} else {
			sb_printf(&b, "%s:%" PRIu32 " ", base, line);
		}
	}
	sb_mem(&b, msg, msglen);
	if (ev->type == LLT_LOGDEC_EV_CRASH) {
		const uint8_t *p = ev->frames;
		struct llt_logdec_frame f;
		for (uint32_t i = 0; llt_logdec_frame(&p, ev->frames_end, &f) == 1; i++) {
			struct llt_logsym_res sr;
			if (f.namelen == 0 && d->minor >= 1 && llt_logsym_lookup(lc->sym, d, f.ip, i > 0, &sr)) {
				/* 1.1: symbolised here, from the module map. */
				if (sr.name)
					sb_printf(&b, "\n    #%-2" PRIu32 " 0x%016" PRIx64 " %.*s+0x%" PRIx64 " (%s+0x%" PRIx64 ")",
						  i, f.ip, (int)sr.namelen, sr.name, sr.name_off, sr.module, sr.module_off);
				else
					sb_printf(&b, "\n    #%-2" PRIu32 " 0x%016" PRIx64 " ?? (%s+0x%" PRIx64 ")", i, f.ip,
						  sr.module, sr.module_off);
				continue;
			}
			sb_printf(&b, "\n    #%-2" PRIu32 " 0x%016" PRIx64 " %.*s+0x%" PRIx64, i, f.ip,
				  (int)f.namelen, f.namelen ? f.name : "??", f.off);
		}
	}
	emit(lc, &b);
}

/* -------------------------------------------------------------- decoding */

void logcat_init(struct logcat *lc, const struct logcat_opts *o, FILE *out)
{
	memset(lc, 0, sizeof(*lc));
	lc->opts = o;
	lc->out = out;
	lc->msg = malloc(MSG_CAP + 64);
	lc->line = malloc(MSG_CAP + 4096);
	lc->sym = llt_logsym_new();
}

void logcat_fini(struct logcat *lc)
{
	free(lc->msg);
	free(lc->line);
	llt_logsym_free(lc->sym);
}

static void report(struct logcat_stream *s, uint64_t off, const char *what)
{
	if (s->quiet)
		return;
	fprintf(stderr, "%s: %s: offset %" PRIu64 ": %s\n", PROGRAM, s->name, off, what);
}

void logcat_stream_init(struct logcat_stream *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	llt_logdec_init(&s->dec);
}

void logcat_stream_fini(struct logcat_stream *s)
{
	llt_logdec_free(&s->dec);
}

size_t logcat_decode(struct logcat *lc, struct logcat_stream *s, const uint8_t *buf, size_t len, bool eof)
{
	size_t pos = 0;
	struct llt_logdec_ev ev;
	char what[160];

	if (!s->have_header) {
		long h = llt_logdec_header(&s->dec, buf, len);
		if (h < 0) {
			report(s, s->base, "not an llt log file (bad header)");
			s->status = LOGCAT_CORRUPT;
			s->dead = true;
			return len;
		}
		if (h == 0) {
			if (eof) {
				if (len) {
					report(s, s->base + len, "file ends mid-record (in the header)");
					s->status = s->status > LOGCAT_TRUNCATED ? s->status : LOGCAT_TRUNCATED;
				}
				return len;
			}
			return 0;
		}
		s->have_header = true;
		pos = (size_t)h;
	}
	while (pos < len) {
		if (s->resyncing) {
			size_t nx = llt_logdec_resync(buf, len, pos);
			if (nx >= len) {
				/* Keep a possible partial marker for the next read. */
				size_t keep = LLT_LOGF_SYNC_LEN - 1;
				if (eof || len - pos <= keep)
					return eof ? len : pos;
				return len - keep;
			}
			pos = nx;
			s->resyncing = false;
		}
		size_t used = 0;
		int r = llt_logdec_next(&s->dec, buf + pos, len - pos, &ev, &used);
		if (r == 1) {
			pos += used;
			on_event(lc, &s->dec, &ev);
			continue;
		}
		if (r == 0) {
			if (eof) {
				snprintf(what, sizeof what, "file ends mid-record (%zu bytes left)", len - pos);
				report(s, s->base + pos, what);
				if (s->status < LOGCAT_TRUNCATED)
					s->status = LOGCAT_TRUNCATED;
				return len;
			}
			return pos;
		}
		/* Corrupt. */
		s->status = LOGCAT_CORRUPT;
		s->corrupt++;
		if (used) {
			snprintf(what, sizeof what, "corrupt entry (tag 0x%02x, %zu bytes): skipped", buf[pos], used);
			report(s, s->base + pos, what);
			pos += used;
		} else {
			snprintf(what, sizeof what, "corrupt entry (tag 0x%02x): resynchronising at the next sync marker",
				 buf[pos]);
			report(s, s->base + pos, what);
			s->resyncing = true;
			pos++;
		}
		if (s->corrupt > 1000) {
			report(s, s->base + pos, "too many errors: stopping");
			s->dead = true;
			return len;
		}
	}
	return pos;
}

/* ---------------------------------------------------------------- files */

struct file_ent {
	const char *path;
	int64_t created;
	uint32_t rotation;
	int order;
};

static int file_cmp(const void *a, const void *b)
{
	const struct file_ent *x = a, *y = b;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return x->order - y->order;
}

static volatile sig_atomic_t interrupted;
static int64_t file_created(const char *path, uint32_t *rotation);

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* ------------------------------------------------------- follow mode
 *
 * The writer (lib/log.c, sink_rotate) closes FILE, then renames FILE.(k-1)
 * to FILE.k from the oldest down, FILE to FILE.1, unlinks what falls off the
 * kept count and creates a new FILE whose header carries the next rotation
 * index.  A follower that falls behind must not reopen FILE by name (that
 * is the newest file: everything in between would be skipped), nor open the
 * rotated files by name one after the other (their names shift while it
 * reads).  So it keeps the descriptor it has (valid after a rename or an
 * unlink), reads it to its final end once the name FILE no longer denotes
 * it, and then looks for the file of the same log (same writer pid) with
 * the next rotation index among FILE, FILE.1, FILE.2, ... in ascending
 * order: files only move to higher indices, so an ascending scan cannot
 * miss one that still exists.  The descriptor it opens is again immune to
 * later renames. */

struct fid {
	uint32_t pid, rotation;
	int64_t created;
};

static bool fd_ident(int fd, struct fid *id)
{
	uint8_t h[LLT_LOGF_HDR_FIXED];
	if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h, LLT_LOGF_MAGIC, 8) != 0)
		return false;
	id->pid = llt_logf_get_u32(h + 12);
	id->created = (int64_t)llt_logf_get_u64(h + 40);
	id->rotation = llt_logf_get_u32(h + 48);
	return true;
}

/* Highest N of an existing PATH.N (0 if none). */
static unsigned max_rotated(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t bl = strlen(base);
	unsigned max = 0;
	if (slash) {
		size_t dl = (size_t)(slash - path);
		if (dl >= sizeof dir)
			return 0;
		memcpy(dir, path, dl);
		dir[dl] = '\0';
		if (dl == 0)
			strcpy(dir, "/");
	} else {
		strcpy(dir, ".");
	}
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		if (strncmp(n, base, bl) != 0 || n[bl] != '.' || n[bl + 1] < '1' || n[bl + 1] > '9')
			continue;
		char *endp;
		unsigned long k = strtoul(n + bl + 1, &endp, 10);
		if (*endp == '\0' && k > max && k <= 100000)
			max = (unsigned)k;
	}
	closedir(d);
	return max;
}

/* Opens the file of the log `cur` with the smallest rotation index above
 * cur's, or returns -1.  *newest gets FILE's descriptor if FILE is a
 * complete file of another log (a restarted writer), else -1. */
static int find_next(const char *path, const struct fid *cur, struct fid *next, char *name, size_t namesz,
		     int *newest, struct fid *newest_id)
{
	unsigned max = max_rotated(path) + 1;  /* + 1: a rotation while we scan */
	int best = -1;
	char p[PATH_MAX];
	*newest = -1;
	for (unsigned k = 0; k <= max; k++) {
		if (k == 0)
			snprintf(p, sizeof p, "%s", path);
		else
			snprintf(p, sizeof p, "%s.%u", path, k);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		struct fid id;
		if (fd < 0)
			continue;
		if (!fd_ident(fd, &id)) {
			close(fd);   /* a new FILE without its header yet */
			continue;
		}
		if (id.pid == cur->pid && id.rotation > cur->rotation) {
			if (best < 0 || id.rotation < next->rotation) {
				if (best >= 0)
					close(best);
				best = fd;
				*next = id;
				snprintf(name, namesz, "%s", p);
				continue;
			}
		} else if (k == 0 && (id.pid != cur->pid || id.rotation < cur->rotation)) {
			*newest = fd;
			*newest_id = id;
			continue;
		}
		close(fd);
	}
	return best;
}

/* Decodes one file; follows it if asked (the last one). */
static int run_file(struct logcat *lc, const char *path, bool follow, uint8_t *buf)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	/* Following a file that does not exist yet: wait for it (tail -F). */
	while (fd < 0 && follow && errno == ENOENT && !interrupted) {
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (interrupted && fd < 0)
		return LOGCAT_OK;
	struct logcat_stream s;
	size_t len = 0;
	bool eof = false;
	bool finishing = false;   /* follow: the name moved on, read to the end */
	char name[PATH_MAX];      /* the name the current file was found under */
	int status;
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", PROGRAM, path, strerror(errno));
		return LOGCAT_IO;
	}
	snprintf(name, sizeof name, "%s", path);
	logcat_stream_init(&s, name);
	for (;;) {
		if (!eof && len < BUF_CAP) {
			ssize_t n = read(fd, buf + len, BUF_CAP - len);
			if (n < 0) {
				if (errno == EINTR && !interrupted)
					continue;
				if (!interrupted) {
					fprintf(stderr, "%s: %s: %s\n", PROGRAM, name, strerror(errno));
					s.status = LOGCAT_IO;
				}
				break;
			}
			if (n == 0)
				eof = true;
			len += (size_t)n;
		}
		bool final = eof && (!follow || finishing);
		size_t used = logcat_decode(lc, &s, buf, len, final);
		memmove(buf, buf + used, len - used);
		len -= used;
		s.base += used;
		if (s.dead && finishing)
			final = true;   /* given up on this one: the next file */
		if (interrupted || (s.dead && !finishing) || (final && !follow))
			break;
		if (final) {
			/* The file the name left is complete: go on with the next
			 * one of the same log, waiting for it if need be. */
			struct fid cur, next, nid;
			int nfd = -1, newest = -1;
			char nname[PATH_MAX];
			fflush(stdout);
			if (!fd_ident(fd, &cur)) {
				/* Not a log: nothing to continue; follow FILE afresh. */
				cur.pid = 0;
				cur.rotation = UINT32_MAX;
			}
			for (int tries = 0; !interrupted; tries++) {
				nfd = find_next(path, &cur, &next, nname, sizeof nname, &newest, &nid);
				/* The next index, or a later one twice in a row (not a
				 * scan that raced with a rotation): the files between
				 * were deleted by the writer's kept count. */
				if (nfd >= 0 && (next.rotation == cur.rotation + 1 || tries >= 2)) {
					if (next.rotation != cur.rotation + 1) {
						if (next.rotation == cur.rotation + 2)
							fprintf(stderr, "%s: %s: rotated file %" PRIu32 " of this log was deleted before it was read: its records are lost\n",
								PROGRAM, path, cur.rotation + 1);
						else
							fprintf(stderr, "%s: %s: rotated files %" PRIu32 " to %" PRIu32 " of this log were deleted before they were read: their records are lost\n",
								PROGRAM, path, cur.rotation + 1, next.rotation - 1);
					}
					if (newest >= 0)
						close(newest);
					break;
				}
				if (nfd >= 0)
					close(nfd);
				nfd = -1;
				if (newest >= 0 && tries >= 2) {
					/* A restarted writer (or a file that is not ours). */
					if (cur.rotation != UINT32_MAX)
						fprintf(stderr, "%s: %s: replaced by another log (pid %" PRIu32 "): following it from its start\n",
							PROGRAM, path, nid.pid);
					nfd = newest;
					snprintf(nname, sizeof nname, "%s", path);
					break;
				}
				if (newest >= 0)
					close(newest);
				newest = -1;
				struct timespec ts = { 0, tries < 2 ? 10000000 : 100000000 };
				nanosleep(&ts, NULL);
			}
			if (nfd < 0)
				break;
			close(fd);
			fd = nfd;
			status = s.status;
			logcat_stream_fini(&s);
			snprintf(name, sizeof name, "%s", nname);
			logcat_stream_init(&s, name);
			s.status = status;
			len = 0;
			eof = false;
			finishing = false;
			continue;
		}
		if (eof && follow) {
			fflush(stdout);
			/* Has the name moved on (rotated: renamed; or unlinked)?
			 * The writer closed the file before, so what it holds
			 * now is final: read it to its end, then the next one. */
			struct stat a, b;
			if (strcmp(path, "-") != 0 && fstat(fd, &b) == 0) {
				int sr = stat(path, &a);
				if ((sr == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev)) ||
				    (sr != 0 && errno == ENOENT)) {
					finishing = true;
				} else if (sr == 0 && (off_t)(s.base + len) > b.st_size) {
					/* Truncated in place: start it again. */
					fprintf(stderr, "%s: %s: file truncated: following it from its start\n", PROGRAM, path);
					if (lseek(fd, 0, SEEK_SET) == 0) {
						status = s.status;
						logcat_stream_fini(&s);
						logcat_stream_init(&s, name);
						s.status = status;
						len = 0;
					}
				}
			}
			if (!finishing) {
				struct timespec ts = { 0, 100000000 };
				nanosleep(&ts, NULL);
			}
			eof = false;
		}
	}
	if (fd > STDIN_FILENO)
		close(fd);
	status = s.status;
	logcat_stream_fini(&s);
	return status;
}

/* Creation time from a file's header, for ordering a rotation set. */
static int64_t file_created(const char *path, uint32_t *rotation)
{
	uint8_t h[LLT_LOGF_HDR_FIXED];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int64_t t = INT64_MAX;
	*rotation = 0;
	if (fd < 0)
		return t;
	if (read(fd, h, sizeof h) == (ssize_t)sizeof h && memcmp(h, LLT_LOGF_MAGIC, 8) == 0) {
		t = (int64_t)llt_logf_get_u64(h + 40);
		*rotation = llt_logf_get_u32(h + 48);
	}
	close(fd);
	return t;
}

/* ------------------------------------------------------------ arguments */

static int parse_level(const char *s)
{
	for (int i = LLT_LOG_TRACE; i <= LLT_LOG_FATAL; i++)
		if (!strcasecmp(s, llt_logdec_level_name(i)))
			return i;
	if (!strcasecmp(s, "warning"))
		return LLT_LOG_WARN;
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end && v >= 0 && v <= LLT_LOG_FATAL)
		return (int)v;
	return -1;
}

/* "@SECONDS[.FRAC]" or "YYYY-MM-DD[ T]HH:MM[:SS[.FRAC]]" in local time
 * (TZ) or UTC with --utc. */
static bool parse_time(const char *s, bool utc, int64_t *out)
{
	char *end;
	if (s[0] == '@') {
		errno = 0;
		long double v = strtold(s + 1, &end);
		if (errno || *end || end == s + 1)
			return false;
		*out = (int64_t)(v * 1e9L);
		return true;
	}
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int n = 0;
	double secs = 0;
	if (sscanf(s, "%d-%d-%d%*1[ T]%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &n) != 5)
		return false;
	if (s[n] == ':') {
		secs = strtod(s + n + 1, &end);
		if (*end || end == s + n + 1 || secs < 0 || secs >= 61)
			return false;
	} else if (s[n] != '\0') {
		return false;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return false;
	*out = (int64_t)t * 1000000000 + (int64_t)(secs * 1e9);
	return true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]... FILE...\n"
		"Decode binary logs written by libllt's logger (llt/log.h) to text.\n"
		"Several FILEs (a rotation set) are decoded oldest first, by the creation\n"
		"time in their headers; - reads standard input.\n"
		"\n"
		"Filters:\n"
		"  -l, --level=LEVEL     only LEVEL and above (trace, debug, info, notice,\n"
		"                        warn, error, fatal, or 0-6)\n"
		"  -t, --thread=TID      only records of thread TID\n"
		"      --since=TIME      only records at or after TIME\n"
		"      --until=TIME      only records at or before TIME\n"
		"                        (TIME: YYYY-MM-DD HH:MM[:SS[.frac]] in TZ or, with\n"
		"                        --utc, UTC; or @SECONDS since the epoch)\n"
		"  -g, --grep=STRING     only messages that contain STRING\n"
		"  -e, --regex=ERE       only messages that match the POSIX extended regex\n"
		"\n"
		"Output:\n"
		"  -j, --json            one JSON object per record\n"
		"  -T, --time=STYLE      wall (default), iso, epoch, ticks or ns (relative\n"
		"                        to the first record), none\n"
		"  -r, --relative        same as --time=ns\n"
		"      --time-format=FMT strftime(3) format of the wall-clock seconds\n"
		"                        (default \"%%Y-%%m-%%d %%H:%%M:%%S\"); nanoseconds follow\n"
		"  -u, --utc             wall-clock times in UTC (default: the TZ zone)\n"
		"  -H, --header          print each file's header first\n"
		"  -f, --follow          after the last file's end, wait for more, across\n"
		"                        rotation (like tail -F); stop with an interrupt\n"
		"  -h, --help            display this help and exit\n"
		"  -V, --version         output version information and exit\n"
		"\n"
		"Exit status: 0 clean; 1 a file could not be read; 2 usage; 3 a file ends\n"
		"mid-record (truncated); 4 corrupt data (reported, then skipped).\n",
		PROGRAM);
}

static void try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", PROGRAM);
}

static void print_header(const char *path)
{
	uint8_t h[600];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, h, sizeof h);
	close(fd);
	struct llt_logdec d;
	llt_logdec_init(&d);
	if (n > 0 && llt_logdec_header(&d, h, (size_t)n) > 0) {
		char ver[16];
		if (d.minor)
			snprintf(ver, sizeof ver, "%u.%u", (unsigned)d.major, (unsigned)d.minor);
		else
			snprintf(ver, sizeof ver, "%u", (unsigned)d.major);   /* 1.0 files: as before */
		printf("# %s: llt log v%s, host %s, program %s, pid %" PRIu32 ", %.0f ticks/s, rotation %" PRIu32 "\n",
		       path, ver, d.host, d.prog, d.pid, d.hz, d.rotation);
	}
	llt_logdec_free(&d);
}

#ifndef LOGCAT_NO_MAIN
int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "level", required_argument, NULL, 'l' },
		{ "thread", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "grep", required_argument, NULL, 'g' },
		{ "regex", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "time", required_argument, NULL, 'T' },
		{ "relative", no_argument, NULL, 'r' },
		{ "time-format", required_argument, NULL, 'F' },
		{ "utc", no_argument, NULL, 'u' },
		{ "header", no_argument, NULL, 'H' },
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct logcat_opts o;
	const char *since = NULL, *until = NULL, *regex = NULL;
	bool header = false;
	int c;

	opts_default(&o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":l:t:g:e:jT:ruHfhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.min_level = parse_level(optarg);
			if (o.min_level < 0) {
				fprintf(stderr, "%s: invalid level '%s'\n", PROGRAM, optarg);
				try_help();
				return LOGCAT_USAGE;
			}
			break;
		case 't': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 0 || v > UINT32_MAX) {
				fprintf(stderr, "%s: invalid thread id '%s'\n", PROGRAM, optarg);
				try_help();
				return LOGCAT_USAGE;
			}
			o.thread = v;
			break;
		}
		case 'S':
			since = optarg;
			break;
		case 'U':
			until = optarg;
			break;
		case 'g':
			o.grep = optarg;
			break;
		case 'e':
			regex = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'T':
			if (!strcmp(optarg, "wall")) o.time_style = LOGCAT_TIME_WALL;
			else if (!strcmp(optarg, "iso")) o.time_style = LOGCAT_TIME_ISO;
			else if (!strcmp(optarg, "epoch")) o.time_style = LOGCAT_TIME_EPOCH;
			else if (!strcmp(optarg, "ticks")) o.time_style = LOGCAT_TIME_TICKS;
			else if (!strcmp(optarg, "ns")) o.time_style = LOGCAT_TIME_NS;
			else if (!strcmp(optarg, "none")) o.time_style = LOGCAT_TIME_NONE;
			else {
				fprintf(stderr, "%s: invalid time style '%s': give wall, iso, epoch, ticks, ns or none\n",
					PROGRAM, optarg);
				try_help();
				return LOGCAT_USAGE;
			}
			break;
		case 'r':
			o.time_style = LOGCAT_TIME_NS;
			break;
		case 'F':
			o.time_format = optarg;
			break;
		case 'u':
			o.utc = true;
			break;
		case 'H':
			header = true;
			break;
		case 'f':
			o.follow = true;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : LOGCAT_IO;
		case 'V':
			printf("%s (libllt) %s\n", PROGRAM, llt_version());
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : LOGCAT_IO;
		case ':':
			fprintf(stderr, "%s: option '%s' needs an argument\n", PROGRAM, argv[optind - 1]);
			try_help();
			return LOGCAT_USAGE;
		default:
			fprintf(stderr, "%s: unrecognized option '%s'\n", PROGRAM, argv[optind - 1]);
			try_help();
			return LOGCAT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no input file\n", PROGRAM);
		try_help();
		return LOGCAT_USAGE;
	}
	if (o.utc)
		setenv("TZ", "UTC0", 1);
	tzset();
	if ((since && !parse_time(since, o.utc, &o.since)) || (until && !parse_time(until, o.utc, &o.until))) {
		fprintf(stderr, "%s: invalid time '%s': give YYYY-MM-DD HH:MM[:SS[.frac]] or @SECONDS\n",
			PROGRAM, since && !parse_time(since, o.utc, &o.since) ? since : until);
		try_help();
		return LOGCAT_USAGE;
	}
	if (regex) {
		int e = regcomp(&o.regex, regex, REG_EXTENDED | REG_NOSUB);
		if (e != 0) {
			char msg[256];
			regerror(e, &o.regex, msg, sizeof msg);
			fprintf(stderr, "%s: invalid regex '%s': %s\n", PROGRAM, regex, msg);
			try_help();
			return LOGCAT_USAGE;
		}
		o.have_regex = true;
	}

	int nf = argc - optind;
	struct file_ent *files = calloc((size_t)nf, sizeof(*files));
	uint8_t *buf = malloc(BUF_CAP);
	static char obuf[1 << 20];
	struct logcat lc;
	if (files == NULL || buf == NULL) {
		fprintf(stderr, "%s: %s\n", PROGRAM, strerror(ENOMEM));
		return LOGCAT_IO;
	}
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	for (int i = 0; i < nf; i++) {
		files[i].path = argv[optind + i];
		files[i].order = i;
		files[i].created = strcmp(files[i].path, "-") ? file_created(files[i].path, &files[i].rotation)
							      : INT64_MAX;
	}
	/* Oldest first, unless following: then the given order, the last
	 * one followed. */
	if (!o.follow)
		qsort(files, (size_t)nf, sizeof(*files), file_cmp);
	if (o.follow) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_sigint;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	logcat_init(&lc, &o, stdout);
	int status = 0;
	for (int i = 0; i < nf && !interrupted; i++) {
		if (header)
			print_header(files[i].path);
		int s = run_file(&lc, files[i].path, o.follow && i == nf - 1, buf);
		if (s > status)
			status = s;
	}
	logcat_fini(&lc);
	free(files);
	free(buf);
	if (o.have_regex)
		regfree(&o.regex);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write error: %s\n", PROGRAM, strerror(errno));
		return LOGCAT_IO;
	}
	return status;
}
#endif
