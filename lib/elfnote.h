/* Private: finding the GNU build id in a run of ELF notes, for the
 * logger's module map (lib/log.c, from loaded segments) and llt-logcat's
 * symbol lookup (lib/logsym.c, from a module's file).  Never installed. */
#ifndef LLT_LIB_ELFNOTE_H
#define LLT_LIB_ELFNOTE_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Scans the notes in [q, e) (Elf32_Nhdr and Elf64_Nhdr are the same three
 * words); stores the NT_GNU_BUILD_ID descriptor in *id, *len.  Stops at a
 * note that does not fit, so a corrupt run is never over-read. */
static inline bool llt_impl_elf_buildid(const uint8_t *q, const uint8_t *e, const uint8_t **id,
					size_t *len)
{
	while ((size_t)(e - q) >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, q, sizeof nh);
		size_t nsz = ((size_t)nh.n_namesz + 3) & ~(size_t)3;
		size_t dsz = ((size_t)nh.n_descsz + 3) & ~(size_t)3;
		const uint8_t *name = q + sizeof nh;
		if (nsz > (size_t)(e - name) || dsz > (size_t)(e - name) - nsz)
			return false;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
			*id = name + nsz;
			*len = nh.n_descsz;
			return true;
		}
		q = name + nsz + dsz;
	}
	return false;
}

#endif /* LLT_LIB_ELFNOTE_H */
