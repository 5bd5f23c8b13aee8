#!/bin/sh
# Model-check the llt/park sleep/wake protocol with spin.
#   tests/park.pml must verify with no error (no lost wake-up, no invalid
#   end state, the signal invariant, the bound of one wake syscall per
#   futex wait) in four configurations: two consumers that loop (2 and 3
#   items), and three one-shot consumers (a timed one and two sleepers
#   that a notify_one must tell apart), with the signal count saturating
#   at 255 and at 1.  Each broken variant must fail, which shows that the
#   check can fail: tests/park_broken.pml (the notifier's fence removed),
#   -DNO_TIMEOUT_RECHECK, -DNO_SIGNALS (the previous protocol: the bound
#   fails), -DWAKE_BIT (one "wake in flight" bit that swallows notifies:
#   a wake-up is lost), -DSTAY_KEEPS_SIGNAL (a signal left hanging) and
#   -DSPLIT_CLAIM (the claim in a CAS apart from the epoch bump).
#   tests/chan_fence.pml (the SPSC channel's switch of its park's fence
#   protocol, on a store buffer) must verify with 3 and 4 items, and its
#   -DNO_SWITCH_MEMBARRIER and -DFLAGS_BEFORE_PUBLISH variants must fail.
#   PARK_MODEL_FULL=1 also checks three looping consumers: more than
#   10^8 states, over 5 GB and several minutes (it verified, 26 million
#   states, before the notifier's fetch_add shortcut split its step; with
#   it, 1.01e8 states were explored without error before a 400 s limit).
# Exits 77 (skip) when spin or a C compiler is missing.
set -u
srcdir=${srcdir:-$(dirname "$0")/..}
SPIN=${SPIN:-spin}
CC_PAN=${CC_PAN:-${CC:-cc}}

if ! command -v "$SPIN" >/dev/null 2>&1; then
	echo "SKIP: spin is not installed (Debian: apt-get install spin)"
	exit 77
fi
if ! command -v "$CC_PAN" >/dev/null 2>&1; then
	echo "SKIP: no C compiler ($CC_PAN) to build spin's verifier"
	exit 77
fi

models=$(cd "$srcdir/tests" && pwd) || exit 99
work=$(mktemp -d "${TMPDIR:-/tmp}/park-model.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM

# verify NAME MODEL [SPIN-FLAGS...]: prints pan's summary, returns pan's
# error count (0 = verified) or 99 when the verifier could not be built.
verify()
{
	name=$1 model=$2
	shift 2
	dir=$work/$name
	mkdir "$dir" && cd "$dir" || return 99
	# -DSAFETY: safety properties only (assertions, invalid end states);
	# -DCOLLAPSE: compressed state vectors, a third of the memory.
	if ! "$SPIN" "$@" -a "$model" >spin.log 2>&1 ||
	   ! "$CC_PAN" -O2 -w -DSAFETY -DCOLLAPSE -o pan pan.c >cc.log 2>&1; then
		cat spin.log cc.log 2>/dev/null
		cd "$work" || true
		return 99
	fi
	# -m: search depth bound (the correct models need ~280, 360 with
	# PARK_MODEL_FULL).
	./pan -m100000 >pan.log 2>&1
	echo "--- $name: spin $* -a $(basename "$model")"
	grep -E 'violated|invalid end state \(|errors:|states, stored|unreached|of [0-9]+ states' pan.log |
		sed 's/^/    /'
	errs=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log)
	cd "$work" || true
	[ -n "$errs" ] || return 99
	return "$errs"
}

fail=0
# correct NAME FLAGS...: must verify.
correct()
{
	name=$1
	shift
	verify "$name" "$models/park.pml" "$@"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: the park model ($name) has $rc error(s)"
		fail=1
	fi
}
# broken NAME MODEL WHY FLAGS...: spin must find an error.
broken()
{
	name=$1 model=$2 why=$3
	shift 3
	verify "$name" "$model" "$@"
	rc=$?
	if [ $rc -eq 0 ] || [ $rc -eq 99 ]; then
		echo "FAIL: spin found no error in $name (rc $rc): the check cannot fail"
		fail=1
	else
		echo "    (expected: $why)"
	fi
}

correct correct -DNW=2
correct correct3 -DNW=2 -DNITEMS=3
correct oneshot -DONESHOT
correct oneshot_sat1 -DONESHOT -DMAXSIG=1
if [ "${PARK_MODEL_FULL:-0}" = 1 ]; then
	correct full3 -DNW=3
fi
broken no_fence "$models/park_broken.pml" \
	"the lost wake-up without the notifier's fence" -DNW=2
broken no_timeout_recheck "$models/park.pml" \
	"the wake-up absorbed by a timed-out waiter" -DNW=2 -DNO_TIMEOUT_RECHECK
broken no_signals "$models/park.pml" \
	"a wake syscall per notify while the sleeper is on its way out" -DONESHOT -DNO_SIGNALS
broken wake_bit "$models/park.pml" \
	"a notify_one swallowed while a wake is in flight, second sleeper left asleep" -DONESHOT -DWAKE_BIT
broken stay_keeps_signal "$models/park.pml" \
	"a signal left hanging by a sleeper that sleeps again" -DNW=2 -DSTAY_KEEPS_SIGNAL
broken split_claim "$models/park.pml" \
	"a signal claimed apart from the bump, against a sleeper with the new key" -DONESHOT -DSPLIT_CLAIM
# The SPSC channel's per-wait switch of its park's fence protocol, on a
# TSO store buffer (tests/chan_fence.pml).
correct_chan()
{
	name=$1
	shift
	verify "$name" "$models/chan_fence.pml" "$@"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: the channel fence model ($name) has $rc error(s)"
		fail=1
	fi
}
correct_chan chan_fence
correct_chan chan_fence4 -DNITEMS=4
broken chan_no_switch_membarrier "$models/chan_fence.pml" \
	"a switch to the symmetric protocol without a last membarrier loses a wake-up" -DNO_SWITCH_MEMBARRIER
broken chan_flags_before_publish "$models/chan_fence.pml" \
	"a notifier that loads flags before publishing loses a wake-up across a switch" -DFLAGS_BEFORE_PUBLISH
[ $fail -eq 0 ] && echo "PASS: park model verified; every broken variant rejected"
exit $fail
