/* Private: offline symbolisation of crash frames for llt-logcat and the
 * tests.  A 1.1 log records raw instruction addresses and a module map
 * (llt-log(5)); this maps an address to its module and the offset in it
 * and, when the module's file is still there (and its GNU build id, if
 * recorded, matches), to the function that contains it, from the file's
 * ELF symbol table (.symtab, else .dynsym).  Never linked into the
 * library.  Written for hostile input: the paths come from the log, and
 * every offset into a file is checked against the file's size. */
#ifndef LLT_LOGSYM_H
#define LLT_LOGSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "logdec.h"

struct llt_logsym;

struct llt_logsym_res {
	const char *module;       /* NULL: in no module of the map */
	uint64_t module_off;      /* ip - the module's load bias */
	const char *name;         /* NULL: no symbol found */
	size_t namelen;
	uint64_t name_off;        /* ip - the symbol's address */
};

struct llt_logsym *llt_logsym_new(void);
void llt_logsym_free(struct llt_logsym *s);
/* Resolves ip with d's module map; return_addr: ip is a return address
 * (every frame but the first), looked up as ip - 1.  Returns 1 when the
 * address is in a module (r->name set if a symbol was found), else 0. */
int llt_logsym_lookup(struct llt_logsym *s, const struct llt_logdec *d, uint64_t ip,
		      bool return_addr, struct llt_logsym_res *r);

#endif
