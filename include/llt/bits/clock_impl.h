/* Inline bodies for llt/clock.h.  Do not include directly. */
#ifndef LLT_CLOCK_H_INSIDE
#  error "include <llt/clock.h>, not <llt/bits/clock_impl.h>"
#endif
#ifndef LLT_BITS_CLOCK_IMPL_H
#define LLT_BITS_CLOCK_IMPL_H

/* The chosen source is read relaxed: it is written once, before any
 * counter reading is handed out, and a stale 0 only sends the caller down
 * the slow path, which synchronises through pthread_once. */
LLT_INLINE uint32_t llt_clock_impl_source(void)
{
	return __atomic_load_n(&llt_clock_impl_g.source, __ATOMIC_RELAXED);
}

#if defined(LLT_HAVE_TSC)
LLT_INLINE uint64_t llt_clock_impl_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
#endif

/* Raw ticks, unordered: the CPU may execute the read a little before or
 * after its neighbours.  Cheapest read; right for timestamps and for
 * intervals much longer than the pipeline (~100 ns). */
LLT_INLINE uint64_t llt_clock_now(void)
{
#if defined(LLT_HAVE_TSC)
	if (LLT_LIKELY(llt_clock_impl_source() == LLT_CLOCK_SOURCE_TSC))
		return llt_clock_impl_rdtsc();
#elif defined(LLT_HAVE_CNTVCT)
	if (LLT_LIKELY(llt_clock_impl_source() == LLT_CLOCK_SOURCE_CNTVCT)) {
		uint64_t v;
		__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
		return v;
	}
#endif
	return llt_clock_impl_read_slow(0);
}

/* Start of a measured region: the read waits for every earlier
 * instruction to finish (lfence is dispatch-serialising on Intel and, with
 * the kernel's default MSR setting, on AMD; isb on aarch64). */
LLT_INLINE uint64_t llt_clock_start(void)
{
#if defined(LLT_HAVE_TSC)
	if (LLT_LIKELY(llt_clock_impl_source() == LLT_CLOCK_SOURCE_TSC)) {
		uint32_t lo, hi;
		__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) :: "memory");
		return ((uint64_t)hi << 32) | lo;
	}
#elif defined(LLT_HAVE_CNTVCT)
	if (LLT_LIKELY(llt_clock_impl_source() == LLT_CLOCK_SOURCE_CNTVCT)) {
		uint64_t v;
		__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v) :: "memory");
		return v;
	}
#endif
	return llt_clock_impl_read_slow(1);
}

/* End of a measured region: rdtscp waits for earlier instructions, and
 * the lfence after it keeps later ones from starting before the read. */
LLT_INLINE uint64_t llt_clock_end(void)
{
#if defined(LLT_HAVE_TSC)
	if (LLT_LIKELY(llt_clock_impl_source() == LLT_CLOCK_SOURCE_TSC)) {
		uint32_t lo, hi, aux;
		__asm__ __volatile__("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(aux) :: "memory");
		(void)aux;
		return ((uint64_t)hi << 32) | lo;
	}
#elif defined(LLT_HAVE_CNTVCT)
	if (LLT_LIKELY(llt_clock_impl_source() == LLT_CLOCK_SOURCE_CNTVCT)) {
		uint64_t v;
		__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0\n\tisb" : "=r"(v) :: "memory");
		return v;
	}
#endif
	return llt_clock_impl_read_slow(1);
}

/* (a * m) >> 32 without overflow for any 64-bit a and m. */
LLT_INLINE uint64_t llt_clock_impl_mulshift(uint64_t a, uint64_t m)
{
#if defined(__SIZEOF_INT128__)
	__extension__ typedef unsigned __int128 llt_u128;
	return (uint64_t)(((llt_u128)a * m) >> 32);
#else
	/* floor((A*2^64 + B*2^32 + C) / 2^32) = A*2^32 + B + floor(C / 2^32),
	 * taken mod 2^64 like the 128-bit form. */
	uint64_t alo = a & 0xffffffffu, ahi = a >> 32;
	uint64_t mlo = m & 0xffffffffu, mhi = m >> 32;
	return ((ahi * mhi) << 32) + ahi * mlo + alo * mhi + ((alo * mlo) >> 32);
#endif
}

/* Ticks to nanoseconds: one multiply and shift, no division.  The
 * acquire load pairs with the release store that publishes the rate, so a
 * thread that sees it also sees the rest of the clock's state. */
LLT_INLINE uint64_t llt_clock_to_ns(uint64_t ticks)
{
	uint64_t m = __atomic_load_n(&llt_clock_impl_g.mult, __ATOMIC_ACQUIRE);
	if (LLT_UNLIKELY(m == 0))
		m = llt_clock_impl_mult_slow(0);
	return llt_clock_impl_mulshift(ticks, m);
}

/* Nanoseconds to ticks, for deadlines and spin windows. */
LLT_INLINE uint64_t llt_clock_from_ns(uint64_t ns)
{
	uint64_t m = __atomic_load_n(&llt_clock_impl_g.inv_mult, __ATOMIC_ACQUIRE);
	if (LLT_UNLIKELY(m == 0))
		m = llt_clock_impl_mult_slow(1);
	return llt_clock_impl_mulshift(ns, m);
}

/* llt_clock_to_ns(llt_clock_now()). */
LLT_INLINE uint64_t llt_clock_now_ns(void)
{
	return llt_clock_to_ns(llt_clock_now());
}

#endif /* LLT_BITS_CLOCK_IMPL_H */
