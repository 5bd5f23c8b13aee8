/* llt-clockcal: placeholder, replaced below. */
#include <stdio.h>
#include <llt/clock.h>
int main(void)
{
	struct llt_clock_info i;
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	llt_clock_info(&i);
	printf("%s %.3f Hz %s\n", llt_clock_source_name(i.source), i.hz, i.reason);
	return 0;
}
