/* llt/llt.h: every libllt module.  Including the module headers one by
 * one compiles less. */
#ifndef LLT_LLT_H
#define LLT_LLT_H

#include <llt/common.h>
#include <llt/version.h>
#include <llt/cpu.h>
#include <llt/clock.h>
#include <llt/park.h>
#include <llt/ring.h>
#include <llt/chan.h>
#include <llt/mpmc.h>
#include <llt/hist.h>
#include <llt/objpool.h>
#include <llt/arena.h>
#include <llt/prof.h>
#include <llt/threadpool.h>
#include <llt/sched.h>
#include <llt/log.h>

#endif /* LLT_LLT_H */
