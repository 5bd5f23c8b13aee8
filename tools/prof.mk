## tools/: llt-demo, the README's demonstration (not installed): a producer
## and a consumer on two cores, an SPSC channel between them, the profiler
## measuring each hop.  `make demo` runs it.
noinst_PROGRAMS += tools/llt-demo
tools_llt_demo_SOURCES = tools/llt-demo.c
tools_llt_demo_LDADD = lib/libllt.la -lm
tools_llt_demo_LDFLAGS = $(AM_LDFLAGS) -rdynamic
CLEANFILES += llt-demo.svg llt-demo-heatmap.svg llt-demo.hgrm
.PHONY: demo
demo: tools/llt-demo$(EXEEXT)
	./tools/llt-demo$(EXEEXT)
