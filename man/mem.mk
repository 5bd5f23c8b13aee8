## man/mem.mk: pages of llt/objpool and llt/arena (family pages and .so stubs).
dist_man3_MANS += \
	man/man3/llt_arena_alloc.3 \
	man/man3/llt_arena_alloc_aligned.3 \
	man/man3/llt_arena_calloc.3 \
	man/man3/llt_arena_create.3 \
	man/man3/llt_arena_free.3 \
	man/man3/llt_arena_mark.3 \
	man/man3/llt_arena_realloc.3 \
	man/man3/llt_arena_realloc_last.3 \
	man/man3/llt_arena_reset.3 \
	man/man3/llt_arena_rewind.3 \
	man/man3/llt_arena_stats.3 \
	man/man3/llt_arena_strdup.3 \
	man/man3/llt_arena_strndup.3 \
	man/man3/llt_objpool_cache.3 \
	man/man3/llt_objpool_cache_get.3 \
	man/man3/llt_objpool_cache_put.3 \
	man/man3/llt_objpool_create.3 \
	man/man3/llt_objpool_flush.3 \
	man/man3/llt_objpool_free.3 \
	man/man3/llt_objpool_get.3 \
	man/man3/llt_objpool_last_error.3 \
	man/man3/llt_objpool_owns.3 \
	man/man3/llt_objpool_put.3 \
	man/man3/llt_objpool_stats.3
