/* llt/chan: exactly-once in-order delivery with random pauses, bulk,
 * close in every state, timeouts, a park/wake storm, fork + shared memory,
 * bad input, and an idle receiver's CPU time. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* when built outside configure's config.h */
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <llt/chan.h>
#include <llt/clock.h>
#include <llt/cpu.h>

#include "testutil.h"

static int cpu_a = -1, cpu_b = -1;

struct run {
	struct llt_chan *c;
	uint64_t n;
	int bulk;
	uint64_t bad;      /* out-of-order or wrong elements seen */
	uint64_t got;
};

static void *producer(void *p)
{
	struct run *r = p;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	if (cpu_a >= 0)
		llt_cpu_pin(cpu_a);
	uint64_t buf[64];
	for (uint64_t i = 0; i < r->n;) {
		llt_test_pause_maybe(&seed);
		if (r->bulk) {
			size_t k = 1 + llt_test_rnd(&seed) % 64;
			if (k > r->n - i)
				k = (size_t)(r->n - i);
			for (size_t j = 0; j < k; j++)
				buf[j] = i + j;
			size_t off = 0;
			while (off < k) {
				ssize_t m = llt_chan_send_bulk(r->c, buf + off, k - off);
				if (m <= 0)
					return (void *)1;
				off += (size_t)m;
			}
			i += k;
		} else {
			if (llt_chan_send(r->c, &i) != 0)
				return (void *)1;
			i++;
		}
	}
	return NULL;
}

static void *consumer(void *p)
{
	struct run *r = p;
	uint64_t seed = 0x243f6a8885a308d3u;
	if (cpu_b >= 0)
		llt_cpu_pin(cpu_b);
	uint64_t buf[64], want = 0;
	while (want < r->n) {
		llt_test_pause_maybe(&seed);
		if (r->bulk) {
			ssize_t m = llt_chan_recv_bulk(r->c, buf, 1 + llt_test_rnd(&seed) % 64);
			if (m <= 0)
				return (void *)1;
			for (ssize_t j = 0; j < m; j++)
				r->bad += buf[j] != want++;
		} else {
			uint64_t v;
			if (llt_chan_recv(r->c, &v) != 0)
				return (void *)1;
			r->bad += v != want++;
		}
	}
	r->got = want;
	return NULL;
}

static void run_pair(size_t cap, uint64_t spin_ns, int bulk, uint64_t n)
{
	struct llt_chan_attr attr = {.spin_ns = spin_ns};
	struct run r = {.n = n, .bulk = bulk};
	ck_assert_int_eq(llt_chan_create(cap, sizeof(uint64_t), &attr, &r.c), 0);
	pthread_t tp, tc;
	void *rp, *rc;
	ck_assert_int_eq(pthread_create(&tc, NULL, consumer, &r), 0);
	ck_assert_int_eq(pthread_create(&tp, NULL, producer, &r), 0);
	ck_assert_int_eq(pthread_join(tp, &rp), 0);
	ck_assert_int_eq(pthread_join(tc, &rc), 0);
	ck_assert_ptr_null(rp);
	ck_assert_ptr_null(rc);
	ck_assert_uint_eq(r.bad, 0);
	ck_assert_uint_eq(r.got, n);
	/* Nothing left over, and the counters add up. */
	uint64_t v;
	ck_assert_int_eq(llt_chan_try_recv(r.c, &v), -EAGAIN);
	struct llt_chan_stats st;
	llt_chan_stats(r.c, &st);
	ck_assert_uint_eq(st.sent, n);
	ck_assert_uint_eq(st.received, n);
	printf("cap %zu spin %llu ns %s: %llu items, full %llu, empty %llu, parks %llu/%llu, wakes %llu/%llu\n",
	       cap, (unsigned long long)spin_ns, bulk ? "bulk" : "single", (unsigned long long)n,
	       (unsigned long long)st.full, (unsigned long long)st.empty,
	       (unsigned long long)st.sender_parks, (unsigned long long)st.receiver_parks,
	       (unsigned long long)st.sender_wakes, (unsigned long long)st.receiver_wakes);
	llt_chan_free(r.c);
}

START_TEST(exactly_once_in_order)
{
	uint64_t n = (uint64_t)(10000000 * llt_test_scale());
	run_pair(1024, LLT_CHAN_SPIN_DEFAULT_NS, 0, n);
}
END_TEST

START_TEST(exactly_once_parking)
{
	/* No spinning: every wait parks, so the wake-up path carries it. */
	uint64_t n = (uint64_t)(2000000 * llt_test_scale());
	run_pair(64, 0, 0, n);
	run_pair(3, 0, 0, n / 4);
}
END_TEST

START_TEST(exactly_once_bulk)
{
	uint64_t n = (uint64_t)(10000000 * llt_test_scale());
	run_pair(1024, LLT_CHAN_SPIN_DEFAULT_NS, 1, n);
	run_pair(100, 0, 1, n / 10);
}
END_TEST

/* Wider elements: 40 bytes, self-checking. */
struct wide {
	uint64_t seq;
	uint64_t words[3];
	uint64_t sum;
};

static void *wide_consumer(void *p)
{
	struct llt_chan *c = p;
	struct wide w;
	uint64_t want = 0;
	while (llt_chan_recv(c, &w) == 0) {
		if (w.seq != want++ || w.sum != (w.seq ^ w.words[0] ^ w.words[1] ^ w.words[2]))
			return (void *)1;
	}
	return (void *)(uintptr_t)(want == (uint64_t)(1000000 * llt_test_scale()) ? 0 : 2);
}

START_TEST(wide_elements_then_close)
{
	struct llt_chan *c;
	ck_assert_int_eq(llt_chan_create(37, sizeof(struct wide), NULL, &c), 0);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, wide_consumer, c), 0);
	uint64_t n = (uint64_t)(1000000 * llt_test_scale()), seed = 42;
	for (uint64_t i = 0; i < n; i++) {
		struct wide w = {i, {llt_test_rnd(&seed), llt_test_rnd(&seed), llt_test_rnd(&seed)}, 0};
		w.sum = w.seq ^ w.words[0] ^ w.words[1] ^ w.words[2];
		ck_assert_int_eq(llt_chan_send(c, &w), 0);
	}
	/* Close right after the last send: the receiver drains it all. */
	ck_assert_int_eq(llt_chan_close(c), 0);
	void *ret;
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	ck_assert_ptr_null(ret);
	llt_chan_free(c);
}
END_TEST

/* ------------------------------------------------------------------ close */

struct blocked {
	struct llt_chan *c;
	int send;        /* block in send (else recv) */
	int result;
	_Atomic int started;
};

static void *block_in(void *p)
{
	struct blocked *b = p;
	uint64_t v = 7;
	atomic_store(&b->started, 1);
	b->result = b->send ? llt_chan_send(b->c, &v) : llt_chan_recv(b->c, &v);
	return NULL;
}

/* Wait until the thread has parked (the park's stats say so). */
static void wait_parked(struct llt_chan *c, int sender)
{
	for (int i = 0; i < 2000; i++) {
		struct llt_chan_stats st;
		llt_chan_stats(c, &st);
		if ((sender ? st.sender_parks : st.receiver_parks) > 0)
			return;
		usleep(1000);
	}
	ck_abort_msg("the blocked thread never parked");
}

START_TEST(close_empty)
{
	struct llt_chan *c;
	ck_assert_int_eq(llt_chan_create(4, 8, NULL, &c), 0);
	ck_assert(!llt_chan_is_closed(c));
	ck_assert_int_eq(llt_chan_close(c), 0);
	ck_assert(llt_chan_is_closed(c));
	ck_assert_int_eq(llt_chan_close(c), -EPIPE);
	uint64_t v = 1;
	ck_assert_int_eq(llt_chan_recv(c, &v), -EPIPE);
	ck_assert_int_eq(llt_chan_try_recv(c, &v), -EPIPE);
	ck_assert_int_eq(llt_chan_recv_timed(c, &v, 1000000), -EPIPE);
	ck_assert_int_eq(llt_chan_recv_bulk(c, &v, 1), -EPIPE);
	ck_assert_int_eq(llt_chan_try_recv_bulk(c, &v, 1), -EPIPE);
	ck_assert_int_eq(llt_chan_send(c, &v), -EPIPE);
	ck_assert_int_eq(llt_chan_try_send(c, &v), -EPIPE);
	ck_assert_int_eq(llt_chan_send_timed(c, &v, 1000000), -EPIPE);
	ck_assert_int_eq(llt_chan_send_bulk(c, &v, 1), -EPIPE);
	ck_assert_int_eq(llt_chan_try_send_bulk(c, &v, 1), -EPIPE);
	llt_chan_free(c);
}
END_TEST

START_TEST(close_full_drains)
{
	struct llt_chan *c;
	ck_assert_int_eq(llt_chan_create(5, 8, NULL, &c), 0);
	uint64_t v, n = 0;
	while (llt_chan_try_send(c, &n) == 0)
		n++;
	ck_assert_uint_ge(n, 5);
	ck_assert_int_eq(llt_chan_try_send(c, &n), -EAGAIN);
	ck_assert_int_eq(llt_chan_close(c), 0);
	ck_assert_int_eq(llt_chan_send(c, &n), -EPIPE);
	for (uint64_t i = 0; i < n; i++) {
		ck_assert_int_eq(llt_chan_recv(c, &v), 0);
		ck_assert_uint_eq(v, i);
	}
	ck_assert_int_eq(llt_chan_recv(c, &v), -EPIPE);
	llt_chan_free(c);
}
END_TEST

START_TEST(close_wakes_parked_receiver)
{
	struct llt_chan_attr attr = {.spin_ns = 0};
	struct blocked b = {.send = 0};
	ck_assert_int_eq(llt_chan_create(4, 8, &attr, &b.c), 0);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, block_in, &b), 0);
	wait_parked(b.c, 0);
	ck_assert_int_eq(llt_chan_close(b.c), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(b.result, -EPIPE);
	ck_assert_int_eq(llt_chan_destroy(b.c), 0);
	free(b.c);
}
END_TEST

START_TEST(close_wakes_parked_sender)
{
	struct llt_chan_attr attr = {.spin_ns = 0};
	struct blocked b = {.send = 1};
	ck_assert_int_eq(llt_chan_create(2, 8, &attr, &b.c), 0);
	uint64_t v = 0;
	while (llt_chan_try_send(b.c, &v) == 0)
		v++;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, block_in, &b), 0);
	wait_parked(b.c, 1);
	ck_assert_int_eq(llt_chan_close(b.c), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(b.result, -EPIPE);
	/* What was in the ring before the close is still delivered. */
	for (uint64_t i = 0; i < v; i++) {
		uint64_t x;
		ck_assert_int_eq(llt_chan_recv(b.c, &x), 0);
		ck_assert_uint_eq(x, i);
	}
	ck_assert_int_eq(llt_chan_recv(b.c, &v), -EPIPE);
	llt_chan_free(b.c);
}
END_TEST

START_TEST(parked_receiver_gets_item)
{
	struct llt_chan_attr attr = {.spin_ns = 0};
	struct blocked b = {.send = 0};
	ck_assert_int_eq(llt_chan_create(4, 8, &attr, &b.c), 0);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, block_in, &b), 0);
	wait_parked(b.c, 0);
	uint64_t v = 99;
	ck_assert_int_eq(llt_chan_send(b.c, &v), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(b.result, 0);
	struct llt_chan_stats st;
	llt_chan_stats(b.c, &st);
	ck_assert_uint_ge(st.receiver_wakes, 1);
	llt_chan_free(b.c);
}
END_TEST

/* ------------------------------------------------------------- timeouts */

START_TEST(timeouts_expire_never_early)
{
	struct llt_chan *c;
	ck_assert_int_eq(llt_chan_create(2, 8, NULL, &c), 0);
	uint64_t v = 0;
	const uint64_t waits[] = {0, 1000, 50000, 2000000, 30000000};
	for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
		uint64_t t0 = llt_test_mono_ns();
		ck_assert_int_eq(llt_chan_recv_timed(c, &v, waits[i]), -ETIMEDOUT);
		uint64_t dt = llt_test_mono_ns() - t0;
		ck_assert_msg(dt >= waits[i], "recv_timed(%llu ns) returned after %llu ns",
			      (unsigned long long)waits[i], (unsigned long long)dt);
		ck_assert_msg(dt < waits[i] + 200000000, "recv_timed(%llu ns) took %llu ns",
			      (unsigned long long)waits[i], (unsigned long long)dt);
	}
	while (llt_chan_try_send(c, &v) == 0)
		v++;
	for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
		uint64_t t0 = llt_test_mono_ns();
		ck_assert_int_eq(llt_chan_send_timed(c, &v, waits[i]), -ETIMEDOUT);
		uint64_t dt = llt_test_mono_ns() - t0;
		ck_assert(dt >= waits[i] && dt < waits[i] + 200000000);
	}
	/* With an element, or room (fewer than the capacity queued: the
	 * ring may hold a few more, see llt_ring_push(3)), the timed forms
	 * succeed at once. */
	uint64_t x, queued = v;
	ck_assert_uint_ge(queued, 2);
	for (uint64_t i = 0; queued >= 2; i++, queued--) {
		ck_assert_int_eq(llt_chan_recv_timed(c, &x, 0), 0);
		ck_assert_uint_eq(x, i);
	}
	ck_assert_int_eq(llt_chan_send_timed(c, &v, 0), 0);
	llt_chan_free(c);
}
END_TEST

/* ------------------------------------------- the fence protocol's regimes */

/* lib/chan.c chooses each side's park protocol per wait: symmetric fences
 * when the side parks every few items, membarrier(2) when it parks once
 * in thousands (see "fence protocol" there).  Here the producer
 * alternates paced phases (one item, then a 20-100 us sleep, so the
 * receiver parks for every item) with streaming phases (hundreds of
 * thousands of items, the receiver pausing now and then so the ring
 * fills and its runs between parks grow past the threshold), with random
 * pauses on both sides, millions of items in all.  Checked: every item
 * arrives exactly once and in order; a watchdog aborts when nothing moves
 * for 3 s (a lost wake-up: with spin 0 every wait parks); and, where the
 * channel may use membarrier, the receiver's park is symmetric at the end
 * of most paced phases and asymmetric at the end of most streaming ones,
 * and it switched at least once per phase change. */
struct regime {
	struct llt_chan *c;
	unsigned rounds;
	uint64_t sent;
	_Atomic uint64_t progress;    /* items received */
	_Atomic int done;
	uint64_t bad, got;
	unsigned sym_after_paced, asym_after_stream;
};

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The receiver's fence regime (true: asymmetric) at its first park after
 * it has received all `sent` items, which the phase just ended decided.
 * Looking at the first park seen, as this did before, could read a wait
 * from the previous phase: a receiver woken by the phase's first item but
 * not yet scheduled (the CI's ASan stage runs two suites at once on two
 * CPUs) still counts as a sleeper, and this phase's items sit in the
 * ring.  Aborts, as the watchdog does, if the receiver neither catches up
 * nor parks within 10 s. */
static bool rx_asym_when_parked(struct regime *r, uint64_t sent)
{
	uint64_t t0 = llt_test_mono_ns();
	for (;;) {
		/* Acquire: keeps the load of the sleepers below after this
		 * one, so a sleeper seen once the count reached `sent` waits
		 * in a later call than the one that received the last item. */
		uint64_t got = atomic_load_explicit(&r->progress, memory_order_acquire);
		struct llt_park_stats st;
		llt_park_stats(&r->c->not_empty, &st);
		if (got >= sent && st.sleepers)
			break;
		if (llt_test_mono_ns() - t0 > 10000000000u) {
			fprintf(stderr, "regimes: after 10 s the receiver has %llu of %llu items, %u sleeping\n",
				(unsigned long long)got, (unsigned long long)sent, (unsigned)st.sleepers);
			abort();
		}
		sleep_ns(50000);
	}
	/* Relaxed, both: the receiver stored them before it went to sleep.
	 * A probe (an asymmetric wait now and then, in the symmetric regime:
	 * lib/chan.c) counts as the symmetric regime it probes from; its
	 * place depends on how many waits each phase had, and it fell on a
	 * phase's last wait in 1 of 960 checks here (40 runs under ASan). */
	bool asym = (__atomic_load_n(&r->c->not_empty.flags, __ATOMIC_RELAXED) & LLT_PARK_IMPL_ASYM) != 0;
	return asym && !__atomic_load_n(&r->c->rx.fence_probing, __ATOMIC_RELAXED);
}

static void *regime_producer(void *p)
{
	struct regime *r = p;
	uint64_t seed = 0x6a09e667f3bcc908u, v = 0, buf[32];
	if (cpu_a >= 0)
		llt_cpu_pin(cpu_a);
	for (unsigned round = 0; round < r->rounds; round++) {
		unsigned k = 30 + (unsigned)(llt_test_rnd(&seed) % 50);
		for (unsigned i = 0; i < k; i++) {
			if (llt_chan_send(r->c, &v) != 0)
				return (void *)1;
			v++;
			sleep_ns(20000 + llt_test_rnd(&seed) % 80000);
		}
		r->sym_after_paced += !rx_asym_when_parked(r, v);
		uint64_t m = (uint64_t)((200000 + llt_test_rnd(&seed) % 300000) * llt_test_scale());
		for (uint64_t end = v + m; v < end;) {
			llt_test_pause_maybe(&seed);
			if (llt_test_rnd(&seed) % 4 == 0) {
				size_t n = 1 + llt_test_rnd(&seed) % 32;
				if (n > end - v)
					n = (size_t)(end - v);
				for (size_t j = 0; j < n; j++)
					buf[j] = v + j;
				ssize_t got = llt_chan_send_bulk(r->c, buf, n);
				if (got <= 0)
					return (void *)1;
				v += (uint64_t)got;
			} else {
				if (llt_chan_send(r->c, &v) != 0)
					return (void *)1;
				v++;
			}
		}
		r->asym_after_stream += rx_asym_when_parked(r, v);
	}
	r->sent = v;
	llt_chan_close(r->c);
	return NULL;
}

static void *regime_consumer(void *p)
{
	struct regime *r = p;
	uint64_t seed = 0xbb67ae8584caa73bu, want = 0, v;
	if (cpu_b >= 0)
		llt_cpu_pin(cpu_b);
	for (;;) {
		int rc = llt_chan_recv(r->c, &v);
		if (rc == -EPIPE)
			break;
		if (rc != 0)
			return (void *)1;
		r->bad += v != want++;
		atomic_store_explicit(&r->progress, want, memory_order_relaxed);
		llt_test_pause_maybe(&seed);
		/* Now and then a pause long enough for the ring to fill. */
		if ((want & 8191) == 0)
			sleep_ns(100000);
	}
	r->got = want;
	return NULL;
}

static void *regime_watchdog(void *p)
{
	struct regime *r = p;
	uint64_t last = UINT64_MAX, t = llt_test_mono_ns();
	while (!atomic_load(&r->done)) {
		sleep_ns(20000000);
		uint64_t now = atomic_load_explicit(&r->progress, memory_order_relaxed);
		if (now != last) {
			last = now;
			t = llt_test_mono_ns();
		} else if (llt_test_mono_ns() - t > 3000000000u) {
			fprintf(stderr, "regimes: no progress for 3 s at item %llu: lost wake-up\n",
				(unsigned long long)now);
			abort();
		}
	}
	return NULL;
}

static void run_regimes(uint64_t spin_ns, unsigned rounds)
{
	struct llt_chan_attr attr = {.spin_ns = spin_ns};
	struct regime r = {.rounds = rounds};
	ck_assert_int_eq(llt_chan_create(4096, sizeof(uint64_t), &attr, &r.c), 0);
	bool adapt = r.c->rx.fence_adapt;
	pthread_t tp, tc, tw;
	void *rp, *rc;
	ck_assert_int_eq(pthread_create(&tw, NULL, regime_watchdog, &r), 0);
	ck_assert_int_eq(pthread_create(&tc, NULL, regime_consumer, &r), 0);
	ck_assert_int_eq(pthread_create(&tp, NULL, regime_producer, &r), 0);
	ck_assert_int_eq(pthread_join(tp, &rp), 0);
	ck_assert_int_eq(pthread_join(tc, &rc), 0);
	atomic_store(&r.done, 1);
	ck_assert_int_eq(pthread_join(tw, NULL), 0);
	ck_assert_ptr_null(rp);
	ck_assert_ptr_null(rc);
	ck_assert_uint_eq(r.bad, 0);
	ck_assert_uint_eq(r.got, r.sent);
	struct llt_chan_stats st;
	llt_chan_stats(r.c, &st);
	ck_assert_uint_eq(st.received, r.sent);
	uint64_t sw = __atomic_load_n(&r.c->rx.fence_switches, __ATOMIC_RELAXED);
	printf("regimes, spin %llu ns: %llu items in %u rounds, receiver parks %llu, "
	       "protocol %s: symmetric after %u paced phases, asymmetric after %u streaming ones, "
	       "%llu switches (sender: %llu parks, %llu switches)\n",
	       (unsigned long long)spin_ns, (unsigned long long)r.sent, rounds,
	       (unsigned long long)st.receiver_parks, adapt ? "adaptive" : "fixed (no membarrier)",
	       r.sym_after_paced, r.asym_after_stream, (unsigned long long)sw,
	       (unsigned long long)st.sender_parks, (unsigned long long)__atomic_load_n(&r.c->tx.fence_switches, __ATOMIC_RELAXED));
	if (adapt) {
		ck_assert_uint_ge(r.sym_after_paced, rounds / 2 + 1);
		ck_assert_uint_ge(r.asym_after_stream, rounds / 2 + 1);
		ck_assert_uint_ge(sw, 2 * (uint64_t)(rounds / 2));
	} else {
		ck_assert_uint_eq(sw, 0);
		ck_assert(!(r.c->not_empty.flags & LLT_PARK_IMPL_ASYM));
	}
	llt_chan_free(r.c);
}

START_TEST(fence_protocol_regimes)
{
	run_regimes(0, 8);
	run_regimes(LLT_CHAN_SPIN_DEFAULT_NS, 4);
}
END_TEST

/* -------------------------------------------------------- sleep/wake storm */

struct storm {
	struct llt_chan *req, *rep;
	uint64_t rounds;
	_Atomic uint64_t progress;
};

static void *echo(void *p)
{
	struct storm *s = p;
	if (cpu_b >= 0)
		llt_cpu_pin(cpu_b);
	uint64_t v;
	while (llt_chan_recv(s->req, &v) == 0) {
		if (llt_chan_send(s->rep, &v) != 0)
			return (void *)1;
	}
	return NULL;
}

static void *watchdog(void *p)
{
	struct storm *s = p;
	uint64_t last = (uint64_t)-1;
	for (;;) {
		sleep(2);
		uint64_t now = atomic_load(&s->progress);
		if (now >= s->rounds)
			return NULL;
		if (now == last) {
			fprintf(stderr, "storm: no progress for 2 s at round %llu: lost wake-up\n",
				(unsigned long long)now);
			abort();
		}
		last = now;
	}
}

START_TEST(wake_storm_loses_nothing)
{
	/* Ping-pong with no spinning: both sides park on every round. */
	struct llt_chan_attr attr = {.spin_ns = 0};
	struct storm s = {.rounds = (uint64_t)(100000 * llt_test_scale())};
	ck_assert_int_eq(llt_chan_create(1, 8, &attr, &s.req), 0);
	ck_assert_int_eq(llt_chan_create(1, 8, &attr, &s.rep), 0);
	pthread_t te, tw;
	ck_assert_int_eq(pthread_create(&te, NULL, echo, &s), 0);
	ck_assert_int_eq(pthread_create(&tw, NULL, watchdog, &s), 0);
	if (cpu_a >= 0)
		llt_cpu_pin(cpu_a);
	for (uint64_t i = 0; i < s.rounds; i++) {
		uint64_t v;
		ck_assert_int_eq(llt_chan_send(s.req, &i), 0);
		ck_assert_int_eq(llt_chan_recv(s.rep, &v), 0);
		ck_assert_uint_eq(v, i);
		atomic_store(&s.progress, i + 1);
	}
	llt_chan_close(s.req);
	void *ret;
	ck_assert_int_eq(pthread_join(te, &ret), 0);
	ck_assert_ptr_null(ret);
	ck_assert_int_eq(pthread_join(tw, NULL), 0);
	struct llt_chan_stats a, b;
	llt_chan_stats(s.req, &a);
	llt_chan_stats(s.rep, &b);
	printf("storm: %llu rounds, receiver parks %llu + %llu, wakes %llu + %llu\n",
	       (unsigned long long)s.rounds, (unsigned long long)a.receiver_parks,
	       (unsigned long long)b.receiver_parks, (unsigned long long)a.receiver_wakes,
	       (unsigned long long)b.receiver_wakes);
	llt_cpu_unpin();
	llt_chan_free(s.req);
	llt_chan_free(s.rep);
}
END_TEST

/* An idle receiver, once parked, uses (close to) no CPU. */
static void *idle_receiver(void *p)
{
	struct llt_chan *c = p;
	struct timespec a, b;
	uint64_t v;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	int r = llt_chan_recv(c, &v);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	uint64_t cpu = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u + (uint64_t)(b.tv_nsec - a.tv_nsec);
	return (void *)(uintptr_t)(r == 0 ? cpu : UINT64_MAX);
}

START_TEST(idle_receiver_sleeps)
{
	struct llt_chan *c;
	ck_assert_int_eq(llt_chan_create(16, 8, NULL, &c), 0);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, idle_receiver, c), 0);
	usleep(300000);
	uint64_t v = 1;
	ck_assert_int_eq(llt_chan_send(c, &v), 0);
	void *ret;
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	uint64_t cpu = (uint64_t)(uintptr_t)ret;
	/* 300 ms idle: the spin budget is 20 us; allow scheduling noise. */
	ck_assert_msg(cpu < 20000000, "idle receiver used %llu ns of CPU in 300 ms", (unsigned long long)cpu);
	llt_chan_free(c);
}
END_TEST

/* The adaptive spin: a receiver fed a message every 200 us (ten times
 * the 20 us ceiling) stops spinning: its budget falls far below the
 * ceiling and it parks for nearly every message; with
 * LLT_CHAN_SPIN_FIXED the budget stays put.  Then, fed densely again
 * (each message ~1 us after the receiver took the last), the budget
 * climbs back: within 256 waits a probe's full-ceiling spin catches a
 * short wait, which restores it. */
struct paced {
	struct llt_chan *c;
	uint64_t n;
	int rc;
};

static void *paced_receiver(void *p)
{
	struct paced *pc = p;
	uint64_t v;
	if (cpu_b >= 0)
		llt_cpu_pin(cpu_b);
	for (uint64_t i = 0; i < pc->n; i++)
		if (llt_chan_recv(pc->c, &v) != 0 || v != i) {
			pc->rc = 1;
			break;
		}
	return NULL;
}

static void paced_run(unsigned flags, uint64_t *budget_after_paced, uint64_t *parks_paced,
		      uint64_t *budget_after_dense)
{
	struct llt_chan_attr attr = {.spin_ns = LLT_CHAN_SPIN_DEFAULT_NS, .flags = flags};
	struct llt_chan *c;
	const uint64_t slow = 200, dense = 3000;
	ck_assert_int_eq(llt_chan_create(1024, 8, &attr, &c), 0);
	ck_assert_uint_eq(c->rx.spin_ns, LLT_CHAN_SPIN_DEFAULT_NS);
	struct paced pc = {c, slow + dense, 0};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, paced_receiver, &pc), 0);
	if (cpu_a >= 0)
		llt_cpu_pin(cpu_a);
	uint64_t i = 0;
	for (; i < slow; i++) {
		usleep(200);
		ck_assert_int_eq(llt_chan_send(c, &i), 0);
	}
	usleep(2000);   /* the receiver has taken the last and waits again */
	struct llt_chan_stats st;
	llt_chan_stats(c, &st);
	*budget_after_paced = __atomic_load_n(&c->rx.spin_ns, __ATOMIC_RELAXED);
	*parks_paced = st.receiver_parks;
	for (; i < slow + dense; i++) {
		/* Once the receiver has the previous message, 1 us and send:
		 * every receive waits, briefly. */
		do
			llt_chan_stats(c, &st);
		while (st.received < i);
		uint64_t t0 = llt_clock_now(), gap = llt_clock_from_ns(1000);
		while (llt_clock_now() - t0 < gap)
			llt_cpu_relax();
		ck_assert_int_eq(llt_chan_send(c, &i), 0);
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(pc.rc, 0);
	*budget_after_dense = c->rx.spin_ns;
	llt_cpu_unpin();
	llt_chan_free(c);
}

START_TEST(adaptive_spin)
{
	uint64_t b_paced, parks, b_dense;
	paced_run(0, &b_paced, &parks, &b_dense);
	printf("adaptive: budget %llu ns after 200 paced messages (%llu parks), %llu ns after dense ones\n",
	       (unsigned long long)b_paced, (unsigned long long)parks, (unsigned long long)b_dense);
	ck_assert_uint_lt(b_paced, LLT_CHAN_SPIN_DEFAULT_NS / 8);
	/* The parks are printed, not asserted: on a loaded machine the
	 * receiver may get the CPU only after several messages are in. */
	ck_assert_uint_gt(b_dense, b_paced);
	paced_run(LLT_CHAN_SPIN_FIXED, &b_paced, &parks, &b_dense);
	printf("fixed: budget %llu ns after 200 paced messages (%llu parks), %llu ns after dense ones\n",
	       (unsigned long long)b_paced, (unsigned long long)parks, (unsigned long long)b_dense);
	ck_assert_uint_eq(b_paced, LLT_CHAN_SPIN_DEFAULT_NS);
	ck_assert_uint_eq(b_dense, LLT_CHAN_SPIN_DEFAULT_NS);
}
END_TEST

/* ------------------------------------------------- fork + shared memory */

START_TEST(shared_between_processes)
{
	const size_t cap = 64;
	size_t size = llt_chan_memsize(cap, 8);
	ck_assert_uint_gt(size, 0);
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	struct llt_chan *c = mem;
	struct llt_chan_attr attr = {.spin_ns = 0, .flags = LLT_CHAN_SHARED};
	ck_assert_int_eq(llt_chan_init(c, cap, 8, &attr), 0);
	uint64_t n = (uint64_t)(1000000 * llt_test_scale());
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint64_t v, want = 0, seed = 5;
		while (llt_chan_recv(c, &v) == 0) {
			if (v != want++)
				_exit(1);
			llt_test_pause_maybe(&seed);
		}
		_exit(want == n ? 0 : 2);
	}
	uint64_t seed = 6;
	for (uint64_t i = 0; i < n; i++) {
		ck_assert_int_eq(llt_chan_send(c, &i), 0);
		llt_test_pause_maybe(&seed);
	}
	ck_assert_int_eq(llt_chan_close(c), 0);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	struct llt_chan_stats s;
	llt_chan_stats(c, &s);
	ck_assert_uint_eq(s.sent, n);
	ck_assert_uint_eq(s.received, n);
	ck_assert_int_eq(llt_chan_destroy(c), 0);
	munmap(mem, size);
}
END_TEST

/* ------------------------------------------------------------ bad input */

START_TEST(bad_input_changes_nothing)
{
	size_t size = llt_chan_memsize(16, 8);
	ck_assert_uint_gt(size, sizeof(struct llt_chan));
	ck_assert_uint_eq(llt_chan_memsize(0, 8), 0);
	ck_assert_uint_eq(llt_chan_memsize(16, 0), 0);
	ck_assert_uint_eq(llt_chan_memsize(SIZE_MAX, 8), 0);
	unsigned char *mem = NULL;
	ck_assert_int_eq(posix_memalign((void **)&mem, LLT_PAD_SIZE, size + LLT_PAD_SIZE), 0);
	unsigned char *copy = malloc(size + LLT_PAD_SIZE);
	memset(mem, 0xa5, size + LLT_PAD_SIZE);
	memcpy(copy, mem, size + LLT_PAD_SIZE);
	struct llt_chan *c = (struct llt_chan *)mem;
	struct llt_chan_attr bad_flags = {.flags = 0x80};
	struct llt_chan_attr bad_flags2 = {.flags = 0x4};
	struct llt_chan_attr bad_reserved = {.reserved = 1};
	struct llt_chan_attr bad_spin = {.spin_ns = UINT64_MAX};
	ck_assert_int_eq(llt_chan_init(NULL, 16, 8, NULL), -EINVAL);
	ck_assert_int_eq(llt_chan_init(c, 0, 8, NULL), -EINVAL);
	ck_assert_int_eq(llt_chan_init(c, 16, 0, NULL), -EINVAL);
	ck_assert_int_eq(llt_chan_init(c, SIZE_MAX, 8, NULL), -EINVAL);
	ck_assert_int_eq(llt_chan_init(c, 16, 8, &bad_flags), -EINVAL);
	ck_assert_int_eq(llt_chan_init(c, 16, 8, &bad_flags2), -EINVAL);
	ck_assert_int_eq(llt_chan_init(c, 16, 8, &bad_reserved), -EINVAL);
	ck_assert_int_eq(llt_chan_init(c, 16, 8, &bad_spin), -EINVAL);
	ck_assert_int_eq(llt_chan_init((struct llt_chan *)(mem + 8), 16, 8, NULL), -EINVAL);
	ck_assert_int_eq(memcmp(mem, copy, size + LLT_PAD_SIZE), 0);
	struct llt_chan *out = (struct llt_chan *)copy;
	ck_assert_int_eq(llt_chan_create(0, 8, NULL, &out), -EINVAL);
	ck_assert_ptr_eq(out, (struct llt_chan *)copy);
	ck_assert_int_eq(llt_chan_create(16, 8, NULL, NULL), -EINVAL);
	struct llt_chan_attr shared = {.flags = LLT_CHAN_SHARED};
	ck_assert_int_eq(llt_chan_create(16, 8, &shared, &out), -EINVAL);
	ck_assert_int_eq(llt_chan_close(NULL), -EINVAL);
	ck_assert_int_eq(llt_chan_destroy(NULL), -EINVAL);
	ck_assert_int_eq(llt_chan_destroy(c), -EINVAL); /* never initialised */
	llt_chan_free(NULL);
	free(mem);
	free(copy);
}
END_TEST

int main(void)
{
	struct llt_cpu_topology *t;
	int cpus[1024], n = 0;
	if (llt_cpu_topology_create(&t) == 0) {
		n = llt_cpu_topology_allowed(t, cpus, 1024);
		llt_cpu_topology_free(t);
	}
	if (n >= 2) {
		cpu_a = cpus[0];
		cpu_b = cpus[1];
	}
	Suite *s = suite_create("chan");
	TCase *tc = tcase_create("delivery");
	tcase_add_test(tc, exactly_once_in_order);
	tcase_add_test(tc, exactly_once_parking);
	tcase_add_test(tc, exactly_once_bulk);
	tcase_add_test(tc, wide_elements_then_close);
	suite_add_tcase(s, tc);
	tc = tcase_create("close");
	tcase_add_test(tc, close_empty);
	tcase_add_test(tc, close_full_drains);
	tcase_add_test(tc, close_wakes_parked_receiver);
	tcase_add_test(tc, close_wakes_parked_sender);
	tcase_add_test(tc, parked_receiver_gets_item);
	suite_add_tcase(s, tc);
	tc = tcase_create("waiting");
	/* The storm's 100000 parked round trips take 4-6 s here (plus up to
	 * 2 s for its watchdog's last nap), above Check's default 4 s; its
	 * own watchdog reports a lost wake-up within 2 s. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, timeouts_expire_never_early);
	tcase_add_test(tc, wake_storm_loses_nothing);
	tcase_add_test(tc, fence_protocol_regimes);
	tcase_add_test(tc, idle_receiver_sleeps);
	tcase_add_test(tc, adaptive_spin);
	tcase_add_test(tc, shared_between_processes);
	tcase_add_test(tc, bad_input_changes_nothing);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
