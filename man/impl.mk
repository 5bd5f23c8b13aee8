## man/: the private entry points of the inline functions (one page).
dist_man3_MANS += \
	man/man3/llt_impl.3 \
	man/man3/llt_arena_impl_alloc_slow.3 \
	man/man3/llt_chan_impl_recv_wait.3 \
	man/man3/llt_chan_impl_send_wait.3 \
	man/man3/llt_clock_impl_mult_slow.3 \
	man/man3/llt_clock_impl_read_slow.3 \
	man/man3/llt_hist_impl_backfill.3 \
	man/man3/llt_hist_impl_record_slow.3 \
	man/man3/llt_log_impl_attach.3 \
	man/man3/llt_log_impl_commit_long.3 \
	man/man3/llt_log_impl_full.3 \
	man/man3/llt_log_impl_rate_slow.3 \
	man/man3/llt_mpmc_impl_recv_wait.3 \
	man/man3/llt_mpmc_impl_send_wait.3 \
	man/man3/llt_objpool_impl_get_debug.3 \
	man/man3/llt_objpool_impl_get_slow.3 \
	man/man3/llt_objpool_impl_put_debug.3 \
	man/man3/llt_objpool_impl_put_slow.3 \
	man/man3/llt_park_impl_heavy_fence.3 \
	man/man3/llt_park_impl_wake.3 \
	man/man3/llt_prof_impl_slot_slow.3 \
	man/man3/llt_prof_impl_slow.3 \
	man/man3/llt_ring_impl_init_at.3 \
	$(NULL)
