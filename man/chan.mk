## man/: llt/chan.
dist_man3_MANS += \
	man/man3/llt_chan_close.3 \
	man/man3/llt_chan_create.3 \
	man/man3/llt_chan_destroy.3 \
	man/man3/llt_chan_free.3 \
	man/man3/llt_chan_init.3 \
	man/man3/llt_chan_is_closed.3 \
	man/man3/llt_chan_memsize.3 \
	man/man3/llt_chan_recv.3 \
	man/man3/llt_chan_recv_bulk.3 \
	man/man3/llt_chan_recv_timed.3 \
	man/man3/llt_chan_send.3 \
	man/man3/llt_chan_send_bulk.3 \
	man/man3/llt_chan_send_timed.3 \
	man/man3/llt_chan_stats.3 \
	man/man3/llt_chan_try_recv.3 \
	man/man3/llt_chan_try_recv_bulk.3 \
	man/man3/llt_chan_try_send.3 \
	man/man3/llt_chan_try_send_bulk.3 \
	$(NULL)
