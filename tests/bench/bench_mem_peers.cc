// bench_mem_peers: llt/objpool against boost::pool and boost::object_pool,
// same harness, same process: 64-byte objects, ns per get+put pair, LIFO
// and with 10k live objects replaced in random order.
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
static void *live[LIVE];

template <class Get, class Put>
static bm_result lifo(Get get, Put put)
{
	double v[BM_REPS];
	for (int r = 0; r < BM_REPS; r++) {
		uint64_t t0 = llt_clock_start();
		for (int i = 0; i < BURST; i++) {
			char *p = static_cast<char *>(get());
			p[0] = (char)i;
			BM_ESCAPE(p);
			put(p);
		}
		v[r] = bm_ns(t0, llt_clock_end()) / BURST;
	}
	return bm_summarise(v + 1, BM_KEEP);
}

template <class Get, class Put>
static bm_result random_live(Get get, Put put)
{
	double v[BM_REPS];
	for (int k = 0; k < LIVE; k++)
		live[k] = get();
	for (int r = 0; r < BM_REPS; r++) {
		uint64_t t0 = llt_clock_start();
		for (int i = 0; i < BURST; i++) {
			uint32_t k = ridx[i];
			put(live[k]);
			char *p = static_cast<char *>(get());
			p[0] = (char)i;
			BM_ESCAPE(p);
			live[k] = p;
		}
		v[r] = bm_ns(t0, llt_clock_end()) / BURST;
	}
	for (int k = 0; k < LIVE; k++)
		put(live[k]);
	return bm_summarise(v + 1, BM_KEEP);
}

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
	auto st_get = [&] { return llt_objpool_get(st); };
	auto st_put = [&](void *p) { llt_objpool_put(st, p); };
	auto ts_get = [&] { return llt_objpool_get(ts); };
	auto ts_put = [&](void *p) { llt_objpool_put(ts, p); };

	bm_header("objpool vs boost: ns per get+put pair, 64-byte objects, single thread");
	bm_result stl = lifo(st_get, st_put), str = random_live(st_get, st_put);
	bm_result tsl = lifo(ts_get, ts_put), tsr = random_live(ts_get, ts_put);
	bm_row("llt_objpool single-thread", "LIFO", stl);
	bm_row("llt_objpool single-thread", "random, 10k live", str);
	bm_row("llt_objpool thread-safe", "LIFO", tsl);
	bm_row("llt_objpool thread-safe", "random, 10k live", tsr);
#ifdef HAVE_BOOST_POOL
	{
		boost::pool<> bp(OBJ, 2 * LIVE);
		auto g = [&] { return bp.malloc(); };
		auto p = [&](void *q) { bp.free(q); };
		bm_result l = lifo(g, p), r = random_live(g, p);
		bm_row("boost::pool", "LIFO", l);
		bm_row("boost::pool", "random, 10k live", r);
		printf("  ratio llt single-thread/boost::pool: LIFO %.2f, random %.2f (goal <= 1: %s)\n",
		       stl.med / l.med, str.med / r.med,
		       stl.med <= l.med && str.med <= r.med ? "met" : "not met");
	}
	{
		boost::object_pool<obj64> op(2 * LIVE);
		auto g = [&] { return static_cast<void *>(op.malloc()); };
		auto p = [&](void *q) { op.free(static_cast<obj64 *>(q)); };
		bm_result l = lifo(g, p), r = random_live(g, p);
		bm_row("boost::object_pool", "LIFO", l);
		bm_row("boost::object_pool", "random, 10k live", r);
		printf("  ratio llt single-thread/boost::object_pool: LIFO %.2f, random %.2f\n",
		       stl.med / l.med, str.med / r.med);
	}
#else
	printf("  boost::pool, boost::object_pool: skipped (<boost/pool/*.hpp> absent)\n");
#endif
	llt_objpool_free(st);
	llt_objpool_free(ts);
	return 0;
}
