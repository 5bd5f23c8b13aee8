# Shared by the .ci/*.sh stages (sourced, bash).  Each stage installs what it
# needs itself (CI runs on a fresh Debian 12 as root), builds in its own
# _ci_<name>/ tree and exits non-zero on any failure.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc)
export DEBIAN_FRONTEND=noninteractive

# ci_install PKG...: apt-get install when running as root (CI); a developer
# without root is expected to have the packages (the stage says which).
ci_install() {
	if [ "$(id -u)" = 0 ] && [ -z "${LLT_CI_NO_INSTALL:-}" ]; then
		apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "$@" >/dev/null ||
			{ apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null && apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "$@" >/dev/null; }
	else
		local p missing=
		for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
		[ -z "$missing" ] || { echo "ci: missing packages:$missing (apt-get install$missing)" >&2; return 1; }
	fi
}

# ci_srcdir: prints a source tree that can be configured out of tree.  A
# checkout configured in place (the README does that) cannot be, so then
# the stage uses the release tarball (made by make distcheck, or here).
ci_srcdir() {
	if [ ! -f "$top/config.status" ]; then
		[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null)
		echo "$top"
		return
	fi
	local tarball
	tarball=$(ls "$top"/libllt-*.tar.xz 2>/dev/null | head -n 1 || true)
	if [ -z "$tarball" ]; then
		(cd "$top" && make -j"$jobs" dist >/dev/null) || return 1
		tarball=$(ls "$top"/libllt-*.tar.xz | head -n 1)
	fi
	if [ ! -f "$top/_ci_src/.ci-stamp" ] || [ "$tarball" -nt "$top/_ci_src/.ci-stamp" ]; then
		rm -rf "$top/_ci_src" && mkdir -p "$top/_ci_src" &&
			tar -C "$top/_ci_src" --strip-components=1 -xJf "$tarball" || return 1
		touch "$top/_ci_src/.ci-stamp"
	fi
	echo "$top/_ci_src"
}

# ci_time LABEL CMD...: runs CMD and prints how long it took, on the
# stage's own standard output (fd 3), whatever CMD's output is sent to.
exec 3>&1
ci_time() {
	local label=$1 t0=$SECONDS rc=0
	shift
	"$@" || rc=$?
	if [ $rc -eq 0 ]; then echo "ci:   $label: $((SECONDS - t0))s" >&3
	else echo "ci:   $label: $((SECONDS - t0))s, exit $rc" >&3; fi
	return $rc
}

# ci_failures DIR: the logs of the tests under DIR that did not pass.
ci_failures() {
	find "$1" -name '*.trs' -print0 2>/dev/null | xargs -0 -r grep -l -E ':test-result: (FAIL|ERROR|XPASS)' |
		while read -r trs; do echo "--- ${trs%.trs}.log"; tail -n 60 "${trs%.trs}.log"; done
}
