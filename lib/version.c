/* llt/version: which library is running. */
#include "internal.h"

#include <llt/version.h>

const char *llt_version(void)
{
	return LLT_VERSION_STRING;
}

int llt_version_check(unsigned major, unsigned minor, unsigned patch)
{
	/* Component by component: no packing, so no component wraps. */
	static const unsigned have[3] = {LLT_VERSION_MAJOR, LLT_VERSION_MINOR, LLT_VERSION_PATCH};
	const unsigned want[3] = {major, minor, patch};
	for (int i = 0; i < 3; i++)
		if (want[i] != have[i])
			return want[i] < have[i];
	return 1;
}
