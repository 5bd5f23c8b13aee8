/* tests/park.pml: the llt/park sleep/wake protocol, for the spin model
 * checker (tests/check_park_model.sh runs it).
 *
 * One notifier publishes NITEMS items, each followed by a notify that is
 * either notify_one or notify_all (chosen nondeterministically).  NW (2 or
 * 3) consumers take items and, when there are none, wait the documented
 * way: prepare_wait, re-check, cancel_wait or commit_wait.  Consumer 0
 * uses a timed wait and gives up (exits) when it times out; the others
 * wait forever.  With NW 3 there are two untimed consumers, so a
 * notify_one must choose between two sleepers.  The kernel may deliver
 * one spurious wake-up.  With -DONESHOT every consumer takes one item and
 * exits, as a worker of a pool does with a task: then each notify_one must
 * reach a sleeper of its own, and a notify that relies on a sleeper
 * already woken is a lost wake-up if that sleeper does not come back.
 *
 * The word of struct llt_park is four variables here (epoch, waiters,
 * sleepers, signals); every read-modify-write of the word is an atomic
 * block.  Promela executes statements in a sequentially consistent
 * interleaving, which is what the protocol's two full fences buy: the
 * notifier's publication is visible before it loads the waiter count,
 * and the waiter's increment before it re-checks.  LLT_PARK_ASYMMETRIC
 * buys the same with the waiter's membarrier(2) and the notifier's
 * compiler barrier (see <llt/bits/park_impl.h>: the notifier's load
 * either follows the barrier the call forced on its CPU, and sees the
 * increment, or precedes it together with the publication, which the
 * re-check then sees), so this model covers both modes; the broken
 * variant NO_NOTIFY_FENCE stands for either pair losing a half.  The futex is a compare
 * and block in one atomic step (the kernel compares under its bucket
 * lock); FUTEX_WAKE of one thread takes any queued thread (the kernel's
 * queue is ordered by priority, so the model does not assume FIFO).  The
 * spin phase is abstracted: it may or may not see an epoch change.
 *
 * The notifier's slow path is as in lib/park.c: a plain fetch_add of the
 * epoch when its load shows no unsignalled sleeper, the CAS (bump and
 * claim) otherwise or when the fetch_add's result shows one after all.
 *
 * Ghost variables: phase[] and keyv[] say where each consumer is, wakes
 * counts FUTEX_WAKE syscalls, parks futex waits entered, pending the wakes
 * a notifier claimed but has not issued yet.
 *
 * Properties:
 *  - no lost wake-up: when nothing can move any more (Promela's timeout),
 *    no item may be left while a consumer that could take it is asleep;
 *    the watchdog asserts it;
 *  - no deadlock: the only valid end states are a consumer asleep in the
 *    futex (label end_futex), a consumer that exited, and the finished
 *    notifier; spin reports any other blocked state;
 *  - the signal invariant, asserted after every step that can change it:
 *    signals <= sleepers, and signals <= the sleepers that will come back
 *    from the kernel with no further wake (woken, or not queued with a
 *    stale key, or back from a timeout or a spurious wake-up) plus the
 *    wakes claimed and not yet issued.  So a notify that skips the
 *    syscall because signals >= sleepers finds every sleeper coming back;
 *  - the syscall bound: at the end, wakes + (threads still asleep) <=
 *    parks: every FUTEX_WAKE is answered by a distinct return from a
 *    futex wait, and signals is 0 (no wake left in flight for nobody).
 *
 * Broken variants, which tests/check_park_model.sh requires spin to
 * reject:
 *  - NO_NOTIFY_FENCE (tests/park_broken.pml): the notifier's load of the
 *    waiter count may happen before its publication is visible (a CPU
 *    with no StoreLoad fence: the store waits in the store buffer); the
 *    lost wake-up is found;
 *  - NO_TIMEOUT_RECHECK: a timed-out waiter gives up even when a notify
 *    bumped the epoch before it left; the wake-up aimed at it is lost;
 *  - NO_SIGNALS: the previous protocol, a syscall for every notify that
 *    sees a sleeper, woken or not; the syscall bound fails;
 *  - WAKE_BIT: a single "wake in flight" flag with no count of the
 *    notifies it swallowed: a notify_one made while a wake is in flight
 *    makes no syscall even for a second sleeper; with ONESHOT the second
 *    item is left with a consumer asleep;
 *  - STAY_KEEPS_SIGNAL: a sleeper woken with its epoch unchanged goes back
 *    to sleep without taking a signal off; the signal invariant fails;
 *  - SPLIT_CLAIM: the notifier bumps the epoch with a fetch_add and then
 *    claims a signal with a CAS of its own that does not bump again; a
 *    sleeper registered in between is counted against the signal though
 *    it holds the new key, and the signal invariant fails.
 * -DMAXSIG=1 checks the saturation of the signal count (the real one
 * saturates at 255). */

#ifndef NW
#define NW 3
#endif
#ifndef NITEMS
#define NITEMS 2
#endif
#ifndef MAXSIG
#define MAXSIG 255
#endif

/* phase[] */
#define NONE    0       /* not a sleeper */
#define PRE     1       /* registered sleeper, not (yet, again) queued */
#define QUEUED  2       /* asleep in the futex queue */
#define RET     3       /* back from the kernel, before its CAS */

byte epoch = 0;         /* high half of the word: the futex word */
byte waiters = 0;       /* announced waiters */
byte sleepers = 0;      /* waiters past the spin phase */
byte signals = 0;       /* wake syscalls in flight */
byte items = 0;         /* published and not yet taken */
byte taken = 0;
bool inq[NW];           /* asleep in the kernel's futex queue */
byte gone = 0;          /* consumers that timed out and left */
byte exited = 0;        /* ONESHOT consumers that took their item */
byte spurious = 1;      /* spurious wake-ups the kernel may still deliver */
bool finished = false;  /* the notifier is done */

/* Ghosts. */
byte phase[NW];
byte keyv[NW];
byte wakes = 0;
byte parks = 0;
byte pending = 0;

/* A sleeper that will come back from the kernel with no further wake. */
#define DUE(i) ((phase[i] == RET || (phase[i] == PRE && keyv[i] != epoch)) -> 1 : 0)
#if NW == 3
#define NDUE (DUE(0) + DUE(1) + DUE(2))
#else
#define NDUE (DUE(0) + DUE(1))
#endif
#ifdef NO_INVARIANT
#define INVARIANT skip  /* to see what a broken variant does beyond it */
#else
#define INVARIANT assert(signals <= sleepers && signals <= NDUE + pending)
#endif

/* FUTEX_WAKE: wake one queued thread (any of them) or all of them. */
inline futex_wake(all)
{
	atomic {
		i = 0;
		if
		:: all ->
			do
			:: i < NW ->
				if
				:: inq[i] -> inq[i] = false; phase[i] = RET
				:: else -> skip
				fi;
				i++
			:: else -> break
			od
		:: else ->
			if
			:: inq[0] -> inq[0] = false; phase[0] = RET
			:: inq[1] -> inq[1] = false; phase[1] = RET
#if NW == 3
			:: inq[2] -> inq[2] = false; phase[2] = RET
#endif
			:: else -> skip
			fi
		fi;
		wakes++;
		pending = 0;
		INVARIANT
	}
}

active proctype notifier()
{
	byte n = 0, i;
	bool w, noclaim, all, claim, cas;  /* w: the load saw a waiter */

	do
	:: n < NITEMS ->
#ifdef NO_NOTIFY_FENCE
		atomic { w = waiters > 0; noclaim = sleepers <= signals };  /* load passes the buffered store */
		items++;                /* publication becomes visible */
#else
		items++;                /* publish (release) */
		/* full fence */
		atomic { w = waiters > 0; noclaim = sleepers <= signals };  /* load the word */
#endif
		if
		:: !w -> skip           /* nobody waits: no store, no syscall */
		:: else ->
			if
			:: all = false
			:: all = true
			fi;
			cas = true;
#if !defined(NO_SIGNALS) && !defined(WAKE_BIT)
#ifdef SPLIT_CLAIM
			noclaim = true;  /* broken: always bump first, claim apart */
#endif
			if
			:: noclaim ->
				/* no wake to claim, as far as the load shows: a plain
				 * fetch_add(EPOCH); the CAS only if its result shows
				 * an unsignalled sleeper after all */
				atomic {
					epoch++;
					cas = sleepers > signals;
					INVARIANT
				}
			:: else -> skip
			fi;
#endif
			if
			:: cas ->
			/* llt_park_impl_wake's CAS (release) */
			atomic {
				claim = false;
				if
				:: waiters == 0 -> skip  /* all left: no store */
				:: else ->
#ifndef SPLIT_CLAIM
					epoch++;
#endif
#if defined(NO_SIGNALS)
					claim = sleepers > 0
#elif defined(WAKE_BIT)
					if
					:: sleepers > 0 && signals == 0 ->
						claim = true; signals = 1; pending = 1
					:: else -> skip
					fi
#else
					if
					:: sleepers > signals ->
						claim = true;
						if
						:: all ->
							i = (sleepers < MAXSIG -> sleepers : MAXSIG);
							pending = i - signals;
							signals = i
						:: else ->
							if
							:: signals < MAXSIG -> signals++; pending = 1
							:: else -> skip
							fi
						fi
					:: else -> skip  /* every sleeper is already coming back */
					fi
#endif
				fi;
				INVARIANT
			}
			:: else -> skip
			fi;
			if
			:: claim -> futex_wake(all)
			:: else -> skip
			fi
		fi;
		d_step { n++; w = false; noclaim = false; i = 0; all = false; claim = false; cas = false }
	:: else -> break
	od;
	finished = true
}

proctype consumer(byte id; bool timed)
{
	byte key, w;
	bool got, to, leave;

	do
	:: atomic {
		if
		:: items > 0 -> items--; taken++; got = true
		:: else -> got = false
		fi
	   };
	   if
	   :: got ->
#ifdef ONESHOT
		exited++;
		goto out
#else
		skip
#endif
	   :: else ->
		/* prepare_wait: RMW + fence */
		atomic { waiters++; key = epoch };
		if
		:: items > 0 ->                      /* re-check */
			waiters--                    /* cancel_wait */
		:: else ->
			/* commit_wait: the spin phase may see the epoch move */
			if
			:: epoch != key -> waiters--; goto next
			:: true -> skip              /* budget spent */
			fi;
			/* register as a sleeper only while epoch == key (CAS) */
			atomic {
				if
				:: epoch != key -> waiters--; leave = true
				:: else -> sleepers++; phase[id] = PRE; keyv[id] = key; leave = false
				fi;
				INVARIANT
			};
			if
			:: leave -> goto next
			:: else -> skip
			fi;
			to = false;
sleep:
			/* futex_wait(&epoch, key): compare and block, atomically */
			atomic {
				parks++;
				if
				:: epoch == key -> inq[id] = true; phase[id] = QUEUED
				:: else -> phase[id] = RET   /* EAGAIN */
				fi;
				INVARIANT
			};
end_futex:
			if
			:: !inq[id] -> skip                                  /* woken, EAGAIN */
			:: atomic { timed && inq[id] -> inq[id] = false; phase[id] = RET; to = true }  /* ETIMEDOUT */
			:: atomic { spurious > 0 && inq[id] -> inq[id] = false; phase[id] = RET; spurious-- }
			fi;
			/* A timed wait may also report ETIMEDOUT after a wake took
			 * it off the queue: its deadline passed before it ran, or
			 * (the condvar fallback) POSIX lets a timed-out
			 * pthread_cond_timedwait consume a signal. */
			if
			:: timed && !to -> to = true
			:: true -> skip
			fi;
			/* the CAS after every return from the kernel (acquire) */
			atomic {
				leave = epoch != key || to;
#ifdef STAY_KEEPS_SIGNAL
				if
				:: leave && signals > 0 -> signals--
				:: else -> skip
				fi;
#else
				if
				:: signals > 0 -> signals--
				:: else -> skip
				fi;
#endif
				if
				:: leave -> waiters--; sleepers--; phase[id] = NONE; keyv[id] = 0; w = epoch
				:: else -> phase[id] = PRE
				fi;
				INVARIANT
			};
			if
			:: leave ->
#ifdef NO_TIMEOUT_RECHECK
				if
				:: to -> w = key  /* broken: a wake-up absorbed by the timeout is lost */
				:: else -> skip
				fi;
#endif
				if
				:: w == key -> gone++; goto out  /* -ETIMEDOUT: the caller gives up */
				:: else -> skip                  /* 0: the caller re-checks */
				fi
			:: else -> goto sleep                /* epoch unchanged: sleep again */
			fi
		fi
	   fi;
next:
	   /* forget this round's locals: fewer states */
	   skip;
	   d_step { got = false; to = false; leave = false; key = 0; w = 0 }
	od;
out:
	skip
}

/* When nothing can move any more, nothing may be left unconsumed. */
active proctype watchdog()
{
	byte i, asleep = 0;

	timeout ->
	assert(finished);
	assert(items + taken == NITEMS);
	/* no lost wake-up: a consumer that could take an item is not asleep */
	assert(items == 0 || exited + gone == NW);
	i = 0;
	do
	:: i < NW -> if :: inq[i] -> asleep++ :: else -> skip fi; i++
	:: else -> break
	od;
	assert(waiters == asleep && sleepers == asleep);
	/* no wake syscall left in flight for nobody */
	assert(signals == 0);
	/* every FUTEX_WAKE answered by a distinct return from a futex wait */
	assert(wakes + asleep <= parks)
}

init
{
	atomic {
		run consumer(0, true);
		run consumer(1, false);
#if NW == 3
		run consumer(2, false)
#endif
	}
}
