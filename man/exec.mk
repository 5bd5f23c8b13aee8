## man/: llt/threadpool and llt/sched.
dist_man3_MANS += \
	man/man3/llt_sched_create.3 \
	man/man3/llt_sched_current.3 \
	man/man3/llt_sched_free.3 \
	man/man3/llt_sched_group_init.3 \
	man/man3/llt_sched_parallel_for.3 \
	man/man3/llt_sched_pool.3 \
	man/man3/llt_sched_size.3 \
	man/man3/llt_sched_spawn.3 \
	man/man3/llt_sched_stats.3 \
	man/man3/llt_sched_submit.3 \
	man/man3/llt_sched_wait.3 \
	man/man3/llt_threadpool_create.3 \
	man/man3/llt_threadpool_current.3 \
	man/man3/llt_threadpool_free.3 \
	man/man3/llt_threadpool_shutdown.3 \
	man/man3/llt_threadpool_size.3 \
	man/man3/llt_threadpool_stats.3 \
	man/man3/llt_threadpool_submit.3 \
	man/man3/llt_threadpool_submit_to.3 \
	man/man3/llt_threadpool_try_submit.3 \
	man/man3/llt_threadpool_try_submit_to.3 \
	man/man3/llt_threadpool_worker_cpu.3 \
	$(NULL)
