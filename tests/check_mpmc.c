/* llt/mpmc: exactly-once delivery and per-producer order at 1:1, 2:2, 4:4,
 * 8:1 and 1:8 over small and large capacities with random pauses and a
 * random mix of every operation, under a progress watchdog; backpressure;
 * timeouts; close in every state; wake-ups without a herd and without
 * syscalls when nobody sleeps; idle waiters' CPU time; wide elements;
 * shared memory; bad input. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* when built outside configure's config.h */
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <llt/cpu.h>
#include <llt/mpmc.h>
#if defined(HAVE_MEMBARRIER)
#  include <linux/membarrier.h>
#endif

#include "testutil.h"

static int cpus[1024], ncpus;

static void pin(int i)
{
	if (ncpus >= 2)
		llt_cpu_pin(cpus[i % ncpus]);
}

/* ------------------------------------------------- many-to-many delivery */

#define MAXT 16
#define SEQ_BITS 40

struct thr {
	struct run *r;
	int id;
	int cpu_slot;                /* index into cpus[] */
	_Atomic uint64_t progress;   /* elements moved so far */
	_Atomic int done;
	uint64_t bad;                /* order, range or duplicate errors */
	const char *why;
};

struct run {
	struct llt_mpmc *m;
	int np, nc;
	uint64_t per;                /* elements per producer */
	_Atomic unsigned char *seen; /* np * per flags */
	struct thr t[2 * MAXT];
	_Atomic int stalled;
};

/* The element: producer id in the top bits, its sequence below. */
static uint64_t item(int p, uint64_t seq)
{
	return (uint64_t)p << SEQ_BITS | seq;
}

static void *producer(void *p)
{
	struct thr *t = p;
	struct run *r = t->r;
	uint64_t seed = 0x9e3779b97f4a7c15u * (uint64_t)(t->id + 1), buf[32];
	pin(t->cpu_slot);
	for (uint64_t i = 0; i < r->per;) {
		llt_test_pause_maybe(&seed);
		uint64_t v = item(t->id, i);
		int op = (int)(llt_test_rnd(&seed) % 10), rc;
		if (op < 5) {
			rc = llt_mpmc_send_u64(r->m, v);
		} else if (op < 6) {
			rc = llt_mpmc_send(r->m, &v);
		} else if (op < 7) {
			/* try, yielding: a busy poll that must not starve */
			while ((rc = llt_mpmc_try_send_u64(r->m, v)) == -EAGAIN)
				sched_yield();
		} else if (op < 8) {
			while ((rc = llt_mpmc_send_timed(r->m, &v, llt_test_rnd(&seed) % 200000)) == -ETIMEDOUT)
				;
		} else {
			size_t k = 1 + llt_test_rnd(&seed) % 32, off = 0;
			if (k > r->per - i)
				k = (size_t)(r->per - i);
			for (size_t j = 0; j < k; j++)
				buf[j] = item(t->id, i + j);
			while (off < k) {
				ssize_t m = (op == 8) ? llt_mpmc_send_bulk(r->m, buf + off, k - off)
						      : llt_mpmc_try_send_bulk(r->m, buf + off, k - off);
				if (m < 0) {
					t->why = "bulk send failed";
					return (void *)1;
				}
				if (m == 0)
					sched_yield();
				off += (size_t)m;
			}
			i += k;
			atomic_store_explicit(&t->progress, i, memory_order_relaxed);
			continue;
		}
		if (rc != 0) {
			t->why = "send failed";
			return (void *)1;
		}
		i++;
		atomic_store_explicit(&t->progress, i, memory_order_relaxed);
	}
	atomic_store(&t->done, 1);
	return NULL;
}

static void *consumer(void *p)
{
	struct thr *t = p;
	struct run *r = t->r;
	uint64_t seed = 0x243f6a8885a308d3u * (uint64_t)(t->id + 1), buf[32], got = 0;
	uint64_t next[MAXT] = {0}; /* per producer: the lowest sequence still allowed */
	pin(t->cpu_slot);
	for (;;) {
		llt_test_pause_maybe(&seed);
		int op = (int)(llt_test_rnd(&seed) % 10);
		ssize_t n;
		if (op < 5) {
			int rc = llt_mpmc_recv_u64(r->m, buf);
			n = rc == 0 ? 1 : rc;
		} else if (op < 6) {
			int rc = llt_mpmc_recv(r->m, buf);
			n = rc == 0 ? 1 : rc;
		} else if (op < 7) {
			int rc;
			while ((rc = llt_mpmc_try_recv_u64(r->m, buf)) == -EAGAIN)
				sched_yield();
			n = rc == 0 ? 1 : rc;
		} else if (op < 8) {
			int rc;
			while ((rc = llt_mpmc_recv_timed(r->m, buf, llt_test_rnd(&seed) % 200000)) == -ETIMEDOUT)
				;
			n = rc == 0 ? 1 : rc;
		} else if (op < 9) {
			n = llt_mpmc_recv_bulk(r->m, buf, 1 + llt_test_rnd(&seed) % 32);
		} else {
			while ((n = llt_mpmc_try_recv_bulk(r->m, buf, 1 + llt_test_rnd(&seed) % 32)) == 0)
				sched_yield();
		}
		if (n == -EPIPE)
			break;
		if (n <= 0) {
			t->why = "receive failed";
			return (void *)1;
		}
		for (ssize_t j = 0; j < n; j++) {
			uint64_t pid = buf[j] >> SEQ_BITS, seq = buf[j] & ((UINT64_C(1) << SEQ_BITS) - 1);
			if (pid >= (uint64_t)r->np || seq >= r->per) {
				t->bad++;
				continue;
			}
			/* Per-producer FIFO: this consumer's receives are ordered,
			 * and so are one producer's sends. */
			if (seq < next[pid])
				t->bad++;
			next[pid] = seq + 1;
			if (atomic_exchange_explicit(&r->seen[pid * r->per + seq], 1, memory_order_relaxed))
				t->bad++; /* duplicate */
		}
		got += (uint64_t)n;
		atomic_store_explicit(&t->progress, got, memory_order_relaxed);
	}
	atomic_store(&t->done, 1);
	return NULL;
}

/* Fails the run when a thread that still has work moves nothing for
 * STALL_NS, although the others keep the channel moving or it has room
 * or elements: starvation or a lost wake-up. */
static void *watchdog(void *p)
{
	struct run *r = p;
	const uint64_t STALL_NS = UINT64_C(8000000000);
	uint64_t last[2 * MAXT], since[2 * MAXT];
	int n = r->np + r->nc;
	uint64_t now = llt_test_mono_ns();
	for (int i = 0; i < n; i++) {
		last[i] = atomic_load(&r->t[i].progress);
		since[i] = now;
	}
	for (;;) {
		usleep(100000);
		int live = 0;
		now = llt_test_mono_ns();
		for (int i = 0; i < n; i++) {
			if (atomic_load(&r->t[i].done))
				continue;
			live++;
			uint64_t v = atomic_load(&r->t[i].progress);
			if (v != last[i]) {
				last[i] = v;
				since[i] = now;
			} else if (now - since[i] > STALL_NS) {
				struct llt_mpmc_stats st;
				llt_mpmc_stats(r->m, &st);
				fprintf(stderr,
					"watchdog: %s %d made no progress for %llu s (at %llu); sent %llu received %llu closed %d\n",
					i < r->np ? "producer" : "consumer", i < r->np ? i : i - r->np,
					(unsigned long long)(STALL_NS / 1000000000u), (unsigned long long)v,
					(unsigned long long)st.sent, (unsigned long long)st.received,
					llt_mpmc_is_closed(r->m));
				atomic_store(&r->stalled, 1);
				abort();
			}
		}
		if (!live)
			return NULL;
	}
}

static void run_many(int np, int nc, size_t cap, uint64_t total, uint64_t spin_ns)
{
	struct run *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	struct llt_mpmc_attr attr = {.spin_ns = spin_ns};
	ck_assert_int_eq(llt_mpmc_create(cap, sizeof(uint64_t), &attr, &r->m), 0);
	r->np = np;
	r->nc = nc;
	r->per = total / (uint64_t)np;
	r->seen = calloc((size_t)(r->per * (uint64_t)np), 1);
	ck_assert_ptr_nonnull(r->seen);
	pthread_t th[2 * MAXT], wd;
	uint64_t t0 = llt_test_mono_ns();
	for (int i = 0; i < np + nc; i++) {
		r->t[i].r = r;
		r->t[i].id = i < np ? i : i - np;
		r->t[i].cpu_slot = i;
	}
	for (int i = 0; i < nc; i++)
		ck_assert_int_eq(pthread_create(&th[np + i], NULL, consumer, &r->t[np + i]), 0);
	for (int i = 0; i < np; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, producer, &r->t[i]), 0);
	ck_assert_int_eq(pthread_create(&wd, NULL, watchdog, r), 0);
	for (int i = 0; i < np; i++) {
		void *ret;
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_msg(ret == NULL, "producer %d: %s", i, r->t[i].why);
	}
	/* Every producer is done: close, and the consumers drain the rest. */
	ck_assert_int_eq(llt_mpmc_close(r->m), 0);
	uint64_t got = 0, bad = 0;
	for (int i = 0; i < nc; i++) {
		void *ret;
		ck_assert_int_eq(pthread_join(th[np + i], &ret), 0);
		ck_assert_msg(ret == NULL, "consumer %d: %s", i, r->t[np + i].why);
		got += atomic_load(&r->t[np + i].progress);
		bad += r->t[np + i].bad;
	}
	ck_assert_int_eq(pthread_join(wd, NULL), 0);
	uint64_t dt = llt_test_mono_ns() - t0;
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(got, r->per * (uint64_t)np);
	for (uint64_t i = 0; i < r->per * (uint64_t)np; i++)
		if (!r->seen[i])
			ck_abort_msg("element %llu of producer %llu never arrived", (unsigned long long)(i % r->per),
				     (unsigned long long)(i / r->per));
	struct llt_mpmc_stats st;
	llt_mpmc_stats(r->m, &st);
	ck_assert_uint_eq(st.sent, got);
	ck_assert_uint_eq(st.received, got);
	printf("%d:%d cap %zu: %llu items in %.2f s; full %llu empty %llu; parks %llu/%llu wakes %llu/%llu (tx/rx)\n",
	       np, nc, cap, (unsigned long long)got, dt / 1e9, (unsigned long long)st.full,
	       (unsigned long long)st.empty, (unsigned long long)st.sender_parks,
	       (unsigned long long)st.receiver_parks, (unsigned long long)st.sender_wakes,
	       (unsigned long long)st.receiver_wakes);
	fflush(stdout);
	uint64_t v;
	ck_assert_int_eq(llt_mpmc_try_recv_u64(r->m, &v), -EPIPE);
	ck_assert_int_eq(llt_mpmc_destroy(r->m), 0);
	free(r->m);
	free((void *)r->seen);
	free(r);
}

/* Elements per run: many at the larger capacities, fewer at the tiny
 * ones, where nearly every operation waits. */
static uint64_t items(size_t cap)
{
	double base = cap <= 2 ? 250000 : cap <= 8 ? 500000 : 1500000;
	return (uint64_t)(base * llt_test_scale());
}

static const size_t caps[] = {2, 8, 64, 4096};

static void run_all_caps(int np, int nc)
{
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
		run_many(np, nc, caps[i], items(caps[i]), LLT_MPMC_SPIN_DEFAULT_NS);
}

START_TEST(p1_c1) { run_all_caps(1, 1); }
END_TEST
START_TEST(p2_c2) { run_all_caps(2, 2); }
END_TEST
START_TEST(p4_c4) { run_all_caps(4, 4); }
END_TEST
START_TEST(p8_c1) { run_all_caps(8, 1); }
END_TEST
START_TEST(p1_c8) { run_all_caps(1, 8); }
END_TEST

START_TEST(parking_only)
{
	/* No spinning: every wait parks, so the wake-up path carries it all. */
	run_many(4, 4, 4, (uint64_t)(200000 * llt_test_scale()), 0);
	run_many(2, 3, 64, (uint64_t)(400000 * llt_test_scale()), 0);
}
END_TEST

/* Wider elements: 40 bytes, self-checking, through the generic path. */
struct wide {
	uint64_t seq;
	uint64_t words[3];
	uint64_t sum;
};

static _Atomic uint64_t wide_got;

static void *wide_consumer(void *p)
{
	struct llt_mpmc *m = p;
	struct wide w;
	uint64_t last[2] = {0, 0};
	int first[2] = {1, 1};
	while (llt_mpmc_recv(m, &w) == 0) {
		unsigned who = (unsigned)(w.seq >> 62);
		uint64_t s = w.seq & ~(UINT64_C(3) << 62);
		if (who > 1 || w.sum != (w.seq ^ w.words[0] ^ w.words[1] ^ w.words[2]) || (!first[who] && s <= last[who]))
			return (void *)1;
		first[who] = 0;
		last[who] = s;
		atomic_fetch_add(&wide_got, 1);
	}
	return NULL;
}

static void *wide_producer(void *p)
{
	struct llt_mpmc *m = *(struct llt_mpmc **)p;
	uint64_t who = (uint64_t)(((struct llt_mpmc **)p)[1] != NULL);
	uint64_t n = (uint64_t)(300000 * llt_test_scale()), seed = 42 + who;
	for (uint64_t i = 0; i < n; i++) {
		struct wide w = {who << 62 | i, {llt_test_rnd(&seed), llt_test_rnd(&seed), llt_test_rnd(&seed)}, 0};
		w.sum = w.seq ^ w.words[0] ^ w.words[1] ^ w.words[2];
		if (llt_mpmc_send(m, &w) != 0)
			return (void *)1;
	}
	return NULL;
}

START_TEST(wide_elements)
{
	struct llt_mpmc *m;
	struct llt_mpmc_attr attr = {.spin_ns = LLT_MPMC_SPIN_DEFAULT_NS, .flags = LLT_MPMC_PAD_SLOTS};
	ck_assert_int_eq(llt_mpmc_create(37, sizeof(struct wide), &attr, &m), 0);
	ck_assert_uint_eq(llt_mpmc_capacity(m), 64);
	atomic_store(&wide_got, 0);
	pthread_t c[2], p[2];
	struct llt_mpmc *args[2][2] = {{m, NULL}, {m, m}};
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&c[i], NULL, wide_consumer, m), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&p[i], NULL, wide_producer, args[i]), 0);
	for (int i = 0; i < 2; i++) {
		void *ret;
		ck_assert_int_eq(pthread_join(p[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_int_eq(llt_mpmc_close(m), 0);
	for (int i = 0; i < 2; i++) {
		void *ret;
		ck_assert_int_eq(pthread_join(c[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_uint_eq(atomic_load(&wide_got), 2 * (uint64_t)(300000 * llt_test_scale()));
	llt_mpmc_free(m);
}
END_TEST

/* ------------------------------------------- blocked threads and close */

struct blocked {
	struct llt_mpmc *m;
	int send;              /* block in send (else recv) */
	uint64_t timeout_ns;   /* 0: block forever */
	int result;
	uint64_t value;
	_Atomic int finished;
};

static void *block_in(void *p)
{
	struct blocked *b = p;
	uint64_t v = 7;
	if (b->send)
		b->result = b->timeout_ns ? llt_mpmc_send_timed(b->m, &v, b->timeout_ns) : llt_mpmc_send(b->m, &v);
	else
		b->result = b->timeout_ns ? llt_mpmc_recv_timed(b->m, &v, b->timeout_ns) : llt_mpmc_recv(b->m, &v);
	b->value = v;
	atomic_store(&b->finished, 1);
	return NULL;
}

/* Wait until n threads of a side sleep in the kernel. */
static void wait_sleepers(struct llt_mpmc *m, int sender, uint32_t n)
{
	for (int i = 0; i < 5000; i++) {
		struct llt_park_stats ps;
		llt_park_stats(sender ? &m->not_full : &m->not_empty, &ps);
		if (ps.sleepers >= n)
			return;
		usleep(1000);
	}
	ck_abort_msg("the blocked threads never parked");
}

static int count_finished(struct blocked *b, int n)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += atomic_load(&b[i].finished);
	return k;
}

START_TEST(close_empty)
{
	struct llt_mpmc *m;
	ck_assert_int_eq(llt_mpmc_create(4, 8, NULL, &m), 0);
	ck_assert(!llt_mpmc_is_closed(m));
	ck_assert_int_eq(llt_mpmc_close(m), 0);
	ck_assert(llt_mpmc_is_closed(m));
	ck_assert_int_eq(llt_mpmc_close(m), -EPIPE);
	uint64_t v = 1;
	ck_assert_int_eq(llt_mpmc_recv(m, &v), -EPIPE);
	ck_assert_int_eq(llt_mpmc_recv_u64(m, &v), -EPIPE);
	ck_assert_int_eq(llt_mpmc_try_recv(m, &v), -EPIPE);
	ck_assert_int_eq(llt_mpmc_try_recv_u64(m, &v), -EPIPE);
	ck_assert_int_eq(llt_mpmc_recv_timed(m, &v, 1000000), -EPIPE);
	ck_assert_int_eq(llt_mpmc_recv_bulk(m, &v, 1), -EPIPE);
	ck_assert_int_eq(llt_mpmc_try_recv_bulk(m, &v, 1), -EPIPE);
	ck_assert_int_eq(llt_mpmc_send(m, &v), -EPIPE);
	ck_assert_int_eq(llt_mpmc_send_u64(m, v), -EPIPE);
	ck_assert_int_eq(llt_mpmc_try_send(m, &v), -EPIPE);
	ck_assert_int_eq(llt_mpmc_try_send_u64(m, v), -EPIPE);
	ck_assert_int_eq(llt_mpmc_send_timed(m, &v, 1000000), -EPIPE);
	ck_assert_int_eq(llt_mpmc_send_bulk(m, &v, 1), -EPIPE);
	ck_assert_int_eq(llt_mpmc_try_send_bulk(m, &v, 1), -EPIPE);
	ck_assert_int_eq(llt_mpmc_send_bulk(m, &v, 0), -EPIPE);
	llt_mpmc_free(m);
}
END_TEST

START_TEST(close_full_drains)
{
	struct llt_mpmc *m;
	ck_assert_int_eq(llt_mpmc_create(8, 8, NULL, &m), 0);
	uint64_t v, n = 0;
	while (llt_mpmc_try_send_u64(m, n) == 0)
		n++;
	ck_assert_uint_eq(n, 8);
	ck_assert_int_eq(llt_mpmc_try_send_u64(m, n), -EAGAIN);
	ck_assert_int_eq(llt_mpmc_try_send_bulk(m, &n, 1), 0);
	ck_assert_int_eq(llt_mpmc_close(m), 0);
	ck_assert_int_eq(llt_mpmc_send_u64(m, n), -EPIPE);
	ck_assert_int_eq(llt_mpmc_try_send_u64(m, n), -EPIPE);
	uint64_t buf[3];
	ck_assert_int_eq(llt_mpmc_recv_bulk(m, buf, 3), 3);
	for (uint64_t i = 0; i < 3; i++)
		ck_assert_uint_eq(buf[i], i);
	for (uint64_t i = 3; i < n; i++) {
		ck_assert_int_eq(llt_mpmc_recv_timed(m, &v, 0), 0);
		ck_assert_uint_eq(v, i);
	}
	ck_assert_int_eq(llt_mpmc_recv(m, &v), -EPIPE);
	llt_mpmc_free(m);
}
END_TEST

static void close_with_parked(int send, int nthreads)
{
	struct llt_mpmc_attr attr = {.spin_ns = 0};
	struct llt_mpmc *m;
	ck_assert_int_eq(llt_mpmc_create(4, 8, &attr, &m), 0);
	uint64_t sent = 0;
	if (send)
		while (llt_mpmc_try_send_u64(m, sent) == 0)
			sent++;
	struct blocked b[8];
	pthread_t t[8];
	memset(b, 0, sizeof b);
	for (int i = 0; i < nthreads; i++) {
		b[i].m = m;
		b[i].send = send;
		b[i].timeout_ns = (i % 2) ? UINT64_C(60000000000) : 0; /* timed waiters too */
		ck_assert_int_eq(pthread_create(&t[i], NULL, block_in, &b[i]), 0);
	}
	wait_sleepers(m, send, (uint32_t)nthreads);
	ck_assert_int_eq(count_finished(b, nthreads), 0);
	ck_assert_int_eq(llt_mpmc_close(m), 0);
	for (int i = 0; i < nthreads; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(b[i].result, -EPIPE);
	}
	/* What was sent before the close is still delivered, in order. */
	for (uint64_t i = 0; i < sent; i++) {
		uint64_t x;
		ck_assert_int_eq(llt_mpmc_recv_u64(m, &x), 0);
		ck_assert_uint_eq(x, i);
	}
	uint64_t x;
	ck_assert_int_eq(llt_mpmc_recv_u64(m, &x), -EPIPE);
	ck_assert_int_eq(llt_mpmc_destroy(m), 0);
	free(m);
}

START_TEST(close_wakes_parked_receivers)
{
	close_with_parked(0, 6);
}
END_TEST

START_TEST(close_wakes_parked_senders)
{
	close_with_parked(1, 6);
}
END_TEST

/* ----------------------------------------------------- wake-up behaviour */

START_TEST(one_send_wakes_one_receiver)
{
	struct llt_mpmc_attr attr = {.spin_ns = 0};
	struct llt_mpmc *m;
	ck_assert_int_eq(llt_mpmc_create(16, 8, &attr, &m), 0);
	enum { N = 5 };
	struct blocked b[N];
	pthread_t t[N];
	memset(b, 0, sizeof b);
	for (int i = 0; i < N; i++) {
		b[i].m = m;
		ck_assert_int_eq(pthread_create(&t[i], NULL, block_in, &b[i]), 0);
	}
	wait_sleepers(m, 0, N);
	struct llt_mpmc_stats s0, s1;
	llt_mpmc_stats(m, &s0);
	ck_assert_int_eq(llt_mpmc_send_u64(m, 100), 0);
	for (int i = 0; i < 2000 && count_finished(b, N) < 1; i++)
		usleep(1000);
	usleep(50000); /* time for a herd to show */
	ck_assert_int_eq(count_finished(b, N), 1);
	llt_mpmc_stats(m, &s1);
	ck_assert_uint_eq(s1.receiver_wakes - s0.receiver_wakes, 1);
	/* A bulk send of two wakes two more, not all. */
	uint64_t two[2] = {101, 102};
	wait_sleepers(m, 0, N - 1);
	ck_assert_int_eq(llt_mpmc_send_bulk(m, two, 2), 2);
	for (int i = 0; i < 2000 && count_finished(b, N) < 3; i++)
		usleep(1000);
	usleep(50000);
	ck_assert_int_eq(count_finished(b, N), 3);
	ck_assert_int_eq(llt_mpmc_close(m), 0);
	uint64_t sum = 0;
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		if (b[i].result == 0)
			sum += b[i].value;
		else
			ck_assert_int_eq(b[i].result, -EPIPE);
	}
	ck_assert_uint_eq(sum, 100 + 101 + 102);
	llt_mpmc_free(m);
}
END_TEST

START_TEST(no_syscall_without_sleepers)
{
	struct llt_mpmc *m;
	ck_assert_int_eq(llt_mpmc_create(64, 8, NULL, &m), 0);
	for (uint64_t i = 0; i < 100000; i++) {
		uint64_t v;
		ck_assert_int_eq(llt_mpmc_send_u64(m, i), 0);
		ck_assert_int_eq(llt_mpmc_recv_u64(m, &v), 0);
		ck_assert_uint_eq(v, i);
	}
	struct llt_mpmc_stats st;
	llt_mpmc_stats(m, &st);
	ck_assert_uint_eq(st.sender_wakes + st.receiver_wakes, 0);
	ck_assert_uint_eq(st.sender_parks + st.receiver_parks, 0);
	ck_assert_uint_eq(st.full + st.empty, 0);
	llt_mpmc_free(m);
}
END_TEST

/* Backpressure: a full channel holds senders until receivers make room. */
START_TEST(backpressure)
{
	struct llt_mpmc *m;
	ck_assert_int_eq(llt_mpmc_create(4, 8, NULL, &m), 0);
	for (uint64_t i = 0; i < 4; i++)
		ck_assert_int_eq(llt_mpmc_send_u64(m, i), 0);
	struct blocked b[3];
	pthread_t t[3];
	memset(b, 0, sizeof b);
	for (int i = 0; i < 3; i++) {
		b[i].m = m;
		b[i].send = 1;
		ck_assert_int_eq(pthread_create(&t[i], NULL, block_in, &b[i]), 0);
	}
	wait_sleepers(m, 1, 3);
	usleep(20000);
	ck_assert_int_eq(count_finished(b, 3), 0);
	for (int k = 1; k <= 3; k++) {
		uint64_t v;
		ck_assert_int_eq(llt_mpmc_recv_u64(m, &v), 0);
		ck_assert_uint_eq(v, (uint64_t)k - 1);
		for (int i = 0; i < 2000 && count_finished(b, 3) < k; i++)
			usleep(1000);
		usleep(20000);
		ck_assert_int_eq(count_finished(b, 3), k); /* one room, one sender */
	}
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(b[i].result, 0);
	}
	struct llt_mpmc_stats st;
	llt_mpmc_stats(m, &st);
	ck_assert_uint_eq(st.sent, 7);
	ck_assert_uint_eq(st.full, 3);
	llt_mpmc_free(m);
}
END_TEST

START_TEST(timeouts_expire_never_early)
{
	struct llt_mpmc *m;
	ck_assert_int_eq(llt_mpmc_create(2, 8, NULL, &m), 0);
	uint64_t v = 0;
	const uint64_t waits[] = {0, 1000, 50000, 2000000, 30000000};
	for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
		uint64_t t0 = llt_test_mono_ns();
		ck_assert_int_eq(llt_mpmc_recv_timed(m, &v, waits[i]), -ETIMEDOUT);
		uint64_t dt = llt_test_mono_ns() - t0;
		ck_assert_msg(dt >= waits[i], "recv_timed(%llu ns) returned after %llu ns",
			      (unsigned long long)waits[i], (unsigned long long)dt);
		ck_assert_msg(dt < waits[i] + 200000000, "recv_timed(%llu ns) took %llu ns",
			      (unsigned long long)waits[i], (unsigned long long)dt);
	}
	while (llt_mpmc_try_send(m, &v) == 0)
		v++;
	for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
		uint64_t t0 = llt_test_mono_ns();
		ck_assert_int_eq(llt_mpmc_send_timed(m, &v, waits[i]), -ETIMEDOUT);
		uint64_t dt = llt_test_mono_ns() - t0;
		ck_assert_msg(dt >= waits[i], "send_timed(%llu ns) returned after %llu ns",
			      (unsigned long long)waits[i], (unsigned long long)dt);
		ck_assert(dt < waits[i] + 200000000);
	}
	/* A timed send that gets room before its deadline succeeds. */
	struct blocked b = {.m = m, .send = 1, .timeout_ns = UINT64_C(5000000000)};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, block_in, &b), 0);
	wait_sleepers(m, 1, 1);
	uint64_t x;
	ck_assert_int_eq(llt_mpmc_recv_timed(m, &x, 0), 0);
	ck_assert_uint_eq(x, 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(b.result, 0);
	llt_mpmc_free(m);
}
END_TEST

/* Idle waiters, once parked, use (close to) no CPU. */
static void *idle_receiver(void *p)
{
	struct llt_mpmc *m = p;
	struct timespec a, b;
	uint64_t v;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	int r = llt_mpmc_recv_u64(m, &v);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	uint64_t cpu = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u + (uint64_t)(b.tv_nsec - a.tv_nsec);
	return (void *)(uintptr_t)(r == 0 || r == -EPIPE ? cpu : UINT64_MAX);
}

START_TEST(idle_receivers_sleep)
{
	struct llt_mpmc *m;
	ck_assert_int_eq(llt_mpmc_create(16, 8, NULL, &m), 0);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, idle_receiver, m), 0);
	usleep(300000);
	ck_assert_int_eq(llt_mpmc_send_u64(m, 1), 0);
	ck_assert_int_eq(llt_mpmc_close(m), 0);
	for (int i = 0; i < 4; i++) {
		void *ret;
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		uint64_t cpu = (uint64_t)(uintptr_t)ret;
		ck_assert_msg(cpu < 20000000, "idle receiver used %llu ns of CPU in 300 ms", (unsigned long long)cpu);
	}
	llt_mpmc_free(m);
}
END_TEST

/* ------------------------------------------------- lost wake-ups */

/* Ping-pong through two channels: one thread receives with no spin, so
 * each receive parks just as the other thread, which polls, publishes the
 * next element: the race that the notifier's fence (or the waiter's
 * membarrier) closes.  A wake-up lost there leaves the receiver asleep
 * for good, which a 30 s deadline reports.  (Dropping the notify fails it at
 * once; dropping only the waiter's membarrier did not fail it in 10^5
 * rounds here: the window, a store still in the notifier's store buffer,
 * is a few hundred ns wide at most.) */
struct pingpong {
	struct llt_mpmc *ping, *pong;
	uint64_t rounds;
	_Atomic uint64_t done;
};

static void *pong_thread(void *p)
{
	struct pingpong *pp = p;
	uint64_t v, seed = 777;
	pin(1);
	while (llt_mpmc_recv_u64(pp->ping, &v) == 0) {
		if (llt_mpmc_send_u64(pp->pong, v + 1) != 0)
			break;
		atomic_store_explicit(&pp->done, v + 1, memory_order_relaxed);
		/* A random delay before the next receive, so that the other
		 * side's send lands anywhere around this one's announcement. */
		for (uint64_t k = llt_test_rnd(&seed) % 64; k > 0; k--)
			llt_cpu_relax();
	}
	return NULL;
}

START_TEST(no_lost_wakeup_pingpong)
{
	struct llt_mpmc_attr attr = {.spin_ns = 0};
	struct pingpong pp = {.rounds = (uint64_t)(100000 * llt_test_scale())};
	ck_assert_int_eq(llt_mpmc_create(4, 8, &attr, &pp.ping), 0);
	ck_assert_int_eq(llt_mpmc_create(4, 8, &attr, &pp.pong), 0);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, pong_thread, &pp), 0);
	pin(0);
	uint64_t v = 0, seed = 12345;
	for (uint64_t i = 0; i < pp.rounds; i++) {
		/* A random few hundred ns after the answer, so that the send
		 * sweeps across the other thread's way into its sleep. */
		for (uint64_t k = llt_test_rnd(&seed) % 64; k > 0; k--)
			llt_cpu_relax();
		ck_assert_int_eq(llt_mpmc_send_u64(pp.ping, 2 * i), 0);
		/* Poll for the answer (this side never sleeps, so it sends
		 * the next one while the other is parking); 30 s without one
		 * is a lost wake-up, reported instead of hanging.  (5 s was
		 * not enough once, under ASan with un-niced benchmarks
		 * spinning on both CPUs: a lost wake-up never ends, so a long
		 * deadline only delays the report.) */
		uint64_t t0 = llt_test_mono_ns();
		int rc;
		while ((rc = llt_mpmc_try_recv_u64(pp.pong, &v)) == -EAGAIN) {
			llt_cpu_relax();
			if (llt_test_mono_ns() - t0 > UINT64_C(30000000000))
				break;
		}
		ck_assert_msg(rc == 0, "round %llu: no answer in 30 s (rc %d, pong thread at %llu): lost wake-up",
			      (unsigned long long)i, rc, (unsigned long long)atomic_load(&pp.done));
		ck_assert_uint_eq(v, 2 * i + 1);
	}
	ck_assert_int_eq(llt_mpmc_close(pp.ping), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	struct llt_mpmc_stats s;
	llt_mpmc_stats(pp.ping, &s);
	printf("ping-pong: %llu rounds, receiver parks %llu\n", (unsigned long long)pp.rounds,
	       (unsigned long long)s.receiver_parks);
	llt_mpmc_free(pp.ping);
	llt_mpmc_free(pp.pong);
}
END_TEST

/* ------------------------------------------------- layout and notifier */

/* Every position of a lap has its own slot, inside the channel's memory;
 * padded slots never share an LLT_PAD_SIZE block, unpadded ones never
 * straddle a cache line, and the reserved remapping fields hold the
 * identity, so inline code from earlier headers finds the same slots. */
START_TEST(slot_layout)
{
	const size_t capacities[] = {1, 2, 8, 16, 64, 1000, 4096};
	const size_t sizes[] = {8, 16, 24, 120, 200};
	for (size_t f = 0; f < 2; f++)
		for (size_t ci = 0; ci < sizeof capacities / sizeof capacities[0]; ci++)
			for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
				struct llt_mpmc_attr a = {.flags = f ? LLT_MPMC_PAD_SLOTS : 0};
				struct llt_mpmc *m;
				ck_assert_int_eq(llt_mpmc_create(capacities[ci], sizes[si], &a, &m), 0);
				size_t cap = llt_mpmc_capacity(m), stride = m->stride;
				size_t size = llt_mpmc_memsize(capacities[ci], sizes[si], a.flags);
				unsigned char *base = (unsigned char *)(m + 1);
				unsigned char *used = calloc(cap, 1);
				ck_assert_ptr_nonnull(used);
				for (uint64_t p = 0; p < 2 * cap; p++) {
					unsigned char *s = llt_mpmc_impl_slot(m, p + UINT64_C(0xfffffffffffff000));
					size_t off = (size_t)(s - base);
					ck_assert_uint_eq(off % stride, 0);
					ck_assert_uint_lt(off / stride, cap);
					ck_assert_uint_le((size_t)(s + stride - (unsigned char *)m), size);
					if (p < cap) {
						ck_assert_msg(!used[off / stride], "cap %zu size %zu: two positions share slot %zu",
							      cap, sizes[si], off / stride);
						used[off / stride] = 1;
					}
					if (f) {
						ck_assert_msg(off % LLT_PAD_SIZE == 0 && stride % LLT_PAD_SIZE == 0,
							      "cap %zu size %zu: padded slot %zu shares a block",
							      cap, sizes[si], off / stride);
					} else if (stride <= LLT_CACHELINE_SIZE) {
						ck_assert_msg(off / LLT_CACHELINE_SIZE == (off + stride - 1) / LLT_CACHELINE_SIZE,
							      "cap %zu size %zu: slot %zu straddles a line",
							      cap, sizes[si], off / stride);
					}
					uint64_t i = (p + UINT64_C(0xfffffffffffff000)) & m->mask;
					uint64_t old = ((i & m->lo_mask) << m->hi_bits) | (i >> m->lo_bits);
					ck_assert_uint_eq(old * stride, off);
				}
				free(used);
				llt_mpmc_free(m);
			}
}
END_TEST

/* Private channels leave the fence to waiters (membarrier) where the kernel
 * has it; shared ones, and builds without it, fence every notify. */
START_TEST(notifier_fence_mode)
{
	struct llt_mpmc *m;
	ck_assert_int_eq(llt_mpmc_create(64, 8, NULL, &m), 0);
	int expect = 1;
#if defined(HAVE_MEMBARRIER) && !defined(LLT_MPMC_NO_MEMBARRIER)
	long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	const char *env = getenv("LLT_MEMBARRIER");
	expect = !(q >= 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) || (env && strcmp(env, "0") == 0);
#  if defined(__SANITIZE_THREAD__)
	expect = 1;  /* lib/membarrier.h: TSan builds keep the fences */
#  elif defined(__has_feature)
#    if __has_feature(thread_sanitizer)
	expect = 1;
#    endif
#  endif
#endif
	ck_assert_uint_eq(m->fenced, (unsigned)expect);
	llt_mpmc_free(m);
	size_t size = llt_mpmc_memsize(64, 8, LLT_MPMC_SHARED);
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	struct llt_mpmc_attr attr = {.flags = LLT_MPMC_SHARED};
	ck_assert_int_eq(llt_mpmc_init(mem, 64, 8, &attr), 0);
	ck_assert_uint_eq(((struct llt_mpmc *)mem)->fenced, 1);
	ck_assert_int_eq(llt_mpmc_destroy(mem), 0);
	munmap(mem, size);
}
END_TEST

/* ------------------------------------------------- fork + shared memory */

START_TEST(shared_between_processes)
{
	const size_t cap = 64;
	size_t size = llt_mpmc_memsize(cap, 8, LLT_MPMC_SHARED);
	ck_assert_uint_gt(size, 0);
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	struct llt_mpmc *m = mem;
	struct llt_mpmc_attr attr = {.spin_ns = 0, .flags = LLT_MPMC_SHARED};
	ck_assert_int_eq(llt_mpmc_init(m, cap, 8, &attr), 0);
	uint64_t n = (uint64_t)(200000 * llt_test_scale());
	fflush(NULL);
	pid_t pid[2];
	for (int c = 0; c < 2; c++) {
		pid[c] = fork();
		ck_assert_int_ge(pid[c], 0);
		if (pid[c] == 0) {
			uint64_t v, last = 0, seed = 5 + (uint64_t)c;
			int first = 1;
			while (llt_mpmc_recv_u64(m, &v) == 0) {
				if (!first && v <= last)
					_exit(1);
				first = 0;
				last = v;
				llt_test_pause_maybe(&seed);
			}
			_exit(0);
		}
	}
	uint64_t seed = 6;
	for (uint64_t i = 0; i < n; i++) {
		ck_assert_int_eq(llt_mpmc_send_u64(m, i), 0);
		llt_test_pause_maybe(&seed);
	}
	ck_assert_int_eq(llt_mpmc_close(m), 0);
	for (int c = 0; c < 2; c++) {
		int st;
		ck_assert_int_eq(waitpid(pid[c], &st, 0), pid[c]);
		ck_assert(WIFEXITED(st));
		ck_assert_int_eq(WEXITSTATUS(st), 0);
	}
	struct llt_mpmc_stats s;
	llt_mpmc_stats(m, &s);
	ck_assert_uint_eq(s.sent, n);
	ck_assert_uint_eq(s.received, n);
	ck_assert_int_eq(llt_mpmc_destroy(m), 0);
	munmap(mem, size);
}
END_TEST

/* ------------------------------------------------------------ bad input */

START_TEST(bad_input_changes_nothing)
{
	size_t size = llt_mpmc_memsize(16, 8, 0);
	ck_assert_uint_gt(size, sizeof(struct llt_mpmc));
	ck_assert_uint_eq(llt_mpmc_memsize(0, 8, 0), 0);
	ck_assert_uint_eq(llt_mpmc_memsize(16, 0, 0), 0);
	ck_assert_uint_eq(llt_mpmc_memsize(SIZE_MAX, 8, 0), 0);
	ck_assert_uint_eq(llt_mpmc_memsize((size_t)1 << 40, 8, 0), 0);
	ck_assert_uint_eq(llt_mpmc_memsize(16, SIZE_MAX, 0), 0);
	ck_assert_uint_eq(llt_mpmc_memsize(16, 8, 0x80), 0);
	ck_assert_uint_gt(llt_mpmc_memsize(16, 8, LLT_MPMC_PAD_SLOTS), size);
	unsigned char *mem = NULL;
	ck_assert_int_eq(posix_memalign((void **)&mem, LLT_PAD_SIZE, size + LLT_PAD_SIZE), 0);
	unsigned char *copy = malloc(size + LLT_PAD_SIZE);
	memset(mem, 0xa5, size + LLT_PAD_SIZE);
	memcpy(copy, mem, size + LLT_PAD_SIZE);
	struct llt_mpmc *m = (struct llt_mpmc *)mem;
	struct llt_mpmc_attr bad_flags = {.flags = 0x80};
	struct llt_mpmc_attr bad_reserved = {.reserved = 1};
	struct llt_mpmc_attr bad_spin = {.spin_ns = UINT64_MAX};
	ck_assert_int_eq(llt_mpmc_init(NULL, 16, 8, NULL), -EINVAL);
	ck_assert_int_eq(llt_mpmc_init(m, 0, 8, NULL), -EINVAL);
	ck_assert_int_eq(llt_mpmc_init(m, 16, 0, NULL), -EINVAL);
	ck_assert_int_eq(llt_mpmc_init(m, SIZE_MAX, 8, NULL), -EINVAL);
	ck_assert_int_eq(llt_mpmc_init(m, 16, SIZE_MAX, NULL), -EINVAL);
	ck_assert_int_eq(llt_mpmc_init(m, 16, 8, &bad_flags), -EINVAL);
	ck_assert_int_eq(llt_mpmc_init(m, 16, 8, &bad_reserved), -EINVAL);
	ck_assert_int_eq(llt_mpmc_init(m, 16, 8, &bad_spin), -EINVAL);
	ck_assert_int_eq(llt_mpmc_init((struct llt_mpmc *)(mem + 8), 16, 8, NULL), -EINVAL);
	ck_assert_int_eq(memcmp(mem, copy, size + LLT_PAD_SIZE), 0);
	struct llt_mpmc *out = (struct llt_mpmc *)copy;
	ck_assert_int_eq(llt_mpmc_create(0, 8, NULL, &out), -EINVAL);
	ck_assert_int_eq(llt_mpmc_create(16, 8, &bad_flags, &out), -EINVAL);
	ck_assert_ptr_eq(out, (struct llt_mpmc *)copy);
	ck_assert_int_eq(llt_mpmc_create(16, 8, NULL, NULL), -EINVAL);
	struct llt_mpmc_attr shared = {.flags = LLT_MPMC_SHARED};
	ck_assert_int_eq(llt_mpmc_create(16, 8, &shared, &out), -EINVAL);
	ck_assert_ptr_eq(out, (struct llt_mpmc *)copy);
	ck_assert_int_eq(llt_mpmc_close(NULL), -EINVAL);
	ck_assert_int_eq(llt_mpmc_destroy(NULL), -EINVAL);
	ck_assert_int_eq(llt_mpmc_destroy(m), -EINVAL); /* never initialised */
	llt_mpmc_free(NULL);
	/* A good init in the same memory works, and capacity rounds up. */
	ck_assert_int_eq(llt_mpmc_init(m, 13, 8, NULL), 0);
	ck_assert_uint_eq(llt_mpmc_capacity(m), 16);
	ck_assert_int_eq(llt_mpmc_destroy(m), 0);
	free(mem);
	free(copy);
}
END_TEST

int main(void)
{
	struct llt_cpu_topology *t;
	if (llt_cpu_topology_create(&t) == 0) {
		ncpus = llt_cpu_topology_allowed(t, cpus, 1024);
		llt_cpu_topology_free(t);
	}
	Suite *s = suite_create("mpmc");
	TCase *tc = tcase_create("delivery");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, p1_c1);
	tcase_add_test(tc, p2_c2);
	tcase_add_test(tc, p4_c4);
	tcase_add_test(tc, p8_c1);
	tcase_add_test(tc, p1_c8);
	tcase_add_test(tc, parking_only);
	tcase_add_test(tc, wide_elements);
	tcase_add_test(tc, slot_layout);
	tcase_add_test(tc, notifier_fence_mode);
	suite_add_tcase(s, tc);
	tc = tcase_create("close");
	tcase_add_test(tc, close_empty);
	tcase_add_test(tc, close_full_drains);
	tcase_add_test(tc, close_wakes_parked_receivers);
	tcase_add_test(tc, close_wakes_parked_senders);
	suite_add_tcase(s, tc);
	tc = tcase_create("waiting");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, one_send_wakes_one_receiver);
	tcase_add_test(tc, no_lost_wakeup_pingpong);
	tcase_add_test(tc, no_syscall_without_sleepers);
	tcase_add_test(tc, backpressure);
	tcase_add_test(tc, timeouts_expire_never_early);
	tcase_add_test(tc, idle_receivers_sleep);
	tcase_add_test(tc, shared_between_processes);
	tcase_add_test(tc, bad_input_changes_nothing);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
