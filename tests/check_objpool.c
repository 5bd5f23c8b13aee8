/* llt/objpool: set-up checks, randomised model tests against a reference,
 * exhaustion and growth, threads passing objects, thread exit, and the
 * debug and AddressSanitizer checks. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <llt/objpool.h>

#include "testutil.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
	return llt_test_rnd(&rng_state);
}

static unsigned char pat(uint64_t id, size_t k)
{
	return (unsigned char)(id * 131 + k * 7 + 1);
}

static void fill(void *p, size_t n, uint64_t id)
{
	unsigned char *c = p;
	for (size_t k = 0; k < n; k++)
		c[k] = pat(id, k);
}

static int check_fill(const void *p, size_t n, uint64_t id)
{
	const unsigned char *c = p;
	for (size_t k = 0; k < n; k++)
		if (c[k] != pat(id, k))
			return 0;
	return 1;
}

START_TEST(bad_inputs)
{
	struct llt_objpool *sentinel = (struct llt_objpool *)&rng_state, *p = sentinel;
	struct llt_objpool_opts o = { .obj_size = 64, .capacity = 16 };
	ck_assert_int_eq(llt_objpool_create(NULL, &o), -EINVAL);
	ck_assert_int_eq(llt_objpool_create(&p, NULL), -EINVAL);
	struct llt_objpool_opts bad[] = {
		{ .obj_size = 0, .capacity = 16 },
		{ .obj_size = 64, .capacity = 0 },
		{ .obj_size = 64, .capacity = 16, .align = 24 },
		{ .obj_size = 64, .capacity = 16, .align = 1 << 20 },
		{ .obj_size = 64, .capacity = 16, .flags = 0x8000 },
		{ .obj_size = 64, .capacity = 16, .flags = LLT_OBJPOOL_THREADSAFE, .cache_size = 65 },
		{ .obj_size = SIZE_MAX, .capacity = 16 },
		{ .obj_size = 64, .capacity = SIZE_MAX },
		{ .obj_size = 64, .capacity = 1 << 20, .flags = LLT_OBJPOOL_GROW, .max_blocks = 1 << 20 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(llt_objpool_create(&p, &bad[i]), -EINVAL);
		ck_assert_ptr_eq(p, sentinel);
	}
	ck_assert_int_eq(llt_objpool_stats(NULL, NULL), -EINVAL);
	llt_objpool_free(NULL);
	ck_assert(!llt_objpool_owns(NULL, &o));
}
END_TEST

/* Random gets and puts against a reference list of live objects: each is
 * distinct, aligned, owned by the pool, and keeps its contents (a pattern
 * derived from its id) until it is put; an overlap or a double hand-out
 * corrupts some pattern. */
enum api { API_PLAIN, API_HANDLE, API_MIXED };

/* Get and put through the pool (API_PLAIN), through the calling thread's
 * cache handle (API_HANDLE), or either at random per call (API_MIXED: both
 * work on the same cache). */
static void *m_get(struct llt_objpool *p, struct llt_objpool_cache *c, enum api api)
{
	if (api == API_HANDLE || (api == API_MIXED && rnd() % 2))
		return llt_objpool_cache_get(c);
	return llt_objpool_get(p);
}

static void m_put(struct llt_objpool *p, struct llt_objpool_cache *c, enum api api, void *obj)
{
	if (api == API_HANDLE || (api == API_MIXED && rnd() % 2))
		llt_objpool_cache_put(c, obj);
	else
		llt_objpool_put(p, obj);
}

static void model_api(size_t obj_size, size_t align, unsigned flags, size_t cap, size_t max_blocks,
		      unsigned cache_size, enum api api)
{
	struct llt_objpool *p;
	struct llt_objpool_opts o = { .obj_size = obj_size, .align = align, .capacity = cap,
				      .flags = flags, .max_blocks = max_blocks, .cache_size = cache_size };
	ck_assert_int_eq(llt_objpool_create(&p, &o), 0);
	struct llt_objpool_cache *c = llt_objpool_cache(p);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_eq(llt_objpool_cache(p), c);      /* the same cache every time */
	size_t limit = (flags & LLT_OBJPOOL_GROW) ? cap * max_blocks : cap;
	size_t ealign = align ? align : 16;
	struct live { void *p; uint64_t id; } *live = calloc(limit + 1, sizeof *live);
	size_t n = 0, hw = 0;
	uint64_t next_id = 1, failed = 0;
	long ops = (long)(20000 * llt_test_scale());
	for (long i = 0; i < ops; i++) {
		/* Drift towards full and towards empty in phases. */
		bool want_get = (rnd() % 100) < ((i / 2000) % 2 ? 70u : 30u);
		if (want_get) {
			void *q = m_get(p, c, api);
			if (n < limit) {
				ck_assert_ptr_nonnull(q);
			} else if (!(flags & LLT_OBJPOOL_THREADSAFE)) {
				ck_assert_ptr_null(q);
			}
			if (!q) {
				failed++;
				continue;
			}
			ck_assert_uint_eq((uintptr_t)q % ealign, 0);
			ck_assert(llt_objpool_owns(p, q));
			live[n].p = q;
			live[n].id = next_id++;
			fill(q, obj_size, live[n].id);
			n++;
			if (n > hw)
				hw = n;
		} else if (n > 0) {
			size_t k = rnd() % n;
			ck_assert_msg(check_fill(live[k].p, obj_size, live[k].id), "object %zu corrupted", k);
			m_put(p, c, api, live[k].p);
			live[k] = live[--n];
		}
	}
	/* Pairwise distinct at the end. */
	for (size_t i = 0; i < n; i++) {
		ck_assert(check_fill(live[i].p, obj_size, live[i].id));
		for (size_t j = i + 1; j < n && j < i + 64; j++)
			ck_assert_ptr_ne(live[i].p, live[j].p);
	}
	struct llt_objpool_stats s;
	ck_assert_int_eq(llt_objpool_stats(p, &s), 0);
	ck_assert_uint_eq(s.failed_gets, failed);
	ck_assert_uint_ge(s.stride, obj_size);
	ck_assert_uint_eq(s.stride % ealign, 0);
	if (!(flags & LLT_OBJPOOL_THREADSAFE)) {
		ck_assert_uint_eq(s.in_use, n);
		ck_assert_uint_eq(s.high_water, hw);
	} else {
		ck_assert_uint_ge(s.in_use, n);
		ck_assert_uint_ge(s.high_water, hw > 64 ? hw - 64 : 0);
	}
	while (n > 0) {
		n--;
		m_put(p, c, api, live[n].p);
	}
	if (!(flags & LLT_OBJPOOL_THREADSAFE)) {
		ck_assert_int_eq(llt_objpool_stats(p, &s), 0);
		ck_assert_uint_eq(s.in_use, 0);
	}
	free(live);
	llt_objpool_free(p);
}

static void model(size_t obj_size, size_t align, unsigned flags, size_t cap, size_t max_blocks)
{
	model_api(obj_size, align, flags, cap, max_blocks, 0, API_PLAIN);
}

static const size_t sizes[] = { 1, 8, 24, 64, 100, 4096 };
static const size_t aligns[] = { 0, 8, 64, 4096 };

START_TEST(model_single)
{
	model(sizes[_i % 6], aligns[_i / 6], 0, 500, 1);
	model(sizes[_i % 6], aligns[_i / 6], LLT_OBJPOOL_GROW, 100, 5);
}
END_TEST

START_TEST(model_threadsafe)
{
	model(sizes[_i % 6], aligns[_i / 6], LLT_OBJPOOL_THREADSAFE, 500, 1);
	model(sizes[_i % 6], aligns[_i / 6], LLT_OBJPOOL_THREADSAFE | LLT_OBJPOOL_GROW, 100, 5);
}
END_TEST

/* The cache handle under the model: thread-safe pools (small caches, so
 * refills and spills are frequent), handle alone and mixed with plain
 * get/put; and a single-threaded pool, whose handle passes through. */
START_TEST(model_cache_handle)
{
	size_t sz = sizes[_i % 6], al = aligns[_i / 6];
	model_api(sz, al, LLT_OBJPOOL_THREADSAFE, 500, 1, 0, API_HANDLE);
	model_api(sz, al, LLT_OBJPOOL_THREADSAFE, 300, 1, 4, API_MIXED);
	model_api(sz, al, LLT_OBJPOOL_THREADSAFE | LLT_OBJPOOL_GROW, 100, 5, 1 + (unsigned)_i % 64, API_HANDLE);
	model_api(sz, al, LLT_OBJPOOL_THREADSAFE | LLT_OBJPOOL_GROW, 100, 5, 7, API_MIXED);
	model_api(sz, al, 0, 200, 1, 0, API_HANDLE);
	model_api(sz, al, LLT_OBJPOOL_GROW, 50, 4, 0, API_MIXED);
}
END_TEST

START_TEST(exhaustion_and_growth)
{
	for (int ts = 0; ts < 2; ts++) {
		unsigned f = ts ? LLT_OBJPOOL_THREADSAFE : 0;
		struct llt_objpool *p;
		struct llt_objpool_opts o = { .obj_size = 48, .capacity = 10, .flags = f };
		ck_assert_int_eq(llt_objpool_create(&p, &o), 0);
		void *v[10];
		for (int i = 0; i < 10; i++)
			ck_assert_ptr_nonnull(v[i] = llt_objpool_get(p));
		ck_assert_ptr_null(llt_objpool_get(p));
		ck_assert_ptr_null(llt_objpool_get(p));
		struct llt_objpool_stats s;
		llt_objpool_stats(p, &s);
		ck_assert_uint_eq(s.failed_gets, 2);
		ck_assert_uint_eq(s.in_use, 10);
		ck_assert_uint_eq(s.high_water, 10);
		ck_assert_uint_eq(s.blocks, 1);
		ck_assert_uint_eq(s.capacity, 10);
		llt_objpool_put(p, v[3]);
		ck_assert_ptr_eq(llt_objpool_get(p), v[3]);
		for (int i = 0; i < 10; i++)
			llt_objpool_put(p, v[i]);
		llt_objpool_flush(p);
		llt_objpool_stats(p, &s);
		ck_assert_uint_eq(s.in_use, 0);
		llt_objpool_free(p);

		o.flags = f | LLT_OBJPOOL_GROW;
		o.capacity = 16;
		o.max_blocks = 4;
		ck_assert_int_eq(llt_objpool_create(&p, &o), 0);
		void *w[64];
		for (int i = 0; i < 64; i++) {
			ck_assert_ptr_nonnull(w[i] = llt_objpool_get(p));
			memset(w[i], i, 48);
		}
		ck_assert_ptr_null(llt_objpool_get(p));
		llt_objpool_stats(p, &s);
		ck_assert_uint_eq(s.blocks, 4);
		ck_assert_uint_eq(s.capacity, 64);
		ck_assert_uint_eq(s.failed_gets, 1);
		for (int i = 0; i < 64; i++) {
			ck_assert_uint_eq(((unsigned char *)w[i])[47], (unsigned char)i);
			llt_objpool_put(p, w[i]);
		}
		llt_objpool_free(p);
	}
}
END_TEST

/* Exhaustion and growth through the handle, with a cache smaller than
 * the pool (refills and spills on the way). */
START_TEST(cache_handle_exhaustion)
{
	for (int ts = 0; ts < 2; ts++) {
		unsigned f = ts ? LLT_OBJPOOL_THREADSAFE : 0;
		struct llt_objpool *p;
		struct llt_objpool_opts o = { .obj_size = 48, .capacity = 10, .flags = f, .cache_size = 4 };
		ck_assert_int_eq(llt_objpool_create(&p, &o), 0);
		struct llt_objpool_cache *c = llt_objpool_cache(p);
		void *v[10];
		for (int i = 0; i < 10; i++) {
			ck_assert_ptr_nonnull(v[i] = llt_objpool_cache_get(c));
			for (int j = 0; j < i; j++)
				ck_assert_ptr_ne(v[i], v[j]);
		}
		ck_assert_ptr_null(llt_objpool_cache_get(c));
		ck_assert_ptr_null(llt_objpool_cache_get(c));
		struct llt_objpool_stats s;
		llt_objpool_stats(p, &s);
		ck_assert_uint_eq(s.failed_gets, 2);
		ck_assert_uint_eq(s.in_use, 10);
		ck_assert_uint_eq(s.high_water, 10);
		llt_objpool_cache_put(c, v[3]);
		ck_assert_ptr_eq(llt_objpool_cache_get(c), v[3]);       /* LIFO */
		llt_objpool_cache_put(c, v[5]);
		ck_assert_ptr_eq(llt_objpool_get(p), v[5]);     /* one cache for both APIs */
		for (int i = 0; i < 10; i++)
			llt_objpool_cache_put(c, v[i]);
		if (ts) {
			/* A cache of 4: the rest was spilled to the shared stack. */
			llt_objpool_stats(p, &s);
			ck_assert_uint_le(s.in_use, 4);
		}
		llt_objpool_flush(p);
		llt_objpool_stats(p, &s);
		ck_assert_uint_eq(s.in_use, 0);
		/* All ten come back, distinct. */
		for (int i = 0; i < 10; i++) {
			ck_assert_ptr_nonnull(v[i] = llt_objpool_cache_get(c));
			for (int j = 0; j < i; j++)
				ck_assert_ptr_ne(v[i], v[j]);
		}
		ck_assert_ptr_null(llt_objpool_cache_get(c));
		for (int i = 0; i < 10; i++)
			llt_objpool_cache_put(c, v[i]);
		llt_objpool_free(p);

		o.flags = f | LLT_OBJPOOL_GROW;
		o.capacity = 16;
		o.max_blocks = 4;
		ck_assert_int_eq(llt_objpool_create(&p, &o), 0);
		c = llt_objpool_cache(p);
		void *w[64];
		for (int i = 0; i < 64; i++) {
			ck_assert_ptr_nonnull(w[i] = llt_objpool_cache_get(c));
			memset(w[i], i, 48);
		}
		ck_assert_ptr_null(llt_objpool_cache_get(c));
		llt_objpool_stats(p, &s);
		ck_assert_uint_eq(s.blocks, 4);
		ck_assert_uint_eq(s.failed_gets, 1);
		for (int i = 0; i < 64; i++) {
			ck_assert_uint_eq(((unsigned char *)w[i])[47], (unsigned char)i);
			llt_objpool_cache_put(c, w[i]);
		}
		llt_objpool_free(p);
	}
	ck_assert_ptr_null(llt_objpool_cache(NULL));
}
END_TEST

static void ctor(void *obj, void *arg)
{
	memset(obj, 0x5a, 32);
	(*(int *)arg)++;
}

START_TEST(constructor_and_options)
{
	int calls = 0;
	struct llt_objpool *p;
	struct llt_objpool_opts o = { .obj_size = 32, .capacity = 100, .ctor = ctor, .ctor_arg = &calls,
				      .flags = LLT_OBJPOOL_THREADSAFE | LLT_OBJPOOL_PREFAULT | LLT_OBJPOOL_MLOCK |
					       LLT_OBJPOOL_HUGEPAGES };
	ck_assert_int_eq(llt_objpool_create(&p, &o), 0);
	ck_assert_int_eq(calls, 100);
	unsigned char *x = llt_objpool_get(p);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x[31], 0x5a);
	struct llt_objpool_stats s;
	llt_objpool_stats(p, &s);
	/* mlock may be refused (RLIMIT_MEMLOCK): then degraded, not failed. */
	if (!(s.flags & LLT_OBJPOOL_MLOCK))
		ck_assert_int_ne(s.mlock_error, 0);
	else
		ck_assert_int_eq(s.mlock_error, 0);
	llt_objpool_put(p, x);
	llt_objpool_free(p);

	/* Strict: either locked, or create fails with the mlock errno. */
	o.flags = LLT_OBJPOOL_MLOCK_STRICT;
	int rc = llt_objpool_create(&p, &o);
	ck_assert(rc == 0 || rc == -EPERM || rc == -ENOMEM || rc == -EAGAIN);
	if (rc == 0)
		llt_objpool_free(p);
}
END_TEST

/* ------------------------------------------------------------ threads */

struct tobj {
	int owner;              /* atomic: thread that holds it (1..8), else not one */
	uint32_t seq;
	char pad[56];
};

struct handoff {
	pthread_mutex_t lock;
	void *q[256];
	unsigned head, tail;
};

struct tctx {
	struct llt_objpool *pool;
	struct handoff *h;      /* array of nthreads queues */
	int nthreads;
	int me;
	long ops;
	long errors;
	long got;
	bool handle;            /* get (and, for odd threads, put) through the cache handle */
	struct llt_objpool_cache *cache;
};

static bool hq_push(struct handoff *h, void *o)
{
	bool ok = false;
	pthread_mutex_lock(&h->lock);
	if (h->tail - h->head < 256) {
		h->q[h->tail++ % 256] = o;
		ok = true;
	}
	pthread_mutex_unlock(&h->lock);
	return ok;
}

static void *hq_pop(struct handoff *h)
{
	void *o = NULL;
	pthread_mutex_lock(&h->lock);
	if (h->tail != h->head)
		o = h->q[h->head++ % 256];
	pthread_mutex_unlock(&h->lock);
	return o;
}

static void release(struct tctx *c, struct tobj *o)
{
	int expect = __atomic_load_n(&o->owner, __ATOMIC_RELAXED);
	if (expect == 0 || !__atomic_compare_exchange_n(&o->owner, &expect, 0, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		c->errors++;
	/* With handles: odd threads put through theirs, even threads with
	 * plain put, so objects got through a handle in one thread are put
	 * both ways in others. */
	if (c->cache && c->me % 2)
		llt_objpool_cache_put(c->cache, o);
	else
		llt_objpool_put(c->pool, o);
}

static void *worker(void *arg)
{
	struct tctx *c = arg;
	struct tobj *mine[8];
	int nmine = 0;
	if (c->handle)
		c->cache = llt_objpool_cache(c->pool);
	for (long i = 0; i < c->ops; i++) {
		struct tobj *o = c->cache ? llt_objpool_cache_get(c->cache) : llt_objpool_get(c->pool);
		if (o) {
			/* No object is handed out twice at once: a free object's
			 * tag is 0 (or the debug fill), never a thread's id. */
			int old = __atomic_exchange_n(&o->owner, c->me, __ATOMIC_RELAXED);
			if (old >= 1 && old <= 8)
				c->errors++;
			o->seq = (uint32_t)i;
			c->got++;
			/* Pass it to another thread, or keep it a while. */
			int to = (int)((unsigned)(c->me + i) % (unsigned)c->nthreads);
			if (i % 3 == 0 || !hq_push(&c->h[to], o)) {
				if (nmine == 8)
					release(c, mine[--nmine]);
				mine[nmine++] = o;
			}
		}
		struct tobj *r = hq_pop(&c->h[c->me - 1]);
		if (r)
			release(c, r);
	}
	while (nmine)
		release(c, mine[--nmine]);
	return NULL;
}

static void run_threads_api(int nthreads, unsigned flags, bool handle)
{
	struct llt_objpool *p;
	struct llt_objpool_opts o = { .obj_size = sizeof(struct tobj), .capacity = 1024,
				      .flags = LLT_OBJPOOL_THREADSAFE | flags, .cache_size = 16, .max_blocks = 8 };
	ck_assert_int_eq(llt_objpool_create(&p, &o), 0);
	struct handoff h[8];
	struct tctx c[8];
	pthread_t t[8];
	for (int i = 0; i < nthreads; i++) {
		pthread_mutex_init(&h[i].lock, NULL);
		h[i].head = h[i].tail = 0;
	}
	long ops = (long)(40000 * llt_test_scale()) / nthreads;
	for (int i = 0; i < nthreads; i++) {
		c[i] = (struct tctx){ .pool = p, .h = h, .nthreads = nthreads, .me = i + 1, .ops = ops,
				      .handle = handle };
		c[i].me = i + 1;
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &c[i]), 0);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	long errors = 0, got = 0;
	for (int i = 0; i < nthreads; i++) {
		errors += c[i].errors;
		got += c[i].got;
	}
	/* Whatever is still queued goes back from here. */
	struct tctx mainc = { .pool = p };
	for (int i = 0; i < nthreads; i++) {
		void *r;
		while ((r = hq_pop(&h[i])) != NULL)
			release(&mainc, r);
	}
	errors += mainc.errors;
	llt_objpool_flush(p);
	ck_assert_int_eq(errors, 0);
	ck_assert_int_gt(got, 0);
	/* The exiting threads returned their caches to the shared stack. */
	struct llt_objpool_stats s;
	llt_objpool_stats(p, &s);
	ck_assert_uint_eq(s.in_use, 0);
	ck_assert_uint_le(s.high_water, s.capacity);
	for (int i = 0; i < nthreads; i++)
		pthread_mutex_destroy(&h[i].lock);
	llt_objpool_free(p);
}

static void run_threads(int nthreads, unsigned flags)
{
	run_threads_api(nthreads, flags, false);
}

START_TEST(threads_2) { run_threads(2, 0); }
END_TEST
START_TEST(threads_4) { run_threads(4, LLT_OBJPOOL_GROW); }
END_TEST
START_TEST(threads_8) { run_threads(8, 0); }
END_TEST
START_TEST(threads_handle_2) { run_threads_api(2, 0, true); }
END_TEST
START_TEST(threads_handle_4) { run_threads_api(4, LLT_OBJPOOL_GROW, true); }
END_TEST

/* A thread's cache outlives a freed pool: a new pool taking the same slot
 * must not hand out the old pool's objects. */
static pthread_barrier_t bar;
static struct llt_objpool *shared_pool;
static long stale_errors;

static void *slot_reuser(void *arg)
{
	(void)arg;
	void *v[8];
	for (int i = 0; i < 8; i++)
		v[i] = llt_objpool_get(shared_pool);
	for (int i = 0; i < 8; i++)
		llt_objpool_put(shared_pool, v[i]);       /* stay in this thread's cache */
	pthread_barrier_wait(&bar);                       /* main frees and re-creates */
	pthread_barrier_wait(&bar);
	for (int i = 0; i < 8; i++) {
		v[i] = llt_objpool_get(shared_pool);
		if (!v[i] || !llt_objpool_owns(shared_pool, v[i]))
			stale_errors++;
	}
	for (int i = 0; i < 8; i++)
		if (v[i])
			llt_objpool_put(shared_pool, v[i]);
	return NULL;
}

START_TEST(cache_outlives_pool)
{
	struct llt_objpool_opts o = { .obj_size = 64, .capacity = 64, .flags = LLT_OBJPOOL_THREADSAFE };
	ck_assert_int_eq(llt_objpool_create(&shared_pool, &o), 0);
	pthread_barrier_init(&bar, NULL, 2);
	pthread_t t;
	pthread_create(&t, NULL, slot_reuser, NULL);
	pthread_barrier_wait(&bar);
	llt_objpool_free(shared_pool);
	ck_assert_int_eq(llt_objpool_create(&shared_pool, &o), 0);
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	ck_assert_int_eq(stale_errors, 0);
	struct llt_objpool_stats s;
	llt_objpool_stats(shared_pool, &s);
	ck_assert_uint_eq(s.in_use, 0);
	llt_objpool_free(shared_pool);
	pthread_barrier_destroy(&bar);
}
END_TEST

/* More thread-safe pools than cache slots: the rest work uncached. */
START_TEST(many_pools)
{
	enum { N = LLT_OBJPOOL_IMPL_SLOTS + 8 };
	struct llt_objpool *p[N];
	struct llt_objpool_opts o = { .obj_size = 16, .capacity = 4, .flags = LLT_OBJPOOL_THREADSAFE };
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(llt_objpool_create(&p[i], &o), 0);
	for (int i = 0; i < N; i++) {
		void *a = llt_objpool_get(p[i]), *b = llt_objpool_get(p[i]);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_ne(a, b);
		ck_assert(llt_objpool_owns(p[i], a));
		ck_assert(!llt_objpool_owns(p[(i + 1) % N], a));
		llt_objpool_put(p[i], a);
		llt_objpool_put(p[i], b);
		/* A pool without a cache slot: its handle passes through. */
		struct llt_objpool_cache *c = llt_objpool_cache(p[i]);
		ck_assert_ptr_nonnull(c);
		void *x = llt_objpool_cache_get(c), *y = llt_objpool_cache_get(c);
		ck_assert_ptr_nonnull(x);
		ck_assert_ptr_nonnull(y);
		ck_assert_ptr_ne(x, y);
		ck_assert(llt_objpool_owns(p[i], x));
		llt_objpool_cache_put(c, x);
		llt_objpool_cache_put(c, y);
	}
	struct llt_objpool_stats s;
	for (int i = 0; i < N; i++) {
		llt_objpool_flush(p[i]);
		llt_objpool_stats(p[i], &s);
		ck_assert_uint_eq(s.in_use, 0);
	}
	for (int i = 0; i < N; i++)
		llt_objpool_free(p[i]);
}
END_TEST

/* ------------------------------------------------------- debug, ASan */

#if defined(LLT_DEBUG) && LLT_DEBUG
static int cb_err, cb_calls;
static void on_error(struct llt_objpool *pool, int err, void *obj, void *arg)
{
	(void)pool; (void)obj; (void)arg;
	cb_err = err;
	cb_calls++;
}

START_TEST(debug_detects)
{
	for (int ts = 0; ts < 2; ts++) {
		struct llt_objpool *p;
		struct llt_objpool_opts o = { .obj_size = 64, .capacity = 8, .on_error = on_error,
					      .flags = ts ? LLT_OBJPOOL_THREADSAFE : 0 };
		ck_assert_int_eq(llt_objpool_create(&p, &o), 0);
		cb_calls = 0;
		void *a = llt_objpool_get(p);
		llt_objpool_put(p, a);
		ck_assert_int_eq(llt_objpool_last_error(p), 0);
		llt_objpool_put(p, a);                  /* double put */
		ck_assert_int_eq(llt_objpool_last_error(p), LLT_OBJPOOL_ERR_DOUBLE_PUT);
		ck_assert_int_eq(cb_err, LLT_OBJPOOL_ERR_DOUBLE_PUT);
		char local[64];
		llt_objpool_put(p, local);              /* foreign */
		ck_assert_int_eq(llt_objpool_last_error(p), LLT_OBJPOOL_ERR_FOREIGN);
		llt_objpool_put(p, (char *)a + 8);      /* inside, not an object start */
		ck_assert_int_eq(llt_objpool_last_error(p), LLT_OBJPOOL_ERR_FOREIGN);
		void *fresh = llt_objpool_get(p);       /* never handed out: a put twice is caught too */
		ck_assert_ptr_nonnull(fresh);
		struct llt_objpool_stats s;
		llt_objpool_stats(p, &s);
		ck_assert_uint_eq(s.errors, 3);
		ck_assert_int_eq(cb_calls, 3);
		/* The pool is still consistent: 8 distinct objects. */
		void *v[8];
		v[0] = fresh;
		for (int i = 1; i < 8; i++) {
			v[i] = llt_objpool_get(p);
			ck_assert_ptr_nonnull(v[i]);
			for (int j = 0; j < i; j++)
				ck_assert_ptr_ne(v[i], v[j]);
		}
		ck_assert_ptr_null(llt_objpool_get(p));
#ifndef LLT_TEST_ASAN
		/* Written after put: seen at the next get (LIFO: same object). */
		llt_objpool_put(p, v[7]);
		((char *)v[7])[40] = 1;
		ck_assert_ptr_eq(llt_objpool_get(p), v[7]);
		ck_assert_int_eq(llt_objpool_last_error(p), LLT_OBJPOOL_ERR_MODIFIED);
#endif
		for (int i = 0; i < 8; i++)
			llt_objpool_put(p, v[i]);

		/* The same checks through the cache handle. */
		struct llt_objpool_cache *c = llt_objpool_cache(p);
		a = llt_objpool_cache_get(c);
		ck_assert_ptr_nonnull(a);
		llt_objpool_cache_put(c, a);
		ck_assert_int_eq(llt_objpool_stats(p, &s), 0);
		uint64_t errs = s.errors;
		int calls = cb_calls;
		llt_objpool_cache_put(c, a);            /* double put */
		ck_assert_int_eq(llt_objpool_last_error(p), LLT_OBJPOOL_ERR_DOUBLE_PUT);
		llt_objpool_cache_put(c, local);        /* foreign */
		ck_assert_int_eq(llt_objpool_last_error(p), LLT_OBJPOOL_ERR_FOREIGN);
		llt_objpool_stats(p, &s);
		ck_assert_uint_eq(s.errors, errs + 2);
		ck_assert_int_eq(cb_calls, calls + 2);
		for (int i = 0; i < 8; i++) {
			v[i] = llt_objpool_cache_get(c);
			ck_assert_ptr_nonnull(v[i]);
			for (int j = 0; j < i; j++)
				ck_assert_ptr_ne(v[i], v[j]);
		}
		ck_assert_ptr_null(llt_objpool_cache_get(c));
		for (int i = 0; i < 8; i++)
			llt_objpool_cache_put(c, v[i]);
		llt_objpool_free(p);
	}
}
END_TEST
#endif

#ifdef LLT_TEST_ASAN
#define USE_HANDLE 0x80000000u
static void use_after_put(unsigned flags)
{
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct llt_objpool *p;
		struct llt_objpool_opts o = { .obj_size = 64, .capacity = 8, .flags = flags & ~USE_HANDLE };
		if (llt_objpool_create(&p, &o) != 0)
			_exit(0);
		if (flags & USE_HANDLE) {
			struct llt_objpool_cache *c = llt_objpool_cache(p);
			volatile char *y = llt_objpool_cache_get(c);
			llt_objpool_cache_put(c, (void *)y);
			y[20] = 1;              /* ASan must stop us here */
			_exit(0);
		}
		volatile char *x = llt_objpool_get(p);
		llt_objpool_put(p, (void *)x);
		x[20] = 1;                      /* ASan must stop us here */
		_exit(0);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(!(WIFEXITED(st) && WEXITSTATUS(st) == 0), "use after put was not caught");
}

START_TEST(asan_use_after_put)
{
	use_after_put(0);
	use_after_put(LLT_OBJPOOL_THREADSAFE);
	use_after_put(USE_HANDLE);
	use_after_put(LLT_OBJPOOL_THREADSAFE | USE_HANDLE);
}
END_TEST
#endif

int main(void)
{
	Suite *s = suite_create("objpool");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bad_inputs);
	tcase_add_loop_test(tc, model_single, 0, 24);
	tcase_add_loop_test(tc, model_threadsafe, 0, 24);
	tcase_add_loop_test(tc, model_cache_handle, 0, 24);
	tcase_add_test(tc, exhaustion_and_growth);
	tcase_add_test(tc, cache_handle_exhaustion);
	tcase_add_test(tc, constructor_and_options);
	tcase_add_test(tc, many_pools);
#if defined(LLT_DEBUG) && LLT_DEBUG
	tcase_add_test(tc, debug_detects);
#endif
#ifdef LLT_TEST_ASAN
	tcase_add_test(tc, asan_use_after_put);
#endif
	suite_add_tcase(s, tc);
	TCase *tt = tcase_create("threads");
	tcase_set_timeout(tt, 120);
	tcase_add_test(tt, threads_2);
	tcase_add_test(tt, threads_4);
	tcase_add_test(tt, threads_8);
	tcase_add_test(tt, threads_handle_2);
	tcase_add_test(tt, threads_handle_4);
	tcase_add_test(tt, cache_outlives_pool);
	suite_add_tcase(s, tt);
	return llt_test_run(s);
}
