/* Inline bodies for llt/cpu.h.  Do not include directly. */
#ifndef LLT_CPU_H_INSIDE
#  error "include <llt/cpu.h>, not <llt/bits/cpu_impl.h>"
#endif
#ifndef LLT_BITS_CPU_IMPL_H
#define LLT_BITS_CPU_IMPL_H

/* One spin-wait hint.  On x86 `pause` yields the pipeline to the SMT
 * sibling and avoids the memory-order mis-speculation flush when the
 * awaited line changes; its cost varies from ~10 cycles (before Skylake)
 * to ~140 (Skylake and later Intel), so spin budgets belong in time, not
 * iteration counts.  On aarch64 `yield` is the architectural hint
 * (Linux's cpu_relax() is also `yield` there). */
LLT_INLINE void llt_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause" ::: "memory");
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#elif defined(__powerpc64__)
	__asm__ __volatile__("or 27,27,27" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif /* LLT_BITS_CPU_IMPL_H */
