/* llt/common.h: macros every libllt header uses. */
#ifndef LLT_COMMON_H
#define LLT_COMMON_H

#include <llt/config.h>

#ifdef __cplusplus
#  define LLT_BEGIN_DECLS extern "C" {
#  define LLT_END_DECLS }
#else
#  define LLT_BEGIN_DECLS
#  define LLT_END_DECLS
#endif

/* The library is built with -fvisibility=hidden; what it exports is marked
 * here, so a reader of the header sees the ABI (libuv's UV_EXTERN). */
#if defined(__GNUC__) && !defined(LLT_STATIC)
#  define LLT_API __attribute__((visibility("default")))
#else
#  define LLT_API
#endif

/* Hot-path bodies are installed in llt/bits/ and compiled into the caller.
 * Defining LLT_INLINE before the first include gives them another linkage,
 * e.g. empty to build an out-of-line copy for a foreign-function interface
 * (liburing's IOURINGINLINE does the same for liburing-ffi). */
#ifndef LLT_INLINE
#  if defined(__GNUC__)
#    define LLT_INLINE static inline __attribute__((always_inline))
#  else
#    define LLT_INLINE static inline
#  endif
#endif

#if defined(__GNUC__)
#  define LLT_LIKELY(x) __builtin_expect(!!(x), 1)
#  define LLT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define LLT_COLD __attribute__((cold, noinline))
#  define LLT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#  define LLT_WARN_UNUSED __attribute__((warn_unused_result))
#else
#  define LLT_LIKELY(x) (x)
#  define LLT_UNLIKELY(x) (x)
#  define LLT_COLD
#  define LLT_PRINTF(f, a)
#  define LLT_WARN_UNUSED
#endif

/* Align a member or object to the destructive-interference size, so that
 * what one thread writes never shares a prefetch pair with another's. */
#ifdef __cplusplus
#  define LLT_PADDED alignas(LLT_PAD_SIZE)
#else
#  define LLT_PADDED _Alignas(LLT_PAD_SIZE)
#endif

/* Hot-path preconditions: checked in --enable-debug builds only. */
#if defined(LLT_DEBUG) && LLT_DEBUG
#  include <assert.h>
#  define LLT_ASSERT(x) assert(x)
#else
#  define LLT_ASSERT(x) ((void)0)
#endif

#endif /* LLT_COMMON_H */
