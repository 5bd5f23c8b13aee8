/* bench_objpool: llt/objpool against the process's malloc/free (glibc, or
 * jemalloc, mimalloc, tcmalloc through LD_PRELOAD: set LLT_BENCH_MALLOC to
 * its name).  64-byte objects; get+put pair cost in a LIFO pattern and
 * with 10k live objects replaced in random order; two threads passing
 * objects.  Amortised over bursts, 11 repetitions, first discarded. */
#include <stdbool.h>

#include <llt/objpool.h>

#include "bench_mem.h"

#define OBJ 64
#define BURST 100000
#define LIVE 10000
#define PCT_SAMPLES 200000
#define XFER 200000

static uint32_t *ridx;
static void *live[LIVE];
static struct llt_objpool *st_pool, *ts_pool;

/* The pools are reached through a local copy of the pointer (POOLS), as
 * bench_mem_peers reaches boost's. */
#define POOLS struct llt_objpool *const sp = st_pool, *const tp = ts_pool; (void)sp; (void)tp
/* The thread-safe pool through the calling thread's cache handle, taken
 * once per run (as a hot loop would) and held in a register. */
#define TC_POOLS struct llt_objpool_cache *const tc = llt_objpool_cache(ts_pool)
#define ST_GET() llt_objpool_get(sp)
#define ST_PUT(p) llt_objpool_put(sp, (p))
#define TS_GET() llt_objpool_get(tp)
#define TS_PUT(p) llt_objpool_put(tp, (p))
#define TC_GET() llt_objpool_cache_get(tc)
#define TC_PUT(p) llt_objpool_cache_put(tc, (p))
#define M_GET() malloc(OBJ)
#define M_PUT(p) free(p)

#define DEFINE_BENCH(name, SETUP, GET, PUT)                                     \
BM_LOOP static struct bm_result name##_lifo(void)                               \
{                                                                               \
	SETUP;                                                                  \
	double v[BM_REPS];                                                      \
	for (int r = 0; r < BM_REPS; r++) {                                     \
		uint64_t t0 = llt_clock_start();                                \
		for (int i = 0; i < BURST; i++) {                               \
			char *p = GET();                                        \
			p[0] = (char)i;                                         \
			BM_ESCAPE(p);                                           \
			PUT(p);                                                 \
			BM_CLOBBER();                                           \
		}                                                               \
		v[r] = bm_ns(t0, llt_clock_end()) / BURST;                      \
	}                                                                       \
	return bm_summarise(v + 1, BM_KEEP);                                    \
}                                                                               \
BM_LOOP static struct bm_result name##_random(void)                             \
{                                                                               \
	SETUP;                                                                  \
	double v[BM_REPS];                                                      \
	for (int k = 0; k < LIVE; k++)                                          \
		live[k] = GET();                                                \
	for (int r = 0; r < BM_REPS; r++) {                                     \
		uint64_t t0 = llt_clock_start();                                \
		for (int i = 0; i < BURST; i++) {                               \
			uint32_t k = ridx[i];                                   \
			PUT(live[k]);                                           \
			BM_CLOBBER();                                           \
			char *p = GET();                                        \
			p[0] = (char)i;                                         \
			BM_ESCAPE(p);                                           \
			live[k] = p;                                            \
		}                                                               \
		v[r] = bm_ns(t0, llt_clock_end()) / BURST;                      \
	}                                                                       \
	for (int k = 0; k < LIVE; k++)                                          \
		PUT(live[k]);                                                   \
	return bm_summarise(v + 1, BM_KEEP);                                    \
}                                                                               \
BM_LOOP static struct bm_pct name##_pct(void)                                   \
{                                                                               \
	SETUP;                                                                  \
	double *v = malloc(PCT_SAMPLES * sizeof *v);                            \
	for (int i = 0; i < PCT_SAMPLES; i++) {                                 \
		uint64_t t0 = llt_clock_start();                                \
		char *p = GET();                                                \
		p[0] = (char)i;                                                 \
		BM_ESCAPE(p);                                                   \
		PUT(p);                                                         \
		v[i] = bm_ns(t0, llt_clock_end());                              \
	}                                                                       \
	struct bm_pct q = bm_percentiles(v, PCT_SAMPLES);                       \
	free(v);                                                                \
	return q;                                                               \
}

DEFINE_BENCH(st, POOLS, ST_GET, ST_PUT)
DEFINE_BENCH(ts, POOLS, TS_GET, TS_PUT)
DEFINE_BENCH(tc, TC_POOLS, TC_GET, TC_PUT)
DEFINE_BENCH(mal, POOLS, M_GET, M_PUT)

/* ------------------------------------------------ two threads passing */

#define RING 1024
static struct {
	LLT_PADDED uint64_t head;       /* written by the consumer */
	LLT_PADDED uint64_t tail;       /* written by the producer */
	LLT_PADDED void *slot[RING];
} ring;
static int xfer_kind;                   /* 0 = llt thread-safe pool, 1 = malloc */
static uint64_t xfer_sum;

static void *consumer(void *arg)
{
	(void)arg;
	bm_pin(1);
	uint64_t head = 0, sum = 0;
	for (uint64_t n = 0; n < XFER; n++) {
		/* acquire: pairs with the producer's release store of tail. */
		for (unsigned spin = 0; __atomic_load_n(&ring.tail, __ATOMIC_ACQUIRE) == head; spin++)
			if (spin % 1024 == 1023)
				sched_yield();  /* the 2 vCPUs are shared */
		char *p = ring.slot[head % RING];
		sum += (unsigned char)p[1];
		if (xfer_kind == 0)
			llt_objpool_put(ts_pool, p);
		else
			free(p);
		/* release: pairs with the producer's acquire load of head. */
		__atomic_store_n(&ring.head, ++head, __ATOMIC_RELEASE);
	}
	xfer_sum = sum;
	return NULL;
}

static struct bm_result xfer(int kind)
{
	double v[BM_REPS];
	xfer_kind = kind;
	for (int r = 0; r < BM_REPS; r++) {
		ring.head = ring.tail = 0;
		pthread_t t;
		pthread_create(&t, NULL, consumer, NULL);
		uint64_t tail = 0, want = 0;
		uint64_t t0 = llt_clock_start();
		for (uint64_t n = 0; n < XFER; n++) {
			char *p = kind == 0 ? llt_objpool_get(ts_pool) : malloc(OBJ);
			if (!p)
				abort();
			p[1] = (char)n;
			want += (unsigned char)(char)n;
			/* acquire: pairs with the consumer's release store of head. */
			for (unsigned spin = 0; tail - __atomic_load_n(&ring.head, __ATOMIC_ACQUIRE) >= RING; spin++)
				if (spin % 1024 == 1023)
					sched_yield();
			ring.slot[tail % RING] = p;
			/* release: publishes the slot and the object's contents. */
			__atomic_store_n(&ring.tail, ++tail, __ATOMIC_RELEASE);
		}
		pthread_join(t, NULL);
		v[r] = bm_ns(t0, llt_clock_end()) / XFER;
		if (xfer_sum != want) {
			fprintf(stderr, "bench_objpool: transfer check failed\n");
			exit(1);
		}
	}
	return bm_summarise(v + 1, BM_KEEP);
}

static void pct_row(const char *impl, struct bm_pct q, double median_burst)
{
	printf("%-32s p50 %6.1f  p99 %6.1f  p99.9 %6.1f  max %8.1f ns (incl. timer); p99.9/p50 %.2f; burst median %.2f\n",
	       impl, q.p50, q.p99, q.p999, q.max, q.p999 / q.p50, median_burst);
}

int main(void)
{
	const char *mname = getenv("LLT_BENCH_MALLOC");
	char mlabel[64];
	snprintf(mlabel, sizeof mlabel, "malloc/free (%s)", mname && *mname ? mname : "glibc");
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	bm_pin(0);
	ridx = malloc(BURST * sizeof *ridx);
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < BURST; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		ridx[i] = (uint32_t)(x % LIVE);
	}
	struct llt_objpool_opts o = { .obj_size = OBJ, .capacity = 2 * LIVE, .flags = LLT_OBJPOOL_PREFAULT };
	if (llt_objpool_create(&st_pool, &o) != 0)
		return 1;
	o.flags |= LLT_OBJPOOL_THREADSAFE;
	if (llt_objpool_create(&ts_pool, &o) != 0)
		return 1;

	bm_header("objpool: ns per get+put pair, 64-byte objects, single thread (amortised over 100k)");
	struct bm_result st_l = st_lifo(), st_r = st_random();
	struct bm_result ts_l = ts_lifo(), ts_r = ts_random();
	struct bm_result tc_l = tc_lifo(), tc_r = tc_random();
	struct bm_result m_l = mal_lifo(), m_r = mal_random();
	bm_row("llt_objpool single-thread", "LIFO", st_l);
	bm_row("llt_objpool single-thread", "random, 10k live", st_r);
	bm_row("llt_objpool thread-safe", "LIFO", ts_l);
	bm_row("llt_objpool thread-safe", "random, 10k live", ts_r);
	bm_row("thread-safe pool, cache handle", "LIFO", tc_l);
	bm_row("thread-safe pool, cache handle", "random, 10k live", tc_r);
	bm_row(mlabel, "LIFO", m_l);
	bm_row(mlabel, "random, 10k live", m_r);

	printf("\nper-pair percentiles, LIFO, %d pairs each timed alone\n", PCT_SAMPLES);
	pct_row("llt_objpool single-thread", st_pct(), st_l.med);
	pct_row("llt_objpool thread-safe", ts_pct(), ts_l.med);
	pct_row("thread-safe pool, cache handle", tc_pct(), tc_l.med);
	pct_row(mlabel, mal_pct(), m_l.med);

	bm_header("two threads (CPU 0 gets, CPU 1 puts, 1024-slot SPSC ring): ns per object");
	struct bm_result x_ts = xfer(0), x_m = xfer(1);
	bm_row("llt_objpool thread-safe", "get T0, put T1", x_ts);
	bm_row(mlabel, "malloc T0, free T1", x_m);

	printf("\nratios libllt/%s (median): single-thread pool LIFO %.2f, random %.2f; "
	       "thread-safe pool LIFO %.2f, random %.2f; cache handle LIFO %.2f, random %.2f; "
	       "two threads %.2f\n", mlabel,
	       st_l.med / m_l.med, st_r.med / m_r.med, ts_l.med / m_l.med, ts_r.med / m_r.med,
	       tc_l.med / m_l.med, tc_r.med / m_r.med, x_ts.med / x_m.med);
	llt_objpool_free(st_pool);
	llt_objpool_free(ts_pool);
	free(ridx);
	return 0;
}
