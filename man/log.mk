## man/: llt/log, llt-logcat(1) (listed in tools/logcat.mk) and the
## format, llt-log(5).
dist_man3_MANS += \
	man/man3/LLT_LOG.3 \
	man/man3/LLT_LOG_RATE.3 \
	man/man3/llt_log_close.3 \
	man/man3/llt_log_config_init.3 \
	man/man3/llt_log_crash_handler.3 \
	man/man3/llt_log_flush.3 \
	man/man3/llt_log_preallocate.3 \
	man/man3/llt_log_level.3 \
	man/man3/llt_log_level_name.3 \
	man/man3/llt_log_open.3 \
	man/man3/llt_log_set_level.3 \
	man/man3/llt_log_stats.3 \
	$(NULL)
dist_man5_MANS += man/man5/llt-log.5
