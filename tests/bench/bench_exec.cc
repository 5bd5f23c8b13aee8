// bench_exec: llt/sched and llt/threadpool against TBB and OpenMP (libgomp).
//
//  1. fib(30) by recursive spawn/join, no cutoff: ns per spawned task with
//     1 and 2 workers; llt_sched, TBB task_group, OpenMP tasks; plain
//     recursion as the floor.
//  2. An unbalanced parallel-for (10% of the iterations, clustered at the
//     start, 100x heavier): time and speedup over sequential on 2 workers;
//     llt_sched_parallel_for (no tuning), TBB parallel_for (auto
//     partitioner), OpenMP schedule(dynamic,1), (dynamic,64), (guided).
//     Also a static row: two OpenMP threads that each compute a
//     precomputed half of the work (by weight), the best schedule on a
//     quiet machine; on a loaded one, where a thread may lose its CPU for
//     a while, dynamic schedules can beat it.
//  3. Wake-up latency from an idle pool: submit one tiny task, time until it
//     starts; p50/p99 with llt/hist; pool parked and spinning, scheduler
//     parked and spinning, and the floors: a bare futex hand-off (parked)
//     and a thread polling a flag (spinning); pinned (submitter on CPU 0,
//     worker on CPU 1) and unpinned.  Unpinned, also a scheduler whose
//     workers keep the kernel's time slice (slice_us), to show what the
//     default short slice buys.
//  4. At rest: CPU time the workers of a parked pool and scheduler use in
//     one second after their spin window, and the wake syscalls made.
// Each figure: median and min-max over 5 reps after a discarded warm-up,
// implementations interleaved within a rep, results checked.  The
// cross-core padded-atomic round trip brackets the run (placement), and
// the load average is printed with each section: the CPU columns (process
// CPU time per spawn) are what a loaded machine does not distort.
// Usage: bench_exec [--quick] [fib] [for] [wake] [rest]  (default: all).
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/hist.h>
#include <llt/sched.h>
#include <llt/threadpool.h>

#if __has_include(<tbb/task_group.h>) && __has_include(<tbb/task_arena.h>)
#  include <tbb/blocked_range.h>
#  include <tbb/global_control.h>
#  include <tbb/parallel_for.h>
#  include <tbb/task_arena.h>
#  include <tbb/task_group.h>
#  define HAVE_TBB 1
#endif
#if defined(_OPENMP)
#  include <omp.h>
#  define HAVE_OMP 1
#endif

static const int REPS = 6; // first discarded

static uint64_t now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct Stat {
	double med, lo, hi;
};

static uint64_t cpu_ns()
{
	timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void print_load(const char *when)
{
	double l[3] = {0, 0, 0};
	if (getloadavg(l, 3) == 3)
		printf("[load average %s: %.2f %.2f %.2f]\n", when, l[0], l[1], l[2]);
}

static Stat stat_of(std::vector<double> v)
{
	v.erase(v.begin()); // warm-up
	std::sort(v.begin(), v.end());
	return {v[v.size() / 2], v.front(), v.back()};
}

// ------------------------------------------------------------ placement

struct alignas(128) Box {
	std::atomic<uint64_t> v{0};
};

static double pingpong_ns()
{
	static Box ping, pong;
	ping.v = 0;
	pong.v = 0;
	const uint64_t n = 100000;
	std::thread t([&] {
		llt_cpu_pin(1);
		for (uint64_t i = 1; i <= n; i++) {
			while (ping.v.load(std::memory_order_acquire) != i)
				;
			pong.v.store(i, std::memory_order_release);
		}
	});
	llt_cpu_pin(0);
	uint64_t t0 = now_ns();
	for (uint64_t i = 1; i <= n; i++) {
		ping.v.store(i, std::memory_order_release);
		while (pong.v.load(std::memory_order_acquire) != i)
			;
	}
	uint64_t dt = now_ns() - t0;
	t.join();
	llt_cpu_unpin();
	return (double)dt / n;
}

// ------------------------------------------------------------------ fib

static long fib_plain(int n)
{
	return n < 2 ? n : fib_plain(n - 1) + fib_plain(n - 2);
}

static llt_sched *S;

struct FibArg {
	int n;
	long r;
};

static void fib_llt(void *p)
{
	FibArg *f = (FibArg *)p;
	if (f->n < 2) {
		f->r = f->n;
		return;
	}
	FibArg a = {f->n - 1, 0}, b = {f->n - 2, 0};
	llt_sched_group g;
	llt_sched_group_init(&g, S);
	llt_sched_spawn(&g, fib_llt, &a);
	fib_llt(&b);
	llt_sched_wait(&g);
	f->r = a.r + b.r;
}

#ifdef HAVE_TBB
static long fib_tbb(int n)
{
	if (n < 2)
		return n;
	long a = 0, b;
	tbb::task_group g;
	g.run([&] { a = fib_tbb(n - 1); });
	b = fib_tbb(n - 2);
	g.wait();
	return a + b;
}
#endif

#ifdef HAVE_OMP
static long fib_omp(int n)
{
	if (n < 2)
		return n;
	long a = 0, b;
#pragma omp task shared(a) firstprivate(n)
	a = fib_omp(n - 1);
	b = fib_omp(n - 2);
#pragma omp taskwait
	return a + b;
}
#endif

static long spawns_of(int n) // tasks spawned by the recursion: fib calls with n >= 2
{
	return n < 2 ? 0 : 1 + spawns_of(n - 1) + spawns_of(n - 2);
}

static void bench_fib()
{
	const int N = 30;
	const long want = 832040;
	const double spawns = (double)spawns_of(N);
	printf("\n== fib(%d) by spawn/join, no cutoff (%.0f spawns); ns per spawn, median [min-max] of %d\n",
	       N, spawns, REPS - 1);
	printf("%-26s %8s %22s %10s %14s\n", "implementation", "workers", "ns/spawn", "ms", "CPU ns/spawn");
	std::vector<double> plain;
	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = now_ns();
		volatile long x = fib_plain(N);
		plain.push_back((double)(now_ns() - t0) / spawns);
		if (x != want)
			abort();
	}
	Stat sp = stat_of(plain);
	printf("%-26s %8d %10.2f [%.2f-%.2f] %10.1f\n", "plain recursion (floor)", 1, sp.med, sp.lo, sp.hi,
	       sp.med * spawns / 1e6);
	for (unsigned w = 1; w <= 2; w++) {
		std::vector<double> vl, vt, vo, cl, ct, co;
		llt_sched_attr a;
		memset(&a, 0, sizeof a);
		a.pool.workers = w;
		if (llt_sched_create(&a, &S) != 0)
			abort();
#ifdef HAVE_TBB
		tbb::task_arena arena((int)w);
#endif
		for (int r = 0; r < REPS; r++) {
			FibArg f = {N, 0};
			llt_sched_group g;
			llt_sched_group_init(&g, S);
			uint64_t t0 = now_ns(), c0 = cpu_ns();
			llt_sched_spawn(&g, fib_llt, &f);
			llt_sched_wait(&g);
			vl.push_back((double)(now_ns() - t0) / spawns);
			cl.push_back((double)(cpu_ns() - c0) / spawns);
			if (f.r != want) {
				fprintf(stderr, "llt fib wrong: %ld\n", f.r);
				abort();
			}
#ifdef HAVE_TBB
			long x = 0;
			t0 = now_ns();
			c0 = cpu_ns();
			arena.execute([&] { x = fib_tbb(N); });
			vt.push_back((double)(now_ns() - t0) / spawns);
			ct.push_back((double)(cpu_ns() - c0) / spawns);
			if (x != want)
				abort();
#endif
#ifdef HAVE_OMP
			long y = 0;
			t0 = now_ns();
			c0 = cpu_ns();
#pragma omp parallel num_threads(w)
#pragma omp single
			y = fib_omp(N);
			vo.push_back((double)(now_ns() - t0) / spawns);
			co.push_back((double)(cpu_ns() - c0) / spawns);
			if (y != want)
				abort();
#endif
		}
		struct llt_sched_stats st;
		llt_sched_stats(S, &st);
		llt_sched_free(S);
		Stat sl = stat_of(vl), slc = stat_of(cl);
		printf("%-26s %8u %10.2f [%.2f-%.2f] %10.1f %14.2f   steals %llu\n", "llt_sched", w, sl.med, sl.lo,
		       sl.hi, sl.med * spawns / 1e6, slc.med, (unsigned long long)st.steals);
#ifdef HAVE_TBB
		Stat stb = stat_of(vt), stc = stat_of(ct);
		printf("%-26s %8u %10.2f [%.2f-%.2f] %10.1f %14.2f   llt/tbb %.2f (CPU %.2f)\n", "TBB task_group", w,
		       stb.med, stb.lo, stb.hi, stb.med * spawns / 1e6, stc.med, sl.med / stb.med, slc.med / stc.med);
#endif
#ifdef HAVE_OMP
		Stat so = stat_of(vo), soc = stat_of(co);
		printf("%-26s %8u %10.2f [%.2f-%.2f] %10.1f %14.2f   llt/omp %.2f (CPU %.2f)\n",
		       "OpenMP tasks (libgomp)", w, so.med, so.lo, so.hi, so.med * spawns / 1e6, soc.med,
		       sl.med / so.med, slc.med / soc.med);
#endif
	}
}

// ----------------------------------------------------- unbalanced for

static const size_t UN = 100000;
static const int LIGHT = 40, HEAVY = 4000; // 100x

static inline uint64_t work(size_t i)
{
	int iters = i < UN / 10 ? HEAVY : LIGHT; // heavy ones clustered at the start
	uint64_t x = i + 1;
	for (int k = 0; k < iters; k++)
		x = x * 6364136223846793005u + 1442695040888963407u;
	return x;
}

static std::vector<uint64_t> out(UN);

static void body_llt(size_t lo, size_t hi, void *)
{
	for (size_t i = lo; i < hi; i++)
		out[i] = work(i);
}

static uint64_t checksum()
{
	uint64_t s = 0;
	for (size_t i = 0; i < UN; i++) {
		s ^= out[i] + i;
		out[i] = 0;
	}
	return s;
}

static void bench_unbalanced()
{
	printf("\n== unbalanced parallel-for: %zu iterations, the first 10%% 100x heavier; 2 workers; ms, median [min-max]\n",
	       UN);
	struct Impl {
		const char *name;
		std::function<void()> run;
		std::vector<double> t;
	};
	llt_sched_attr a;
	memset(&a, 0, sizeof a);
	a.pool.workers = 2;
	if (llt_sched_create(&a, &S) != 0)
		abort();
#ifdef HAVE_TBB
	tbb::task_arena arena(2);
#endif
	std::vector<Impl> impls;
	impls.push_back({"sequential", [] { body_llt(0, UN, nullptr); }, {}});
	impls.push_back({"llt_sched_parallel_for", [] { llt_sched_parallel_for(S, 0, UN, 0, body_llt, nullptr); }, {}});
#ifdef HAVE_TBB
	impls.push_back({"TBB parallel_for (auto)", [&] {
				 arena.execute([] {
					 tbb::parallel_for(tbb::blocked_range<size_t>(0, UN),
							   [](const tbb::blocked_range<size_t> &r) {
								   body_llt(r.begin(), r.end(), nullptr);
							   });
				 });
			 }, {}});
#endif
#ifdef HAVE_OMP
	impls.push_back({"OpenMP dynamic,1", [] {
#pragma omp parallel for schedule(dynamic, 1) num_threads(2)
				 for (size_t i = 0; i < UN; i++)
					 out[i] = work(i);
			 }, {}});
	impls.push_back({"OpenMP dynamic,64", [] {
#pragma omp parallel for schedule(dynamic, 64) num_threads(2)
				 for (size_t i = 0; i < UN; i++)
					 out[i] = work(i);
			 }, {}});
	impls.push_back({"OpenMP guided", [] {
#pragma omp parallel for schedule(guided) num_threads(2)
				 for (size_t i = 0; i < UN; i++)
					 out[i] = work(i);
			 }, {}});
	// Half the weight each: heavy H = UN/10 iterations of weight 100,
	// light ones of weight 1; thread 0 takes [0, cut).
	impls.push_back({"static split by weight", [] {
				 const double wh = (double)HEAVY / LIGHT, nh = (double)(UN / 10);
				 const double total = nh * wh + (double)(UN - UN / 10);
				 const size_t cut = (size_t)(total / 2 / wh);
#pragma omp parallel num_threads(2)
				 {
					 size_t lo = omp_get_thread_num() == 0 ? 0 : cut;
					 size_t hi = omp_get_thread_num() == 0 ? cut : UN;
					 body_llt(lo, hi, nullptr);
				 }
			 }, {}});
#endif
	uint64_t want = 0;
	for (int r = 0; r < REPS; r++)
		for (auto &im : impls) {
			uint64_t t0 = now_ns();
			im.run();
			im.t.push_back((double)(now_ns() - t0) / 1e6);
			uint64_t c = checksum();
			if (!want)
				want = c;
			if (c != want) {
				fprintf(stderr, "%s: wrong checksum\n", im.name);
				abort();
			}
		}
	llt_sched_free(S);
	Stat seq = stat_of(impls[0].t);
	Stat ll = stat_of(impls[1].t);
	printf("%-26s %22s %9s %10s\n", "implementation", "ms", "speedup", "llt/peer");
	for (auto &im : impls) {
		Stat s = stat_of(im.t);
		printf("%-26s %8.1f [%.1f-%.1f] %8.2fx %10.2f\n", im.name, s.med, s.lo, s.hi, seq.med / s.med,
		       ll.med / s.med);
	}
	// Per rep, so that a loaded moment hits both alike.
	std::vector<double> eff;
	for (size_t r = 0; r < impls[1].t.size(); r++)
		eff.push_back(impls[0].t[r] / impls[1].t[r]);
	Stat e = stat_of(eff);
	printf("llt speedup per rep: median %.2fx [%.2f-%.2f]\n", e.med, e.lo, e.hi);
}

// ------------------------------------------------------------ wake-up

static std::atomic<uint64_t> started_at{0};

static void stamp(void *)
{
	started_at.store(llt_clock_now(), std::memory_order_release);
}

static void print_hist(const char *name, llt_hist *h)
{
	printf("%-40s %9.1f %9.1f %9.1f %7llu\n", name, llt_hist_value_at_percentile(h, 50) / 1000.0,
	       llt_hist_value_at_percentile(h, 99) / 1000.0, llt_hist_max(h) / 1000.0,
	       (unsigned long long)llt_hist_count(h));
}

static uint64_t wake_sample(const char *name, unsigned idle_us, const std::function<void()> &submit);

// submit(): hand one task over; idle_us: let the target go idle first.
// Gaps under 1 ms are busy-waited: a 20 us nanosleep lasts 70 us or more
// (the default 50 us timer slack), past the scheduler's 50 us spin window,
// so a "spinning" row would measure parked wake-ups.
static void measure(const char *name, int samples, unsigned idle_us, const std::function<void()> &submit)
{
	llt_hist *h;
	if (llt_hist_create(10, UINT64_C(10000000000), 2, &h) != 0)
		abort();
	for (int i = 0; i < samples + 5; i++) {
		uint64_t v = wake_sample(name, idle_us, submit);
		if (i >= 5)
			llt_hist_record(h, v);
	}
	print_hist(name, h);
	llt_hist_free(h);
}

static std::atomic<uint32_t> futex_word{0};

struct WakeCase {
	std::string name;
	std::function<void()> submit;
	llt_hist *h;
};

// One sample: let the target go idle for idle_us, submit, time the start.
static uint64_t wake_sample(const char *name, unsigned idle_us, const std::function<void()> &submit)
{
	if (idle_us >= 1000) {
		timespec ts = {0, (long)idle_us * 1000};
		nanosleep(&ts, nullptr);
	} else if (idle_us) {
		uint64_t w0 = now_ns();
		while (now_ns() - w0 < idle_us * 1000u)
			llt_cpu_relax();
	}
	started_at.store(0, std::memory_order_relaxed);
	uint64_t t0 = llt_clock_now();
	submit();
	uint64_t t1;
	uint64_t w0 = now_ns();
	while ((t1 = started_at.load(std::memory_order_acquire)) == 0)
		if (now_ns() - w0 > UINT64_C(10000000000)) {
			fprintf(stderr, "%s: lost wake-up\n", name);
			abort();
		}
	return llt_clock_to_ns(t1 - t0);
}

// Parked cases are interleaved sample by sample (all of them sleep but the
// one measured), so that a loaded moment hits them alike.
static void measure_interleaved(std::vector<WakeCase> &cs, int samples, unsigned idle_us)
{
	for (auto &c : cs)
		if (llt_hist_create(10, UINT64_C(10000000000), 2, &c.h) != 0)
			abort();
	for (int i = 0; i < samples + 5; i++)
		for (auto &c : cs) {
			uint64_t v = wake_sample(c.name.c_str(), idle_us, c.submit);
			if (i >= 5)
				llt_hist_record(c.h, v);
		}
	for (auto &c : cs) {
		print_hist(c.name.c_str(), c.h);
		llt_hist_free(c.h);
	}
}

static void bench_wake()
{
	printf("\n== wake-up latency: submit one tiny task to an idle pool, time until it starts (us)\n");
	printf("%-40s %9s %9s %9s %7s\n", "configuration", "p50", "p99", "max", "n");
	for (int pinned = 1; pinned >= 0; pinned--) {
		int worker_cpu = 1;
		if (pinned)
			llt_cpu_pin(0);
		else
			llt_cpu_unpin();
		llt_threadpool_attr a;
		memset(&a, 0, sizeof a);
		a.workers = 1;
		if (pinned) {
			a.placement = LLT_THREADPOOL_LIST;
			a.cpus = &worker_cpu;
			a.ncpus = 1;
		} else {
			a.placement = LLT_THREADPOOL_UNPINNED;
		}
		const char *tag = pinned ? "pinned" : "unpinned";
		char name[64];
		// Parked (idle 2 ms, well past every spin window), interleaved.
		llt_threadpool *p;
		if (llt_threadpool_create(&a, &p) != 0)
			abort();
		llt_sched_attr sa;
		memset(&sa, 0, sizeof sa);
		sa.pool = a;
		llt_sched *s1, *s2 = nullptr, *s3 = nullptr;
		if (llt_sched_create(&sa, &s1) != 0)
			abort();
		if (!pinned) {
			// Without the short slice the workers ask for: shows
			// what it buys (a worker woken onto the spinning
			// submitter's CPU waits out the submitter's slice).
			sa.pool.slice_us = LLT_THREADPOOL_SLICE_KERNEL;
			if (llt_sched_create(&sa, &s3) != 0)
				abort();
			sa.pool.slice_us = 0;
			// The default shape: 2 workers (one searches, one sleeps).
			sa.pool.workers = 2;
			if (llt_sched_create(&sa, &s2) != 0)
				abort();
		}
		std::atomic<bool> stop{false};
		std::thread t([&] {
			if (pinned)
				llt_cpu_pin(worker_cpu);
			for (;;) {
				while (futex_word.load(std::memory_order_acquire) == 0)
					syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
				futex_word.store(0, std::memory_order_relaxed);
				if (stop.load())
					return;
				stamp(nullptr);
			}
		});
		std::vector<WakeCase> cs;
		cs.push_back({std::string("threadpool parked, ") + tag,
			      [&] { llt_threadpool_submit(p, stamp, nullptr); }, nullptr});
		cs.push_back({std::string("llt_sched parked, ") + tag, [&] { llt_sched_submit(s1, stamp, nullptr); },
			      nullptr});
		if (s2)
			cs.push_back({std::string("llt_sched 2 workers parked, ") + tag,
				      [&] { llt_sched_submit(s2, stamp, nullptr); }, nullptr});
		if (s3)
			cs.push_back({std::string("llt_sched parked, kernel slice, ") + tag,
				      [&] { llt_sched_submit(s3, stamp, nullptr); }, nullptr});
		cs.push_back({std::string("bare futex hand-off, ") + tag, [&] {
				      futex_word.store(1, std::memory_order_release);
				      syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
			      }, nullptr});
		measure_interleaved(cs, 300, 2000);
		stop = true;
		futex_word.store(1);
		syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
		t.join();
		llt_threadpool_free(p);
		llt_sched_free(s1);
		if (s2)
			llt_sched_free(s2);
		if (s3)
			llt_sched_free(s3);
		// Spinning: one at a time (a spinner would steal the others' CPU).
		a.idle = LLT_THREADPOOL_IDLE_SPIN;
		if (llt_threadpool_create(&a, &p) != 0)
			abort();
		snprintf(name, sizeof name, "threadpool spinning, %s", tag);
		measure(name, 3000, 20, [&] { llt_threadpool_submit(p, stamp, nullptr); });
		llt_threadpool_free(p);
		a.idle = 0;
		sa.pool = a;
		if (llt_sched_create(&sa, &S) != 0)
			abort();
		snprintf(name, sizeof name, "llt_sched spinning (idle 20 us), %s", tag);
		measure(name, 3000, 20, [&] { llt_sched_submit(S, stamp, nullptr); });
		llt_sched_free(S);
		// The spinning floor: a thread polling a flag.
		stop = false;
		std::atomic<uint32_t> flag{0};
		std::thread u([&] {
			if (pinned)
				llt_cpu_pin(worker_cpu);
			for (;;) {
				while (flag.load(std::memory_order_acquire) == 0)
					llt_cpu_relax();
				flag.store(0, std::memory_order_relaxed);
				if (stop.load())
					return;
				stamp(nullptr);
			}
		});
		snprintf(name, sizeof name, "bare spinning hand-off, %s", tag);
		measure(name, 3000, 20, [&] { flag.store(1, std::memory_order_release); });
		stop = true;
		flag.store(1);
		u.join();
	}
	llt_cpu_unpin();
}

// --------------------------------------------------------------- at rest

static std::atomic<clockid_t> rest_clock[2];

static void rest_hook(unsigned worker, void *)
{
	clockid_t c;
	if (worker < 2 && pthread_getcpuclockid(pthread_self(), &c) == 0)
		rest_clock[worker].store(c);
}

static uint64_t clock_ns(clockid_t c)
{
	timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void nop(void *) {}

static void bench_rest()
{
	printf("\n== at rest: CPU time of 2 parked workers over 1 s after their spin window\n");
	printf("%-40s %12s %10s %10s\n", "configuration", "CPU us/s", "parks", "wakes");
	for (int which = 0; which < 2; which++) {
		llt_threadpool_attr a;
		memset(&a, 0, sizeof a);
		a.workers = 2;
		a.on_start = rest_hook;
		llt_threadpool *p = nullptr;
		if (which == 0) {
			if (llt_threadpool_create(&a, &p) != 0)
				abort();
			for (int i = 0; i < 1000; i++)
				llt_threadpool_submit(p, nop, nullptr);
		} else {
			llt_sched_attr sa;
			memset(&sa, 0, sizeof sa);
			sa.pool = a;
			if (llt_sched_create(&sa, &S) != 0)
				abort();
			llt_sched_group g;
			llt_sched_group_init(&g, S);
			for (int i = 0; i < 1000; i++)
				llt_sched_spawn(&g, nop, nullptr);
			llt_sched_wait(&g);
		}
		timespec settle = {0, 100000000}; // 100 ms: past any spin window
		nanosleep(&settle, nullptr);
		uint64_t parks0, wakes0, parks1, wakes1;
		auto counts = [&](uint64_t &pk, uint64_t &wk) {
			if (p) {
				struct llt_threadpool_stats st;
				llt_threadpool_stats(p, &st);
				pk = st.parks, wk = st.wakes;
			} else {
				struct llt_sched_stats st;
				llt_sched_stats(S, &st);
				pk = st.parks, wk = st.wakes;
			}
		};
		counts(parks0, wakes0);
		uint64_t c0 = clock_ns(rest_clock[0]) + clock_ns(rest_clock[1]);
		timespec rest = {1, 0};
		nanosleep(&rest, nullptr);
		uint64_t used = clock_ns(rest_clock[0]) + clock_ns(rest_clock[1]) - c0;
		counts(parks1, wakes1);
		printf("%-40s %12.1f %10llu %10llu\n", p ? "threadpool (park), 2 workers" : "llt_sched, 2 workers",
		       used / 1000.0, (unsigned long long)(parks1 - parks0), (unsigned long long)(wakes1 - wakes0));
		if (p)
			llt_threadpool_free(p);
		else
			llt_sched_free(S);
	}
}

int main(int argc, char **argv)
{
	bool quick = false;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--quick"))
			quick = true;
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	if (std::thread::hardware_concurrency() < 2 || !llt_cpu_is_allowed(0) || !llt_cpu_is_allowed(1)) {
		printf("bench_exec: needs CPUs 0 and 1\n");
		return 77;
	}
#ifdef HAVE_TBB
	tbb::global_control gc(tbb::global_control::max_allowed_parallelism, 2);
#endif
	printf("bench_exec: llt/sched, llt/threadpool vs%s%s; timings are noisy on a shared machine\n",
#ifdef HAVE_TBB
	       " TBB",
#else
	       "",
#endif
#ifdef HAVE_OMP
	       " OpenMP(libgomp)"
#else
	       ""
#endif
	);
	double pp0 = pingpong_ns();
	printf("placement probe: padded-atomic round trip CPU0<->CPU1 %.0f ns (%s)\n", pp0,
	       pp0 < 300 ? "near" : "far");
	auto want = [&](const char *sec) {
		bool any = false;
		for (int i = 1; i < argc; i++)
			if (argv[i][0] != '-') {
				any = true;
				if (!strcmp(argv[i], sec))
					return true;
			}
		return !any;
	};
	if (want("fib")) {
		print_load("before fib");
		bench_fib();
	}
	if (want("for")) {
		print_load("before for");
		bench_unbalanced();
	}
	if (want("wake") && !quick) {
		print_load("before wake");
		bench_wake();
	}
	if (want("rest") && !quick) {
		print_load("before rest");
		bench_rest();
	}
	print_load("at the end");
	double pp1 = pingpong_ns();
	printf("\nplacement probe after: %.0f ns (%s)\n", pp1, pp1 < 300 ? "near" : "far");
	return 0;
}
