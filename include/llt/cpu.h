/* llt/cpu.h: what the CPU offers and where threads run.
 *
 * Run-time feature flags (cpuid, never configure-time facts), the cache
 * line, the topology read from sysfs, pinning, and llt_cpu_relax() for
 * spin loops.  See llt_cpu_features(3), llt_cpu_topology_create(3),
 * llt_cpu_pin(3), llt_cpu_relax(3). */
#ifndef LLT_CPU_H
#define LLT_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <llt/common.h>

LLT_BEGIN_DECLS

/* Bits of llt_cpu_features(). */
#define LLT_CPU_TSC            (UINT64_C(1) << 0)  /* x86 time-stamp counter */
#define LLT_CPU_RDTSCP         (UINT64_C(1) << 1)  /* rdtscp instruction */
#define LLT_CPU_INVARIANT_TSC  (UINT64_C(1) << 2)  /* constant rate in all P/C-states */
#define LLT_CPU_HYPERVISOR     (UINT64_C(1) << 3)  /* running in a virtual machine */
#define LLT_CPU_CNTVCT         (UINT64_C(1) << 4)  /* aarch64 generic timer */
#define LLT_CPU_SSE2           (UINT64_C(1) << 5)
#define LLT_CPU_AVX2           (UINT64_C(1) << 6)
#define LLT_CPU_AVX512F        (UINT64_C(1) << 7)
#define LLT_CPU_WAITPKG        (UINT64_C(1) << 8)  /* umonitor/umwait/tpause */
#define LLT_CPU_MONITORX       (UINT64_C(1) << 9)  /* AMD monitorx/mwaitx */
#define LLT_CPU_CLFLUSHOPT     (UINT64_C(1) << 10)
#define LLT_CPU_LSE            (UINT64_C(1) << 11) /* aarch64 LSE atomics */

LLT_API uint64_t llt_cpu_features(void);
LLT_API bool llt_cpu_has(uint64_t features);
LLT_API const char *llt_cpu_feature_name(uint64_t feature);
LLT_API size_t llt_cpu_cacheline_size(void);

/* Topology: a snapshot of sysfs and the process's allowed CPU set. */
struct llt_cpu_topology;

struct llt_cpu_info {
	int cpu;        /* logical CPU number */
	int core;       /* core_id within its package, -1 if unknown */
	int package;    /* physical package (socket), -1 if unknown */
	int node;       /* NUMA node, -1 if unknown */
	int llc;        /* lowest CPU number sharing this CPU's last-level cache, -1 if unknown */
	int smt_index;  /* 0 for the first hardware thread of its core, 1, 2... for the others */
	bool online;    /* online now */
	bool allowed;   /* in the process's allowed set */
};

LLT_API int llt_cpu_topology_create(struct llt_cpu_topology **topo);
LLT_API void llt_cpu_topology_free(struct llt_cpu_topology *topo);
LLT_API int llt_cpu_topology_count(const struct llt_cpu_topology *topo);
LLT_API int llt_cpu_topology_info(const struct llt_cpu_topology *topo, int cpu,
				  struct llt_cpu_info *info);
LLT_API int llt_cpu_topology_allowed(const struct llt_cpu_topology *topo,
				     int *cpus, size_t max);
LLT_API int llt_cpu_topology_siblings(const struct llt_cpu_topology *topo, int cpu,
				      int *cpus, size_t max);
LLT_API int llt_cpu_topology_llc_peers(const struct llt_cpu_topology *topo, int cpu,
				       int *cpus, size_t max);

/* Placement of the calling thread. */
LLT_API int llt_cpu_pin(int cpu);
LLT_API int llt_cpu_pin_set(const int *cpus, size_t n);
LLT_API int llt_cpu_unpin(void);
LLT_API int llt_cpu_current(void);
LLT_API bool llt_cpu_is_allowed(int cpu);

LLT_END_DECLS

#define LLT_CPU_H_INSIDE
#include <llt/bits/cpu_impl.h>
#undef LLT_CPU_H_INSIDE

#endif /* LLT_CPU_H */
