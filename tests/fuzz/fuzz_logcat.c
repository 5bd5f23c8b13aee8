/* libFuzzer target for llt-logcat's decoder: the input is a whole log
 * file; it goes through logcat_decode() (header, entries, resync,
 * formatting, JSON and text output) in one piece and in small reads, so
 * that both the complete and the incremental paths are exercised.  Built
 * by `make fuzz-log`; seed corpus in tests/fuzz/corpus_log. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logcat.h"

static void run(const uint8_t *data, size_t size, size_t chunk, bool json)
{
	struct logcat_opts o;
	struct logcat lc;
	struct logcat_stream s;
	memset(&o, 0, sizeof o);
	o.thread = -1;
	o.since = INT64_MIN;
	o.until = INT64_MAX;
	o.json = json;
	o.time_style = json ? LOGCAT_TIME_ISO : LOGCAT_TIME_WALL;
	o.time_format = "%Y-%m-%d %H:%M:%S";
	o.utc = true;
	FILE *null = fopen("/dev/null", "w");
	logcat_init(&lc, &o, null);
	logcat_stream_init(&s, "fuzz");
	s.quiet = true;
	uint8_t *buf = malloc(size + 1);
	size_t have = 0, fed = 0;
	while (!s.dead) {
		size_t n = size - fed < chunk ? size - fed : chunk;
		memcpy(buf + have, data + fed, n);
		have += n;
		fed += n;
		bool eof = fed == size;
		size_t used = logcat_decode(&lc, &s, buf, have, eof);
		if (used > have)
			abort();
		memmove(buf, buf + used, have - used);
		have -= used;
		s.base += used;
		if (eof)
			break;
	}
	free(buf);
	logcat_stream_fini(&s);
	logcat_fini(&lc);
	fclose(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, size ? size : 1, false);
	run(data, size, 7, true);
	return 0;
}
