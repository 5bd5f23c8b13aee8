/* llt/prof.h: probes, the registry of per-thread recorders, snapshots.
 *
 * Each (thread, probe) pair owns a struct llt_prof_impl_slot: an
 * llt_hist_recorder (Gil Tene's WriterReaderPhaser, HdrHistogram's
 * Recorder) plus, for each of the recorder's two phases, the exemplars,
 * outlier backtraces and gap counters the thread gathered in that phase.
 * The writer touches only the active phase, between the recorder's enter
 * and exit; llt_prof_snapshot() flips every recorder, issues one heavy
 * fence for all of them (membarrier(2), see lib/hist.c), and once a
 * recorder's wait returns owns its old phase until the next flip: it reads
 * and clears the phase's data with plain accesses, and the next flip's
 * seq_cst store of the phase (read by the writer's phase load at its next
 * enter) publishes the cleared phase to the writer.  Only the snapshot
 * flips the profiler's recorders, under llt_prof_impl_lock, so the phase
 * it owns is the one not active. */
#include "internal.h"
#include "hist_int.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <dlfcn.h>

#ifdef HAVE_LIBUNWIND
#  define UNW_LOCAL_ONLY
#  include <libunwind.h>
#endif

#include "prof_int.h"

pthread_mutex_t llt_prof_impl_lock = PTHREAD_MUTEX_INITIALIZER;

LLT_API __thread struct llt_prof_impl_tls *llt_prof_impl_tls_p __attribute__((tls_model("initial-exec")));
LLT_API __thread struct llt_prof_impl_slot *llt_prof_impl_fast[LLT_PROF_IMPL_FAST]
	__attribute__((tls_model("initial-exec")));

/* Probes by id (ids are never reused, so a thread's table entry of a
 * freed probe is never looked at again); NULL once freed. */
static struct prof_probe **by_id;
static uint32_t nids, cap_ids;
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static bool tls_key_ok;

int64_t llt_prof_impl_realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint32_t llt_prof_impl_row(uint64_t ns)
{
	if (ns <= 1)
		return 0;
	double r = floor(log2((double)ns) * PROF_HM_ROWS_PER_OCTAVE + 1e-9);
	if (r >= PROF_HM_ROWS - 1)
		return PROF_HM_ROWS - 1;
	return (uint32_t)r;
}

double llt_prof_impl_row_low(uint32_t row)
{
	return exp2((double)row / PROF_HM_ROWS_PER_OCTAVE);
}

bool llt_prof_backtraces_enabled(void)
{
#ifdef HAVE_LIBUNWIND
	return true;
#else
	return false;
#endif
}

/* ------------------------------------------------------------ threads */

/* Thread exit: the thread's slots stay with their probes (their counts are
 * reported), marked free for the next thread that records the probe. */
static void tls_destroy(void *arg)
{
	struct llt_prof_impl_tls *t = arg;
	pthread_mutex_lock(&llt_prof_impl_lock);
	for (uint32_t i = 0; i < t->n; i++)
		if (t->slots[i] && i < nids && by_id[i])
			t->slots[i]->alive = 0;
	pthread_mutex_unlock(&llt_prof_impl_lock);
	llt_prof_impl_tls_p = NULL;
	memset(llt_prof_impl_fast, 0, sizeof llt_prof_impl_fast);
	free(t->slots);
	free(t);
}

static void tls_init(void)
{
	tls_key_ok = pthread_key_create(&tls_key, tls_destroy) == 0;
}

static void slot_free(struct llt_prof_impl_slot *s)
{
	llt_hist_recorder_destroy(&s->rec);
	free(s->phase[0].out);
	free(s->phase[1].out);
	free(s);
}

static struct llt_prof_impl_slot *slot_new(struct prof_probe *p)
{
	struct llt_prof_impl_slot *s;
	const struct llt_prof_probe_attr *a = &p->attr;
	if (posix_memalign((void **)&s, LLT_PAD_SIZE, sizeof *s) != 0)
		return NULL;
	memset(s, 0, sizeof *s);
	if (llt_hist_recorder_init(&s->rec, a->lowest_ns, a->highest_ns, a->digits) < 0) {
		free(s);
		return NULL;
	}
	s->kex = a->exemplars;
	s->kout = a->outliers;
	for (int i = 0; i < 2; i++) {
		s->phase[i].out = calloc(a->outliers ? a->outliers : 1, sizeof *s->phase[i].out);
		s->phase[i].thr_ns = p->thr_ns;
		if (!s->phase[i].out) {
			slot_free(s);
			return NULL;
		}
	}
	if (a->expected_interval_ns) {
		s->interval_ticks = llt_clock_from_ns(a->expected_interval_ns);
		if (s->interval_ticks == 0)
			s->interval_ticks = 1;
		s->gap_ticks = 2 * s->interval_ticks;
	} else {
		s->gap_ticks = UINT64_MAX;
	}
	return s;
}

/* The first sample of a probe in this thread: find or make the thread's
 * slot (a slot left by an exited thread is reused), under the registry
 * lock.  Returns NULL when out of memory; the sample is then counted as
 * dropped. */
struct llt_prof_impl_slot *llt_prof_impl_slot_slow(struct llt_prof_probe *probe)
{
	struct prof_probe *p = (struct prof_probe *)(void *)probe;
	struct llt_prof_impl_slot *s = NULL;
	bool fresh_thread = false;
	pthread_once(&tls_once, tls_init);
	pthread_mutex_lock(&llt_prof_impl_lock);
	struct llt_prof_impl_tls *t = llt_prof_impl_tls_p;
	uint32_t id = probe->impl_id;
	if (!t) {
		t = calloc(1, sizeof *t);
		if (!t)
			goto out;
		if (tls_key_ok)
			pthread_setspecific(tls_key, t);
		llt_prof_impl_tls_p = t;
		fresh_thread = true;
	}
	if (id >= t->n) {
		uint32_t n = t->n ? t->n : 16;
		while (n <= id)
			n *= 2;
		struct llt_prof_impl_slot **v = realloc(t->slots, n * sizeof *v);
		if (!v)
			goto out;
		memset(v + t->n, 0, (n - t->n) * sizeof *v);
		t->slots = v;
		t->n = n;
	}
	if (t->slots[id]) { /* another path registered it meanwhile */
		s = t->slots[id];
		goto out;
	}
	for (s = p->slots; s; s = s->next)
		if (!s->alive)
			break;
	if (!s) {
		s = slot_new(p);
		if (!s)
			goto out;
		s->next = p->slots;
		p->slots = s;
		p->threads++;
	}
	s->alive = 1;
	s->last_start = 0;
	s->tid = (uint32_t)syscall(SYS_gettid);
	t->slots[id] = s;
out:
	if (s && id < LLT_PROF_IMPL_FAST)
		llt_prof_impl_fast[id] = s;
	if (!s)
		__atomic_fetch_add(&p->dropped, 1, __ATOMIC_RELAXED); /* a counter, read under the lock */
	pthread_mutex_unlock(&llt_prof_impl_lock);
#if defined(HAVE_LIBUNWIND) && !defined(__SANITIZE_THREAD__)
	/* libunwind sets up its per-thread cache on the first call: do that
	 * here, not in an outlier's path.  Not under ThreadSanitizer, whose
	 * runtime crashes in that cache's destructor at thread exit (a mutex
	 * locked after TSan has finished the thread); there, only threads
	 * that capture an outlier create the cache. */
	if (fresh_thread) {
		void *ip[4];
		unw_backtrace(ip, 4);
	}
#else
	(void)fresh_thread;
#endif
	return s;
}

/* ------------------------------------------------------------ slow path */

/* A sample above the phase's bar, or after a long gap.  Runs inside the
 * writer's phase: no lock, no allocation. */
void llt_prof_impl_slow(struct llt_prof_impl_slot *s, struct llt_prof_impl_phase *ph, uint64_t ns, uint64_t start,
			uint64_t gap, uint64_t tag)
{
	if (s->interval_ticks && s->last_start && (int64_t)gap > 0 && gap >= s->gap_ticks) {
		ph->stalls++;
		ph->missed += gap / s->interval_ticks - 1;
		if (gap > ph->max_gap)
			ph->max_gap = gap;
	}
	if (ns <= ph->slow_ns)
		return;
	/* Exemplars: keep the K largest. */
	if (s->kex) {
		uint32_t k = s->kex, i;
		if (ph->nex < k) {
			i = ph->nex++;
		} else {
			i = 0;
			for (uint32_t j = 1; j < k; j++)
				if (ph->ex[j].ns < ph->ex[i].ns)
					i = j;
			if (ns <= ph->ex[i].ns)
				i = k;
		}
		if (i < k) {
			struct llt_prof_exemplar *e = &ph->ex[i];
			e->ns = ns;
			e->tsc = start;
			e->tag = tag;
			e->tid = s->tid;
			e->realtime_ns = 0;
			e->interval = 0;
		}
	}
	/* Outliers: a backtrace into the bounded buffer. */
	if (ns > ph->thr_ns) {
		ph->outliers++;
		if (ph->nout < s->kout) {
			struct llt_prof_stack *o = &ph->out[ph->nout++];
			o->count = 1;
			o->min_ns = o->max_ns = o->sum_ns = ns;
			o->depth = 0;
#ifdef HAVE_LIBUNWIND
			void *ip[LLT_PROF_STACK_DEPTH + 1];
			int n = unw_backtrace(ip, LLT_PROF_STACK_DEPTH + 1);
			/* ip[0] is in this function: drop it. */
			for (int j = 1; j < n; j++)
				o->ip[o->depth++] = ip[j];
#endif
		}
	}
	/* The new bar: the K-th worst once there are K, else 0 (every sample
	 * is an exemplar candidate); never above the outlier threshold. */
	uint64_t bar = 0;
	if (s->kex && ph->nex >= s->kex) {
		bar = ph->ex[0].ns;
		for (uint32_t j = 1; j < s->kex; j++)
			if (ph->ex[j].ns < bar)
				bar = ph->ex[j].ns;
	} else if (!s->kex) {
		bar = UINT64_MAX;
	}
	ph->slow_ns = bar < ph->thr_ns ? bar : ph->thr_ns;
}

/* ------------------------------------------------------------ set-up */

int llt_prof_create(const char *title, struct llt_prof **out)
{
	if (!out)
		return -EINVAL;
	struct llt_prof *prof = calloc(1, sizeof *prof);
	if (!prof)
		return -ENOMEM;
	snprintf(prof->title, sizeof prof->title, "%s", title ? title : "");
	/* Decide the recorders' fence protocol now: registering for
	 * membarrier may wait for an RCU grace period, which should not fall
	 * on a thread's first sample. */
	(void)llt_hist_impl_fence_mode();
	prof->tail = &prof->probes;
	prof->created_ns = prof->last_ns = llt_prof_impl_realtime();
	*out = prof;
	return 0;
}

static void probe_free(struct prof_probe *p)
{
	struct llt_prof_impl_slot *s, *n;
	for (s = p->slots; s; s = n) {
		n = s->next;
		slot_free(s);
	}
	llt_hist_destroy(&p->total);
	llt_hist_destroy(&p->interval);
	free(p->stacks);
	free(p->cols);
	free(p);
}

void llt_prof_free(struct llt_prof *prof)
{
	if (!prof)
		return;
	pthread_mutex_lock(&llt_prof_impl_lock);
	struct prof_probe *p, *n;
	for (p = prof->probes; p; p = p->next)
		by_id[p->head.impl_id] = NULL;
	pthread_mutex_unlock(&llt_prof_impl_lock);
	for (p = prof->probes; p; p = n) {
		n = p->next;
		probe_free(p);
	}
	free(prof);
}

/* Room for one more id in by_id (registry lock held). */
static bool grow_ids(void)
{
	if (nids < cap_ids)
		return true;
	if (cap_ids >= UINT32_MAX / 4)
		return false;
	uint32_t n = cap_ids ? 2 * cap_ids : 64;
	struct prof_probe **v = realloc(by_id, n * sizeof *v);
	if (!v)
		return false;
	by_id = v;
	cap_ids = n;
	return true;
}

static bool attr_zero(const uint64_t *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i])
			return false;
	return true;
}

int llt_prof_probe_create(struct llt_prof *prof, const char *name, const struct llt_prof_probe_attr *attr,
			  struct llt_prof_probe **out)
{
	struct llt_prof_probe_attr a;
	if (!prof || !name || !*name || strlen(name) >= LLT_PROF_NAME_MAX || !out)
		return -EINVAL;
	if (attr)
		a = *attr;
	else
		memset(&a, 0, sizeof a);
	if (!attr_zero(a.reserved, sizeof a.reserved / sizeof a.reserved[0]) || (a.flags & ~LLT_PROF_OUTLIER_P999) ||
	    a.exemplars > LLT_PROF_EXEMPLARS_MAX || a.outliers > 4096 || a.digits < 0 ||
	    a.digits > LLT_HIST_DIGITS_MAX)
		return -EINVAL;
	if (!a.lowest_ns)
		a.lowest_ns = 1;
	if (!a.highest_ns)
		a.highest_ns = UINT64_C(10000000000);
	if (!a.digits)
		a.digits = 3;
	if (!attr || !a.exemplars)
		a.exemplars = 4;
	if (!attr || !a.outliers)
		a.outliers = 32;
	if (llt_hist_memsize(a.lowest_ns, a.highest_ns, a.digits) == 0)
		return -EINVAL;
	struct prof_probe *p;
	if (posix_memalign((void **)&p, 64, sizeof *p) != 0)
		return -ENOMEM;
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->attr = a;
	p->prof = prof;
	p->col_span = 1;
	p->thr_ns = (a.flags & LLT_PROF_OUTLIER_P999) || !a.outlier_ns ? UINT64_MAX : a.outlier_ns;
	p->stacks = calloc(PROF_STACKS, sizeof *p->stacks);
	int rc = -ENOMEM;
	if (!p->stacks)
		goto fail;
	if ((rc = llt_hist_init(&p->total, a.lowest_ns, a.highest_ns, a.digits)) < 0)
		goto fail;
	if ((rc = llt_hist_init(&p->interval, a.lowest_ns, a.highest_ns, a.digits)) < 0) {
		llt_hist_destroy(&p->total);
		goto fail;
	}
	pthread_mutex_lock(&llt_prof_impl_lock);
	if (!grow_ids()) {
		pthread_mutex_unlock(&llt_prof_impl_lock);
		llt_hist_destroy(&p->total);
		llt_hist_destroy(&p->interval);
		rc = -ENOMEM;
		goto fail;
	}
	p->head.impl_id = nids;
	by_id[nids++] = p;
	*prof->tail = p;
	prof->tail = &p->next;
	prof->nprobes++;
	pthread_mutex_unlock(&llt_prof_impl_lock);
	*out = &p->head;
	return 0;
fail:
	free(p->stacks);
	free(p);
	return rc;
}

/* ------------------------------------------------------------ snapshots */

/* Insert e into a list kept in decreasing latency, at most k long. */
static void ex_insert(struct llt_prof_exemplar *v, uint32_t *n, uint32_t k, const struct llt_prof_exemplar *e)
{
	uint32_t i = *n;
	while (i > 0 && v[i - 1].ns < e->ns)
		i--;
	if (i >= k)
		return;
	uint32_t last = *n < k ? *n : k - 1;
	memmove(&v[i + 1], &v[i], (last - i) * sizeof *v);
	v[i] = *e;
	if (*n < k)
		(*n)++;
}

static void stack_add(struct prof_probe *p, const struct llt_prof_stack *o)
{
	for (uint32_t i = 0; i < p->nstacks; i++) {
		struct llt_prof_stack *t = &p->stacks[i];
		if (t->depth == o->depth && !memcmp(t->ip, o->ip, o->depth * sizeof o->ip[0])) {
			t->count += o->count;
			t->sum_ns += o->sum_ns;
			if (o->min_ns < t->min_ns)
				t->min_ns = o->min_ns;
			if (o->max_ns > t->max_ns)
				t->max_ns = o->max_ns;
			return;
		}
	}
	if (p->nstacks < PROF_STACKS)
		p->stacks[p->nstacks++] = *o;
	else
		p->stacks_other += o->count;
}

static uint32_t sat32(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;
	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* One heatmap column per snapshot; when PROF_HM_COLS are full, pairs
 * merge and each column then spans twice as many snapshots. */
static void col_add(struct prof_probe *p, const struct llt_hist *h, int64_t start, int64_t end)
{
	if (!p->cols && !(p->cols = calloc(PROF_HM_COLS, sizeof *p->cols)))
		return;
	if (p->ncols == 0 || p->col_fill >= p->col_span) {
		if (p->ncols == PROF_HM_COLS) {
			for (uint32_t i = 0; i < PROF_HM_COLS / 2; i++) {
				struct prof_col *a = &p->cols[2 * i], *b = &p->cols[2 * i + 1], m = *a;
				m.end_ns = b->end_ns;
				m.count += b->count;
				if (b->max > m.max)
					m.max = b->max;
				for (uint32_t r = 0; r < PROF_HM_ROWS; r++)
					m.rows[r] = sat32(a->rows[r], b->rows[r]);
				p->cols[i] = m;
			}
			p->ncols = PROF_HM_COLS / 2;
			p->col_span *= 2;
		}
		if (p->ncols == 0 || p->col_fill >= p->col_span) {
			struct prof_col *c = &p->cols[p->ncols++];
			memset(c, 0, sizeof *c);
			c->start_ns = start;
			p->col_fill = 0;
		}
	}
	struct prof_col *c = &p->cols[p->ncols - 1];
	c->end_ns = end;
	p->col_fill++;
	struct llt_hist_iter it;
	if (llt_hist_iter_init(&it, h, LLT_HIST_ITER_RECORDED, 0, 0) < 0)
		return;
	while (llt_hist_iter_next(&it)) {
		uint32_t r = llt_prof_impl_row(it.value_from);
		c->rows[r] = sat32(c->rows[r], it.count);
		c->count += it.count;
	}
	uint64_t mx = llt_hist_count(h) ? llt_hist_max(h) : 0;
	if (mx > c->max)
		c->max = mx;
}

static struct llt_prof_impl_phase *old_phase(struct llt_prof_impl_slot *s)
{
	/* relaxed: only the snapshot, under the registry lock, flips it. */
	return &s->phase[!__atomic_load_n(&s->rec.impl_phase, __ATOMIC_RELAXED)];
}

int llt_prof_impl_snapshot_locked(struct llt_prof *prof)
{
	int64_t now = llt_prof_impl_realtime(), start = prof->last_ns;
	int rc = 0;
	prof->last_ns = now;
	prof->intervals++;
	/* Flip every recorder, then one heavy fence for all of them (one
	 * membarrier IPI round, not one per thread and probe). */
	uint32_t mode = LLT_HIST_IMPL_FENCE_FULL;
	for (struct prof_probe *p = prof->probes; p; p = p->next)
		for (struct llt_prof_impl_slot *s = p->slots; s; s = s->next) {
			(void)llt_hist_impl_flip(&s->rec);
			mode |= s->rec.impl_mode;
		}
	llt_hist_impl_fence_heavy(mode);
	for (struct prof_probe *p = prof->probes; p; p = p->next) {
		uint32_t k = p->attr.exemplars;
		struct llt_prof_impl_slot *s;
		llt_hist_reset(&p->interval);
		p->nex_last = 0;
		for (s = p->slots; s; s = s->next) {
			llt_hist_impl_wait(&s->rec);
			int r = llt_hist_impl_collect(&s->rec, !s->rec.impl_phase, &p->interval);
			if (r < 0)
				rc = r;
			struct llt_prof_impl_phase *ph = old_phase(s);
			for (uint32_t i = 0; i < ph->nex && i < k; i++) {
				struct llt_prof_exemplar e = ph->ex[i];
				e.realtime_ns = llt_clock_to_realtime_ns(e.tsc);
				e.interval = (uint32_t)prof->intervals;
				ex_insert(p->ex_last, &p->nex_last, k, &e);
			}
			for (uint32_t i = 0; i < ph->nout; i++)
				stack_add(p, &ph->out[i]);
			p->outliers += ph->outliers;
			p->outliers_dropped += ph->outliers - ph->nout;
			p->stalls += ph->stalls;
			p->missed += ph->missed;
			if (ph->max_gap) {
				uint64_t g = llt_clock_to_ns(ph->max_gap);
				if (g > p->max_gap_ns)
					p->max_gap_ns = g;
			}
		}
		int r = llt_hist_add(&p->total, &p->interval);
		if (r < 0)
			rc = r;
		for (uint32_t i = 0; i < p->nex_last; i++)
			ex_insert(p->ex_all, &p->nex_all, k, &p->ex_last[i]);
		p->intervals++;
		if (p->attr.flags & LLT_PROF_OUTLIER_P999)
			/* Only once 100 samples lie above it: a p99.9 that rests
			 * on one or two samples swings widely, and an early low
			 * estimate would call a large share of samples outliers. */
			p->thr_ns = llt_hist_count(&p->total) >= 100000 ? llt_hist_value_at_percentile(&p->total, 99.9)
									: UINT64_MAX;
		/* The old phases go back to their writers cleared, with the
		 * current threshold; the next flip publishes them. */
		for (s = p->slots; s; s = s->next) {
			struct llt_prof_impl_phase *ph = old_phase(s);
			ph->nex = ph->nout = 0;
			ph->outliers = ph->stalls = ph->missed = ph->max_gap = 0;
			/* relaxed: the writer loads both phases' bars and
			 * uses the active one's (llt/bits/prof_impl.h). */
			__atomic_store_n(&ph->slow_ns, 0, __ATOMIC_RELAXED);
			ph->thr_ns = p->thr_ns;
		}
		col_add(p, &p->interval, start, now);
	}
	return rc;
}

int llt_prof_snapshot(struct llt_prof *prof)
{
	if (!prof)
		return -EINVAL;
	pthread_mutex_lock(&llt_prof_impl_lock);
	int rc = llt_prof_impl_snapshot_locked(prof);
	pthread_mutex_unlock(&llt_prof_impl_lock);
	return rc;
}

int llt_prof_reset(struct llt_prof *prof)
{
	if (!prof)
		return -EINVAL;
	pthread_mutex_lock(&llt_prof_impl_lock);
	int rc = llt_prof_impl_snapshot_locked(prof);
	for (struct prof_probe *p = prof->probes; p; p = p->next) {
		llt_hist_reset(&p->total);
		llt_hist_reset(&p->interval);
		p->intervals = 0;
		p->nex_last = p->nex_all = 0;
		p->outliers = p->outliers_dropped = p->stacks_other = 0;
		p->nstacks = 0;
		p->stalls = p->missed = p->max_gap_ns = 0;
		p->ncols = p->col_fill = 0;
		p->col_span = 1;
		__atomic_store_n(&p->dropped, 0, __ATOMIC_RELAXED); /* a counter */
	}
	prof->intervals = 0;
	prof->created_ns = prof->last_ns;
	pthread_mutex_unlock(&llt_prof_impl_lock);
	return rc;
}

/* ------------------------------------------------------------ queries */

const struct llt_hist *llt_prof_probe_hist(const struct llt_prof_probe *probe)
{
	return probe ? &((const struct prof_probe *)(const void *)probe)->total : NULL;
}

int llt_prof_probe_info(const struct llt_prof_probe *probe, struct llt_prof_info *info)
{
	if (!probe || !info)
		return -EINVAL;
	const struct prof_probe *p = (const struct prof_probe *)(const void *)probe;
	pthread_mutex_lock(&llt_prof_impl_lock);
	memset(info, 0, sizeof *info);
	memcpy(info->name, p->name, sizeof info->name);
	info->count = llt_hist_count(&p->total);
	info->interval_count = llt_hist_count(&p->interval);
	info->intervals = p->intervals;
	info->threads = p->threads;
	info->outlier_ns = p->thr_ns == UINT64_MAX ? 0 : p->thr_ns;
	info->outliers = p->outliers;
	info->outliers_dropped = p->outliers_dropped;
	info->stacks = p->nstacks;
	info->expected_interval_ns = p->attr.expected_interval_ns;
	info->stalls = p->stalls;
	info->missed = p->missed;
	info->max_gap_ns = p->max_gap_ns;
	info->dropped = __atomic_load_n(&p->dropped, __ATOMIC_RELAXED); /* a counter */
	info->hist = &p->total;
	info->last_interval = &p->interval;
	pthread_mutex_unlock(&llt_prof_impl_lock);
	return 0;
}

ssize_t llt_prof_probe_exemplars(const struct llt_prof_probe *probe, unsigned flags, struct llt_prof_exemplar *out,
				 size_t n)
{
	if (!probe || (!out && n) || (flags & ~LLT_PROF_LAST_INTERVAL))
		return -EINVAL;
	const struct prof_probe *p = (const struct prof_probe *)(const void *)probe;
	pthread_mutex_lock(&llt_prof_impl_lock);
	const struct llt_prof_exemplar *v = flags & LLT_PROF_LAST_INTERVAL ? p->ex_last : p->ex_all;
	size_t m = flags & LLT_PROF_LAST_INTERVAL ? p->nex_last : p->nex_all;
	if (m > n)
		m = n;
	if (m)
		memcpy(out, v, m * sizeof *v);
	pthread_mutex_unlock(&llt_prof_impl_lock);
	return (ssize_t)m;
}

static int stack_cmp(const void *a, const void *b)
{
	const struct llt_prof_stack *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->max_ns < y->max_ns ? 1 : x->max_ns > y->max_ns ? -1 : 0;
}

void llt_prof_impl_sort_stacks(struct prof_probe *p)
{
	qsort(p->stacks, p->nstacks, sizeof *p->stacks, stack_cmp);
}

ssize_t llt_prof_probe_stacks(const struct llt_prof_probe *probe, struct llt_prof_stack *out, size_t n)
{
	if (!probe || (!out && n))
		return -EINVAL;
	struct prof_probe *p = (struct prof_probe *)(const void *)probe;
	pthread_mutex_lock(&llt_prof_impl_lock);
	llt_prof_impl_sort_stacks(p);
	size_t m = p->nstacks < n ? p->nstacks : n;
	if (m)
		memcpy(out, p->stacks, m * sizeof *out);
	pthread_mutex_unlock(&llt_prof_impl_lock);
	return (ssize_t)m;
}

/* dladdr() names exported (dynamic) symbols only: a static function shows
 * as the nearest exported symbol before it, or as file+offset. */
int llt_prof_symbol(const void *ip, char *buf, size_t size)
{
	if (!ip || !buf || !size)
		return -EINVAL;
	Dl_info di;
	/* A return address points after the call: look up the call itself. */
	if (dladdr((const char *)ip - 1, &di) && di.dli_fname) {
		const char *file = strrchr(di.dli_fname, '/');
		file = file ? file + 1 : di.dli_fname;
		if (di.dli_sname && di.dli_saddr) {
			snprintf(buf, size, "%s+0x%lx (%s)", di.dli_sname,
				 (unsigned long)((const char *)ip - (const char *)di.dli_saddr), file);
			return 0;
		}
		snprintf(buf, size, "%s+0x%lx", file, (unsigned long)((const char *)ip - (const char *)di.dli_fbase));
		return -ENOENT;
	}
	snprintf(buf, size, "%p", ip);
	return -ENOENT;
}
