/* bench_arena: llt/arena against glibc obstack, talloc pools and APR
 * pools: 1000 allocations of 64 bytes, then free everything; ns per
 * allocation (amortised, reset included).  Peers found absent by
 * configure are skipped with a note. */
#include <llt/arena.h>

#include "bench_mem.h"

#if defined(__has_include)
#  if __has_include(<obstack.h>)
#    include <obstack.h>
#    define HAVE_OBSTACK 1
#    define obstack_chunk_alloc malloc
#    define obstack_chunk_free free
#  endif
#endif
#ifdef HAVE_BENCH_TALLOC
#  include <talloc.h>
#endif
#ifdef HAVE_BENCH_APR
#  include <apr_pools.h>
#endif

#define NALLOC 1000
#define ROUNDS 200
#define SZ 64

#define RUN(label, SETUP, ALLOC, FREEALL, TEARDOWN)                             \
	do {                                                                    \
		double v[BM_REPS];                                              \
		SETUP;                                                          \
		for (int r = 0; r < BM_REPS; r++) {                             \
			uint64_t t0 = llt_clock_start();                        \
			for (int k = 0; k < ROUNDS; k++) {                      \
				for (int i = 0; i < NALLOC; i++) {              \
					char *p = ALLOC;                        \
					p[0] = (char)i;                         \
					BM_ESCAPE(p);                           \
				}                                               \
				FREEALL;                                        \
			}                                                       \
			v[r] = bm_ns(t0, llt_clock_end()) / (ROUNDS * NALLOC);  \
		}                                                               \
		TEARDOWN;                                                       \
		res = bm_summarise(v + 1, BM_KEEP);                             \
		bm_row(label, "1000 x 64 B, free all", res);                    \
	} while (0)

int main(void)
{
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	bm_pin(0);
	struct bm_result res, mine;
	bm_header("arena: ns per allocation (amortised, including the free-all)");

	struct llt_arena *a = NULL;
	struct llt_arena_opts o = { .block_size = 128 << 10, .flags = LLT_ARENA_PREFAULT };
	RUN("llt_arena", llt_arena_create(&a, &o), llt_arena_alloc(a, SZ),
	    llt_arena_reset(a, 0), llt_arena_free(a));
	mine = res;

#ifdef HAVE_BENCH_APR
	apr_pool_t *ap = NULL;
	RUN("APR pool", (apr_initialize(), apr_pool_create(&ap, NULL)), apr_palloc(ap, SZ),
	    apr_pool_clear(ap), (apr_pool_destroy(ap), apr_terminate()));
	printf("  ratio llt_arena/APR %.2f (goal <= 0.5: %s)\n", mine.med / res.med,
	       mine.med / res.med <= 0.5 ? "met" : "not met");
#else
	printf("  APR pools: skipped (configure did not find apr-1)\n");
#endif
#ifdef HAVE_OBSTACK
	struct obstack ob;
	char *base = NULL;
	RUN("glibc obstack", (obstack_init(&ob), base = obstack_alloc(&ob, 1)), obstack_alloc(&ob, SZ),
	    (obstack_free(&ob, base), base = obstack_alloc(&ob, 1)), obstack_free(&ob, NULL));
	printf("  ratio llt_arena/obstack %.2f\n", mine.med / res.med);
#else
	printf("  obstack: skipped (<obstack.h> absent)\n");
#endif
#ifdef HAVE_BENCH_TALLOC
	void *tp = NULL;
	RUN("talloc_pool", tp = talloc_pool(NULL, NALLOC * (SZ + 256)), talloc_size(tp, SZ),
	    talloc_free_children(tp), talloc_free(tp));
	printf("  ratio llt_arena/talloc_pool %.2f\n", mine.med / res.med);
#else
	printf("  talloc: skipped (configure did not find talloc)\n");
#endif
	return 0;
}
