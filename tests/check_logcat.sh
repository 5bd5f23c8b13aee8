#!/bin/sh
# check_logcat.sh: llt-logcat's command line, output, filters, JSON, exit
# statuses on truncated and corrupt files, several files, and -f across
# rotations (keeping up, stopped, behind the kept count).  Logs come from
# `tests/check_log --write`.
# Exit: 0 pass, 1 fail, 77 skip.
LOGCAT=${LOGCAT:-./tools/llt-logcat}
WRITER=${WRITER:-./tests/check_log}
fail=0
[ -x "$WRITER" ] || { echo "SKIP: $WRITER not built (needs Check)"; exit 77; }
[ -x "$LOGCAT" ] || { echo "FAIL: $LOGCAT is not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_logcat.XXXXXX") || exit 99
# A stopped follower or writer gets SIGCONT so that the kill takes effect.
cleanup() {
	for p in ${fpid:-} ${wpid:-}; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
expect() {
	want=$1 what=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$what: exit $got"; else bad "$what: exit $got, expected $want"; sed 's/^/  stderr: /' "$tmp/err"; fi
}
lines() { wc -l < "$1" | tr -d ' '; }

"$WRITER" --write "$tmp/a.log" 3000 || { bad "writer failed"; exit 1; }

# --- usage and GNU options
expect 0 "--help" -- "$LOGCAT" --help
grep -q '^Usage: llt-logcat' "$tmp/out" || bad "--help prints no usage"
expect 0 "--version" -- "$LOGCAT" --version
grep -q '^llt-logcat (libllt) ' "$tmp/out" || bad "--version output"
expect 2 "no file" -- "$LOGCAT"
expect 2 "bad option" -- "$LOGCAT" --bogus "$tmp/a.log"
expect 2 "bad level" -- "$LOGCAT" --level=loud "$tmp/a.log"
expect 2 "bad regex" -- "$LOGCAT" --regex='(' "$tmp/a.log"
expect 2 "bad time" -- "$LOGCAT" --since=yesterday "$tmp/a.log"
expect 1 "missing file" -- "$LOGCAT" "$tmp/none.log"
grep -q "^llt-logcat: $tmp/none.log: " "$tmp/err" || bad "missing file: one-line error"

# --- decoding and filters
expect 0 "decode" -- "$LOGCAT" "$tmp/a.log"
[ "$(lines "$tmp/out")" -eq 3000 ] && ok "3000 records" || bad "$(lines "$tmp/out") records, expected 3000"
grep -q -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9} INFO   \[[0-9]+\] check_log\.c:[0-9]+ msg 0 sym=AAPL px=0\.00$' "$tmp/out" \
	&& ok "line format" || { bad "line format"; head -2 "$tmp/out"; }
expect 0 "--level=error" -- "$LOGCAT" --level=error "$tmp/a.log"
[ "$(lines "$tmp/out")" -eq 1000 ] && ok "1000 errors" || bad "--level=error: $(lines "$tmp/out") lines"
expect 0 "--grep" -- "$LOGCAT" --grep="msg 2999 " "$tmp/a.log"
[ "$(lines "$tmp/out")" -eq 1 ] || bad "--grep: $(lines "$tmp/out") lines"
expect 0 "--regex" -- "$LOGCAT" --regex='sym=MSFT px=[0-9]+\.50$' "$tmp/a.log"
[ "$(lines "$tmp/out")" -eq 1500 ] || bad "--regex: $(lines "$tmp/out") lines"
tid=$(sed -n '1s/.*\[\([0-9]*\)\].*/\1/p' "$tmp/out")
expect 0 "--thread" -- "$LOGCAT" --thread="$tid" "$tmp/a.log"
[ "$(lines "$tmp/out")" -eq 1500 ] || bad "--thread: $(lines "$tmp/out") lines"
expect 0 "--until in the past" -- "$LOGCAT" --until=@1000 "$tmp/a.log"
[ "$(lines "$tmp/out")" -eq 0 ] || bad "--until: $(lines "$tmp/out") lines"
expect 0 "--since in the past, UTC" -- "$LOGCAT" --utc --since="2000-01-01 00:00" "$tmp/a.log"
[ "$(lines "$tmp/out")" -eq 3000 ] || bad "--since: $(lines "$tmp/out") lines"
expect 0 "--time=ns" -- "$LOGCAT" --time=ns "$tmp/a.log"
head -1 "$tmp/out" | grep -q '^0 [A-Z]' || bad "--time=ns: first record not at 0"
expect 0 "--utc --time=iso" -- "$LOGCAT" --utc --time=iso "$tmp/a.log"
head -1 "$tmp/out" | grep -q -E '^[0-9-]{10}T[0-9:]{8}\.[0-9]{9}Z ' || bad "--time=iso"
expect 0 "--json" -- "$LOGCAT" --json "$tmp/a.log"
if command -v python3 >/dev/null 2>&1; then
	python3 - "$tmp/out" <<'PY' && ok "--json parses" || bad "--json does not parse"
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert r["type"] == "record" and "msg" in r and "seq" in r and r["file"].endswith("check_log.c")
    n += 1
assert n == 3000
PY
fi

# --- truncated and corrupt files
size=$(wc -c < "$tmp/a.log")
head -c $((size - 3)) "$tmp/a.log" > "$tmp/trunc.log"
expect 3 "truncated" -- "$LOGCAT" "$tmp/trunc.log"
grep -q "^llt-logcat: $tmp/trunc.log: offset [0-9]*: file ends mid-record" "$tmp/err" || bad "truncated: message"
[ "$(lines "$tmp/out")" -eq 2999 ] && ok "truncated: everything before printed" || bad "truncated: $(lines "$tmp/out") lines"
head -c 30 "$tmp/a.log" > "$tmp/hdr.log"
expect 3 "cut in the header" -- "$LOGCAT" "$tmp/hdr.log"
printf 'not a log file at all, not at all' > "$tmp/junk.log"
expect 4 "not a log" -- "$LOGCAT" "$tmp/junk.log"
python3 -c "
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[len(d)//2:len(d)//2 + 64] = b'\xff' * 64   # overlong varints
open(sys.argv[2], 'wb').write(d)" "$tmp/a.log" "$tmp/bad.log" 2>/dev/null || cp "$tmp/a.log" "$tmp/bad.log"
expect 4 "corrupt" -- "$LOGCAT" "$tmp/bad.log"
grep -q "^llt-logcat: $tmp/bad.log: offset [0-9]*: corrupt entry" "$tmp/err" || bad "corrupt: message"
n=$(lines "$tmp/out")
[ "$n" -gt 1000 ] && [ "$n" -lt 3000 ] && ok "corrupt: $n records around the damage" || bad "corrupt: $n records"

# --- format 1.0 files (crash frames named at run time) still decode, to
# the same bytes as the 1.0 reader printed (tests/data/crash-v1.0.*)
data=${srcdir:-.}/tests/data
expect 0 "1.0 crash log" -- "$LOGCAT" --utc "$data/crash-v1.0.lltlog"
cmp -s "$tmp/out" "$data/crash-v1.0.txt" && ok "1.0 crash log: text as before" || { bad "1.0 crash log: text differs"; diff "$tmp/out" "$data/crash-v1.0.txt" | head -5; }
expect 0 "1.0 crash log, JSON" -- "$LOGCAT" --utc --json "$data/crash-v1.0.lltlog"
cmp -s "$tmp/out" "$data/crash-v1.0.json" && ok "1.0 crash log: JSON as before" || bad "1.0 crash log: JSON differs"

# --- several files (a rotation set), oldest first whatever the order
"$WRITER" --write "$tmp/r.log" 20000 8192 || bad "rotating writer failed"
set -- "$tmp"/r.log*
expect 0 "rotation set" -- "$LOGCAT" "$tmp/r.log" "$tmp/r.log.1" "$tmp/r.log.2"
awk '{print $6}' "$tmp/out" | sort -n -c 2>/dev/null || true
last=$(tail -1 "$tmp/out" | sed -n 's/.* msg \([0-9]*\) .*/\1/p')
[ "$last" -ge 19990 ] && ok "rotation set ends with the newest" || bad "rotation set ends with msg $last"

# --- follow across rotations
# The writer keeps every rotated file (CHECK_LOG_KEEP), so whatever the
# timing the follower must print exactly the records of the whole set, in
# the order llt-logcat prints the set itself: no loss, no duplicate.
# Helpers: start a follower of $1 and wait until it has the file open
# (the writer sleeps 0.5 s after creating it); compare its output with
# the whole set's.
follow_start() {
	"$LOGCAT" -f "$1" > "$2" 2>"$3" &
	fpid=$!
}
follow_has_open() {   # $1: file; waits up to 10 s
	for i in $(seq 1 100); do
		ls -l "/proc/$fpid/fd" 2>/dev/null | grep -q -- "-> $1\$" && return 0
		[ -d /proc/self/fd ] || { sleep 0.5; return 0; }
		sleep 0.1
	done
	return 1
}
follow_wait() {   # $1: output, $2: records expected; waits up to 60 s
	for i in $(seq 1 600); do
		[ "$(grep -c ' msg ' "$1" 2>/dev/null)" -ge "$2" ] && break
		sleep 0.1
	done
	sleep 0.2   # a duplicate would show up now
	kill "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	fpid=
}
whole_set() {   # $1: base name; decodes every file of the set, oldest first
	"$LOGCAT" "$1"* > "$tmp/whole" 2>/dev/null
}
same_as_set() {   # $1: what, $2: follower output, $3: its stderr, $4: base name
	whole_set "$4"
	n=$(grep -c ' msg ' "$2")
	d=$(sed -n 's/.* msg \([0-9]*\) .*/\1/p' "$2" | sort -u | wc -l | tr -d ' ')
	if [ "$n" -eq 20000 ] && [ "$d" -eq 20000 ] && cmp -s "$2" "$tmp/whole" && [ ! -s "$3" ]; then
		ok "$1: all 20000 records once, in order, across $(ls "$4"* | wc -l | tr -d ' ') files"
	else
		bad "$1: $n records, $d distinct (expected 20000), $(lines "$tmp/whole") in the set"
		cmp "$2" "$tmp/whole" | head -1
		sed 's/^/  stderr: /' "$3" | head -5
	fi
}

# 1. The follower keeps up (64 KiB files).
follow_start "$tmp/f.log" "$tmp/follow" "$tmp/ferr"
sleep 0.3
CHECK_LOG_KEEP=1000 CHECK_LOG_SLOW=1 "$WRITER" --write "$tmp/f.log" 20000 65536 || bad "follow writer failed"
follow_wait "$tmp/follow" 20000
same_as_set "-f keeping up" "$tmp/follow" "$tmp/ferr" "$tmp/f.log"

# 2. The follower is stopped (SIGSTOP) with the first file open while the
# writer rotates ~50 times, then continued: it must finish that file and
# go through every rotated one, oldest first, then the current one.
follow_start "$tmp/g.log" "$tmp/gout" "$tmp/gerr"
CHECK_LOG_KEEP=1000 CHECK_LOG_SLOW=1 "$WRITER" --write "$tmp/g.log" 20000 8192 &
wpid=$!
follow_has_open "$tmp/g.log" || bad "-f stopped: the follower did not open the file"
kill -STOP "$fpid"
wait "$wpid" || bad "writer (stopped follower) failed"
wpid=
kill -CONT "$fpid"
follow_wait "$tmp/gout" 20000
same_as_set "-f stopped across all rotations" "$tmp/gout" "$tmp/gerr" "$tmp/g.log"

# 3. Deterministic: the follower catches up while the writer rotates.
# The writer stops itself (SIGSTOP) after 15000 messages; the follower,
# stopped until then, is continued with its output going to a pipe nobody
# reads yet, so it blocks in the middle of the rotated files (~1.1 MB of
# text: its stdio buffer and the pipe); then the writer is continued and
# rotates ~10 more times, the names shifting under the follower; then the
# pipe is read.
state() { sed -n 's/^[0-9]* ([^)]*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null; }
if [ -r /proc/self/stat ] && mkfifo "$tmp/fifo"; then
	"$LOGCAT" -f "$tmp/j.log" > "$tmp/fifo" 2>"$tmp/jerr" &
	fpid=$!
	exec 3<"$tmp/fifo"
	CHECK_LOG_STOP_AT=15000 CHECK_LOG_KEEP=1000 CHECK_LOG_SLOW=1 "$WRITER" --write "$tmp/j.log" 20000 8192 &
	wpid=$!
	follow_has_open "$tmp/j.log" || bad "-f blocked: the follower did not open the file"
	kill -STOP "$fpid"
	for i in $(seq 1 300); do [ "$(state "$wpid")" = T ] && break; sleep 0.1; done
	[ "$(state "$wpid")" = T ] || bad "-f blocked: the writer did not stop itself"
	kill -CONT "$fpid"
	for i in $(seq 1 300); do grep -q pipe "/proc/$fpid/wchan" 2>/dev/null && break; sleep 0.1; done
	grep -q pipe "/proc/$fpid/wchan" 2>/dev/null || sleep 2   # no wchan: give it time to block
	kill -CONT "$wpid"
	wait "$wpid" || bad "writer (blocked follower) failed"
	wpid=
	cat <&3 > "$tmp/jout" &
	cpid=$!
	exec 3<&-
	follow_wait "$tmp/jout" 20000
	wait "$cpid"
	same_as_set "-f blocked while catching up, writer rotating" "$tmp/jout" "$tmp/jerr" "$tmp/j.log"
fi

# 4. The follower is stopped and continued over and over while the writer
# rotates, so it catches up while rotations go on (the names shift under
# it while it reads the rotated files).
follow_start "$tmp/h.log" "$tmp/hout" "$tmp/herr"
CHECK_LOG_KEEP=1000 CHECK_LOG_SLOW=1 "$WRITER" --write "$tmp/h.log" 20000 8192 &
wpid=$!
follow_has_open "$tmp/h.log" || bad "-f stop/continue: the follower did not open the file"
while kill -0 "$wpid" 2>/dev/null; do
	kill -STOP "$fpid"; sleep 0.05; kill -CONT "$fpid"; sleep 0.01
done
wait "$wpid" || bad "writer (stop/continue) failed"
wpid=
follow_wait "$tmp/hout" 20000
same_as_set "-f stopped and continued during rotations" "$tmp/hout" "$tmp/herr" "$tmp/h.log"

# 5. The writer keeps 2 rotated files and the follower is stopped past
# that: the files deleted meanwhile are the writer's loss, which the
# follower reports once, in one line; it prints the file it had open and
# the 3 that are left, each record once, in order.
follow_start "$tmp/k.log" "$tmp/kout" "$tmp/kerr"
CHECK_LOG_KEEP=2 CHECK_LOG_SLOW=1 "$WRITER" --write "$tmp/k.log" 20000 8192 &
wpid=$!
follow_has_open "$tmp/k.log" || bad "-f keep 2: the follower did not open the file"
kill -STOP "$fpid"
wait "$wpid" || bad "writer (keep 2) failed"
wpid=
kill -CONT "$fpid"
whole_set "$tmp/k.log"
follow_wait "$tmp/kout" "$(grep -c ' msg ' "$tmp/whole")"
sleep 0.3
if grep -q ' msg 0 ' "$tmp/kout" && tail -n "$(lines "$tmp/whole")" "$tmp/kout" | cmp -s - "$tmp/whole" &&
   [ "$(sed -n 's/.* msg \([0-9]*\) .*/\1/p' "$tmp/kout" | sort -u | wc -l)" -eq "$(lines "$tmp/kout")" ] &&
   [ "$(lines "$tmp/kerr")" -eq 1 ] &&
   grep -q "^llt-logcat: $tmp/k.log: rotated files 1 to [0-9]* of this log were deleted before they were read: their records are lost\$" "$tmp/kerr"; then
	ok "-f behind the kept count: $(lines "$tmp/kout") records, one warning: $(cat "$tmp/kerr")"
else
	bad "-f behind the kept count: $(lines "$tmp/kout") records"
	sed 's/^/  stderr: /' "$tmp/kerr" | head -5
fi
exit $fail
