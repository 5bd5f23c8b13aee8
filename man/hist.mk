## man/: llt/hist pages (family pages; the other names are .so stubs).
dist_man3_MANS += \
	man/man3/llt_hist_add.3 \
	man/man3/llt_hist_add_corrected.3 \
	man/man3/llt_hist_copy_corrected.3 \
	man/man3/llt_hist_count.3 \
	man/man3/llt_hist_count_at_value.3 \
	man/man3/llt_hist_create.3 \
	man/man3/llt_hist_decode.3 \
	man/man3/llt_hist_destroy.3 \
	man/man3/llt_hist_encode.3 \
	man/man3/llt_hist_free.3 \
	man/man3/llt_hist_highest_equivalent.3 \
	man/man3/llt_hist_init.3 \
	man/man3/llt_hist_iter_init.3 \
	man/man3/llt_hist_iter_next.3 \
	man/man3/llt_hist_load.3 \
	man/man3/llt_hist_lowest_equivalent.3 \
	man/man3/llt_hist_max.3 \
	man/man3/llt_hist_mean.3 \
	man/man3/llt_hist_memsize.3 \
	man/man3/llt_hist_min.3 \
	man/man3/llt_hist_overflow.3 \
	man/man3/llt_hist_percentile_at_value.3 \
	man/man3/llt_hist_record.3 \
	man/man3/llt_hist_record_corrected.3 \
	man/man3/llt_hist_record_n.3 \
	man/man3/llt_hist_recorder_destroy.3 \
	man/man3/llt_hist_recorder_init.3 \
	man/man3/llt_hist_recorder_record.3 \
	man/man3/llt_hist_recorder_record_corrected.3 \
	man/man3/llt_hist_recorder_record_n.3 \
	man/man3/llt_hist_recorder_snapshot.3 \
	man/man3/llt_hist_recorder_snapshot_add.3 \
	man/man3/llt_hist_reset.3 \
	man/man3/llt_hist_save.3 \
	man/man3/llt_hist_stddev.3 \
	man/man3/llt_hist_value_at_percentile.3 \
	man/man3/llt_hist_write_hgrm.3
dist_man5_MANS += man/man5/llt-hist.5
