/* llt/park: the slow paths of the event count.
 *
 * The protocol follows Dmitry Vyukov's event count (comp.programming.threads,
 * "Eventcount (gate) proposal", 2008) in the shape of folly's EventCount
 * (folly/experimental/EventCount.h: one 64-bit word, the epoch in its high
 * half used as the futex word) and Taskflow's Notifier (the fence-then-load
 * notify fast path, from Eigen's EventCount).  Beyond those, the word also
 * counts "sleepers", the waiters past their spin phase, so that a waiter
 * that is only spinning costs its notifier an epoch bump but no syscall,
 * and "signals", the wake syscalls in flight, so that a notifier makes no
 * syscall for a sleeper that an earlier syscall already woke and that has
 * not run yet.  The signal count is the "CountOfWaitersSignaledToWake" of
 * .NET's LowLevelLifoSemaphore (dotnet/runtime, System.Private.CoreLib,
 * LowLevelLifoSemaphore.cs): a waker wakes only waiters not yet signalled,
 * and every waiter back from the kernel takes one signal off, since it
 * cannot tell whether it was the one signalled.
 *
 * The word: epoch(32) | signals(8) | sleepers(12) | waiters(12), see
 * <llt/bits/park_impl.h>.  signals <= sleepers <= waiters at all times.
 *
 * Waiter:   prepare_wait   word += WAITER (seq_cst RMW); full fence;
 *                          key = epoch; re-check the condition;
 *           cancel_wait    word -= WAITER (relaxed), or:
 *           commit_wait    spin (acquire loads) until epoch != key or the
 *                          budget is spent; if the epoch moved, word -=
 *                          WAITER (relaxed) and return;
 *                          CAS (acquire): if epoch != key, waiters -= 1
 *                          and return, else sleepers += 1;
 *                     loop: futex_wait(&epoch, key) (parks += 1);
 *                          CAS (acquire): signals -= 1 if > 0, and if the
 *                          epoch moved or the deadline passed, also
 *                          waiters -= 1 and sleepers -= 1 and return;
 *                          else go back to loop.
 * Notifier: publish (release); full fence; load word (relaxed);
 *           no waiter: return -- one fence and one load, no store;
 *           else CAS (release): epoch += 1, and if sleepers > signals,
 *           signals += 1 (notify_all: signals = sleepers), then after the
 *           CAS futex_wake(1) (notify_all: futex_wake(all)); if sleepers
 *           <= signals, no syscall.  When the load already shows sleepers
 *           <= signals, a fetch_add(EPOCH) (release) replaces the CAS; if
 *           its result shows sleepers > signals after all, the CAS follows
 *           (and bumps once more).
 *
 * Why no wake-up is lost.  The two fences make a store-buffering pair, so
 * a notifier whose load misses a waiter's announcement has published
 * before that waiter's re-check looks (the original argument, unchanged).
 * A notifier that does see a waiter bumps the epoch in an RMW that is
 * ordered, in the word's modification order, against every registration
 * of a sleeper: a sleeper registered after it reads the new epoch and does
 * not sleep; one registered before it holds the old key, so the futex can
 * no longer put it to sleep (the kernel compares the epoch with the key
 * under its bucket lock).  What is left is a sleeper already queued in the
 * kernel.  Call "due" a sleeper that will get back from the kernel and do
 * its CAS with no further FUTEX_WAKE: one a wake syscall took off the
 * queue, one not yet queued whose key is stale, one back from a timeout
 * or a spurious wake-up.  The invariant is
 *
 *     signals <= due sleepers   (plus wakes claimed but not yet issued).
 *
 * A notify_one that claims a signal (sleepers > signals) then issues a
 * wake: either it takes one queued sleeper off the queue, which becomes
 * due, or the queue is empty and every sleeper is due (all hold a stale
 * key), more than the signals counted before.  A notify_all takes every
 * queued sleeper off, so all sleepers are due.  A sleeper's CAS after the
 * kernel removes one signal at most, and one due sleeper.  Hence a notify
 * that skips the syscall (sleepers <= signals) finds every sleeper due:
 * each will do its CAS after this notify's bump, see the epoch moved,
 * return 0, and re-check the condition, which sees what the notifier
 * published (the bump is a release RMW, the CAS an acquire RMW reading
 * from its release sequence).  A notify that makes the syscall wakes a
 * queued sleeper as before.  A sleeper that the wake reaches but whose
 * key is current (it registered after the bump, so its re-check saw the
 * data, and it sleeps only because another consumer took it) takes a
 * signal off and sleeps again, so no signal is left hanging.  A timed-out
 * sleeper also takes a signal off, which can only make signals smaller
 * than the due count: at worst one needless syscall, never a missed one.
 *
 * Why the syscalls are bounded.  Every wake syscall adds at least one to
 * signals; every return from a futex wait (each counted in parks) takes
 * at most one off; signals never goes below 0.  So at any time
 *
 *     wakes <= parks + signals <= parks + sleepers,
 *
 * and when nobody sleeps, wakes <= parks: one wake syscall per futex wait,
 * however many notifies come while a woken sleeper is on its way out.  A
 * sleeper registers only while the epoch equals its key, so it always
 * enters the futex before it leaves, and a return is never taken by a
 * thread that did not park.  With more than 255 wakes in flight the count
 * saturates: the extra notifies then make a syscall each, as before.
 *
 * Nothing ping-pongs: a notifier claims a signal only for a sleeper not
 * already signalled, and a sleeper never wakes another one.
 *
 * The notify slow path is a single fetch_add, wait-free, unless it has a
 * wake to claim; then it is a CAS loop (lock-free: it retries only when
 * another thread changed the word).  The fast path is unchanged.
 *
 * tests/park.pml models it (notify_one with two sleepers, a timed waiter,
 * spurious wake-ups, the signal invariant as a never claim and the bound
 * wakes <= parks), and tests/check_park_model.sh checks that removing the
 * notifier's fence, the timeout re-check, the signal count, or the
 * re-sleeping waiter's decrement, or splitting the claim from the bump,
 * each breaks it. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/park.h>

#include "membarrier.h"

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
#define SIGNAL   LLT_PARK_IMPL_SIGNAL
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
	/* Relaxed: LLT_PARK_SHARED never changes after init; the load is
	 * atomic because the SPSC channel's waiter may flip another bit of
	 * flags (LLT_PARK_IMPL_ASYM) while a notifier is here. */
	return (__atomic_load_n(&park->flags, __ATOMIC_RELAXED) & LLT_PARK_SHARED)
		       ? op : (op | FUTEX_PRIVATE_FLAG);
}
#endif

/* -------------------------------------------------- asymmetric fences */

/* LLT_PARK_ASYMMETRIC uses lib/membarrier.c (query, registration and the
 * call, shared with llt/sched and llt/hist; cost and switches: llt(7)).
 * LLT_PARK_NO_MEMBARRIER builds without it; LLT_PARK_FENCE in the
 * environment (any value) keeps the symmetric fences, to compare, as
 * LLT_MEMBARRIER=0 does for every module.  1 asymmetric allowed, -1 not,
 * 0 not decided yet. */
static int asym_state;

static bool asym_available(void)
{
#if defined(LLT_PARK_NO_MEMBARRIER)
	return false;
#else
	/* Acquire/release: pairs with the store below; only a flag (the
	 * helper synchronizes its own state). */
	int st = __atomic_load_n(&asym_state, __ATOMIC_ACQUIRE);
	if (st == 0) {
		st = !secure_getenv("LLT_PARK_FENCE") && llt_membarrier_available() ? 1 : -1;
		__atomic_store_n(&asym_state, st, __ATOMIC_RELEASE);
	}
	return st > 0;
#endif
}

void llt_park_impl_heavy_fence(struct llt_park *park)
{
	(void)park;
	/* Only reached with LLT_PARK_IMPL_ASYM set, i.e. after
	 * llt_membarrier_available() returned true. */
	llt_membarrier_heavy();
}

int llt_park_init(struct llt_park *park, unsigned flags)
{
	if (!park || (flags & ~(LLT_PARK_SHARED | LLT_PARK_ASYMMETRIC)))
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
	park->flags = flags & LLT_PARK_SHARED;
	/* Asymmetric fences only within one process: membarrier(2)'s private
	 * command reaches this process's CPUs, not another's. */
	if ((flags & LLT_PARK_ASYMMETRIC) && !(flags & LLT_PARK_SHARED) && asym_available())
		park->flags |= LLT_PARK_IMPL_ASYM;
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
	/* Relaxed: a hint for the choice below, checked by the RMWs; the
	 * fence before the caller's load also orders this one after the
	 * publication. */
	uint64_t w = __atomic_load_n(&park->word, __ATOMIC_RELAXED), nw;
	uint32_t sleepers, signals;

	if (LLT_PARK_IMPL_SLEEPERS(w) <= LLT_PARK_IMPL_SIGNALS(w)) {
		/* Likely no wake to claim (only spinners, or every sleeper
		 * already signalled, as while a woken sleeper is on its way
		 * out and a producer streams): a plain bump, wait-free, so a
		 * busy notifier does not make the leaving sleeper's CAS fail
		 * over and over.  Release: as the CAS below.  If the RMW
		 * shows an unsignalled sleeper after all, it registered
		 * since the load: fall through to the CAS, which bumps again
		 * (a spurious return for the spinners at worst). */
		w = __atomic_fetch_add(&park->word, EPOCH, __ATOMIC_RELEASE);
		if (LLT_PARK_IMPL_SLEEPERS(w) <= LLT_PARK_IMPL_SIGNALS(w))
			return;
		w += EPOCH;
	}
	do {
		/* Everybody left since the fast path looked: nothing to do,
		 * and, as on the fast path, nothing to store. */
		if (LLT_PARK_IMPL_WAITERS(w) == 0)
			return;
		sleepers = LLT_PARK_IMPL_SLEEPERS(w);
		signals = LLT_PARK_IMPL_SIGNALS(w);
		nw = w + EPOCH;
		if (sleepers > signals) {
			/* Claim a wake for a sleeper not yet signalled (all of
			 * them for notify_all), saturating at MAX_SIGNALS. */
			uint32_t target = all ? sleepers : signals + 1;
			if (target > LLT_PARK_IMPL_MAX_SIGNALS)
				target = LLT_PARK_IMPL_MAX_SIGNALS;
			nw += (uint64_t)(target - signals) * SIGNAL;
		}
		/* Release on success: pairs with the acquire loads and RMWs
		 * of the word in commit_wait, so a waiter that sees the new
		 * epoch also sees what the caller published before notifying.
		 * Being an RMW, it reads the latest counts: a sleeper whose
		 * registration comes later in the word's modification order
		 * reads the new epoch and does not sleep.  The bump and the
		 * claim must be one RMW: a sleeper registered between the two
		 * would hold the new epoch as its key, not be due, and yet be
		 * counted against the signal.  Relaxed on failure: the loop
		 * looks again. */
	} while (!__atomic_compare_exchange_n(&park->word, &w, nw, false,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));

	if (sleepers <= signals)
		return;  /* spinning waiters, or sleepers already signalled */
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
	/* One wait at most, no loop: the caller must do its CAS after every
	 * return, to take off the signal that may have woken it.  Relaxed:
	 * the caller's CAS reads the word again, with acquire. */
	if (KEY(__atomic_load_n(&park->word, __ATOMIC_RELAXED)) == key)
		rc = tsp ? pthread_cond_timedwait(&fb(park)->cond, &fb(park)->mutex, tsp)
			 : pthread_cond_wait(&fb(park)->cond, &fb(park)->mutex);
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
	uint64_t w, nw;

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
	 * Register as a sleeper only while the epoch still equals key, so a
	 * registered sleeper always enters the futex before it leaves (the
	 * syscall bound counts on it); if the epoch moved, leave instead.
	 * Acquire on success: pairs with the release bump, as in spin(). */
	w = __atomic_load_n(&park->word, __ATOMIC_RELAXED);
	do {
		nw = KEY(w) != key ? w - WAITER : w + SLEEPER;
	} while (!__atomic_compare_exchange_n(&park->word, &w, nw, false,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	if (KEY(w) != key)
		return 0;

	for (;;) {
		int rc;
		bool leave;

		/* Relaxed: a statistic. */
		__atomic_fetch_add(&park->parks, 1, __ATOMIC_RELAXED);
		rc = sleep_once(park, key, deadline);
		/* Back from the kernel, for whatever reason: take off one
		 * signal (this thread cannot tell whether a wake syscall was
		 * meant for it, so it assumes so), and leave if the epoch
		 * moved or the deadline passed.  A timed-out wait whose epoch
		 * moved before this CAS reports a wake-up: the bump may have
		 * been aimed at this thread.  Acquire on success: pairs with
		 * the release bump, as in spin(). */
		w = __atomic_load_n(&park->word, __ATOMIC_RELAXED);
		do {
			leave = KEY(w) != key || rc == -ETIMEDOUT;
			nw = w;
			if (LLT_PARK_IMPL_SIGNALS(w) != 0)
				nw -= SIGNAL;
			if (leave)
				nw -= WAITER + SLEEPER;
		} while (!__atomic_compare_exchange_n(&park->word, &w, nw, false,
						      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
		if (leave)
			return KEY(w) != key ? 0 : -ETIMEDOUT;
		/* Woken (or spuriously) with the epoch unchanged: a wake
		 * meant for a sleeper with an older key may have reached this
		 * one instead; that sleeper registered before the bump, this
		 * one after it, so this one's re-check saw the data and the
		 * bump is owed to nobody (lib/park.c's header).  Sleep again. */
	}
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
