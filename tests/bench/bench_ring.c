/* bench_ring: libllt's SPSC ring against its peers, in one run.
 *
 * Throughput (M items/s of 8-byte items; producer pinned to CPU 0,
 * consumer to CPU 1) at capacities 1024 and 65536, and the round trip
 * (two rings and an echo thread; p50/p99/p99.9/max in ns, including the
 * ~20 ns of the ordered timer) for:
 *   libllt ring (llt_ring_push/pop), its u64 fast path, its bulk form
 *   (32 per call);
 *   the slot-polling reference: a FastForward ring (Giacomoni et al.,
 *   PPoPP 2008; 0 means empty, no shared indices), the floor to reach;
 *   a double buffer handing over capacity/2 items at a time: what the two
 *   cores can move when almost nothing is synchronised, the headroom
 *   above every ring (throughput only);
 *   a minimal Lamport ring with cached indices (rigtorp's design), as the
 *   measured alternative; libllt's own earlier designs ("alt:" rows:
 *   freeing every slot, always lazy, exact capacity);
 *   ck_ring SPSC, boost::lockfree::spsc_queue, moodycamel RWQ where their
 *   headers are installed (bench_ring_peers.cc).
 * The atomic floor (two padded atomics bounced between the cores) brackets
 * every repetition and says where the host placed the vCPUs (near ~140 ns,
 * far ~550 ns).  Repetitions are interleaved round-robin; the first is
 * thrown away; medians and min-max are printed.  Every run checks the
 * count, sum and order of what it received; a broken run posts no number.
 *
 * Environment: LLT_BENCH_ITEMS (items per throughput run, default 1e7),
 * LLT_BENCH_REPS (default 7, the first discarded), LLT_BENCH_RT (round
 * trips per latency run, default 1e5), LLT_BENCH_ONLY (comma-separated
 * name prefixes, default all). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/ring.h>

#include "bench_ring.h"
#include "bench_pct.h"

#if defined(__has_include)
#  if __has_include(<ck_ring.h>)
#    include <ck_ring.h>
#    define HAVE_CK 1
#  endif
#endif

uint64_t bench_tick_start(void) { return llt_clock_start(); }
uint64_t bench_tick_end(void) { return llt_clock_end(); }

/* ------------------------------------------------------------ loops */

#define DEFINE_LOOPS(NAME, TYPE, PUSH, POP)                                    \
static void NAME##_produce(void *q_, uint64_t n)                               \
{                                                                              \
	TYPE *q = (TYPE *)q_;                                                  \
	for (uint64_t i = 1; i <= n; i++)                                      \
		while (!PUSH(q, i))                                            \
			;                                                      \
}                                                                              \
static void NAME##_consume(void *q_, uint64_t n, uint64_t *sum, uint64_t *dis) \
{                                                                              \
	TYPE *q = (TYPE *)q_;                                                  \
	uint64_t s = 0, d = 0, v;                                              \
	for (uint64_t i = 1; i <= n; i++) {                                    \
		while (!POP(q, &v))                                            \
			;                                                      \
		s += v;                                                        \
		d += (v != i);                                                 \
	}                                                                      \
	*sum = s;                                                              \
	*dis = d;                                                              \
}                                                                              \
static void NAME##_ping(void *a_, void *b_, uint64_t n, uint64_t *lat)         \
{                                                                              \
	TYPE *a = (TYPE *)a_, *b = (TYPE *)b_;                                 \
	uint64_t v;                                                            \
	for (uint64_t i = 1; i <= n; i++) {                                    \
		uint64_t t = llt_clock_start();                                \
		while (!PUSH(a, i))                                            \
			;                                                      \
		while (!POP(b, &v))                                            \
			;                                                      \
		lat[i - 1] = llt_clock_end() - t;                              \
		if (v != i)                                                    \
			lat[i - 1] = UINT64_MAX;                               \
	}                                                                      \
}                                                                              \
static void NAME##_echo(void *a_, void *b_, uint64_t n)                        \
{                                                                              \
	TYPE *a = (TYPE *)a_, *b = (TYPE *)b_;                                 \
	uint64_t v;                                                            \
	for (uint64_t i = 1; i <= n; i++) {                                    \
		while (!POP(a, &v))                                            \
			;                                                      \
		while (!PUSH(b, v))                                            \
			;                                                      \
	}                                                                      \
}

/* Zeroed memory on its own padded lines, freed with free(): every queue
 * below lays out its sides on whole lines. */
static void *zalloc_padded(size_t size)
{
	void *p = NULL;
	if (posix_memalign(&p, LLT_PAD_SIZE, size))
		return NULL;
	return memset(p, 0, size);
}

/* ------------------------------------------------------------ libllt */

static void *llt_create8(size_t cap)
{
	struct llt_ring *r;
	return llt_ring_create(cap, 8, &r) == 0 ? r : NULL;
}
static void llt_destroy8(void *q) { llt_ring_free((struct llt_ring *)q); }

#define LLT_PUSH(q, v) ({ uint64_t v_ = (v); llt_ring_push((q), &v_); })
#define LLT_POP(q, p) llt_ring_pop((q), (p))
DEFINE_LOOPS(lltg, struct llt_ring, LLT_PUSH, LLT_POP)
DEFINE_LOOPS(lltu, struct llt_ring, llt_ring_push_u64, llt_ring_pop_u64)

/* Measured alternative (the design before this one): the consumer frees
 * every slot in the group's free word as it reads it, so the producer
 * never needs the consumer's position, but the consumer writes the line
 * the producer is filling once per element instead of once per group. */
static inline bool eager_pop_u64(struct llt_ring *r, uint64_t *v)
{
	struct llt_ring_impl_side *s = &r->cons;
	const uint64_t c = s->pos;
	unsigned char *g = llt_ring_impl_group(r, s->off);
	uint32_t *hdr = (uint32_t *)(void *)g;
	if (llt_ring_impl_ready(hdr, c) <= 0)
		return false;
	memcpy(v, g + 8 + (size_t)s->idx * 8, 8);
	/* Release: pairs with the producer's acquire load of free. */
	__atomic_store_n(hdr + 1, (uint32_t)(c + 1), __ATOMIC_RELEASE);
	llt_ring_impl_cons_done(r, hdr, c + 1, 1);
	return true;
}
DEFINE_LOOPS(lltl, struct llt_ring, llt_ring_push_u64, eager_pop_u64)

/* Measured alternative: always lazy, even when the pop empties the ring
 * (libllt frees at once then; see llt_ring_impl_caught_up()). */
static inline bool lazy_pop_u64(struct llt_ring *r, uint64_t *v)
{
	struct llt_ring_impl_side *s = &r->cons;
	const uint64_t c = s->pos;
	unsigned char *g = llt_ring_impl_group(r, s->off);
	uint32_t *hdr = (uint32_t *)(void *)g;
	if (llt_ring_impl_ready(hdr, c) <= 0)
		return false;
	memcpy(v, g + 8 + (size_t)s->idx * 8, 8);
	llt_ring_impl_cons_done(r, hdr, c + 1, 1);
	return true;
}
DEFINE_LOOPS(lltz, struct llt_ring, llt_ring_push_u64, lazy_pop_u64)

/* Measured alternative (the design before this one): exact capacity.  A
 * producer whose group the consumer has not left yet falls back on the
 * consumer's position, which the consumer releases after every pop; when
 * the ring runs full that read, and the consumer's line, move per item. */
static inline bool exact_push_u64(struct llt_ring *r, uint64_t v)
{
	struct llt_ring_impl_side *s = &r->prod;
	const uint64_t p = s->pos;
	const uint32_t idx = s->idx, per = s->per;
	unsigned char *g = llt_ring_impl_group(r, s->off);
	uint32_t *hdr = (uint32_t *)(void *)g;
	const uint64_t lap = p - s->cap;
	if ((int32_t)(__atomic_load_n(hdr + 1, __ATOMIC_ACQUIRE) - (uint32_t)lap) <= 0 &&
	    (int64_t)(__atomic_load_n(&r->cons.pos, __ATOMIC_ACQUIRE) - lap) <= 0)
		return false;
	memcpy(g + 8 + (size_t)idx * 8, &v, 8);
	__atomic_store_n(hdr, (uint32_t)(p + 1), __ATOMIC_RELEASE);
	llt_ring_impl_step_at(s, idx, per, 1);
	__atomic_store_n(&s->pos, p + 1, __ATOMIC_RELAXED);
	return true;
}
static inline bool exact_pop_u64(struct llt_ring *r, uint64_t *v)
{
	struct llt_ring_impl_side *s = &r->cons;
	const uint64_t c = s->pos;
	const uint32_t idx = s->idx, per = s->per;
	unsigned char *g = llt_ring_impl_group(r, s->off);
	uint32_t *hdr = (uint32_t *)(void *)g;
	int32_t ready = llt_ring_impl_ready(hdr, c);
	if (ready <= 0)
		return false;
	memcpy(v, g + 8 + (size_t)idx * 8, 8);
	llt_ring_impl_caught_up(hdr, c + 1, ready);
	if (llt_ring_impl_step_at(s, idx, per, 1))
		__atomic_store_n(hdr + 1, (uint32_t)(c + 1), __ATOMIC_RELEASE);
	/* Release: the producer's fallback acquires it. */
	__atomic_store_n(&s->pos, c + 1, __ATOMIC_RELEASE);
	return true;
}
DEFINE_LOOPS(llte, struct llt_ring, exact_push_u64, exact_pop_u64)

static void lltb_produce(void *q_, uint64_t n)
{
	struct llt_ring *q = (struct llt_ring *)q_;
	uint64_t buf[32], i = 1;
	while (i <= n) {
		size_t want = n - i + 1 < 32 ? (size_t)(n - i + 1) : 32, done = 0;
		for (size_t k = 0; k < want; k++)
			buf[k] = i + k;
		while (done < want)
			done += llt_ring_push_bulk(q, buf + done, want - done);
		i += want;
	}
}
static void lltb_consume(void *q_, uint64_t n, uint64_t *sum, uint64_t *dis)
{
	struct llt_ring *q = (struct llt_ring *)q_;
	uint64_t buf[32], s = 0, d = 0, i = 1;
	while (i <= n) {
		size_t got = llt_ring_pop_bulk(q, buf, n - i + 1 < 32 ? (size_t)(n - i + 1) : 32);
		for (size_t k = 0; k < got; k++, i++) {
			s += buf[k];
			d += (buf[k] != i);
		}
	}
	*sum = s;
	*dis = d;
}

/* ------------------------------------- slot-polling reference (FastForward) */

/* Giacomoni, Moseley, Vachharajani, "FastForward for efficient pipeline
 * parallelism", PPoPP 2008: the slot is the flag (0 = empty); each side
 * keeps its own index on its own line and never reads the other's. */
struct ff {
	LLT_PADDED uint64_t head;  /* producer only */
	uint64_t pmask;
	LLT_PADDED uint64_t tail;  /* consumer only */
	uint64_t cmask;
	LLT_PADDED uint64_t buf[];
};
static void *ff_create(size_t cap)
{
	struct ff *q = (struct ff *)zalloc_padded(sizeof(*q) + cap * 8);
	if (!q)
		return NULL;
	q->pmask = q->cmask = cap - 1;
	return q;
}
static inline bool ff_push(struct ff *q, uint64_t v)
{
	uint64_t *s = &q->buf[q->head & q->pmask];
	if (__atomic_load_n(s, __ATOMIC_ACQUIRE) != 0)  /* pairs with ff_pop's release */
		return false;
	__atomic_store_n(s, v, __ATOMIC_RELEASE);        /* pairs with ff_pop's acquire */
	q->head++;
	return true;
}
static inline bool ff_pop(struct ff *q, uint64_t *v)
{
	uint64_t *s = &q->buf[q->tail & q->cmask];
	uint64_t x = __atomic_load_n(s, __ATOMIC_ACQUIRE); /* pairs with ff_push's release */
	if (x == 0)
		return false;
	__atomic_store_n(s, 0, __ATOMIC_RELEASE);          /* pairs with ff_push's acquire */
	q->tail++;
	*v = x;
	return true;
}
DEFINE_LOOPS(ff, struct ff, ff_push, ff_pop)

/* ------------------------------ reference: double buffer of capacity/2 */

/* How fast the two cores move 8-byte items when almost nothing is
 * synchronised, in the same run as the rings: the capacity split in two
 * halves, each with its own flag on its own line.  The producer fills a
 * whole half, raises its flag (release), and goes on to the other half;
 * the consumer waits for the flag (acquire), reads the half and lowers the
 * flag.  One hand-off per capacity/2 items, every line of the data written
 * once and read once a lap: the data movement any ring of that capacity
 * must do, with almost none of the synchronisation, no word of a line kept
 * for bookkeeping, and loops that compile to vector moves, which no
 * single-item operation can use.  Headroom, not a goal. */
struct dbuf {
	LLT_PADDED uint64_t flag[2][LLT_PAD_SIZE / 8];  /* [h][0]: half h is full */
	LLT_PADDED uint64_t half;                        /* items per half */
	LLT_PADDED uint64_t buf[];
};
static void *dbuf_create(size_t cap)
{
	struct dbuf *q = (struct dbuf *)zalloc_padded(sizeof(*q) + cap * 8);
	if (!q)
		return NULL;
	q->half = cap / 2;
	return q;
}
/* Items past n fill the last half; the consumer ignores them. */
static void dbuf_produce(void *q_, uint64_t n)
{
	struct dbuf *q = (struct dbuf *)q_;
	const uint64_t half = q->half;
	for (uint64_t i = 1, h = 0; i <= n; i += half, h ^= 1) {
		uint64_t *b = &q->buf[h * half];
		while (__atomic_load_n(&q->flag[h][0], __ATOMIC_ACQUIRE)) /* pairs with dbuf_consume */
			llt_cpu_relax();
		for (uint64_t k = 0; k < half; k++)
			b[k] = i + k;
		__atomic_store_n(&q->flag[h][0], 1, __ATOMIC_RELEASE);   /* pairs with dbuf_consume */
	}
}
static void dbuf_consume(void *q_, uint64_t n, uint64_t *sum, uint64_t *dis)
{
	struct dbuf *q = (struct dbuf *)q_;
	const uint64_t half = q->half;
	uint64_t s = 0, d = 0;
	for (uint64_t i = 1, h = 0; i <= n; i += half, h ^= 1) {
		const uint64_t *b = &q->buf[h * half];
		const uint64_t m = n - i + 1 < half ? n - i + 1 : half;
		while (!__atomic_load_n(&q->flag[h][0], __ATOMIC_ACQUIRE)) /* pairs with dbuf_produce */
			llt_cpu_relax();
		for (uint64_t k = 0; k < m; k++) {
			s += b[k];
			d += (b[k] != i + k);
		}
		__atomic_store_n(&q->flag[h][0], 0, __ATOMIC_RELEASE);    /* pairs with dbuf_produce */
	}
	*sum = s;
	*dis = d;
}

/* -------------------------- Lamport ring with cached indices (rigtorp-style) */

struct ci {
	LLT_PADDED uint64_t head;      /* written by the producer */
	uint64_t tail_cache, pmask;
	LLT_PADDED uint64_t tail;      /* written by the consumer */
	uint64_t head_cache, cmask;
	LLT_PADDED uint64_t buf[];
};
static void *ci_create(size_t cap)
{
	struct ci *q = (struct ci *)zalloc_padded(sizeof(*q) + cap * 8);
	if (!q)
		return NULL;
	q->pmask = q->cmask = cap - 1;
	return q;
}
static inline bool ci_push(struct ci *q, uint64_t v)
{
	uint64_t h = q->head;
	if (h - q->tail_cache > q->pmask) {
		q->tail_cache = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE); /* pairs with ci_pop */
		if (h - q->tail_cache > q->pmask)
			return false;
	}
	q->buf[h & q->pmask] = v;
	__atomic_store_n(&q->head, h + 1, __ATOMIC_RELEASE);               /* pairs with ci_pop */
	return true;
}
static inline bool ci_pop(struct ci *q, uint64_t *v)
{
	uint64_t t = q->tail;
	if (t == q->head_cache) {
		q->head_cache = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE); /* pairs with ci_push */
		if (t == q->head_cache)
			return false;
	}
	*v = q->buf[t & q->cmask];
	__atomic_store_n(&q->tail, t + 1, __ATOMIC_RELEASE);               /* pairs with ci_push */
	return true;
}
DEFINE_LOOPS(ci, struct ci, ci_push, ci_pop)

/* ------------------------------------------------------------ ck_ring */

#ifdef HAVE_CK
struct ckq {
	ck_ring_t ring;
	LLT_PADDED ck_ring_buffer_t buf[];
};
static void *ck_create(size_t cap)
{
	struct ckq *q = (struct ckq *)zalloc_padded(sizeof(*q) + cap * sizeof(ck_ring_buffer_t));
	if (!q)
		return NULL;
	ck_ring_init(&q->ring, (unsigned)cap);
	return q;
}
static inline bool ck_push(struct ckq *q, uint64_t v)
{
	return ck_ring_enqueue_spsc(&q->ring, q->buf, (void *)(uintptr_t)v);
}
static inline bool ck_pop(struct ckq *q, uint64_t *v)
{
	void *p;
	if (!ck_ring_dequeue_spsc(&q->ring, q->buf, &p))
		return false;
	*v = (uint64_t)(uintptr_t)p;
	return true;
}
DEFINE_LOOPS(ck, struct ckq, ck_push, ck_pop)
#endif

/* ------------------------------------------------ the atomic floor */

struct floor {
	LLT_PADDED uint64_t a;
	LLT_PADDED uint64_t b;
};
static void *floor_create(size_t cap)
{
	(void)cap;
	return zalloc_padded(sizeof(struct floor));
}
static void floor_ping(void *a, void *b, uint64_t n, uint64_t *lat)
{
	struct floor *f = (struct floor *)a;
	(void)b;
	for (uint64_t i = 1; i <= n; i++) {
		uint64_t t = llt_clock_start();
		__atomic_store_n(&f->a, i, __ATOMIC_RELEASE);       /* pairs with floor_echo */
		while (__atomic_load_n(&f->b, __ATOMIC_ACQUIRE) != i) /* pairs with floor_echo */
			;
		lat[i - 1] = llt_clock_end() - t;
	}
}
static void floor_echo(void *a, void *b, uint64_t n)
{
	struct floor *f = (struct floor *)a;
	(void)b;
	for (uint64_t i = 1; i <= n; i++) {
		while (__atomic_load_n(&f->a, __ATOMIC_ACQUIRE) != i) /* pairs with floor_ping */
			;
		__atomic_store_n(&f->b, i, __ATOMIC_RELEASE);       /* pairs with floor_ping */
	}
}

/* ------------------------------------------------------------ harness */

enum { IMPL_MAX = 16 };
static struct bench_impl impls[IMPL_MAX];
static int nimpl;
static int idx_llt, idx_lltu, idx_lltb, idx_ff, idx_dbuf = -1;

static const struct bench_impl floor_impl = {
	"atomic floor (2 padded atomics)", NULL, 0, floor_create, free, NULL, NULL,
	floor_ping, floor_echo};

/* LLT_BENCH_ONLY: comma-separated name prefixes to run (default all). */
static bool wanted(const char *name)
{
	const char *only = getenv("LLT_BENCH_ONLY");
	if (!only || !*only)
		return true;
	for (const char *p = only; *p;) {
		size_t len = strcspn(p, ",");
		if (len && strncmp(name, p, len) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static void add(struct bench_impl im)
{
	if (!wanted(im.name) && !im.note)
		im.note = "not in LLT_BENCH_ONLY";
	impls[nimpl++] = im;
}

static void setup_impls(void)
{
	idx_llt = nimpl;
	add((struct bench_impl){"libllt ring", NULL, 0, llt_create8, llt_destroy8,
				lltg_produce, lltg_consume, lltg_ping, lltg_echo});
	idx_lltu = nimpl;
	add((struct bench_impl){"libllt ring u64", NULL, 0, llt_create8, llt_destroy8,
				lltu_produce, lltu_consume, lltu_ping, lltu_echo});
	idx_lltb = nimpl;
	add((struct bench_impl){"libllt ring bulk32", NULL, 32, llt_create8, llt_destroy8,
				lltb_produce, lltb_consume, NULL, NULL});
	add((struct bench_impl){"alt: libllt per-element free", NULL, 0, llt_create8, llt_destroy8,
				lltl_produce, lltl_consume, lltl_ping, lltl_echo});
	add((struct bench_impl){"alt: libllt always-lazy free", NULL, 0, llt_create8, llt_destroy8,
				lltz_produce, lltz_consume, lltz_ping, lltz_echo});
	add((struct bench_impl){"alt: libllt exact capacity", NULL, 0, llt_create8, llt_destroy8,
				llte_produce, llte_consume, llte_ping, llte_echo});
	idx_ff = nimpl;
	add((struct bench_impl){"ref: FastForward slot-polling", NULL, 0, ff_create, free,
				ff_produce, ff_consume, ff_ping, ff_echo});
	idx_dbuf = nimpl;
	add((struct bench_impl){"ref: double buffer (cap/2)", NULL, 0, dbuf_create, free,
				dbuf_produce, dbuf_consume, NULL, NULL});
	add((struct bench_impl){"alt: Lamport+cached idx", NULL, 0, ci_create, free,
				ci_produce, ci_consume, ci_ping, ci_echo});
#ifdef HAVE_CK
	add((struct bench_impl){"ck_ring spsc", NULL, 0, ck_create, free,
				ck_produce, ck_consume, ck_ping, ck_echo});
#else
	add((struct bench_impl){"ck_ring spsc", "ck_ring.h not found (apt-get install libck-dev)",
				0, NULL, NULL, NULL, NULL, NULL, NULL});
#endif
	for (const struct bench_impl *p = bench_cxx_impls; p->name; p++)
		add(*p);
}

static bool is_peer(int i)
{
	return strncmp(impls[i].name, "libllt", 6) != 0 && strncmp(impls[i].name, "ref:", 4) != 0 &&
	       strncmp(impls[i].name, "alt:", 4) != 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct side {
	const struct bench_impl *im;
	void *q, *q2;
	uint64_t n;
	int cpu;
	int role;                 /* 0 producer / pinger, 1 consumer / echo */
	int *ready, *go;
	double t;
	uint64_t sum, dis;
	uint64_t *lat;
	long csw;                 /* involuntary context switches during the run */
};

static long nivcsw(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nivcsw : 0;
}

static void *side_main(void *arg)
{
	struct side *s = (struct side *)arg;
	llt_cpu_pin(s->cpu);
	__atomic_fetch_add(s->ready, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(s->go, __ATOMIC_ACQUIRE))
		;
	s->csw = nivcsw();
	if (s->lat == NULL) {
		if (s->role == 0) {
			s->t = now_s();
			s->im->produce(s->q, s->n);
		} else {
			s->im->consume(s->q, s->n, &s->sum, &s->dis);
			s->t = now_s();
		}
	} else if (s->role == 0) {
		s->im->ping(s->q, s->q2, s->n, s->lat);
	} else {
		s->im->echo(s->q, s->q2, s->n);
	}
	s->csw = nivcsw() - s->csw;
	return NULL;
}

static void run_pair(struct side *a, struct side *b)
{
	int ready = 0, go = 0;
	pthread_t ta, tb;
	a->ready = b->ready = &ready;
	a->go = b->go = &go;
	a->cpu = 0, a->role = 0;
	b->cpu = 1, b->role = 1;
	pthread_create(&ta, NULL, side_main, a);
	pthread_create(&tb, NULL, side_main, b);
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < 2)
		;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

struct pct { double p50, p99, p999, max; bool ok; };

/* Round trips of one implementation; percentiles in ns. */
static long disturbed_runs, retried_runs;

/* A run during which either thread was preempted (another process took its
 * CPU) measures the machine, not the ring: it is repeated, up to tries
 * times, and counted. */
static struct pct roundtrip_once(const struct bench_impl *im, size_t cap, uint64_t n,
				 uint64_t *lat, long *csw);

static struct pct roundtrip(const struct bench_impl *im, size_t cap, uint64_t n, uint64_t *lat)
{
	struct pct r;
	long csw = 0;
	for (int t = 0; t < 5; t++) {
		r = roundtrip_once(im, cap, n, lat, &csw);
		if (csw == 0)
			return r;
		retried_runs++;
	}
	disturbed_runs++;
	return r;
}

static struct pct roundtrip_once(const struct bench_impl *im, size_t cap, uint64_t n,
				 uint64_t *lat, long *csw)
{
	struct pct r = {0, 0, 0, 0, false};
	void *qa = im->create(cap), *qb = im->create(cap);
	struct side a = {0}, b = {0};
	if (qa && qb) {
		a.im = b.im = im;
		a.q = b.q = qa;
		a.q2 = b.q2 = qb;
		a.n = b.n = n;
		a.lat = lat;
		b.lat = lat;  /* non-NULL selects the round-trip mode */
		run_pair(&a, &b);
		*csw = a.csw + b.csw;
		r.ok = true;
		for (uint64_t i = 0; i < n; i++)
			r.ok &= lat[i] != UINT64_MAX;
		struct bench_pct p = bench_pct_ticks(lat, n);
		r.p50 = p.p50;
		r.p99 = p.p99;
		r.p999 = p.p999;
		r.max = p.max;
	}
	if (qa)
		im->destroy(qa);
	if (qb)
		im->destroy(qb);
	return r;
}

/* The bracket: p50 of the two-atomic bounce, ns. */
static double floor_probe(uint64_t *lat)
{
	return roundtrip(&floor_impl, 0, 4000, lat).p50;
}

static const char *placement(double f) { return f < 300 ? "near" : "far"; }

static double throughput_once(const struct bench_impl *im, size_t cap, uint64_t n, long *csw);

/* Million items per second, or -1 if what arrived is wrong. */
static double throughput(const struct bench_impl *im, size_t cap, uint64_t n)
{
	double v = -1;
	long csw = 0;
	for (int t = 0; t < 5; t++) {
		v = throughput_once(im, cap, n, &csw);
		if (csw == 0 || v < 0)
			return v;
		retried_runs++;
	}
	disturbed_runs++;
	return v;
}

static double throughput_once(const struct bench_impl *im, size_t cap, uint64_t n, long *csw)
{
	void *q = im->create(cap);
	struct side a = {0}, b = {0};
	double mps = -1;
	if (!q)
		return -1;
	a.im = b.im = im;
	a.q = b.q = q;
	a.n = b.n = n;
	run_pair(&a, &b);
	*csw = a.csw + b.csw;
	/* 1 + ... + n, mod 2^64 */
	uint64_t want = (n % 2 == 0) ? (n / 2) * (n + 1) : n * ((n + 1) / 2);
	if (b.sum == want && b.dis == 0)
		mps = n / (b.t - a.t) / 1e6;
	else
		fprintf(stderr, "%s: WRONG DATA (sum %llu want %llu, %llu out of order)\n", im->name,
			(unsigned long long)b.sum, (unsigned long long)want, (unsigned long long)b.dis);
	im->destroy(q);
	return mps;
}

/* Median over the kept reps of a[r] / b[r]: the two runs were adjacent in
 * time, so the ratio cancels most of the drift of this shared machine. */
static double paired(const double *a, const double *b, int reps)
{
	double q[64];
	int k = 0;
	for (int r = 1; r < reps; r++)
		if (a[r] > 0 && b[r] > 0)
			q[k++] = a[r] / b[r];
	if (!k)
		return 0;
	qsort(q, k, sizeof(double), cmp_d);
	return k % 2 ? q[k / 2] : (q[k / 2 - 1] + q[k / 2]) / 2;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

struct stat { double med, lo, hi; int n, near, far; };

static struct stat summarize(const double *v, const double *fl, int reps)
{
	struct stat s = {-1, 0, 0, 0, 0, 0};
	double tmp[64];
	int k = 0;
	for (int r = 1; r < reps; r++) {   /* the first repetition is warm-up */
		if (v[r] < 0)
			continue;
		tmp[k++] = v[r];
		if (fl[r] < 300)
			s.near++;
		else
			s.far++;
	}
	if (!k)
		return s;
	qsort(tmp, k, sizeof(double), cmp_d);
	s.med = k % 2 ? tmp[k / 2] : (tmp[k / 2 - 1] + tmp[k / 2]) / 2;
	s.lo = tmp[0];
	s.hi = tmp[k - 1];
	s.n = k;
	return s;
}

int main(void)
{
	uint64_t items = env_u64("LLT_BENCH_ITEMS", 10000000);
	int reps = (int)env_u64("LLT_BENCH_REPS", 7);
	uint64_t rt = env_u64("LLT_BENCH_RT", 100000);
	static const size_t caps[2] = {1024, 65536};
	uint64_t *lat;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (reps < 2)
		reps = 2;
	if (reps > 64)
		reps = 64;
	if (!llt_cpu_is_allowed(0) || !llt_cpu_is_allowed(1)) {
		fprintf(stderr, "bench_ring: needs CPUs 0 and 1\n");
		return 77;
	}
	lat = (uint64_t *)malloc((rt > 4000 ? rt : 4000) * sizeof(*lat));
	if (!lat)
		return 1;
	setup_impls();
	llt_clock_init(LLT_CLOCK_MODE_AUTO);

	{
		double la[3] = {0, 0, 0};
		FILE *f = fopen("/proc/loadavg", "r");
		if (f) {
			if (fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
				la[0] = -1;
			fclose(f);
		}
		printf("load average at start: %.2f %.2f %.2f (2 vCPUs; above ~0.5 other work disturbs the figures)\n",
		       la[0], la[1], la[2]);
	}
	printf("bench_ring: %llu items per throughput run, %d reps (first discarded), "
	       "%llu round trips per latency run\n",
	       (unsigned long long)items, reps, (unsigned long long)rt);
	for (int i = 0; i < nimpl; i++)
		if (impls[i].note && strcmp(impls[i].note, "not in LLT_BENCH_ONLY") != 0)
			printf("  skipped %s: %s\n", impls[i].name, impls[i].note);

	/* ---------------- throughput */
	static double thr[2][IMPL_MAX][64], thr_floor[2][IMPL_MAX][64];
	for (int c = 0; c < 2; c++)
		for (int r = 0; r < reps; r++)
			for (int i = 0; i < nimpl; i++) {
				if (i == 0)
					fprintf(stderr, "\rthroughput: capacity %zu, rep %d/%d ", caps[c],
						r + 1, reps);
				if (impls[i].note)
					continue;
				double f0 = floor_probe(lat);
				thr[c][i][r] = throughput(&impls[i], caps[c], items);
				double f1 = floor_probe(lat);
				thr_floor[c][i][r] = f0 > f1 ? f0 : f1;
			}

	fprintf(stderr, "\n");
	printf("\nThroughput, M 8-byte items/s (producer CPU 0, consumer CPU 1)\n");
	printf("%-32s %6s %9s %17s %5s  %-14s %s\n", "implementation", "cap", "median", "min-max",
	       "reps", "placement", "ratio");
	for (int c = 0; c < 2; c++) {
		struct stat st[IMPL_MAX];
		double best_peer = 0;
		int best = -1;
		const char *best_name = "-";
		for (int i = 0; i < nimpl; i++) {
			st[i] = summarize(thr[c][i], thr_floor[c][i], reps);
			if (!impls[i].note && is_peer(i) && impls[i].bulk == 0 && st[i].med > best_peer) {
				best = i;
				best_peer = st[i].med;
				best_name = impls[i].name;
			}
		}
		for (int i = 0; i < nimpl; i++) {
			char pl[32], ratio[96] = "";
			if (impls[i].note)
				continue;
			snprintf(pl, sizeof pl, "near %d far %d", st[i].near, st[i].far);
			if ((i == idx_llt || i == idx_lltu || i == idx_lltb) && best >= 0 &&
			    st[idx_ff].med > 0)
				snprintf(ratio, sizeof ratio, "%.2fx best peer, %.2fx ref (paired %.2fx, %.2fx)",
					 st[i].med / best_peer, st[i].med / st[idx_ff].med,
					 paired(thr[c][i], thr[c][best], reps),
					 paired(thr[c][i], thr[c][idx_ff], reps));
			else if ((i == idx_llt || i == idx_lltu || i == idx_lltb || i == idx_dbuf) &&
				 best >= 0)
				snprintf(ratio, sizeof ratio, "%.2fx best peer (paired %.2fx)",
					 st[i].med / best_peer, paired(thr[c][i], thr[c][best], reps));
			else if (i != idx_ff && !impls[i].note && !impls[idx_ff].note)
				snprintf(ratio, sizeof ratio, "(paired %.2fx ref)",
					 paired(thr[c][i], thr[c][idx_ff], reps));
			printf("%-32s %6zu %9.1f %8.1f-%-8.1f %5d  %-14s %s\n", impls[i].name, caps[c],
			       st[i].med, st[i].lo, st[i].hi, st[i].n, pl, ratio);
		}
		printf("%-32s %6zu best single-item peer: %s\n", "", caps[c], best_name);
	}

	/* ---------------- round trip */
	static struct pct pr[IMPL_MAX + 1][64];
	static double pr_floor[IMPL_MAX + 1][64];
	const int F = nimpl;   /* the floor's row */
	for (int r = 0; r < reps; r++) {
		fprintf(stderr, "\rround trip: rep %d/%d          ", r + 1, reps);
		for (int i = 0; i <= nimpl; i++) {
			const struct bench_impl *im = i == F ? &floor_impl : &impls[i];
			if (im->note || !im->ping)
				continue;
			double f0 = floor_probe(lat);
			pr[i][r] = roundtrip(im, 1024, rt, lat);
			pr_floor[i][r] = f0;
			if (!pr[i][r].ok)
				fprintf(stderr, "%s: WRONG ECHO\n", im->name);
		}
	}
	fprintf(stderr, "\n");
	printf("\nRound trip, ns (two rings of capacity 1024 and an echo thread; includes the ~20 ns timer)\n");
	printf("%-32s %8s %8s %8s %9s %8s  %-14s %s\n", "implementation", "p50", "p99", "p99.9",
	       "max", "p50 range", "placement", "ratio");
	double v[64], best_p50 = 1e300, floor_p999, floor_p50;
	struct stat s50[IMPL_MAX + 1] = {{0}}, s99[IMPL_MAX + 1] = {{0}}, s999[IMPL_MAX + 1] = {{0}};
	double mx[IMPL_MAX + 1];
	int bestl = -1;
	for (int i = 0; i <= nimpl; i++) {
		const struct bench_impl *im = i == F ? &floor_impl : &impls[i];
		mx[i] = 0;
		s50[i].med = -1;
		if (im->note || !im->ping)
			continue;
		for (int r = 0; r < reps; r++)
			v[r] = pr[i][r].ok ? pr[i][r].p50 : -1;
		s50[i] = summarize(v, pr_floor[i], reps);
		for (int r = 0; r < reps; r++)
			v[r] = pr[i][r].ok ? pr[i][r].p99 : -1;
		s99[i] = summarize(v, pr_floor[i], reps);
		for (int r = 0; r < reps; r++)
			v[r] = pr[i][r].ok ? pr[i][r].p999 : -1;
		s999[i] = summarize(v, pr_floor[i], reps);
		for (int r = 1; r < reps; r++)
			if (pr[i][r].ok && pr[i][r].max > mx[i])
				mx[i] = pr[i][r].max;
		if (i != F && is_peer(i) && s50[i].med > 0 && s50[i].med < best_p50) {
			best_p50 = s50[i].med;
			bestl = i;
		}
	}
	floor_p999 = s50[F].med < 0 ? 0 : s999[F].med;
	floor_p50 = s50[F].med;
	for (int i = 0; i <= nimpl; i++) {
		const struct bench_impl *im = i == F ? &floor_impl : &impls[i];
		char pl[32], ratio[128] = "", rng[32];
		if (im->note || !im->ping || s50[i].med < 0)
			continue;
		snprintf(pl, sizeof pl, "near %d far %d", s50[i].near, s50[i].far);
		snprintf(rng, sizeof rng, "%.0f-%.0f", s50[i].lo, s50[i].hi);
		if ((i == idx_llt || i == idx_lltu) && bestl >= 0) {
			double a[64], b[64];
			for (int r = 0; r < reps; r++) {
				a[r] = pr[i][r].ok ? pr[i][r].p50 : -1;
				b[r] = pr[bestl][r].ok ? pr[bestl][r].p50 : -1;
			}
			if (s50[idx_ff].med > 0)
				snprintf(ratio, sizeof ratio,
					 "p50 %.2fx best peer (paired %.2fx), %.2fx ref; p99.9 %.2fx floor",
					 s50[i].med / best_p50, paired(a, b, reps),
					 s50[i].med / s50[idx_ff].med, s999[i].med / floor_p999);
			else
				snprintf(ratio, sizeof ratio,
					 "p50 %.2fx best peer (paired %.2fx); p99.9 %.2fx floor",
					 s50[i].med / best_p50, paired(a, b, reps),
					 s999[i].med / floor_p999);
		}
		printf("%-32s %8.0f %8.0f %8.0f %9.0f %9s  %-14s %s\n", im->name, s50[i].med,
		       s99[i].med, s999[i].med, mx[i], rng, pl, ratio);
	}
	printf("(percentiles: median over reps; max: over all kept reps; floor p50 %.0f ns = %s)\n",
	       floor_p50, placement(floor_p50));
	/* The round-trip goal of the ring's issue, next to what the cores
	 * allow: no ring's round trip can beat the bare two-atomic bounce. */
	if (bestl >= 0 && floor_p50 > 0)
		printf("0.6x the best peer's p50 (%s) is %.0f ns: %s the floor's %.0f ns\n",
		       impls[bestl].name, 0.6 * best_p50,
		       0.6 * best_p50 < floor_p50 ? "below" : "not below", floor_p50);
	printf("runs repeated because a thread was preempted: %ld; still preempted after the retries: %ld\n",
	       retried_runs, disturbed_runs);
	free(lat);
	return 0;
}
