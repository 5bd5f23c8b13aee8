/* llt/arena: blocks, growth, reset and rewind.  The bump fast path is
 * inline in <llt/bits/arena_impl.h>. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <llt/arena.h>

#define POISON(p, n) LLT_ARENA_IMPL_POISON(p, n)
#define UNPOISON(p, n) LLT_ARENA_IMPL_UNPOISON(p, n)

#define DEFAULT_BLOCK (64u << 10)
#define MIN_BLOCK 256u
#define MAX_BLOCK ((size_t)1 << 46)
#define MMAP_THRESHOLD (1u << 20)
#define HUGE_PAGE (2u << 20)

enum { K_CALLER, K_MALLOC, K_MMAP };

/* A block: this header, then usable memory from start to limit.  The
 * caller's block keeps its header in struct arena, so all of the caller's
 * memory is usable. */
struct ablock {
	struct ablock *next;    /* blocks after this one (later, or kept spares) */
	char *start;
	char *limit;
	char *fill;             /* position when the arena moved on to a later block */
	size_t map_size;        /* bytes allocated (header included) */
	int kind;
};

struct arena {
	struct llt_arena pub;   /* first: the inline functions' view */
	struct ablock *first;
	size_t block_size;
	unsigned flags;
	uint64_t slow_allocs;
	uint64_t failed;
	struct ablock caller;
	char *caller_mem;       /* the caller's memory as given (for ASan) */
	size_t caller_size;
};

static struct arena *A(struct llt_arena *a) { return (struct arena *)a; }

/* The end of a block: p rounded down to LLT_ARENA_ALIGN, which the inline
 * fast path relies on (a pointer rounded up to <= 16 never passes it). */
static char *align_end(char *p)
{
	return (char *)((uintptr_t)p & ~(uintptr_t)(LLT_ARENA_ALIGN - 1));
}

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (size_t)ps : 4096;
}

/* A block with at least `usable` bytes after its header.  NULL if the
 * sizes overflow or no memory. */
static struct ablock *block_new(struct arena *a, size_t usable)
{
	size_t hdr = (sizeof(struct ablock) + 63) & ~(size_t)63;
	if (usable > MAX_BLOCK || usable > SIZE_MAX - hdr - HUGE_PAGE)
		return NULL;
	/* A multiple of LLT_ARENA_ALIGN: the inline fast path relies on the
	 * end of every block being one (see arena_impl.h). */
	size_t size = (hdr + usable + (LLT_ARENA_ALIGN - 1)) & ~(size_t)(LLT_ARENA_ALIGN - 1);
	bool huge = (a->flags & LLT_ARENA_HUGEPAGES) != 0;
	bool use_map = huge || (a->flags & LLT_ARENA_PREFAULT) || size >= MMAP_THRESHOLD;
	char *m = NULL;
	int kind = K_MALLOC;
	if (use_map) {
		kind = K_MMAP;
		size = (size + page_size() - 1) & ~(page_size() - 1);
		void *r = MAP_FAILED;
#ifdef MAP_HUGETLB
		if (huge) {
			size_t hs = (size + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
			r = mmap(NULL, hs, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
			if (r != MAP_FAILED)
				size = hs;
		}
#endif
		if (r == MAP_FAILED) {
			r = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#ifdef MADV_HUGEPAGE
			if (r != MAP_FAILED && huge)
				madvise(r, size, MADV_HUGEPAGE);
#endif
		}
		if (r == MAP_FAILED)
			return NULL;
		m = r;
		if (a->flags & LLT_ARENA_PREFAULT)
			for (size_t off = 0; off < size; off += page_size())
				((volatile char *)m)[off] = 0;
	} else {
		m = malloc(size);
		if (!m)
			return NULL;
	}
	struct ablock *b = (struct ablock *)(void *)m;
	b->next = NULL;
	b->start = m + hdr;
	b->limit = align_end(m + size);
	b->fill = b->start;
	b->map_size = size;
	b->kind = kind;
	POISON(b->start, (size_t)(b->limit - b->start));
	return b;
}

static void block_release(struct ablock *b)
{
	UNPOISON(b->start, (size_t)(b->limit - b->start));
	if (b->kind == K_MMAP)
		munmap(b, b->map_size);
	else if (b->kind == K_MALLOC)
		free(b);
}

static void enter(struct arena *a, struct ablock *b, char *ptr)
{
	a->pub.impl_block = b;
	a->pub.impl_ptr = ptr;
	a->pub.impl_end = b->limit;
	a->pub.impl_last = NULL;
}

/* Room for size bytes aligned to align from the start of b? */
static bool fits(const struct ablock *b, size_t size, size_t align)
{
	uintptr_t cur = (uintptr_t)b->start, end = (uintptr_t)b->limit;
	uintptr_t pad = (0 - cur) & (align - 1);
	return pad <= end - cur && size <= end - cur - pad;
}

void *llt_arena_impl_alloc_slow(struct llt_arena *arena, size_t size, size_t align)
{
	struct arena *a = A(arena);
	if (align == 0 || (align & (align - 1)) != 0)
		goto fail;
	struct ablock *cur = arena->impl_block;
	/* A kept block after the current one is reused if it is big enough. */
	struct ablock *b = cur->next;
	if (!b || !fits(b, size, align)) {
		if (a->flags & LLT_ARENA_FIXED)
			goto fail;
		if (size > SIZE_MAX - align)
			goto fail;
		size_t need = size + align - 1;
		b = block_new(a, need > a->block_size ? need : a->block_size);
		if (!b)
			goto fail;
		b->next = cur->next;
		cur->next = b;
	}
	cur->fill = arena->impl_ptr;
	enter(a, b, b->start);
	a->slow_allocs++;
	{
		uintptr_t pad = (0 - (uintptr_t)b->start) & (align - 1);
		char *p = b->start + pad;
		arena->impl_ptr = p + size;
		arena->impl_last = p;
		UNPOISON(p, size);
		return p;
	}
fail:
	a->failed++;
	return NULL;
}

void *llt_arena_calloc(struct llt_arena *arena, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		A(arena)->failed++;
		return NULL;
	}
	void *p = llt_arena_alloc(arena, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

char *llt_arena_strndup(struct llt_arena *arena, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = llt_arena_alloc_aligned(arena, len + 1, 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

char *llt_arena_strdup(struct llt_arena *arena, const char *s)
{
	return llt_arena_strndup(arena, s, SIZE_MAX);
}

void *llt_arena_realloc_last(struct llt_arena *arena, void *ptr, size_t new_size)
{
	char *p = ptr;
	if (!p || p != arena->impl_last)
		return NULL;
	if (new_size > (size_t)(arena->impl_end - p))
		return NULL;
	char *old_end = arena->impl_ptr;
	arena->impl_ptr = p + new_size;
	if (arena->impl_ptr > old_end)
		UNPOISON(old_end, (size_t)(arena->impl_ptr - old_end));
	else
		POISON(arena->impl_ptr, (size_t)(old_end - arena->impl_ptr));
	return p;
}

void *llt_arena_realloc(struct llt_arena *arena, void *ptr, size_t old_size, size_t new_size)
{
	if (ptr) {
		void *q = llt_arena_realloc_last(arena, ptr, new_size);
		if (q)
			return q;
	}
	void *n = llt_arena_alloc(arena, new_size);
	if (n && ptr)
		memcpy(n, ptr, old_size < new_size ? old_size : new_size);
	return n;
}

/* Poison what follows (b, from) in the arena: the rest of b and all
 * later blocks. */
static void poison_after(struct ablock *b, char *from)
{
	POISON(from, (size_t)(b->limit - from));
	for (b = b->next; b; b = b->next) {
		POISON(b->start, (size_t)(b->limit - b->start));
		b->fill = b->start;
	}
}

void llt_arena_reset(struct llt_arena *arena, unsigned flags)
{
	struct arena *a = A(arena);
	if (flags & LLT_ARENA_TRIM) {
		struct ablock *b = a->first->next;
		while (b) {
			struct ablock *n = b->next;
			block_release(b);
			b = n;
		}
		a->first->next = NULL;
	}
	poison_after(a->first, a->first->start);
	a->first->fill = a->first->start;
	enter(a, a->first, a->first->start);
}

int llt_arena_rewind(struct llt_arena *arena, struct llt_arena_pos pos)
{
	struct arena *a = A(arena);
	struct ablock *b = pos.impl_block;
	/* The block must be one of ours, and the position inside it. */
	struct ablock *k = a->first;
	while (k && k != b)
		k = k->next;
	if (!k || pos.impl_ptr < b->start || pos.impl_ptr > b->limit)
		return -EINVAL;
	if (b == arena->impl_block && pos.impl_ptr > arena->impl_ptr)
		return -EINVAL;
	poison_after(b, pos.impl_ptr);
	enter(a, b, pos.impl_ptr);
	return 0;
}

int llt_arena_stats(const struct llt_arena *arena, struct llt_arena_stats *s)
{
	if (!arena || !s)
		return -EINVAL;
	const struct arena *a = (const struct arena *)arena;
	memset(s, 0, sizeof *s);
	bool before = true;
	for (const struct ablock *b = a->first; b; b = b->next) {
		s->blocks++;
		s->reserved += (size_t)(b->limit - b->start);
		if (b == arena->impl_block) {
			s->used += (size_t)(arena->impl_ptr - b->start);
			before = false;
		} else if (before) {
			s->used += (size_t)(b->fill - b->start);
		}
	}
	s->allocs = a->slow_allocs;
	s->failed = a->failed;
	return 0;
}

int llt_arena_create(struct llt_arena **out, const struct llt_arena_opts *o)
{
	if (!out || !o)
		return -EINVAL;
	const unsigned known = LLT_ARENA_FIXED | LLT_ARENA_PREFAULT | LLT_ARENA_HUGEPAGES;
	size_t bs = o->block_size ? o->block_size : DEFAULT_BLOCK;
	if ((o->flags & ~known) || bs < MIN_BLOCK || bs > MAX_BLOCK ||
	    (!o->initial) != (o->initial_size == 0) ||
	    (o->initial && o->initial_size > MAX_BLOCK) ||
	    (o->initial && (uintptr_t)o->initial > UINTPTR_MAX - o->initial_size))
		return -EINVAL;
	struct arena *a = calloc(1, sizeof *a);
	if (!a)
		return -ENOMEM;
	a->block_size = bs;
	a->flags = o->flags;
	if (o->initial) {
		a->caller.start = o->initial;
		a->caller.limit = align_end((char *)o->initial + o->initial_size);
		/* Fewer than 16 bytes with no multiple of 16 among them: an
		 * empty block at the multiple just below (never written: only
		 * a 0-byte allocation can return it). */
		if (a->caller.limit < a->caller.start)
			a->caller.start = a->caller.limit;
		a->caller.fill = a->caller.start;
		a->caller.kind = K_CALLER;
		a->caller_mem = o->initial;
		a->caller_size = o->initial_size;
		POISON(a->caller_mem, a->caller_size);
		a->first = &a->caller;
	} else {
		a->first = block_new(a, bs);
		if (!a->first) {
			free(a);
			return -ENOMEM;
		}
	}
	enter(a, a->first, a->first->start);
	*out = &a->pub;
	return 0;
}

void llt_arena_free(struct llt_arena *arena)
{
	if (!arena)
		return;
	struct arena *a = A(arena);
	struct ablock *b = a->first;
	while (b) {
		struct ablock *n = b->next;
		if (b->kind == K_CALLER)
			UNPOISON(a->caller_mem, a->caller_size);
		else
			block_release(b);
		b = n;
	}
	free(a);
}
