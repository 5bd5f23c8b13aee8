/* llt-demo: what libllt is for, in a few seconds.
 *
 * A producer and a consumer, pinned to two CPUs, exchange messages over an
 * SPSC channel (<llt/chan.h>).  The producer sends one message every
 * interval (1 us by default) and stamps it with the TSC just before the
 * send; the profiler (<llt/prof.h>) measures the send call itself and
 * each hop, send to receive.  The main thread takes a snapshot every
 * 50 ms (the heatmap's columns), and at the end prints the report and
 * writes an SVG chart, an SVG heatmap and an HdrHistogram .hgrm file.
 *
 * Usage: llt-demo [-t seconds] [-i interval_ns] [-o prefix] */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <llt/llt.h>

struct msg {
	uint64_t t0;  /* TSC just before the send */
	uint64_t seq;
};

static struct llt_chan *chan;
static struct llt_prof_probe *p_send, *p_hop;
static uint64_t interval_ns = 1000, run_ns = 2000000000;
static uint64_t sent, received, out_of_order;
static int cpus[2] = { -1, -1 };

/* Not static: -rdynamic puts them in the dynamic symbol table, so the
 * report's outlier backtraces name them (dladdr). */
void *demo_producer(void *arg);
void *demo_consumer(void *arg);

void *demo_producer(void *arg)
{
	(void)arg;
	if (cpus[0] >= 0)
		llt_cpu_pin(cpus[0]);
	uint64_t step = llt_clock_from_ns(interval_ns), now = llt_clock_now();
	uint64_t end = now + llt_clock_from_ns(run_ns), next = now;
	uint64_t seq = 0;
	while ((now = llt_clock_now()) < end) {
		if ((int64_t)(now - next) < 0) {
			llt_cpu_relax();
			continue;
		}
		/* Paced, not back-to-back: a late send does not make the
		 * next one early (the missed slots show as gaps). */
		next += step;
		if ((int64_t)(now - next) > 0)
			next = now;
		struct msg m = { llt_prof_start(), ++seq };
		if (llt_chan_send(chan, &m) < 0)
			break;
		llt_prof_end_tag(p_send, m.t0, m.seq);
	}
	sent = seq;
	llt_chan_close(chan);
	return NULL;
}

void *demo_consumer(void *arg)
{
	(void)arg;
	if (cpus[1] >= 0)
		llt_cpu_pin(cpus[1]);
	struct msg m = {0}; /* clang-analyzer cannot see llt_chan_recv fill it */
	uint64_t expect = 1;
	while (llt_chan_recv(chan, &m) == 0) {
		llt_prof_end_tag(p_hop, m.t0, m.seq);
		if (m.seq != expect)
			out_of_order++;
		expect = m.seq + 1;
		received++;
	}
	return NULL;
}

static void pick_cpus(void)
{
	int n = 0;
	for (int c = 0; c < 1024 && n < 2; c++)
		if (llt_cpu_is_allowed(c))
			cpus[n++] = c;
	if (n < 2)
		cpus[0] = cpus[1] = -1; /* one CPU: let the scheduler share it */
}

static int write_file(const char *path, int (*fn)(void *, FILE *), void *arg)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "llt-demo: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = fn(arg, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc < 0)
		fprintf(stderr, "llt-demo: writing %s: %s\n", path, strerror(-rc));
	return rc;
}

static int w_svg(void *a, FILE *f) { return llt_prof_write_svg(a, f); }
static int w_heat(void *a, FILE *f) { return llt_prof_write_heatmap(a, f); }
static int w_hgrm(void *a, FILE *f) { return llt_hist_write_hgrm(llt_prof_probe_hist(a), f, 1000.0, 5); }

static void show(const char *path, const char *what)
{
	char abs[PATH_MAX];
	printf("  %-44s %s\n", realpath(path, abs) ? abs : path, what);
}

int main(int argc, char **argv)
{
	const char *prefix = "llt-demo";
	int opt;
	while ((opt = getopt(argc, argv, "t:i:o:h")) != -1) {
		switch (opt) {
		case 't': run_ns = (uint64_t)(atof(optarg) * 1e9); break;
		case 'i': interval_ns = strtoull(optarg, NULL, 0); break;
		case 'o': prefix = optarg; break;
		default:
			fprintf(stderr, "usage: llt-demo [-t seconds] [-i interval_ns] [-o prefix]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (run_ns < 1000000 || run_ns > 600000000000ULL || interval_ns == 0) {
		fprintf(stderr, "llt-demo: -t must be 0.001..600 s and -i positive\n");
		return 2;
	}
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	pick_cpus();

	struct llt_prof *prof;
	struct llt_prof_probe_attr a_send = { .expected_interval_ns = interval_ns, .flags = LLT_PROF_OUTLIER_P999 };
	struct llt_prof_probe_attr a_hop = { .flags = LLT_PROF_OUTLIER_P999 };
	int rc = llt_prof_create("llt-demo", &prof);
	if (rc == 0)
		rc = llt_prof_probe_create(prof, "send", &a_send, &p_send);
	if (rc == 0)
		rc = llt_prof_probe_create(prof, "hop", &a_hop, &p_hop);
	if (rc == 0)
		rc = llt_chan_create(4096, sizeof(struct msg), NULL, &chan);
	if (rc < 0) {
		fprintf(stderr, "llt-demo: set-up: %s\n", strerror(-rc));
		return 1;
	}
	printf("llt-demo: a producer on CPU %d sends a message every %" PRIu64 " ns for %.1f s\n"
	       "to a consumer on CPU %d over an SPSC channel.  Probes: \"send\" times the llt_chan_send()\n"
	       "call, \"hop\" the trip from just before the send to just after the receive.\n\n",
	       cpus[0], interval_ns, (double)run_ns / 1e9, cpus[1]);
	fflush(stdout);

	pthread_t tp, tc;
	if (pthread_create(&tc, NULL, demo_consumer, NULL) || pthread_create(&tp, NULL, demo_producer, NULL)) {
		fprintf(stderr, "llt-demo: cannot start threads\n");
		return 1;
	}
	/* Interval snapshots while the threads run: the heatmap's columns. */
	struct timespec tick = { 0, 50000000 };
	uint64_t stop = llt_clock_now_ns() + run_ns;
	while (llt_clock_now_ns() < stop) {
		nanosleep(&tick, NULL);
		llt_prof_snapshot(prof);
	}
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);

	llt_prof_report(prof, stdout, 0);
	if (received != sent || out_of_order) {
		fprintf(stderr, "llt-demo: sent %" PRIu64 " but received %" PRIu64 " (%" PRIu64 " out of order)\n", sent,
			received, out_of_order);
		return 1;
	}

	char svg[PATH_MAX], heat[PATH_MAX], hgrm[PATH_MAX];
	snprintf(svg, sizeof svg, "%s.svg", prefix);
	snprintf(heat, sizeof heat, "%s-heatmap.svg", prefix);
	snprintf(hgrm, sizeof hgrm, "%s.hgrm", prefix);
	rc = write_file(svg, w_svg, prof);
	rc |= write_file(heat, w_heat, p_hop);
	rc |= write_file(hgrm, w_hgrm, p_hop);
	if (rc)
		return 1;
	printf("\n%" PRIu64 " messages sent and received in order.  Files written:\n", received);
	show(svg, "latency by percentile, both probes (open in a browser)");
	show(heat, "hop latency over time (heatmap)");
	show(hgrm, "hop percentiles, HdrHistogram format (us)");
	llt_chan_free(chan);
	llt_prof_free(prof);
	return 0;
}
