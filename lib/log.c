/* llt/log: the non-blocking logger's out-of-line parts: per-thread
 * producers, the backend thread (drain, merge, encode, write, rotate),
 * the text sink and the crash handler.  The calling thread's path is
 * inline in <llt/bits/log_impl.h>; the file format is llt-log(5) and
 * lib/logfmt.h.
 *
 * Design after NanoLog (Yang, Park, Ousterhout, "NanoLog: A Nanosecond
 * Scale Logging System", USENIX ATC 2018): static call-site information,
 * per-thread staging buffers, a background thread that writes a compact
 * binary log, and formatting deferred to a reader.  Unlike NanoLog the
 * call-site information is captured by the C preprocessor and _Generic
 * (no preprocessing step), and the staging buffer is llt/ring.
 *
 * Threads:
 *  - producers (any thread calling LLT_LOG): own their ring's producer
 *    side and their struct prod's hot fields;
 *  - the backend thread: owns the consumer side of every ring, the
 *    staging buffers, the encoder and the files;
 *  - the crash handler: takes the backend's role once the backend has
 *    acknowledged (or is the crashing thread, or does not answer).
 * The producer list is a lock-free stack: producers push at the head
 * (CAS), only the backend (or llt_log_close, after the backend stopped)
 * unlinks. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBUNWIND
#  define UNW_LOCAL_ONLY
#  include <libunwind.h>
#endif

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/log.h>
#include <llt/park.h>
#include <llt/ring.h>

#include "elfnote.h"
#include "logdec.h"
#include "logfmt.h"

#define OUT_CAP (1u << 20)            /* encoder buffer */
#define OUT_WRITE_AT (256u << 10)     /* write a batch once this much is buffered */
#define SYNC_EVERY (64u << 10)        /* a sync marker at least this often */
#define TEXT_LINE_MAX 8192
#define CRASH_WAIT_NS 2000000000ull  /* how long the crash handler waits for the backend */
#define MAX_LOGGERS 16
#define MODS_MAX 60000u             /* bytes of a module map entry */
#define MODS_CHECK_NS 100000000ull  /* the backend looks for new modules this often */

/* ------------------------------------------------------------ the objects */

struct prod {
	struct llt_log_impl_prod pub;   /* first: the inline path's view */
	struct prod *next;              /* logger's list (pushed with CAS) */
	struct prod *tnext;             /* the owning thread's list */
	int refs;                       /* thread + logger; freed at 0 */
	int dead;                       /* the thread exited (release/acquire) */
	int closed;                     /* the logger was closed (release/acquire) */
	/* Backend only.  The merge reads records in place in the ring
	 * (peeked, released once encoded); a record longer than one element
	 * is reassembled in part, whose elements are released as copied. */
	const unsigned char *head;      /* the complete record at the head, or NULL */
	uint64_t head_tsc;
	bool head_in_ring;              /* head is the peeked ring element */
	unsigned char *part;            /* LLT_LOG_IMPL_REC_MAX bytes */
	size_t part_len, part_got;      /* a long record being reassembled in part */
	uint64_t flush_at;              /* ring position a pending flush waits for */
	uint32_t wseq;                  /* next sequence number the file expects */
	bool wseq_valid;
	uint64_t seen_dropped;          /* drops already reported to on_drop */
	uint64_t file_drops;            /* drops the file shows (DROP entries) */
};

struct sinkfile {
	int fd;                         /* -1: none */
	char *path;                     /* NULL: stderr (text only) */
	uint64_t size;
	uint32_t rotation;
};

struct desc_slot {
	const struct llt_log_site *site;
	uint32_t id;
	uint32_t epoch;                 /* == llt_log.epoch: written in this file */
};

struct llt_log {
	struct llt_log_impl_pub pub;    /* first: read by the inline path */
	struct llt_log_config cfg;
	struct prod *prods;             /* lock-free stack */
	pthread_t backend;
	uint32_t backend_tid;
	int stop;
	struct llt_park wake;           /* the backend sleeps here */
	struct llt_park space;          /* blocked producers and flushers wait here */
	uint64_t flush_req, flush_done;
	size_t ring_elems;
	uint64_t flush_seen;            /* the request the flush_at targets belong to */
	bool flush_pending;
	pthread_mutex_t prods_lock;     /* reap's unlink and free vs llt_log_stats */
	const struct llt_log_site *last_site;   /* one-entry cache of desc_id() */
	long last_id;
	uint32_t last_epoch;
	/* Encoder (backend, or the crash handler). */
	uint8_t *out;
	size_t out_len;
	size_t out_synced;              /* out_len at the last sync marker */
	uint64_t since_sync;
	uint64_t last_tsc;
	uint32_t cur_tid;
	bool have_tid;
	bool need_sync;
	uint32_t epoch;
	struct desc_slot *descs;
	size_t descs_cap, ndescs;
	uint8_t *tmp;                   /* one record's payload */
	struct sinkfile bin, text;
	bool text_on;
	struct llt_logdec tdec;
	char *line;
	/* Stats (backend writes, any thread reads: relaxed). */
	uint64_t logged, bytes, write_errors, rotations, dropped_total;
	int last_errno;
	uint64_t pending_errors, pending_lost;   /* reported by a NOTE once writes work */
	/* The module map (dl_iterate_phdr at open, refreshed by the backend
	 * when modules come and go): the payload of a MODULES entry, written
	 * at the start of every file so that crash frames, recorded as raw
	 * addresses, can be symbolised offline.  Published with a release
	 * store (the crash handler reads it); replaced maps are kept until
	 * close (mods_old). */
	const uint8_t *mods;
	size_t mods_len;
	uint32_t mods_epoch;            /* == epoch: written in this file */
	unsigned long long mods_gen;    /* dlpi_adds + dlpi_subs it was built at */
	uint64_t mods_checked;          /* mono_ns of the last check */
	struct mods_old *mods_old;
	/* Crash handling. */
	int crash;                      /* set by the handler */
	int crash_ack;                  /* set by the backend once it stopped consuming */
	int slot;                       /* index in loggers[] */
};

/* ----------------------------------------------------------------- globals */

LLT_API __thread struct llt_log_impl_tls llt_log_impl_cur
	__attribute__((tls_model("initial-exec")));
static __thread struct prod *tl_prods;     /* this thread's producers */
static pthread_key_t tl_key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static uint64_t gen_counter;
static pthread_mutex_t loggers_lock = PTHREAD_MUTEX_INITIALIZER;
/* Open loggers, for atexit and the crash handler (read there without the
 * lock: entries are set before use and cleared at close). */
static struct llt_log *loggers[MAX_LOGGERS];
static bool crash_installed;
static struct sigaction crash_old[32];
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
static int crash_busy;

static uint32_t gettid_now(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void prod_unref(struct prod *p)
{
	/* Acq_rel: the last one to drop sees every write the other made. */
	if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	llt_ring_free(p->pub.ring);
	free(p->pub.scratch);
	free(p->part);
	free(p);
}

/* pthread key destructor: the thread is exiting. */
static void thread_exit(void *arg)
{
	(void)arg;
	struct prod *p = tl_prods;
	tl_prods = NULL;
	memset(&llt_log_impl_cur, 0, sizeof llt_log_impl_cur);
	while (p) {
		struct prod *n = p->tnext;
		/* Release: pairs with the backend's acquire load; every record
		 * this thread committed is in the ring before dead reads 1. */
		__atomic_store_n(&p->dead, 1, __ATOMIC_RELEASE);
		prod_unref(p);
		p = n;
	}
}

static void flush_all_at_exit(void)
{
	for (int i = 0; i < MAX_LOGGERS; i++) {
		pthread_mutex_lock(&loggers_lock);
		struct llt_log *lg = loggers[i];
		pthread_mutex_unlock(&loggers_lock);
		if (lg)
			llt_log_flush(lg);
	}
}

static void global_init(void)
{
	pthread_key_create(&tl_key, thread_exit);
	atexit(flush_all_at_exit);
}

/* --------------------------------------------------------- producer side */

struct llt_log_impl_prod *llt_log_impl_attach(struct llt_log *lg)
{
	struct prod **pp = &tl_prods, *p;
	uint64_t gen = lg->pub.gen;

	pthread_once(&once, global_init);
	while ((p = *pp) != NULL) {
		/* Acquire: pairs with llt_log_close's release store. */
		if (__atomic_load_n(&p->closed, __ATOMIC_ACQUIRE)) {
			*pp = p->tnext;
			prod_unref(p);
			continue;
		}
		if (p->pub.log == lg && p->pub.gen == gen)
			break;
		pp = &p->tnext;
	}
	if (p == NULL) {
		/* Relaxed: stop is a hint here; close waits for the backend,
		 * which drains whatever a late producer committed. */
		if (__atomic_load_n(&lg->stop, __ATOMIC_RELAXED))
			return NULL;
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			return NULL;
		p->pub.scratch = malloc(LLT_LOG_IMPL_REC_MAX);
		p->part = malloc(LLT_LOG_IMPL_REC_MAX);
		if (p->pub.scratch == NULL || p->part == NULL ||
		    llt_ring_create(lg->ring_elems, LLT_LOG_IMPL_ELEM, &p->pub.ring) != 0) {
			free(p->pub.scratch);
			free(p->part);
			free(p);
			return NULL;
		}
		p->pub.log = lg;
		p->pub.gen = gen;
		p->pub.tid = gettid_now();
		p->refs = 2;
		p->tnext = tl_prods;
		tl_prods = p;
		pthread_setspecific(tl_key, &tl_prods);
		/* Release: publishes the initialised producer to the backend's
		 * acquire load of the list head. */
		struct prod *head = __atomic_load_n(&lg->prods, __ATOMIC_RELAXED);
		do {
			p->next = head;
		} while (!__atomic_compare_exchange_n(&lg->prods, &head, p, true,
						      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	}
	llt_log_impl_cur.prod = &p->pub;
	llt_log_impl_cur.log = lg;
	llt_log_impl_cur.gen = gen;
	return &p->pub;
}

static void count_drop(struct llt_log_impl_prod *p)
{
	/* Relaxed: single writer (this thread); the backend's relaxed read
	 * is a statistic. */
	__atomic_store_n(&p->dropped, p->dropped + 1, __ATOMIC_RELAXED);
}

/* Waits for one free element (block policy).  Returns it, or NULL if the
 * logger stopped. */
static unsigned char *wait_space(struct llt_log_impl_prod *p, size_t k)
{
	struct llt_log *lg = p->log;
	void *slot;
	__atomic_store_n(&p->blocked, p->blocked + 1, __ATOMIC_RELAXED);
	for (;;) {
		uint32_t key = llt_park_prepare_wait(&lg->space);
		/* After the announcement: either this check sees the backend's
		 * progress or its notify sees us waiting. */
		if (k == 1 ? llt_ring_reserve(p->ring, 1, &slot) == 1
			   : llt_ring_capacity(p->ring) - llt_ring_size(p->ring) >= k) {
			llt_park_cancel_wait(&lg->space);
			return k == 1 ? (unsigned char *)slot : (unsigned char *)p->ring;
		}
		if (__atomic_load_n(&lg->stop, __ATOMIC_RELAXED) &&
		    __atomic_load_n(&lg->crash_ack, __ATOMIC_RELAXED)) {
			llt_park_cancel_wait(&lg->space);
			return NULL;
		}
		llt_park_notify_one(&lg->wake);
		llt_park_commit_wait_until(&lg->space, key, 0, mono_ns() + 1000000);
	}
}

unsigned char *llt_log_impl_full(struct llt_log_impl_prod *p, size_t n)
{
	(void)n;
	if (!(p->log->pub.flags & LLT_LOG_BLOCK)) {
		p->seq++;
		count_drop(p);
		return NULL;
	}
	unsigned char *slot = wait_space(p, 1);
	if (slot == NULL) {
		p->seq++;
		count_drop(p);
	}
	return slot;
}

/* A record longer than one element: built in scratch, copied into
 * consecutive elements (the first holds the header with the length). */
void llt_log_impl_commit_long(struct llt_log_impl_prod *p)
{
	size_t n = p->scratch_len;
	size_t k = (n + LLT_LOG_IMPL_ELEM - 1) / LLT_LOG_IMPL_ELEM;
	struct llt_log_impl_hdr h;

	/* llt_ring_size() reads the consumer's position relaxed, so it may
	 * over-count what is queued: the space it leaves is a lower bound. */
	if (llt_ring_capacity(p->ring) - llt_ring_size(p->ring) < k) {
		if (!(p->log->pub.flags & LLT_LOG_BLOCK) || wait_space(p, k) == NULL) {
			/* The sequence number was taken in begin: the gap shows. */
			count_drop(p);
			return;
		}
	}
	memcpy(&h, p->scratch, sizeof h);
	for (size_t i = 0; i < k; i++) {
		void *slot;
		size_t m = n - i * LLT_LOG_IMPL_ELEM;
		if (m > LLT_LOG_IMPL_ELEM)
			m = LLT_LOG_IMPL_ELEM;
		while (llt_ring_reserve(p->ring, 1, &slot) != 1)
			llt_cpu_relax();   /* cannot happen: the space was checked */
		memcpy(slot, p->scratch + i * LLT_LOG_IMPL_ELEM, m);
		llt_ring_commit(p->ring, 1);
	}
	(void)h;
}

/* Rate limiting: intervals start at the first message after the previous
 * one ended; races between threads may let a message or two more through
 * (the fields are updated with relaxed atomics, a statistic). */
int llt_log_impl_rate_slow(struct llt_log_rate *r, uint64_t n, uint64_t interval_ns,
			   uint64_t now, uint32_t *suppressed)
{
	uint64_t start = __atomic_load_n(&r->start, __ATOMIC_RELAXED);
	uint64_t span = llt_clock_from_ns(interval_ns);
	if (start == 0 || now - start >= span) {
		/* Relaxed: see above; one thread wins the new interval. */
		if (__atomic_compare_exchange_n(&r->start, &start, now, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			__atomic_store_n(&r->count, 0, __ATOMIC_RELAXED);
	}
	if (__atomic_fetch_add(&r->count, 1, __ATOMIC_RELAXED) < n) {
		uint64_t s = __atomic_exchange_n(&r->suppressed, 0, __ATOMIC_RELAXED);
		*suppressed = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
		return 1;
	}
	__atomic_fetch_add(&r->suppressed, 1, __ATOMIC_RELAXED);
	return 0;
}

/* ------------------------------------------------------------------ files */

static bool write_all(int fd, const uint8_t *b, size_t n, int *err)
{
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			return false;
		}
		if (w == 0) {
			*err = ENOSPC;
			return false;
		}
		b += w;
		n -= (size_t)w;
	}
	return true;
}

static size_t make_header(struct llt_log *lg, uint8_t *h, uint32_t rotation)
{
	struct llt_clock_info ci;
	struct llt_clock_anchor an;
	struct timespec now;
	char host[256] = "", prog[256] = "";
	llt_clock_info(&ci);
	llt_clock_anchor(&an);
	clock_gettime(CLOCK_REALTIME, &now);
	gethostname(host, sizeof host - 1);
	{
		char tmp[256];
		ssize_t k = readlink("/proc/self/exe", tmp, sizeof tmp - 1);
		if (k > 0) {
			tmp[k] = '\0';
			const char *b = strrchr(tmp, '/');
			snprintf(prog, sizeof prog, "%s", b ? b + 1 : tmp);
		}
	}
	size_t hl = strlen(host), pl = strlen(prog);
	size_t total = LLT_LOGF_HDR_FIXED + 2 + hl + 2 + pl;
	uint64_t hzbits;
	memcpy(h, LLT_LOGF_MAGIC, 8);
	llt_logf_put_u16(h + 8, LLT_LOGF_VERSION);
	llt_logf_put_u16(h + 10, (uint16_t)total);
	llt_logf_put_u32(h + 12, (uint32_t)getpid());
	memcpy(&hzbits, &ci.hz, 8);
	llt_logf_put_u64(h + 16, hzbits);
	llt_logf_put_u64(h + 24, an.ticks);
	llt_logf_put_u64(h + 32, (uint64_t)an.realtime_ns);
	llt_logf_put_u64(h + 40, (uint64_t)((int64_t)now.tv_sec * 1000000000 + now.tv_nsec));
	llt_logf_put_u32(h + 48, rotation);
	llt_logf_put_u16(h + 52, (uint16_t)hl);
	memcpy(h + 54, host, hl);
	llt_logf_put_u16(h + 54 + hl, (uint16_t)pl);
	memcpy(h + 56 + hl, prog, pl);
	(void)lg;
	return total;
}

static int sink_open(struct llt_log *lg, struct sinkfile *s, bool binary)
{
	if (s->path == NULL) {
		s->fd = STDERR_FILENO;
		return 0;
	}
	s->fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (s->fd < 0)
		return -errno;
	s->size = 0;
	if (binary) {
		uint8_t h[600];
		size_t n = make_header(lg, h, s->rotation);
		int err = 0;
		if (!write_all(s->fd, h, n, &err)) {
			close(s->fd);
			s->fd = -1;
			return -err;
		}
		s->size = n;
	}
	return 0;
}

static void sink_fsync(struct sinkfile *s)
{
	if (s->fd >= 0 && s->path != NULL)
		fdatasync(s->fd);
}

/* Renames path.(k-1) to path.k down to path -> path.1 and opens a new
 * path.  Keeps at most rotate_keep old files. */
static void sink_rotate(struct llt_log *lg, struct sinkfile *s, bool binary)
{
	size_t pl = strlen(s->path);
	char *a = malloc(pl + 16), *b = malloc(pl + 16);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return;
	}
	if (lg->cfg.fsync != LLT_LOG_FSYNC_NEVER)
		sink_fsync(s);
	close(s->fd);
	s->fd = -1;
	unsigned keep = lg->cfg.rotate_keep;
	if (keep == 0) {
		unlink(s->path);
	} else {
		snprintf(a, pl + 16, "%s.%u", s->path, keep);
		unlink(a);
		for (unsigned k = keep; k > 1; k--) {
			snprintf(a, pl + 16, "%s.%u", s->path, k - 1);
			snprintf(b, pl + 16, "%s.%u", s->path, k);
			rename(a, b);
		}
		snprintf(b, pl + 16, "%s.1", s->path);
		rename(s->path, b);
	}
	free(a);
	free(b);
	s->rotation++;
	if (sink_open(lg, s, binary) < 0) {
		__atomic_store_n(&lg->write_errors, lg->write_errors + 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_store_n(&lg->rotations, lg->rotations + 1, __ATOMIC_RELAXED);
	if (binary) {
		/* A new file: descriptors again, a sync marker first. */
		lg->epoch++;
		lg->need_sync = true;
	}
}

/* ------------------------------------------------------------ module map */

struct mods_old {
	struct mods_old *next;
	uint8_t *buf;
};

struct mods_ctx {
	uint8_t *buf;               /* MODS_MAX bytes */
	size_t len;
	unsigned n;
	bool full;
	char exe[PATH_MAX];
};

/* One module: varint load bias (dlpi_addr: what a link-time address is
 * moved by), varint start and length of the address range its PT_LOAD
 * segments cover, string path, string GNU build id (empty if none). */
static int mods_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct mods_ctx *m = arg;
	uint64_t lo = UINT64_MAX, hi = 0;
	const uint8_t *bid = NULL;
	size_t bidlen = 0;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD) {
			uint64_t a = (uint64_t)info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
			if (a < lo)
				lo = a;
			if (b > hi)
				hi = b;
		} else if (ph->p_type == PT_NOTE && bid == NULL) {
			const uint8_t *q = (const uint8_t *)(uintptr_t)(info->dlpi_addr + ph->p_vaddr);
			llt_impl_elf_buildid(q, q + ph->p_memsz, &bid, &bidlen);
		}
	}
	if (lo >= hi)
		return 0;
	const char *path = info->dlpi_name;
	if (path == NULL || path[0] == '\0') {
		if (m->n != 0)
			return 0;   /* only the main program has no name */
		path = m->exe;
	}
	if (bidlen > LLT_LOGF_BUILDID_MAX)
		bidlen = 0;
	size_t pl = strnlen(path, PATH_MAX);
	if (m->full || m->len + 40 + pl + bidlen > MODS_MAX || m->n >= LLT_LOGF_MODULES_MAX) {
		m->full = true;
		return 0;
	}
	uint8_t *q = m->buf + m->len;
	q = llt_logf_put_varint(q, (uint64_t)info->dlpi_addr);
	q = llt_logf_put_varint(q, lo);
	q = llt_logf_put_varint(q, hi - lo);
	q = llt_logf_put_varint(q, pl);
	memcpy(q, path, pl);
	q += pl;
	q = llt_logf_put_varint(q, bidlen);
	if (bidlen)
		memcpy(q, bid, bidlen);
	q += bidlen;
	m->len = (size_t)(q - m->buf);
	m->n++;
	return 0;
}

static int mods_gen_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	/* dlpi_adds and dlpi_subs exist when size covers them (glibc). */
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
		*(unsigned long long *)arg = info->dlpi_adds + info->dlpi_subs;
	return 1;
}

static unsigned long long mods_gen_now(void)
{
	unsigned long long g = 0;
	dl_iterate_phdr(mods_gen_cb, &g);
	return g;
}

/* Builds the module map (never in the signal handler: dl_iterate_phdr
 * takes the loader's lock) and publishes it.  The payload is a varint
 * module count followed by the modules (mods_cb). */
static void mods_refresh(struct llt_log *lg)
{
	struct mods_ctx *m = malloc(sizeof *m);
	if (m == NULL)
		return;
	memset(m, 0, offsetof(struct mods_ctx, exe));
	m->buf = malloc(MODS_MAX);
	struct mods_old *old = malloc(sizeof *old);
	uint8_t *out = malloc(MODS_MAX + 8);
	if (m->buf == NULL || old == NULL || out == NULL) {
		free(m->buf);
		free(m);
		free(old);
		free(out);
		return;
	}
	ssize_t k = readlink("/proc/self/exe", m->exe, sizeof m->exe - 1);
	m->exe[k > 0 ? k : 0] = '\0';
	unsigned long long gen = mods_gen_now();
	dl_iterate_phdr(mods_cb, m);
	uint8_t *q = llt_logf_put_varint(out, m->n);
	memcpy(q, m->buf, m->len);
	q += m->len;
	/* Keep the previous map until close: the crash handler may be
	 * reading it. */
	old->buf = (uint8_t *)(uintptr_t)lg->mods;
	old->next = lg->mods_old;
	lg->mods_old = old;
	__atomic_store_n(&lg->mods_len, (size_t)(q - out), __ATOMIC_RELAXED);
	/* Release: pairs with emit_sync's acquire load (the handler's too). */
	__atomic_store_n(&lg->mods, out, __ATOMIC_RELEASE);
	lg->mods_gen = gen;
	lg->mods_epoch = 0;   /* write it again at the next sync marker */
	free(m->buf);
	free(m);
}

/* The backend, now and then: a new map if modules were loaded or
 * unloaded since the last one. */
static void mods_check(struct llt_log *lg, uint64_t now)
{
	if (now - lg->mods_checked < MODS_CHECK_NS)
		return;
	lg->mods_checked = now;
	if (mods_gen_now() != lg->mods_gen)
		mods_refresh(lg);
}

/* ---------------------------------------------------------------- encoder */

static uint8_t *out_end(struct llt_log *lg)
{
	return lg->out + lg->out_len;
}

static void emit_sync(struct llt_log *lg)
{
	uint8_t *p = out_end(lg);
	memcpy(p, LLT_LOGF_SYNC_MAGIC, 8);
	llt_logf_put_u64(p + 8, lg->last_tsc);
	lg->out_len += LLT_LOGF_SYNC_LEN;
	lg->have_tid = false;
	lg->need_sync = false;
	lg->since_sync = 0;
	/* Acquire: pairs with mods_refresh's release store. */
	const uint8_t *m = __atomic_load_n(&lg->mods, __ATOMIC_ACQUIRE);
	if (m != NULL && lg->mods_epoch != lg->epoch) {
		size_t n = __atomic_load_n(&lg->mods_len, __ATOMIC_RELAXED);
		p = out_end(lg);
		*p++ = LLT_LOGF_MODULES;
		p = llt_logf_put_varint(p, n);
		memcpy(p, m, n);
		p += n;
		size_t used = (size_t)(p - out_end(lg));
		lg->out_len += used;
		lg->since_sync += used;
		lg->mods_epoch = lg->epoch;
	}
}

/* Tag, payload length, payload (in lg->tmp, n bytes). */
static void emit_entry(struct llt_log *lg, uint8_t tag, size_t n)
{
	uint8_t *p = out_end(lg);
	*p++ = tag;
	p = llt_logf_put_varint(p, n);
	memcpy(p, lg->tmp, n);
	p += n;
	size_t used = (size_t)(p - out_end(lg));
	lg->out_len += used;
	lg->since_sync += used;
}

static uint8_t *put_str(uint8_t *p, const char *s, size_t n)
{
	p = llt_logf_put_varint(p, n);
	memcpy(p, s, n);
	return p + n;
}

/* The descriptor id of a site, writing the descriptor if this file has
 * not got it.  -1 if the table is full and may not grow (signal). */
static long desc_id(struct llt_log *lg, const struct llt_log_site *site, bool can_grow)
{
	if (can_grow && lg->ndescs * 2 >= lg->descs_cap) {
		size_t ncap = lg->descs_cap * 2;
		struct desc_slot *nd = calloc(ncap, sizeof(*nd));
		if (nd != NULL) {
			for (size_t i = 0; i < lg->descs_cap; i++) {
				if (lg->descs[i].site == NULL)
					continue;
				size_t h = ((uintptr_t)lg->descs[i].site >> 4) * 0x9E3779B97F4A7C15ull >> 20;
				while (nd[h & (ncap - 1)].site)
					h++;
				nd[h & (ncap - 1)] = lg->descs[i];
			}
			free(lg->descs);
			lg->descs = nd;
			lg->descs_cap = ncap;
		}
	}
	size_t h = ((uintptr_t)site >> 4) * 0x9E3779B97F4A7C15ull >> 20;
	struct desc_slot *d;
	for (;; h++) {
		d = &lg->descs[h & (lg->descs_cap - 1)];
		if (d->site == site)
			break;
		if (d->site == NULL) {
			if (lg->ndescs + 1 >= lg->descs_cap)
				return -1;
			d->site = site;
			d->id = (uint32_t)lg->ndescs++;
			d->epoch = lg->epoch - 1;
			break;
		}
	}
	if (d->epoch != lg->epoch) {
		uint8_t *p = lg->tmp;
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): site is never NULL (the LLT_LOG macros pass a static site). */
		size_t fl = strlen(site->file), fnl = strlen(site->func), fml = strlen(site->fmt);
		unsigned na = site->nargs <= LLT_LOG_ARGS_MAX ? site->nargs : LLT_LOG_ARGS_MAX;
		if (fl > 4096)
			fl = 4096;
		if (fnl > 4096)
			fnl = 4096;
		if (fml > 65536)
			fml = 65536;
		p = llt_logf_put_varint(p, d->id);
		*p++ = site->level;
		*p++ = site->flags;
		p = llt_logf_put_varint(p, site->line);
		*p++ = (uint8_t)na;
		memcpy(p, site->types, na);
		p += na;
		p = put_str(p, site->file, fl);
		p = put_str(p, site->func, fnl);
		p = put_str(p, site->fmt, fml);
		emit_entry(lg, LLT_LOGF_DESC, (size_t)(p - lg->tmp));
		d->epoch = lg->epoch;
	}
	return d->id;
}

static void emit_note(struct llt_log *lg, int level, const char *text)
{
	uint8_t *p = lg->tmp;
	uint64_t now = llt_clock_now();
	p = llt_logf_put_varint(p, llt_logf_zigzag((int64_t)(now - lg->last_tsc)));
	lg->last_tsc = now;
	*p++ = (uint8_t)level;
	p = put_str(p, text, strlen(text));
	emit_entry(lg, LLT_LOGF_NOTE, (size_t)(p - lg->tmp));
}

/* Room the encoder needs for one more record and its descriptor. */
#define OUT_NEED (3 * LLT_LOG_IMPL_REC_MAX + 70000 + MODS_MAX + 96)

/* Encodes one record (ring layout) of producer p straight into the
 * output buffer (the caller made room: OUT_NEED). */
static void encode(struct llt_log *lg, struct prod *p, const unsigned char *rec, bool in_signal)
{
	struct llt_log_impl_hdr h;
	memcpy(&h, rec, sizeof h);
	const struct llt_log_site *site = h.site;
	const unsigned char *a = rec + sizeof h, *end = rec + h.len;
	long id;

	if (lg->need_sync || lg->since_sync >= SYNC_EVERY)
		emit_sync(lg);
	if (site == lg->last_site && lg->last_epoch == lg->epoch) {
		id = lg->last_id;
	} else {
		id = desc_id(lg, site, !in_signal);
		if (id < 0)
			return;
		lg->last_site = site;
		lg->last_id = id;
		lg->last_epoch = lg->epoch;
	}
	uint32_t tid = p->pub.tid;
	if (LLT_UNLIKELY(!p->wseq_valid || h.seq != p->wseq || !lg->have_tid || lg->cur_tid != tid)) {
		if (p->wseq_valid ? h.seq != p->wseq : h.seq != 0) {
			uint32_t gap = p->wseq_valid ? (uint32_t)(h.seq - p->wseq) : h.seq;
			uint8_t *q = lg->tmp;
			q = llt_logf_put_varint(q, tid);
			q = llt_logf_put_varint(q, gap);
			emit_entry(lg, LLT_LOGF_DROP, (size_t)(q - lg->tmp));
			p->file_drops += gap;
		}
		uint8_t *q = lg->tmp;
		q = llt_logf_put_varint(q, tid);
		q = llt_logf_put_varint(q, h.seq);
		emit_entry(lg, LLT_LOGF_THREAD, (size_t)(q - lg->tmp));
		lg->have_tid = true;
		lg->cur_tid = tid;
	}
	p->wseq = h.seq + 1;
	p->wseq_valid = true;

	/* Tag, a one-byte length (moved up in the rare case the payload
	 * reaches 128 bytes), then the payload. */
	uint8_t *start = out_end(lg), *o = start;
	*o++ = id < 0xf0 ? (uint8_t)(LLT_LOGF_REC0 + id) : (uint8_t)LLT_LOGF_RECX;
	uint8_t *lenp = o++;
	uint8_t *q = o;
	if (id >= 0xf0)
		q = llt_logf_put_varint(q, (uint64_t)id);
	q = llt_logf_put_varint(q, llt_logf_zigzag((int64_t)(h.tsc - lg->last_tsc)));
	lg->last_tsc = h.tsc;
	if (site->flags & LLT_LOG_IMPL_SITE_RATE) {
		uint32_t s;
		memcpy(&s, a, 4);
		a += 4;
		q = llt_logf_put_varint(q, s);
	}
	for (unsigned i = 0; i < site->nargs && i < LLT_LOG_ARGS_MAX && a < end; i++) {
		switch (site->types[i]) {
		case LLT_LOG_T_I32: {
			int32_t v;
			memcpy(&v, a, 4);
			a += 4;
			q = llt_logf_put_varint(q, llt_logf_zigzag(v));
			break;
		}
		case LLT_LOG_T_U32: {
			uint32_t v;
			memcpy(&v, a, 4);
			a += 4;
			q = llt_logf_put_varint(q, v);
			break;
		}
		case LLT_LOG_T_I64: {
			int64_t v;
			memcpy(&v, a, 8);
			a += 8;
			q = llt_logf_put_varint(q, llt_logf_zigzag(v));
			break;
		}
		case LLT_LOG_T_U64:
		case LLT_LOG_T_PTR: {
			uint64_t v;
			memcpy(&v, a, 8);
			a += 8;
			q = llt_logf_put_varint(q, v);
			break;
		}
		case LLT_LOG_T_F64:
			/* The ring holds it in host order: little-endian here, as
			 * the file (llt_logf_put_u64 on other hosts). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			memcpy(q, a, 8);
#else
			{
				uint64_t v;
				memcpy(&v, a, 8);
				llt_logf_put_u64(q, v);
			}
#endif
			a += 8;
			q += 8;
			break;
		case LLT_LOG_T_F80:
			memcpy(q, a, 16);
			a += 16;
			q += 16;
			break;
		case LLT_LOG_T_STR: {
			uint16_t w;
			memcpy(&w, a, 2);
			a += 2;
			size_t len = w & 0x7fffu;
			if (len > (size_t)(end - a))
				len = (size_t)(end - a);
			q = llt_logf_put_varint(q, (uint64_t)len << 1 | (w >> 15));
			memcpy(q, a, len);
			q += len;
			a += len;
			break;
		}
		default:
			break;
		}
	}
	size_t n = (size_t)(q - o);
	if (LLT_LIKELY(n < 0x80)) {
		*lenp = (uint8_t)n;
	} else {
		size_t k = llt_logf_varint_len(n);
		memmove(o + k - 1, o, n);
		llt_logf_put_varint(lenp, n);
		q += k - 1;
	}
	size_t used = (size_t)(q - start);
	lg->out_len += used;
	lg->since_sync += used;
	/* Relaxed: a statistic, read by llt_log_stats. */
	__atomic_store_n(&lg->logged, lg->logged + 1, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ text sink */

static size_t text_line(struct llt_logdec *d, const struct llt_logdec_ev *ev, char *buf, size_t cap)
{
	int64_t ns = llt_logdec_realtime(d, ev->tsc);
	time_t sec = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	struct tm tm;
	localtime_r(&sec, &tm);
	size_t n = strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
	int k;
	switch (ev->type) {
	case LLT_LOGDEC_EV_RECORD: {
		const char *file = strrchr(ev->desc->file, '/');
		k = snprintf(buf + n, cap - n, ".%09ld %-6s [%" PRIu32 "] %s:%" PRIu32 " ", frac,
			     llt_log_level_name(ev->level), ev->tid, file ? file + 1 : ev->desc->file,
			     ev->desc->line);
		if (k > 0)
			n += (size_t)k < cap - n ? (size_t)k : cap - n - 1;
		n += llt_logdec_format_desc(buf + n, cap - n, ev->desc, ev->args, ev->nargs);
		if (ev->suppressed && n < cap)
			n += (size_t)snprintf(buf + n, cap - n, " (%" PRIu64 " suppressed)", ev->suppressed);
		break;
	}
	case LLT_LOGDEC_EV_DROP:
		k = snprintf(buf + n, cap - n, ".%09ld %-6s [%" PRIu32 "] %" PRIu64 " messages dropped",
			     frac, "WARN", ev->tid, ev->count);
		n += k > 0 ? (size_t)k : 0;
		break;
	case LLT_LOGDEC_EV_NOTE:
		k = snprintf(buf + n, cap - n, ".%09ld %-6s [log] %.*s", frac,
			     llt_log_level_name(ev->level), (int)ev->textlen, ev->text);
		n += k > 0 ? (size_t)k : 0;
		break;
	default:
		return 0;
	}
	if (n > cap - 2)
		n = cap - 2;
	buf[n++] = '\n';
	return n;
}

/* Formats the encoded bytes [from, to) of the output buffer as text. */
static void text_out(struct llt_log *lg, size_t from, size_t to)
{
	struct llt_logdec_ev ev;
	size_t used;
	char *tb = lg->line;
	size_t tn = 0, cap = 64u << 10;
	int err = 0;
	while (from < to) {
		int r = llt_logdec_next(&lg->tdec, lg->out + from, to - from, &ev, &used);
		if (r <= 0)
			break;
		from += used;
		if (tn + TEXT_LINE_MAX > cap) {
			if (lg->text.fd >= 0 && !write_all(lg->text.fd, (uint8_t *)tb, tn, &err))
				__atomic_store_n(&lg->write_errors, lg->write_errors + 1, __ATOMIC_RELAXED);
			lg->text.size += tn;
			tn = 0;
		}
		tn += text_line(&lg->tdec, &ev, tb + tn, TEXT_LINE_MAX);
	}
	if (tn) {
		if (lg->text.fd >= 0 && !write_all(lg->text.fd, (uint8_t *)tb, tn, &err))
			__atomic_store_n(&lg->write_errors, lg->write_errors + 1, __ATOMIC_RELAXED);
		lg->text.size += tn;
	}
}

/* Writes the buffered entries to the sinks. */
static void write_out(struct llt_log *lg, bool in_signal)
{
	if (lg->out_len == 0)
		return;
	if (lg->text_on && !in_signal)
		text_out(lg, 0, lg->out_len);
	if (lg->bin.fd >= 0) {
		int err = 0;
		if (write_all(lg->bin.fd, lg->out, lg->out_len, &err)) {
			lg->bin.size += lg->out_len;
			__atomic_store_n(&lg->bytes, lg->bytes + lg->out_len, __ATOMIC_RELAXED);
			if (lg->cfg.fsync == LLT_LOG_FSYNC_WRITE)
				sink_fsync(&lg->bin);
		} else {
			/* The batch is lost: never retry (that could block the
			 * backend and fill the rings); start the next batch with a
			 * sync marker and descriptors, and say so in the log. */
			__atomic_store_n(&lg->write_errors, lg->write_errors + 1, __ATOMIC_RELAXED);
			__atomic_store_n(&lg->last_errno, err, __ATOMIC_RELAXED);
			lg->pending_errors++;
			lg->pending_lost += lg->out_len;
			lg->epoch++;
			lg->need_sync = true;
		}
	}
	lg->out_len = 0;
	lg->since_sync = SYNC_EVERY;   /* each batch starts with a sync marker */
	if (in_signal)
		return;
	if (lg->pending_errors && lg->bin.fd >= 0 && !lg->need_sync) {
		char msg[160];
		snprintf(msg, sizeof msg, "%" PRIu64 " write errors (last: %s); %" PRIu64 " bytes lost",
			 lg->pending_errors, strerror(lg->last_errno), lg->pending_lost);
		lg->pending_errors = lg->pending_lost = 0;
		emit_sync(lg);
		emit_note(lg, LLT_LOG_ERROR, msg);
	}
	if (lg->cfg.rotate_bytes) {
		if (lg->bin.fd >= 0 && lg->bin.path && lg->bin.size >= lg->cfg.rotate_bytes)
			sink_rotate(lg, &lg->bin, true);
		if (lg->text_on && lg->text.fd >= 0 && lg->text.path && lg->text.size >= lg->cfg.rotate_bytes)
			sink_rotate(lg, &lg->text, false);
	}
}

/* ---------------------------------------------------------------- backend */

/* Makes p->head the complete record at the head of p's ring, if there
 * is one.  A record of one element is read in place (peeked; released by
 * prod_pop once encoded); a longer one is copied into p->part, element by
 * element, releasing each as it goes, and may take several calls. */
static bool prod_head(struct prod *p)
{
	struct llt_ring *r = p->pub.ring;
	const void *e;
	if (p->head != NULL)
		return true;
	if (p->part_len == 0) {
		struct llt_log_impl_hdr h;
		if (llt_ring_peek(r, 1, &e) != 1)
			return false;
		memcpy(&h, e, sizeof h);
		size_t len = h.len;
		if (LLT_LIKELY(len <= LLT_LOG_IMPL_ELEM)) {
			/* The lines a few records on (one element per line): the
			 * producer wrote them on another core.  A prefetch past the
			 * ring's end is harmless. */
			__builtin_prefetch((const char *)e + 4 * LLT_CACHELINE_SIZE);
			/* A record shorter than its header cannot be made by
			 * the producer; the encoder reads h.len itself. */
			LLT_ASSERT(len >= sizeof h);
			p->head = e;
			p->head_tsc = h.tsc;
			p->head_in_ring = true;
			return true;
		}
		if (len > LLT_LOG_IMPL_REC_MAX)
			len = LLT_LOG_IMPL_REC_MAX;   /* cannot happen */
		memcpy(p->part, e, LLT_LOG_IMPL_ELEM);
		llt_ring_release(r, 1);
		p->part_len = len;
		p->part_got = LLT_LOG_IMPL_ELEM;
	}
	while (p->part_got < p->part_len) {
		if (llt_ring_peek(r, 1, &e) != 1)
			return false;
		size_t m = p->part_len - p->part_got;
		if (m > LLT_LOG_IMPL_ELEM)
			m = LLT_LOG_IMPL_ELEM;
		memcpy(p->part + p->part_got, e, m);
		llt_ring_release(r, 1);
		p->part_got += m;
	}
	/* The header's len field still says the whole length. */
	memcpy(&p->head_tsc, p->part, 8);
	p->head = p->part;
	p->head_in_ring = false;
	p->part_len = p->part_got = 0;
	return true;
}

/* Encodes p's head record and lets its slot go. */
static void prod_pop(struct llt_log *lg, struct prod *p, bool in_signal)
{
	if (LLT_UNLIKELY(lg->out_len + OUT_NEED > OUT_CAP))
		write_out(lg, in_signal);
	encode(lg, p, p->head, in_signal);
	if (p->head_in_ring)
		llt_ring_release(p->pub.ring, 1);
	p->head = NULL;
}

/* The timestamp a producer holds the merge back to: its head record's,
 * or the one of the long record it is part-way through. */
static bool prod_pending_tsc(const struct prod *p, uint64_t *t)
{
	if (p->part_len != 0) {
		memcpy(t, p->part, 8);
		return true;
	}
	return false;
}

static inline bool tsc_before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

#define ROUND_MAX 65536u     /* records per round, so the loop checks flush, stop, drops */

/* One round of the k-way merge of the producers' rings, in timestamp
 * order: records older than the horizon (now - merge window), all of
 * them when force or when one producer only is linked (its ring is in
 * order).  Each step takes the producer with the oldest head and a run
 * of its records up to the second-oldest head, so the heads are scanned
 * once per run, not per record.  Returns the records written. */
static size_t merge_round(struct llt_log *lg, bool force, bool in_signal)
{
	/* Acquire: pairs with the release CAS that pushed each producer. */
	struct prod *first = __atomic_load_n(&lg->prods, __ATOMIC_ACQUIRE);
	size_t done = 0, woke = 0;
	/* Blocked producers are told of space after a quarter of a ring:
	 * often enough to overlap their work with the backend's, rarely
	 * enough that each sleep and wake-up (system calls on both sides)
	 * is paid per thousands of records. */
	const size_t wake_every = lg->ring_elems / 4 > 256 ? lg->ring_elems / 4 : 256;
	if (first == NULL)
		return 0;
	if (first->next == NULL) {
		while (done < ROUND_MAX && prod_head(first)) {
			prod_pop(lg, first, in_signal);
			if (++done - woke >= wake_every && !in_signal) {
				llt_park_notify_all(&lg->space);
				woke = done;
			}
		}
	} else {
		uint64_t horizon = llt_clock_now() - llt_clock_from_ns(lg->cfg.merge_window_ns);
		while (done < ROUND_MAX) {
			struct prod *best = NULL;
			uint64_t bt = 0, limit = 0;
			bool have_limit = !force;
			if (have_limit)
				limit = horizon;
			for (struct prod *p = first; p; p = p->next) {
				uint64_t t;
				if (prod_head(p)) {
					t = p->head_tsc;
					if (best == NULL || tsc_before(t, bt)) {
						if (best != NULL && (!have_limit || tsc_before(bt, limit))) {
							limit = bt;
							have_limit = true;
						}
						best = p;
						bt = t;
						continue;
					}
				} else if (!prod_pending_tsc(p, &t)) {
					continue;
				}
				if (!have_limit || tsc_before(t, limit)) {
					limit = t;
					have_limit = true;
				}
			}
			if (best == NULL || (!force && tsc_before(horizon, bt)))
				break;
			/* The run: best's records up to the limit (the oldest other
			 * head, or the horizon); at least its head. */
			do {
				prod_pop(lg, best, in_signal);
				if (++done - woke >= wake_every && !in_signal) {
					llt_park_notify_all(&lg->space);
					woke = done;
				}
			} while (done < ROUND_MAX && prod_head(best) &&
				 (!have_limit || !tsc_before(limit, best->head_tsc)));
		}
	}
	if (done != woke && !in_signal)
		llt_park_notify_all(&lg->space);
	return done;
}

/* Drops after a thread's last record show no gap: once the thread has
 * exited (or the logger closes), say how many there were. */
static void trailing_drops(struct llt_log *lg, struct prod *p)
{
	/* Relaxed: after the acquire load of dead (or the join of close),
	 * the producer's last store is visible. */
	uint64_t d = __atomic_load_n(&p->pub.dropped, __ATOMIC_RELAXED);
	if (d <= p->file_drops)
		return;
	if (lg->out_len + OUT_NEED > OUT_CAP)
		write_out(lg, false);
	if (lg->need_sync || lg->since_sync >= SYNC_EVERY)
		emit_sync(lg);
	uint8_t *q = lg->tmp;
	q = llt_logf_put_varint(q, p->pub.tid);
	q = llt_logf_put_varint(q, d - p->file_drops);
	emit_entry(lg, LLT_LOGF_DROP, (size_t)(q - lg->tmp));
	lg->have_tid = false;
	p->file_drops = d;
}

/* Forced rounds until the rings are empty (or a bound, if producers
 * keep up with the backend). */
static size_t drain_all(struct llt_log *lg, bool in_signal)
{
	size_t total = 0, moved;
	int rounds = 0;
	do {
		moved = merge_round(lg, true, in_signal);
		total += moved;
	} while (moved != 0 && ++rounds < 1000);
	return total;
}

static void report_drops(struct llt_log *lg)
{
	uint64_t total = 0;
	for (struct prod *p = __atomic_load_n(&lg->prods, __ATOMIC_ACQUIRE); p; p = p->next) {
		/* Relaxed: a statistic written by the producer alone. */
		uint64_t d = __atomic_load_n(&p->pub.dropped, __ATOMIC_RELAXED);
		total += d;
		if (d != p->seen_dropped) {
			if (lg->cfg.on_drop)
				lg->cfg.on_drop(lg->cfg.drop_arg, p->pub.tid, d - p->seen_dropped);
			p->seen_dropped = d;
		}
	}
	(void)total;
}

/* Unlinks and releases producers whose thread exited and whose records
 * are all written.  Under prods_lock, so that llt_log_stats() never walks
 * a producer being freed. */
static void reap(struct llt_log *lg)
{
	struct prod **pp = &lg->prods, *p;
	pthread_mutex_lock(&lg->prods_lock);
	while ((p = __atomic_load_n(pp, __ATOMIC_ACQUIRE)) != NULL) {
		/* Acquire: pairs with thread_exit's release store. */
		if (__atomic_load_n(&p->dead, __ATOMIC_ACQUIRE) && p->part_len == 0 &&
		    p->head == NULL && llt_ring_size(p->pub.ring) == 0) {
			struct prod *n = p->next;
			trailing_drops(lg, p);
			if (pp == &lg->prods) {
				struct prod *exp = p;
				/* A producer may have pushed in front of p: then p is
				 * interior now; find its predecessor. */
				if (!__atomic_compare_exchange_n(&lg->prods, &exp, n, false,
								 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
					pp = &lg->prods;
					while (*pp != p)
						pp = &(*pp)->next;
					*pp = n;
				}
			} else {
				*pp = n;
			}
			__atomic_store_n(&lg->dropped_total,
					 lg->dropped_total + __atomic_load_n(&p->pub.dropped, __ATOMIC_RELAXED),
					 __ATOMIC_RELAXED);
			prod_unref(p);
			continue;
		}
		pp = &p->next;
	}
	pthread_mutex_unlock(&lg->prods_lock);
}

/* A flush request: note how far each ring's producer has gone.  The
 * backend saw the request with an acquire load that pairs with the
 * flusher's release increment, so every record committed before the
 * call (by the flusher, or by a thread it synchronized with) is below
 * its ring's position read here.  Acquire: pairs with nothing in
 * particular (the producer stores its position relaxed); the data are
 * synchronized through the ring's own words when they are read. */
static void flush_snapshot(struct llt_log *lg)
{
	for (struct prod *p = __atomic_load_n(&lg->prods, __ATOMIC_ACQUIRE); p; p = p->next)
		p->flush_at = __atomic_load_n(&p->pub.ring->prod.pos, __ATOMIC_ACQUIRE);
}

/* Whether the backend has encoded every record below the snapshot: a
 * ring's consumer position passes a record only once it is encoded
 * (prod_pop); a long record, released as it is copied out, is owed
 * until encoded.  Producers linked after the snapshot have flush_at 0. */
static bool flush_reached(struct llt_log *lg)
{
	for (struct prod *p = __atomic_load_n(&lg->prods, __ATOMIC_ACQUIRE); p; p = p->next) {
		/* The consumer's position is this thread's own. */
		uint64_t c = p->pub.ring->cons.pos;
		if ((int64_t)(c - p->flush_at) < 0)
			return false;
		/* A long record is released from the ring as it is copied out:
		 * one copied but not yet encoded is still owed. */
		if (p->head != NULL && !p->head_in_ring)
			return false;
	}
	return true;
}

static void crash_ack_and_idle(struct llt_log *lg)
{
	drain_all(lg, false);
	write_out(lg, false);
	/* Release: pairs with the handler's acquire load; everything this
	 * thread wrote to the encoder state is visible to it. */
	__atomic_store_n(&lg->crash_ack, 1, __ATOMIC_RELEASE);
	for (;;)
		pause();
}

static void *backend_main(void *arg)
{
	struct llt_log *lg = arg;
	/* The backend runs wherever the process may run, not only where the
	 * thread that opened the logger was pinned (a pinned latency-critical
	 * thread should not share its CPU with the backend). */
	llt_cpu_unpin();
	/* Relaxed: read by the crash handler only to know whether it runs on
	 * this thread; no data depends on it. */
	__atomic_store_n(&lg->backend_tid, gettid_now(), __ATOMIC_RELAXED);
	uint64_t last_write = mono_ns();
	for (;;) {
		/* Acquire: pairs with the release stores of close, flush and
		 * the crash handler. */
		int stop = __atomic_load_n(&lg->stop, __ATOMIC_ACQUIRE);
		uint64_t req = __atomic_load_n(&lg->flush_req, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&lg->crash, __ATOMIC_ACQUIRE))
			crash_ack_and_idle(lg);
		if (req != lg->flush_seen) {
			flush_snapshot(lg);
			lg->flush_seen = req;
			lg->flush_pending = true;
		}
		bool force = stop || lg->flush_pending;
		size_t moved = merge_round(lg, force, false);
		report_drops(lg);
		bool reached = lg->flush_pending && flush_reached(lg);
		uint64_t now = mono_ns();
		if (lg->out_len >= OUT_WRITE_AT || reached || (lg->out_len && moved == 0) ||
		    (lg->out_len && now - last_write >= lg->cfg.flush_interval_ns)) {
			write_out(lg, false);
			last_write = now;
		}
		reap(lg);
		if (reached) {
			if (lg->cfg.fsync != LLT_LOG_FSYNC_NEVER)
				sink_fsync(&lg->bin);
			lg->flush_pending = false;
			/* Release: pairs with llt_log_flush's acquire load. */
			__atomic_store_n(&lg->flush_done, lg->flush_seen, __ATOMIC_RELEASE);
			llt_park_notify_all(&lg->space);
		}
		if (stop) {
			/* Close: one last complete pass after the stop flag, so a
			 * record committed before it is written. */
			drain_all(lg, false);
			report_drops(lg);
			for (struct prod *p = lg->prods; p; p = p->next)
				trailing_drops(lg, p);
			write_out(lg, false);
			__atomic_store_n(&lg->crash_ack, 1, __ATOMIC_RELEASE);
			llt_park_notify_all(&lg->space);
			break;
		}
		mods_check(lg, now);
		if (moved == 0) {
			uint32_t key = llt_park_prepare_wait(&lg->wake);
			if (__atomic_load_n(&lg->stop, __ATOMIC_ACQUIRE) ||
			    __atomic_load_n(&lg->flush_req, __ATOMIC_ACQUIRE) != lg->flush_seen ||
			    __atomic_load_n(&lg->crash, __ATOMIC_ACQUIRE))
				llt_park_cancel_wait(&lg->wake);
			else
				llt_park_commit_wait_until(&lg->wake, key, 0,
							   mono_ns() + lg->cfg.flush_interval_ns);
		}
	}
	return NULL;
}

/* --------------------------------------------------------------- the API */

void llt_log_config_init(struct llt_log_config *cfg)
{
	if (cfg == NULL)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->sinks = LLT_LOG_SINK_BINARY;
	cfg->level = LLT_LOG_INFO;
	cfg->ring_bytes = 1u << 20;
	cfg->flush_interval_ns = 1000000;
	cfg->merge_window_ns = 1000000;
	cfg->rotate_keep = 5;
	cfg->fsync = LLT_LOG_FSYNC_CLOSE;
}

const char *llt_log_level_name(int level)
{
	return llt_logdec_level_name(level);
}

static void log_free(struct llt_log *lg)
{
	if (lg->bin.fd >= 0)
		close(lg->bin.fd);
	if (lg->text.fd > STDERR_FILENO)
		close(lg->text.fd);
	free(lg->bin.path);
	free(lg->text.path);
	free(lg->out);
	free(lg->tmp);
	free(lg->descs);
	free(lg->line);
	free((void *)(uintptr_t)lg->mods);
	while (lg->mods_old) {
		struct mods_old *o = lg->mods_old;
		lg->mods_old = o->next;
		free(o->buf);
		free(o);
	}
	llt_logdec_free(&lg->tdec);
	llt_park_destroy(&lg->wake);
	llt_park_destroy(&lg->space);
	pthread_mutex_destroy(&lg->prods_lock);
	free(lg);
}

int llt_log_open(const struct llt_log_config *cfg_in, struct llt_log **out)
{
	struct llt_log_config cfg;
	if (out == NULL)
		return -EINVAL;
	if (cfg_in == NULL)
		llt_log_config_init(&cfg);
	else
		cfg = *cfg_in;
	if (cfg.sinks == 0)
		cfg.sinks = LLT_LOG_SINK_BINARY;
	if ((cfg.sinks & ~(LLT_LOG_SINK_BINARY | LLT_LOG_SINK_TEXT)) ||
	    (cfg.flags & ~(LLT_LOG_BLOCK | LLT_LOG_CRASH_HANDLER)) ||
	    ((cfg.sinks & LLT_LOG_SINK_BINARY) && cfg.path == NULL) ||
	    cfg.level < LLT_LOG_TRACE || cfg.level > LLT_LOG_OFF ||
	    cfg.fsync > LLT_LOG_FSYNC_WRITE || cfg.rotate_keep > 1000)
		return -EINVAL;
	if (cfg.ring_bytes == 0)
		cfg.ring_bytes = 1u << 20;
	if (cfg.ring_bytes < 4096 || cfg.ring_bytes > ((size_t)1 << 34))
		return -EINVAL;
	if (cfg.flush_interval_ns == 0)
		cfg.flush_interval_ns = 1000000;
	if (cfg.rotate_bytes != 0 && cfg.rotate_bytes < 4096)
		return -EINVAL;
	pthread_once(&once, global_init);
	llt_clock_init(LLT_CLOCK_MODE_AUTO);

	struct llt_log *lg;
	void *mem = NULL;
	if (posix_memalign(&mem, LLT_PAD_SIZE, sizeof(*lg)) != 0)
		return -ENOMEM;
	lg = mem;
	memset(lg, 0, sizeof(*lg));
	lg->bin.fd = lg->text.fd = -1;
	lg->cfg = cfg;
	lg->pub.level = cfg.level;
	lg->pub.flags = cfg.flags;
	lg->pub.gen = __atomic_add_fetch(&gen_counter, 1, __ATOMIC_RELAXED);
	lg->ring_elems = cfg.ring_bytes / 64;
	lg->epoch = 1;
	lg->need_sync = true;
	lg->last_tsc = llt_clock_now();
	lg->descs_cap = 1024;
	lg->slot = -1;
	llt_park_init(&lg->wake, 0);
	llt_park_init(&lg->space, 0);
	pthread_mutex_init(&lg->prods_lock, NULL);
	lg->out = malloc(OUT_CAP);
	lg->tmp = malloc(2 * LLT_LOG_IMPL_REC_MAX + 70000);
	lg->descs = calloc(lg->descs_cap, sizeof(*lg->descs));
	lg->line = malloc(64u << 10);
	int err = -ENOMEM;
	if (!lg->out || !lg->tmp || !lg->descs || !lg->line)
		goto fail;
	mods_refresh(lg);
	lg->mods_checked = mono_ns();
	if (cfg.path && (cfg.sinks & LLT_LOG_SINK_BINARY)) {
		lg->bin.path = strdup(cfg.path);
		if (lg->bin.path == NULL)
			goto fail;
		err = sink_open(lg, &lg->bin, true);
		if (err < 0)
			goto fail;
	}
	if (cfg.sinks & LLT_LOG_SINK_TEXT) {
		lg->text_on = true;
		if (cfg.text_path) {
			lg->text.path = strdup(cfg.text_path);
			err = -ENOMEM;
			if (lg->text.path == NULL)
				goto fail;
		}
		err = sink_open(lg, &lg->text, false);
		if (err < 0)
			goto fail;
		/* The text sink decodes what the encoder writes; it needs the
		 * header's clock fields only. */
		struct llt_clock_info ci;
		struct llt_clock_anchor an;
		llt_clock_info(&ci);
		llt_clock_anchor(&an);
		llt_logdec_init(&lg->tdec);
		lg->tdec.major = LLT_LOGF_MAJOR;
		lg->tdec.minor = LLT_LOGF_MINOR;
		lg->tdec.hz = ci.hz;
		lg->tdec.anchor_ticks = an.ticks;
		lg->tdec.anchor_ns = an.realtime_ns;
	}
	pthread_mutex_lock(&loggers_lock);
	for (int i = 0; i < MAX_LOGGERS; i++)
		if (loggers[i] == NULL) {
			loggers[i] = lg;
			lg->slot = i;
			break;
		}
	pthread_mutex_unlock(&loggers_lock);
	err = -EMFILE;
	if (lg->slot < 0)
		goto fail;
	err = pthread_create(&lg->backend, NULL, backend_main, lg);
	if (err != 0) {
		err = -err;
		pthread_mutex_lock(&loggers_lock);
		loggers[lg->slot] = NULL;
		pthread_mutex_unlock(&loggers_lock);
		goto fail;
	}
	if (cfg.flags & LLT_LOG_CRASH_HANDLER)
		llt_log_crash_handler(lg);
	*out = lg;
	return 0;
fail:
	if (lg->bin.path && lg->bin.fd >= 0)
		unlink(lg->bin.path);
	log_free(lg);
	return err;
}

/* The first message of a thread allocates its ring and touches every page
 * of it (llt_ring_init), 0.2-1.7 ms for the 4 MiB ring of bench_log; a
 * thread that must not pay that on a message pays it here. */
int llt_log_preallocate(struct llt_log *lg)
{
	if (lg == NULL)
		return -EINVAL;
	if (llt_log_impl_attach(lg) != NULL)
		return 0;
	/* Relaxed: as in attach, stop is a hint. */
	return __atomic_load_n(&lg->stop, __ATOMIC_RELAXED) ? -EPIPE : -ENOMEM;
}

int llt_log_flush(struct llt_log *lg)
{
	if (lg == NULL)
		return -EINVAL;
	/* Release: pairs with the backend's acquire load; a record this
	 * thread committed before is in its ring when the backend sees the
	 * request. */
	uint64_t want = __atomic_add_fetch(&lg->flush_req, 1, __ATOMIC_ACQ_REL);
	for (;;) {
		uint32_t key = llt_park_prepare_wait(&lg->space);
		/* Acquire: pairs with the backend's release store. */
		if ((int64_t)(__atomic_load_n(&lg->flush_done, __ATOMIC_ACQUIRE) - want) >= 0 ||
		    __atomic_load_n(&lg->crash_ack, __ATOMIC_ACQUIRE)) {
			llt_park_cancel_wait(&lg->space);
			break;
		}
		llt_park_notify_one(&lg->wake);
		llt_park_commit_wait_until(&lg->space, key, 0, mono_ns() + 10000000);
	}
	return __atomic_load_n(&lg->write_errors, __ATOMIC_RELAXED) ? -EIO : 0;
}

int llt_log_close(struct llt_log *lg)
{
	if (lg == NULL)
		return -EINVAL;
	/* Release: pairs with the backend's acquire load of stop. */
	__atomic_store_n(&lg->stop, 1, __ATOMIC_RELEASE);
	llt_park_notify_all(&lg->wake);
	pthread_join(lg->backend, NULL);
	pthread_mutex_lock(&loggers_lock);
	loggers[lg->slot] = NULL;
	pthread_mutex_unlock(&loggers_lock);
	if (lg->cfg.fsync != LLT_LOG_FSYNC_NEVER) {
		sink_fsync(&lg->bin);
		if (lg->text_on)
			sink_fsync(&lg->text);
	}
	int rc = lg->write_errors ? -EIO : 0;
	struct prod *p = lg->prods;
	while (p) {
		struct prod *n = p->next;
		/* Release: pairs with llt_log_impl_attach's acquire load. */
		__atomic_store_n(&p->closed, 1, __ATOMIC_RELEASE);
		prod_unref(p);
		p = n;
	}
	if (llt_log_impl_cur.log == lg)
		memset(&llt_log_impl_cur, 0, sizeof llt_log_impl_cur);
	log_free(lg);
	return rc;
}

void llt_log_set_level(struct llt_log *lg, int level)
{
	if (lg == NULL)
		return;
	if (level < LLT_LOG_TRACE)
		level = LLT_LOG_TRACE;
	if (level > LLT_LOG_OFF)
		level = LLT_LOG_OFF;
	/* Relaxed: see llt_log_level(). */
	__atomic_store_n(&lg->pub.level, level, __ATOMIC_RELAXED);
}

void llt_log_stats(struct llt_log *lg, struct llt_log_stats *st)
{
	if (lg == NULL || st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	/* Relaxed throughout: a snapshot of counters. */
	pthread_mutex_lock(&lg->prods_lock);
	st->dropped = __atomic_load_n(&lg->dropped_total, __ATOMIC_RELAXED);
	for (struct prod *p = __atomic_load_n(&lg->prods, __ATOMIC_ACQUIRE); p; p = p->next) {
		st->dropped += __atomic_load_n(&p->pub.dropped, __ATOMIC_RELAXED);
		st->blocked += __atomic_load_n(&p->pub.blocked, __ATOMIC_RELAXED);
		st->threads++;
	}
	pthread_mutex_unlock(&lg->prods_lock);
	st->logged = __atomic_load_n(&lg->logged, __ATOMIC_RELAXED);
	st->bytes = __atomic_load_n(&lg->bytes, __ATOMIC_RELAXED);
	st->write_errors = __atomic_load_n(&lg->write_errors, __ATOMIC_RELAXED);
	st->last_errno = __atomic_load_n(&lg->last_errno, __ATOMIC_RELAXED);
	st->rotations = __atomic_load_n(&lg->rotations, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ crash */

/* Async-signal-safe from here on: no malloc, no stdio, no locks; write(2)
 * through write_out(in_signal), atomics, nanosleep, libunwind's local
 * cursor (documented as signal-safe). */

static void sig_sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static void crash_record(struct llt_log *lg, int sig, siginfo_t *si, void *uc)
{
	uint8_t *q = lg->tmp;
	uint64_t now = llt_clock_now();
	uint8_t *nf_at;
	unsigned nf = 0;
	if (lg->out_len + OUT_NEED > OUT_CAP)
		write_out(lg, true);
	/* A sync marker (and with it the module map, if this file has not
	 * got it yet) before the crash entry. */
	if (lg->need_sync || lg->since_sync >= SYNC_EVERY || lg->mods_epoch != lg->epoch)
		emit_sync(lg);
	q = llt_logf_put_varint(q, llt_logf_zigzag((int64_t)(now - lg->last_tsc)));
	lg->last_tsc = now;
	q = llt_logf_put_varint(q, gettid_now());
	q = llt_logf_put_varint(q, (uint64_t)sig);
	q = llt_logf_put_varint(q, si ? (uint64_t)(uintptr_t)si->si_addr : 0);
	nf_at = q;
	*q++ = 0;   /* frame count, patched below (< 128) */
#ifdef HAVE_LIBUNWIND
	/* Raw instruction addresses only: unw_init_local2, unw_step and
	 * unw_get_reg on a local cursor are async-signal-safe (libunwind(3),
	 * "Signal Safety"); unw_get_proc_name is not (it may allocate), so
	 * the names are found offline by llt-logcat, from the module map
	 * (emit_sync) and the modules' ELF symbol tables.  Each frame keeps
	 * the 1.0 layout with offset 0 and an empty name. */
	unw_cursor_t cur;
	unw_context_t ctx;
	int ok = -1;
	/* From the interrupted context (libunwind >= 1.3): the first frame
	 * is the faulting one. */
	if (uc)
		ok = unw_init_local2(&cur, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME);
	if (ok < 0 && unw_getcontext(&ctx) == 0)
		ok = unw_init_local(&cur, &ctx);
	while (ok >= 0 && nf < LLT_LOGF_FRAMES_MAX) {
		unw_word_t ip = 0;
		unw_get_reg(&cur, UNW_REG_IP, &ip);
		if (ip == 0)
			break;
		q = llt_logf_put_varint(q, ip);
		*q++ = 0;   /* offset: unknown */
		*q++ = 0;   /* name: empty */
		nf++;
		if (unw_step(&cur) <= 0)
			break;
	}
#else
	(void)uc;
#endif
	*nf_at = (uint8_t)nf;
	emit_entry(lg, LLT_LOGF_CRASH, (size_t)(q - lg->tmp));
}

static void crash_flush(struct llt_log *lg, int sig, siginfo_t *si, void *uc)
{
	uint32_t self = gettid_now();
	/* Release: pairs with the backend's acquire load at the top of its
	 * loop. */
	__atomic_store_n(&lg->crash, 1, __ATOMIC_RELEASE);
	if (self != __atomic_load_n(&lg->backend_tid, __ATOMIC_RELAXED)) {
		llt_park_notify_all(&lg->wake);
		for (uint64_t waited = 0; waited < CRASH_WAIT_NS; waited += 1000000) {
			/* Acquire: pairs with crash_ack_and_idle's release store. */
			if (__atomic_load_n(&lg->crash_ack, __ATOMIC_ACQUIRE))
				break;
			sig_sleep_ms(1);
		}
	}
	/* The backend now idles (or it is this thread, or it did not answer
	 * in time): this thread is the only consumer.  Drop a half-encoded
	 * batch tail by re-syncing, then take whatever the rings still hold. */
	lg->need_sync = true;
	drain_all(lg, true);
	crash_record(lg, sig, si, uc);
	write_out(lg, true);
	if (lg->bin.fd >= 0)
		fdatasync(lg->bin.fd);
}

static void crash_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	if (__atomic_exchange_n(&crash_busy, 1, __ATOMIC_ACQ_REL) == 0) {
		for (int i = 0; i < MAX_LOGGERS; i++) {
			struct llt_log *lg = __atomic_load_n(&loggers[i], __ATOMIC_ACQUIRE);
			if (lg && (lg->cfg.flags & LLT_LOG_CRASH_HANDLER))
				crash_flush(lg, sig, si, uc);
		}
	}
	/* Restore the previous handlers and re-raise: the signal is blocked
	 * until this handler returns, then delivered to the old disposition
	 * (for a fault, returning re-executes the instruction anyway). */
	for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
		sigaction(crash_signals[i], &crash_old[crash_signals[i]], NULL);
	errno = saved;
	raise(sig);
}

int llt_log_crash_handler(struct llt_log *lg)
{
	if (lg == NULL)
		return -EINVAL;
	lg->cfg.flags |= LLT_LOG_CRASH_HANDLER;
	pthread_mutex_lock(&loggers_lock);
	if (!crash_installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = crash_handler;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
			sigaction(crash_signals[i], &sa, &crash_old[crash_signals[i]]);
		crash_installed = true;
	}
	pthread_mutex_unlock(&loggers_lock);
	return 0;
}
