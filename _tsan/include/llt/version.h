/* llt/version.h: which libllt a program was compiled against. */
#ifndef LLT_VERSION_H
#define LLT_VERSION_H

#include <llt/common.h>

#define LLT_VERSION_MAJOR 0
#define LLT_VERSION_MINOR 1
#define LLT_VERSION_PATCH 0
#define LLT_VERSION_STRING "0.1.0"
/* One integer for #if: 0xMMmmpp. */
#define LLT_VERSION_NUMBER \
	((LLT_VERSION_MAJOR << 16) | (LLT_VERSION_MINOR << 8) | LLT_VERSION_PATCH)

LLT_BEGIN_DECLS

/* The version of the library the program is running with, as
 * "MAJOR.MINOR.PATCH"; compare with LLT_VERSION_STRING. */
LLT_API const char *llt_version(void);

/* Nonzero when the running library is at least major.minor.patch. */
LLT_API int llt_version_check(unsigned major, unsigned minor, unsigned patch);

LLT_END_DECLS

#endif /* LLT_VERSION_H */
