/* check_log: llt/log through the logger and back through the decoder.
 *
 * Round trip (every specifier and width equals snprintf of the same
 * call), concurrent producers under both full-ring policies (exact counts
 * and per-thread order), rate limiting, rotation, the text sink, write
 * errors, and, in child processes, a crash (the log holds every message
 * and a backtrace naming the faulting function) and SIGKILL (the file
 * decodes up to its last complete record). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <llt/cpu.h>
#include <llt/log.h>

#include "logdec.h"
#include "logfmt.h"
#include "logsym.h"
#include "testutil.h"

#if !defined(__clang__) /* gcc-only warning; clang has no such group */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* ------------------------------------------------------------- decoding */

struct rec {
	char msg[1600];
	uint32_t tid;
	uint64_t seq;
	int level;
	uint64_t suppressed;
};

struct decoded {
	struct rec *recs;
	size_t n, cap;
	uint64_t drops;
	int crashes;
	char crash_frames[4096];
	int crash_sig;
	int frames_in_module;  /* crash frames inside a module of the map */
	unsigned minor;        /* the file's format minor version */
	size_t nmods;          /* modules in the map when the crash was read */
	int status;            /* 0 clean, 3 truncated, 4 corrupt */
	size_t bytes;
};

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	uint8_t *b = malloc(cap);
	for (;;) {
		if (n == cap)
			b = realloc(b, cap *= 2);
		size_t k = fread(b + n, 1, cap - n, f);
		if (k == 0)
			break;
		n += k;
	}
	fclose(f);
	*len = n;
	return b;
}

static void decode_into(const char *path, struct decoded *out)
{
	size_t len = 0;
	uint8_t *b = read_all(path, &len);
	ck_assert_msg(b != NULL, "cannot read %s", path);
	struct llt_logdec d;
	llt_logdec_init(&d);
	long h = llt_logdec_header(&d, b, len);
	ck_assert_msg(h > 0, "%s: bad header", path);
	size_t pos = (size_t)h;
	struct llt_logdec_ev *ev = malloc(sizeof(*ev));
	out->bytes += len;
	while (pos < len) {
		size_t used;
		int r = llt_logdec_next(&d, b + pos, len - pos, ev, &used);
		if (r == 0) {
			out->status = out->status ? out->status : 3;
			break;
		}
		if (r < 0) {
			out->status = 4;
			break;
		}
		pos += used;
		if (ev->type == LLT_LOGDEC_EV_RECORD) {
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 1024;
				out->recs = realloc(out->recs, out->cap * sizeof(*out->recs));
			}
			struct rec *r2 = &out->recs[out->n++];
			llt_logdec_format(r2->msg, sizeof r2->msg, ev->desc->fmt, ev->args, ev->nargs);
			/* The parsed-format fast path prints the same bytes. */
			char fast[sizeof r2->msg];
			size_t fl = llt_logdec_format_desc(fast, sizeof fast, ev->desc, ev->args, ev->nargs);
			ck_assert_msg(fl == strlen(r2->msg) && strcmp(fast, r2->msg) == 0,
				      "fast format '%s'\n got  '%s'\n want '%s'", ev->desc->fmt, fast, r2->msg);
			r2->tid = ev->tid;
			r2->seq = ev->seq;
			r2->level = ev->level;
			r2->suppressed = ev->suppressed;
		} else if (ev->type == LLT_LOGDEC_EV_DROP) {
			out->drops += ev->count;
		} else if (ev->type == LLT_LOGDEC_EV_CRASH) {
			out->crashes++;
			out->crash_sig = ev->signo;
			const uint8_t *p = ev->frames;
			struct llt_logdec_frame f;
			size_t fl = 0;
			struct llt_logsym *sym = llt_logsym_new();
			out->minor = d.minor;
			out->nmods = d.nmods;
			for (int i = 0; llt_logdec_frame(&p, ev->frames_end, &f) == 1 && fl < sizeof out->crash_frames - 300;
			     i++) {
				struct llt_logsym_res sr;
				/* 1.1 records raw addresses: symbolised offline. */
				ck_assert_uint_eq(f.namelen, 0);
				ck_assert_uint_eq(f.off, 0);
				if (llt_logsym_lookup(sym, &d, f.ip, i > 0, &sr) == 1) {
					out->frames_in_module++;
					if (sr.name)
						fl += (size_t)snprintf(out->crash_frames + fl, sizeof out->crash_frames - fl,
								       "%.*s ", (int)sr.namelen, sr.name);
				}
			}
			llt_logsym_free(sym);
		}
	}
	free(ev);
	llt_logdec_free(&d);
	free(b);
}

static void decoded_free(struct decoded *d)
{
	free(d->recs);
	memset(d, 0, sizeof(*d));
}

static char tmpdir[PATH_MAX];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/check_log.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct llt_log *open_log(const char *name, unsigned flags, size_t ring, char *path)
{
	struct llt_log_config c;
	struct llt_log *lg = NULL;
	llt_log_config_init(&c);
	snprintf(path, PATH_MAX, "%s/%s", tmpdir, name);
	c.path = path;
	c.flags = flags;
	c.level = LLT_LOG_TRACE;
	if (ring)
		c.ring_bytes = ring;
	ck_assert_int_eq(llt_log_open(&c, &lg), 0);
	return lg;
}

/* ----------------------------------------------------------- round trip */

static char expect[64][1600];
static int nexpect;

#define RT(lg, ...) do { \
	snprintf(expect[nexpect++], sizeof expect[0], __VA_ARGS__); \
	LLT_LOG(lg, LLT_INFO, __VA_ARGS__); \
} while (0)

START_TEST(test_roundtrip)
{
	char path[PATH_MAX];
	make_tmpdir();
	struct llt_log *lg = open_log("rt.log", 0, 0, path);
	char sbuf[32] = "buffer";
	const char *nul = NULL;
	unsigned char uc = 200;
	signed char sc = -100;
	short sh = -1234;
	unsigned short ush = 65000;
	long l = -123456789012L;
	unsigned long ul = 18446744073709551615UL;
	long long ll = LLONG_MIN;
	unsigned long long ull = 12345678901234567890ULL;
	size_t z = 42;
	ptrdiff_t t = -7;
	intmax_t im = INTMAX_MAX;
	float fl = 3.25f;
	long double ld = 1.0L / 3;
	char ch = 'Z';
	_Bool b = 1;

	nexpect = 0;
	RT(lg, "no arguments at all");
	RT(lg, "%%d: %d %i %5d %-5d| %05d %+d % d %.3d", -42, 42, 7, 7, -7, 7, 7, 7);
	RT(lg, "%u %o %x %X %#x %#o %10.4x", 4000000000u, 8u, 255u, 255u, 255u, 8u, 0xabu);
	RT(lg, "%hhd %hhu %hd %hu %c %c", sc, uc, sh, ush, ch, 'a');
	RT(lg, "%ld %lu %lx %lld %llu %llx", l, ul, ul, ll, ull, ull);
	RT(lg, "%zu %zd %td %jd %ju", z, (ssize_t)-3, t, im, (uintmax_t)im);
	RT(lg, "%f %.2f %10.3f %-10.1f| %e %E %g %G %a", 3.14159, 2.71828, -1.5, 0.25, 12345.678, 1e-10, 0.0001, 1e20, 1.0);
	RT(lg, "%f %g %Lf %Lg %.10Le", fl, (double)fl, ld, ld, ld);
	RT(lg, "%s|%10s|%-10s|%.3s|%s", "str", "right", "left", "truncate", sbuf);
	RT(lg, "%s %p %p", nul, (void *)0x7fff1234, (void *)NULL);
	RT(lg, "%*d|%-*d|%.*f|%*.*s", 6, 42, 6, 42, 2, 3.14159, 8, 3, "abcdef");
	RT(lg, "%d %d", b, (int)b);
	RT(lg, "int8 %d int16 %d int32 %d int64 %" PRId64 " u64 %" PRIu64, (int8_t)-8, (int16_t)-16, (int32_t)-32,
	   (int64_t)-64, (uint64_t)64);
	RT(lg, "%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m",
	   "n", "o", "p");
	RT(lg, "%d %s %f %ld %c %s %u %x %p %g %s %d %lld %hu %e %s", 1, "two", 3.0, 4L, '5', "six", 7u, 8u,
	   (void *)9, 10.0, "eleven", 12, 13LL, (unsigned short)14, 15.0, "sixteen");
	ck_assert_int_eq(llt_log_close(lg), 0);

	struct decoded d = { 0 };
	decode_into(path, &d);
	ck_assert_int_eq(d.status, 0);
	ck_assert_int_eq((int)d.n, nexpect);
	for (int i = 0; i < nexpect; i++) {
		ck_assert_msg(strcmp(d.recs[i].msg, expect[i]) == 0, "record %d:\n got  '%s'\n want '%s'", i,
			      d.recs[i].msg, expect[i]);
		ck_assert_int_eq((int)d.recs[i].seq, i);
		ck_assert_int_eq(d.recs[i].level, LLT_LOG_INFO);
	}
	decoded_free(&d);
	rm_tmpdir();
}
END_TEST

START_TEST(test_long_strings)
{
	char path[PATH_MAX];
	static char big[5000], want[1600];
	make_tmpdir();
	struct llt_log *lg = open_log("long.log", 0, 0, path);
	memset(big, 'y', sizeof big - 1);
	big[LLT_LOG_STR_MAX] = 'z';
	LLT_LOG(lg, LLT_INFO, "[%s]", big);             /* cut: truncation mark */
	big[LLT_LOG_STR_MAX] = '\0';
	LLT_LOG(lg, LLT_INFO, "[%s]", big);             /* exactly the maximum: whole */
	big[200] = '\0';
	LLT_LOG(lg, LLT_INFO, "%s|%s|%d", big, big, 5); /* several elements */
	ck_assert_int_eq(llt_log_close(lg), 0);

	struct decoded d = { 0 };
	decode_into(path, &d);
	ck_assert_int_eq(d.status, 0);
	ck_assert_int_eq((int)d.n, 3);
	memset(want, 'y', LLT_LOG_STR_MAX);
	snprintf(want, sizeof want, "[%.*s%s]", LLT_LOG_STR_MAX, big[0] ? "" : "", LLT_LOG_TRUNC_MARK);
	{
		char w[1600];
		memset(w, 'y', LLT_LOG_STR_MAX);
		w[LLT_LOG_STR_MAX] = '\0';
		snprintf(want, sizeof want, "[%s%s]", w, LLT_LOG_TRUNC_MARK);
		ck_assert_str_eq(d.recs[0].msg, want);
		snprintf(want, sizeof want, "[%s]", w);
		ck_assert_str_eq(d.recs[1].msg, want);
	}
	snprintf(want, sizeof want, "%s|%s|%d", big, big, 5);
	ck_assert_str_eq(d.recs[2].msg, want);
	decoded_free(&d);
	rm_tmpdir();
}
END_TEST


/* ------------------------------------------------ the fast conversions */

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	/* xorshift64 (Marsaglia 2003). */
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static double rnd_double(void)
{
	uint64_t k = rnd() % 8, b;
	double v;
	switch (k) {
	case 0:   /* any bit pattern */
		b = rnd();
		memcpy(&v, &b, 8);
		return v;
	case 1:   /* ties and near-ties of the decimal rounding: k / 2^j */
		return (double)(int64_t)(rnd() % 2000001 - 1000000) / (double)(1ull << (rnd() % 24));
	case 2:   /* prices */
		return (double)(rnd() % 100000000) / 100.0;
	case 3:   /* small */
		return ((double)(rnd() >> 11) / 9007199254740992.0) * 1e-5 * ((rnd() & 1) ? 1 : -1);
	case 4:   /* near 2^63 and powers of ten */
		return ldexp(1.0 + (double)(rnd() % 1000) / 1000, (int)(rnd() % 66) - 2) * ((rnd() & 1) ? 1 : -1);
	case 5:
		return (double)(rnd() % 20) - 10 + 0.5;   /* x.5 */
	case 6:
		return ((rnd() & 1) ? -0.0 : 0.0);
	default: {
		int e = (int)(rnd() % 40) - 20;
		return (double)(int64_t)(rnd() % 2000000001 - 1000000000) * pow(10.0, e);
	}
	}
}

/* The exact %f conversion against snprintf, for many random values and
 * every precision it takes. */
START_TEST(test_fixed_vs_snprintf)
{
	char a[512], b[512];
	long compared = 0, n = (long)(400000 * llt_test_scale());
	for (long i = 0; i < n; i++) {
		double v = rnd_double();
		unsigned prec = (unsigned)(i % 19);   /* 18: out of range, must decline */
		size_t k = llt_logdec_fixed(a, v, prec);
		if (k == 0) {
			ck_assert_msg(prec > 17 || !isfinite(v) || fabs(v) >= 9223372036854775808.0,
				      "declined %.17g at %u", v, prec);
			continue;
		}
		a[k] = '\0';
		snprintf(b, sizeof b, "%.*f", (int)prec, v);
		ck_assert_msg(strcmp(a, b) == 0, "%%.%uf of %a: got %s, snprintf %s", prec, v, a, b);
		compared++;
	}
	ck_assert_int_gt(compared, n / 2);
}
END_TEST

/* Random values through the logger and back, formats the fast path
 * takes (and some it leaves to snprintf), against snprintf. */
START_TEST(test_fast_roundtrip)
{
	char path[PATH_MAX];
	enum { N = 3000 };
	static char want[N][1600];
	make_tmpdir();
	struct llt_log *lg = open_log("fast.log", LLT_LOG_BLOCK, 0, path);
	for (int i = 0; i < N; i++) {
		int32_t i32 = (int32_t)rnd();
		int64_t i64 = (int64_t)rnd() >> (rnd() % 64);
		uint32_t u32 = (uint32_t)rnd();
		unsigned long u64 = (unsigned long)(rnd() >> (rnd() % 64));
		double d = rnd_double();
		const char *sym = (i & 1) ? "AAPL" : "";
		switch (i % 5) {
		case 0:
			snprintf(want[i], sizeof want[i], "id=%d px=%f sym=%s", i32, d, sym);
			LLT_LOG(lg, LLT_INFO, "id=%d px=%f sym=%s", i32, d, sym);
			break;
		case 1:
			snprintf(want[i], sizeof want[i], "%ld|%lu|%u|%i%%", (long)i64, u64, u32, i32);
			LLT_LOG(lg, LLT_INFO, "%ld|%lu|%u|%i%%", (long)i64, u64, u32, i32);
			break;
		case 2:
			snprintf(want[i], sizeof want[i], "%.2f %.0f %.9f %.17f", d, d, d, d);
			LLT_LOG(lg, LLT_INFO, "%.2f %.0f %.9f %.17f", d, d, d, d);
			break;
		case 3:
			snprintf(want[i], sizeof want[i], "%lld %zu %s%%%s", (long long)i64, (size_t)u64, sym, sym);
			LLT_LOG(lg, LLT_INFO, "%lld %zu %s%%%s", (long long)i64, (size_t)u64, sym, sym);
			break;
		default:
			snprintf(want[i], sizeof want[i], "%5d %-3u %+f %e", i32, u32, d, d);
			LLT_LOG(lg, LLT_INFO, "%5d %-3u %+f %e", i32, u32, d, d);
			break;
		}
	}
	ck_assert_int_eq(llt_log_close(lg), 0);
	struct decoded d = { 0 };
	decode_into(path, &d);   /* also checks the fast path against the general one */
	ck_assert_int_eq(d.status, 0);
	ck_assert_int_eq((int)d.n, N);
	for (int i = 0; i < N; i++)
		ck_assert_msg(strcmp(d.recs[i].msg, want[i]) == 0, "record %d:\n got  '%s'\n want '%s'", i,
			      d.recs[i].msg, want[i]);
	decoded_free(&d);
	rm_tmpdir();
}
END_TEST

/* ------------------------------------------------------------ concurrency */

#define THREADS 4

struct worker {
	struct llt_log *lg;
	int id;
	uint64_t n;
	uint32_t tid;
	pthread_barrier_t *bar;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned seed = (unsigned)w->id * 7919u + 1;
	w->tid = (uint32_t)gettid();
	pthread_barrier_wait(w->bar);
	for (uint64_t i = 0; i < w->n; i++) {
		LLT_LOG(w->lg, LLT_INFO, "w=%d i=%" PRIu64 " s=%s", w->id, i, (i & 7) ? "x" : "eight");
		if ((rand_r(&seed) & 1023) == 0) {
			struct timespec ts = { 0, (long)(rand_r(&seed) % 50000) };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static uint64_t drop_cb_total;
static void on_drop(void *arg, uint32_t tid, uint64_t n)
{
	(void)arg;
	(void)tid;
	__atomic_fetch_add(&drop_cb_total, n, __ATOMIC_RELAXED);
}

static void run_threads(unsigned flags, uint64_t per, struct decoded *d, struct llt_log_stats *st)
{
	char path[PATH_MAX];
	struct llt_log_config c;
	struct llt_log *lg;
	pthread_t th[THREADS];
	struct worker w[THREADS];
	pthread_barrier_t bar;

	llt_log_config_init(&c);
	snprintf(path, sizeof path, "%s/threads.log", tmpdir);
	c.path = path;
	c.flags = flags;
	c.ring_bytes = 4096;
	c.on_drop = on_drop;
	c.flush_interval_ns = 200000;
	drop_cb_total = 0;
	ck_assert_int_eq(llt_log_open(&c, &lg), 0);
	pthread_barrier_init(&bar, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ lg, i, per, 0, &bar };
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	llt_log_flush(lg);
	llt_log_stats(lg, st);
	ck_assert_int_eq(llt_log_close(lg), 0);
	decode_into(path, d);
	ck_assert_int_eq(d->status, 0);
	/* Per thread: strictly increasing sequence numbers, messages in
	 * order, and records + drops = calls. */
	for (int i = 0; i < THREADS; i++) {
		uint64_t count = 0, last_i = 0;
		int64_t last_seq = -1;
		for (size_t k = 0; k < d->n; k++) {
			struct rec *r = &d->recs[k];
			if (r->tid != w[i].tid)
				continue;
			int wid;
			uint64_t ii;
			ck_assert_int_eq(sscanf(r->msg, "w=%d i=%" SCNu64, &wid, &ii), 2);
			ck_assert_int_eq(wid, i);
			ck_assert_msg((int64_t)r->seq > last_seq, "thread %d: seq %" PRIu64 " after %" PRId64, i,
				      r->seq, last_seq);
			ck_assert_msg(count == 0 || ii > last_i, "thread %d: i=%" PRIu64 " after %" PRIu64, i, ii, last_i);
			ck_assert_uint_eq(ii, r->seq);   /* the sequence number is the call index */
			last_seq = (int64_t)r->seq;
			last_i = ii;
			count++;
		}
		if (!(flags & LLT_LOG_BLOCK))
			continue;
		ck_assert_msg(count == per, "thread %d: %" PRIu64 " of %" PRIu64 " records", i, count, per);
	}
}

START_TEST(test_threads_block)
{
	struct decoded d = { 0 };
	struct llt_log_stats st;
	uint64_t per = (uint64_t)(200000 * llt_test_scale());
	make_tmpdir();
	run_threads(LLT_LOG_BLOCK, per, &d, &st);
	ck_assert_uint_eq(d.n, per * THREADS);
	ck_assert_uint_eq(d.drops, 0);
	ck_assert_uint_eq(st.dropped, 0);
	/* llt_log_flush() returned only after every record committed before
	 * it was written. */
	ck_assert_uint_eq(st.logged, per * THREADS);
	decoded_free(&d);
	rm_tmpdir();
}
END_TEST

START_TEST(test_threads_drop)
{
	struct decoded d = { 0 };
	struct llt_log_stats st;
	uint64_t per = (uint64_t)(300000 * llt_test_scale());
	make_tmpdir();
	run_threads(0, per, &d, &st);
	/* Exactly what was dropped is counted: in the file (DROP entries),
	 * in the stats and through the callback. */
	ck_assert_uint_eq(d.n + d.drops, per * THREADS);
	ck_assert_uint_eq(st.dropped, d.drops);
	ck_assert_uint_eq(__atomic_load_n(&drop_cb_total, __ATOMIC_RELAXED), d.drops);
	printf("drop policy: %zu written, %" PRIu64 " dropped\n", d.n, d.drops);
	decoded_free(&d);
	rm_tmpdir();
}
END_TEST


/* llt_log_flush() while another thread logs without pause: it returns
 * (the other thread's later records do not hold it back), and every
 * record the flushing thread committed before the call is in the file
 * when it does. */
static volatile int spam_stop;
static void *spam_main(void *arg)
{
	struct llt_log *lg = arg;
	for (uint64_t i = 0; !__atomic_load_n(&spam_stop, __ATOMIC_RELAXED); i++) {
		LLT_LOG(lg, LLT_INFO, "spam %" PRIu64, i);
		/* Bursts, so that the file (decoded after each flush) stays
		 * small; within a burst the ring is busy. */
		if ((i & 255) == 255) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

START_TEST(test_flush_while_logging)
{
	char path[PATH_MAX];
	pthread_t th;
	make_tmpdir();
	/* A ring of 16 MiB: a burst of 400000 records outruns the backend
	 * (about 12 ns per call against 20 per record), so that usually more
	 * is queued at the flush than one backend round (65536 records)
	 * writes: a flush that answered after one round would be caught. */
	struct llt_log *lg = open_log("flush.log", LLT_LOG_BLOCK, 16u << 20, path);
	spam_stop = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, spam_main, lg), 0);
	int rounds = (int)(20 * llt_test_scale()) + 2, per = 500, mine = 0;
	uint64_t worst = 0;
	for (int r = 0; r < rounds; r++) {
		int k = r % 4 == 0 ? (int)(400000 * llt_test_scale()) + per : per;
		for (int i = 0; i < k; i++)
			LLT_LOG(lg, LLT_WARN, "mine %d", mine++);
		uint64_t t0 = llt_test_mono_ns();
		ck_assert_int_eq(llt_log_flush(lg), 0);
		if (llt_test_mono_ns() - t0 > worst)
			worst = llt_test_mono_ns() - t0;
		if (getenv("CHECK_LOG_DEBUG"))
			fprintf(stderr, "round %d: flush %.3f ms\n", r, (double)(llt_test_mono_ns() - t0) / 1e6);
		/* The file now holds every "mine" record so far (the backend may
		 * be writing more: a cut tail is fine).  Only those are
		 * formatted, so that each round stays cheap. */
		size_t len = 0;
		uint8_t *b = read_all(path, &len);
		ck_assert_ptr_nonnull(b);
		struct llt_logdec dec;
		struct llt_logdec_ev *ev = malloc(sizeof(*ev));
		llt_logdec_init(&dec);
		long h = llt_logdec_header(&dec, b, len);
		ck_assert_int_gt(h, 0);
		int seen = 0;
		for (size_t pos = (size_t)h, used; pos < len; pos += used) {
			int rc = llt_logdec_next(&dec, b + pos, len - pos, ev, &used);
			if (rc <= 0) {
				ck_assert_int_eq(rc, 0);
				break;
			}
			/* Plain checks here: a ck_assert costs a system call. */
			if (ev->type == LLT_LOGDEC_EV_RECORD && ev->level == LLT_LOG_WARN) {
				char m[64];
				int v = -1;
				llt_logdec_format(m, sizeof m, ev->desc->fmt, ev->args, ev->nargs);
				if (sscanf(m, "mine %d", &v) != 1 || v != seen)
					break;
				seen++;
			}
		}
		ck_assert_msg(seen == mine, "round %d: %d of %d records written when flush returned", r, seen, mine);
		free(ev);
		llt_logdec_free(&dec);
		free(b);
	}
	__atomic_store_n(&spam_stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	printf("flush while logging: %d rounds, slowest flush %.2f ms\n", rounds, (double)worst / 1e6);
	ck_assert_int_eq(llt_log_close(lg), 0);
	rm_tmpdir();
}
END_TEST

/* Short-lived threads: rings are created on first use and reclaimed. */
static void *short_main(void *arg)
{
	struct llt_log *lg = arg;
	for (int i = 0; i < 10; i++)
		LLT_LOG(lg, LLT_INFO, "short %d", i);
	return NULL;
}

START_TEST(test_thread_reclaim)
{
	char path[PATH_MAX];
	struct llt_log_stats st;
	make_tmpdir();
	struct llt_log *lg = open_log("reclaim.log", LLT_LOG_BLOCK, 8192, path);
	for (int round = 0; round < 20; round++) {
		pthread_t th[4];
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(pthread_create(&th[i], NULL, short_main, lg), 0);
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
	}
	llt_log_flush(lg);
	/* Give the backend a few rounds to reap the exited threads. */
	for (int i = 0; i < 200; i++) {
		llt_log_stats(lg, &st);
		if (st.threads == 0)
			break;
		usleep(5000);
	}
	ck_assert_uint_eq(st.threads, 0);
	ck_assert_uint_eq(st.logged, 800);
	ck_assert_int_eq(llt_log_close(lg), 0);
	rm_tmpdir();
}
END_TEST

/* llt_log_preallocate: the ring exists before the first message, and
 * that message then uses it (one producer, not two). */
static void *prealloc_main(void *arg)
{
	struct llt_log *lg = arg;
	struct llt_log_stats st;
	llt_log_stats(lg, &st);
	unsigned before = st.threads;
	ck_assert_int_eq(llt_log_preallocate(lg), 0);
	llt_log_stats(lg, &st);
	ck_assert_uint_eq(st.threads, before + 1);
	ck_assert_int_eq(llt_log_preallocate(lg), 0);
	LLT_LOG(lg, LLT_INFO, "after preallocate %d", 1);
	llt_log_stats(lg, &st);
	ck_assert_uint_eq(st.threads, before + 1);
	return NULL;
}

START_TEST(test_preallocate)
{
	char path[PATH_MAX];
	make_tmpdir();
	struct llt_log *lg = open_log("prealloc.log", 0, 0, path);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, prealloc_main, lg), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(llt_log_preallocate(NULL), -EINVAL);
	ck_assert_int_eq(llt_log_close(lg), 0);
	struct decoded d = { 0 };
	decode_into(path, &d);
	ck_assert_int_eq((int)d.n, 1);
	ck_assert_str_eq(d.recs[0].msg, "after preallocate 1");
	decoded_free(&d);
	rm_tmpdir();
}
END_TEST

/* ---------------------------------------------------------- rate, levels */

/* One rate-limited call site (its state is per site). */
static void rate_site(struct llt_log *lg, int i)
{
	LLT_LOG_RATE(lg, LLT_WARN, 3, 200000000, "burst %d", i);
}

START_TEST(test_rate_and_level)
{
	char path[PATH_MAX];
	make_tmpdir();
	struct llt_log *lg = open_log("rate.log", 0, 0, path);
	for (int i = 0; i < 10; i++)
		rate_site(lg, i);
	usleep(250000);
	rate_site(lg, 10);
	llt_log_set_level(lg, LLT_LOG_ERROR);
	LLT_LOG(lg, LLT_WARN, "filtered");
	LLT_LOG(lg, LLT_ERROR, "kept");
	ck_assert_int_eq(llt_log_level(lg), LLT_LOG_ERROR);
	ck_assert_int_eq(llt_log_close(lg), 0);
	struct decoded d = { 0 };
	decode_into(path, &d);
	ck_assert_int_eq((int)d.n, 5);
	ck_assert_str_eq(d.recs[0].msg, "burst 0");
	ck_assert_str_eq(d.recs[2].msg, "burst 2");
	ck_assert_str_eq(d.recs[3].msg, "burst 10");
	ck_assert_uint_eq(d.recs[3].suppressed, 7);
	ck_assert_str_eq(d.recs[4].msg, "kept");
	decoded_free(&d);
	rm_tmpdir();
}
END_TEST

/* ------------------------------------------------------- rotation, sinks */

START_TEST(test_rotation)
{
	char path[PATH_MAX], p2[PATH_MAX + 8];
	struct llt_log_config c;
	struct llt_log *lg;
	struct stat sb;
	make_tmpdir();
	llt_log_config_init(&c);
	snprintf(path, sizeof path, "%s/rot.log", tmpdir);
	c.path = path;
	c.rotate_bytes = 8192;
	c.rotate_keep = 3;
	c.flags = LLT_LOG_BLOCK;
	ck_assert_int_eq(llt_log_open(&c, &lg), 0);
	for (int i = 0; i < 20000; i++) {
		LLT_LOG(lg, LLT_INFO, "rotating message number %d with some padding text", i);
		if (i % 500 == 0)
			llt_log_flush(lg);
	}
	struct llt_log_stats st;
	llt_log_flush(lg);
	llt_log_stats(lg, &st);
	ck_assert_uint_ge(st.rotations, 4);
	ck_assert_int_eq(llt_log_close(lg), 0);
	for (int k = 1; k <= 3; k++) {
		snprintf(p2, sizeof p2, "%s.%d", path, k);
		ck_assert_msg(stat(p2, &sb) == 0, "%s missing", p2);
	}
	snprintf(p2, sizeof p2, "%s.4", path);
	ck_assert_int_ne(stat(p2, &sb), 0);
	/* Every kept file decodes alone (descriptors are written again in
	 * each), and together they end with the last message. */
	int last = -1;
	for (int k = 3; k >= 0; k--) {
		struct decoded d = { 0 };
		if (k)
			snprintf(p2, sizeof p2, "%s.%d", path, k);
		else
			snprintf(p2, sizeof p2, "%s", path);
		decode_into(p2, &d);
		ck_assert_int_eq(d.status, 0);
		for (size_t i = 0; i < d.n; i++) {
			int v;
			ck_assert_int_eq(sscanf(d.recs[i].msg, "rotating message number %d", &v), 1);
			ck_assert_int_eq(v, last + 1 > 0 && last >= 0 ? last + 1 : v);
			last = v;
		}
		decoded_free(&d);
	}
	ck_assert_int_eq(last, 19999);
	rm_tmpdir();
}
END_TEST

START_TEST(test_text_sink)
{
	char path[PATH_MAX];
	struct llt_log_config c;
	struct llt_log *lg;
	make_tmpdir();
	llt_log_config_init(&c);
	snprintf(path, sizeof path, "%s/text.log", tmpdir);
	c.sinks = LLT_LOG_SINK_TEXT;
	c.text_path = path;
	ck_assert_int_eq(llt_log_open(&c, &lg), 0);
	LLT_LOG(lg, LLT_INFO, "id=%d px=%.2f sym=%s", 7, 101.25, "AAPL");
	LLT_LOG(lg, LLT_ERROR, "second %s", "line");
	ck_assert_int_eq(llt_log_close(lg), 0);
	size_t len;
	char *t = (char *)read_all(path, &len);
	ck_assert_ptr_nonnull(t);
	t = realloc(t, len + 1);
	t[len] = '\0';
	ck_assert_msg(strstr(t, "INFO") && strstr(t, "check_log.c:") && strstr(t, " id=7 px=101.25 sym=AAPL\n"),
		      "text sink wrote: %s", t);
	ck_assert_msg(strstr(t, "ERROR") && strstr(t, " second line\n"), "text sink wrote: %s", t);
	free(t);
	rm_tmpdir();
}
END_TEST

START_TEST(test_write_errors)
{
	struct llt_log_config c;
	struct llt_log *lg;
	struct llt_log_stats st;
	if (access("/dev/full", W_OK) != 0)
		return;
	llt_log_config_init(&c);
	c.path = "/dev/full";
	/* The header write fails at open: an error, nothing half set up. */
	ck_assert_int_eq(llt_log_open(&c, &lg), -ENOSPC);
	(void)st;
}
END_TEST

START_TEST(test_bad_config)
{
	struct llt_log_config c;
	struct llt_log *lg = NULL;
	llt_log_config_init(&c);
	ck_assert_int_eq(llt_log_open(&c, &lg), -EINVAL);     /* binary sink without a path */
	c.path = "/nonexistent-dir/x.log";
	ck_assert_int_eq(llt_log_open(&c, &lg), -ENOENT);
	c.path = "/tmp/x";
	c.level = 99;
	ck_assert_int_eq(llt_log_open(&c, &lg), -EINVAL);
	c.level = LLT_LOG_INFO;
	c.ring_bytes = 10;
	ck_assert_int_eq(llt_log_open(&c, &lg), -EINVAL);
	ck_assert_ptr_null(lg);
	ck_assert_int_eq(llt_log_open(NULL, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------------------- crash, SIGKILL */

/* Not inlined and exported (-rdynamic), so the backtrace can name it. */
__attribute__((noinline)) void check_log_crash_here(volatile int *p);
__attribute__((noinline, no_sanitize("undefined"))) void check_log_crash_here(volatile int *p)
{
	*p = 42;
	__asm__ volatile("" ::: "memory");
}

static int child_crash(const char *path)
{
	struct llt_log_config c;
	struct llt_log *lg;
	llt_log_config_init(&c);
	c.path = path;
	c.flags = LLT_LOG_CRASH_HANDLER;
	c.flush_interval_ns = 50000000;   /* records stay in the rings until the crash */
	if (llt_log_open(&c, &lg) != 0)
		return 1;
	for (int i = 0; i < 1000; i++)
		LLT_LOG(lg, LLT_INFO, "before crash %d", i);
	volatile int *volatile np = NULL;
	check_log_crash_here(np);
	return 2;
}

START_TEST(test_crash)
{
	char path[PATH_MAX];
	make_tmpdir();
	snprintf(path, sizeof path, "%s/crash.log", tmpdir);
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* No core dump from the child. */
		signal(SIGSEGV, SIG_DFL);
		_exit(child_crash(path));
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	/* Killed by SIGSEGV; under AddressSanitizer, whose own SIGSEGV
	 * handler runs after ours (re-raised), a non-zero exit. */
	ck_assert_msg((WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) || (WIFEXITED(st) && WEXITSTATUS(st) != 0),
		      "child status %#x", st);
	struct decoded d = { 0 };
	decode_into(path, &d);
	ck_assert_int_eq(d.status, 0);
	ck_assert_int_eq((int)d.n, 1000);
	for (int i = 0; i < 1000; i++) {
		char want[64];
		snprintf(want, sizeof want, "before crash %d", i);
		ck_assert_str_eq(d.recs[i].msg, want);
	}
	ck_assert_int_eq(d.crashes, 1);
	ck_assert_int_eq(d.crash_sig, SIGSEGV);
	ck_assert_uint_eq(d.minor, LLT_LOGF_MINOR);
	ck_assert_uint_gt(d.nmods, 1);   /* the program and at least libllt, libc */
#ifdef HAVE_LIBUNWIND
	/* Raw addresses, named offline from the module map and the ELF
	 * symbol tables of the files. */
	ck_assert_int_gt(d.frames_in_module, 2);
	ck_assert_msg(strstr(d.crash_frames, "check_log_crash_here") != NULL, "backtrace: %s", d.crash_frames);
	ck_assert_msg(strstr(d.crash_frames, "child_crash") != NULL, "backtrace: %s", d.crash_frames);
#endif
	decoded_free(&d);
	rm_tmpdir();
}
END_TEST

START_TEST(test_sigkill)
{
	char path[PATH_MAX];
	make_tmpdir();
	snprintf(path, sizeof path, "%s/kill.log", tmpdir);
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct llt_log_config c;
		struct llt_log *lg;
		llt_log_config_init(&c);
		c.path = path;
		c.flush_interval_ns = 100000;
		c.flags = LLT_LOG_BLOCK;
		if (llt_log_open(&c, &lg) != 0)
			_exit(1);
		for (uint64_t i = 0;; i++)
			LLT_LOG(lg, LLT_INFO, "kill test %" PRIu64 " %s", i, "payload");
	}
	struct stat sb;
	for (int i = 0; i < 2000; i++) {
		if (stat(path, &sb) == 0 && sb.st_size > (1 << 20))
			break;
		usleep(2000);
	}
	kill(pid, SIGKILL);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	struct decoded d = { 0 };
	decode_into(path, &d);
	/* Clean or cut inside the last record; never corrupt. */
	ck_assert_msg(d.status == 0 || d.status == 3, "status %d", d.status);
	ck_assert_uint_gt(d.n, 1000);
	for (size_t i = 0; i < d.n; i++) {
		uint64_t v;
		ck_assert_int_eq(sscanf(d.recs[i].msg, "kill test %" SCNu64, &v), 1);
		ck_assert_uint_eq(v, i);
	}
	decoded_free(&d);
	rm_tmpdir();
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_long_strings);
	tcase_add_test(tc, test_fixed_vs_snprintf);
	tcase_add_test(tc, test_fast_roundtrip);
	tcase_add_test(tc, test_rate_and_level);
	tcase_add_test(tc, test_text_sink);
	tcase_add_test(tc, test_write_errors);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_rotation);
	suite_add_tcase(s, tc);
	TCase *tt = tcase_create("threads");
	tcase_set_timeout(tt, 120);
	tcase_add_test(tt, test_threads_block);
	tcase_add_test(tt, test_threads_drop);
	tcase_add_test(tt, test_thread_reclaim);
	tcase_add_test(tt, test_preallocate);
	tcase_add_test(tt, test_flush_while_logging);
	suite_add_tcase(s, tt);
	TCase *tp = tcase_create("process");
	tcase_set_timeout(tp, 120);
	tcase_add_test(tp, test_crash);
	tcase_add_test(tp, test_sigkill);
	suite_add_tcase(s, tp);
	return s;
}

/* `check_log --write PATH N [ROTATE_BYTES]`: writes N messages (levels
 * cycling INFO, WARN, ERROR; two threads) for tests/check_logcat.sh.
 * Environment: CHECK_LOG_SLOW=1 paces the writer (and waits 0.5 s after
 * opening the file); CHECK_LOG_KEEP=K keeps K rotated files (default 5);
 * CHECK_LOG_STOP_AT=I (I even) flushes after message I and stops the
 * process (SIGSTOP) until it is continued. */
static struct llt_log *w_lg;
static long w_n;
static long w_stop_at = -1;
static void *w_thread(void *arg)
{
	int t = (int)(intptr_t)arg;
	for (long i = t; i < w_n; i += 2) {
		int lv = (int)(i % 3);
		if (lv == 0)
			LLT_LOG(w_lg, LLT_INFO, "msg %ld sym=%s px=%.2f", i, i % 2 ? "MSFT" : "AAPL", i * 0.5);
		else if (lv == 1)
			LLT_LOG(w_lg, LLT_WARN, "msg %ld sym=%s px=%.2f", i, i % 2 ? "MSFT" : "AAPL", i * 0.5);
		else
			LLT_LOG(w_lg, LLT_ERROR, "msg %ld sym=%s px=%.2f", i, i % 2 ? "MSFT" : "AAPL", i * 0.5);
		if (t == 0 && i % 4000 == 0)
			usleep(20000);
		if (getenv("CHECK_LOG_SLOW") && i % 200 < 2)
			usleep(2000);
		if (t == 0 && i == w_stop_at) {
			/* Everything so far on disk, then stop the whole process
			 * until the test continues it. */
			llt_log_flush(w_lg);
			raise(SIGSTOP);
		}
	}
	return NULL;
}

static int write_mode(int argc, char **argv)
{
	struct llt_log_config c;
	pthread_t th[2];
	llt_log_config_init(&c);
	c.path = argv[2];
	c.flags = LLT_LOG_BLOCK;
	w_n = atol(argv[3]);
	if (argc > 4)
		c.rotate_bytes = (uint64_t)atoll(argv[4]);
	if (getenv("CHECK_LOG_STOP_AT"))
		w_stop_at = atol(getenv("CHECK_LOG_STOP_AT"));
	if (getenv("CHECK_LOG_KEEP"))
		c.rotate_keep = (unsigned)atoi(getenv("CHECK_LOG_KEEP"));
	if (llt_log_open(&c, &w_lg) != 0)
		return 1;
	if (getenv("CHECK_LOG_SLOW"))
		usleep(500000);   /* a follower finds the first file before it rotates */
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, w_thread, (void *)(intptr_t)i);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	return llt_log_close(w_lg) != 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "--write") == 0)
		return write_mode(argc, argv);
	return llt_test_run(log_suite());
}
