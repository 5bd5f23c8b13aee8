/* llt/membarrier (private): one copy of the membarrier(2) query,
 * registration and call for the asymmetric fences of llt/park, llt/sched
 * and the llt/hist recorder.  See lib/membarrier.h and llt(7). */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "membarrier.h"

#if defined(__SANITIZE_THREAD__)
#  define MB_TSAN 1
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define MB_TSAN 1
#  endif
#endif

#if defined(HAVE_MEMBARRIER) && !defined(MB_TSAN)
#  define MB_USE 1
#  include <linux/membarrier.h>
#  include <sys/syscall.h>
#  include <unistd.h>
/* Named MEMBARRIER_CMD_SHARED in headers before Linux 4.16; same value. */
#  if !defined(MEMBARRIER_CMD_GLOBAL)
#    define MEMBARRIER_CMD_GLOBAL 1
#  endif

static long membarrier_call(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}
#endif

static pthread_once_t mb_once = PTHREAD_ONCE_INIT;
static bool mb_available;   /* written once, under mb_once */

static void mb_decide(void)
{
#if defined(MB_USE)
	const char *e = secure_getenv("LLT_MEMBARRIER");
	if (e && strcmp(e, "0") == 0)
		return;
	long q = membarrier_call(MEMBARRIER_CMD_QUERY);
	if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return;
	/* Per process and idempotent; it fails under a seccomp filter that
	 * refuses it (ENOSYS/EPERM), and then every module keeps its fences. */
	if (membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0)
		return;
	mb_available = true;
#endif
}

bool llt_membarrier_available(void)
{
	/* pthread_once synchronizes the write in mb_decide with every
	 * caller's read. */
	pthread_once(&mb_once, mb_decide);
	return mb_available;
}

void llt_membarrier_heavy(void)
{
#if defined(MB_USE)
	if (membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
		return;
	/* EPERM: not registered (a child forked by a registered process on a
	 * kernel that does not carry the registration over).  Registration
	 * succeeded in this kernel once already: register and retry. */
	if (membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0 &&
	    membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
		return;
	/* Needs no registration; waits for an RCU grace period. */
	if (membarrier_call(MEMBARRIER_CMD_GLOBAL) == 0)
		return;
	/* No heavy barrier at all: outside the protocols' guarantee. */
	LLT_ASSERT(!"membarrier failed after registration");
#endif
	/* Not reached with the asymmetric protocols on Linux.  A full fence
	 * still orders this side.  ThreadSanitizer does not model fences
	 * (GCC warns with -Wtsan); its builds never take this path. */
#if defined(MB_TSAN) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
	_Pragma("GCC diagnostic push")
	_Pragma("GCC diagnostic ignored \"-Wtsan\"")
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	_Pragma("GCC diagnostic pop")
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}
