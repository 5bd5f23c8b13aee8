/* The reader of the binary log written by lib/log.c (format: llt-log(5),
 * constants in lib/logfmt.h).  Shared by the text sink, llt-logcat and
 * the fuzz target, so it is written for hostile input: every read is
 * bounded by the entry's length and the entry's length by the buffer. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llt/log.h>

#include "logdec.h"
#include "logfmt.h"

const char *llt_logdec_level_name(int level)
{
	static const char *const names[] = { "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL" };
	return level >= 0 && level <= LLT_LOG_FATAL ? names[level] : "?";
}

void llt_logdec_init(struct llt_logdec *d)
{
	memset(d, 0, sizeof(*d));
}

static void free_descs(struct llt_logdec *d)
{
	for (size_t i = 0; i < d->ndescs; i++) {
		free(d->descs[i].file);
		free(d->descs[i].func);
		free(d->descs[i].fmt);
		free(d->descs[i].plan);
	}
	free(d->descs);
	d->descs = NULL;
	d->ndescs = 0;
}

static void free_mods(struct llt_logdec *d)
{
	for (size_t i = 0; i < d->nmods; i++)
		free(d->mods[i].path);
	free(d->mods);
	d->mods = NULL;
	d->nmods = 0;
}

void llt_logdec_free(struct llt_logdec *d)
{
	free_descs(d);
	free_mods(d);
}

/* A bounded cursor over one entry's payload. */
struct cur {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t get_varint(struct cur *c)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (c->p >= c->end) {
			c->bad = true;
			return 0;
		}
		uint8_t b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}

static const uint8_t *get_bytes(struct cur *c, size_t n)
{
	if ((size_t)(c->end - c->p) < n) {
		c->bad = true;
		return NULL;
	}
	const uint8_t *r = c->p;
	c->p += n;
	return r;
}

static uint8_t get_u8(struct cur *c)
{
	const uint8_t *b = get_bytes(c, 1);
	return b ? *b : 0;
}

/* A string: varint length then bytes; returns NULL (and bad) if it does
 * not fit. */
static const char *get_str(struct cur *c, uint32_t *len)
{
	uint64_t n = get_varint(c);
	if (c->bad || n > LLT_LOGF_ENTRY_MAX) {
		c->bad = true;
		return NULL;
	}
	const uint8_t *b = get_bytes(c, (size_t)n);
	*len = (uint32_t)n;
	return (const char *)b;
}

static char *dup_str(const char *s, uint32_t n)
{
	char *r = malloc((size_t)n + 1);
	if (r) {
		memcpy(r, s, n);
		r[n] = '\0';
		/* An embedded NUL would end the format early: harmless. */
	}
	return r;
}

long llt_logdec_header(struct llt_logdec *d, const uint8_t *buf, size_t len)
{
	size_t n = len < 8 ? len : 8;
	if (memcmp(buf, LLT_LOGF_MAGIC, n) != 0)
		return -1;
	if (len < LLT_LOGF_HDR_FIXED)
		return 0;
	uint16_t version = llt_logf_get_u16(buf + 8);
	uint16_t hlen = llt_logf_get_u16(buf + 10);
	/* Major 1, minor 0 (the first files) or 1 (module map). */
	if ((version & 0xff) != LLT_LOGF_MAJOR || (version >> 8) > LLT_LOGF_MINOR ||
	    hlen < LLT_LOGF_HDR_FIXED + 4)
		return -1;
	if (len < hlen)
		return 0;
	d->version = version;
	d->major = (uint8_t)(version & 0xff);
	d->minor = (uint8_t)(version >> 8);
	d->pid = llt_logf_get_u32(buf + 12);
	uint64_t hzbits = llt_logf_get_u64(buf + 16);
	memcpy(&d->hz, &hzbits, 8);
	if (!(d->hz >= 1.0 && d->hz <= 1e12))
		return -1;
	d->anchor_ticks = llt_logf_get_u64(buf + 24);
	d->anchor_ns = (int64_t)llt_logf_get_u64(buf + 32);
	d->created_ns = (int64_t)llt_logf_get_u64(buf + 40);
	d->rotation = llt_logf_get_u32(buf + 48);
	size_t off = LLT_LOGF_HDR_FIXED;
	char *dst[2] = { d->host, d->prog };
	for (int i = 0; i < 2; i++) {
		if (off + 2 > hlen)
			return -1;
		size_t sl = llt_logf_get_u16(buf + off);
		off += 2;
		if (off + sl > hlen)
			return -1;
		size_t cp = sl < 255 ? sl : 255;
		memcpy(dst[i], buf + off, cp);
		dst[i][cp] = '\0';
		off += sl;
	}
	d->last_tsc = d->anchor_ticks;
	return (long)hlen;
}

size_t llt_logdec_resync(const uint8_t *buf, size_t len, size_t from)
{
	for (size_t i = from; i + 8 <= len; i++) {
		const uint8_t *q = memchr(buf + i, 0, len - i);
		if (q == NULL)
			break;
		i = (size_t)(q - buf);
		if (i + 8 <= len && memcmp(q, LLT_LOGF_SYNC_MAGIC, 8) == 0)
			return i;
	}
	return len;
}

/* ------------------------------------------------- the parsed format */

enum {
	OP_END,        /* literal text only */
	OP_I32,        /* %d %i of an int32 */
	OP_I64,        /* %ld %lld %jd %zd %td (and %Ld %qd) of an int64 */
	OP_U32,        /* %u of a uint32 */
	OP_U64,        /* %lu %llu %ju %zu %tu of a uint64 */
	OP_STR,        /* %s */
	OP_FIX         /* %f, %.Nf (N <= 17) of a double */
};

/* Literal text fmt[lit, lit + litlen), then one conversion. */
struct llt_logdec_op {
	uint32_t lit, litlen;
	uint8_t kind, prec;
};

/* Parses fmt the way llt_logdec_format does and keeps the plan when
 * every conversion is one of the ops above, matching its argument's
 * type exactly, with no flags or width (a precision for %f only); the
 * formatter then never needs snprintf but for out-of-range doubles. */
static void make_plan(struct llt_logdec_desc *ds)
{
	struct llt_logdec_op ops[2 * LLT_LOGDEC_ARGS + 2];
	unsigned n = 0, ai = 0;
	size_t lit_total = 0;
	const char *fmt = ds->fmt, *lit = fmt;
	for (;;) {
		const char *pct = strchr(fmt, '%');
		if (pct == NULL)
			break;
		const char *s = pct + 1;
		if (*s == '%') {
			/* "%%": the literal runs to the first '%', the second
			 * starts the next literal. */
			if (n + 1 >= sizeof ops / sizeof ops[0])
				return;
			ops[n] = (struct llt_logdec_op){ (uint32_t)(lit - ds->fmt), (uint32_t)(s - lit), OP_END, 0 };
			lit_total += (size_t)(s - lit);
			n++;
			lit = fmt = s + 1;
			continue;
		}
		int prec = -1;
		if (*s == '.') {
			s++;
			prec = 0;
			while (*s >= '0' && *s <= '9' && prec < 100)
				prec = prec * 10 + (*s++ - '0');
		}
		char lm = 0;
		if (s[0] == 'l' && s[1] == 'l') {
			lm = 'L';
			s += 2;
		} else if (*s && strchr("lLqjzZt", *s)) {
			lm = *s == 'l' || *s == 'z' || *s == 'Z' || *s == 't' || *s == 'j' ? 'l' : 'L';
			s++;
		}
		char conv = *s;
		if (ai >= ds->nargs || n + 1 >= sizeof ops / sizeof ops[0])
			return;
		uint8_t t = ds->types[ai], kind;
		if ((conv == 'd' || conv == 'i') && prec < 0 && !lm && t == LLT_LOG_T_I32)
			kind = OP_I32;
		else if ((conv == 'd' || conv == 'i') && prec < 0 && lm && t == LLT_LOG_T_I64)
			kind = OP_I64;
		else if (conv == 'u' && prec < 0 && !lm && t == LLT_LOG_T_U32)
			kind = OP_U32;
		else if (conv == 'u' && prec < 0 && lm && t == LLT_LOG_T_U64)
			kind = OP_U64;
		else if (conv == 's' && prec < 0 && !lm && t == LLT_LOG_T_STR)
			kind = OP_STR;
		else if (conv == 'f' && prec <= 17 && !lm && t == LLT_LOG_T_F64)
			kind = OP_FIX;
		else
			return;   /* anything else: the general formatter */
		ops[n] = (struct llt_logdec_op){ (uint32_t)(lit - ds->fmt), (uint32_t)(pct - lit), kind,
						 (uint8_t)(prec < 0 ? 6 : prec) };
		lit_total += (size_t)(pct - lit);
		n++;
		ai++;
		lit = fmt = s + 1;
	}
	size_t tail = strlen(lit);
	if (tail > UINT32_MAX || (size_t)(lit - ds->fmt) > UINT32_MAX)
		return;
	ops[n] = (struct llt_logdec_op){ (uint32_t)(lit - ds->fmt), (uint32_t)tail, OP_END, 0 };
	lit_total += tail;
	n++;
	ds->plan = malloc(n * sizeof ops[0]);
	if (ds->plan == NULL)
		return;
	memcpy(ds->plan, ops, n * sizeof ops[0]);
	ds->nops = n;
	ds->lit_total = lit_total;
}

static int get_desc(struct llt_logdec *d, struct cur *c)
{
	uint64_t id = get_varint(c);
	uint8_t level = get_u8(c), flags = get_u8(c);
	uint64_t line = get_varint(c);
	uint8_t nargs = get_u8(c);
	if (c->bad || id >= LLT_LOGF_DESC_MAX || nargs > LLT_LOGDEC_ARGS || line > UINT32_MAX)
		return -1;
	const uint8_t *types = get_bytes(c, nargs);
	uint32_t fl = 0, fnl = 0, fml = 0;
	const char *file = get_str(c, &fl);
	const char *func = get_str(c, &fnl);
	const char *fmt = get_str(c, &fml);
	if (c->bad || c->p != c->end)
		return -1;
	for (unsigned i = 0; i < nargs; i++)
		if (types[i] < LLT_LOG_T_I32 || types[i] > LLT_LOG_T_STR)
			return -1;
	if (id >= d->ndescs) {
		size_t n = d->ndescs ? d->ndescs : 64;
		while (n <= id)
			n *= 2;
		struct llt_logdec_desc *nd = realloc(d->descs, n * sizeof(*nd));
		if (nd == NULL)
			return -1;
		memset(nd + d->ndescs, 0, (n - d->ndescs) * sizeof(*nd));
		d->descs = nd;
		d->ndescs = n;
	}
	struct llt_logdec_desc *ds = &d->descs[id];
	free(ds->file);
	free(ds->func);
	free(ds->fmt);
	free(ds->plan);
	memset(ds, 0, sizeof(*ds));
	ds->file = dup_str(file, fl);
	ds->func = dup_str(func, fnl);
	ds->fmt = dup_str(fmt, fml);
	if (!ds->file || !ds->func || !ds->fmt)
		return -1;
	ds->level = level;
	ds->flags = flags;
	ds->line = (uint32_t)line;
	ds->nargs = nargs;
	memcpy(ds->types, types, nargs);
	const char *slash = strrchr(ds->file, '/');
	ds->base = slash ? slash + 1 : ds->file;
	make_plan(ds);
	ds->valid = true;
	return 0;
}

/* A module map replaces the previous one (all or nothing). */
static int get_mods(struct llt_logdec *d, struct cur *c)
{
	uint64_t n = get_varint(c);
	if (c->bad || n > LLT_LOGF_MODULES_MAX || n > (uint64_t)(c->end - c->p))
		return -1;
	struct llt_logdec_mod *m = calloc(n ? (size_t)n : 1, sizeof(*m));
	if (m == NULL)
		return -1;
	size_t i;
	for (i = 0; i < n; i++) {
		uint32_t pl = 0, bl = 0;
		m[i].bias = get_varint(c);
		m[i].lo = get_varint(c);
		m[i].len = get_varint(c);
		const char *path = get_str(c, &pl);
		const char *bid = get_str(c, &bl);
		if (c->bad || pl > 4096 || bl > LLT_LOGF_BUILDID_MAX || m[i].len > UINT64_MAX - m[i].lo)
			break;
		m[i].path = dup_str(path, pl);
		if (m[i].path == NULL)
			break;
		memcpy(m[i].buildid, bid, bl);
		m[i].buildid_len = (uint8_t)bl;
	}
	if (i != n || c->p != c->end) {
		for (size_t k = 0; k <= i && k < n; k++)
			free(m[k].path);
		free(m);
		return -1;
	}
	free_mods(d);
	d->mods = m;
	d->nmods = (size_t)n;
	return 0;
}

static uint64_t get_tsc(struct llt_logdec *d, struct cur *c)
{
	d->last_tsc += (uint64_t)llt_logf_unzigzag(get_varint(c));
	return d->last_tsc;
}

static int get_record(struct llt_logdec *d, uint64_t id, struct cur *c, struct llt_logdec_ev *ev)
{
	if (id >= d->ndescs || !d->descs[id].valid || !d->have_thread)
		return -1;
	const struct llt_logdec_desc *ds = &d->descs[id];
	ev->type = LLT_LOGDEC_EV_RECORD;
	ev->desc = ds;
	ev->level = ds->level;
	ev->tsc = get_tsc(d, c);
	ev->suppressed = 0;
	if (ds->flags & LLT_LOG_IMPL_SITE_RATE)
		ev->suppressed = get_varint(c);
	ev->nargs = ds->nargs;
	for (unsigned i = 0; i < ds->nargs && !c->bad; i++) {
		struct llt_logdec_arg *a = &ev->args[i];
		const uint8_t *b;
		a->type = ds->types[i];
		a->trunc = 0;
		a->len = 0;
		switch (a->type) {
		case LLT_LOG_T_I32:
		case LLT_LOG_T_I64:
			a->v.i = llt_logf_unzigzag(get_varint(c));
			if (a->type == LLT_LOG_T_I32 && (a->v.i < INT32_MIN || a->v.i > INT32_MAX))
				c->bad = true;
			break;
		case LLT_LOG_T_U32:
		case LLT_LOG_T_U64:
		case LLT_LOG_T_PTR:
			a->v.u = get_varint(c);
			if (a->type == LLT_LOG_T_U32 && a->v.u > UINT32_MAX)
				c->bad = true;
			break;
		case LLT_LOG_T_F64:
			b = get_bytes(c, 8);
			if (b) {
				uint64_t u = llt_logf_get_u64(b);
				memcpy(&a->v.d, &u, 8);
			}
			break;
		case LLT_LOG_T_F80:
			b = get_bytes(c, 16);
			if (b) {
				a->v.ld = 0;
				memcpy(&a->v.ld, b, sizeof(long double) < 16 ? sizeof(long double) : 16);
			}
			break;
		case LLT_LOG_T_STR: {
			uint64_t w = get_varint(c);
			if ((w >> 1) > LLT_LOG_STR_MAX) {
				c->bad = true;
				break;
			}
			a->trunc = (uint8_t)(w & 1);
			a->len = (uint32_t)(w >> 1);
			a->v.s = (const char *)get_bytes(c, a->len);
			break;
		}
		default:
			c->bad = true;
		}
	}
	if (c->bad || c->p != c->end)
		return -1;
	ev->tid = d->tid;
	ev->seq = d->seq++;
	return 1;
}

int llt_logdec_next(struct llt_logdec *d, const uint8_t *buf, size_t len,
		    struct llt_logdec_ev *ev, size_t *used)
{
	*used = 0;
	if (len == 0)
		return 0;
	uint8_t tag = buf[0];
	if (tag == LLT_LOGF_SYNC) {
		size_t n = len < 8 ? len : 8;
		if (memcmp(buf, LLT_LOGF_SYNC_MAGIC, n) != 0)
			return -1;
		if (len < LLT_LOGF_SYNC_LEN)
			return 0;
		memset(ev, 0, offsetof(struct llt_logdec_ev, args));
		ev->type = LLT_LOGDEC_EV_SYNC;
		ev->tsc = d->last_tsc = llt_logf_get_u64(buf + 8);
		d->have_thread = false;
		d->synced = true;
		*used = LLT_LOGF_SYNC_LEN;
		return 1;
	}
	if (tag > (d->minor >= 1 ? LLT_LOGF_MODULES : LLT_LOGF_CRASH) && tag < LLT_LOGF_RECX)
		return -1;
	/* The payload length. */
	struct cur c = { buf + 1, buf + len, false };
	uint64_t plen = get_varint(&c);
	if (c.bad)
		return (len - 1 < 10) ? 0 : -1;
	if (plen > LLT_LOGF_ENTRY_MAX)
		return -1;
	if ((size_t)(c.end - c.p) < plen)
		return 0;
	c.end = c.p + plen;
	size_t total = (size_t)(c.end - buf);
	if (!d->synced)
		return -1;   /* every file starts with a sync entry */
	memset(ev, 0, offsetof(struct llt_logdec_ev, args));
	int r = 1;
	switch (tag) {
	case LLT_LOGF_DESC:
		ev->type = LLT_LOGDEC_EV_DESC;
		if (get_desc(d, &c) < 0)
			r = -1;
		break;
	case LLT_LOGF_THREAD: {
		uint64_t tid = get_varint(&c), seq = get_varint(&c);
		if (c.bad || c.p != c.end || tid > UINT32_MAX) {
			r = -1;
			break;
		}
		ev->type = LLT_LOGDEC_EV_THREAD;
		d->have_thread = true;
		d->tid = ev->tid = (uint32_t)tid;
		d->seq = ev->seq = seq;
		break;
	}
	case LLT_LOGF_DROP: {
		uint64_t tid = get_varint(&c), n = get_varint(&c);
		if (c.bad || c.p != c.end || tid > UINT32_MAX) {
			r = -1;
			break;
		}
		ev->type = LLT_LOGDEC_EV_DROP;
		ev->tid = (uint32_t)tid;
		ev->count = n;
		ev->tsc = d->last_tsc;
		ev->level = LLT_LOG_WARN;
		break;
	}
	case LLT_LOGF_NOTE:
		ev->type = LLT_LOGDEC_EV_NOTE;
		ev->tsc = get_tsc(d, &c);
		ev->level = get_u8(&c);
		ev->text = get_str(&c, &ev->textlen);
		if (c.bad || c.p != c.end || ev->level > LLT_LOG_FATAL)
			r = -1;
		break;
	case LLT_LOGF_CRASH: {
		ev->type = LLT_LOGDEC_EV_CRASH;
		ev->level = LLT_LOG_FATAL;
		ev->tsc = get_tsc(d, &c);
		uint64_t tid = get_varint(&c), sig = get_varint(&c);
		ev->addr = get_varint(&c);
		uint64_t nf = get_varint(&c);
		if (c.bad || tid > UINT32_MAX || sig > 1024 || nf > LLT_LOGF_FRAMES_MAX) {
			r = -1;
			break;
		}
		ev->tid = (uint32_t)tid;
		ev->signo = (int)sig;
		ev->nframes = (uint32_t)nf;
		ev->frames = c.p;
		ev->frames_end = c.end;
		/* Validate the frames now, so that a consumer can trust them. */
		const uint8_t *p = c.p;
		struct llt_logdec_frame f;
		for (uint64_t i = 0; i < nf; i++)
			if (llt_logdec_frame(&p, c.end, &f) != 1) {
				r = -1;
				break;
			}
		if (r == 1 && p != c.end)
			r = -1;
		break;
	}
	case LLT_LOGF_MODULES:
		ev->type = LLT_LOGDEC_EV_MODULES;
		if (get_mods(d, &c) < 0)
			r = -1;
		break;
	default: {
		uint64_t id = tag - LLT_LOGF_REC0;
		if (tag == LLT_LOGF_RECX) {
			id = get_varint(&c);
			if (c.bad) {
				r = -1;
				break;
			}
		}
		uint64_t save = d->last_tsc;
		r = get_record(d, id, &c, ev);
		if (r < 0)
			d->last_tsc = save;
		break;
	}
	}
	if (r == 1)
		*used = total;
	return r;
}

int llt_logdec_frame(const uint8_t **pp, const uint8_t *end, struct llt_logdec_frame *f)
{
	struct cur c = { *pp, end, false };
	if (c.p >= c.end)
		return 0;
	f->ip = get_varint(&c);
	f->off = get_varint(&c);
	f->name = get_str(&c, &f->namelen);
	if (c.bad)
		return -1;
	*pp = c.p;
	return 1;
}

int64_t llt_logdec_ns(const struct llt_logdec *d, int64_t ticks)
{
	double ns = (double)ticks * (1e9 / d->hz);
	if (ns > 9e18)
		return INT64_MAX;
	if (ns < -9e18)
		return INT64_MIN;
	return (int64_t)ns;
}

int64_t llt_logdec_realtime(const struct llt_logdec *d, uint64_t tsc)
{
	int64_t dt = llt_logdec_ns(d, (int64_t)(tsc - d->anchor_ticks));
	if ((dt > 0 && d->anchor_ns > INT64_MAX - dt) || (dt < 0 && d->anchor_ns < INT64_MIN - dt))
		return dt > 0 ? INT64_MAX : INT64_MIN;
	return d->anchor_ns + dt;
}

/* ------------------------------------------------------------- formatting */

struct out {
	char *p;
	size_t len, cap;   /* cap includes the NUL */
};

static void out_mem(struct out *o, const char *s, size_t n)
{
	if (o->len + 1 >= o->cap)
		return;
	size_t room = o->cap - 1 - o->len;
	if (n > room)
		n = room;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* snprintf straight into the output; a failure or cut keeps what fits. */
#define OUT_PRINTF(o, ...) do { \
	size_t room_ = (o)->cap - (o)->len; \
	if (room_ > 1) { \
		int k_ = snprintf((o)->p + (o)->len, room_, __VA_ARGS__); \
		if (k_ > 0) \
			(o)->len += (size_t)k_ < room_ - 1 ? (size_t)k_ : room_ - 1; \
		else \
			(o)->p[(o)->len] = '\0'; \
	} } while (0)

/* The formatter hands snprintf a conversion it rebuilt from a parsed,
 * validated spec, with an argument of the type that spec takes. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

static bool is_int(uint8_t t)
{
	return t == LLT_LOG_T_I32 || t == LLT_LOG_T_U32 || t == LLT_LOG_T_I64 ||
	       t == LLT_LOG_T_U64 || t == LLT_LOG_T_PTR;
}

/* Widths and precisions above this are clamped (a hostile format must
 * not make the reader pad gigabytes). */
#define FMT_NUM_MAX 4096

static void out_u64(struct out *o, uint64_t v, bool neg)
{
	char b[24];
	int i = 24;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		b[--i] = '-';
	out_mem(o, b + i, (size_t)(24 - i));
}

size_t llt_logdec_format(char *outbuf, size_t cap, const char *fmt,
			 const struct llt_logdec_arg *args, unsigned nargs)
{
	struct out o = { outbuf, 0, cap };
	unsigned ai = 0;
	if (cap == 0)
		return 0;
	outbuf[0] = '\0';
	while (*fmt) {
		const char *pct = strchr(fmt, '%');
		if (pct == NULL) {
			out_mem(&o, fmt, strlen(fmt));
			break;
		}
		out_mem(&o, fmt, (size_t)(pct - fmt));
		const char *s = pct + 1;
		if (*s == '%') {
			out_mem(&o, "%", 1);
			fmt = s + 1;
			continue;
		}
		/* %[flags][width][.precision][length]conversion */
		char spec[64];
		size_t sl = 0;
		spec[sl++] = '%';
		while (*s && strchr("-+ #0'I", *s)) {
			if (sl < 16)
				spec[sl++] = *s;
			s++;
		}
		long width = -1, prec = -1;
		bool bad = false;
		if (*s == '*') {
			s++;
			if (ai < nargs && (args[ai].type == LLT_LOG_T_I32 || args[ai].type == LLT_LOG_T_U32)) {
				width = (long)(int32_t)args[ai].v.i;
				ai++;
				if (width < 0) {
					spec[sl++] = '-';
					width = width == INT32_MIN ? FMT_NUM_MAX : -width;
				}
			} else {
				bad = true;
			}
		} else {
			while (*s >= '0' && *s <= '9') {
				width = (width < 0 ? 0 : width) * 10 + (*s - '0');
				if (width > FMT_NUM_MAX)
					width = FMT_NUM_MAX;
				s++;
			}
		}
		if (*s == '.') {
			s++;
			prec = 0;
			if (*s == '*') {
				s++;
				if (ai < nargs && (args[ai].type == LLT_LOG_T_I32 || args[ai].type == LLT_LOG_T_U32)) {
					prec = (long)(int32_t)args[ai].v.i;
					ai++;
				} else {
					bad = true;
				}
			} else {
				while (*s >= '0' && *s <= '9') {
					prec = prec * 10 + (*s - '0');
					if (prec > FMT_NUM_MAX)
						prec = FMT_NUM_MAX;
					s++;
				}
			}
		}
		if (width > FMT_NUM_MAX)
			width = FMT_NUM_MAX;
		if (prec > FMT_NUM_MAX)
			prec = FMT_NUM_MAX;
		/* Length modifier. */
		char lm[3] = "";
		if (s[0] == 'h' && s[1] == 'h') { strcpy(lm, "hh"); s += 2; }
		else if (s[0] == 'l' && s[1] == 'l') { strcpy(lm, "ll"); s += 2; }
		else if (*s && strchr("hlLqjzZt", *s)) { lm[0] = *s == 'q' ? 'L' : *s; s++; }
		char conv = *s;
		if (conv == '\0') {
			out_mem(&o, pct, strlen(pct));
			break;
		}
		fmt = s + 1;
		if (width >= 0)
			sl += (size_t)snprintf(spec + sl, sizeof spec - sl, "%ld", width);
		if (prec >= 0)
			sl += (size_t)snprintf(spec + sl, sizeof spec - sl, ".%ld", prec < 0 ? 0 : prec);
		if (!strchr("diouxXeEfFgGaAcsp", conv) || bad) {
			/* %n, %m and unknown conversions are printed as written. */
			out_mem(&o, pct, (size_t)(fmt - pct));
			continue;
		}
		if (ai >= nargs) {
			out_mem(&o, "%!(MISSING)", 11);
			continue;
		}
		const struct llt_logdec_arg *a = &args[ai++];
		bool plain = sl == 1 && lm[0] == '\0';
		switch (conv) {
		case 'd':
		case 'i':
			if (!is_int(a->type))
				goto mismatch;
			if (plain && (a->type == LLT_LOG_T_I32)) {
				int64_t v = a->v.i;
				out_u64(&o, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
				break;
			}
			strcpy(spec + sl, lm[0] == 'L' ? "ll" : lm);
			sl = strlen(spec);
			spec[sl++] = conv;
			spec[sl] = '\0';
			{
				int64_t v = a->type == LLT_LOG_T_U32 ? (int64_t)(uint32_t)a->v.u : a->v.i;
				if (!strcmp(lm, "") || !strcmp(lm, "h") || !strcmp(lm, "hh"))
					OUT_PRINTF(&o, spec, (int)v);
				else if (!strcmp(lm, "l") || !strcmp(lm, "z") || !strcmp(lm, "Z") || !strcmp(lm, "t"))
					OUT_PRINTF(&o, spec, (long)v);
				else if (!strcmp(lm, "j"))
					OUT_PRINTF(&o, spec, (intmax_t)v);
				else
					OUT_PRINTF(&o, spec, (long long)v);
			}
			break;
		case 'o':
		case 'u':
		case 'x':
		case 'X':
			if (!is_int(a->type))
				goto mismatch;
			if (plain && conv == 'u' && (a->type == LLT_LOG_T_U32 || a->type == LLT_LOG_T_I32)) {
				out_u64(&o, (uint32_t)a->v.u, false);
				break;
			}
			strcpy(spec + sl, lm[0] == 'L' ? "ll" : lm);
			sl = strlen(spec);
			spec[sl++] = conv;
			spec[sl] = '\0';
			{
				uint64_t v = a->v.u;
				if (!strcmp(lm, "") || !strcmp(lm, "h") || !strcmp(lm, "hh"))
					OUT_PRINTF(&o, spec, (unsigned)v);
				else if (!strcmp(lm, "l") || !strcmp(lm, "z") || !strcmp(lm, "Z") || !strcmp(lm, "t"))
					OUT_PRINTF(&o, spec, (unsigned long)v);
				else if (!strcmp(lm, "j"))
					OUT_PRINTF(&o, spec, (uintmax_t)v);
				else
					OUT_PRINTF(&o, spec, (unsigned long long)v);
			}
			break;
		case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
			if (a->type == LLT_LOG_T_F64) {
				spec[sl++] = conv;
				spec[sl] = '\0';
				OUT_PRINTF(&o, spec, a->v.d);
			} else if (a->type == LLT_LOG_T_F80) {
				spec[sl++] = 'L';
				spec[sl++] = conv;
				spec[sl] = '\0';
				OUT_PRINTF(&o, spec, a->v.ld);
			} else {
				goto mismatch;
			}
			break;
		case 'c':
			if (!is_int(a->type))
				goto mismatch;
			spec[sl++] = 'c';   /* %lc is printed as %c */
			spec[sl] = '\0';
			OUT_PRINTF(&o, spec, (int)a->v.i);
			break;
		case 's': {
			if (a->type != LLT_LOG_T_STR)
				goto mismatch;
			if (plain) {
				out_mem(&o, a->v.s, a->len);
			} else {
				char tmp[LLT_LOG_STR_MAX + 1];
				memcpy(tmp, a->v.s, a->len);
				tmp[a->len] = '\0';
				spec[sl++] = 's';
				spec[sl] = '\0';
				OUT_PRINTF(&o, spec, tmp);
			}
			if (a->trunc)
				out_mem(&o, LLT_LOG_TRUNC_MARK, strlen(LLT_LOG_TRUNC_MARK));
			break;
		}
		case 'p':
			if (a->type == LLT_LOG_T_STR) {
				out_mem(&o, "(string)", 8);
				break;
			}
			if (!is_int(a->type))
				goto mismatch;
			spec[sl++] = 'p';
			spec[sl] = '\0';
			OUT_PRINTF(&o, spec, (void *)(uintptr_t)a->v.u);
			break;
		}
		continue;
mismatch:
		OUT_PRINTF(&o, "%%!%c(type %u)", conv, (unsigned)a->type);
	}
	return o.len;
}

/* --------------------------------------------------- the fast formatter */

static char *put_u64(char *p, uint64_t v)
{
	char b[20];
	int i = 20;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(p, b + i, (size_t)(20 - i));
	return p + (20 - i);
}

static const uint64_t pow10_u64[18] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
	1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
	100000000000000ull, 1000000000000000ull, 10000000000000000ull, 100000000000000000ull
};

/* %.{prec}f of v, exactly as glibc prints it in the default rounding
 * mode, for finite |v| < 2^63 and prec <= 17: v = m * 2^e exactly (m the
 * 53-bit significand), so v * 10^prec = m * 10^prec * 2^e, which fits
 * in 128 bits (m * 10^17 < 2^110); shifting right by -e gives the
 * integer part of that product and the bits shifted out the exact
 * remainder, rounded half to even (glibc's __printf_fp rounds the exact
 * decimal expansion so, in round-to-nearest).  The result q is then
 * printed as q / 10^prec "." q % 10^prec.  Returns 0 outside that range
 * (the caller uses snprintf). */
size_t llt_logdec_fixed(char *out, double v, unsigned prec)
{
#if defined(__SIZEOF_INT128__)
	uint64_t bits;
	memcpy(&bits, &v, 8);
	int bexp = (int)((bits >> 52) & 0x7ff);
	uint64_t m = bits & ((1ull << 52) - 1);
	bool neg = bits >> 63;
	int e;
	if (prec > 17 || bexp == 0x7ff)
		return 0;
	if (bexp == 0) {
		e = -1074;     /* subnormal (or zero) */
	} else {
		m |= 1ull << 52;
		e = bexp - 1075;
	}
	if (e > 10)
		return 0;      /* |v| >= 2^63 */
	unsigned __int128 q;
	if (e >= 0) {
		q = (unsigned __int128)(m << e) * pow10_u64[prec];
	} else {
		unsigned __int128 nm = (unsigned __int128)m * pow10_u64[prec];
		unsigned s = (unsigned)-e;
		if (s >= 128) {
			q = 0;     /* below half a unit of the last digit: rounds to 0 */
		} else {
			q = nm >> s;
			unsigned __int128 r = nm & (((unsigned __int128)1 << s) - 1);
			unsigned __int128 half = (unsigned __int128)1 << (s - 1);
			if (r > half || (r == half && (q & 1)))
				q++;
		}
	}
	char *p = out;
	if (neg)
		*p++ = '-';
	uint64_t ip = (uint64_t)(q / pow10_u64[prec]);
	uint64_t fp = (uint64_t)(q % pow10_u64[prec]);
	p = put_u64(p, ip);
	if (prec) {
		*p++ = '.';
		for (unsigned i = prec; i > 0; i--) {
			p[i - 1] = (char)('0' + fp % 10);
			fp /= 10;
		}
		p += prec;
	}
	return (size_t)(p - out);
#else
	(void)out;
	(void)v;
	(void)prec;
	return 0;
#endif
}

size_t llt_logdec_format_desc(char *out, size_t cap, const struct llt_logdec_desc *ds,
			      const struct llt_logdec_arg *args, unsigned nargs)
{
	const struct llt_logdec_op *op = ds->plan;
	if (op == NULL || nargs != ds->nargs)
		return llt_logdec_format(out, cap, ds->fmt, args, nargs);
	/* The longest this can print (an integer 20 bytes, a double in the
	 * fast range 1 + 19 + 1 + 17, a string its length and the mark);
	 * if it may not fit, the general formatter cuts it as it always
	 * did. */
	size_t worst = ds->lit_total + 1;
	for (unsigned i = 0; i < ds->nops; i++)
		if (op[i].kind != OP_END)
			worst += 40;
	for (unsigned i = 0; i < nargs; i++)
		if (args[i].type == LLT_LOG_T_STR)
			worst += args[i].len + sizeof LLT_LOG_TRUNC_MARK;
	if (worst > cap)
		return llt_logdec_format(out, cap, ds->fmt, args, nargs);
	char *p = out;
	unsigned ai = 0;
	for (;; op++) {
		memcpy(p, ds->fmt + op->lit, op->litlen);
		p += op->litlen;
		const struct llt_logdec_arg *a = &args[ai];
		switch (op->kind) {
		case OP_END:
			if (op + 1 == (const struct llt_logdec_op *)ds->plan + ds->nops) {
				*p = '\0';
				return (size_t)(p - out);
			}
			continue;
		case OP_I32:
		case OP_I64:
			if (a->v.i < 0) {
				*p++ = '-';
				p = put_u64(p, (uint64_t)0 - (uint64_t)a->v.i);
			} else {
				p = put_u64(p, (uint64_t)a->v.i);
			}
			break;
		case OP_U32:
		case OP_U64:
			p = put_u64(p, a->v.u);
			break;
		case OP_STR:
			memcpy(p, a->v.s, a->len);
			p += a->len;
			if (a->trunc) {
				memcpy(p, LLT_LOG_TRUNC_MARK, sizeof LLT_LOG_TRUNC_MARK - 1);
				p += sizeof LLT_LOG_TRUNC_MARK - 1;
			}
			break;
		case OP_FIX: {
			size_t k = llt_logdec_fixed(p, a->v.d, op->prec);
			if (k == 0) {
				/* NaN, infinities, |v| >= 2^63: as the general path. */
				int w = snprintf(p, cap - (size_t)(p - out), "%.*f", (int)op->prec, a->v.d);
				if (w < 0 || (size_t)w >= cap - (size_t)(p - out))
					return llt_logdec_format(out, cap, ds->fmt, args, nargs);
				k = (size_t)w;
			}
			p += k;
			break;
		}
		}
		ai++;
	}
}
