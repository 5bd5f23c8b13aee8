/* llt/park: the slow paths of the event count.
 *
 * The protocol follows Dmitry Vyukov's event count (comp.programming.threads,
 * "Eventcount (gate) proposal", 2008) in the shape of folly's EventCount
 * (folly/experimental/EventCount.h: one 64-bit word, the epoch in its high
 * half used as the futex word) and Taskflow's Notifier (the fence-then-load
 * notify fast path, from Eigen's EventCount).  Beyond those, the word also
 * counts "sleepers", the waiters past their spin phase, so that a waiter
 * that is only spinning costs its notifier an epoch bump but no syscall.
 *
 * Waiter:   prepare_wait   word += WAITER (seq_cst); full fence; key = epoch
 *           re-check the condition; cancel_wait (word -= WAITER) or:
 *           commit_wait    spin until epoch != key or the budget is spent;
 *                          word += SLEEPER (acquire); if epoch != key leave;
 *                          futex_wait(&epoch, key) until epoch != key;
 *                          word -= WAITER + SLEEPER.
 * Notifier: publish (release); full fence; load word (relaxed);
 *           no waiter: return -- one fence and one load, no store;
 *           else word += EPOCH (release); if it had sleepers, futex_wake.
 *
 * tests/park.pml models it, and tests/park_broken.pml shows that without
 * the notifier's fence a wake-up is lost. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/park.h>

/* LLT_PARK_NO_FUTEX builds the condition-variable fallback on Linux too,
 * to test it. */
#if defined(HAVE_FUTEX) && !defined(LLT_PARK_NO_FUTEX)
#  define USE_FUTEX 1
#  include <linux/futex.h>
#  include <sys/syscall.h>
#else
#  define USE_FUTEX 0
#endif

#define WAITER   LLT_PARK_IMPL_WAITER
#define SLEEPER  LLT_PARK_IMPL_SLEEPER
#define EPOCH    LLT_PARK_IMPL_EPOCH
#define KEY(w)   LLT_PARK_IMPL_KEY(w)

struct fallback {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
};
_Static_assert(sizeof(struct fallback) <= sizeof(((struct llt_park *)0)->fallback),
	       "struct llt_park's fallback storage is too small for a mutex and a condvar");
_Static_assert(_Alignof(struct fallback) <= _Alignof(struct llt_park),
	       "struct llt_park is not aligned enough for a mutex and a condvar");
_Static_assert(sizeof(struct llt_park) % LLT_PAD_SIZE == 0,
	       "struct llt_park must fill whole LLT_PAD_SIZE blocks");

#if !USE_FUTEX
static struct fallback *fb(struct llt_park *park)
{
	return (struct fallback *)(void *)park->fallback.bytes;
}
#endif

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timespec to_timespec(uint64_t ns)
{
	struct timespec ts;
	uint64_t sec = ns / 1000000000u;
	/* Clamp far deadlines (UINT64_MAX = "never") to what time_t holds. */
	if (sec > (uint64_t)(sizeof(time_t) == 8 ? INT64_MAX / 2 : INT32_MAX))
		sec = (uint64_t)(sizeof(time_t) == 8 ? INT64_MAX / 2 : INT32_MAX);
	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = (long)(ns % 1000000000u);
	return ts;
}

#if USE_FUTEX
/* The epoch half of the word, which the kernel compares and sleeps on. */
static uint32_t *futex_word(struct llt_park *park)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint32_t *)(void *)&park->word + 1;
#else
	return (uint32_t *)(void *)&park->word;
#endif
}

static int futex_op(const struct llt_park *park, int op)
{
	/* A private futex is keyed by (mm, address) and cheaper; a shared one
	 * by the backing page, so it matches across processes. */
	return (park->flags & LLT_PARK_SHARED) ? op : (op | FUTEX_PRIVATE_FLAG);
}
#endif

int llt_park_init(struct llt_park *park, unsigned flags)
{
	if (!park || (flags & ~LLT_PARK_SHARED))
		return -EINVAL;
#if !USE_FUTEX
	{
		pthread_mutexattr_t ma;
		pthread_condattr_t ca;
		struct fallback f;
		int pshared = (flags & LLT_PARK_SHARED) ? PTHREAD_PROCESS_SHARED
						       : PTHREAD_PROCESS_PRIVATE;
		int rc;

		/* Build both in a local first, so a failure changes nothing. */
		if ((rc = pthread_mutexattr_init(&ma)) != 0)
			return -rc;
		if ((rc = pthread_mutexattr_setpshared(&ma, pshared)) != 0 ||
		    (rc = pthread_mutex_init(&f.mutex, &ma)) != 0) {
			pthread_mutexattr_destroy(&ma);
			return -rc;
		}
		pthread_mutexattr_destroy(&ma);
		if ((rc = pthread_condattr_init(&ca)) != 0) {
			pthread_mutex_destroy(&f.mutex);
			return -rc;
		}
		if ((rc = pthread_condattr_setpshared(&ca, pshared)) != 0 ||
		    (rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
		    (rc = pthread_cond_init(&f.cond, &ca)) != 0) {
			pthread_condattr_destroy(&ca);
			pthread_mutex_destroy(&f.mutex);
			return -rc;
		}
		pthread_condattr_destroy(&ca);
		memset(park, 0, sizeof(*park));
		/* A pthread object may not be copied once in use; this one
		 * never was, and glibc's and musl's hold no self-pointers. */
		memcpy(fb(park), &f, sizeof(f));
	}
#else
	memset(park, 0, sizeof(*park));
#endif
	park->flags = flags;
	/* Choose the clock now, not in the first waiter's spin phase. */
	(void)llt_clock_from_ns(1);
	return 0;
}

int llt_park_destroy(struct llt_park *park)
{
	if (!park)
		return -EINVAL;
	/* Relaxed: a snapshot; the caller guarantees nobody starts a new
	 * wait, and a waiter still inside makes this fail. */
	if (LLT_PARK_IMPL_WAITERS(__atomic_load_n(&park->word, __ATOMIC_RELAXED)) != 0)
		return -EBUSY;
#if !USE_FUTEX
	pthread_cond_destroy(&fb(park)->cond);
	pthread_mutex_destroy(&fb(park)->mutex);
#endif
	return 0;
}

void llt_park_stats(const struct llt_park *park, struct llt_park_stats *stats)
{
	/* Relaxed: statistics, ordered with nothing. */
	uint64_t w = __atomic_load_n(&park->word, __ATOMIC_RELAXED);
	stats->parks = __atomic_load_n(&park->parks, __ATOMIC_RELAXED);
	stats->wakes = __atomic_load_n(&park->wakes, __ATOMIC_RELAXED);
	stats->waiters = LLT_PARK_IMPL_WAITERS(w);
	stats->sleepers = LLT_PARK_IMPL_SLEEPERS(w);
}

/* The notifier's slow path: somebody announced a wait. */
void llt_park_impl_wake(struct llt_park *park, int all)
{
	/* Release: pairs with the acquire loads and RMWs of the word in
	 * commit_wait, so a waiter that sees the new epoch also sees what
	 * the caller published before notifying.  Being an RMW, it reads the
	 * latest sleeper count: a waiter whose SLEEPER increment comes later
	 * in the word's modification order reads the new epoch and does not
	 * sleep. */
	uint64_t prev = __atomic_fetch_add(&park->word, EPOCH, __ATOMIC_RELEASE);

	if (LLT_PARK_IMPL_SLEEPERS(prev) == 0)
		return;  /* the waiters are spinning and will see the epoch */
	/* Relaxed: a statistic. */
	__atomic_fetch_add(&park->wakes, 1, __ATOMIC_RELAXED);
#if USE_FUTEX
	syscall(SYS_futex, futex_word(park), futex_op(park, FUTEX_WAKE),
		all ? INT_MAX : 1, NULL, NULL, 0);
#else
	/* The epoch changed before the lock is taken, and a sleeper checks
	 * it under the lock, so it is either seen or this signal finds the
	 * sleeper already waiting on the condvar. */
	pthread_mutex_lock(&fb(park)->mutex);
	if (all)
		pthread_cond_broadcast(&fb(park)->cond);
	else
		pthread_cond_signal(&fb(park)->cond);
	pthread_mutex_unlock(&fb(park)->mutex);
#endif
}

/* Sleep while the epoch equals key.  0 when woken (possibly spuriously),
 * -ETIMEDOUT when the deadline (absolute CLOCK_MONOTONIC ns) passed. */
static int sleep_once(struct llt_park *park, uint32_t key, const uint64_t *deadline)
{
	struct timespec ts, *tsp = NULL;

	if (deadline) {
		ts = to_timespec(*deadline);
		tsp = &ts;
	}
#if USE_FUTEX
	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time (plain
	 * FUTEX_WAIT a relative one); the kernel compares the word with key
	 * under its bucket lock, so a bump before this call makes it return
	 * EAGAIN at once and a bump after it is followed by a wake. */
	if (syscall(SYS_futex, futex_word(park), futex_op(park, FUTEX_WAIT_BITSET),
		    key, tsp, NULL, FUTEX_BITSET_MATCH_ANY) == -1 && errno == ETIMEDOUT)
		return -ETIMEDOUT;
	return 0;
#else
	int rc = 0;
	pthread_mutex_lock(&fb(park)->mutex);
	/* Acquire: pairs with the release epoch bump in llt_park_impl_wake. */
	while (KEY(__atomic_load_n(&park->word, __ATOMIC_ACQUIRE)) == key) {
		rc = tsp ? pthread_cond_timedwait(&fb(park)->cond, &fb(park)->mutex, tsp)
			 : pthread_cond_wait(&fb(park)->cond, &fb(park)->mutex);
		if (rc == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&fb(park)->mutex);
	return rc == ETIMEDOUT ? -ETIMEDOUT : 0;
#endif
}

/* Spin until the epoch moves off key or the budget is spent.  Time, not
 * iterations: pause costs 10 to 140 cycles depending on the CPU. */
static bool spin(struct llt_park *park, uint32_t key, uint64_t spin_ns)
{
	uint64_t start = llt_clock_now();
	uint64_t budget = llt_clock_from_ns(spin_ns);

	for (;;) {
		/* Acquire: pairs with the release epoch bump in
		 * llt_park_impl_wake, for the data published before it. */
		if (KEY(__atomic_load_n(&park->word, __ATOMIC_ACQUIRE)) != key)
			return true;
		llt_cpu_relax();
		if (llt_clock_now() - start >= budget)
			return false;
	}
}

static int commit(struct llt_park *park, uint32_t key, uint64_t spin_ns,
		  const uint64_t *deadline)
{
	uint64_t w;

	if (deadline) {
		uint64_t now = mono_ns();
		if (now >= *deadline) {
			/* Acquire: as in spin(); a bump that came first
			 * counts as a wake-up, so none is absorbed. */
			w = __atomic_fetch_sub(&park->word, WAITER, __ATOMIC_ACQUIRE);
			return KEY(w) != key ? 0 : -ETIMEDOUT;
		}
		if (spin_ns > *deadline - now)
			spin_ns = *deadline - now;
	}
	if (spin_ns && spin(park, key, spin_ns)) {
		/* Relaxed: leaving publishes nothing. */
		__atomic_fetch_sub(&park->word, WAITER, __ATOMIC_RELAXED);
		return 0;
	}

	/* From here a notifier must make a syscall to wake this thread.
	 * Acquire: pairs with the release bump, as in spin(). */
	w = __atomic_add_fetch(&park->word, SLEEPER, __ATOMIC_ACQUIRE);
	while (KEY(w) == key) {
		int rc;

		/* Relaxed: a statistic. */
		__atomic_fetch_add(&park->parks, 1, __ATOMIC_RELAXED);
		rc = sleep_once(park, key, deadline);
		/* Acquire: as above. */
		w = __atomic_load_n(&park->word, __ATOMIC_ACQUIRE);
		if (rc == -ETIMEDOUT && KEY(w) == key) {
			/* A bump between that load and this RMW may have
			 * been aimed at this thread: report it as a wake-up
			 * rather than lose it.  Acquire: as above. */
			w = __atomic_fetch_sub(&park->word, WAITER + SLEEPER,
					       __ATOMIC_ACQUIRE);
			return KEY(w) != key ? 0 : -ETIMEDOUT;
		}
	}
	/* Relaxed: leaving publishes nothing. */
	__atomic_fetch_sub(&park->word, WAITER + SLEEPER, __ATOMIC_RELAXED);
	return 0;
}

int llt_park_commit_wait(struct llt_park *park, uint32_t key, uint64_t spin_ns)
{
	return commit(park, key, spin_ns, NULL);
}

int llt_park_commit_wait_until(struct llt_park *park, uint32_t key,
			       uint64_t spin_ns, uint64_t deadline_ns)
{
	return commit(park, key, spin_ns, &deadline_ns);
}
