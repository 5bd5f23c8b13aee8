/* llt/cpu: run-time CPU features, topology from sysfs, thread placement. */
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(HAVE_CPUID_H)
#  include <cpuid.h>
#endif
#if defined(__aarch64__)
#  include <sys/auxv.h>
#endif

#include <llt/cpu.h>

#define SYSCPU "/sys/devices/system/cpu"

int llt_impl_read_file(const char *path, char *buf, size_t size)
{
	buf[0] = '\0'; /* an empty string on failure too (clang-analyzer) */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	int err = errno;
	close(fd);
	if (n < 0)
		return -err;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return (int)n;
}

int llt_impl_parse_cpulist(const char *s, uint64_t *bits, int nbits)
{
	int count = 0;
	while (*s) {
		char *end;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		long a = strtol(s, &end, 10), b = a;
		s = end;
		if (*s == '-') {
			if (!isdigit((unsigned char)s[1]))
				return -EINVAL;
			b = strtol(s + 1, &end, 10);
			s = end;
		}
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
		if (a < 0 || b < a)
			return -EINVAL;
		for (long i = a; i <= b && i < nbits; i++) {
			if (!llt_impl_bit(bits, (int)i))
				count++;
			bits[i / 64] |= UINT64_C(1) << (i % 64);
		}
	}
	return count;
}

/* ----------------------------------------------------------------- features */

static uint64_t cpu_features;
static pthread_once_t features_once = PTHREAD_ONCE_INIT;

static void features_init(void)
{
	uint64_t f = 0;
#if defined(HAVE_CPUID_H) && (defined(__x86_64__) || defined(__i386__))
	unsigned a, b, c, d, max, ext;
	max = __get_cpuid_max(0, NULL);
	ext = __get_cpuid_max(0x80000000u, NULL);
	if (max >= 1) {
		__cpuid(1, a, b, c, d);
		if (d & (1u << 4))
			f |= LLT_CPU_TSC;
		if (d & (1u << 26))
			f |= LLT_CPU_SSE2;
		if (c & (1u << 31))
			f |= LLT_CPU_HYPERVISOR;
	}
	if (max >= 7) {
		__cpuid_count(7, 0, a, b, c, d);
		/* AVX2 is only usable when the OS saves YMM state (XGETBV),
		 * which every Linux that boots on such a CPU does. */
		if (b & (1u << 5))
			f |= LLT_CPU_AVX2;
		if (b & (1u << 16))
			f |= LLT_CPU_AVX512F;
		if (b & (1u << 23))
			f |= LLT_CPU_CLFLUSHOPT;
		if (c & (1u << 5))
			f |= LLT_CPU_WAITPKG;
	}
	if (ext >= 0x80000001u) {
		__cpuid(0x80000001u, a, b, c, d);
		if (d & (1u << 27))
			f |= LLT_CPU_RDTSCP;
		if (c & (1u << 29))
			f |= LLT_CPU_MONITORX;
	}
	if (ext >= 0x80000007u) {
		__cpuid(0x80000007u, a, b, c, d);
		if (d & (1u << 8))
			f |= LLT_CPU_INVARIANT_TSC;
	}
#elif defined(__aarch64__)
	/* The generic timer is architectural on ARMv8-A, and its frequency
	 * never changes with power states. */
	f |= LLT_CPU_CNTVCT;
#  ifdef HWCAP_ATOMICS
	if (getauxval(AT_HWCAP) & HWCAP_ATOMICS)
		f |= LLT_CPU_LSE;
#  endif
	char buf[64];
	if (llt_impl_read_file("/sys/hypervisor/type", buf, sizeof buf) > 0)
		f |= LLT_CPU_HYPERVISOR;
#endif
	cpu_features = f;
}

uint64_t llt_cpu_features(void)
{
	pthread_once(&features_once, features_init);
	return cpu_features;
}

bool llt_cpu_has(uint64_t features)
{
	return features != 0 && (llt_cpu_features() & features) == features;
}

const char *llt_cpu_feature_name(uint64_t feature)
{
	static const char *const names[] = {
		"tsc", "rdtscp", "invariant_tsc", "hypervisor", "cntvct", "sse2",
		"avx2", "avx512f", "waitpkg", "monitorx", "clflushopt", "lse",
	};
	if (feature == 0 || (feature & (feature - 1)) != 0)
		return NULL;
	unsigned i = (unsigned)__builtin_ctzll(feature);
	return i < sizeof names / sizeof names[0] ? names[i] : NULL;
}

void llt_impl_cpu_model(char *buf, size_t size)
{
	buf[0] = '\0';
#if defined(HAVE_CPUID_H) && (defined(__x86_64__) || defined(__i386__))
	if ((unsigned)__get_cpuid_max(0x80000000u, NULL) >= 0x80000004u) { /* int in clang's <cpuid.h> */
		unsigned r[12];
		for (unsigned i = 0; i < 3; i++)
			__cpuid(0x80000002u + i, r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
		char s[49];
		memcpy(s, r, 48);
		s[48] = '\0';
		const char *p = s;
		while (*p == ' ')
			p++;
		snprintf(buf, size, "%s", p);
		return;
	}
#endif
	FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (colon && (!strncmp(line, "model name", 10) || !strncmp(line, "CPU part", 8))) {
			colon++;
			while (*colon == ' ')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, size, "%s", colon);
			break;
		}
	}
	fclose(f);
}

void llt_impl_hypervisor(char *buf, size_t size)
{
	buf[0] = '\0';
	if (!llt_cpu_has(LLT_CPU_HYPERVISOR))
		return;
#if defined(HAVE_CPUID_H) && (defined(__x86_64__) || defined(__i386__))
	unsigned a, r[3];
	__cpuid(0x40000000u, a, r[0], r[1], r[2]);
	char s[13];
	memcpy(s, r, 12);
	s[12] = '\0';
	snprintf(buf, size, "%s", s);
#else
	if (llt_impl_read_file("/sys/hypervisor/type", buf, size) < 0)
		snprintf(buf, size, "unknown");
#endif
}

size_t llt_cpu_cacheline_size(void)
{
	char buf[32];
	long v = 0;
	if (llt_impl_read_file(SYSCPU "/cpu0/cache/index0/coherency_line_size", buf, sizeof buf) > 0)
		v = strtol(buf, NULL, 10);
#ifdef _SC_LEVEL1_DCACHE_LINESIZE
	if (v <= 0)
		v = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
#endif
#if defined(HAVE_CPUID_H) && (defined(__x86_64__) || defined(__i386__))
	if (v <= 0) {
		unsigned a, b, c, d;
		if (__get_cpuid(1, &a, &b, &c, &d))
			v = (long)((b >> 8) & 0xff) * 8; /* CLFLUSH line size */
	}
#elif defined(__aarch64__)
	if (v <= 0) {
		uint64_t ctr;
		__asm__ __volatile__("mrs %0, ctr_el0" : "=r"(ctr));
		v = 4L << ((ctr >> 16) & 0xf); /* DminLine, log2 words */
	}
#endif
	if (v <= 0 || (v & (v - 1)) != 0)
		v = LLT_CACHELINE_SIZE;
	return (size_t)v;
}

/* ------------------------------------------------------------- allowed set */

static int possible_cpus;
static uint64_t *allowed_bits;  /* captured at load; never freed (process lifetime) */

static int read_possible(void)
{
	char buf[256];
	int n = 0;
	if (llt_impl_read_file(SYSCPU "/possible", buf, sizeof buf) > 0) {
		/* The highest id is the last number in the list. */
		char *p = buf + strlen(buf);
		while (p > buf && isdigit((unsigned char)p[-1]))
			p--;
		n = atoi(p) + 1;
	}
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	if (conf > n)
		n = (int)conf;
	return n > 0 ? n : 1;
}

/* A constructor, so that "allowed" means the set the process was started
 * with, not whatever a thread later pinned itself to. */
__attribute__((constructor)) static void allowed_init(void)
{
	possible_cpus = read_possible();
	int nbits = possible_cpus;
	for (;;) {
		size_t sz = CPU_ALLOC_SIZE(nbits);
		cpu_set_t *set = CPU_ALLOC(nbits);
		if (!set)
			return;
		CPU_ZERO_S(sz, set);
		if (sched_getaffinity(0, sz, set) == 0) {
			uint64_t *bits = calloc(LLT_BITS_WORDS(possible_cpus), sizeof *bits);
			if (bits) {
				for (int i = 0; i < possible_cpus; i++)
					if (CPU_ISSET_S(i, sz, set))
						bits[i / 64] |= UINT64_C(1) << (i % 64);
			}
			allowed_bits = bits;
			CPU_FREE(set);
			return;
		}
		CPU_FREE(set);
		if (errno != EINVAL || nbits > (1 << 16))
			return;
		nbits *= 2; /* the kernel's mask is larger than sysfs said */
	}
}

int llt_impl_cpu_possible(void)
{
	return possible_cpus > 0 ? possible_cpus : read_possible();
}

bool llt_impl_cpu_allowed(int cpu)
{
	if (cpu < 0 || cpu >= possible_cpus)
		return false;
	if (!allowed_bits) /* capture failed: trust the kernel to refuse */
		return true;
	return llt_impl_bit(allowed_bits, cpu);
}

int llt_impl_cpu_allowed_list(int *cpus, size_t max)
{
	int n = 0;
	for (int i = 0; i < possible_cpus; i++) {
		if (!llt_impl_cpu_allowed(i))
			continue;
		if (cpus && (size_t)n < max)
			cpus[n] = i;
		n++;
	}
	return n;
}

bool llt_cpu_is_allowed(int cpu)
{
	return llt_impl_cpu_allowed(cpu);
}

/* ---------------------------------------------------------------- pinning */

static int set_affinity(const int *cpus, size_t n)
{
	int nbits = llt_impl_cpu_possible();
	size_t sz = CPU_ALLOC_SIZE(nbits);
	cpu_set_t *set = CPU_ALLOC(nbits);
	if (!set)
		return -ENOMEM;
	CPU_ZERO_S(sz, set);
	for (size_t i = 0; i < n; i++) {
		if (!llt_impl_cpu_allowed(cpus[i])) {
			CPU_FREE(set);
			return -EINVAL;
		}
		CPU_SET_S((size_t)cpus[i], sz, set);
	}
	int err = pthread_setaffinity_np(pthread_self(), sz, set);
	CPU_FREE(set);
	return -err;
}

int llt_cpu_pin(int cpu)
{
	return set_affinity(&cpu, 1);
}

int llt_cpu_pin_set(const int *cpus, size_t n)
{
	if (!cpus || n == 0)
		return -EINVAL;
	return set_affinity(cpus, n);
}

int llt_cpu_unpin(void)
{
	int n = llt_impl_cpu_allowed_list(NULL, 0);
	if (n <= 0)
		return -ENODEV;
	int *cpus = malloc((size_t)n * sizeof *cpus);
	if (!cpus)
		return -ENOMEM;
	llt_impl_cpu_allowed_list(cpus, (size_t)n);
	int r = set_affinity(cpus, (size_t)n);
	free(cpus);
	return r;
}

int llt_cpu_current(void)
{
	int c = sched_getcpu();
	return c >= 0 ? c : -errno;
}

/* --------------------------------------------------------------- topology */

struct llt_cpu_topology {
	int count;
	int *core_first;  /* lowest CPU of each CPU's thread_siblings_list, -1 unknown */
	struct llt_cpu_info cpu[];
};

/* An integer from /sys/devices/system/cpu/cpuN/topology/<name>. */
static int read_topology_int(int cpu, const char *name, int dflt)
{
	char path[128], buf[32];
	snprintf(path, sizeof path, SYSCPU "/cpu%d/topology/%s", cpu, name);
	if (llt_impl_read_file(path, buf, sizeof buf) <= 0)
		return dflt;
	char *end;
	long v = strtol(buf, &end, 10);
	return end != buf ? (int)v : dflt;
}

/* The lowest CPU of a list file, or -1. */
static int first_of_list(const char *path, int nbits)
{
	char buf[1024];
	if (llt_impl_read_file(path, buf, sizeof buf) <= 0)
		return -1;
	uint64_t *bits = calloc(LLT_BITS_WORDS(nbits), sizeof *bits);
	if (!bits)
		return -1;
	int first = -1;
	if (llt_impl_parse_cpulist(buf, bits, nbits) > 0)
		for (int i = 0; i < nbits; i++)
			if (llt_impl_bit(bits, i)) {
				first = i;
				break;
			}
	free(bits);
	return first;
}

static int cpu_node(int cpu)
{
	char path[96];
	snprintf(path, sizeof path, SYSCPU "/cpu%d", cpu);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int node = -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (!strncmp(e->d_name, "node", 4) && isdigit((unsigned char)e->d_name[4])) {
			node = atoi(e->d_name + 4);
			break;
		}
	closedir(d);
	return node;
}

/* The highest-level cache index that says which CPUs share it. */
static int cpu_llc(int cpu, int nbits)
{
	int best_level = -1, llc = -1;
	for (int idx = 0; idx < 16; idx++) {
		char path[128];
		snprintf(path, sizeof path, SYSCPU "/cpu%d/cache/index%d/level", cpu, idx);
		char buf[16];
		if (llt_impl_read_file(path, buf, sizeof buf) <= 0)
			break;
		int level = atoi(buf);
		if (level <= best_level)
			continue;
		snprintf(path, sizeof path, SYSCPU "/cpu%d/cache/index%d/shared_cpu_list", cpu, idx);
		int first = first_of_list(path, nbits);
		if (first >= 0) {
			best_level = level;
			llc = first;
		}
	}
	return llc;
}

int llt_cpu_topology_create(struct llt_cpu_topology **out)
{
	if (!out)
		return -EINVAL;
	int n = llt_impl_cpu_possible();
	struct llt_cpu_topology *t = calloc(1, sizeof *t + (size_t)n * sizeof t->cpu[0]);
	if (!t)
		return -ENOMEM;
	t->count = n;
	t->core_first = malloc((size_t)n * sizeof *t->core_first);
	if (!t->core_first) {
		free(t);
		return -ENOMEM;
	}

	uint64_t *online = calloc(LLT_BITS_WORDS(n), sizeof *online);
	if (!online) {
		llt_cpu_topology_free(t);
		return -ENOMEM;
	}
	char buf[1024];
	if (llt_impl_read_file(SYSCPU "/online", buf, sizeof buf) <= 0 ||
	    llt_impl_parse_cpulist(buf, online, n) <= 0) {
		long on = sysconf(_SC_NPROCESSORS_ONLN);
		for (long i = 0; i < on && i < n; i++)
			online[i / 64] |= UINT64_C(1) << (i % 64);
	}

	for (int c = 0; c < n; c++) {
		struct llt_cpu_info *ci = &t->cpu[c];
		ci->cpu = c;
		ci->online = llt_impl_bit(online, c);
		ci->allowed = llt_impl_cpu_allowed(c) && ci->online;
		ci->core = read_topology_int(c, "core_id", -1);
		ci->package = read_topology_int(c, "physical_package_id", -1);
		ci->node = cpu_node(c);
		ci->llc = cpu_llc(c, n);
		char path[128];
		snprintf(path, sizeof path, SYSCPU "/cpu%d/topology/thread_siblings_list", c);
		/* SMT siblings come from thread_siblings_list, not core_id,
		 * which is unique only within a die or cluster on some
		 * platforms. */
		ci->smt_index = 0;
		t->core_first[c] = -1;
		if (llt_impl_read_file(path, buf, sizeof buf) > 0) {
			uint64_t *sib = calloc(LLT_BITS_WORDS(n), sizeof *sib);
			if (sib && llt_impl_parse_cpulist(buf, sib, n) > 0)
				for (int s = 0; s < n; s++)
					if (llt_impl_bit(sib, s)) {
						if (t->core_first[c] < 0)
							t->core_first[c] = s;
						ci->smt_index += s < c;
					}
			free(sib);
		}
		if (ci->online && ci->node < 0 &&
		    access("/sys/devices/system/node", F_OK) != 0)
			ci->node = 0; /* a kernel without NUMA has one node */
	}
	free(online);
	*out = t;
	return 0;
}

void llt_cpu_topology_free(struct llt_cpu_topology *t)
{
	if (t)
		free(t->core_first);
	free(t);
}

int llt_cpu_topology_count(const struct llt_cpu_topology *t)
{
	return t ? t->count : -EINVAL;
}

int llt_cpu_topology_info(const struct llt_cpu_topology *t, int cpu, struct llt_cpu_info *info)
{
	if (!t || !info || cpu < 0 || cpu >= t->count)
		return -EINVAL;
	*info = t->cpu[cpu];
	return 0;
}

/* Store into cpus[] up to max entries; return how many matched. */
static int collect(const struct llt_cpu_topology *t, int *cpus, size_t max,
		   bool (*match)(const struct llt_cpu_info *, const struct llt_cpu_info *),
		   const struct llt_cpu_info *ref)
{
	if (!t || (!cpus && max))
		return -EINVAL;
	int n = 0;
	for (int c = 0; c < t->count; c++) {
		if (!match(&t->cpu[c], ref))
			continue;
		if ((size_t)n < max)
			cpus[n] = c;
		n++;
	}
	return n;
}

static bool match_allowed(const struct llt_cpu_info *c, const struct llt_cpu_info *ref)
{
	(void)ref;
	return c->allowed;
}

static bool match_llc(const struct llt_cpu_info *c, const struct llt_cpu_info *ref)
{
	return c->online && c->llc >= 0 && c->llc == ref->llc;
}

int llt_cpu_topology_allowed(const struct llt_cpu_topology *t, int *cpus, size_t max)
{
	return collect(t, cpus, max, match_allowed, NULL);
}

int llt_cpu_topology_siblings(const struct llt_cpu_topology *t, int cpu, int *cpus, size_t max)
{
	if (!t || cpu < 0 || cpu >= t->count || (!cpus && max))
		return -EINVAL;
	int core = t->core_first[cpu];
	int n = 0;
	for (int c = 0; c < t->count; c++) {
		/* Unknown: a CPU is its own only sibling. */
		bool same = core < 0 ? c == cpu : t->core_first[c] == core && t->cpu[c].online;
		if (!same)
			continue;
		if ((size_t)n < max)
			cpus[n] = c;
		n++;
	}
	return n;
}

int llt_cpu_topology_llc_peers(const struct llt_cpu_topology *t, int cpu, int *cpus, size_t max)
{
	if (!t || cpu < 0 || cpu >= t->count)
		return -EINVAL;
	const struct llt_cpu_info *ref = &t->cpu[cpu];
	if (ref->llc < 0)
		return -ENODATA;
	return collect(t, cpus, max, match_llc, ref);
}
