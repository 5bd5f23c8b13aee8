/* tests/park.pml: the llt/park sleep/wake protocol, for the spin model
 * checker (tests/check_park_model.sh runs it).
 *
 * One notifier publishes NITEMS items, each followed by a notify that is
 * either notify_one or notify_all (chosen nondeterministically).  NW
 * consumers take items and, when there are none, wait the documented way:
 * prepare_wait, re-check, cancel_wait or commit_wait.  Consumer 0 uses a
 * timed wait and gives up (exits) when it times out; the others wait
 * forever.  The kernel may deliver one spurious wake-up.
 *
 * The word of struct llt_park is three variables here (epoch, waiters,
 * sleepers); every read-modify-write of the word is an atomic block.
 * Promela executes statements in a sequentially consistent interleaving,
 * which is what the protocol's two full fences buy: the notifier's
 * publication is visible before it loads the waiter count, and the
 * waiter's increment before it re-checks.  The futex is a compare and
 * block in one atomic step (the kernel compares under its bucket lock).
 * The spin phase is abstracted: it may or may not see an epoch change.
 *
 * Properties:
 *  - no lost wake-up: when nothing can move any more (Promela's timeout),
 *    no item may be left with every remaining consumer asleep; the
 *    watchdog asserts it;
 *  - no deadlock: the only valid end states are a consumer asleep in the
 *    futex (label end_futex), a consumer that timed out, and the finished
 *    notifier; spin reports any other blocked state;
 *  - the counts of the word return to what the sleepers account for.
 *
 * tests/park_broken.pml defines NO_NOTIFY_FENCE: the notifier's load of
 * the waiter count may then happen before its publication is visible
 * (what a CPU does with no StoreLoad fence: the store waits in the store
 * buffer), and spin finds the lost wake-up.  Defining NO_TIMEOUT_RECHECK
 * (spin -DNO_TIMEOUT_RECHECK -a park.pml) makes a timed-out waiter give up
 * even when a notify bumped the epoch before it left; the wake-up aimed at
 * it is then lost too, and spin finds that as well. */

#ifndef NW
#define NW 2
#endif
#ifndef NITEMS
#define NITEMS 2
#endif

byte epoch = 0;         /* high half of the word: the futex word */
byte waiters = 0;       /* announced waiters */
byte sleepers = 0;      /* waiters past the spin phase */
byte items = 0;         /* published and not yet taken */
byte taken = 0;
bool inq[NW];           /* asleep in the kernel's futex queue */
byte gone = 0;          /* consumers that timed out and left */
byte spurious = 1;      /* spurious wake-ups the kernel may still deliver */
bool finished = false;  /* the notifier is done */

/* FUTEX_WAKE: wake one queued thread (any of them) or all of them. */
inline futex_wake(all)
{
	atomic {
		if
		:: all ->
			i = 0;
			do
			:: i < NW -> inq[i] = false; i++
			:: else -> break
			od
		:: else ->
			if
			:: inq[0] -> inq[0] = false
			:: inq[1] -> inq[1] = false
			:: else -> skip
			fi
		fi
	}
}

active proctype notifier()
{
	byte n = 0, w, s, i;
	bool all;

	do
	:: n < NITEMS ->
#ifdef NO_NOTIFY_FENCE
		w = waiters;            /* load passes the buffered store */
		items++;                /* publication becomes visible */
#else
		items++;                /* publish (release) */
		/* full fence */
		w = waiters;            /* load the word */
#endif
		if
		:: w == 0 -> skip       /* nobody waits: no store, no syscall */
		:: else ->
			if
			:: all = false
			:: all = true
			fi;
			atomic { epoch++; s = sleepers }  /* fetch_add(EPOCH) */
			if
			:: s > 0 -> futex_wake(all)
			:: else -> skip /* spinning waiters see the epoch */
			fi
		fi;
		n++
	:: else -> break
	od;
	finished = true
}

proctype consumer(byte id; bool timed)
{
	byte key, w;
	bool got, to;

	do
	:: atomic {
		if
		:: items > 0 -> items--; taken++; got = true
		:: else -> got = false
		fi
	   };
	   if
	   :: got -> skip
	   :: else ->
		atomic { waiters++; key = epoch };   /* prepare_wait: RMW + fence */
		if
		:: items > 0 ->                      /* re-check */
			waiters--                    /* cancel_wait */
		:: else ->
			/* commit_wait: the spin phase may see the epoch move */
			if
			:: epoch != key -> waiters--; goto next
			:: true -> skip              /* budget spent */
			fi;
			atomic { sleepers++; w = epoch };
			if
			:: w != key -> atomic { waiters--; sleepers-- }; goto next
			:: else -> skip
			fi;
			to = false;
sleep:
			/* futex_wait(&epoch, key): compare and block, atomically */
			atomic {
				if
				:: epoch == key -> inq[id] = true
				:: else -> skip
				fi
			};
end_futex:
			if
			:: !inq[id] -> skip                                  /* woken, EAGAIN */
			:: atomic { timed && inq[id] -> inq[id] = false; to = true }  /* ETIMEDOUT */
			:: atomic { spurious > 0 && inq[id] -> inq[id] = false; spurious-- }
			fi;
			/* A timed wait may also report ETIMEDOUT after a wake took
			 * it off the queue: its deadline passed before it ran, or
			 * (the condvar fallback) POSIX lets a timed-out
			 * pthread_cond_timedwait consume a signal. */
			if
			:: timed && !to -> to = true
			:: true -> skip
			fi;
			if
			:: to ->
				/* deadline passed: leave, unless a bump came first */
				atomic { waiters--; sleepers--; w = epoch };
#ifdef NO_TIMEOUT_RECHECK
				w = key;  /* broken: a wake-up absorbed by the timeout is lost */
#endif
				if
				:: w == key -> gone++; goto out  /* -ETIMEDOUT: the caller gives up */
				:: else -> skip                  /* 0: counts as a wake-up */
				fi
			:: else ->
				if
				:: epoch == key -> goto sleep    /* spurious */
				:: else -> atomic { waiters--; sleepers-- }
				fi
			fi
		fi
	   fi;
next:
	   skip
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
	assert(items == 0);                  /* no lost wake-up */
	i = 0;
	do
	:: i < NW -> if :: inq[i] -> asleep++ :: else -> skip fi; i++
	:: else -> break
	od;
	assert(waiters == asleep && sleepers == asleep)
}

init
{
	atomic {
		run consumer(0, true);
		run consumer(1, false)
	}
}
