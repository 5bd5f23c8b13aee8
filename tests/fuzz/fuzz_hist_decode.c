/* libFuzzer target: llt_hist_decode on arbitrary bytes must return 0 or a
 * documented error, never crash, leak or read out of bounds; what it
 * accepts must re-encode to the same bytes and answer queries.
 * Build and run: make fuzz-hist (clang -fsanitize=fuzzer,address,undefined). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <llt/hist.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct llt_hist *h = NULL;
	size_t used = 0;
	int rc = llt_hist_decode(data, size, &h, &used);
	if (rc != 0) {
		if (rc != -EBADMSG && rc != -ENOTSUP && rc != -ENOMEM)
			abort();
		return 0;
	}
	if (used > size)
		abort();
	(void)llt_hist_value_at_percentile(h, 99.9);
	(void)llt_hist_mean(h);
	ssize_t n = llt_hist_encode(h, NULL, 0);
	if (n <= 0)
		abort();
	unsigned char *buf = malloc((size_t)n);
	if (!buf)
		abort();
	if (llt_hist_encode(h, buf, (size_t)n) != n)
		abort();
	struct llt_hist *g = NULL;
	if (llt_hist_decode(buf, (size_t)n, &g, NULL) != 0)
		abort();
	if (llt_hist_count(g) != llt_hist_count(h) || g->counts_len != h->counts_len ||
	    memcmp(g->counts, h->counts, h->counts_len * sizeof(uint64_t)) != 0)
		abort();
	llt_hist_free(g);
	free(buf);
	llt_hist_free(h);
	return 0;
}
