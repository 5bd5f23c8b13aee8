/* Private: the binary log format of llt/log (llt-log(5)), shared by the
 * writer (lib/log.c) and the reader (lib/logdec.c, also compiled into
 * llt-logcat and its fuzz target).  Never installed. */
#ifndef LLT_LOGFMT_H
#define LLT_LOGFMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LLT_LOGF_MAGIC "\x89LLTLOG\n"       /* 8 bytes */
/* The version field (offset 8, 16 bits): byte 8 the major version,
 * byte 9 the minor.  1.0 files say 1 (0x0001); 1.1 adds the module map
 * entry and leaves crash frames unnamed (symbolised by the reader). */
#define LLT_LOGF_MAJOR 1u
#define LLT_LOGF_MINOR 1u
#define LLT_LOGF_VERSION (LLT_LOGF_MAJOR | LLT_LOGF_MINOR << 8)
#define LLT_LOGF_HDR_FIXED 52u               /* bytes before the host string */
#define LLT_LOGF_SYNC_MAGIC "\0LLTSYNC"      /* 8 bytes: tag 0 and "LLTSYNC" */
#define LLT_LOGF_SYNC_LEN 16u                /* magic + 8-byte tsc */
#define LLT_LOGF_ENTRY_MAX (1u << 20)        /* largest payload a reader accepts */
#define LLT_LOGF_DESC_MAX (1u << 20)         /* largest descriptor id */
#define LLT_LOGF_FRAMES_MAX 64u
#define LLT_LOGF_MODULES_MAX 4096u           /* modules in one map entry */
#define LLT_LOGF_BUILDID_MAX 64u

enum {
	LLT_LOGF_SYNC = 0x00,
	LLT_LOGF_DESC = 0x01,
	LLT_LOGF_THREAD = 0x02,
	LLT_LOGF_DROP = 0x03,
	LLT_LOGF_NOTE = 0x04,
	LLT_LOGF_CRASH = 0x05,
	LLT_LOGF_MODULES = 0x06,   /* since 1.1 */
	LLT_LOGF_RECX = 0x0f,      /* record, descriptor id in the payload */
	LLT_LOGF_REC0 = 0x10       /* record of descriptor tag - 0x10 (ids 0..239) */
};

static inline uint8_t *llt_logf_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint64_t llt_logf_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t llt_logf_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline size_t llt_logf_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline void llt_logf_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void llt_logf_put_u32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline void llt_logf_put_u64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline uint16_t llt_logf_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t llt_logf_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t llt_logf_get_u64(const uint8_t *p)
{
	return (uint64_t)llt_logf_get_u32(p) | (uint64_t)llt_logf_get_u32(p + 4) << 32;
}

#endif
