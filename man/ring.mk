## man/man3: the SPSC ring (llt/ring.h); one page per family, the other
## names are .so stubs.
dist_man3_MANS += \
	man/man3/llt_ring_capacity.3 \
	man/man3/llt_ring_commit.3 \
	man/man3/llt_ring_create.3 \
	man/man3/llt_ring_destroy.3 \
	man/man3/llt_ring_elem_size.3 \
	man/man3/llt_ring_empty.3 \
	man/man3/llt_ring_free.3 \
	man/man3/llt_ring_full.3 \
	man/man3/llt_ring_init.3 \
	man/man3/llt_ring_memsize.3 \
	man/man3/llt_ring_peek.3 \
	man/man3/llt_ring_pop.3 \
	man/man3/llt_ring_pop_bulk.3 \
	man/man3/llt_ring_pop_u64.3 \
	man/man3/llt_ring_push.3 \
	man/man3/llt_ring_push_bulk.3 \
	man/man3/llt_ring_push_u64.3 \
	man/man3/llt_ring_release.3 \
	man/man3/llt_ring_reserve.3 \
	man/man3/llt_ring_size.3 \
	man/man3/llt_ring_stride.3
