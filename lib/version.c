/* llt/version: which library is running. */
#include "internal.h"

#include <llt/version.h>

const char *llt_version(void)
{
	return LLT_VERSION_STRING;
}

int llt_version_check(unsigned major, unsigned minor, unsigned patch)
{
	unsigned have = ((unsigned)LLT_VERSION_MAJOR << 16) | ((unsigned)LLT_VERSION_MINOR << 8) |
			(unsigned)LLT_VERSION_PATCH;
	unsigned want = ((major & 0xff) << 16) | ((minor & 0xff) << 8) | (patch & 0xff);
	return have >= want;
}
