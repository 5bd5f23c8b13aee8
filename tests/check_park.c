/* Tests for llt/park: the event count. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/park.h>

#include "testutil.h"

#if defined(HAVE_MEMBARRIER)
#  include <linux/membarrier.h>
#endif

#define MS 1000000ull

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static uint64_t ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Wait, the documented way, until *p >= want (or *stop is set). */
static void wait_ge(struct llt_park *park, const uint64_t *p, uint64_t want,
		    uint64_t spin_ns, const uint64_t *stop)
{
	while (ld(p) < want && !(stop && ld(stop))) {
		uint32_t key = llt_park_prepare_wait(park);
		if (ld(p) >= want || (stop && ld(stop))) {
			llt_park_cancel_wait(park);
			break;
		}
		llt_park_commit_wait(park, key, spin_ns);
	}
}

/* ------------------------------------------------------------ set-up */

START_TEST(test_init_bad_flags)
{
	struct llt_park park, copy;

	memset(&park, 0xab, sizeof(park));
	memcpy(&copy, &park, sizeof(park));
	ck_assert_int_eq(llt_park_init(&park, 0x80), -EINVAL);
	ck_assert_int_eq(llt_park_init(&park, LLT_PARK_SHARED | 0x4), -EINVAL);
	ck_assert_int_eq(llt_park_init(&park, ~0u), -EINVAL);
	ck_assert(memcmp(&park, &copy, sizeof(park)) == 0);
	ck_assert_int_eq(llt_park_init(NULL, 0), -EINVAL);
	ck_assert_int_eq(llt_park_destroy(NULL), -EINVAL);

	ck_assert_int_eq(llt_park_init(&park, 0), 0);
	ck_assert_int_eq(llt_park_init(&copy, LLT_PARK_SHARED), 0);
	ck_assert_int_eq(llt_park_destroy(&copy), 0);
	ck_assert_uint_eq((uintptr_t)&park % LLT_PAD_SIZE, 0);
	ck_assert_uint_eq(sizeof(park) % LLT_PAD_SIZE, 0);

	/* A waiter still announced: destroy refuses. */
	(void)llt_park_prepare_wait(&park);
	ck_assert_int_eq(llt_park_destroy(&park), -EBUSY);
	llt_park_cancel_wait(&park);
	ck_assert_int_eq(llt_park_destroy(&park), 0);
}
END_TEST

/* Nobody waits: notify makes no store and no syscall. */
START_TEST(test_notify_no_waiters_no_syscall)
{
	struct llt_park park;
	struct llt_park_stats s;
	uint64_t word;

	ck_assert_int_eq(llt_park_init(&park, 0), 0);
	word = park.word;
	for (int i = 0; i < 1000000; i++) {
		llt_park_notify_one(&park);
		llt_park_notify_all(&park);
	}
	llt_park_stats(&park, &s);
	ck_assert_uint_eq(s.wakes, 0);
	ck_assert_uint_eq(s.parks, 0);
	ck_assert_uint_eq(s.waiters, 0);
	ck_assert_uint_eq(park.word, word);  /* not even the epoch moved */

	/* A cancelled wait leaves nothing behind either. */
	(void)llt_park_prepare_wait(&park);
	llt_park_cancel_wait(&park);
	llt_park_notify_one(&park);
	llt_park_stats(&park, &s);
	ck_assert_uint_eq(s.wakes, 0);
	ck_assert_uint_eq(park.word, word);
	llt_park_destroy(&park);
}
END_TEST

/* A stale key returns at once, spinning or not. */
START_TEST(test_stale_key)
{
	struct llt_park park;
	struct llt_park_stats s;
	uint32_t key;

	ck_assert_int_eq(llt_park_init(&park, 0), 0);
	key = llt_park_prepare_wait(&park);
	llt_park_notify_one(&park);  /* counts us as a waiter: bumps the epoch */
	ck_assert_int_eq(llt_park_commit_wait(&park, key, 0), 0);
	key = llt_park_prepare_wait(&park);
	llt_park_notify_all(&park);
	ck_assert_int_eq(llt_park_commit_wait(&park, key, 1000), 0);
	key = llt_park_prepare_wait(&park);
	llt_park_notify_one(&park);
	ck_assert_int_eq(llt_park_commit_wait_until(&park, key, 0, mono_ns() + 1000 * MS), 0);
	llt_park_stats(&park, &s);
	ck_assert_uint_eq(s.parks, 0);
	ck_assert_uint_eq(s.wakes, 0);
	ck_assert_uint_eq(s.waiters, 0);
	ck_assert_uint_eq(s.sleepers, 0);
	llt_park_destroy(&park);
}
END_TEST

/* ------------------------------------------------------------ spinning waiter */

struct spin_arg {
	struct llt_park park;
	uint64_t flag, announced, rc;
};

static void *spin_waiter(void *p)
{
	struct spin_arg *a = p;
	uint32_t key = llt_park_prepare_wait(&a->park);

	if (ld(&a->flag)) {
		llt_park_cancel_wait(&a->park);
	} else {
		st(&a->announced, 1);
		/* A budget far longer than the notifier's delay. */
		st(&a->rc, (uint64_t)(int64_t)llt_park_commit_wait(&a->park, key, 3000 * MS));
	}
	return NULL;
}

/* A waiter that is still spinning is woken without a syscall. */
START_TEST(test_spinning_waiter_no_syscall)
{
	static struct spin_arg a;
	struct llt_park_stats s;
	pthread_t t;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(llt_park_init(&a.park, 0), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, spin_waiter, &a), 0);
	while (!ld(&a.announced))
		sched_yield();
	sleep_ns(2 * MS);
	st(&a.flag, 1);
	llt_park_notify_one(&a.park);
	pthread_join(t, NULL);
	ck_assert_uint_eq(ld(&a.rc), 0);
	llt_park_stats(&a.park, &s);
	ck_assert_uint_eq(s.wakes, 0);
	ck_assert_uint_eq(s.parks, 0);
	ck_assert_uint_eq(s.waiters, 0);
	llt_park_destroy(&a.park);
}
END_TEST

/* ------------------------------------------------------------ storm */

#define STORM_SECONDS 3
#define STORM_MAX 20000000ull
#define WATCHDOG_NS (2000 * MS)

struct storm {
	struct llt_park park;
	uint64_t produced;          /* items published */
	uint64_t consumed;          /* items taken (CAS) */
	uint64_t per_consumer[4];
	uint64_t progress;          /* bumped on every take */
	uint64_t done;              /* producer finished */
	uint64_t stuck;             /* the watchdog fired */
	uint64_t stop_watchdog;
	int consumers;
};

/* Take one item if there is one. */
static bool take(struct storm *s)
{
	uint64_t c = ld(&s->consumed);
	while (c < ld(&s->produced)) {
		/* Acquire on success: pairs with the producer's release of
		 * produced through consumed's release sequence. */
		if (__atomic_compare_exchange_n(&s->consumed, &c, c + 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

struct storm_consumer {
	struct storm *s;
	int id;
};

static void *storm_consumer(void *p)
{
	struct storm_consumer *c = p;
	struct storm *s = c->s;

	for (;;) {
		if (take(s)) {
			s->per_consumer[c->id]++;
			__atomic_fetch_add(&s->progress, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (ld(&s->done) && ld(&s->consumed) == ld(&s->produced))
			break;
		/* Nothing: announce, re-check, sleep with no spin at all. */
		uint32_t key = llt_park_prepare_wait(&s->park);
		if (ld(&s->consumed) < ld(&s->produced) || ld(&s->done)) {
			llt_park_cancel_wait(&s->park);
			continue;
		}
		llt_park_commit_wait(&s->park, key, 0);
	}
	return NULL;
}

static void *storm_watchdog(void *p)
{
	struct storm *s = p;
	uint64_t last = ld(&s->progress), since = mono_ns();

	while (!ld(&s->stop_watchdog)) {
		uint64_t now = mono_ns(), prog = ld(&s->progress);
		if (prog != last || ld(&s->consumed) >= ld(&s->produced)) {
			last = prog;
			since = now;
		} else if (now - since > WATCHDOG_NS) {
			/* Data available and nobody has taken any for 2 s:
			 * a wake-up was lost.  Record it and free them. */
			st(&s->stuck, 1);
			fprintf(stderr, "watchdog: stuck with %llu produced, %llu consumed\n",
				(unsigned long long)ld(&s->produced),
				(unsigned long long)ld(&s->consumed));
			llt_park_notify_all(&s->park);
			since = now;
		}
		sleep_ns(10 * MS);
	}
	return NULL;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void run_storm(int consumers, int all, unsigned flags)
{
	static struct storm s;
	struct storm_consumer c[4];
	pthread_t tc[4], tw;
	struct llt_park_stats st_;
	uint64_t end = mono_ns() + STORM_SECONDS * 1000 * MS, rng = 88172645463325252ull;
	uint64_t n = 0, total = 0;

	memset(&s, 0, sizeof(s));
	s.consumers = consumers;
	ck_assert_int_eq(llt_park_init(&s.park, flags), 0);
	for (int i = 0; i < consumers; i++) {
		c[i].s = &s;
		c[i].id = i;
		ck_assert_int_eq(pthread_create(&tc[i], NULL, storm_consumer, &c[i]), 0);
	}
	ck_assert_int_eq(pthread_create(&tw, NULL, storm_watchdog, &s), 0);

	while (n < STORM_MAX) {
		/* Random pauses so the consumers catch up and go to sleep
		 * just as the next item is published: the race under test. */
		uint64_t r = xorshift(&rng);
		if ((r & 0xff) == 0) {
			uint64_t spins = (r >> 8) & 0x3ff;
			for (uint64_t i = 0; i < spins; i++)
				llt_cpu_relax();
		}
		if ((r & 0xfff00) == 0)
			sched_yield();
		/* And now and then a pause longer than any spin budget, so the
		 * consumers park even when the machine is loaded and they never
		 * catch up otherwise (20M items with 0 parks was seen in a deb
		 * build's make check). */
		if ((n & 0xffff) == 0xffff)
			sleep_ns(MS);
		st(&s.produced, ++n);
		if (all)
			llt_park_notify_all(&s.park);
		else
			llt_park_notify_one(&s.park);
		if ((n & 0xfff) == 0 && mono_ns() > end)
			break;
	}
	st(&s.done, 1);
	llt_park_notify_all(&s.park);
	for (int i = 0; i < consumers; i++)
		pthread_join(tc[i], NULL);
	st(&s.stop_watchdog, 1);
	pthread_join(tw, NULL);

	llt_park_stats(&s.park, &st_);
	for (int i = 0; i < consumers; i++)
		total += s.per_consumer[i];
	fprintf(stderr, "storm: %d consumer(s), notify_%s%s: %llu items, %llu parks, %llu wake syscalls\n",
		consumers, all ? "all" : "one",
		(s.park.flags & LLT_PARK_IMPL_ASYM) ? ", asymmetric (membarrier)" : "",
		(unsigned long long)n,
		(unsigned long long)st_.parks, (unsigned long long)st_.wakes);
	ck_assert_msg(!ld(&s.stuck), "lost wake-up: the watchdog had to free a waiter");
	ck_assert_uint_eq(total, n);
	ck_assert_uint_eq(ld(&s.consumed), n);
	ck_assert_uint_eq(st_.waiters, 0);
	ck_assert_uint_ge(n, 100000);
	ck_assert_uint_gt(st_.parks, 0);       /* the consumers really slept */
	ck_assert_uint_le(st_.wakes, n + 1);   /* at most one syscall per notify */
	llt_park_destroy(&s.park);
}

START_TEST(test_storm_one_consumer)
{
	run_storm(1, 0, 0);
}
END_TEST

START_TEST(test_storm_two_consumers_notify_one)
{
	run_storm(2, 0, 0);
}
END_TEST

/* The same race with the notifier's fence replaced by a compiler barrier
 * and the waiter's by membarrier(2) (LLT_PARK_ASYMMETRIC). */
START_TEST(test_storm_asymmetric)
{
	run_storm(1, 0, LLT_PARK_ASYMMETRIC);
}
END_TEST

START_TEST(test_storm_asymmetric_two_consumers)
{
	run_storm(2, 0, LLT_PARK_ASYMMETRIC);
}
END_TEST

/* The store-buffering litmus test of the waiter/notifier pair, on the
 * real inline code: the notifier stores x and notifies; the waiter
 * announces (prepare_wait) and loads x.  Forbidden: the notify missed
 * the waiter (the epoch did not move) and the waiter missed x.  Both
 * threads start each round together, so their steps overlap within
 * nanoseconds (a start tick shared through the TSC, swept by +-100 ns);
 * on x86 a notifier with no StoreLoad ordering shows the
 * forbidden outcome within some thousands of rounds (measured with the
 * membarrier call removed from llt_park_impl_heavy_fence(): 4 forbidden
 * outcomes in 20000 rounds on a 2-vCPU EPYC guest; 0 with it). */
struct litmus {
	struct llt_park park;
	LLT_PADDED uint64_t x;
	LLT_PADDED uint64_t go;
	LLT_PADDED uint64_t done[2];
	uint64_t rounds, forbidden;
	uint64_t start;
};

static void *litmus_notifier(void *p)
{
	struct litmus *l = p;
	if (llt_cpu_is_allowed(1))
		llt_cpu_pin(1);
	for (uint64_t r = 1; r <= l->rounds; r++) {
		uint64_t t;
		while (((t = ld(&l->go)) >> 20) != (r & 0xfffffffffffull))
			;
		/* Both sides start at the same TSC tick (the low 20 bits of
		 * go, in units of 16 ticks, shifted by the round's jitter). */
		uint64_t at = l->start + (t & 0xfffff) * 16;
		while (llt_clock_now() < at)
			;
		__atomic_store_n(&l->x, r, __ATOMIC_RELAXED);
		llt_park_notify_one(&l->park);
		st(&l->done[1], r);
	}
	return NULL;
}

static void run_litmus(unsigned flags, uint64_t rounds)
{
	static struct litmus l;
	pthread_t t;
	memset(&l, 0, sizeof(l));
	l.rounds = (uint64_t)((double)rounds * llt_test_scale());
	ck_assert_int_eq(llt_park_init(&l.park, flags), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, litmus_notifier, &l), 0);
	if (llt_cpu_is_allowed(0))
		llt_cpu_pin(0);
	uint64_t seed = 12345, lead = llt_clock_from_ns(3000);
	for (uint64_t r = 1; r <= l.rounds; r++) {
		/* Start both 3 us from now, the notifier up to 255 ticks
		 * earlier or later, to sweep the overlap of the two steps. */
		uint64_t jit = llt_test_rnd(&seed) % 32;
		uint64_t now0 = llt_clock_now();
		l.start = now0;
		uint64_t mine = now0 + lead;
		uint64_t units = (lead + jit * 16 - 256) / 16;
		st(&l.go, (r & 0xfffffffffffull) << 20 | (units & 0xfffff));
		while (llt_clock_now() < mine)
			;
		uint32_t key = llt_park_prepare_wait(&l.park);
		uint64_t seen = __atomic_load_n(&l.x, __ATOMIC_RELAXED);
		while (ld(&l.done[1]) != r)
			;
		uint32_t now = (uint32_t)(ld(&l.park.word) >> 32);
		llt_park_cancel_wait(&l.park);
		if (seen != r && now == key)
			l.forbidden++;
	}
	pthread_join(t, NULL);
	llt_cpu_unpin();
	fprintf(stderr, "litmus%s: %llu rounds, %llu forbidden outcomes\n",
		(l.park.flags & LLT_PARK_IMPL_ASYM) ? " (asymmetric)" : "",
		(unsigned long long)l.rounds, (unsigned long long)l.forbidden);
	ck_assert_uint_eq(l.forbidden, 0);
	llt_park_destroy(&l.park);
}

START_TEST(test_litmus_fences)
{
	run_litmus(0, 200000);
}
END_TEST

START_TEST(test_litmus_asymmetric)
{
	/* Fewer rounds: each makes a system call, after which a loaded
	 * machine may schedule something else while the other thread spins. */
	run_litmus(LLT_PARK_ASYMMETRIC, 20000);
}
END_TEST

/* LLT_PARK_ASYMMETRIC takes effect where membarrier(2) works, never with
 * LLT_PARK_SHARED (its private command does not reach other processes),
 * and not with LLT_PARK_FENCE or LLT_MEMBARRIER=0 in the environment. */
START_TEST(test_asymmetric_flag)
{
	struct llt_park a, b, c;
	ck_assert_int_eq(llt_park_init(&a, LLT_PARK_ASYMMETRIC), 0);
	ck_assert_int_eq(llt_park_init(&b, LLT_PARK_ASYMMETRIC | LLT_PARK_SHARED), 0);
	ck_assert_int_eq(llt_park_init(&c, 0), 0);
	ck_assert(!(b.flags & LLT_PARK_IMPL_ASYM));
	ck_assert(!(c.flags & LLT_PARK_IMPL_ASYM));
	/* Opted out (LLT_PARK_FENCE, LLT_MEMBARRIER=0) or a TSan build, which
	 * never uses membarrier (lib/membarrier.c): the fences stay. */
	const char *g = getenv("LLT_MEMBARRIER");
	bool off = getenv("LLT_PARK_FENCE") || (g && strcmp(g, "0") == 0);
#if defined(__SANITIZE_THREAD__)
	off = true;
#endif
	if (off)
		ck_assert(!(a.flags & LLT_PARK_IMPL_ASYM));
#if defined(HAVE_MEMBARRIER)
	else if (syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0) > 0 &&
		 (syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0) & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		ck_assert(a.flags & LLT_PARK_IMPL_ASYM);
#endif
	/* Waiting and notifying work either way. */
	uint32_t key = llt_park_prepare_wait(&a);
	llt_park_notify_one(&a);
	ck_assert_int_eq(llt_park_commit_wait(&a, key, 0), 0);
	llt_park_destroy(&a);
	llt_park_destroy(&b);
	llt_park_destroy(&c);
}
END_TEST

/* ------------------------------------------------------------ wake syscall bound */

/* One thread notifies without pause while others park now and then: a
 * woken sleeper takes 10-100 us to run, and every notify in that window
 * must not make another FUTEX_WAKE.  Each wake syscall must be matched by
 * a park (a futex wait entered), whatever the mix of notify_one,
 * notify_all, sleepers and timed waits. */
#define BOUND_NOTIFIES 1000000ull
#define BOUND_PARKERS 3
#define BOUND_NS (300 * MS)

struct bound {
	struct llt_park park;
	uint64_t seq;               /* bumped before every notify */
	uint64_t stop;
	uint64_t timeouts;
	int timed;
};

static void *bound_parker(void *p)
{
	struct bound *b = p;
	uint64_t spins = 0;

	while (!ld(&b->stop)) {
		uint64_t seen = ld(&b->seq);
		uint32_t key = llt_park_prepare_wait(&b->park);

		/* Wait for the next notify, with no spin: always parks
		 * unless a notify came in between. */
		if (ld(&b->seq) != seen || ld(&b->stop)) {
			llt_park_cancel_wait(&b->park);
		} else if (b->timed && (++spins & 1)) {
			/* Half the waits time out after 20 us (or are
			 * notified first): a waiter that leaves on its own. */
			if (llt_park_commit_wait_until(&b->park, key, 0, mono_ns() + 20000) == -ETIMEDOUT)
				__atomic_fetch_add(&b->timeouts, 1, __ATOMIC_RELAXED);
		} else {
			llt_park_commit_wait(&b->park, key, 0);
		}
		/* Work between waits, so the notifier runs alone for a while. */
		sleep_ns(50000);
	}
	return NULL;
}

static void run_bound(int parkers, int all, int timed, unsigned flags)
{
	static struct bound b;
	struct llt_park_stats s;
	pthread_t t[BOUND_PARKERS];
	uint64_t t0, n;

	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(llt_park_init(&b.park, flags), 0);
	b.timed = timed;
	for (int i = 0; i < parkers; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, bound_parker, &b), 0);
	t0 = mono_ns();
	/* At least 10^6 notifies and at least 300 ms, so the parkers park
	 * some thousands of times. */
	for (n = 1; n <= BOUND_NOTIFIES || ((n & 0xfff) != 0 || mono_ns() - t0 < BOUND_NS); n++) {
		st(&b.seq, n);
		if (all)
			llt_park_notify_all(&b.park);
		else
			llt_park_notify_one(&b.park);
	}
	st(&b.stop, 1);
	llt_park_notify_all(&b.park);
	for (int i = 0; i < parkers; i++)
		pthread_join(t[i], NULL);
	llt_park_stats(&b.park, &s);
	fprintf(stderr, "bound: %d parker(s)%s, notify_%s%s: %llu notifies in %llu ms, "
		"%llu parks, %llu wake syscalls, %llu timeouts\n",
		parkers, timed ? " (timed)" : "", all ? "all" : "one",
		(flags & LLT_PARK_SHARED) ? ", shared" : "",
		(unsigned long long)(n - 1),
		(unsigned long long)((mono_ns() - t0) / MS),
		(unsigned long long)s.parks, (unsigned long long)s.wakes,
		(unsigned long long)ld(&b.timeouts));
	ck_assert_uint_eq(s.waiters, 0);
	ck_assert_uint_eq(s.sleepers, 0);
	ck_assert_uint_gt(s.parks, 0);  /* the parkers really slept */
	/* Slack: the final notify_all, and one wake per parker that may be
	 * counted before its futex wait is entered. */
	ck_assert_msg(s.wakes <= s.parks + 1 + (uint64_t)parkers,
		      "%llu wake syscalls for %llu parks",
		      (unsigned long long)s.wakes, (unsigned long long)s.parks);
	ck_assert_int_eq(llt_park_destroy(&b.park), 0);
}

START_TEST(test_wake_bound_one_sleeper)
{
	run_bound(1, 0, 0, 0);
}
END_TEST

START_TEST(test_wake_bound_notify_all)
{
	run_bound(1, 1, 0, 0);
}
END_TEST

START_TEST(test_wake_bound_many_sleepers)
{
	run_bound(BOUND_PARKERS, 0, 0, 0);
	run_bound(BOUND_PARKERS, 1, 0, 0);
}
END_TEST

START_TEST(test_wake_bound_timed)
{
	run_bound(2, 0, 1, 0);
}
END_TEST

START_TEST(test_wake_bound_shared)
{
	run_bound(1, 0, 0, LLT_PARK_SHARED);
}
END_TEST

/* ------------------------------------------------------------ timed waits */

static void check_timeout(uint64_t timeout, uint64_t spin)
{
	struct llt_park park;
	uint64_t t0, el;
	uint32_t key;
	int rc;

	ck_assert_int_eq(llt_park_init(&park, 0), 0);
	t0 = mono_ns();
	key = llt_park_prepare_wait(&park);
	rc = llt_park_commit_wait_until(&park, key, spin, t0 + timeout);
	el = mono_ns() - t0;
	ck_assert_int_eq(rc, -ETIMEDOUT);
	ck_assert_msg(el >= timeout, "returned %llu ns early",
		      (unsigned long long)(timeout - el));
	ck_assert_msg(el < timeout + 200 * MS, "returned %llu ns late",
		      (unsigned long long)(el - timeout));
	ck_assert_uint_eq(park.word >> 32, key);
	ck_assert_int_eq(llt_park_destroy(&park), 0);  /* nobody left counted */
}

START_TEST(test_timed_expires)
{
	check_timeout(20 * MS, 0);          /* sleeps */
	check_timeout(1 * MS, 0);
	check_timeout(10 * MS, 50 * MS);    /* spin longer than the timeout */
	check_timeout(5 * MS, 2 * MS);      /* spins, then sleeps */
	check_timeout(1000, 0);             /* shorter than a futex round trip */
}
END_TEST

START_TEST(test_timed_past_deadline)
{
	struct llt_park park;
	uint32_t key;

	ck_assert_int_eq(llt_park_init(&park, 0), 0);
	key = llt_park_prepare_wait(&park);
	ck_assert_int_eq(llt_park_commit_wait_until(&park, key, 1000, mono_ns() - 1), -ETIMEDOUT);
	key = llt_park_prepare_wait(&park);
	ck_assert_int_eq(llt_park_commit_wait_until(&park, key, 0, 0), -ETIMEDOUT);
	/* A notify that came first wins over an expired deadline. */
	key = llt_park_prepare_wait(&park);
	llt_park_notify_one(&park);
	ck_assert_int_eq(llt_park_commit_wait_until(&park, key, 0, 0), 0);
	ck_assert_int_eq(llt_park_destroy(&park), 0);
}
END_TEST

struct timed_arg {
	struct llt_park park;
	uint64_t flag, rc, elapsed;
};

static void *timed_waiter(void *p)
{
	struct timed_arg *a = p;
	uint64_t t0 = mono_ns();
	uint32_t key = llt_park_prepare_wait(&a->park);
	int rc = 0;

	if (ld(&a->flag))
		llt_park_cancel_wait(&a->park);
	else
		rc = llt_park_commit_wait_until(&a->park, key, 0, t0 + 10000 * MS);
	st(&a->elapsed, mono_ns() - t0);
	st(&a->rc, (uint64_t)(int64_t)rc);
	return NULL;
}

/* A timed waiter is woken well before its deadline. */
START_TEST(test_timed_woken)
{
	static struct timed_arg a;
	struct llt_park_stats s;
	pthread_t t;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(llt_park_init(&a.park, 0), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, timed_waiter, &a), 0);
	do {
		sleep_ns(MS);
		llt_park_stats(&a.park, &s);
	} while (s.sleepers == 0);
	st(&a.flag, 1);
	llt_park_notify_one(&a.park);
	pthread_join(t, NULL);
	ck_assert_int_eq((int)(int64_t)ld(&a.rc), 0);
	ck_assert_uint_lt(ld(&a.elapsed), 5000 * MS);
	llt_park_stats(&a.park, &s);
	ck_assert_uint_eq(s.wakes, 1);
	ck_assert_uint_ge(s.parks, 1);
	llt_park_destroy(&a.park);
}
END_TEST

/* ------------------------------------------------------------ notify_all */

#define NALL 4

struct all_arg {
	struct llt_park park;
	uint64_t flag;
	uint64_t woken;
};

static void *all_waiter(void *p)
{
	struct all_arg *a = p;

	wait_ge(&a->park, &a->flag, 1, 0, NULL);
	__atomic_fetch_add(&a->woken, 1, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(test_notify_all_wakes_every_waiter)
{
	static struct all_arg a;
	struct llt_park_stats s;
	pthread_t t[NALL];
	uint64_t t0;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(llt_park_init(&a.park, 0), 0);
	for (int i = 0; i < NALL; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, all_waiter, &a), 0);
	/* All four past their (empty) spin phase. */
	t0 = mono_ns();
	do {
		sleep_ns(MS);
		llt_park_stats(&a.park, &s);
		ck_assert_uint_lt(mono_ns() - t0, 5000 * MS);
	} while (s.sleepers < NALL);
	sleep_ns(5 * MS);  /* give them time to reach the kernel */
	st(&a.flag, 1);
	llt_park_notify_all(&a.park);
	t0 = mono_ns();
	while (ld(&a.woken) < NALL) {
		ck_assert_msg(mono_ns() - t0 < 2000 * MS, "only %llu of %d woken",
			      (unsigned long long)ld(&a.woken), NALL);
		sleep_ns(MS);
	}
	for (int i = 0; i < NALL; i++)
		pthread_join(t[i], NULL);
	llt_park_stats(&a.park, &s);
	ck_assert_uint_eq(s.wakes, 1);  /* one syscall woke all four */
	ck_assert_uint_ge(s.parks, NALL);
	ck_assert_uint_eq(s.waiters, 0);
	llt_park_destroy(&a.park);
}
END_TEST

/* ------------------------------------------------------------ process-shared */

struct shared {
	struct llt_park park;    /* waits for flag */
	struct llt_park back;    /* waits for ack */
	uint64_t flag, ack;
};

START_TEST(test_shared_fork)
{
	struct shared *sh;
	struct llt_park_stats s;
	uint64_t t0;
	pid_t pid;
	int status = -1;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(sh, MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	ck_assert_int_eq(llt_park_init(&sh->park, LLT_PARK_SHARED), 0);
	ck_assert_int_eq(llt_park_init(&sh->back, LLT_PARK_SHARED), 0);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Child: sleep until the parent sets flag, then answer. */
		alarm(10);
		wait_ge(&sh->park, &sh->flag, 1, 0, NULL);
		st(&sh->ack, 1);
		llt_park_notify_one(&sh->back);
		_exit(0);
	}
	/* Wait until the child has gone to sleep in the kernel. */
	t0 = mono_ns();
	do {
		sleep_ns(MS);
		llt_park_stats(&sh->park, &s);
		ck_assert_uint_lt(mono_ns() - t0, 5000 * MS);
	} while (s.sleepers == 0);
	sleep_ns(5 * MS);
	st(&sh->flag, 1);
	llt_park_notify_one(&sh->park);
	/* And the parent sleeps until the child answers. */
	wait_ge(&sh->back, &sh->ack, 1, 0, NULL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	llt_park_stats(&sh->park, &s);
	ck_assert_uint_ge(s.parks, 1);
	ck_assert_uint_eq(s.wakes, 1);
	ck_assert_uint_eq(s.waiters, 0);
	ck_assert_int_eq(llt_park_destroy(&sh->park), 0);
	ck_assert_int_eq(llt_park_destroy(&sh->back), 0);
	munmap(sh, sizeof(*sh));
}
END_TEST

static Suite *park_suite(void)
{
	Suite *s = suite_create("park");
	TCase *tc = tcase_create("basic");

	tcase_add_test(tc, test_init_bad_flags);
	tcase_add_test(tc, test_asymmetric_flag);
	tcase_add_test(tc, test_notify_no_waiters_no_syscall);
	tcase_add_test(tc, test_stale_key);
	tcase_add_test(tc, test_spinning_waiter_no_syscall);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("timed");
	tcase_add_test(tc, test_timed_expires);
	tcase_add_test(tc, test_timed_past_deadline);
	tcase_add_test(tc, test_timed_woken);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("wake");
	tcase_add_test(tc, test_notify_all_wakes_every_waiter);
	tcase_add_test(tc, test_shared_fork);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("storm");
	tcase_add_test(tc, test_storm_one_consumer);
	tcase_add_test(tc, test_storm_two_consumers_notify_one);
	tcase_add_test(tc, test_storm_asymmetric);
	tcase_add_test(tc, test_storm_asymmetric_two_consumers);
	tcase_add_test(tc, test_litmus_fences);
	tcase_add_test(tc, test_litmus_asymmetric);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("bound");
	tcase_add_test(tc, test_wake_bound_one_sleeper);
	tcase_add_test(tc, test_wake_bound_notify_all);
	tcase_add_test(tc, test_wake_bound_many_sleepers);
	tcase_add_test(tc, test_wake_bound_timed);
	tcase_add_test(tc, test_wake_bound_shared);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(park_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
