## man/: llt/prof pages (family pages; the other names are .so stubs).
dist_man3_MANS += \
	man/man3/llt_prof_backtraces_enabled.3 \
	man/man3/llt_prof_create.3 \
	man/man3/llt_prof_end.3 \
	man/man3/llt_prof_end_tag.3 \
	man/man3/llt_prof_free.3 \
	man/man3/llt_prof_probe_create.3 \
	man/man3/llt_prof_probe_exemplars.3 \
	man/man3/llt_prof_probe_hist.3 \
	man/man3/llt_prof_probe_info.3 \
	man/man3/llt_prof_probe_stacks.3 \
	man/man3/llt_prof_record.3 \
	man/man3/llt_prof_report.3 \
	man/man3/llt_prof_reset.3 \
	man/man3/llt_prof_snapshot.3 \
	man/man3/llt_prof_start.3 \
	man/man3/llt_prof_svg_percentiles.3 \
	man/man3/llt_prof_symbol.3 \
	man/man3/llt_prof_write_heatmap.3 \
	man/man3/llt_prof_write_svg.3 \
	$(NULL)
