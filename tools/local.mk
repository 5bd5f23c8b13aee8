## tools/: programs built on the library.
bin_PROGRAMS += tools/llt-clockcal
tools_llt_clockcal_SOURCES = tools/llt-clockcal.c
tools_llt_clockcal_LDADD = lib/libllt.la -lm
dist_man1_MANS += man/man1/llt-clockcal.1
