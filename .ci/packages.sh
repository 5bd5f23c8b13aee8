#!/bin/bash
# .ci/packages.sh: build, lint, install and smoke-test libllt's packages.
#
# Run as root on Debian 12, from anywhere:  bash .ci/packages.sh
# Stages (each timed; any failure exits non-zero):
#   apt        install the packaging tools and build dependencies
#   deb        dpkg-buildpackage -us -uc -b in a copy of the tree
#              (DPKG_GENSYMBOLS_CHECK_LEVEL=4: any symbol change fails)
#   lintian    on the .changes; errors fail, warnings are printed
#   deb-smoke  install the three .debs; pkg-config, a program built
#              against them, llt-clockcal, man pages; then purge them
#   dist       autogen, configure, make, make dist (another copy)
#   install    tests/check_install.sh on that build (DESTDIR install test)
#   rpm        rpmbuild -ba --nodeps with a temporary _topdir
#   rpmlint    on the spec and the rpms; errors fail, warnings are printed
# The source tree is never written to.  make check runs inside both the
# .deb and the .rpm build (dh_auto_test, %check).
set -euo pipefail

# Every package this script installs (and nothing else):
APT_PACKAGES=(
	build-essential autoconf automake libtool pkg-config xz-utils
	check libunwind-dev mandoc man-db
	dpkg-dev debhelper fakeroot lintian
	rpm
)
OPTIONAL_APT_PACKAGES=(rpmlint)

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/llt-packages.XXXXXX")
DEBS_INSTALLED=0
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

cleanup() {
	rc=$?
	if [ "$DEBS_INSTALLED" = 1 ]; then
		apt-get purge -y -qq libllt1 libllt-dev llt-tools >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

declare -a TIMES=()
stage_start=0
stage_name=
begin() { stage_name=$1; stage_start=$(date +%s.%N); echo; echo "=== [$stage_name] $2"; }
end() {
	local t
	t=$(awk -v a="$stage_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	TIMES+=("$(printf '%-10s %7ss' "$stage_name" "$t")")
	echo "=== [$stage_name] done in ${t}s"
}
die() { echo "=== [$stage_name] FAILED: $*" >&2; exit 1; }
# run LOG CMD...: run quietly into LOG; on failure show its end and fail.
run() {
	local log=$1; shift
	if ! "$@" >"$log" 2>&1; then
		tail -n 60 "$log" >&2
		die "$* (log: $log)"
	fi
}
# copy_tree DEST: the tracked and untracked-but-not-ignored files of the
# source tree, without configured build directories.
copy_tree() {
	local dest=$1
	mkdir -p "$dest"
	if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		local skip=() d
		for d in "$srcdir"/*/config.status; do
			[ -e "$d" ] && skip+=("$(basename "$(dirname "$d")")")
		done
		git -C "$srcdir" ls-files -z -c -o --exclude-standard |
			{ if [ ${#skip[@]} -gt 0 ]; then
				grep -zEv "^($(IFS='|'; echo "${skip[*]}"))/"
			  else cat; fi; } |
			tar -C "$srcdir" --null --ignore-failed-read -T - -cf - 2>/dev/null |
			tar -C "$dest" -xf -
	else
		cp -a "$srcdir/." "$dest/"
	fi
	[ -f "$dest/configure.ac" ] || die "copying the tree to $dest failed"
}

version=$(sed -n 's/^m4_define(\[llt_\(major\|minor\|patch\)\], \[\([0-9]*\)\]).*/\2/p' "$srcdir/configure.ac" | paste -sd.)
echo "libllt $version: packaging checks in $work"

# ----------------------------------------------------------------- apt
begin apt "apt-get install"
run "$work/apt-update.log" apt-get update -qq
pkgs=("${APT_PACKAGES[@]}")
for p in "${OPTIONAL_APT_PACKAGES[@]}"; do
	if apt-cache show "$p" >/dev/null 2>&1; then pkgs+=("$p")
	else echo "note: $p is not available from apt; its stage is skipped"; fi
done
echo "installing: ${pkgs[*]}"
run "$work/apt-install.log" apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
end

# ----------------------------------------------------------------- deb
begin deb "dpkg-buildpackage -us -uc -b"
copy_tree "$work/deb/libllt"
(
	cd "$work/deb/libllt"
	DPKG_GENSYMBOLS_CHECK_LEVEL=4 dpkg-buildpackage -us -uc -b
) >"$work/deb/build.log" 2>&1 || { tail -n 80 "$work/deb/build.log" >&2; die "dpkg-buildpackage"; }
grep -E '^(# (TOTAL|PASS|SKIP|FAIL|XFAIL|XPASS|ERROR):)' "$work/deb/build.log" | paste -sd' ' | sed 's/^/make check: /'
changes=$(ls "$work"/deb/libllt_*.changes)
debs=()
for p in libllt1 libllt-dev llt-tools; do
	f=$(ls "$work"/deb/"${p}"_*.deb 2>/dev/null) || die "no $p .deb"
	debs+=("$f")
	echo "built $(basename "$f")"
done
end

# ----------------------------------------------------------------- lintian
begin lintian "lintian on $(basename "$changes")"
set +e
lintian --pedantic --display-info --fail-on error "$changes" 2>&1 |
	grep -v '^running with root privileges is not recommended' | tee "$work/deb/lintian.txt"
lrc=${PIPESTATUS[0]}
set -e
echo "lintian: $(grep -c '^E:' "$work/deb/lintian.txt" || true) errors, $(grep -c '^W:' "$work/deb/lintian.txt" || true) warnings"
[ "$lrc" = 0 ] || die "lintian reported errors (exit $lrc)"
end

# ----------------------------------------------------------------- deb-smoke
begin deb-smoke "install the .debs and try them"
DEBS_INSTALLED=1
run "$work/deb/apt-debs.log" apt-get install -y -qq --no-install-recommends "${debs[@]}"
libs=$(pkg-config --libs libllt) || die "pkg-config --libs libllt"
echo "pkg-config --libs libllt: $libs"
[ "$(pkg-config --modversion libllt)" = "$version" ] || die "pkg-config --modversion is not $version"
cat >"$work/deb/smoke.c" <<'PROG'
#include <llt/llt.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	uint64_t t0 = llt_clock_now(), t1 = llt_clock_now();
	printf("libllt %s, two reads %llu ns apart\n", llt_version(),
	       (unsigned long long)llt_clock_to_ns(t1 - t0));
	return strcmp(llt_version(), LLT_VERSION_STRING) != 0 || t1 < t0;
}
PROG
# shellcheck disable=SC2046 # pkg-config's output is a word list
cc -Wall -Wextra -Werror -o "$work/deb/smoke" "$work/deb/smoke.c" $(pkg-config --cflags --libs libllt) ||
	die "a program using the installed libllt-dev did not build"
"$work/deb/smoke" || die "the program failed against the installed libllt1"
ldd "$work/deb/smoke" | grep -Eq "libllt\.so\.1 => /(usr/)?lib/" || die "not linked against the packaged libllt.so.1"
llt-clockcal --version || die "llt-clockcal --version"
if grep -qs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
	echo "note: dpkg excludes /usr/share/man on this machine; manual page checks skipped"
else
	mapfile -t pages < <(dpkg -L libllt-dev llt-tools | grep -E '^/usr/share/man/man[0-9]/.' || true)
	echo "packaged manual pages: ${#pages[@]}"
	for page in "${pages[@]}"; do
		[ -e "$page" ] || die "packaged page $page is missing or dangling"
		[ -L "$page" ] && continue   # dh_installman's .so links
		if ! LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
			man --warnings -E UTF-8 -l -Tutf8 -Z "$page" >/dev/null 2>"$work/deb/man.err" ||
			[ -s "$work/deb/man.err" ]; then
			cat "$work/deb/man.err" >&2
			die "man --warnings $page"
		fi
	done
	# The source tree decides what must be there: once man/ has the page,
	# `man llt_clock_now` has to find it in the installed packages.
	if [ -n "$(find "$srcdir/man" -name 'llt_clock_now.3*' 2>/dev/null)" ]; then
		man -w llt_clock_now || die "man llt_clock_now: no page"
		MANPAGER=cat MANWIDTH=80 man llt_clock_now 2>&1 | head -n 5
	else
		echo "note: man/ has no llt_clock_now page yet; 'man llt_clock_now' not required"
	fi
fi
run "$work/deb/apt-purge.log" apt-get purge -y -qq libllt1 libllt-dev llt-tools
DEBS_INSTALLED=0
left=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' libllt1 libllt-dev llt-tools 2>/dev/null | grep -v '^un ' || true)
[ -z "$left" ] || die "still installed after purge: $left"
echo "purged libllt1 libllt-dev llt-tools"
end

# ----------------------------------------------------------------- dist
begin dist "autogen, configure, make, make dist"
copy_tree "$work/dist/libllt"
run "$work/dist/autogen.log" "$work/dist/libllt/autogen.sh"
mkdir -p "$work/dist/libllt/_build"
cd "$work/dist/libllt/_build"
run "$work/dist/configure.log" ../configure
run "$work/dist/make.log" make -j"$(nproc)"
run "$work/dist/dist.log" make dist
tarball=$PWD/libllt-$version.tar.xz
[ -f "$tarball" ] || die "make dist made no libllt-$version.tar.xz"
contents=$(tar -tJf "$tarball")
grep -qx "libllt-$version/rpm/libllt.spec" <<<"$contents" || die "the tarball lacks rpm/libllt.spec"
grep -qx "libllt-$version/debian/control" <<<"$contents" || die "the tarball lacks debian/"
echo "$(basename "$tarball"): $(du -k "$tarball" | cut -f1) KiB"
end

# ----------------------------------------------------------------- install
begin install "tests/check_install.sh (DESTDIR install test)"
bash "$srcdir/tests/check_install.sh" . || die "tests/check_install.sh"
end

# ----------------------------------------------------------------- rpm
begin rpm "rpmbuild -ba --nodeps"
# --nodeps: the BuildRequires are satisfied by Debian packages, which rpm's
# database does not know (see rpm/README).
top=$work/rpmbuild
mkdir -p "$top"
# Debian's rpm 4.18 runs brp-compress (#!/bin/sh, i.e. dash) although it
# uses bash's `read -d`, so man pages would stay uncompressed: run it with
# bash.  The spec itself stays distribution-neutral.
run "$top/build.log" rpmbuild -ba --nodeps \
	--define "_topdir $top" --define "_sourcedir $(dirname "$tarball")" \
	--define '__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}' \
	rpm/libllt.spec
grep -E '^(# (TOTAL|PASS|SKIP|FAIL|XFAIL|XPASS|ERROR):)' "$top/build.log" | paste -sd' ' | sed 's/^/%check: /'
mapfile -t rpms < <(find "$top/RPMS" "$top/SRPMS" -name '*.rpm' | sort)
for p in libllt libllt-devel llt-tools; do
	[[ " ${rpms[*]} " == *"/$p-$version-"* ]] || die "no $p rpm"
done
for f in "${rpms[@]}"; do echo "built $(basename "$f")"; rpm -qlp "$f" | sed 's/^/    /'; done
end

# ----------------------------------------------------------------- rpmlint
if command -v rpmlint >/dev/null 2>&1; then
	begin rpmlint "rpmlint on the spec and the rpms"
	set +e
	rpmlint -c ../rpm/rpmlint.toml rpm/libllt.spec "${rpms[@]}" 2>&1 | tee "$top/rpmlint.txt"
	rrc=${PIPESTATUS[0]}
	set -e
	[ "$rrc" = 0 ] || die "rpmlint reported errors (exit $rrc)"
	end
else
	echo "=== [rpmlint] skipped: rpmlint is not installable here"
fi

echo
echo "=== stage timings"
printf '  %s\n' "${TIMES[@]}"
echo "=== packaging checks passed"
