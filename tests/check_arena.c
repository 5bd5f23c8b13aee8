/* llt/arena: set-up checks, alignment, a randomised model, reset, mark and
 * rewind, realloc-last, huge requests, caller memory, AddressSanitizer. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <llt/arena.h>

#include "testutil.h"

static uint64_t rng_state = 0x2545f4914f6cdd1du;
static uint64_t rnd(void)
{
	return llt_test_rnd(&rng_state);
}

static unsigned char pat(uint64_t id, size_t k) { return (unsigned char)(id * 131 + k * 7 + 1); }

static struct llt_arena *mk(size_t bs, unsigned flags)
{
	struct llt_arena *a;
	struct llt_arena_opts o = { .block_size = bs, .flags = flags };
	ck_assert_int_eq(llt_arena_create(&a, &o), 0);
	return a;
}

START_TEST(bad_inputs)
{
	static char buf[1024];
	struct llt_arena *sentinel = (struct llt_arena *)&rng_state, *a = sentinel;
	struct llt_arena_opts ok = { 0 };
	ck_assert_int_eq(llt_arena_create(NULL, &ok), -EINVAL);
	ck_assert_int_eq(llt_arena_create(&a, NULL), -EINVAL);
	struct llt_arena_opts bad[] = {
		{ .block_size = 100 },
		{ .block_size = SIZE_MAX },
		{ .flags = 0x100 },
		{ .initial = buf },
		{ .initial_size = 1024 },
		{ .initial = (void *)(UINTPTR_MAX - 10), .initial_size = 1024 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(llt_arena_create(&a, &bad[i]), -EINVAL);
		ck_assert_ptr_eq(a, sentinel);
	}
	ck_assert_int_eq(llt_arena_stats(NULL, NULL), -EINVAL);
	llt_arena_free(NULL);
	/* A rewind to a position that is not the arena's changes nothing. */
	a = mk(0, 0);
	void *p = llt_arena_alloc(a, 10);
	struct llt_arena_pos pos = llt_arena_mark(a);
	struct llt_arena_pos bogus = { buf, buf };
	ck_assert_int_eq(llt_arena_rewind(a, bogus), -EINVAL);
	ck_assert_ptr_eq(llt_arena_mark(a).impl_ptr, pos.impl_ptr);
	ck_assert_ptr_nonnull(p);
	llt_arena_free(a);
}
END_TEST

START_TEST(alignment)
{
	struct llt_arena *a = mk(4096, 0);
	for (int round = 0; round < 3; round++) {
		for (size_t al = 1; al <= 4096; al *= 2) {
			for (int i = 0; i < 20; i++) {
				size_t sz = rnd() % 300;
				char *p = llt_arena_alloc_aligned(a, sz, al);
				ck_assert_ptr_nonnull(p);
				ck_assert_uint_eq((uintptr_t)p % al, 0);
				memset(p, 0x11, sz);
			}
		}
		char *q = llt_arena_alloc(a, 3);
		ck_assert_uint_eq((uintptr_t)q % LLT_ARENA_ALIGN, 0);
		/* Alignments beyond the block size get a block of their own. */
		char *big = llt_arena_alloc_aligned(a, 10, (size_t)1 << 16);
		ck_assert_ptr_nonnull(big);
		ck_assert_uint_eq((uintptr_t)big % ((size_t)1 << 16), 0);
		llt_arena_reset(a, round == 1 ? LLT_ARENA_TRIM : 0);
	}
	ck_assert_ptr_null(llt_arena_alloc_aligned(a, 8, 3));
	ck_assert_ptr_null(llt_arena_alloc_aligned(a, 8, 0));
	llt_arena_free(a);
}
END_TEST

/* Random allocations of random sizes and alignments, with marks and
 * rewinds; every live allocation keeps its pattern and none overlap. */
START_TEST(model)
{
	struct llt_arena *a = mk(_i ? 1024 : 65536, 0);
	enum { MAXL = 4096 };
	struct rec { unsigned char *p; size_t n; uint64_t id; } *live = calloc(MAXL, sizeof *live);
	struct { struct llt_arena_pos pos; size_t nlive; } marks[16];
	int nmarks = 0;
	size_t n = 0;
	uint64_t id = 1;
	long ops = (long)(30000 * llt_test_scale());
	for (long i = 0; i < ops; i++) {
		unsigned r = (unsigned)(rnd() % 100);
		if (r < 85 && n < MAXL) {
			size_t sz = (rnd() % 8 == 0) ? rnd() % 3000 : rnd() % 64;
			size_t al = (size_t)1 << (rnd() % 8);
			unsigned char *p = llt_arena_alloc_aligned(a, sz, al);
			ck_assert_ptr_nonnull(p);
			ck_assert_uint_eq((uintptr_t)p % al, 0);
			for (size_t k = 0; k < sz; k++)
				p[k] = pat(id, k);
			live[n++] = (struct rec){ p, sz, id++ };
		} else if (r < 92 && nmarks < 16) {
			marks[nmarks].pos = llt_arena_mark(a);
			marks[nmarks++].nlive = n;
		} else if (r < 98 && nmarks > 0) {
			nmarks--;
			ck_assert_int_eq(llt_arena_rewind(a, marks[nmarks].pos), 0);
			n = marks[nmarks].nlive;
		} else {
			for (size_t j = 0; j < n; j++)
				for (size_t k = 0; k < live[j].n; k++)
					ck_assert_uint_eq(live[j].p[k], pat(live[j].id, k));
			llt_arena_reset(a, (rnd() & 1) ? LLT_ARENA_TRIM : 0);
			n = 0;
			nmarks = 0;
		}
	}
	for (size_t j = 0; j < n; j++)
		for (size_t k = 0; k < live[j].n; k++)
			ck_assert_uint_eq(live[j].p[k], pat(live[j].id, k));
	free(live);
	llt_arena_free(a);
}
END_TEST

START_TEST(reset_keeps_or_trims)
{
	struct llt_arena *a = mk(1024, 0);
	char *first = llt_arena_alloc(a, 100);
	for (int i = 0; i < 50; i++)
		ck_assert_ptr_nonnull(llt_arena_alloc(a, 500));
	struct llt_arena_stats s;
	llt_arena_stats(a, &s);
	ck_assert_uint_gt(s.blocks, 10);
	size_t blocks = s.blocks;
	ck_assert_uint_ge(s.used, 100 + 50 * 500);
	llt_arena_reset(a, 0);
	llt_arena_stats(a, &s);
	ck_assert_uint_eq(s.blocks, blocks);
	ck_assert_uint_eq(s.used, 0);
	ck_assert_ptr_eq(llt_arena_alloc(a, 100), first);
	/* The kept blocks are reused: no new block for the same pattern. */
	for (int i = 0; i < 50; i++)
		ck_assert_ptr_nonnull(llt_arena_alloc(a, 500));
	llt_arena_stats(a, &s);
	ck_assert_uint_eq(s.blocks, blocks);
	llt_arena_reset(a, LLT_ARENA_TRIM);
	llt_arena_stats(a, &s);
	ck_assert_uint_eq(s.blocks, 1);
	ck_assert_uint_eq(s.used, 0);
	llt_arena_free(a);
}
END_TEST

START_TEST(mark_rewind)
{
	struct llt_arena *a = mk(1024, 0);
	llt_arena_alloc(a, 10);
	struct llt_arena_pos m = llt_arena_mark(a);
	char *x = llt_arena_alloc(a, 10);
	for (int i = 0; i < 20; i++)
		llt_arena_alloc(a, 700);
	struct llt_arena_pos m2 = llt_arena_mark(a);
	ck_assert_int_eq(llt_arena_rewind(a, m), 0);
	ck_assert_ptr_eq(llt_arena_alloc(a, 10), x);
	/* Forward to a position past the current one in the same block: no. */
	(void)m2;
	struct llt_arena_pos fwd = llt_arena_mark(a);
	fwd.impl_ptr += 100;
	ck_assert_int_eq(llt_arena_rewind(a, fwd), -EINVAL);
	llt_arena_free(a);
}
END_TEST

START_TEST(realloc_last)
{
	struct llt_arena *a = mk(1024, 0);
	char *p = llt_arena_alloc(a, 10);
	memcpy(p, "abcdefghi", 10);
	ck_assert_ptr_eq(llt_arena_realloc_last(a, p, 200), p);
	memset(p + 10, 'x', 190);
	ck_assert_ptr_eq(llt_arena_realloc_last(a, p, 50), p);  /* shrink */
	char *q = llt_arena_alloc(a, 8);
	ck_assert_ptr_eq(q, p + 64);                            /* 50 rounded to 16 */
	ck_assert_ptr_null(llt_arena_realloc_last(a, p, 60));   /* not the last any more */
	ck_assert_ptr_null(llt_arena_realloc_last(a, q, 5000)); /* no room in the block */
	ck_assert_ptr_eq(llt_arena_realloc_last(a, q, 16), q);
	char *r = llt_arena_realloc(a, p, 50, 3000);            /* moves, copies */
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_ne(r, p);
	ck_assert_str_eq(r, "abcdefghi");
	ck_assert_ptr_eq(llt_arena_realloc(a, r, 3000, 3010), r); /* last: in place */
	ck_assert_ptr_null(llt_arena_realloc_last(a, NULL, 1));
	llt_arena_free(a);
}
END_TEST

START_TEST(huge_requests)
{
	struct llt_arena *a = mk(0, 0);
	ck_assert_ptr_null(llt_arena_alloc(a, SIZE_MAX));
	ck_assert_ptr_null(llt_arena_alloc(a, SIZE_MAX / 2));
	ck_assert_ptr_null(llt_arena_alloc(a, SIZE_MAX - 4096));
	ck_assert_ptr_null(llt_arena_alloc_aligned(a, SIZE_MAX / 2, 4096));
	ck_assert_ptr_null(llt_arena_alloc_aligned(a, 16, (size_t)1 << 63));
	ck_assert_ptr_null(llt_arena_calloc(a, SIZE_MAX / 2, 4));
	ck_assert_ptr_null(llt_arena_calloc(a, (size_t)1 << 40, (size_t)1 << 40));
	char *p = llt_arena_alloc(a, 16);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(llt_arena_realloc_last(a, p, SIZE_MAX));
	struct llt_arena_stats s;
	llt_arena_stats(a, &s);
	ck_assert_uint_eq(s.failed, 7);
	llt_arena_free(a);
}
END_TEST

START_TEST(caller_memory)
{
	static _Alignas(64) char buf[4096];
	struct llt_arena *a;
	struct llt_arena_opts o = { .initial = buf, .initial_size = sizeof buf, .flags = LLT_ARENA_FIXED };
	ck_assert_int_eq(llt_arena_create(&a, &o), 0);
	char *p = llt_arena_alloc(a, 1000);
	ck_assert_ptr_eq(p, buf);
	ck_assert_ptr_nonnull(llt_arena_alloc(a, 3000));
	ck_assert_ptr_null(llt_arena_alloc(a, 200));            /* fixed: full */
	struct llt_arena_stats s;
	llt_arena_stats(a, &s);
	ck_assert_uint_eq(s.failed, 1);
	ck_assert_uint_eq(s.blocks, 1);
	llt_arena_reset(a, LLT_ARENA_TRIM);
	ck_assert_ptr_eq(llt_arena_alloc(a, 8), buf);
	llt_arena_free(a);

	o.flags = 0;
	o.block_size = 1024;
	ck_assert_int_eq(llt_arena_create(&a, &o), 0);
	ck_assert_ptr_eq(llt_arena_alloc(a, 4000), buf);
	char *q = llt_arena_alloc(a, 500);                      /* a new block */
	ck_assert_ptr_nonnull(q);
	ck_assert(q < buf || q >= buf + sizeof buf);
	llt_arena_free(a);

	/* Unaligned caller memory: usable from its start up to its last
	 * multiple of 16, never past its end, whatever the alignment asked
	 * (the inline path relies on the block end being such a multiple). */
	for (size_t off = 1; off < 16; off += 7) {
		for (size_t len = 1; len < 80; len += 3) {
			o.initial = buf + off;
			o.initial_size = len;
			o.flags = LLT_ARENA_FIXED;
			ck_assert_int_eq(llt_arena_create(&a, &o), 0);
			char *end = buf + off + len;
			for (size_t al = 1; al <= 32; al *= 2) {
				for (;;) {
					char *r = llt_arena_alloc_aligned(a, 1, al);
					if (!r)
						break;
					ck_assert(r >= buf + off && r + 1 <= end);
					ck_assert_uint_eq((uintptr_t)r % al, 0);
					*r = 1;
				}
				char *z = llt_arena_alloc_aligned(a, 0, al);  /* 0 bytes: never past the end */
				if (z)
					ck_assert(z <= end);
				llt_arena_reset(a, 0);
			}
			llt_arena_free(a);
		}
	}
	o.initial = NULL;
	o.initial_size = 0;

	/* Fixed without caller memory: one block of block_size. */
	a = mk(512, LLT_ARENA_FIXED | LLT_ARENA_PREFAULT);
	ck_assert_ptr_nonnull(llt_arena_alloc(a, 256));
	ck_assert_ptr_null(llt_arena_alloc(a, 4096));
	llt_arena_free(a);
	a = mk(1 << 21, LLT_ARENA_HUGEPAGES);
	ck_assert_ptr_nonnull(llt_arena_alloc(a, 1 << 20));
	llt_arena_free(a);
}
END_TEST

START_TEST(zeroed_and_strings)
{
	struct llt_arena *a = mk(1024, 0);
	char *p = llt_arena_alloc(a, 512);
	memset(p, 0xff, 512);
	llt_arena_reset(a, 0);
	unsigned char *z = llt_arena_calloc(a, 64, 8);
	ck_assert_ptr_eq((void *)z, p);
	for (int i = 0; i < 512; i++)
		ck_assert_uint_eq(z[i], 0);
	char *s = llt_arena_strdup(a, "hello, arena");
	ck_assert_str_eq(s, "hello, arena");
	ck_assert_str_eq(llt_arena_strndup(a, "abcdef", 3), "abc");
	ck_assert_str_eq(llt_arena_strdup(a, ""), "");
	llt_arena_free(a);
}
END_TEST

#ifdef LLT_TEST_ASAN
static void expect_death(int how)
{
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct llt_arena *a = mk(4096, 0);
		struct llt_arena_pos m = llt_arena_mark(a);
		volatile char *x = llt_arena_alloc(a, 64);
		x[0] = 1;
		if (how == 0)
			llt_arena_reset(a, 0);
		else
			llt_arena_rewind(a, m);
		x[8] = 1;                       /* ASan must stop us here */
		_exit(0);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(!(WIFEXITED(st) && WEXITSTATUS(st) == 0), "use after reset/rewind was not caught");
}

START_TEST(asan_use_after_reset)
{
	expect_death(0);
	expect_death(1);
}
END_TEST
#endif

int main(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bad_inputs);
	tcase_add_test(tc, alignment);
	tcase_add_loop_test(tc, model, 0, 2);
	tcase_add_test(tc, reset_keeps_or_trims);
	tcase_add_test(tc, mark_rewind);
	tcase_add_test(tc, realloc_last);
	tcase_add_test(tc, huge_requests);
	tcase_add_test(tc, caller_memory);
	tcase_add_test(tc, zeroed_and_strings);
#ifdef LLT_TEST_ASAN
	tcase_add_test(tc, asan_use_after_reset);
#endif
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
