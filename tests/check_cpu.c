/* llt/cpu: features, cache line, topology, argument checks.  Cases that
 * need two CPUs live in check_cpu_pin.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* when built outside configure's config.h */
#endif
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <llt/cpu.h>

#include "testutil.h"

START_TEST(features_consistent)
{
	uint64_t f = llt_cpu_features();
	ck_assert_uint_eq(f, llt_cpu_features());
#if defined(__x86_64__)
	ck_assert(llt_cpu_has(LLT_CPU_TSC));
	ck_assert(llt_cpu_has(LLT_CPU_SSE2));
	ck_assert(!llt_cpu_has(LLT_CPU_CNTVCT));
#elif defined(__aarch64__)
	ck_assert(llt_cpu_has(LLT_CPU_CNTVCT));
	ck_assert(!llt_cpu_has(LLT_CPU_TSC));
#endif
	ck_assert(!llt_cpu_has(0));
	/* Every set bit has a name; has() of several bits needs all. */
	for (int i = 0; i < 64; i++) {
		uint64_t bit = UINT64_C(1) << i;
		if (f & bit) {
			ck_assert_ptr_nonnull(llt_cpu_feature_name(bit));
			ck_assert(llt_cpu_has(bit));
		}
	}
	ck_assert(!llt_cpu_has(f | (UINT64_C(1) << 63)));
	ck_assert_str_eq(llt_cpu_feature_name(LLT_CPU_TSC), "tsc");
	ck_assert_str_eq(llt_cpu_feature_name(LLT_CPU_INVARIANT_TSC), "invariant_tsc");
	ck_assert_ptr_null(llt_cpu_feature_name(0));
	ck_assert_ptr_null(llt_cpu_feature_name(LLT_CPU_TSC | LLT_CPU_RDTSCP));
	ck_assert_ptr_null(llt_cpu_feature_name(UINT64_C(1) << 63));
}
END_TEST

START_TEST(cacheline_sane)
{
	size_t line = llt_cpu_cacheline_size();
	ck_assert_uint_ge(line, 16);
	ck_assert_uint_le(line, 512);
	ck_assert_uint_eq(line & (line - 1), 0);
	long sc = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
	/* Under qemu-user, glibc reads the emulated CPU's CTR_EL0 while the
	 * library reads the host's /sys: two different machines. */
	if (sc > 0 && !llt_test_qemu())
		ck_assert_uint_eq(line, (size_t)sc);
	ck_assert_uint_ge(LLT_PAD_SIZE, LLT_CACHELINE_SIZE);
}
END_TEST

START_TEST(topology_matches_sysconf)
{
	struct llt_cpu_topology *t = NULL;
	ck_assert_int_eq(llt_cpu_topology_create(&t), 0);
	ck_assert_ptr_nonnull(t);
	int n = llt_cpu_topology_count(t);
	ck_assert_int_ge(n, (int)sysconf(_SC_NPROCESSORS_CONF));

	int online = 0;
	for (int c = 0; c < n; c++) {
		struct llt_cpu_info ci;
		ck_assert_int_eq(llt_cpu_topology_info(t, c, &ci), 0);
		ck_assert_int_eq(ci.cpu, c);
		online += ci.online;
		if (ci.allowed)
			ck_assert(ci.online);
		ck_assert_int_ge(ci.smt_index, 0);
		if (!ci.online)
			continue;
		/* A CPU is its own sibling, and its SMT index is its rank among them. */
		int sib[1024];
		int ns = llt_cpu_topology_siblings(t, c, sib, 1024);
		ck_assert_int_ge(ns, 1);
		ck_assert_int_lt(ci.smt_index, ns);
		int self = 0;
		for (int i = 0; i < ns && i < 1024; i++)
			self += sib[i] == c;
		ck_assert_int_eq(self, 1);
		int peers[1024];
		int np = llt_cpu_topology_llc_peers(t, c, peers, 1024);
		if (np == -ENODATA) {
			ck_assert_int_eq(ci.llc, -1);
		} else {
			ck_assert_int_ge(np, ns); /* SMT siblings share every cache */
			ck_assert_int_eq(ci.llc, peers[0]);
		}
	}
	ck_assert_int_eq(online, (int)sysconf(_SC_NPROCESSORS_ONLN));

	/* The allowed list is the affinity mask the process started with. */
	cpu_set_t set;
	CPU_ZERO(&set);
	ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
	int cpus[1024];
	int na = llt_cpu_topology_allowed(t, cpus, 1024);
	ck_assert_int_eq(na, CPU_COUNT(&set));
	for (int i = 0; i < na; i++) {
		ck_assert(CPU_ISSET(cpus[i], &set));
		ck_assert(llt_cpu_is_allowed(cpus[i]));
	}
	/* A short buffer still reports the full count. */
	ck_assert_int_eq(llt_cpu_topology_allowed(t, cpus, 1), na);
	ck_assert_int_eq(llt_cpu_topology_allowed(t, NULL, 0), na);
	llt_cpu_topology_free(t);
}
END_TEST

START_TEST(topology_bad_input)
{
	struct llt_cpu_topology *t;
	struct llt_cpu_info ci;
	int cpus[4];
	ck_assert_int_eq(llt_cpu_topology_create(NULL), -EINVAL);
	ck_assert_int_eq(llt_cpu_topology_create(&t), 0);
	int n = llt_cpu_topology_count(t);
	memset(&ci, 0x5a, sizeof ci);
	ck_assert_int_eq(llt_cpu_topology_info(t, -1, &ci), -EINVAL);
	ck_assert_int_eq(llt_cpu_topology_info(t, n, &ci), -EINVAL);
	ck_assert_int_eq(ci.cpu, 0x5a5a5a5a); /* untouched */
	ck_assert_int_eq(llt_cpu_topology_info(t, 0, NULL), -EINVAL);
	ck_assert_int_eq(llt_cpu_topology_info(NULL, 0, &ci), -EINVAL);
	ck_assert_int_eq(llt_cpu_topology_count(NULL), -EINVAL);
	ck_assert_int_eq(llt_cpu_topology_allowed(NULL, cpus, 4), -EINVAL);
	ck_assert_int_eq(llt_cpu_topology_allowed(t, NULL, 4), -EINVAL);
	ck_assert_int_eq(llt_cpu_topology_siblings(t, n, cpus, 4), -EINVAL);
	ck_assert_int_eq(llt_cpu_topology_siblings(t, -5, cpus, 4), -EINVAL);
	ck_assert_int_eq(llt_cpu_topology_llc_peers(t, n, cpus, 4), -EINVAL);
	llt_cpu_topology_free(t);
	llt_cpu_topology_free(NULL);
}
END_TEST

START_TEST(pin_bad_input)
{
	cpu_set_t before, after;
	ck_assert_int_eq(sched_getaffinity(0, sizeof before, &before), 0);
	ck_assert_int_eq(llt_cpu_pin(-1), -EINVAL);
	ck_assert_int_eq(llt_cpu_pin(1 << 20), -EINVAL);
	struct llt_cpu_topology *t;
	ck_assert_int_eq(llt_cpu_topology_create(&t), 0);
	ck_assert_int_eq(llt_cpu_pin(llt_cpu_topology_count(t)), -EINVAL);
	ck_assert_int_eq(llt_cpu_pin_set(NULL, 1), -EINVAL);
	int some[2] = {0, -3};
	ck_assert_int_eq(llt_cpu_pin_set(some, 0), -EINVAL);
	ck_assert_int_eq(llt_cpu_pin_set(some, 2), -EINVAL);
	llt_cpu_topology_free(t);
	/* Nothing changed. */
	ck_assert_int_eq(sched_getaffinity(0, sizeof after, &after), 0);
	ck_assert(CPU_EQUAL(&before, &after));
	ck_assert(!llt_cpu_is_allowed(-1));
	ck_assert(!llt_cpu_is_allowed(1 << 20));
}
END_TEST

START_TEST(pin_current)
{
	/* Works with one CPU too: pin to each allowed CPU in turn. */
	int cpus[1024];
	int n = llt_cpu_topology_allowed(NULL, NULL, 0);
	ck_assert_int_eq(n, -EINVAL);
	struct llt_cpu_topology *t;
	ck_assert_int_eq(llt_cpu_topology_create(&t), 0);
	n = llt_cpu_topology_allowed(t, cpus, 1024);
	llt_cpu_topology_free(t);
	for (int i = 0; i < n && i < 1024; i++) {
		ck_assert_int_eq(llt_cpu_pin(cpus[i]), 0);
		ck_assert_int_eq(llt_cpu_current(), cpus[i]);
		ck_assert_int_eq(sched_getcpu(), cpus[i]);
	}
	ck_assert_int_eq(llt_cpu_unpin(), 0);
	cpu_set_t set;
	ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
	ck_assert_int_eq(CPU_COUNT(&set), n);
	ck_assert_int_ge(llt_cpu_current(), 0);
}
END_TEST

START_TEST(relax_is_cheap)
{
	/* A smoke test that the hint assembles and returns. */
	for (int i = 0; i < 1000; i++)
		llt_cpu_relax();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpu");
	TCase *tc = tcase_create("basic");
	tcase_add_test(tc, features_consistent);
	tcase_add_test(tc, cacheline_sane);
	tcase_add_test(tc, topology_matches_sysconf);
	tcase_add_test(tc, topology_bad_input);
	tcase_add_test(tc, pin_bad_input);
	tcase_add_test(tc, pin_current);
	tcase_add_test(tc, relax_is_cheap);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
