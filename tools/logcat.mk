## tools/: llt-logcat, the decoder of llt/log's binary logs.  It compiles
## the reader (lib/logdec.c) in, since the library does not export it.
bin_PROGRAMS += tools/llt-logcat
tools_llt_logcat_SOURCES = tools/llt-logcat.c tools/logcat.h lib/logdec.c lib/logdec.h lib/logfmt.h lib/logsym.c lib/logsym.h
tools_llt_logcat_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib -I$(top_srcdir)/tools
tools_llt_logcat_LDADD = lib/libllt.la
dist_man1_MANS += man/man1/llt-logcat.1
