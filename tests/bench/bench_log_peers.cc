// Peers of bench_log.c: spdlog's async logger (when configure found it),
// behind a C interface so the C benchmark drives every logger the same way.
#include <cstdint>
#include <cstdio>
#include <llt/cpu.h>
#if defined(BENCH_HAVE_SPDLOG)
#  include <spdlog/async.h>
#  include <spdlog/sinks/basic_file_sink.h>
#  include <spdlog/spdlog.h>
#endif

extern "C" {
int peer_spdlog_available(void);
int peer_spdlog_open(const char *path);
void peer_spdlog_log(int id, double px, const char *sym);
void peer_spdlog_close(void);
}

#if defined(BENCH_HAVE_SPDLOG)
static std::shared_ptr<spdlog::logger> lg;

int peer_spdlog_available(void) { return 1; }

int peer_spdlog_open(const char *path)
{
	// The async logger with its default queue (8192) and the blocking
	// overflow policy, so nothing is lost and the counts compare.
	// Its worker may run on any CPU, as libllt's background thread does
	// (the producer is pinned before the loggers are opened).
	spdlog::init_thread_pool(8192, 1, [] { llt_cpu_unpin(); });
	lg = spdlog::create_async<spdlog::sinks::basic_file_sink_mt>("bench", path, true);
	lg->set_pattern("%Y-%m-%d %H:%M:%S.%F %l [%t] %s:%# %v");
	return lg ? 0 : -1;
}

void peer_spdlog_log(int id, double px, const char *sym)
{
	SPDLOG_LOGGER_INFO(lg, "id={} px={:f} sym={}", id, px, sym);
}

void peer_spdlog_close(void)
{
	lg->flush();
	lg.reset();
	spdlog::drop_all();
	spdlog::shutdown();
}
#else
int peer_spdlog_available(void) { return 0; }
int peer_spdlog_open(const char *) { return -1; }
void peer_spdlog_log(int, double, const char *) {}
void peer_spdlog_close(void) {}
#endif
