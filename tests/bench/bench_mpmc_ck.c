/* bench_mpmc: ck_ring's MPMC functions, compiled as C (ck_ring.h is not
 * valid C++), for tests/bench/bench_mpmc.cc. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#if __has_include(<ck_ring.h>)
#include <ck_ring.h>

struct bench_ck {
	ck_ring_t ring;
	ck_ring_buffer_t *buf;
};

/* ck_ring holds size - 1 elements: give it twice the capacity. */
struct bench_ck *bench_ck_create(unsigned cap)
{
	struct bench_ck *q = aligned_alloc(128, 128 * ((sizeof(*q) + 127) / 128));
	if (!q)
		return NULL;
	q->buf = aligned_alloc(128, (size_t)cap * 2 * sizeof(ck_ring_buffer_t));
	if (!q->buf) {
		free(q);
		return NULL;
	}
	ck_ring_init(&q->ring, cap * 2);
	return q;
}

void bench_ck_free(struct bench_ck *q)
{
	if (q)
		free(q->buf);
	free(q);
}

bool bench_ck_push(struct bench_ck *q, uint64_t v)
{
	return ck_ring_enqueue_mpmc(&q->ring, q->buf, (void *)(uintptr_t)v);
}

bool bench_ck_pop(struct bench_ck *q, uint64_t *v)
{
	void *p;
	if (!ck_ring_dequeue_mpmc(&q->ring, q->buf, &p))
		return false;
	*v = (uint64_t)(uintptr_t)p;
	return true;
}
#endif
