## man/: llt/park.  One family page; the other names are .so stubs.
dist_man3_MANS += \
	man/man3/llt_park_init.3 \
	man/man3/llt_park_destroy.3 \
	man/man3/llt_park_prepare_wait.3 \
	man/man3/llt_park_cancel_wait.3 \
	man/man3/llt_park_commit_wait.3 \
	man/man3/llt_park_commit_wait_until.3 \
	man/man3/llt_park_notify_one.3 \
	man/man3/llt_park_notify_all.3 \
	man/man3/llt_park_stats.3
