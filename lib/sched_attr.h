/* Private: the layout of the kernel's struct sched_attr for
 * sched_setattr(2) and sched_getattr(2), which glibc 2.36 does not
 * declare (and <linux/sched/types.h> clashes with <sched.h>).  Shared by
 * lib/threadpool.c, which sets a worker's time slice, and
 * tests/check_threadpool.c, which reads it back.  Never installed. */
#ifndef LLT_LIB_SCHED_ATTR_H
#define LLT_LIB_SCHED_ATTR_H

#include <stdint.h>

/* SCHED_ATTR_SIZE_VER0: 48 bytes. */
struct llt_impl_sched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

#endif /* LLT_LIB_SCHED_ATTR_H */
