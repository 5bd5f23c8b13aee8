/* Inline bodies for llt/log.h.  Do not include directly. */
#ifndef LLT_LOG_H_INSIDE
#  error "include <llt/log.h>, not <llt/bits/log_impl.h>"
#endif
#ifndef LLT_BITS_LOG_IMPL_H
#define LLT_BITS_LOG_IMPL_H

/* The calling thread's path (NanoLog's design, Yang et al., USENIX ATC
 * 2018: static format information per call site, raw arguments in a
 * per-thread staging buffer, formatting deferred; here the staging buffer
 * is the wait-free ring of <llt/ring.h>):
 *
 *   1. the level check: one relaxed load of the logger's level;
 *   2. the thread's producer: one thread-local compare (first call per
 *      thread and logger: llt_log_impl_attach(), which allocates the ring);
 *   3. a counter read (llt_clock_now) and a ring reserve of one element
 *      (LLT_LOG_IMPL_ELEM bytes: a record that fits takes one cache line);
 *   4. the header and the arguments stored in place, then one release
 *      store (llt_ring_commit) publishes it to the backend.
 * A record longer than one element is built in the producer's scratch
 * buffer and copied into several elements (llt_log_impl_commit_long). */

/* Relaxed: the level is a hint; a call racing with llt_log_set_level()
 * may use either value.  Pairs with nothing. */
LLT_INLINE int llt_log_level(const struct llt_log *lg)
{
	return __atomic_load_n(&((const struct llt_log_impl_pub *)(const void *)lg)->level,
			       __ATOMIC_RELAXED);
}

LLT_INLINE unsigned char *llt_log_impl_begin(struct llt_log *lg, const struct llt_log_site *site,
					     size_t n, struct llt_log_impl_prod **pp)
{
	struct llt_log_impl_prod *p = llt_log_impl_cur.prod;
	const struct llt_log_impl_pub *pub = (const struct llt_log_impl_pub *)(const void *)lg;
	struct llt_log_impl_hdr h;
	unsigned char *rec;
	void *slot;

	if (LLT_UNLIKELY(llt_log_impl_cur.log != lg || llt_log_impl_cur.gen != pub->gen)) {
		p = llt_log_impl_attach(lg);
		if (p == NULL)
			return NULL;
	}
	*pp = p;
	h.tsc = llt_clock_now();
	if (LLT_LIKELY(n <= LLT_LOG_IMPL_ELEM)) {
		if (LLT_LIKELY(llt_ring_reserve(p->ring, 1, &slot) == 1)) {
			rec = (unsigned char *)slot;
		} else {
			rec = llt_log_impl_full(p, n);
			if (rec == NULL)
				return NULL;
		}
	} else {
		rec = p->scratch;
	}
	h.site = site;
	h.seq = p->seq++;
	h.len = (uint16_t)n;
	h.reserved0 = 0;
	memcpy(rec, &h, sizeof h);
	return rec + sizeof h;
}

LLT_INLINE void llt_log_impl_end(struct llt_log_impl_prod *p, size_t n)
{
	if (LLT_LIKELY(n <= LLT_LOG_IMPL_ELEM)) {
		llt_ring_commit(p->ring, 1);
	} else {
		p->scratch_len = n;
		llt_log_impl_commit_long(p);
	}
}

LLT_INLINE int llt_log_impl_rate(struct llt_log_rate *r, uint64_t n, uint64_t interval_ns,
				 uint32_t *suppressed)
{
	return llt_log_impl_rate_slow(r, n, interval_ns, llt_clock_now(), suppressed);
}

/* Argument stores: each returns the position after what it wrote. */
LLT_INLINE unsigned char *llt_log_impl_put_i32(unsigned char *p, int32_t v, size_t sz)
{
	(void)sz;
	memcpy(p, &v, 4);
	return p + 4;
}
LLT_INLINE unsigned char *llt_log_impl_put_u32(unsigned char *p, uint32_t v, size_t sz)
{
	(void)sz;
	memcpy(p, &v, 4);
	return p + 4;
}
LLT_INLINE unsigned char *llt_log_impl_put_i64(unsigned char *p, int64_t v, size_t sz)
{
	(void)sz;
	memcpy(p, &v, 8);
	return p + 8;
}
LLT_INLINE unsigned char *llt_log_impl_put_u64(unsigned char *p, uint64_t v, size_t sz)
{
	(void)sz;
	memcpy(p, &v, 8);
	return p + 8;
}
LLT_INLINE unsigned char *llt_log_impl_put_f64(unsigned char *p, double v, size_t sz)
{
	(void)sz;
	memcpy(p, &v, 8);
	return p + 8;
}
LLT_INLINE unsigned char *llt_log_impl_put_f80(unsigned char *p, long double v, size_t sz)
{
	unsigned char b[16];
	(void)sz;
	memset(b, 0, sizeof b);
	memcpy(b, &v, sizeof v < 16 ? sizeof v : 16);
	memcpy(p, b, 16);
	return p + 16;
}
LLT_INLINE unsigned char *llt_log_impl_put_ptr(unsigned char *p, const volatile void *v, size_t sz)
{
	uint64_t u = (uint64_t)(uintptr_t)v;
	(void)sz;
	memcpy(p, &u, 8);
	return p + 8;
}
/* A string: 16-bit length (bit 15: cut at LLT_LOG_STR_MAX), then bytes. */
LLT_INLINE unsigned char *llt_log_impl_put_str(unsigned char *p, const void *v, size_t sz)
{
	const char *s = v ? (const char *)v : "(null)";
	uint16_t len = (uint16_t)(sz - 2);
	/* Hide the object's size from the compiler: s[LLT_LOG_STR_MAX] is
	 * read only when the string is at least that long. */
	__asm__("" : "+r"(s));
	uint16_t w = len;
	if (LLT_UNLIKELY(len == LLT_LOG_STR_MAX) && s[LLT_LOG_STR_MAX] != '\0')
		w |= 0x8000u;
	memcpy(p, &w, 2);
	memcpy(p + 2, s, len);
	return p + 2 + len;
}

LLT_INLINE size_t llt_log_impl_sz4(int64_t v) { (void)v; return 4; }
LLT_INLINE size_t llt_log_impl_sz8(int64_t v) { (void)v; return 8; }
LLT_INLINE size_t llt_log_impl_szu8(uint64_t v) { (void)v; return 8; }
LLT_INLINE size_t llt_log_impl_szf(double v) { (void)v; return 8; }
LLT_INLINE size_t llt_log_impl_szf80(long double v) { (void)v; return 16; }
LLT_INLINE size_t llt_log_impl_szp(const volatile void *v) { (void)v; return 8; }
LLT_INLINE size_t llt_log_impl_szs(const void *v)
{
	const char *s, *e;
	if (v == NULL)
		return 2 + 6;
	s = (const char *)v;
	__asm__("" : "+r"(s));  /* memchr stops at the NUL; see put_str */
	e = (const char *)memchr(s, 0, LLT_LOG_STR_MAX);
	return 2 + (e ? (size_t)(e - s) : (size_t)LLT_LOG_STR_MAX);
}

#ifndef __cplusplus

/* Never called: lets the compiler check the arguments against the format
 * (-Wformat), so a mismatch is a compile-time warning.  Plain static
 * inline, not LLT_INLINE: a variadic function cannot be always_inline. */
static inline LLT_PRINTF(1, 2) void llt_log_impl_check(const char *fmt, ...)
{
	(void)fmt;
}

#define LLT_LOG_IMPL_TC(x) _Generic((x), \
	_Bool: LLT_LOG_T_I32, char: LLT_LOG_T_I32, signed char: LLT_LOG_T_I32, \
	short: LLT_LOG_T_I32, int: LLT_LOG_T_I32, \
	unsigned char: LLT_LOG_T_U32, unsigned short: LLT_LOG_T_U32, unsigned int: LLT_LOG_T_U32, \
	long: LLT_LOG_T_I64, long long: LLT_LOG_T_I64, \
	unsigned long: LLT_LOG_T_U64, unsigned long long: LLT_LOG_T_U64, \
	float: LLT_LOG_T_F64, double: LLT_LOG_T_F64, long double: LLT_LOG_T_F80, \
	char *: LLT_LOG_T_STR, const char *: LLT_LOG_T_STR, \
	signed char *: LLT_LOG_T_STR, const signed char *: LLT_LOG_T_STR, \
	unsigned char *: LLT_LOG_T_STR, const unsigned char *: LLT_LOG_T_STR, \
	default: LLT_LOG_T_PTR)

#define LLT_LOG_IMPL_SEL(x, i32, u32, i64, u64, f64, f80, str, ptr) _Generic((x), \
	_Bool: i32, char: i32, signed char: i32, short: i32, int: i32, \
	unsigned char: u32, unsigned short: u32, unsigned int: u32, \
	long: i64, long long: i64, unsigned long: u64, unsigned long long: u64, \
	float: f64, double: f64, long double: f80, \
	char *: str, const char *: str, signed char *: str, const signed char *: str, \
	unsigned char *: str, const unsigned char *: str, \
	default: ptr)

#define LLT_LOG_IMPL_SZ(x) LLT_LOG_IMPL_SEL(x, llt_log_impl_sz4, llt_log_impl_sz4, \
	llt_log_impl_sz8, llt_log_impl_szu8, llt_log_impl_szf, llt_log_impl_szf80, \
	llt_log_impl_szs, llt_log_impl_szp)(x)
#define LLT_LOG_IMPL_PUT(p, x, sz) LLT_LOG_IMPL_SEL(x, llt_log_impl_put_i32, llt_log_impl_put_u32, \
	llt_log_impl_put_i64, llt_log_impl_put_u64, llt_log_impl_put_f64, llt_log_impl_put_f80, \
	llt_log_impl_put_str, llt_log_impl_put_ptr)(p, x, sz)

#define LLT_LOG_IMPL_DECL(i, a) __auto_type llt_log_a##i = (a);
#define LLT_LOG_IMPL_TCI(i) LLT_LOG_IMPL_TC(llt_log_a##i),
#define LLT_LOG_IMPL_SZD(i) const size_t llt_log_z##i = LLT_LOG_IMPL_SZ(llt_log_a##i);
#define LLT_LOG_IMPL_SZI(i) + llt_log_z##i
#define LLT_LOG_IMPL_PUTI(i) llt_log_p = LLT_LOG_IMPL_PUT(llt_log_p, llt_log_a##i, llt_log_z##i);
#define LLT_LOG_IMPL_FIRST(...) LLT_LOG_IMPL_FIRST_(__VA_ARGS__, 0)
#define LLT_LOG_IMPL_FIRST_(f, ...) f

/* Argument lists: NARG counts the format and its arguments (1 to 17);
 * MAP_n applies M(i, arg) to the arguments after the format, the first
 * getting i = n - 1; MAPI_n applies M(i) for i = n - 1 down to 1. */
#define LLT_LOG_IMPL_NARG(...) LLT_LOG_IMPL_NARG_(__VA_ARGS__, 17,16,15,14,13,12,11,10,9,8,7,6,5,4,3,2,1, 0)
#define LLT_LOG_IMPL_NARG_(a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12,a13,a14,a15,a16,a17, n, ...) n
#define LLT_LOG_IMPL_MAP_1(M, f) 
#define LLT_LOG_IMPL_MAP_2(M, f, a1) M(1, a1)
#define LLT_LOG_IMPL_MAP_3(M, f, a1, a2) M(2, a1) M(1, a2)
#define LLT_LOG_IMPL_MAP_4(M, f, a1, a2, a3) M(3, a1) M(2, a2) M(1, a3)
#define LLT_LOG_IMPL_MAP_5(M, f, a1, a2, a3, a4) M(4, a1) M(3, a2) M(2, a3) M(1, a4)
#define LLT_LOG_IMPL_MAP_6(M, f, a1, a2, a3, a4, a5) M(5, a1) M(4, a2) M(3, a3) M(2, a4) M(1, a5)
#define LLT_LOG_IMPL_MAP_7(M, f, a1, a2, a3, a4, a5, a6) M(6, a1) M(5, a2) M(4, a3) M(3, a4) M(2, a5) M(1, a6)
#define LLT_LOG_IMPL_MAP_8(M, f, a1, a2, a3, a4, a5, a6, a7) M(7, a1) M(6, a2) M(5, a3) M(4, a4) M(3, a5) M(2, a6) M(1, a7)
#define LLT_LOG_IMPL_MAP_9(M, f, a1, a2, a3, a4, a5, a6, a7, a8) M(8, a1) M(7, a2) M(6, a3) M(5, a4) M(4, a5) M(3, a6) M(2, a7) M(1, a8)
#define LLT_LOG_IMPL_MAP_10(M, f, a1, a2, a3, a4, a5, a6, a7, a8, a9) M(9, a1) M(8, a2) M(7, a3) M(6, a4) M(5, a5) M(4, a6) M(3, a7) M(2, a8) M(1, a9)
#define LLT_LOG_IMPL_MAP_11(M, f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) M(10, a1) M(9, a2) M(8, a3) M(7, a4) M(6, a5) M(5, a6) M(4, a7) M(3, a8) M(2, a9) M(1, a10)
#define LLT_LOG_IMPL_MAP_12(M, f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) M(11, a1) M(10, a2) M(9, a3) M(8, a4) M(7, a5) M(6, a6) M(5, a7) M(4, a8) M(3, a9) M(2, a10) M(1, a11)
#define LLT_LOG_IMPL_MAP_13(M, f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) M(12, a1) M(11, a2) M(10, a3) M(9, a4) M(8, a5) M(7, a6) M(6, a7) M(5, a8) M(4, a9) M(3, a10) M(2, a11) M(1, a12)
#define LLT_LOG_IMPL_MAP_14(M, f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) M(13, a1) M(12, a2) M(11, a3) M(10, a4) M(9, a5) M(8, a6) M(7, a7) M(6, a8) M(5, a9) M(4, a10) M(3, a11) M(2, a12) M(1, a13)
#define LLT_LOG_IMPL_MAP_15(M, f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) M(14, a1) M(13, a2) M(12, a3) M(11, a4) M(10, a5) M(9, a6) M(8, a7) M(7, a8) M(6, a9) M(5, a10) M(4, a11) M(3, a12) M(2, a13) M(1, a14)
#define LLT_LOG_IMPL_MAP_16(M, f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) M(15, a1) M(14, a2) M(13, a3) M(12, a4) M(11, a5) M(10, a6) M(9, a7) M(8, a8) M(7, a9) M(6, a10) M(5, a11) M(4, a12) M(3, a13) M(2, a14) M(1, a15)
#define LLT_LOG_IMPL_MAP_17(M, f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16) M(16, a1) M(15, a2) M(14, a3) M(13, a4) M(12, a5) M(11, a6) M(10, a7) M(9, a8) M(8, a9) M(7, a10) M(6, a11) M(5, a12) M(4, a13) M(3, a14) M(2, a15) M(1, a16)
#define LLT_LOG_IMPL_MAPI_1(M) 
#define LLT_LOG_IMPL_MAPI_2(M) M(1)
#define LLT_LOG_IMPL_MAPI_3(M) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_4(M) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_5(M) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_6(M) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_7(M) M(6) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_8(M) M(7) M(6) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_9(M) M(8) M(7) M(6) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_10(M) M(9) M(8) M(7) M(6) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_11(M) M(10) M(9) M(8) M(7) M(6) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_12(M) M(11) M(10) M(9) M(8) M(7) M(6) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_13(M) M(12) M(11) M(10) M(9) M(8) M(7) M(6) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_14(M) M(13) M(12) M(11) M(10) M(9) M(8) M(7) M(6) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_15(M) M(14) M(13) M(12) M(11) M(10) M(9) M(8) M(7) M(6) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_16(M) M(15) M(14) M(13) M(12) M(11) M(10) M(9) M(8) M(7) M(6) M(5) M(4) M(3) M(2) M(1)
#define LLT_LOG_IMPL_MAPI_17(M) M(16) M(15) M(14) M(13) M(12) M(11) M(10) M(9) M(8) M(7) M(6) M(5) M(4) M(3) M(2) M(1)

#define LLT_LOG_IMPL_EMIT(l, lvl, fl, sup, n, ...) LLT_LOG_IMPL_EMIT_(l, lvl, fl, sup, n, __VA_ARGS__)
#define LLT_LOG_IMPL_EMIT_(l, lvl, fl, sup, n, ...) { \
	LLT_LOG_IMPL_MAP_##n(LLT_LOG_IMPL_DECL, __VA_ARGS__) \
	static const struct llt_log_site llt_log_site_ = { \
		LLT_LOG_IMPL_FIRST(__VA_ARGS__), __FILE__, __func__, __LINE__, \
		(uint8_t)(lvl), (uint8_t)(fl), (uint8_t)((n) - 1), 0, \
		{ LLT_LOG_IMPL_MAPI_##n(LLT_LOG_IMPL_TCI) 0 } }; \
	LLT_LOG_IMPL_MAPI_##n(LLT_LOG_IMPL_SZD) \
	const size_t llt_log_n = LLT_LOG_IMPL_HDR + ((fl) ? 4 : 0) LLT_LOG_IMPL_MAPI_##n(LLT_LOG_IMPL_SZI); \
	struct llt_log_impl_prod *llt_log_pr; \
	unsigned char *llt_log_p = llt_log_impl_begin((l), &llt_log_site_, llt_log_n, &llt_log_pr); \
	if (llt_log_p != NULL) { \
		if (fl) { \
			uint32_t llt_log_s = (sup); \
			memcpy(llt_log_p, &llt_log_s, 4); \
			llt_log_p += 4; \
		} \
		LLT_LOG_IMPL_MAPI_##n(LLT_LOG_IMPL_PUTI) \
		(void)llt_log_p; \
		llt_log_impl_end(llt_log_pr, llt_log_n); \
	} }

/* LLT_LOG(lg, level, format, args...): level is a constant, format a
 * string literal with at most LLT_LOG_ARGS_MAX arguments. */
#define LLT_LOG(lg, level, ...) do { \
	struct llt_log *llt_log_l = (lg); \
	if ((int)(level) >= llt_log_level(llt_log_l)) { \
		if (0) \
			llt_log_impl_check(__VA_ARGS__); \
		LLT_LOG_IMPL_EMIT(llt_log_l, level, 0, 0, LLT_LOG_IMPL_NARG(__VA_ARGS__), __VA_ARGS__) \
	} } while (0)

/* LLT_LOG_RATE(lg, level, n, interval_ns, format, args...): at most n
 * messages from this call site per interval_ns; the next message let
 * through carries the count held back. */
#define LLT_LOG_RATE(lg, level, n, interval_ns, ...) do { \
	struct llt_log *llt_log_l = (lg); \
	if ((int)(level) >= llt_log_level(llt_log_l)) { \
		static struct llt_log_rate llt_log_rs; \
		uint32_t llt_log_sup = 0; \
		if (0) \
			llt_log_impl_check(__VA_ARGS__); \
		if (llt_log_impl_rate(&llt_log_rs, (n), (interval_ns), &llt_log_sup)) \
			LLT_LOG_IMPL_EMIT(llt_log_l, level, LLT_LOG_IMPL_SITE_RATE, llt_log_sup, \
					  LLT_LOG_IMPL_NARG(__VA_ARGS__), __VA_ARGS__) \
	} } while (0)

#endif /* !__cplusplus */

#endif /* LLT_BITS_LOG_IMPL_H */
