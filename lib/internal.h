/* Private helpers shared by the files in lib/; never installed. */
#ifndef LLT_INTERNAL_H
#define LLT_INTERNAL_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llt/common.h>

/* Read a small sysfs/proc file into buf (NUL-terminated, trailing newline
 * removed).  Returns the length, or -errno. */
int llt_impl_read_file(const char *path, char *buf, size_t size);

/* Parse a kernel CPU list ("0-3,8,10-11") into a bitmap of nbits bits.
 * Returns the number of CPUs set, or -EINVAL. */
int llt_impl_parse_cpulist(const char *s, uint64_t *bits, int nbits);

/* Number of possible CPU ids (highest possible id + 1). */
int llt_impl_cpu_possible(void);

/* The process's allowed CPUs as captured when the library was loaded
 * (sched_getaffinity of the loading thread: taskset, cgroup cpuset). */
bool llt_impl_cpu_allowed(int cpu);
int llt_impl_cpu_allowed_list(int *cpus, size_t max);

/* CPU model string ("AMD EPYC ..."), "" if unknown. */
void llt_impl_cpu_model(char *buf, size_t size);

/* Hypervisor vendor from cpuid 0x40000000, "" when none. */
void llt_impl_hypervisor(char *buf, size_t size);

#define LLT_BITS_WORDS(n) (((size_t)(n) + 63) / 64)
static inline bool llt_impl_bit(const uint64_t *b, int i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

#endif
