#!/bin/sh
# Model-check the llt/park sleep/wake protocol with spin.
#   tests/park.pml must verify with no error (no lost wake-up, no invalid
#   end state); tests/park_broken.pml (the notifier's fence removed) and
#   park.pml with -DNO_TIMEOUT_RECHECK must each fail, which shows that
#   the check can fail.
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
	# -DSAFETY: safety properties only (assertions, invalid end states).
	if ! "$SPIN" "$@" -a "$model" >spin.log 2>&1 ||
	   ! "$CC_PAN" -O2 -w -DSAFETY -o pan pan.c >cc.log 2>&1; then
		cat spin.log cc.log 2>/dev/null
		cd "$work" || true
		return 99
	fi
	# -m: search depth bound (the correct model needs ~220).
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
verify correct "$models/park.pml"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: the park model has $rc error(s)"
	fail=1
fi
verify correct3 "$models/park.pml" -DNITEMS=3
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: the park model (3 items) has $rc error(s)"
	fail=1
fi
verify no_fence "$models/park_broken.pml"
rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 99 ]; then
	echo "FAIL: spin found no error in park_broken.pml (rc $rc): the check cannot fail"
	fail=1
else
	echo "    (expected: the lost wake-up without the notifier's fence)"
fi
verify no_timeout_recheck "$models/park.pml" -DNO_TIMEOUT_RECHECK
rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 99 ]; then
	echo "FAIL: spin found no error with -DNO_TIMEOUT_RECHECK (rc $rc)"
	fail=1
else
	echo "    (expected: the wake-up absorbed by a timed-out waiter)"
fi
[ $fail -eq 0 ] && echo "PASS: park model verified; both broken variants rejected"
exit $fail
