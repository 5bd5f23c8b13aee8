/* Shared between bench_ring.c (libllt, the slot-polling reference, ck) and
 * bench_ring_peers.cc (the C++ peers): one implementation under test. */
#ifndef BENCH_RING_H
#define BENCH_RING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bench_impl {
	const char *name;
	const char *note;         /* why it is absent, or NULL */
	int bulk;                 /* items per bulk call; 0 for single-item */
	void *(*create)(size_t capacity);
	void (*destroy)(void *q);
	/* Push 1..n in order, spinning while full. */
	void (*produce)(void *q, uint64_t n);
	/* Pop n items, spinning while empty; sum them, count order breaks. */
	void (*consume)(void *q, uint64_t n, uint64_t *sum, uint64_t *disorder);
	/* Round trips: ping pushes i into a and waits for it on b (times each
	 * in ticks into lat[]); echo pops from a and pushes into b. */
	void (*ping)(void *a, void *b, uint64_t n, uint64_t *lat);
	void (*echo)(void *a, void *b, uint64_t n);
};

/* The C++ peers; name == NULL ends the list. */
extern const struct bench_impl bench_cxx_impls[];

/* Timer used by every ping loop: llt_clock_start/end (ordered). */
uint64_t bench_tick_start(void);
uint64_t bench_tick_end(void);

#ifdef __cplusplus
}
#endif

#endif
