## debian/ and rpm/: distribution packaging, shipped in the tarball.
##
## rpm/libllt.spec.in is distributed automatically (it is an AC_CONFIG_FILES
## input); listing it again would copy it twice into distdir.  The spec that
## configure generates from it is distributed too, so `rpmbuild -ta` works on
## the tarball alone.  EXTRA_DIST takes it from the build tree (distdir looks
## there before $(srcdir)), and configure regenerates it in every build.
EXTRA_DIST += \
	debian/changelog \
	debian/control \
	debian/copyright \
	debian/libllt-dev.install \
	debian/libllt1.install \
	debian/libllt1.symbols \
	debian/llt-tools.install \
	debian/not-installed \
	debian/README.source \
	debian/rules \
	debian/source/format \
	rpm/README \
	rpm/rpmlint.toml \
	rpm/libllt.spec

## The install test: a DESTDIR install from this build tree, a program built
## with pkg-config's flags only, and man-db's lint of every installed page.
## It installs into its own temporary DESTDIR, so it works in distcheck too
## (which runs installcheck with DESTDIR unset and a temporary prefix).
EXTRA_DIST += tests/check_install.sh

installcheck-local:
	$(AM_V_at)MAKE='$(MAKE)' CC='$(CC)' CFLAGS='$(CFLAGS)' \
	  $(SHELL) $(srcdir)/tests/check_install.sh .
