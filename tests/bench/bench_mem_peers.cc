// bench_mem_peers: llt/objpool against boost::pool and boost::object_pool,
// same harness, same process, implementations interleaved within each
// repetition: 64-byte objects, ns per get+put pair, LIFO and with 10k live
// objects replaced in random order.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <llt/objpool.h>

#include "bench_mem.h"

#if defined(__has_include)
#  if __has_include(<boost/pool/pool.hpp>) && __has_include(<boost/pool/object_pool.hpp>)
#    include <boost/pool/object_pool.hpp>
#    include <boost/pool/pool.hpp>
#    define HAVE_BOOST_POOL 1
#  endif
#endif

enum { OBJ = 64, BURST = 100000, LIVE = 10000 };
struct obj64 { char b[OBJ]; };

static uint32_t ridx[BURST];

// One burst of each pattern; the caller interleaves the implementations
// within each repetition.  Every implementation is reached the same way:
// inline calls through a pool pointer held by value in the lambda (the
// "boost::pool, on the stack" row is the exception, for comparison with
// figures measured before), a compiler barrier after each put so no put
// and get are folded together (BM_CLOBBER), and the object escapes after
// each get (BM_ESCAPE).
template <class Get, class Put>
BM_LOOP static double lifo_once(Get get, Put put)
{
	uint64_t t0 = llt_clock_start();
	for (int i = 0; i < BURST; i++) {
		char *p = static_cast<char *>(get());
		p[0] = (char)i;
		BM_ESCAPE(p);
		put(p);
		BM_CLOBBER();
	}
	return bm_ns(t0, llt_clock_end()) / BURST;
}

// The live set of each implementation is filled once before the first
// repetition and drained after the last (as a long-running program's
// would be), so the repetitions see the same steady state.  Each timed
// burst follows an untimed one of WARM pairs that brings the live set
// back into the caches after the other implementations' turns.
enum { WARM = 3 * LIVE };

template <class Get, class Put>
static inline void random_pairs(void **live, Get get, Put put, int from, int to)
{
	for (int i = from; i < to; i++) {
		uint32_t k = ridx[i];
		put(live[k]);
		BM_CLOBBER();
		char *p = static_cast<char *>(get());
		p[0] = (char)i;
		BM_ESCAPE(p);
		live[k] = p;
	}
}

template <class Get, class Put>
BM_LOOP static double random_once(void **live, Get get, Put put)
{
	random_pairs(live, get, put, BURST - WARM, BURST);
	uint64_t t0 = llt_clock_start();
	random_pairs(live, get, put, 0, BURST);
	return bm_ns(t0, llt_clock_end()) / BURST;
}

template <class Get, class Put>
static void fill(void **live, Get get, Put put)
{
	for (int k = 0; k < LIVE; k++)
		live[k] = get();
	(void)put;
}

template <class Get, class Put>
static void drain(void **live, Get get, Put put)
{
	for (int k = 0; k < LIVE; k++)
		put(live[k]);
	(void)get;
}

enum { I_ST, I_TS, I_BP, I_BP_STACK, I_BOP, N_IMPL };
static const char *const impl_name[N_IMPL] = {
	"llt_objpool single-thread", "llt_objpool thread-safe", "boost::pool",
	"boost::pool, on the stack", "boost::object_pool",
};
static double vl[N_IMPL][BM_REPS], vr[N_IMPL][BM_REPS];
static void *live[N_IMPL][LIVE];

#define RUN(i, r, get, put)                                                     \
	do {                                                                    \
		vl[i][r] = lifo_once(get, put);                                 \
		vr[i][r] = random_once(live[i], get, put);                      \
	} while (0)

int main()
{
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	bm_pin(0);
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < BURST; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		ridx[i] = (uint32_t)(x % LIVE);
	}
	struct llt_objpool *st, *ts;
	struct llt_objpool_opts o = {};
	o.obj_size = OBJ;
	o.capacity = 2 * LIVE;
	o.flags = LLT_OBJPOOL_PREFAULT;
	if (llt_objpool_create(&st, &o) != 0)
		return 1;
	o.flags |= LLT_OBJPOOL_THREADSAFE;
	if (llt_objpool_create(&ts, &o) != 0)
		return 1;
	auto st_get = [st] { return llt_objpool_get(st); };
	auto st_put = [st](void *p) { llt_objpool_put(st, p); };
	auto ts_get = [ts] { return llt_objpool_get(ts); };
	auto ts_put = [ts](void *p) { llt_objpool_put(ts, p); };
#ifdef HAVE_BOOST_POOL
	boost::pool<> *bp = new boost::pool<>(OBJ, 2 * LIVE);
	auto bp_get = [bp] { return bp->malloc(); };
	auto bp_put = [bp](void *q) { bp->free(q); };
	boost::pool<> bps(OBJ, 2 * LIVE);
	auto bps_get = [&bps] { return bps.malloc(); };
	auto bps_put = [&bps](void *q) { bps.free(q); };
	boost::object_pool<obj64> *op = new boost::object_pool<obj64>(2 * LIVE);
	auto op_get = [op] { return static_cast<void *>(op->malloc()); };
	auto op_put = [op](void *q) { op->free(static_cast<obj64 *>(q)); };
	const int n_impl = N_IMPL;
#else
	const int n_impl = I_TS + 1;
#endif
#define EACH(F)                                                                 \
	do {                                                                    \
		F(live[I_ST], st_get, st_put);                                  \
		F(live[I_TS], ts_get, ts_put);                                  \
		EACH_BOOST(F);                                                  \
	} while (0)
#ifdef HAVE_BOOST_POOL
#  define EACH_BOOST(F)                                                         \
	do {                                                                    \
		F(live[I_BP], bp_get, bp_put);                                  \
		F(live[I_BP_STACK], bps_get, bps_put);                          \
		F(live[I_BOP], op_get, op_put);                                 \
	} while (0)
#else
#  define EACH_BOOST(F) ((void)0)
#endif
	EACH(fill);
	for (int r = 0; r < BM_REPS; r++) {
		RUN(I_ST, r, st_get, st_put);
		RUN(I_TS, r, ts_get, ts_put);
#ifdef HAVE_BOOST_POOL
		RUN(I_BP, r, bp_get, bp_put);
		RUN(I_BP_STACK, r, bps_get, bps_put);
		RUN(I_BOP, r, op_get, op_put);
#endif
	}
	EACH(drain);
	bm_header("objpool vs boost: ns per get+put pair, 64-byte objects, single thread, implementations interleaved");
	bm_result rl[N_IMPL], rr[N_IMPL];
	for (int i = 0; i < n_impl; i++) {
		rl[i] = bm_summarise(vl[i] + 1, BM_KEEP);
		rr[i] = bm_summarise(vr[i] + 1, BM_KEEP);
		bm_row(impl_name[i], "LIFO", rl[i]);
		bm_row(impl_name[i], "random, 10k live", rr[i]);
	}
#ifdef HAVE_BOOST_POOL
	for (int i = I_BP; i < N_IMPL; i++) {
		double l = rl[I_ST].med / rl[i].med, q = rr[I_ST].med / rr[i].med;
		/* "At or below": judged on the ratios as printed (2 decimals). */
		bool met = l < 1.005 && q < 1.005;
		printf("  ratio llt single-thread/%s: LIFO %.2f, random %.2f%s\n", impl_name[i], l, q,
		       i != I_BP ? "" : met ? " (goal <= 1: met)" : " (goal <= 1: not met)");
	}
	delete bp;
	delete op;
#else
	printf("  boost::pool, boost::object_pool: skipped (<boost/pool/*.hpp> absent)\n");
#endif
	llt_objpool_free(st);
	llt_objpool_free(ts);
	return 0;
}
