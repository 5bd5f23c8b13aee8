/* tests/chan_fence.pml: the SPSC channel's per-wait choice of its park's
 * fence protocol (lib/chan.c, "fence protocol"), for the spin model
 * checker (tests/check_park_model.sh runs it).
 *
 * tests/park.pml checks the park's sleep/wake protocol in a sequentially
 * consistent interleaving, which is what either fence pair buys.  Here
 * the pair itself is at stake, so the model has a store buffer: x86-64's
 * TSO, where the one reordering that matters to a store-buffering
 * (Dekker) pair is possible: a store waits in its CPU's buffer while that
 * CPU's later loads read memory.
 *
 * One notifier (the sender) publishes NITEMS items.  For each: its
 * publication S goes into its store buffer (a single slot: the count is
 * monotonic, so the newest value stands for the older ones); a compiler
 * barrier; the load f of the park's flags; a full fence (drains the
 * buffer) only if f says symmetric; the load L of the waiter count; and
 * when that is not 0 the wake, whose epoch bump is a locked RMW (drains
 * the buffer first) and which releases a sleeper.  The buffer also
 * drains by itself at any time (process drainer).
 *
 * One waiter (the receiver) takes the items; when there is none it
 * waits: it may switch its park's protocol (nondeterministically, which
 * covers every policy), announces itself (I, a locked RMW that also
 * returns the key), then either calls membarrier, which drains the
 * notifier's buffer at that point of the notifier's instruction stream
 * (the IPI's full barrier; one atomic step here), or fences (its own
 * stores are already visible: each is followed by a locked RMW or by
 * the system call), re-checks (R, a load of memory), and cancels or
 * sleeps until the epoch moves off its key (the futex compare and block
 * are one step, as in the kernel).  It calls membarrier when its park is
 * asymmetric, and once more at the wait that switched it to symmetric.
 *
 * Property: no lost wake-up.  The only valid end states are the
 * finished notifier, the drainer's loop and the waiter that took every
 * item; a waiter asleep for ever with an item published is reported by
 * spin as an invalid end state.
 *
 * Broken variants, which tests/check_park_model.sh requires spin to
 * reject:
 *  - NO_SWITCH_MEMBARRIER: the wait that switches to symmetric uses the
 *    plain fence; a notifier that still read "asymmetric" skipped its
 *    fence, and its publication waits in its buffer past the re-check;
 *  - FLAGS_BEFORE_PUBLISH: the notifier loads flags before its
 *    publication (what a compiler may do without the compiler barrier
 *    in llt_park_impl_notify()): the switching wait's membarrier can
 *    fall between the two, and a later symmetric wait misses both. */

#ifndef NITEMS
#define NITEMS 3
#endif

byte mem_items = 0;     /* published items, as memory holds them */
byte sb_items = 0;      /* the notifier's store buffer: value ... */
bool sb_full = false;   /* ... and whether it holds one */
bool asym = true;       /* the park's LLT_PARK_IMPL_ASYM bit (fresh: set) */
byte waiters = 0;
byte epoch = 0;
byte taken = 0;

inline drain()
{
	if
	:: sb_full -> mem_items = sb_items; sb_full = false
	:: else -> skip
	fi
}

active proctype drainer()
{
end:	do
	:: atomic { sb_full -> mem_items = sb_items; sb_full = false }
	od
}

active proctype notifier()
{
	byte n = 0;
	bool f, w;
	do
	:: n < NITEMS ->
		n++;
#ifdef FLAGS_BEFORE_PUBLISH
		f = asym;
		atomic { sb_items = n; sb_full = true };    /* S */
#else
		atomic { sb_items = n; sb_full = true };    /* S */
		f = asym;                                   /* compiler barrier, then f */
#endif
		if
		:: !f -> atomic { drain() }                 /* full fence */
		:: else -> skip
		fi;
		w = (waiters > 0);                          /* L */
		if
		:: w -> atomic { drain(); epoch++ }         /* wake: locked RMW */
		:: else -> skip
		fi
	:: else -> break
	od
}

active proctype waiter()
{
	byte key;
	bool heavy;
	do
	:: taken == NITEMS -> break
	:: taken < NITEMS && mem_items > taken -> taken++
	:: taken < NITEMS && mem_items <= taken ->
		/* The choice of protocol for this wait (fence_choose). */
		heavy = false;
		if
		:: asym -> asym = false;
#ifndef NO_SWITCH_MEMBARRIER
			heavy = true
#endif
		:: !asym -> asym = true
		:: skip
		fi;
		atomic { waiters++; key = epoch };          /* I */
		if
		:: asym || heavy -> atomic { drain() }      /* membarrier */
		:: else -> skip                             /* full fence */
		fi;
		if
		:: mem_items > taken -> waiters--          /* R: cancel */
		:: else ->
			atomic { epoch != key -> waiters-- }   /* futex wait */
		fi
	od
}
