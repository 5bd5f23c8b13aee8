// bench_chan: the SPSC channel against the blocking SPSC queues Debian
// packages, in one run.  Producer pinned to the first allowed CPU,
// consumer to the second (BENCHMARKING.md).
//
//  1. paced: one message every 50 us, so a blocking receiver goes idle
//     between messages: wake-up latency (send to receipt, TSC), the
//     sender's cost per send, and the receiver's CPU use;
//  2. streaming: as fast as possible, checking count and sum, with the
//     wake-up syscalls per message for libllt (from its counters);
//  3. the floor: two padded atomics bounced between the CPUs, measured
//     before each repetition, which tells the vCPU placement.
// Percentiles come from llt/hist.  Timings are never asserted.
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>
#include <algorithm>
#include <time.h>

#include <llt/chan.h>
#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/hist.h>
#include "bench_pct.h"

#if __has_include(<tbb/concurrent_queue.h>)
#  include <tbb/concurrent_queue.h>
#  define HAVE_TBB 1
#endif
#if __has_include(<readerwriterqueue/readerwritercircularbuffer.h>)
#  include <readerwriterqueue/readerwritercircularbuffer.h>
#  define HAVE_RWQ 1
#endif

namespace {

struct Msg {
	uint64_t t;    // send time, ticks
	uint64_t seq;  // UINT64_MAX ends the run
};

int cpu_tx = 0, cpu_rx = 1;
const uint64_t STOP = UINT64_MAX;

// A blocking SPSC queue behind one interface.
struct Queue {
	const char *name;
	std::function<void(const Msg &)> send;
	std::function<void(Msg &)> recv;
	std::function<void()> reset;          // fresh state for a repetition
	std::function<uint64_t()> syscalls;   // wake-ups made, if known
};

struct LltQueue {
	struct llt_chan *c = nullptr;
	uint64_t spin;
	unsigned flags;
	// flags: LLT_CHAN_SPIN_FIXED, and LLT_CHAN_SHARED for the fenced
	// parks of libllt 0.1 (a shared channel keeps the symmetric fences;
	// it works in private memory too, through llt_chan_init()).
	explicit LltQueue(uint64_t spin_ns, unsigned fl = 0) : spin(spin_ns), flags(fl) { reset(); }
	~LltQueue() { drop(); }
	void drop()
	{
		if (c) {
			llt_chan_destroy(c);
			free(c);
			c = nullptr;
		}
	}
	void reset()
	{
		drop();
		struct llt_chan_attr a = {spin, flags, 0};
		size_t size = (llt_chan_memsize(1024, sizeof(Msg)) + LLT_PAD_SIZE - 1) / LLT_PAD_SIZE * LLT_PAD_SIZE;
		void *mem = nullptr;
		if (posix_memalign(&mem, LLT_PAD_SIZE, size) != 0 ||
		    llt_chan_init(static_cast<struct llt_chan *>(mem), 1024, sizeof(Msg), &a) != 0)
			abort();
		c = static_cast<struct llt_chan *>(mem);
	}
	uint64_t wakes() const
	{
		struct llt_chan_stats st;
		llt_chan_stats(c, &st);
		return st.receiver_wakes + st.sender_wakes;
	}
};

double thread_cpu_ns()
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// Round trip of two padded atomics between the two CPUs, ns (median).
double floor_round_trip()
{
	struct alignas(128) Box { std::atomic<uint64_t> v{0}; };
	static Box ping, pong;
	ping.v = 0;
	pong.v = 0;
	const int N = 20000;
	std::thread echo([] {
		llt_cpu_pin(cpu_rx);
		for (uint64_t i = 1; i <= N; i++) {
			while (ping.v.load(std::memory_order_acquire) != i)
				llt_cpu_relax();
			pong.v.store(i, std::memory_order_release);
		}
	});
	llt_cpu_pin(cpu_tx);
	std::vector<uint64_t> rt(N);
	for (uint64_t i = 1; i <= N; i++) {
		uint64_t t0 = llt_clock_start();
		ping.v.store(i, std::memory_order_release);
		while (pong.v.load(std::memory_order_acquire) != i)
			llt_cpu_relax();
		rt[i - 1] = llt_clock_end() - t0;
	}
	echo.join();
	return bench_pct_ticks(rt.data(), rt.size()).p50;
}

struct Paced {
	double wake_p50, wake_p99, wake_p999, send_p50, send_p99, rx_cpu_pct, syscalls_per_msg;
};

Paced paced_run(Queue &q, int msgs, uint64_t gap_ns)
{
	q.reset();
	struct llt_hist *wake, *cost;
	llt_hist_create(1, UINT64_C(10000000000), 3, &wake);
	llt_hist_create(1, UINT64_C(10000000000), 3, &cost);
	double cpu = 0, wall = 0;
	uint64_t sys0 = q.syscalls ? q.syscalls() : 0;
	std::thread rx([&] {
		llt_cpu_pin(cpu_rx);
		double c0 = thread_cpu_ns();
		uint64_t w0 = llt_clock_now_ns();
		Msg m;
		for (;;) {
			q.recv(m);
			uint64_t now = llt_clock_now();
			if (m.seq == STOP)
				break;
			llt_hist_record(wake, llt_clock_to_ns(now - m.t));
		}
		cpu = thread_cpu_ns() - c0;
		wall = (double)(llt_clock_now_ns() - w0);
	});
	llt_cpu_pin(cpu_tx);
	uint64_t gap = llt_clock_from_ns(gap_ns), next = llt_clock_now() + gap;
	for (int i = 0; i < msgs; i++) {
		while (llt_clock_now() < next)
			llt_cpu_relax();
		next += gap;
		Msg m = {llt_clock_now(), (uint64_t)i};
		q.send(m);
		llt_hist_record(cost, llt_clock_to_ns(llt_clock_now() - m.t));
	}
	Msg stop = {llt_clock_now(), STOP};
	q.send(stop);
	rx.join();
	Paced p;
	p.wake_p50 = (double)llt_hist_value_at_percentile(wake, 50);
	p.wake_p99 = (double)llt_hist_value_at_percentile(wake, 99);
	p.wake_p999 = (double)llt_hist_value_at_percentile(wake, 99.9);
	p.send_p50 = (double)llt_hist_value_at_percentile(cost, 50);
	p.send_p99 = (double)llt_hist_value_at_percentile(cost, 99);
	p.rx_cpu_pct = wall > 0 ? 100.0 * cpu / wall : 0;
	p.syscalls_per_msg = q.syscalls ? (double)(q.syscalls() - sys0) / msgs : -1;
	llt_hist_free(wake);
	llt_hist_free(cost);
	return p;
}

struct Stream {
	double mps, syscalls_per_msg;
};

Stream stream_run(Queue &q, uint64_t n)
{
	q.reset();
	uint64_t sum = 0, got = 0;
	uint64_t sys0 = q.syscalls ? q.syscalls() : 0;
	std::thread rx([&] {
		llt_cpu_pin(cpu_rx);
		Msg m;
		for (;;) {
			q.recv(m);
			if (m.seq == STOP)
				break;
			sum += m.seq;
			got++;
		}
	});
	llt_cpu_pin(cpu_tx);
	uint64_t t0 = llt_clock_now_ns();
	for (uint64_t i = 0; i < n; i++)
		q.send(Msg{0, i});
	q.send(Msg{0, STOP});
	rx.join();
	uint64_t dt = llt_clock_now_ns() - t0;
	if (got != n || sum != n * (n - 1) / 2) {
		fprintf(stderr, "%s: received %" PRIu64 " of %" PRIu64 " (sum mismatch): broken queue\n", q.name, got, n);
		exit(1);
	}
	return Stream{n / (dt / 1e3), q.syscalls ? (double)(q.syscalls() - sys0) / n : -1};
}

double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	if (reps < 1)
		reps = 5;
	struct llt_cpu_topology *t;
	int cpus[1024], n = 0;
	if (llt_cpu_topology_create(&t) == 0) {
		n = llt_cpu_topology_allowed(t, cpus, 1024);
		llt_cpu_topology_free(t);
	}
	if (n < 2) {
		printf("bench_chan: needs two allowed CPUs; skipped\n");
		return 0;
	}
	cpu_tx = cpus[0];
	cpu_rx = cpus[1];
	llt_clock_init(LLT_CLOCK_MODE_AUTO);

	// The default (adaptive spin up to 20 us, asymmetric parks), the
	// fixed budgets, and the same with the fenced parks of libllt 0.1
	// (LLT_CHAN_SHARED): "fixed 20us, fenced" is 0.1's default channel.
	LltQueue l_def(LLT_CHAN_SPIN_DEFAULT_NS), l_fix(LLT_CHAN_SPIN_DEFAULT_NS, LLT_CHAN_SPIN_FIXED),
		l_fixf(LLT_CHAN_SPIN_DEFAULT_NS, LLT_CHAN_SPIN_FIXED | LLT_CHAN_SHARED), l_park(0),
		l_parkf(0, LLT_CHAN_SHARED), l_spin(200000, LLT_CHAN_SPIN_FIXED);
	std::vector<Queue> qs;
	auto add = [&](const char *name, LltQueue &q) {
		LltQueue *p = &q;
		qs.push_back({name, [p](const Msg &m) { llt_chan_send(p->c, &m); },
			      [p](Msg &m) { llt_chan_recv(p->c, &m); }, [p] { p->reset(); },
			      [p] { return p->wakes(); }});
	};
	add("llt_chan default (adaptive <=20us)", l_def);
	add("llt_chan spin 20us fixed", l_fix);
	add("llt_chan spin 20us fixed, fenced", l_fixf);
	add("llt_chan spin 0 (park at once)", l_park);
	add("llt_chan spin 0, fenced", l_parkf);
	add("llt_chan spin 200us (never parks)", l_spin);
#ifdef HAVE_TBB
	tbb::concurrent_bounded_queue<Msg> tbbq;
	tbbq.set_capacity(1024);
	qs.push_back({"tbb::concurrent_bounded_queue", [&](const Msg &m) { tbbq.push(m); }, [&](Msg &m) { tbbq.pop(m); },
		      [&] { tbbq.clear(); }, nullptr});
#else
	printf("note: TBB not installed (libtbb-dev); its rows are missing\n");
#endif
#ifdef HAVE_RWQ
	auto *rwq = new moodycamel::BlockingReaderWriterCircularBuffer<Msg>(1024);
	qs.push_back({"moodycamel BlockingRWCircularBuffer", [&](const Msg &m) { rwq->wait_enqueue(m); },
		      [&](Msg &m) { rwq->wait_dequeue(m); },
		      [&] { delete rwq; rwq = new moodycamel::BlockingReaderWriterCircularBuffer<Msg>(1024); }, nullptr});
#else
	printf("note: moodycamel readerwriterqueue not installed (libreaderwriterqueue-dev); its rows are missing\n");
#endif

	const int MSGS = 2000;
	const uint64_t GAP = 50000, STREAM_N = 2000000;
	std::vector<std::vector<Paced>> pr(qs.size());
	std::vector<std::vector<Stream>> sr(qs.size());
	std::vector<double> floors;
	// Repetition 0 warms up and is thrown away; the implementations take
	// turns within each repetition so noise hits them alike.
	for (int r = 0; r <= reps; r++) {
		double fl = floor_round_trip();
		for (size_t i = 0; i < qs.size(); i++) {
			Paced p = paced_run(qs[i], MSGS, GAP);
			Stream s = stream_run(qs[i], STREAM_N);
			if (r > 0) {
				pr[i].push_back(p);
				sr[i].push_back(s);
			}
		}
		if (r > 0)
			floors.push_back(fl);
	}
	double fl = median(floors);
	printf("bench_chan: %d reps (median shown), producer CPU %d, consumer CPU %d\n", reps, cpu_tx, cpu_rx);
	printf("floor: padded-atomic round trip %.0f ns median (%s placement; min %.0f, max %.0f)\n\n", fl,
	       fl < 300 ? "near" : "far", *std::min_element(floors.begin(), floors.end()),
	       *std::max_element(floors.begin(), floors.end()));
	printf("paced: one 16-byte message every %" PRIu64 " us, %d per rep; wake = send to receipt\n", GAP / 1000, MSGS);
	printf("%-36s %9s %9s %9s %9s %9s %8s %9s\n", "implementation", "wake p50", "p99", "p99.9", "send p50",
	       "send p99", "rx CPU", "sys/msg");
	for (size_t i = 0; i < qs.size(); i++) {
		auto col = [&](double Paced::*f) {
			std::vector<double> v;
			for (auto &p : pr[i])
				v.push_back(p.*f);
			return median(v);
		};
		double sys = col(&Paced::syscalls_per_msg);
		char sysbuf[16];
		if (sys < 0)
			snprintf(sysbuf, sizeof sysbuf, "-");
		else
			snprintf(sysbuf, sizeof sysbuf, "%.2f", sys);
		printf("%-36s %7.2fus %7.2fus %7.2fus %7.2fus %7.2fus %7.1f%% %9s\n", qs[i].name,
		       col(&Paced::wake_p50) / 1e3, col(&Paced::wake_p99) / 1e3, col(&Paced::wake_p999) / 1e3,
		       col(&Paced::send_p50) / 1e3, col(&Paced::send_p99) / 1e3, col(&Paced::rx_cpu_pct), sysbuf);
	}
	printf("\nstreaming: %" PRIu64 " messages per rep, as fast as possible (count and sum checked)\n", STREAM_N);
	printf("%-36s %12s %12s %9s\n", "implementation", "M msgs/s", "min-max", "sys/msg");
	for (size_t i = 0; i < qs.size(); i++) {
		std::vector<double> m, s;
		for (auto &x : sr[i]) {
			m.push_back(x.mps);
			s.push_back(x.syscalls_per_msg);
		}
		char range[32];
		snprintf(range, sizeof range, "%.1f-%.1f", *std::min_element(m.begin(), m.end()),
			 *std::max_element(m.begin(), m.end()));
		char sysbuf[16];
		if (median(s) < 0)
			snprintf(sysbuf, sizeof sysbuf, "-");
		else
			snprintf(sysbuf, sizeof sysbuf, "%.4f", median(s));
		printf("%-36s %12.1f %12s %9s\n", qs[i].name, median(m), range, sysbuf);
	}
	return 0;
}
