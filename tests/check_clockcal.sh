#!/bin/sh
# check_clockcal.sh: llt-clockcal's command line, exit status, JSON report
# and calibration file.  Run by `make check` from the build directory
# (srcdir is set by the harness); CLOCKCAL may name another binary.
#
# The figures are checked for sanity only (a rate, a spread, costs in a
# plausible range), never against a performance goal.
# Exit: 0 pass, 1 fail, 77 skip (python3 missing).

CLOCKCAL=${CLOCKCAL:-./tools/llt-clockcal}
fail=0

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed to parse and check llt-clockcal --json"
	exit 77
fi
if [ ! -x "$CLOCKCAL" ]; then
	echo "FAIL: $CLOCKCAL is not built"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_clockcal.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# expect STATUS DESCRIPTION -- COMMAND...: runs COMMAND, output in $tmp/out
# and $tmp/err, and checks its exit status.
expect() {
	want=$1 what=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$what: exit $got"
	else
		bad "$what: exit $got, expected $want"
		sed 's/^/  stderr: /' "$tmp/err"
	fi
}

# --- the JSON report --------------------------------------------------------
expect 0 "--json --duration 200" -- "$CLOCKCAL" --json --duration 200
cp "$tmp/out" "$tmp/report.json"
if python3 - "$tmp/report.json" <<'EOF'
import json, sys

with open(sys.argv[1]) as f:
    r = json.load(f)
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

for key in ("source", "mode", "rate_source", "hz", "ppm_error", "ppm_check",
            "invariant", "hypervisor", "kernel_clocksource", "synced",
            "sync_cpus", "sync_max_warp_ticks", "calibrations", "cost_ns",
            "cost_cycles", "saved_to"):
    check(key in r, "missing key %s" % key)
cal = r.get("calibrations", {})
for key in ("short_hz", "long_hz", "short_long_ppm", "repeat_hz", "spread_ppm"):
    check(key in cal, "missing key calibrations.%s" % key)

hz = r.get("hz")
check(isinstance(hz, (int, float)) and hz > 0, "hz %r is not positive" % hz)
reps = [x for x in cal.get("repeat_hz") or [] if isinstance(x, (int, float))]
if r.get("source") == "tsc":
    check(len(reps) == 5, "repeat_hz %r: expected 5 rates" % cal.get("repeat_hz"))
    if reps and hz:
        med = sorted(reps)[len(reps) // 2]
        dev = abs(hz - med) / med
        check(dev < 0.01, "hz %.0f is %.3f%% from the repeat median %.0f" % (hz, dev * 100, med))
if reps:
    spread = cal.get("spread_ppm")
    check(isinstance(spread, (int, float)) and 0 <= spread < 1000,
          "spread_ppm %r not in [0, 1000)" % spread)

costs = r.get("cost_ns") or {}
check("llt_clock_now" in costs and "clock_gettime_monotonic" in costs,
      "cost_ns lacks llt_clock_now or clock_gettime_monotonic")
for name, ns in costs.items():
    check(isinstance(ns, (int, float)) and 0 < ns < 10000,
          "cost_ns.%s = %r not in (0, 10000)" % (name, ns))
for name, cy in (r.get("cost_cycles") or {}).items():
    check(cy is None or (isinstance(cy, (int, float)) and cy > 0),
          "cost_cycles.%s = %r not positive" % (name, cy))
check(r.get("saved_to") is None, "saved_to %r without --save" % r.get("saved_to"))

print("source %s (%s), hz %.0f, rate %s, spread %s ppm, llt_clock_now %s ns" %
      (r.get("source"), r.get("reason"), hz or 0, r.get("rate_source"),
       cal.get("spread_ppm"), costs.get("llt_clock_now")))
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
EOF
then
	ok "JSON report parses and its figures are sane"
else
	bad "JSON report"
	sed 's/^/  json: /' "$tmp/report.json"
fi

# --- command line -----------------------------------------------------------
expect 0 "--help" -- "$CLOCKCAL" --help
grep -q '^Usage: llt-clockcal' "$tmp/out" || bad "--help prints no Usage line"
grep -q 'Exit status' "$tmp/out" || bad "--help does not document the exit status"
expect 0 "--version" -- "$CLOCKCAL" --version
head -n 1 "$tmp/out" | grep -Eq '^llt-clockcal \(libllt\) [0-9]+\.[0-9]+\.[0-9]+$' ||
	bad "--version first line: $(head -n 1 "$tmp/out")"
expect 2 "unknown option" -- "$CLOCKCAL" --no-such-option
expect 2 "--duration 0" -- "$CLOCKCAL" --duration 0
expect 2 "--duration 600001" -- "$CLOCKCAL" --duration 600001
expect 2 "--duration 10x" -- "$CLOCKCAL" --duration 10x
expect 2 "--mode bogus" -- "$CLOCKCAL" --mode bogus
expect 2 "--save without FILE" -- "$CLOCKCAL" --save
expect 2 "extra operand" -- "$CLOCKCAL" extra

# --- --save -----------------------------------------------------------------
expect 2 "--save to an unwritable path" -- "$CLOCKCAL" --quiet --duration 10 --save /nonexistent/dir/file
if [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^llt-clockcal: /nonexistent/dir/file: ' "$tmp/err"; then
	ok "--save failure is one line: $(cat "$tmp/err")"
else
	bad "--save failure message:"
	sed 's/^/  stderr: /' "$tmp/err"
fi

cal="$tmp/clock"
expect 0 "--save to a temporary file" -- "$CLOCKCAL" --json --duration 50 --save "$cal"
cp "$tmp/out" "$tmp/save.json"
if python3 - "$cal" "$tmp/save.json" <<'EOF'
import json, sys

path, report = sys.argv[1], sys.argv[2]
with open(report) as f:
    r = json.load(f)
errors = []
if r.get("saved_to") != path:
    errors.append("saved_to %r, expected %r" % (r.get("saved_to"), path))
# The format llt_clock_cal_load(3) accepts: "# comment" lines, then
# "key value" lines, "version 1" and a positive "hz".
lines = [l.rstrip("\n") for l in open(path)]
content = [l for l in lines if l and not l.startswith("#")]
if not content or content[0] != "version 1":
    errors.append("first non-comment line is %r, not 'version 1'" % (content[:1],))
fields = dict(l.split(" ", 1) for l in content if " " in l)
try:
    hz = float(fields.get("hz", "nan"))
    if not (1e3 < hz < 1e12):
        errors.append("hz %r out of range" % fields.get("hz"))
    if abs(hz - r["calibrations"]["long_hz"]) > 1:
        errors.append("hz %s is not the long calibration %s" % (hz, r["calibrations"]["long_hz"]))
except (ValueError, KeyError, TypeError) as e:
    errors.append("hz line: %s" % e)
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
EOF
then
	ok "saved calibration file has the llt_clock_cal_load format"
else
	bad "saved calibration file:"
	sed 's/^/  file: /' "$cal"
fi

# The library itself must accept the file: with no exact rate to prefer,
# llt_clock_init takes its rate from LLT_CLOCK_FILE.
if python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(0 if r["source"] in ("tsc", "cntvct") and r["rate_source"] == "calibrated" else 1)' "$tmp/report.json"; then
	expect 0 "LLT_CLOCK_FILE=saved file" -- env LLT_CLOCK_FILE="$cal" LLT_CLOCK= "$CLOCKCAL" --json --duration 10
	if python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["rate_source"] == "saved" else 1)' "$tmp/out"; then
		ok "llt_clock_init loaded the saved calibration"
	else
		bad "llt_clock_init did not use the saved calibration (rate_source is not 'saved')"
	fi
else
	echo "note: the rate here comes from an exact source or no counter is used; not checking that the library loads the file"
fi

exit $fail
