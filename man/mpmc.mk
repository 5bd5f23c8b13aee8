## man/: llt/mpmc.
dist_man3_MANS += \
	man/man3/llt_mpmc_capacity.3 \
	man/man3/llt_mpmc_close.3 \
	man/man3/llt_mpmc_create.3 \
	man/man3/llt_mpmc_destroy.3 \
	man/man3/llt_mpmc_free.3 \
	man/man3/llt_mpmc_init.3 \
	man/man3/llt_mpmc_is_closed.3 \
	man/man3/llt_mpmc_memsize.3 \
	man/man3/llt_mpmc_recv.3 \
	man/man3/llt_mpmc_recv_bulk.3 \
	man/man3/llt_mpmc_recv_timed.3 \
	man/man3/llt_mpmc_recv_u64.3 \
	man/man3/llt_mpmc_send.3 \
	man/man3/llt_mpmc_send_bulk.3 \
	man/man3/llt_mpmc_send_timed.3 \
	man/man3/llt_mpmc_send_u64.3 \
	man/man3/llt_mpmc_stats.3 \
	man/man3/llt_mpmc_try_recv.3 \
	man/man3/llt_mpmc_try_recv_bulk.3 \
	man/man3/llt_mpmc_try_recv_u64.3 \
	man/man3/llt_mpmc_try_send.3 \
	man/man3/llt_mpmc_try_send_bulk.3 \
	man/man3/llt_mpmc_try_send_u64.3 \
	$(NULL)
