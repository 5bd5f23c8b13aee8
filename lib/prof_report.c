/* llt/prof.h: the text report and the SVG pictures.  Nothing here runs on
 * a recording path; everything reads the reporter-side state under the
 * registry lock. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "prof_int.h"

/* ------------------------------------------------------------ helpers */

/* A latency in three significant figures: "850ns", "12.3us", "4.56ms";
 * micro is "us" in text, "µs" in SVG. */
static const char *fmt_ns(char *b, size_t n, double ns, int sep, bool utf8)
{
	static const char *const unit_t[] = { "ns", "us", "ms", "s" };
	static const char *const unit_u[] = { "ns", "\xc2\xb5s", "ms", "s" };
	double v = ns;
	int u = 0;
	while (u < 3 && v >= 999.5) {
		v /= 1000;
		u++;
	}
	const char *unit = utf8 ? unit_u[u] : unit_t[u];
	const char *sp = sep ? " " : "";
	if (u == 0 || v >= 99.95)
		snprintf(b, n, "%.0f%s%s", v, sp, unit);
	else if (v >= 9.995)
		snprintf(b, n, "%.1f%s%s", v, sp, unit);
	else
		snprintf(b, n, "%.2f%s%s", v, sp, unit);
	return b;
}

/* An axis label: "1 ns", "20 µs", "500 ms", "1 s". */
static const char *fmt_axis(char *b, size_t n, double ns)
{
	static const char *const unit[] = { "ns", "\xc2\xb5s", "ms", "s" };
	int u = 0;
	while (u < 3 && ns >= 999.5) {
		ns /= 1000;
		u++;
	}
	snprintf(b, n, "%g %s", ns, unit[u]);
	return b;
}

/* A count in at most 5 characters: 999, 12.3k, 1.23M. */
static const char *fmt_count(char *b, size_t n, uint64_t c)
{
	if (c < 10000)
		snprintf(b, n, "%" PRIu64, c);
	else if (c < 1000000)
		snprintf(b, n, "%.1fk", c / 1e3);
	else if (c < 1000000000)
		snprintf(b, n, "%.2fM", c / 1e6);
	else
		snprintf(b, n, "%.2fG", c / 1e9);
	return b;
}

static int term_width(FILE *f, int width)
{
	if (width > 0)
		return width < 40 ? 40 : width > 400 ? 400 : width;
	const char *e = getenv("COLUMNS");
	int w = e ? atoi(e) : 0;
	if (w <= 0) {
		struct winsize ws;
		int fd = fileno(f);
		if (fd >= 0 && isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
			w = ws.ws_col;
	}
	if (w <= 0)
		w = 80;
	return w < 40 ? 40 : w > 400 ? 400 : w;
}

/* Writes to f; the first failure sticks. */
struct out {
	FILE *f;
	int err;
};

static void LLT_PRINTF(2, 3) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->err)
		return;
	va_start(ap, fmt);
	if (vfprintf(o->f, fmt, ap) < 0)
		o->err = -EIO;
	va_end(ap);
}

/* ------------------------------------------------------------ text */

static const double pct_cols[] = { 50, 90, 99, 99.9, 99.99 };

static void report_bars(struct out *o, const struct prof_probe *p, int width)
{
	const struct llt_hist *h = &p->total;
	uint64_t total = llt_hist_count(h);
	if (!total)
		return;
	/* Rows of half an octave, or a whole one if that gives too many. */
	double lo = (double)llt_hist_min(h), hi = (double)llt_hist_max(h);
	if (lo < 1)
		lo = 1;
	if (hi < lo)
		hi = lo;
	int per = (log2(hi) - log2(lo)) * 2 > 28 ? 1 : 2;
	int r0 = (int)floor(log2(lo) * per + 1e-9), r1 = (int)floor(log2(hi) * per + 1e-9);
	int nr = r1 - r0 + 1;
	uint64_t rows[96] = { 0 }, mx = 0;
	if (nr > 96)
		nr = 96;
	struct llt_hist_iter it;
	if (llt_hist_iter_init(&it, h, LLT_HIST_ITER_RECORDED, 0, 0) < 0)
		return;
	while (llt_hist_iter_next(&it)) {
		double v = it.value_from < 1 ? 1 : (double)it.value_from;
		int r = (int)floor(log2(v) * per + 1e-9) - r0;
		r = r < 0 ? 0 : r >= nr ? nr - 1 : r;
		rows[r] += it.count;
	}
	for (int r = 0; r < nr; r++)
		if (rows[r] > mx)
			mx = rows[r];
	/* "  12.3us - 17.4us |####    | 12.34%  1.23M" */
	int barw = width - 19 - 2 - 8 - 7;
	if (barw < 10)
		barw = 10;
	put(o, "\n%s: distribution of %" PRIu64 " samples (bar = share of the largest row)\n", p->name, total);
	for (int r = 0; r < nr; r++) {
		char a[16], b[16], c[16];
		double va = exp2((double)(r0 + r) / per), vb = exp2((double)(r0 + r + 1) / per);
		int len = (int)((double)rows[r] / (double)mx * barw + 0.5);
		put(o, "  %7s-%-7s |", fmt_ns(a, sizeof a, va, 0, false), fmt_ns(b, sizeof b, vb, 0, false));
		for (int i = 0; i < barw; i++)
			put(o, "%c", i < len ? '#' : (i == 0 && rows[r] ? '.' : ' '));
		put(o, "| %6.2f%% %6s\n", 100.0 * (double)rows[r] / (double)total, fmt_count(c, sizeof c, rows[r]));
	}
}

static void report_outliers(struct out *o, struct prof_probe *p)
{
	char a[16], b[16], c[16], sym[256];
	if (!p->outliers)
		return;
	if (p->attr.flags & LLT_PROF_OUTLIER_P999)
		put(o, "\n%s: %" PRIu64 " outliers above p99.9 (now %s)", p->name, p->outliers,
		    fmt_ns(a, sizeof a, (double)p->thr_ns, 1, false));
	else
		put(o, "\n%s: %" PRIu64 " outliers above %s", p->name, p->outliers,
		    fmt_ns(a, sizeof a, (double)p->thr_ns, 1, false));
	if (!llt_prof_backtraces_enabled()) {
		put(o, "; backtraces are off (libllt was built without libunwind)\n");
		return;
	}
	put(o, "; %" PRIu64 " backtraces kept, %" PRIu64 " not (buffer full)\n", p->outliers - p->outliers_dropped,
	    p->outliers_dropped);
	llt_prof_impl_sort_stacks(p);
	const struct llt_prof_stack *st = p->stacks;
	ssize_t n = p->nstacks < 3 ? p->nstacks : 3;
	for (ssize_t i = 0; i < n; i++) {
		put(o, "  #%zd  %" PRIu64 " samples, %s .. %s, mean %s:\n", i + 1, st[i].count,
		    fmt_ns(a, sizeof a, (double)st[i].min_ns, 1, false),
		    fmt_ns(b, sizeof b, (double)st[i].max_ns, 1, false),
		    fmt_ns(c, sizeof c, (double)st[i].sum_ns / (double)st[i].count, 1, false));
		uint32_t d = st[i].depth < 8 ? st[i].depth : 8;
		for (uint32_t j = 0; j < d; j++) {
			llt_prof_symbol(st[i].ip[j], sym, sizeof sym);
			put(o, "        %s\n", sym);
		}
		if (st[i].depth > d)
			put(o, "        ... %u more frames\n", st[i].depth - d);
	}
	if (p->stacks_other)
		put(o, "  and %" PRIu64 " samples with other stacks\n", p->stacks_other);
}

static void report_exemplars(struct out *o, const struct prof_probe *p)
{
	char a[16];
	if (!p->nex_all)
		return;
	put(o, "\n%s: worst samples\n", p->name);
	for (uint32_t i = 0; i < p->nex_all; i++) {
		const struct llt_prof_exemplar *e = &p->ex_all[i];
		time_t sec = (time_t)(e->realtime_ns / 1000000000);
		struct tm tm;
		char when[32] = "?";
		if (e->realtime_ns > 0 && localtime_r(&sec, &tm))
			snprintf(when, sizeof when, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
				 (long)(e->realtime_ns % 1000000000 / 1000));
		put(o, "  %8s  at %s  tsc %" PRIu64 "  thread %u  tag %" PRIu64 "  interval %u\n",
		    fmt_ns(a, sizeof a, (double)e->ns, 1, false), when, e->tsc, e->tid, e->tag, e->interval);
	}
}

static void report_co(struct out *o, const struct prof_probe *p)
{
	char a[16], b[16];
	uint64_t n = llt_hist_count(&p->total);
	if (!p->stalls)
		return;
	put(o,
	    "\nWARNING: %s: %" PRIu64 " gaps between samples of at least twice the expected %s (longest %s):\n"
	    "  about %" PRIu64 " samples (%.2f%%) were never taken (coordinated omission), so the\n"
	    "  percentiles above under-report; correct with llt_hist_copy_corrected(3).\n",
	    p->name, p->stalls, fmt_ns(a, sizeof a, (double)p->attr.expected_interval_ns, 1, false),
	    fmt_ns(b, sizeof b, (double)p->max_gap_ns, 1, false), p->missed,
	    n ? 100.0 * (double)p->missed / (double)(n + p->missed) : 100.0);
}

int llt_prof_report(struct llt_prof *prof, FILE *f, int width)
{
	if (!prof || !f || width < 0)
		return -EINVAL;
	struct out o = { f, 0 };
	char t[7][16], c[16];
	width = term_width(f, width);
	pthread_mutex_lock(&llt_prof_impl_lock);
	int rc = llt_prof_impl_snapshot_locked(prof);
	struct llt_clock_info ci;
	const char *src = "?";
	if (llt_clock_info(&ci) == 0)
		src = llt_clock_source_name(ci.source);
	double secs = (double)(prof->last_ns - prof->created_ns) / 1e9;
	put(&o, "libllt profile%s%s: %u probes, %" PRIu64 " intervals over %.2f s; clock %s; backtraces %s\n",
	    prof->title[0] ? " " : "", prof->title, prof->nprobes, prof->intervals, secs, src,
	    llt_prof_backtraces_enabled() ? "on" : "off (built without libunwind)");
	int nw = 5;
	for (struct prof_probe *p = prof->probes; p; p = p->next)
		if ((int)strlen(p->name) > nw)
			nw = (int)strlen(p->name);
	if (nw > 24)
		nw = 24;
	put(&o, "\n%-*s %6s %7s %7s %7s %7s %7s %7s %7s\n", nw, "probe", "count", "mean", "p50", "p90", "p99", "p99.9",
	    "p99.99", "max");
	for (struct prof_probe *p = prof->probes; p; p = p->next) {
		const struct llt_hist *h = &p->total;
		uint64_t n = llt_hist_count(h);
		put(&o, "%-*.*s %6s", nw, nw, p->name, fmt_count(c, sizeof c, n));
		if (!n) {
			put(&o, "  (no samples)\n");
			continue;
		}
		fmt_ns(t[0], sizeof t[0], llt_hist_mean(h), 0, false);
		for (int i = 0; i < 5; i++)
			fmt_ns(t[i + 1], sizeof t[0], (double)llt_hist_value_at_percentile(h, pct_cols[i]), 0, false);
		fmt_ns(t[6], sizeof t[0], (double)llt_hist_max(h), 0, false);
		put(&o, " %7s %7s %7s %7s %7s %7s %7s\n", t[0], t[1], t[2], t[3], t[4], t[5], t[6]);
	}
	for (struct prof_probe *p = prof->probes; p; p = p->next) {
		report_bars(&o, p, width);
		if (llt_hist_overflow(&p->total))
			put(&o, "  and %" PRIu64 " samples above the range (%s)\n", llt_hist_overflow(&p->total),
			    fmt_ns(c, sizeof c, (double)p->total.max_trackable, 1, false));
		uint64_t d = __atomic_load_n(&p->dropped, __ATOMIC_RELAXED); /* a counter */
		if (d)
			put(&o, "  and %" PRIu64 " samples dropped: no memory for a thread's recorder\n", d);
	}
	for (struct prof_probe *p = prof->probes; p; p = p->next) {
		report_outliers(&o, p);
		report_exemplars(&o, p);
		report_co(&o, p);
	}
	pthread_mutex_unlock(&llt_prof_impl_lock);
	if (!o.err && fflush(f) != 0)
		o.err = -EIO;
	return o.err ? o.err : rc;
}

/* ------------------------------------------------------------ SVG */

static void put_esc(struct out *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': put(o, "&amp;"); break;
		case '<': put(o, "&lt;"); break;
		case '>': put(o, "&gt;"); break;
		case '"': put(o, "&quot;"); break;
		case '\'': put(o, "&apos;"); break;
		default:
			/* XML 1.0 allows no control characters but tab and newline. */
			if ((unsigned char)*s < 0x20)
				put(o, " ");
			else
				put(o, "%c", *s);
		}
	}
}

/* Tableau 10: distinct for the common colour deficiencies. */
static const char *const palette[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
				       "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" };

#define SVG_W 960
#define SVG_H 560
#define PL 96.0   /* plot area: left, right, top, bottom */
#define PR 920.0
#define PT 64.0
#define PB 480.0

static void svg_head(struct out *o, const char *title, int w, int h)
{
	put(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	put(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	       "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"13\">\n", w, h, w, h);
	put(o, "<title>");
	put_esc(o, title);
	put(o, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h);
	put(o, "<text x=\"%d\" y=\"34\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">", w / 2);
	put_esc(o, title);
	put(o, "</text>\n");
}

/* The log latency axis: decades from 10^d0 to 10^d1 ns, mapped to
 * [bottom, top]; minor lines at 2x and 5x, labelled when the span is
 * short. */
static double ymap(double v, double d0, double d1, double bottom, double top)
{
	double l = log10(v < 1 ? 1 : v);
	return bottom - (l - d0) / (d1 - d0) * (bottom - top);
}

static void svg_yaxis(struct out *o, int d0, int d1, double bottom, double top, double left, double right)
{
	char b[24];
	for (int d = d0; d <= d1; d++) {
		for (int m = 1; m <= 5; m++) {
			if (m != 1 && m != 2 && m != 5)
				continue;
			double v = (double)m * pow(10, d);
			if (d == d1 && m > 1)
				break;
			double y = ymap(v, d0, d1, bottom, top);
			bool major = m == 1;
			put(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1\"/>\n",
			    left, y, right, y, major ? "#c8c8c8" : "#ececec");
			if (major || d1 - d0 <= 2)
				put(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"%s>%s</text>\n", left - 6, y + 4,
				    major ? "" : " fill=\"#777\" font-size=\"11\"", fmt_axis(b, sizeof b, v));
		}
	}
	put(o, "<text transform=\"translate(22 %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">"
	       "Latency (log scale)</text>\n", (bottom + top) / 2);
}

static void decades(double lo, double hi, int *d0, int *d1)
{
	*d0 = (int)floor(log10(lo < 1 ? 1 : lo));
	*d1 = (int)ceil(log10(hi < 1 ? 1 : hi) + 1e-9);
	if (*d1 <= *d0)
		*d1 = *d0 + 1;
}

int llt_prof_svg_percentiles(FILE *f, const char *title, const struct llt_hist *const *hists,
			     const char *const *names, size_t n)
{
	if (!f || !hists || !names || n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!hists[i] || !hists[i]->counts || !names[i])
			return -EINVAL;
	struct out o = { f, 0 };
	char b[24], c[24], e[24], g[24];
	double lo = INFINITY, hi = 0;
	uint64_t most = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t cnt = llt_hist_count(hists[i]);
		if (!cnt)
			continue;
		if ((double)llt_hist_min(hists[i]) < lo)
			lo = (double)llt_hist_min(hists[i]);
		if ((double)llt_hist_max(hists[i]) > hi)
			hi = (double)llt_hist_max(hists[i]);
		if (cnt > most)
			most = cnt;
	}
	if (!most) {
		lo = 1;
		hi = 1000;
	}
	int d0, d1;
	decades(lo, hi, &d0, &d1);
	/* The nines axis: x = log10(1 / (1 - p)), out to the nines the
	 * largest sample count can resolve. */
	int nines = (int)ceil(log10((double)(most > 1 ? most : 2)));
	nines = nines < 2 ? 2 : nines > 7 ? 7 : nines;
	svg_head(&o, title && *title ? title : "Latency by percentile", SVG_W, SVG_H);
	put(&o, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fcfcfc\" stroke=\"#888\"/>\n", PL, PT,
	    PR - PL, PB - PT);
	svg_yaxis(&o, d0, d1, PB, PT, PL, PR);
	static const char *const xl[] = { "0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%", "99.99999%" };
	for (int k = 0; k <= nines; k++) {
		double x = PL + (PR - PL) * k / nines;
		put(&o, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#c8c8c8\"/>\n", x, PT, x, PB);
		put(&o, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", x, PB + 20, xl[k]);
	}
	{
		double x = PL + (PR - PL) * log10(2.0) / nines;
		put(&o, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#e4e4e4\"/>\n", x, PT, x, PB);
		put(&o, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#555\">50%%</text>\n", x, PB + 20);
	}
	put(&o, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"14\">Percentile (log scale of "
		"1/(1\xe2\x88\x92p): each step right is ten times rarer)</text>\n", (PL + PR) / 2, PB + 48);
	/* Curves, clipped to the plot. */
	put(&o, "<clipPath id=\"plot\"><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\"/></clipPath>\n", PL,
	    PT - 2, PR - PL + 2, PB - PT + 4);
	for (size_t i = 0; i < n; i++) {
		const struct llt_hist *h = hists[i];
		struct llt_hist_iter it;
		if (!llt_hist_count(h) || llt_hist_iter_init(&it, h, LLT_HIST_ITER_PERCENTILE, 5, 0) < 0)
			continue;
		const char *col = palette[i % (sizeof palette / sizeof palette[0])];
		put(&o, "<polyline clip-path=\"url(#plot)\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\" "
			"stroke-linejoin=\"round\" points=\"", col);
		double lastx = -1;
		while (llt_hist_iter_next(&it)) {
			double p = it.percentile / 100.0, xn;
			xn = p >= 1.0 ? nines : log10(1.0 / (1.0 - p));
			if (xn > nines)
				xn = nines;
			double x = PL + (PR - PL) * xn / nines;
			double y = ymap((double)it.value, d0, d1, PB, PT);
			put(&o, "%.1f,%.1f ", x, y);
			lastx = x;
		}
		if (lastx < PR)
			put(&o, "%.1f,%.1f", PR, ymap((double)llt_hist_max(h), d0, d1, PB, PT));
		put(&o, "\"/>\n");
		/* The maximum, as a dot at the right edge. */
		put(&o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", PR,
		    ymap((double)llt_hist_max(h), d0, d1, PB, PT), col);
	}
	/* Legend, top left inside the plot. */
	size_t longest = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(names[i]) + 52; /* the parenthesis: up to 52 characters */
		if (l > longest)
			longest = l;
	}
	/* Legend, bottom right inside the plot: latency curves rise to the
	 * right, so that corner is the emptiest. */
	double lw = 30 + 7.4 * (double)longest, lh = 12 + 20.0 * (double)n;
	double lx = PR - 12 - lw, ly = PB - 12 - lh;
	if (lx < PL + 12)
		lx = PL + 12;
	put(&o, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"white\" fill-opacity=\"0.9\" "
		"stroke=\"#aaa\"/>\n", lx, ly, lw, lh);
	for (size_t i = 0; i < n; i++) {
		const struct llt_hist *h = hists[i];
		double y = ly + 18 + 20.0 * (double)i;
		const char *col = palette[i % (sizeof palette / sizeof palette[0])];
		put(&o, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
		    lx + 10, y - 4, lx + 34, y - 4, col);
		put(&o, "<text x=\"%.0f\" y=\"%.1f\">", lx + 42, y);
		put_esc(&o, names[i]);
		if (llt_hist_count(h))
			put(&o, "  (n=%s, p50 %s, p99 %s, max %s)", fmt_count(b, sizeof b, llt_hist_count(h)),
			    fmt_ns(c, sizeof c, (double)llt_hist_value_at_percentile(h, 50), 1, true),
			    fmt_ns(e, sizeof e, (double)llt_hist_value_at_percentile(h, 99), 1, true),
			    fmt_ns(g, sizeof g, (double)llt_hist_max(h), 1, true));
		else
			put(&o, "  (no samples)");
		put(&o, "</text>\n");
	}
	put(&o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#888\" font-size=\"11\">libllt %s</text>\n",
	    SVG_W - 12, SVG_H - 10, "llt_prof_svg_percentiles(3)");
	put(&o, "</svg>\n");
	if (!o.err && fflush(f) != 0)
		o.err = -EIO;
	return o.err;
}

int llt_prof_write_svg(struct llt_prof *prof, FILE *f)
{
	if (!prof || !f)
		return -EINVAL;
	pthread_mutex_lock(&llt_prof_impl_lock);
	int rc = llt_prof_impl_snapshot_locked(prof);
	size_t n = prof->nprobes ? prof->nprobes : 1;
	const struct llt_hist **h = calloc(n, sizeof *h);
	const char **names = calloc(n, sizeof *names);
	if (!h || !names) {
		pthread_mutex_unlock(&llt_prof_impl_lock);
		free(h);
		free(names);
		return -ENOMEM;
	}
	size_t i = 0;
	for (struct prof_probe *p = prof->probes; p; p = p->next, i++) {
		h[i] = &p->total;
		names[i] = p->name;
	}
	char title[200];
	snprintf(title, sizeof title, "%s%slatency by percentile", prof->title, prof->title[0] ? ": " : "");
	int r = i ? llt_prof_svg_percentiles(f, title, h, names, i) : -EINVAL;
	pthread_mutex_unlock(&llt_prof_impl_lock);
	free(h);
	free(names);
	return r < 0 ? r : rc;
}

/* ------------------------------------------------------------ heatmap */

/* White, then yellow to red to dark purple, as intensity grows. */
static void ramp(double t, char *b, size_t n)
{
	static const double stop[][3] = {
		{ 255, 245, 200 }, { 254, 204, 92 }, { 253, 141, 60 }, { 227, 26, 28 }, { 128, 0, 38 }, { 40, 0, 40 } };
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	double x = t * 5;
	int i = (int)x;
	if (i >= 5)
		i = 4;
	double u = x - i;
	snprintf(b, n, "#%02x%02x%02x", (int)(stop[i][0] + (stop[i + 1][0] - stop[i][0]) * u),
		 (int)(stop[i][1] + (stop[i + 1][1] - stop[i][1]) * u),
		 (int)(stop[i][2] + (stop[i + 1][2] - stop[i][2]) * u));
}

static double nice_step(double span, int ticks)
{
	double raw = span / ticks, p = pow(10, floor(log10(raw)));
	double m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

#define HM_PR 820.0

int llt_prof_write_heatmap(const struct llt_prof_probe *probe, FILE *f)
{
	if (!probe || !f)
		return -EINVAL;
	const struct prof_probe *p = (const struct prof_probe *)(const void *)probe;
	struct out o = { f, 0 };
	char b[32], title[200];
	pthread_mutex_lock(&llt_prof_impl_lock);
	snprintf(title, sizeof title, "%s: latency over time", p->name);
	svg_head(&o, title, SVG_W, SVG_H);
	uint32_t r0 = PROF_HM_ROWS, r1 = 0, cmax = 0;
	for (uint32_t i = 0; i < p->ncols; i++)
		for (uint32_t r = 0; r < PROF_HM_ROWS; r++)
			if (p->cols[i].rows[r]) {
				r0 = r < r0 ? r : r0;
				r1 = r > r1 ? r : r1;
				cmax = p->cols[i].rows[r] > cmax ? p->cols[i].rows[r] : cmax;
			}
	put(&o, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#888\"/>\n", PL, PT,
	    HM_PR - PL, PB - PT);
	if (!cmax) {
		put(&o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">no samples</text>\n", (PL + HM_PR) / 2,
		    (PT + PB) / 2);
	} else {
		/* Latency range: whole decades around the rows in use. */
		int d0, d1;
		decades(llt_prof_impl_row_low(r0), llt_prof_impl_row_low(r1 + 1), &d0, &d1);
		int64_t t0 = p->cols[0].start_ns, t1 = p->cols[p->ncols - 1].end_ns;
		double span = (double)(t1 - t0) / 1e9;
		if (span <= 0)
			span = 1e-3;
		svg_yaxis(&o, d0, d1, PB, PT, PL, HM_PR);
		for (uint32_t i = 0; i < p->ncols; i++) {
			const struct prof_col *c = &p->cols[i];
			double xa = PL + (HM_PR - PL) * (double)(c->start_ns - t0) / 1e9 / span;
			double xb = PL + (HM_PR - PL) * (double)(c->end_ns - t0) / 1e9 / span;
			if (xb - xa < 0.5)
				xb = xa + 0.5;
			for (uint32_t r = r0; r <= r1; r++) {
				if (!c->rows[r])
					continue;
				double ya = ymap(llt_prof_impl_row_low(r + 1), d0, d1, PB, PT);
				double yb = ymap(llt_prof_impl_row_low(r), d0, d1, PB, PT);
				ramp(log1p(c->rows[r]) / log1p(cmax), b, sizeof b);
				put(&o, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n", xa,
				    ya, xb - xa + 0.3, yb - ya + 0.3, b);
			}
		}
		/* p99 (from the rows: within a quarter octave) and max of each column. */
		put(&o, "<polyline fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"2\" points=\"");
		for (uint32_t i = 0; i < p->ncols; i++) {
			const struct prof_col *c = &p->cols[i];
			if (!c->count)
				continue;
			uint64_t need = (uint64_t)ceil(0.99 * (double)c->count), acc = 0;
			uint32_t r = r0;
			for (; r <= r1; r++) {
				acc += c->rows[r];
				if (acc >= need)
					break;
			}
			double xm = PL + (HM_PR - PL) * ((double)(c->start_ns + c->end_ns) / 2 - (double)t0) / 1e9 / span;
			put(&o, "%.1f,%.1f ", xm, ymap(llt_prof_impl_row_low(r + 1), d0, d1, PB, PT));
		}
		put(&o, "\"/>\n");
		for (uint32_t i = 0; i < p->ncols; i++) {
			const struct prof_col *c = &p->cols[i];
			if (!c->count)
				continue;
			double xm = PL + (HM_PR - PL) * ((double)(c->start_ns + c->end_ns) / 2 - (double)t0) / 1e9 / span;
			put(&o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"black\"/>\n", xm,
			    ymap((double)c->max, d0, d1, PB, PT));
		}
		/* Time axis. */
		bool ms = span < 2;
		double step = nice_step(ms ? span * 1000 : span, 8);
		for (double t = 0; t <= (ms ? span * 1000 : span) + 1e-9; t += step) {
			double x = PL + (HM_PR - PL) * t / (ms ? span * 1000 : span);
			put(&o, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#888\"/>\n", x, PB, x,
			    PB + 5);
			put(&o, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%g %s</text>\n", x, PB + 20, t,
			    ms ? "ms" : "s");
		}
		put(&o, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"14\">Time since the first "
			"snapshot (%u columns of %u snapshot%s each)</text>\n", (PL + HM_PR) / 2, PB + 48, p->ncols,
		    p->col_span, p->col_span == 1 ? "" : "s");
		/* Key: colour scale, then the p99 line and max dots. */
		double kx = HM_PR + 30, ky = PT + 20, kh = 200;
		put(&o, "<defs><linearGradient id=\"ramp\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
		for (int s = 0; s <= 10; s++) {
			ramp(s / 10.0, b, sizeof b);
			put(&o, "<stop offset=\"%.1f\" stop-color=\"%s\"/>", s / 10.0, b);
		}
		put(&o, "</linearGradient></defs>\n");
		put(&o, "<text x=\"%.0f\" y=\"%.0f\">samples</text>\n", kx, ky - 6);
		put(&o, "<rect x=\"%.0f\" y=\"%.0f\" width=\"18\" height=\"%.0f\" fill=\"url(#ramp)\" stroke=\"#888\"/>\n",
		    kx, ky, kh);
		put(&o, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", kx + 24, ky + 10, fmt_count(b, sizeof b, cmax));
		put(&o, "<text x=\"%.0f\" y=\"%.0f\">1</text>\n", kx + 24, ky + kh);
		put(&o, "<text x=\"%.0f\" y=\"%.0f\" fill=\"#555\" font-size=\"11\">(log scale)</text>\n", kx,
		    ky + kh + 18);
		put(&o, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#1f4e9c\" stroke-width=\"2\"/>\n",
		    kx, ky + kh + 48, kx + 22, ky + kh + 48);
		put(&o, "<text x=\"%.0f\" y=\"%.0f\">p99</text>\n", kx + 28, ky + kh + 52);
		put(&o, "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"3\" fill=\"black\"/>\n", kx + 11, ky + kh + 72);
		put(&o, "<text x=\"%.0f\" y=\"%.0f\">max</text>\n", kx + 28, ky + kh + 76);
	}
	pthread_mutex_unlock(&llt_prof_impl_lock);
	put(&o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#888\" font-size=\"11\">libllt "
		"llt_prof_write_heatmap(3)</text>\n", SVG_W - 12, SVG_H - 10);
	put(&o, "</svg>\n");
	if (!o.err && fflush(f) != 0)
		o.err = -EIO;
	return o.err;
}
