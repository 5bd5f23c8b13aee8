/* lib/membarrier.c, the asymmetric fences' shared heavy side, through the
 * three modules that use it: LLT_MEMBARRIER=0 must make llt/park (and so
 * llt/chan), llt/sched and the llt/hist recorder keep their symmetric
 * fenced protocols, and no module may issue the heavy membarrier call
 * then; by default each of them must use it where the kernel allows it.
 *
 * The observable: in a fresh process (llt_test_in_child) a seccomp filter
 * traps membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) and a SIGSYS handler
 * counts each call, then issues it itself (with an ignored third argument
 * the filter lets through) and returns its result, so the protocols keep
 * working.  x86_64 only (the handler writes the return register); other
 * machines check the modules' mode flags alone. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <llt/chan.h>
#include <llt/hist.h>
#include <llt/park.h>
#include <llt/sched.h>

#include "testutil.h"

#if defined(HAVE_MEMBARRIER) && defined(__x86_64__)
#  define TRAP 1
#  include <linux/audit.h>
#  include <linux/filter.h>
#  include <linux/membarrier.h>
#  include <linux/seccomp.h>
#  include <sys/prctl.h>
#  include <sys/syscall.h>
#  include <ucontext.h>
#elif defined(HAVE_MEMBARRIER)
#  include <linux/membarrier.h>
#  include <sys/syscall.h>
#endif

#if defined(__SANITIZE_THREAD__)
#  define TSAN 1
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define TSAN 1
#  endif
#endif

/* The children run outside Check's test runner: no ck_assert there. */
#define REQUIRE(x) do { \
	if (!(x)) { \
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #x); \
		exit(9); \
	} \
} while (0)

static uint64_t heavy_calls;
static int trapping;

#if defined(TRAP)
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ctx;
	int saved = errno;
	/* Relaxed: a counter, read after the threads that call are joined
	 * or after the call returned on the reading thread. */
	__atomic_fetch_add(&heavy_calls, 1, __ATOMIC_RELAXED);
	long r = syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 1);
	uc->uc_mcontext.gregs[REG_RAX] = r == -1 ? -errno : r;
	errno = saved;
}

static int install_trap(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_membarrier, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* The low halves of the arguments (little-endian). */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof f / sizeof f[0]), f };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		return -1;
	return 0;
}
#else
static int install_trap(void)
{
	return -1;
}
#endif

/* What the library should decide by default: membarrier usable here
 * (queried and registered, as lib/membarrier.c does) and not TSan. */
static bool kernel_allows(void)
{
#if defined(HAVE_MEMBARRIER) && !defined(TSAN)
	long q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	return q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	       syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
	return false;
#endif
}

static uint64_t calls(void)
{
	return __atomic_load_n(&heavy_calls, __ATOMIC_RELAXED);
}

/* Each module's exercise returns 1 if it ran in its asymmetric mode (by
 * its own flag), 0 if fenced; *delta is the number of heavy calls it made
 * (meaningful when trapping). */

static int use_park(uint64_t *delta)
{
	struct llt_park p;
	REQUIRE((llt_park_init(&p, LLT_PARK_ASYMMETRIC)) == 0);
	uint64_t c0 = calls();
	for (int i = 0; i < 3; i++) {
		(void)llt_park_prepare_wait(&p);
		llt_park_cancel_wait(&p);
	}
	*delta = calls() - c0;
	int asym = (p.flags & LLT_PARK_IMPL_ASYM) != 0;
	REQUIRE((llt_park_destroy(&p)) == 0);
	return asym;
}

static int use_chan(uint64_t *delta)
{
	struct llt_chan *c;
	int v = 0;
	REQUIRE((llt_chan_create(8, sizeof v, NULL, &c)) == 0);
	/* A fresh channel's parks are asymmetric where allowed; the first
	 * wait, with nothing moved before it, switches the receiver's park
	 * to the symmetric protocol and pays the membarrier once more (see
	 * lib/chan.c, "fence protocol"; tests/check_chan.c checks the
	 * switches). */
	int asym = (c->not_empty.flags & LLT_PARK_IMPL_ASYM) != 0;
	uint64_t c0 = calls();
	/* Empty: the receiver spins, then parks until the timeout. */
	REQUIRE((llt_chan_recv_timed(c, &v, 20 * 1000000ull)) == -ETIMEDOUT);
	*delta = calls() - c0;
	REQUIRE(c->rx.fence_adapt == asym);
	llt_chan_free(c);
	return asym;
}

static void sleep_ms(int ms);

/* The channel chooses its parks' protocol per wait (lib/chan.c, "fence
 * protocol"): a receiver that parks for every message must use the
 * symmetric fences, so its membarrier calls are a few (the switch, and a
 * probe every 64 or more waits), not one or two per park as with the
 * asymmetric protocol alone.  Then a stream with long runs between parks
 * brings the asymmetric protocol back: calls again. */
struct chan_rx {
	struct llt_chan *c;
	uint64_t got;
};

static void *chan_receiver(void *p)
{
	struct chan_rx *r = p;
	uint64_t v;
	while (llt_chan_recv(r->c, &v) == 0) {
		/* Relaxed: read after the join. */
		__atomic_store_n(&r->got, r->got + 1, __ATOMIC_RELAXED);
		if ((r->got & 8191) == 0)
			sleep_ms(1);  /* the ring fills: the next run is long */
	}
	return NULL;
}

static void use_chan_regimes(uint64_t *paced, uint64_t *paced_parks, uint64_t *stream)
{
	struct llt_chan_attr a = {0, 0, 0};  /* spin 0: every wait parks */
	struct chan_rx r = {NULL, 0};
	pthread_t t;
	REQUIRE((llt_chan_create(4096, sizeof(uint64_t), &a, &r.c)) == 0);
	REQUIRE((pthread_create(&t, NULL, chan_receiver, &r)) == 0);
	struct llt_chan_stats st;
	uint64_t v = 0, c0 = calls();
	for (int i = 0; i < 300; i++, v++) {
		REQUIRE((llt_chan_send(r.c, &v)) == 0);
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
	*paced = calls() - c0;
	llt_chan_stats(r.c, &st);
	*paced_parks = st.receiver_parks;
	c0 = calls();
	for (int i = 0; i < 200000; i++, v++)
		REQUIRE((llt_chan_send(r.c, &v)) == 0);
	while (__atomic_load_n(&r.got, __ATOMIC_RELAXED) < v)
		sleep_ms(1);
	sleep_ms(5);  /* the receiver parks again */
	*stream = calls() - c0;
	llt_chan_close(r.c);
	REQUIRE((pthread_join(t, NULL)) == 0);
	REQUIRE(r.got == v);
	llt_chan_free(r.c);
}

static int use_hist(uint64_t *delta)
{
	struct llt_hist_recorder r;
	struct llt_hist out;
	REQUIRE((llt_hist_recorder_init(&r, 1, 1000000, 2)) == 0);
	REQUIRE((llt_hist_init(&out, 1, 1000000, 2)) == 0);
	REQUIRE(llt_hist_recorder_record(&r, 42));
	uint64_t c0 = calls();
	REQUIRE((llt_hist_recorder_snapshot(&r, &out)) == 0);
	*delta = calls() - c0;
	REQUIRE((llt_hist_count(&out)) == 1);
	int asym = r.impl_mode == LLT_HIST_IMPL_FENCE_ASYM;
	llt_hist_destroy(&out);
	llt_hist_recorder_destroy(&r);
	return asym;
}

static void task(void *arg)
{
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* No flag is public here: the count of heavy calls is the observable.
 * With spin_ns = UINT64_MAX the workers go to sleep at once, each paying
 * the heavy barrier in the asymmetric mode. */
static void use_sched(uint64_t *delta)
{
	struct llt_sched_attr a;
	struct llt_sched *s;
	int done = 0;
	memset(&a, 0, sizeof a);
	a.pool.workers = 2;
	a.spin_ns = UINT64_MAX;
	uint64_t c0 = calls();
	REQUIRE((llt_sched_create(&a, &s)) == 0);
	sleep_ms(20);
	REQUIRE((llt_sched_submit(s, task, &done)) == 0);
	for (int i = 0; i < 5000 && !__atomic_load_n(&done, __ATOMIC_ACQUIRE); i++)
		sleep_ms(1);
	REQUIRE(__atomic_load_n(&done, __ATOMIC_ACQUIRE));
	sleep_ms(20);
	llt_sched_free(s);
	*delta = calls() - c0;
}

/* want_* : 1 the module must be asymmetric (and call), 0 fenced (no call). */
static int run_modules(int want_park, int want_hist, int want_sched)
{
	trapping = install_trap() == 0;
	uint64_t dp, dc, dh, ds;
	int ap = use_park(&dp), ac = use_chan(&dc), ah = use_hist(&dh);
	use_sched(&ds);
	printf("trap %s; park %s (%llu calls), chan %s (%llu), hist %s (%llu), sched (%llu)\n",
	       trapping ? "on" : "off (flags only)", ap ? "asym" : "fenced", (unsigned long long)dp,
	       ac ? "asym" : "fenced", (unsigned long long)dc, ah ? "asym" : "fenced",
	       (unsigned long long)dh, (unsigned long long)ds);
	if (ap != want_park || ac != want_park)
		return 2;
	if (ah != want_hist)
		return 3;
	if (trapping && want_park) {
		uint64_t paced, parks, stream;
		use_chan_regimes(&paced, &parks, &stream);
		printf("chan regimes: %llu calls for %llu paced parks, %llu while streaming\n",
		       (unsigned long long)paced, (unsigned long long)parks, (unsigned long long)stream);
		if (parks < 200 || paced > parks / 16 || stream == 0)
			return 7;
	}
	if (trapping) {
		if ((dp > 0) != want_park || (dc > 0) != want_park)
			return 4;
		if ((dh > 0) != want_hist)
			return 5;
		if ((ds > 0) != want_sched)
			return 6;
	}
	return 0;
}

static int child_global_off(void)
{
	return run_modules(0, 0, 0);
}

static int child_default(void)
{
	int k = kernel_allows();
	return run_modules(k, k, k);
}

static int child_park_off(void)
{
	int k = kernel_allows();
	return run_modules(0, k, k);
}

static int child_sched_off(void)
{
	int k = kernel_allows();
	return run_modules(k, k, 0);
}

static int child_hist_off(void)
{
	int k = kernel_allows();
	return run_modules(k, 0, k);
}

#define CLEAN "LLT_MEMBARRIER", "LLT_PARK_FENCE", "LLT_HIST_MEMBARRIER", "LLT_SCHED_MEMBARRIER"

START_TEST(global_switch)
{
	static const char *const env[] = {CLEAN, "LLT_MEMBARRIER=0", NULL};
	llt_test_in_child("global_off", env);
}
END_TEST

START_TEST(default_mode)
{
	static const char *const env[] = {CLEAN, NULL};
	/* Any other value than 0 leaves the default. */
	static const char *const env1[] = {CLEAN, "LLT_MEMBARRIER=1", NULL};
	llt_test_in_child("default", env);
	llt_test_in_child("default", env1);
}
END_TEST

START_TEST(module_switches)
{
	static const char *const park[] = {CLEAN, "LLT_PARK_FENCE=1", NULL};
	static const char *const sched[] = {CLEAN, "LLT_SCHED_MEMBARRIER=0", NULL};
	static const char *const hist[] = {CLEAN, "LLT_HIST_MEMBARRIER=0", NULL};
	llt_test_in_child("park_off", park);
	llt_test_in_child("sched_off", sched);
	llt_test_in_child("hist_off", hist);
}
END_TEST

static const struct llt_test_child children[] = {
	{"global_off", child_global_off},
	{"default", child_default},
	{"park_off", child_park_off},
	{"sched_off", child_sched_off},
	{"hist_off", child_hist_off},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	int r = llt_test_child_main(argc, argv, children);
	if (r >= 0)
		return r;
	Suite *s = suite_create("membarrier");
	TCase *tc = tcase_create("switches");
	tcase_add_test(tc, global_switch);
	tcase_add_test(tc, default_mode);
	tcase_add_test(tc, module_switches);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
