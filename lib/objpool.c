/* llt/objpool: block mapping, growth, the shared lock-free stack, the
 * per-thread caches and the debug checks.  The fast paths are inline in
 * <llt/bits/objpool_impl.h>. */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <llt/objpool.h>

/* ASan annotations of the library's own code (see objpool_impl.h). */
#define POISON(p, n) LLT_OBJPOOL_IMPL_POISON(p, n)
#define UNPOISON(p, n) LLT_OBJPOOL_IMPL_UNPOISON(p, n)

#define NIL UINT32_C(0xffffffff)
#define DEFAULT_ALIGN 16
#define DEFAULT_CACHE 32
#define HUGE_PAGE (2u << 20)
#define DEBUG_FILL 0xa5

/* Debug state of an object. */
enum { ST_USED = 0, ST_FRESH = 1, ST_FREED = 2 };

/* A block is one mapping whose base is aligned to the pool's span (a power
 * of two at least as large as the mapping), so the block of any object is
 * found by masking its address.  The header holds the side arrays. */
struct block {
	struct pool *pool;
	uint32_t no;            /* block number: high bits of an object index */
	uint32_t nobj;
	char *first;            /* first object */
	char *end;              /* one past the last object */
	size_t map_size;
	bool hugetlb;
	uint32_t *next;         /* thread-safe: next index of each free object */
	uint8_t *state;         /* debug: ST_* of each object */
};

struct pool {
	struct llt_objpool pub;         /* first: the inline functions' view */

	/* Thread-safe mode: the shared stack.  head = tag << 32 | index. */
	LLT_PADDED uint64_t head;
	LLT_PADDED size_t out;          /* objects outside the shared stack */
	size_t high_water;
	uint64_t failed;
	uint64_t errors;
	int last_error;

	/* Single-threaded mode: objects never handed out yet. */
	char *bump;
	char *bump_end;
	size_t touched;

	size_t obj_size, align, stride, per_block, max_blocks, span, hdr;
	unsigned obj_bits;
	unsigned batch;
	unsigned flags;                 /* effective */
	int mlock_error;
	uint32_t nblocks;               /* published with release */
	struct block **blocks;          /* max_blocks entries, never moved */
	pthread_mutex_t grow_lock;
	llt_objpool_ctor_fn *ctor;
	void *ctor_arg;
	llt_objpool_error_fn *on_error;
	void *error_arg;
	/* llt_objpool_cache() of a pool without a per-thread cache. */
	struct llt_objpool_impl_mag passthrough;
};

static struct pool *P(struct llt_objpool *p) { return (struct pool *)(void *)p; }
static const struct pool *CP(const struct llt_objpool *p) { return (const struct pool *)(const void *)p; }

/* ------------------------------------------------------------ indices */

static struct block *block_of_index(struct pool *p, uint32_t idx)
{
	/* acquire: pairs with the release store in add_block, so the block's
	 * header is visible to a thread that learnt one of its indices. */
	return __atomic_load_n(&p->blocks[idx >> p->obj_bits], __ATOMIC_ACQUIRE);
}

static void *ptr_of(struct pool *p, uint32_t idx)
{
	struct block *b = block_of_index(p, idx);
	return b->first + (size_t)(idx & ((UINT32_C(1) << p->obj_bits) - 1)) * p->stride;
}

static uint32_t *next_of(struct pool *p, uint32_t idx)
{
	struct block *b = block_of_index(p, idx);
	return &b->next[idx & ((UINT32_C(1) << p->obj_bits) - 1)];
}

static uint32_t index_of(struct pool *p, void *obj)
{
	struct block *b = (struct block *)((uintptr_t)obj & ~(uintptr_t)(p->span - 1));
	uint32_t i = (uint32_t)((size_t)((char *)obj - b->first) / p->stride);
	return (b->no << p->obj_bits) | i;
}

/* ------------------------------------------------------- shared stack
 *
 * A Treiber stack (R. K. Treiber, "Systems Programming: Coping with
 * Parallelism", IBM RJ 5118, 1986) of 32-bit object indices.  A plain
 * compare-and-swap on the top of a lock-free stack suffers from ABA: a
 * thread reads top = A and next = B, is delayed while others pop A, pop B
 * and push A back, and its CAS(top: A -> B) then succeeds and installs B,
 * which is in use.  The cure is the IBM System/370 one (Principles of
 * Operation, CDS appendix): pair the top with a counter in one word that
 * every successful operation increments.  Here head = tag << 32 | index,
 * swapped as one 64-bit word, so the delayed CAS sees a different tag and
 * fails.  It can only be fooled if the tag wraps (2^32 operations) exactly
 * while one thread sits between its load and its CAS.
 *
 * Because every successful push and pop changes the tag, an unchanged head
 * means an unchanged stack: pop may walk several links and detach a whole
 * chain with one CAS, and push may attach a chain with one CAS.  The next
 * links live in side arrays in the block headers (never in the objects,
 * which belong to their users the moment they are popped), and blocks are
 * never unmapped while the pool lives, so reading a stale link is harmless:
 * the CAS then fails and the walk is redone. */

static void stack_push_chain(struct pool *p, uint32_t first, uint32_t last)
{
	uint64_t old = __atomic_load_n(&p->head, __ATOMIC_RELAXED);
	for (;;) {
		/* release: pairs with the acquire loads of the link in
		 * stack_pop_chain (walkers must see a valid index). */
		__atomic_store_n(next_of(p, last), (uint32_t)old, __ATOMIC_RELEASE);
		uint64_t nw = ((((old >> 32) + 1) & 0xffffffffu) << 32) | first;
		/* release: pairs with the acquire load/CAS in stack_pop_chain,
		 * so the putter's writes to the objects and their links happen
		 * before the getter's reads. */
		if (__atomic_compare_exchange_n(&p->head, &old, nw, true,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	}
}

static unsigned stack_pop_chain(struct pool *p, void **out, unsigned want)
{
	/* acquire: pairs with the release CAS in stack_push_chain. */
	uint64_t old = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE);
	for (;;) {
		uint32_t idx = (uint32_t)old;
		unsigned n = 0;
		while (idx != NIL && n < want) {
			out[n++] = ptr_of(p, idx);
			/* acquire: pairs with the release store of the link. */
			idx = __atomic_load_n(next_of(p, idx), __ATOMIC_ACQUIRE);
		}
		if (n == 0)
			return 0;
		uint64_t nw = ((((old >> 32) + 1) & 0xffffffffu) << 32) | idx;
		/* acquire on success and failure: as the load above. */
		if (__atomic_compare_exchange_n(&p->head, &old, nw, true,
						__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
			return n;
	}
}

/* Push objs[0..n-1] as one chain. */
static void stack_push_objs(struct pool *p, void *const *objs, unsigned n)
{
	if (n == 0)
		return;
	uint32_t first = index_of(p, objs[0]), prev = first;
	for (unsigned i = 1; i < n; i++) {
		uint32_t idx = index_of(p, objs[i]);
		/* release: the chain is published by the CAS; this only keeps
		 * walkers that read a stale head from seeing an unsynchronised
		 * index (pairs with the acquire link load in stack_pop_chain). */
		__atomic_store_n(next_of(p, prev), idx, __ATOMIC_RELEASE);
		prev = idx;
	}
	/* relaxed: statistics only. */
	__atomic_fetch_sub(&p->out, n, __ATOMIC_RELAXED);
	stack_push_chain(p, first, prev);
}

static void note_out(struct pool *p, unsigned n)
{
	/* relaxed: statistics only. */
	size_t now = __atomic_add_fetch(&p->out, n, __ATOMIC_RELAXED);
	size_t hw = __atomic_load_n(&p->high_water, __ATOMIC_RELAXED);
	while (now > hw && !__atomic_compare_exchange_n(&p->high_water, &hw, now, true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* ----------------------------------------------------- block mapping */

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (size_t)ps : 4096;
}

static size_t round_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* Map size bytes at an address aligned to span (a power of two), with
 * huge pages if asked.  Returns NULL on failure. */
static void *map_aligned(size_t size, size_t span, bool huge, bool *got_huge)
{
	*got_huge = false;
	if (size > SIZE_MAX - span)
		return NULL;
	size_t len = size + span;
	char *m = MAP_FAILED;
#ifdef MAP_HUGETLB
	if (huge && size % HUGE_PAGE == 0 && span >= HUGE_PAGE) {
		m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (m != MAP_FAILED)
			*got_huge = true;
	}
#endif
	if (m == MAP_FAILED)
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	char *a = (char *)(((uintptr_t)m + span - 1) & ~(uintptr_t)(span - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (m + len > a + size)
		munmap(a + size, (size_t)(m + len - (a + size)));
#ifdef MADV_HUGEPAGE
	if (huge && !*got_huge)
		madvise(a, size, MADV_HUGEPAGE);
#endif
	return a;
}

/* Map, construct and publish one more block.  Called at create and with
 * grow_lock held.  Returns 0 or -errno. */
static int add_block(struct pool *p)
{
	uint32_t no = p->nblocks;
	if (no >= p->max_blocks)
		return -ENOMEM;
	size_t size = p->hdr + p->per_block * p->stride;
	bool huge = (p->flags & LLT_OBJPOOL_HUGEPAGES) != 0;
	if (huge)
		size = round_up(size, HUGE_PAGE);
	else
		size = round_up(size, page_size());
	bool got_huge;
	char *base = map_aligned(size, p->span, huge, &got_huge);
	if (!base)
		return -ENOMEM;
	if (no == 0 && !got_huge)
		p->flags &= ~LLT_OBJPOOL_HUGEPAGES;
	if (p->flags & (LLT_OBJPOOL_PREFAULT | LLT_OBJPOOL_MLOCK | LLT_OBJPOOL_MLOCK_STRICT)) {
		size_t ps = page_size();
		for (size_t off = 0; off < size; off += ps)
			((volatile char *)base)[off] = 0;
	}
	if (p->flags & (LLT_OBJPOOL_MLOCK | LLT_OBJPOOL_MLOCK_STRICT)) {
		if (mlock(base, size) != 0) {
			int e = errno;
			if (p->flags & LLT_OBJPOOL_MLOCK_STRICT) {
				munmap(base, size);
				return -e;
			}
			p->flags &= ~LLT_OBJPOOL_MLOCK;
			p->mlock_error = e;
		}
	}
	struct block *b = (struct block *)(void *)base;
	b->pool = p;
	b->no = no;
	b->nobj = (uint32_t)p->per_block;
	b->first = base + p->hdr;
	b->end = b->first + p->per_block * p->stride;
	b->map_size = size;
	b->hugetlb = got_huge;
	b->next = (uint32_t *)(void *)(base + round_up(sizeof *b, 8));
	b->state = (uint8_t *)(b->next + p->per_block);
	memset(b->state, ST_FRESH, p->per_block);
	if (p->ctor)
		for (size_t i = 0; i < p->per_block; i++)
			p->ctor(b->first + i * p->stride, p->ctor_arg);
	/* Every free object is poisoned (the inline get unpoisons). */
	POISON(b->first, p->per_block * p->stride);
	/* release: pairs with the acquire loads in block_of_index and
	 * llt_objpool_owns. */
	__atomic_store_n(&p->blocks[no], b, __ATOMIC_RELEASE);
	__atomic_store_n(&p->nblocks, no + 1, __ATOMIC_RELEASE);

	if (p->pub.impl_flags & LLT_OBJPOOL_THREADSAFE) {
		uint32_t base_idx = no << p->obj_bits;
		for (uint32_t i = 0; i + 1 < p->per_block; i++)
			__atomic_store_n(&b->next[i], base_idx + i + 1, __ATOMIC_RELAXED);
		/* New objects were never out: push the chain directly, without
		 * the statistics update of stack_push_objs. */
		stack_push_chain(p, base_idx, base_idx + (uint32_t)p->per_block - 1);
	} else {
		p->bump = b->first;
		p->bump_end = b->end;
	}
	return 0;
}

/* --------------------------------------------------- per-thread caches */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct pool *pool;
	uint64_t key;
} reg[LLT_OBJPOOL_IMPL_SLOTS];
static uint64_t reg_gen;
static pthread_key_t tc_key;
static pthread_once_t tc_once = PTHREAD_ONCE_INIT;
static bool tc_key_ok;

/* Every thread starts on tc_none, a table whose keys (0) match no pool,
 * so the inline fast paths need no NULL test: they fail the key check and
 * the slow path gives the thread a table of its own (tc_self).  Never
 * written. */
static struct llt_objpool_impl_tcache tc_none;
LLT_API __thread struct llt_objpool_impl_tcache *llt_objpool_impl_tc
	__attribute__((tls_model("initial-exec"))) = &tc_none;

/* The number of objects in cache m if it belongs to the pool whose
 * impl_key is key, else -1. */
static int mag_count(const struct llt_objpool_impl_mag *m, uint64_t key)
{
	uint64_t d = m->key - key;
	return d <= LLT_OBJPOOL_IMPL_MAG ? (int)d : -1;
}

/* Thread exit: what the thread still caches goes back to the shared stack
 * of its pool, if that pool still exists (reg_lock keeps it from being
 * freed meanwhile). */
static void tc_destroy(void *arg)
{
	struct llt_objpool_impl_tcache *tc = arg;
	pthread_mutex_lock(&reg_lock);
	for (unsigned s = 0; s < LLT_OBJPOOL_IMPL_SLOTS; s++) {
		struct llt_objpool_impl_mag *m = &tc->mag[s];
		int n = reg[s].pool ? mag_count(m, reg[s].key) : -1;
		if (n > 0)
			stack_push_objs(reg[s].pool, m->obj, (unsigned)n);
		m->key = 0;
	}
	pthread_mutex_unlock(&reg_lock);
	llt_objpool_impl_tc = &tc_none;
	free(tc);
}

static void tc_key_init(void)
{
	tc_key_ok = pthread_key_create(&tc_key, tc_destroy) == 0;
}

/* The calling thread's cache table, created on first use; NULL if memory
 * or a thread key is lacking (the pool then works without a cache). */
static struct llt_objpool_impl_tcache *tc_self(void)
{
	struct llt_objpool_impl_tcache *tc = llt_objpool_impl_tc;
	if (tc != &tc_none)
		return tc;
	pthread_once(&tc_once, tc_key_init);
	if (!tc_key_ok)
		return NULL;
	tc = calloc(1, sizeof *tc);
	if (!tc)
		return NULL;
	if (pthread_setspecific(tc_key, tc) != 0) {
		free(tc);
		return NULL;
	}
	llt_objpool_impl_tc = tc;
	return tc;
}

/* The cache of pool p in this thread, reset if it belonged to a freed
 * pool that had the same slot; NULL if p has no slot. */
static struct llt_objpool_impl_mag *mag_self(struct pool *p)
{
	if (p->pub.impl_slot >= LLT_OBJPOOL_IMPL_SLOTS)
		return NULL;
	struct llt_objpool_impl_tcache *tc = tc_self();
	if (!tc)
		return NULL;
	struct llt_objpool_impl_mag *m = &tc->mag[p->pub.impl_slot];
	if (mag_count(m, p->pub.impl_key) < 0) {
		/* Empty, and now this pool's; pool and max for the handle's
		 * fast paths (llt_objpool_cache_get/put). */
		m->pool = &p->pub;
		m->max = p->pub.impl_cache_max;
		m->key = p->pub.impl_key;
	}
	return m;
}

/* ------------------------------------------------------------ slow paths */

static int grow(struct pool *p, uint32_t seen_blocks)
{
	if (!(p->pub.impl_flags & LLT_OBJPOOL_GROW))
		return -ENOMEM;
	pthread_mutex_lock(&p->grow_lock);
	int rc = 0;
	/* Another thread may have grown the pool while we waited. */
	if (__atomic_load_n(&p->nblocks, __ATOMIC_ACQUIRE) == seen_blocks)
		rc = add_block(p);
	pthread_mutex_unlock(&p->grow_lock);
	return rc;
}

static void *st_get_slow(struct pool *p)
{
	for (;;) {
		if (p->bump < p->bump_end) {
			void *obj = p->bump;
			p->bump += p->stride;
			p->touched++;
			UNPOISON(obj, p->stride);
			return obj;
		}
		if (grow(p, p->nblocks) != 0) {
			p->failed++;
			return NULL;
		}
	}
}

static void *ts_get_slow(struct pool *p)
{
	struct llt_objpool_impl_mag *m = mag_self(p);
	for (;;) {
		uint32_t seen = __atomic_load_n(&p->nblocks, __ATOMIC_ACQUIRE);
		if (m) {
			unsigned n = (unsigned)mag_count(m, p->pub.impl_key);
			if (n == 0) {
				n = stack_pop_chain(p, m->obj, p->batch);
				if (n)
					note_out(p, n);
			}
			if (n) {
				void *obj = m->obj[--n];
				m->key = p->pub.impl_key + n;
				UNPOISON(obj, p->stride);
				return obj;
			}
		} else {
			void *obj;
			if (stack_pop_chain(p, &obj, 1)) {
				note_out(p, 1);
				UNPOISON(obj, p->stride);
				return obj;
			}
		}
		if (grow(p, seen) != 0) {
			/* relaxed: statistics only. */
			__atomic_fetch_add(&p->failed, 1, __ATOMIC_RELAXED);
			return NULL;
		}
	}
}

void *llt_objpool_impl_get_slow(struct llt_objpool *pool)
{
	struct pool *p = P(pool);
	if (!(pool->impl_flags & LLT_OBJPOOL_THREADSAFE)) {
		/* Also the path of the inline fast path of a debug build. */
		void *obj = pool->impl_free;
		if (obj != LLT_OBJPOOL_IMPL_END) {
			UNPOISON(obj, p->stride);
			pool->impl_free = *(void **)obj;
			return obj;
		}
		return st_get_slow(p);
	}
	return ts_get_slow(p);
}

static void put_raw(struct pool *p, void *obj)
{
	if (!(p->pub.impl_flags & LLT_OBJPOOL_THREADSAFE)) {
		*(void **)obj = p->pub.impl_free;
		p->pub.impl_free = obj;
		POISON(obj, p->stride);
		return;
	}
	POISON(obj, p->stride);
	struct llt_objpool_impl_mag *m = mag_self(p);
	if (!m) {
		stack_push_objs(p, &obj, 1);
		return;
	}
	unsigned n = (unsigned)mag_count(m, p->pub.impl_key);
	if (n >= p->pub.impl_cache_max) {
		/* Return the older half; keep the recently used (cache-hot) ones. */
		unsigned half = n / 2;
		stack_push_objs(p, m->obj, half);
		memmove(m->obj, m->obj + half, (n - half) * sizeof m->obj[0]);
		n -= half;
	}
	m->obj[n++] = obj;
	m->key = p->pub.impl_key + n;
}

void llt_objpool_impl_put_slow(struct llt_objpool *pool, void *obj)
{
	put_raw(P(pool), obj);
}

struct llt_objpool_cache *llt_objpool_cache(struct llt_objpool *pool)
{
	if (!pool)
		return NULL;
	struct pool *p = P(pool);
	struct llt_objpool_impl_mag *m = NULL;
	if (pool->impl_flags & LLT_OBJPOOL_THREADSAFE)
		m = mag_self(p);
	/* No cache (a single-threaded pool, a thread-safe pool without a
	 * slot, or no memory for the thread's table): the pool's
	 * pass-through handle, count 0 and max 0, so every call takes the
	 * slow path of llt_objpool_get/put.  Never written. */
	if (!m)
		m = &p->passthrough;
	return (struct llt_objpool_cache *)m;
}

void llt_objpool_flush(struct llt_objpool *pool)
{
	struct pool *p = P(pool);
	if (!pool || !(pool->impl_flags & LLT_OBJPOOL_THREADSAFE))
		return;
	if (pool->impl_slot >= LLT_OBJPOOL_IMPL_SLOTS || llt_objpool_impl_tc == &tc_none)
		return;
	struct llt_objpool_impl_mag *m = &llt_objpool_impl_tc->mag[pool->impl_slot];
	int n = mag_count(m, pool->impl_key);
	if (n <= 0)
		return;
	stack_push_objs(p, m->obj, (unsigned)n);
	m->key = pool->impl_key;
}

/* --------------------------------------------------------------- debug */

/* The block holding obj as an object start, or NULL: a scan of the block
 * table that never dereferences obj. */
static struct block *find_block(const struct pool *p, const void *obj)
{
	uint32_t n = __atomic_load_n(&p->nblocks, __ATOMIC_ACQUIRE);
	const char *c = obj;
	for (uint32_t k = 0; k < n; k++) {
		struct block *b = __atomic_load_n(&p->blocks[k], __ATOMIC_ACQUIRE);
		if (c >= b->first && c < b->end && (size_t)(c - b->first) % p->stride == 0)
			return b;
	}
	return NULL;
}

static void report(struct pool *p, int err, void *obj)
{
	/* relaxed: statistics and a diagnostic value. */
	__atomic_fetch_add(&p->errors, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&p->last_error, err, __ATOMIC_RELAXED);
	if (p->on_error)
		p->on_error(&p->pub, err, obj, p->error_arg);
}

static size_t link_bytes(const struct pool *p)
{
	return (p->pub.impl_flags & LLT_OBJPOOL_THREADSAFE) ? 0 : sizeof(void *);
}

void *llt_objpool_impl_get_debug(struct llt_objpool *pool)
{
	struct pool *p = P(pool);
	void *obj = llt_objpool_impl_get_slow(pool);
	if (!obj)
		return NULL;
	struct block *b = find_block(p, obj);
	LLT_ASSERT(b != NULL);
	if (!b)
		return obj;
	size_t i = (size_t)((char *)obj - b->first) / p->stride;
	uint8_t st = __atomic_exchange_n(&b->state[i], (uint8_t)ST_USED, __ATOMIC_RELAXED);
	if (st == ST_FREED && !p->ctor) {
		const unsigned char *c = obj;
		for (size_t k = link_bytes(p); k < p->obj_size; k++)
			if (c[k] != DEBUG_FILL) {
				report(p, LLT_OBJPOOL_ERR_MODIFIED, obj);
				break;
			}
	}
	return obj;
}

void llt_objpool_impl_put_debug(struct llt_objpool *pool, void *obj)
{
	struct pool *p = P(pool);
	struct block *b = find_block(p, obj);
	if (!b) {
		report(p, LLT_OBJPOOL_ERR_FOREIGN, obj);
		return;
	}
	size_t i = (size_t)((char *)obj - b->first) / p->stride;
	/* relaxed: the state is a diagnostic; the object's hand-over is
	 * ordered by the stack and the caches as in release builds. */
	uint8_t st = __atomic_exchange_n(&b->state[i], (uint8_t)ST_FREED, __ATOMIC_RELAXED);
	if (st != ST_USED) {
		if (st == ST_FRESH)
			__atomic_store_n(&b->state[i], st, __ATOMIC_RELAXED);
		report(p, LLT_OBJPOOL_ERR_DOUBLE_PUT, obj);
		return;
	}
	if (!p->ctor && p->obj_size > link_bytes(p))
		memset((char *)obj + link_bytes(p), DEBUG_FILL, p->obj_size - link_bytes(p));
	put_raw(p, obj);
}

/* ------------------------------------------------------------ set-up */

/* Byte offset of slot s's cache in a thread's table (impl_mag_off). */
static size_t mag_off(unsigned s)
{
	return offsetof(struct llt_objpool_impl_tcache, mag) + s * sizeof(struct llt_objpool_impl_mag);
}

static unsigned ceil_log2(size_t x)
{
	unsigned b = 0;
	while (((size_t)1 << b) < x)
		b++;
	return b;
}

int llt_objpool_create(struct llt_objpool **out, const struct llt_objpool_opts *o)
{
	if (!out || !o)
		return -EINVAL;
	const unsigned known = LLT_OBJPOOL_THREADSAFE | LLT_OBJPOOL_GROW | LLT_OBJPOOL_PREFAULT |
			       LLT_OBJPOOL_MLOCK | LLT_OBJPOOL_MLOCK_STRICT | LLT_OBJPOOL_HUGEPAGES;
	size_t ps = page_size();
	size_t align = o->align ? o->align : DEFAULT_ALIGN;
	if (o->flags & ~known || o->obj_size == 0 || o->capacity == 0 ||
	    (align & (align - 1)) != 0 || align > ps || o->cache_size > LLT_OBJPOOL_IMPL_MAG ||
	    o->obj_size > ((size_t)1 << 40) || o->capacity > ((size_t)1 << 30))
		return -EINVAL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	size_t stride = round_up(o->obj_size, align);
	if (stride < sizeof(void *))
		stride = sizeof(void *);
	unsigned obj_bits = ceil_log2(o->capacity);
	size_t max_blocks = (size_t)1 << (31 - obj_bits);
	if (!(o->flags & LLT_OBJPOOL_GROW))
		max_blocks = 1;
	else if (o->max_blocks && o->max_blocks < max_blocks)
		max_blocks = o->max_blocks;
	else if (o->max_blocks > max_blocks)
		return -EINVAL;
	if (max_blocks > 65536)
		max_blocks = 65536;
	size_t hdr = round_up(round_up(sizeof(struct block), 8) + o->capacity * 5, align > 64 ? align : 64);
	if (o->capacity > (((size_t)1 << 46) - hdr) / stride)
		return -EINVAL;  /* a block larger than 64 TiB */
	size_t size = hdr + o->capacity * stride;
	if (o->flags & LLT_OBJPOOL_HUGEPAGES)
		size = round_up(size, HUGE_PAGE);
	size_t span = (size_t)1 << ceil_log2(size);

	struct pool *p;
	if (posix_memalign((void **)&p, LLT_PAD_SIZE, sizeof *p) != 0)
		return -ENOMEM;
	memset(p, 0, sizeof *p);
	p->blocks = calloc(max_blocks, sizeof *p->blocks);
	if (!p->blocks) {
		free(p);
		return -ENOMEM;
	}
	p->obj_size = o->obj_size;
	p->align = align;
	p->stride = stride;
	p->per_block = o->capacity;
	p->max_blocks = max_blocks;
	p->span = span;
	p->hdr = hdr;
	p->obj_bits = obj_bits;
	p->flags = o->flags;
	p->ctor = o->ctor;
	p->ctor_arg = o->ctor_arg;
	p->on_error = o->on_error;
	p->error_arg = o->error_arg;
	p->head = NIL;
	p->passthrough.pool = &p->pub;  /* key 0, max 0: always the slow path */
	pthread_mutex_init(&p->grow_lock, NULL);
	p->pub.impl_flags = o->flags & (LLT_OBJPOOL_THREADSAFE | LLT_OBJPOOL_GROW);
	p->pub.impl_stride = stride;
	p->pub.impl_cache_max = o->cache_size ? o->cache_size : DEFAULT_CACHE;
	p->pub.impl_slot = LLT_OBJPOOL_IMPL_SLOTS;
	p->pub.impl_mag_off = mag_off(LLT_OBJPOOL_IMPL_SLOTS);
	/* Single-threaded: an empty list (see LLT_OBJPOOL_IMPL_END);
	 * thread-safe: NULL, which sends the inline functions to the cache. */
	if (!(o->flags & LLT_OBJPOOL_THREADSAFE))
		p->pub.impl_free = LLT_OBJPOOL_IMPL_END;
	p->batch = (p->pub.impl_cache_max + 1) / 2;

	if (o->flags & LLT_OBJPOOL_THREADSAFE) {
		pthread_mutex_lock(&reg_lock);
		/* The generation in the high bits, the count of a cache in
		 * the low LLT_OBJPOOL_IMPL_KEY_SHIFT bits (see the header). */
		p->pub.impl_key = ++reg_gen << LLT_OBJPOOL_IMPL_KEY_SHIFT;
		for (unsigned s = 0; s < LLT_OBJPOOL_IMPL_SLOTS; s++)
			if (!reg[s].pool) {
				reg[s].pool = p;
				reg[s].key = p->pub.impl_key;
				p->pub.impl_slot = s;
				p->pub.impl_mag_off = mag_off(s);
				break;
			}
		pthread_mutex_unlock(&reg_lock);
	}
	int rc = add_block(p);
	if (rc != 0) {
		llt_objpool_free(&p->pub);
		return rc;
	}
	*out = &p->pub;
	return 0;
}

void llt_objpool_free(struct llt_objpool *pool)
{
	if (!pool)
		return;
	struct pool *p = P(pool);
	if (pool->impl_flags & LLT_OBJPOOL_THREADSAFE) {
		pthread_mutex_lock(&reg_lock);
		if (pool->impl_slot < LLT_OBJPOOL_IMPL_SLOTS)
			reg[pool->impl_slot].pool = NULL;
		pthread_mutex_unlock(&reg_lock);
		/* This thread's cache is dropped now; other threads' caches
		 * see a different generation on their next use. */
		if (llt_objpool_impl_tc != &tc_none && pool->impl_slot < LLT_OBJPOOL_IMPL_SLOTS) {
			struct llt_objpool_impl_mag *m = &llt_objpool_impl_tc->mag[pool->impl_slot];
			if (mag_count(m, pool->impl_key) >= 0)
				m->key = 0;
		}
	}
	for (uint32_t k = 0; k < p->nblocks; k++) {
		struct block *b = p->blocks[k];
		size_t sz = b->map_size;
		UNPOISON(b, sz);
		munmap(b, sz);
	}
	pthread_mutex_destroy(&p->grow_lock);
	free(p->blocks);
	free(p);
}

/* Length of a single-threaded pool's free list.  The links live in
 * poisoned objects: each is unpoisoned for the read and poisoned again. */
static size_t st_free_count(const struct pool *p)
{
	size_t n = 0;
	for (void *o = p->pub.impl_free; o != LLT_OBJPOOL_IMPL_END; n++) {
		UNPOISON(o, sizeof(void *));
		void *next = *(void **)o;
		POISON(o, sizeof(void *));
		o = next;
	}
	return n;
}

int llt_objpool_stats(const struct llt_objpool *pool, struct llt_objpool_stats *s)
{
	if (!pool || !s)
		return -EINVAL;
	const struct pool *p = CP(pool);
	memset(s, 0, sizeof *s);
	s->obj_size = p->obj_size;
	s->stride = p->stride;
	uint32_t nb = __atomic_load_n(&p->nblocks, __ATOMIC_ACQUIRE);
	s->blocks = nb;
	s->capacity = (size_t)nb * p->per_block;
	if (pool->impl_flags & LLT_OBJPOOL_THREADSAFE) {
		/* relaxed: statistics only. */
		s->in_use = __atomic_load_n(&p->out, __ATOMIC_RELAXED);
		s->high_water = __atomic_load_n(&p->high_water, __ATOMIC_RELAXED);
		s->failed_gets = __atomic_load_n(&p->failed, __ATOMIC_RELAXED);
	} else {
		/* Not counted on the fast path: every object touched so far,
		 * less those on the free list (a walk of it). */
		s->in_use = p->touched - st_free_count(p);
		s->high_water = p->touched;
		s->failed_gets = p->failed;
	}
	s->errors = __atomic_load_n(&p->errors, __ATOMIC_RELAXED);
	s->flags = p->flags;
	s->mlock_error = p->mlock_error;
	return 0;
}

int llt_objpool_last_error(const struct llt_objpool *pool)
{
	if (!pool)
		return -EINVAL;
	/* relaxed: a diagnostic value. */
	return __atomic_load_n(&CP(pool)->last_error, __ATOMIC_RELAXED);
}

bool llt_objpool_owns(const struct llt_objpool *pool, const void *obj)
{
	return pool && obj && find_block(CP(pool), obj) != NULL;
}
