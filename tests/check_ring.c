/* check_ring: the wait-free SPSC ring (llt/ring.h).
 *
 * Exactly-once, in-order delivery through two pinned threads with random
 * pauses on both sides, for 8-byte and 40-byte elements, single, bulk and
 * zero-copy, and all three mixed; the 64-bit position wrap-around; capacities 1, 2, 3 and 1024;
 * bad input (-EINVAL, nothing changed); and a ring in a MAP_SHARED mapping
 * between a parent and a forked child.
 *
 * LLT_TEST_SCALE (default 1, or 0.05 under ThreadSanitizer) scales the
 * item counts. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llt/cpu.h>
#include <llt/ring.h>
#include "testutil.h"

#if defined(__SANITIZE_THREAD__)
#  define UNDER_TSAN 1
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define UNDER_TSAN 1
#  endif
#endif
#ifndef UNDER_TSAN
#  define UNDER_TSAN 0
#endif

static double scale(void)
{
	const char *s = getenv("LLT_TEST_SCALE");
	double v = s && *s ? strtod(s, NULL) : (UNDER_TSAN ? 0.05 : 1.0);
	return v > 0 ? v : 1.0;
}

static uint64_t scaled(uint64_t n)
{
	uint64_t v = (uint64_t)((double)n * scale());
	return v < 1000 ? 1000 : v;
}

/* xorshift64*: cheap per-thread randomness. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* A random pause now and then: mostly none, sometimes a few hundred spins. */
static void maybe_pause(uint64_t *s)
{
	uint64_t r = rnd(s);
	if ((r & 255) == 0) {
		unsigned n = (unsigned)((r >> 8) & 1023);
		for (unsigned i = 0; i < n; i++)
			llt_cpu_relax();
	}
}

/* Waiting for the other side: spin, and yield now and then so the test
 * also progresses when both threads share a CPU. */
static void backoff(unsigned *spins)
{
	if (++*spins % 256 == 0)
		sched_yield();
	else
		llt_cpu_relax();
}

static void pin(int cpu)
{
	if (llt_cpu_is_allowed(0) && llt_cpu_is_allowed(1))
		llt_cpu_pin(cpu);
}

static struct llt_ring *mk(size_t cap, size_t esize)
{
	struct llt_ring *r = NULL;
	ck_assert_int_eq(llt_ring_create(cap, esize, &r), 0);
	ck_assert_ptr_nonnull(r);
	return r;
}

static struct llt_ring *mk_at(size_t cap, size_t esize, uint64_t start)
{
	size_t sz = llt_ring_memsize(cap, esize);
	void *mem = NULL;
	ck_assert_uint_gt(sz, 0);
	ck_assert_int_eq(posix_memalign(&mem, LLT_PAD_SIZE, sz), 0);
	ck_assert_int_eq(llt_ring_impl_init_at((struct llt_ring *)mem, cap, esize, start), 0);
	return (struct llt_ring *)mem;
}

/* ------------------------------------------------------------- set-up */

START_TEST(test_bad_input)
{
	enum { SZ = 1 << 16 };
	unsigned char *mem = NULL, *copy = malloc(SZ);
	struct llt_ring *r, *out;
	ck_assert_int_eq(posix_memalign((void **)&mem, LLT_PAD_SIZE, SZ), 0);
	memset(mem, 0xa5, SZ);
	memcpy(copy, mem, SZ);
	r = (struct llt_ring *)mem;

	ck_assert_uint_eq(llt_ring_memsize(0, 8), 0);
	ck_assert_uint_eq(llt_ring_memsize(8, 0), 0);
	ck_assert_uint_eq(llt_ring_memsize(8, LLT_RING_ELEM_MAX + 1), 0);
	ck_assert_uint_eq(llt_ring_memsize(SIZE_MAX, 8), 0);
	ck_assert_uint_eq(llt_ring_memsize(SIZE_MAX / 2, 8), 0);
	ck_assert_uint_eq(llt_ring_memsize(((size_t)1 << 62) + 1, 8), 0);
	ck_assert_uint_gt(llt_ring_memsize(8, LLT_RING_ELEM_MAX), 0);

	ck_assert_int_eq(llt_ring_init(r, 0, 8), -EINVAL);
	ck_assert_int_eq(llt_ring_init(r, 8, 0), -EINVAL);
	ck_assert_int_eq(llt_ring_init(r, 8, LLT_RING_ELEM_MAX + 1), -EINVAL);
	ck_assert_int_eq(llt_ring_init(r, SIZE_MAX, 8), -EINVAL);
	ck_assert_int_eq(llt_ring_init(r, SIZE_MAX / 2 + 1, 1), -EINVAL);
	ck_assert_int_eq(llt_ring_init(NULL, 8, 8), -EINVAL);
	/* Misaligned by less than LLT_PAD_SIZE. */
	for (size_t off = 8; off < LLT_PAD_SIZE; off += 8)
		ck_assert_int_eq(llt_ring_init((struct llt_ring *)(mem + off), 8, 8), -EINVAL);
	ck_assert_int_eq(llt_ring_impl_init_at(r, 0, 8, 5), -EINVAL);
	ck_assert(memcmp(mem, copy, SZ) == 0);

	out = (struct llt_ring *)(uintptr_t)0x1234;
	ck_assert_int_eq(llt_ring_create(0, 8, &out), -EINVAL);
	ck_assert_int_eq(llt_ring_create(8, 0, &out), -EINVAL);
	ck_assert_int_eq(llt_ring_create(SIZE_MAX, 8, &out), -EINVAL);
	ck_assert_ptr_eq(out, (struct llt_ring *)(uintptr_t)0x1234);
	ck_assert_int_eq(llt_ring_create(8, 8, NULL), -EINVAL);

	/* A good init on the same memory works, and memsize fits it. */
	ck_assert_uint_le(llt_ring_memsize(64, 8), SZ);
	ck_assert_int_eq(llt_ring_init(r, 64, 8), 0);
	ck_assert_uint_ge(llt_ring_capacity(r), 64);
	llt_ring_destroy(r);
	llt_ring_free(NULL);
	free(mem);
	free(copy);
}
END_TEST

static const size_t caps[] = {1, 2, 3, 5, 1024};

/* Slots of 8-byte elements per group (a cache line less the group's two
 * words): a push may succeed for up to PER - 1 elements beyond the
 * capacity, since slots go back to the producer a group at a time. */
#define PER ((LLT_CACHELINE_SIZE - 8) / 8)

/* Fill to capacity and beyond, check full, drain in order; several laps. */
START_TEST(test_capacity)
{
	size_t req = caps[_i];
	struct llt_ring *r = mk(req, 8);
	size_t cap = llt_ring_capacity(r);
	uint64_t next = 1, want = 1, v;

	ck_assert_uint_ge(cap, req);
	ck_assert_uint_lt(cap, req + PER);   /* whole groups */
	ck_assert_uint_eq(llt_ring_elem_size(r), 8);
	ck_assert_uint_eq(llt_ring_stride(r), 8);
	for (int lap = 0; lap < 5; lap++) {
		ck_assert(llt_ring_empty(r));
		ck_assert(!llt_ring_pop(r, &v));
		/* Below the capacity every push succeeds. */
		for (size_t i = 0; i < cap; i++) {
			ck_assert_uint_eq(llt_ring_size(r), i);
			ck_assert(llt_ring_push(r, &next));
			next++;
		}
		ck_assert(llt_ring_full(r));
		/* The ring emptied by a pop frees every slot (the pop that
		 * catches up frees at once), so exactly PER - 1 more fit. */
		for (size_t i = 0; i < PER - 1; i++)
			ck_assert(i % 2 ? llt_ring_push(r, &next) : llt_ring_push_u64(r, next)), next++;
		ck_assert(!llt_ring_push(r, &next));
		ck_assert(!llt_ring_push_u64(r, next));
		ck_assert_uint_eq(llt_ring_size(r), cap);  /* clamped */
		/* Pops from a full ring make room once fewer than the capacity
		 * are queued, at the latest. */
		size_t queued = cap + PER - 1;
		while (queued >= cap) {
			ck_assert(llt_ring_pop_u64(r, &v));
			ck_assert_uint_eq(v, want++);
			queued--;
		}
		ck_assert(llt_ring_push_u64(r, next++));
		queued++;
		while (llt_ring_push_u64(r, next))
			next++, queued++;
		ck_assert_uint_le(queued, cap + PER - 1);
		for (size_t i = 0; i < queued; i++) {
			ck_assert(i % 2 ? llt_ring_pop(r, &v) : llt_ring_pop_u64(r, &v));
			ck_assert_uint_eq(v, want);
			want++;
		}
		ck_assert(!llt_ring_pop_u64(r, &v));
		/* Half a lap more, so the next lap starts elsewhere. */
		for (size_t i = 0; i < cap / 2 + 1; i++) {
			ck_assert(llt_ring_push_u64(r, next++));
			ck_assert(llt_ring_pop_u64(r, &v));
			ck_assert_uint_eq(v, want++);
		}
	}
	llt_ring_free(r);
}
END_TEST

/* Odd element sizes: 1, 3, 24, 40, 100 bytes keep their bytes. */
START_TEST(test_elem_sizes)
{
	static const size_t sizes[] = {1, 3, 8, 24, 40, 56, 64, 100, 4096};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t es = sizes[s];
		struct llt_ring *r = mk(7, es);
		unsigned char in[4096], out[4096];
		size_t cap = llt_ring_capacity(r);
		ck_assert_uint_ge(llt_ring_stride(r), es);
		ck_assert_uint_eq(llt_ring_stride(r) % 8, 0);
		for (int round = 0; round < 3; round++) {
			size_t n = 0;
			for (;; n++) {
				memset(in, (int)(n + 7 * round + 1), es);
				if (!llt_ring_push(r, in))
					break;
			}
			/* The capacity, and less than a group (of at most
			 * PER elements) more. */
			ck_assert_uint_ge(n, cap);
			ck_assert_uint_lt(n, cap + PER);
			for (size_t i = 0; i < n; i++) {
				memset(out, 0, es);
				ck_assert(llt_ring_pop(r, out));
				memset(in, (int)(i + 7 * round + 1), es);
				ck_assert(memcmp(in, out, es) == 0);
			}
		}
		llt_ring_free(r);
	}
}
END_TEST

/* ------------------------------------------------------- single thread */

START_TEST(test_bulk_single)
{
	struct llt_ring *r = mk(100, 8);
	uint64_t buf[300], next = 1, want = 1, seed = 42;
	size_t cap = llt_ring_capacity(r);
	for (int it = 0; it < 20000; it++) {
		size_t n = (size_t)(rnd(&seed) % 300);
		size_t queued = (size_t)(next - want);
		if (rnd(&seed) & 1) {
			size_t free_ = queued < cap ? cap - queued : 0, k;
			for (size_t i = 0; i < n; i++)
				buf[i] = next + i;
			k = llt_ring_push_bulk(r, buf, n);
			/* At least what the capacity guarantees; never more
			 * than the slots. */
			ck_assert_uint_ge(k, n < free_ ? n : free_);
			ck_assert_uint_le(k, n);
			ck_assert_uint_lt(queued + k, cap + PER);
			next += k;
		} else {
			size_t have = queued, k;
			k = llt_ring_pop_bulk(r, buf, n);
			ck_assert_uint_eq(k, n < have ? n : have);
			for (size_t i = 0; i < k; i++)
				ck_assert_uint_eq(buf[i], want++);
		}
	}
	llt_ring_free(r);
}
END_TEST

START_TEST(test_zero_copy_single)
{
	struct llt_ring *r = mk(16, 24);
	size_t cap = llt_ring_capacity(r), stride = llt_ring_stride(r);
	size_t per = (LLT_CACHELINE_SIZE - 8) / stride;  /* elements per group */
	uint64_t next = 1, want = 1, seed = 7;
	void *p;
	const void *q;

	/* Nothing reserved, nothing peeked. */
	ck_assert_uint_eq(llt_ring_peek(r, 4, &q), 0);
	ck_assert_ptr_null(q);
	ck_assert_uint_eq(llt_ring_reserve(r, 0, &p), 0);
	for (int it = 0; it < 20000; it++) {
		size_t n = (size_t)(rnd(&seed) % (cap + 3)), k, j;
		size_t queued = (size_t)(next - want);
		if (rnd(&seed) & 1) {
			size_t free_ = queued < cap ? cap - queued : 0;
			k = llt_ring_reserve(r, n, &p);
			ck_assert_uint_le(k, n);
			ck_assert_uint_lt(queued + k, cap + per);
			if (n > 0 && free_ > 0)
				ck_assert_uint_gt(k, 0);
			j = k ? (size_t)(rnd(&seed) % (k + 1)) : 0;
			for (size_t i = 0; i < j; i++) {
				uint64_t e[3] = {next, ~next, next * 3};
				memcpy((unsigned char *)p + i * stride, e, sizeof(e));
				next++;
			}
			llt_ring_commit(r, j);
		} else {
			size_t have = queued;
			k = llt_ring_peek(r, n, &q);
			ck_assert_uint_le(k, n);
			ck_assert_uint_le(k, have);
			if (n > 0 && have > 0)
				ck_assert_uint_gt(k, 0);
			j = k ? (size_t)(rnd(&seed) % (k + 1)) : 0;
			for (size_t i = 0; i < k; i++) {
				uint64_t e[3];
				memcpy(e, (const unsigned char *)q + i * stride, sizeof(e));
				ck_assert_uint_eq(e[0], want + i);
				ck_assert_uint_eq(e[1], ~(want + i));
				ck_assert_uint_eq(e[2], (want + i) * 3);
			}
			llt_ring_release(r, j);
			want += j;
		}
	}
	llt_ring_free(r);
}
END_TEST

/* Single, bulk and zero-copy operations mixed on one ring: a push must
 * not trust what the producer learnt about free slots before a bulk push or
 * a commit moved it on (nor a pop what a peek left). */
START_TEST(test_mixed_single)
{
	struct llt_ring *r = mk(30, 8);
	uint64_t buf[40], next = 1, want = 1, seed = 99, v;
	size_t cap = llt_ring_capacity(r);
	for (int it = 0; it < 100000; it++) {
		size_t queued = (size_t)(next - want), k, n = 1 + (size_t)(rnd(&seed) % 10);
		size_t free_ = queued < cap ? cap - queued : 0;
		void *p;
		const void *q;
		switch (rnd(&seed) % 6) {
		case 0:
			k = llt_ring_push_u64(r, next) ? 1 : 0;
			ck_assert_uint_ge(k, free_ ? 1 : 0);
			break;
		case 1:
			for (size_t i = 0; i < n; i++)
				buf[i] = next + i;
			k = llt_ring_push_bulk(r, buf, n);
			ck_assert_uint_ge(k, n < free_ ? n : free_ ? 1 : 0);
			break;
		case 2:
			k = llt_ring_reserve(r, n, &p);
			ck_assert_uint_ge(k, free_ ? 1 : 0);
			k = k ? (size_t)(rnd(&seed) % (k + 1)) : 0;
			for (size_t i = 0; i < k; i++)
				memcpy((unsigned char *)p + i * 8, &(uint64_t){next + i}, 8);
			llt_ring_commit(r, k);
			break;
		case 3:
			k = llt_ring_pop_u64(r, &v) ? 1 : 0;
			ck_assert_uint_eq(k, queued ? 1 : 0);
			if (k)
				ck_assert_uint_eq(v, want);
			want += k;
			continue;
		case 4:
			k = llt_ring_pop_bulk(r, buf, n);
			ck_assert_uint_eq(k, n < queued ? n : queued);
			for (size_t i = 0; i < k; i++)
				ck_assert_uint_eq(buf[i], want + i);
			want += k;
			continue;
		default:
			k = llt_ring_peek(r, n, &q);
			ck_assert_uint_eq(k ? 1 : 0, queued ? 1 : 0);
			for (size_t i = 0; i < k; i++) {
				memcpy(&v, (const unsigned char *)q + i * 8, 8);
				ck_assert_uint_eq(v, want + i);
			}
			k = k ? (size_t)(rnd(&seed) % (k + 1)) : 0;
			llt_ring_release(r, k);
			want += k;
			continue;
		}
		next += k;
		/* Never more than the slots: nothing unread was overwritten. */
		ck_assert_uint_lt((size_t)(next - want), cap + PER);
	}
	llt_ring_free(r);
}
END_TEST

/* Positions start just below 2^64: every operation crosses the wrap. */
START_TEST(test_wrap_single)
{
	static const size_t wcaps[] = {1, 2, 3, 8};
	for (size_t c = 0; c < 4; c++) {
		struct llt_ring *r = mk_at(wcaps[c], 8, UINT64_MAX - 5);
		size_t cap = llt_ring_capacity(r);
		uint64_t next = 1, want = 1, v, buf[64];
		for (int it = 0; it < 50; it++) {
			ck_assert_uint_eq(llt_ring_size(r), 0);
			/* Emptied by single pops: all cap + PER - 1 slots free. */
			for (size_t i = 0; i < cap + PER - 1; i++)
				ck_assert(llt_ring_push_u64(r, next++));
			ck_assert(!llt_ring_push_u64(r, next));
			ck_assert_uint_eq(llt_ring_size(r), cap);
			ck_assert(llt_ring_full(r));
			for (size_t i = 0; i < cap + PER - 1; i++) {
				ck_assert(llt_ring_pop_u64(r, &v));
				ck_assert_uint_eq(v, want++);
			}
			ck_assert(!llt_ring_pop_u64(r, &v));
			size_t m = cap + PER - 1;
			for (size_t i = 0; i < m + 3; i++)
				buf[i] = next + i;
			ck_assert_uint_eq(llt_ring_push_bulk(r, buf, m + 3), m);
			next += m;
			ck_assert_uint_eq(llt_ring_pop_bulk(r, buf, m + 3), m);
			for (size_t i = 0; i < m; i++)
				ck_assert_uint_eq(buf[i], want++);
		}
		llt_ring_free(r);
	}
}
END_TEST

/* ------------------------------------------------------------- threads */

/* The 40-byte element: a sequence number, payload and checksum. */
struct big {
	uint64_t seq, a, b, c, sum;
};

static void big_make(struct big *e, uint64_t seq)
{
	e->seq = seq;
	e->a = seq * UINT64_C(0x9e3779b97f4a7c15);
	e->b = ~seq;
	e->c = seq ^ UINT64_C(0x5555aaaa5555aaaa);
	e->sum = e->seq + e->a + e->b + e->c;
}

/* A zero-copy element: the 40-byte one above, or in a ring of 8-byte
 * elements the bare sequence number. */
static void zc_make(void *p, size_t esize, uint64_t seq)
{
	if (esize == 8)
		memcpy(p, &seq, 8);
	else
		big_make((struct big *)p, seq);
}

static bool zc_bad(const void *p, size_t esize, uint64_t want)
{
	uint64_t v;
	const struct big *e = (const struct big *)p;
	if (esize == 8) {
		memcpy(&v, p, 8);
		return v != want;
	}
	return e->seq != want || e->sum != e->seq + e->a + e->b + e->c;
}

/* M_MIX: each turn one of the 8-byte forms, single, bulk or zero-copy. */
enum mode { M_U64, M_BIG, M_BULK, M_ZC, M_MIX };

static enum mode pick(enum mode m, uint64_t *seed)
{
	static const enum mode forms[3] = {M_U64, M_BULK, M_ZC};
	return m == M_MIX ? forms[rnd(seed) % 3] : m;
}

struct job {
	struct llt_ring *r;
	enum mode mode;
	uint64_t n;
	uint64_t errors;     /* consumer: items out of order or corrupt */
	uint64_t got;
};

static void *producer(void *arg)
{
	struct job *j = (struct job *)arg;
	struct llt_ring *r = j->r;
	uint64_t seed = 0x1234567 ^ (uint64_t)j->mode, next = 1, buf[64];
	unsigned spins = 0;
	pin(0);
	while (next <= j->n) {
		maybe_pause(&seed);
		switch (pick(j->mode, &seed)) {
		case M_U64:
			while (!llt_ring_push_u64(r, next))
				backoff(&spins);
			next++;
			break;
		case M_BIG: {
			struct big e;
			big_make(&e, next);
			while (!llt_ring_push(r, &e))
				backoff(&spins);
			next++;
			break;
		}
		case M_BULK: {
			size_t want = 1 + (size_t)(rnd(&seed) % 64), k;
			if (want > j->n - next + 1)
				want = (size_t)(j->n - next + 1);
			for (size_t i = 0; i < want; i++)
				buf[i] = next + i;
			while ((k = llt_ring_push_bulk(r, buf, want)) == 0)
				backoff(&spins);
			next += k;
			break;
		}
		case M_ZC: {
			size_t want = 1 + (size_t)(rnd(&seed) % 8), k, c;
			void *p;
			if (want > j->n - next + 1)
				want = (size_t)(j->n - next + 1);
			while ((k = llt_ring_reserve(r, want, &p)) == 0)
				backoff(&spins);
			c = 1 + (size_t)(rnd(&seed) % k);
			for (size_t i = 0; i < c; i++)
				zc_make((unsigned char *)p + i * llt_ring_stride(r), llt_ring_elem_size(r),
					next + i);
			llt_ring_commit(r, c);
			next += c;
			break;
		}
		case M_MIX:   /* pick() has chosen a form */
			ck_abort_msg("unresolved mode");
		}
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct job *j = (struct job *)arg;
	struct llt_ring *r = j->r;
	uint64_t seed = 0x7654321 ^ (uint64_t)j->mode, want = 1, v, buf[64];
	unsigned spins = 0;
	pin(1);
	while (want <= j->n) {
		maybe_pause(&seed);
		switch (pick(j->mode, &seed)) {
		case M_U64:
			while (!llt_ring_pop_u64(r, &v))
				backoff(&spins);
			j->errors += v != want;
			want++;
			break;
		case M_BIG: {
			struct big e;
			while (!llt_ring_pop(r, &e))
				backoff(&spins);
			j->errors += e.seq != want || e.sum != e.seq + e.a + e.b + e.c;
			want++;
			break;
		}
		case M_BULK: {
			size_t n = 1 + (size_t)(rnd(&seed) % 64), k;
			while ((k = llt_ring_pop_bulk(r, buf, n)) == 0)
				backoff(&spins);
			for (size_t i = 0; i < k; i++)
				j->errors += buf[i] != want++;
			break;
		}
		case M_ZC: {
			size_t n = 1 + (size_t)(rnd(&seed) % 8), k, c;
			const void *p;
			while ((k = llt_ring_peek(r, n, &p)) == 0)
				backoff(&spins);
			c = 1 + (size_t)(rnd(&seed) % k);
			for (size_t i = 0; i < c; i++)
				j->errors += zc_bad((const unsigned char *)p + i * llt_ring_stride(r),
						    llt_ring_elem_size(r), want++);
			llt_ring_release(r, c);
			break;
		}
		case M_MIX:   /* pick() has chosen a form */
			ck_abort_msg("unresolved mode");
		}
	}
	j->got = want - 1;
	return NULL;
}

static void run_spsc(struct llt_ring *r, enum mode mode, uint64_t n)
{
	struct job j = {r, mode, n, 0, 0};
	pthread_t tp, tc;
	ck_assert_int_eq(pthread_create(&tc, NULL, consumer, &j), 0);
	ck_assert_int_eq(pthread_create(&tp, NULL, producer, &j), 0);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	ck_assert_uint_eq(j.got, n);
	ck_assert_uint_eq(j.errors, 0);
	ck_assert(llt_ring_empty(r));
}

START_TEST(test_spsc_u64)
{
	struct llt_ring *r = mk(1024, 8);
	run_spsc(r, M_U64, scaled(10000000));
	llt_ring_free(r);
}
END_TEST

START_TEST(test_spsc_big)
{
	struct llt_ring *r = mk(1024, sizeof(struct big));
	run_spsc(r, M_BIG, scaled(10000000));
	llt_ring_free(r);
}
END_TEST

START_TEST(test_spsc_small_caps)
{
	/* Capacities 1, 2 and 3: the sides meet on every item. */
	for (size_t c = 1; c <= 3; c++) {
		struct llt_ring *r = mk(c, 8);
		run_spsc(r, M_U64, scaled(1000000));
		llt_ring_free(r);
	}
}
END_TEST

START_TEST(test_spsc_bulk)
{
	struct llt_ring *r = mk(100, 8);
	run_spsc(r, M_BULK, scaled(10000000));
	llt_ring_free(r);
}
END_TEST

START_TEST(test_spsc_zero_copy)
{
	struct llt_ring *r = mk(50, sizeof(struct big));
	run_spsc(r, M_ZC, scaled(3000000));
	llt_ring_free(r);
}
END_TEST

START_TEST(test_spsc_mixed)
{
	/* Every form on both sides, in random turns, across groups. */
	struct llt_ring *r = mk(40, 8);
	run_spsc(r, M_MIX, scaled(5000000));
	llt_ring_free(r);
}
END_TEST

START_TEST(test_spsc_wrap)
{
	/* Starts 1000 positions before 2^64: the threads cross the wrap. */
	struct llt_ring *r = mk_at(64, 8, UINT64_MAX - 1000);
	run_spsc(r, M_U64, scaled(1000000));
	free(r);
	r = mk_at(16, sizeof(struct big), UINT64_MAX - 100);
	run_spsc(r, M_ZC, scaled(1000000));
	free(r);
	r = mk_at(3, 8, UINT64_MAX);
	run_spsc(r, M_BULK, scaled(1000000));
	free(r);
}
END_TEST

/* ------------------------------------------------------- processes */

START_TEST(test_fork_shared)
{
	const uint64_t n = scaled(1000000);
	size_t sz = llt_ring_memsize(256, sizeof(struct big));
	void *mem = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct llt_ring *r = (struct llt_ring *)mem;
	int status = 0;
	pid_t pid;

	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_int_eq(llt_ring_init(r, 256, sizeof(struct big)), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Child: consume, in order, with checksums. */
		uint64_t want = 1, bad = 0;
		unsigned spins = 0;
		struct big e;
		pin(1);
		while (want <= n) {
			while (!llt_ring_pop(r, &e))
				backoff(&spins);
			bad += e.seq != want || e.sum != e.seq + e.a + e.b + e.c;
			want++;
		}
		_exit(bad ? 1 : 0);
	}
	pin(0);
	for (uint64_t i = 1; i <= n; i++) {
		struct big e;
		unsigned spins = 0;
		big_make(&e, i);
		while (!llt_ring_push(r, &e))
			backoff(&spins);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert(llt_ring_empty(r));
	munmap(mem, sz);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	int slow = UNDER_TSAN ? 300 : 60;
	TCase *tc;

	tc = tcase_create("setup");
	tcase_add_test(tc, test_bad_input);
	tcase_add_loop_test(tc, test_capacity, 0, (int)(sizeof(caps) / sizeof(caps[0])));
	tcase_add_test(tc, test_elem_sizes);
	suite_add_tcase(s, tc);

	tc = tcase_create("single-thread");
	tcase_add_test(tc, test_bulk_single);
	tcase_add_test(tc, test_zero_copy_single);
	tcase_add_test(tc, test_mixed_single);
	tcase_add_test(tc, test_wrap_single);
	suite_add_tcase(s, tc);

	tc = tcase_create("spsc");
	tcase_set_timeout(tc, slow);
	tcase_add_test(tc, test_spsc_u64);
	tcase_add_test(tc, test_spsc_big);
	tcase_add_test(tc, test_spsc_small_caps);
	tcase_add_test(tc, test_spsc_bulk);
	tcase_add_test(tc, test_spsc_zero_copy);
	tcase_add_test(tc, test_spsc_mixed);
	tcase_add_test(tc, test_spsc_wrap);
	suite_add_tcase(s, tc);

	tc = tcase_create("process-shared");
	tcase_set_timeout(tc, slow);
	tcase_add_test(tc, test_fork_shared);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
