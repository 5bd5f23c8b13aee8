/* Offline symbolisation of crash frames (see logsym.h). */
#include "config.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfnote.h"

#include "logsym.h"

#define FILE_MAX ((uint64_t)1 << 32)   /* larger files are not mapped */
#define CACHE_MAX 64

struct elfmod {
	char *path;
	uint8_t buildid[64];
	uint8_t buildid_len;
	const uint8_t *map;        /* NULL: not usable */
	size_t size;
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *strs;
	size_t strsize;
};

struct llt_logsym {
	struct elfmod mods[CACHE_MAX];
	size_t n;
};

struct llt_logsym *llt_logsym_new(void)
{
	return calloc(1, sizeof(struct llt_logsym));
}

void llt_logsym_free(struct llt_logsym *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (s->mods[i].map)
			munmap((void *)(uintptr_t)s->mods[i].map, s->mods[i].size);
		free(s->mods[i].path);
	}
	free(s);
}

static bool in_file(const struct elfmod *m, uint64_t off, uint64_t len)
{
	return off <= m->size && len <= m->size - off;
}

/* The file's GNU build id note, from its SHT_NOTE sections. */
static bool file_buildid(const struct elfmod *m, const Elf64_Shdr *sh, size_t shnum,
			 const uint8_t **id, size_t *len)
{
	for (size_t i = 0; i < shnum; i++) {
		if (sh[i].sh_type != SHT_NOTE || !in_file(m, sh[i].sh_offset, sh[i].sh_size))
			continue;
		const uint8_t *q = m->map + sh[i].sh_offset;
		if (llt_impl_elf_buildid(q, q + sh[i].sh_size, id, len))
			return true;
	}
	return false;
}

/* Maps and checks one module's file; leaves m->map NULL if unusable. */
static void elf_load(struct elfmod *m, const struct llt_logdec_mod *dm)
{
	int fd = open(m->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat sb;
	if (fd < 0)
		return;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < (off_t)sizeof(Elf64_Ehdr) ||
	    (uint64_t)sb.st_size > FILE_MAX) {
		close(fd);
		return;
	}
	void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return;
	m->map = p;
	m->size = (size_t)sb.st_size;
	Elf64_Ehdr eh;
	memcpy(&eh, m->map, sizeof eh);
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	    eh.e_ident[EI_DATA] != ELFDATA2MSB ||
#else
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
#endif
	    eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff % 8 != 0 ||
	    !in_file(m, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr)))
		goto unusable;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(const void *)(m->map + eh.e_shoff);
	size_t shnum = eh.e_shnum;
	/* A build id recorded at run time must match the file's. */
	if (dm->buildid_len) {
		const uint8_t *id;
		size_t idl;
		if (!file_buildid(m, sh, shnum, &id, &idl) || idl != dm->buildid_len ||
		    memcmp(id, dm->buildid, idl) != 0)
			goto unusable;
	}
	const Elf64_Shdr *st = NULL;
	for (size_t i = 0; i < shnum; i++)
		if (sh[i].sh_type == SHT_SYMTAB)
			st = &sh[i];
	if (st == NULL)
		for (size_t i = 0; i < shnum; i++)
			if (sh[i].sh_type == SHT_DYNSYM)
				st = &sh[i];
	if (st == NULL || st->sh_link >= shnum || st->sh_offset % 8 != 0 ||
	    !in_file(m, st->sh_offset, st->sh_size))
		goto unusable;
	const Elf64_Shdr *ss = &sh[st->sh_link];
	if (!in_file(m, ss->sh_offset, ss->sh_size) || ss->sh_size == 0)
		goto unusable;
	m->syms = (const Elf64_Sym *)(const void *)(m->map + st->sh_offset);
	m->nsyms = st->sh_size / sizeof(Elf64_Sym);
	m->strs = (const char *)m->map + ss->sh_offset;
	m->strsize = ss->sh_size;
	return;
unusable:
	munmap((void *)(uintptr_t)m->map, m->size);
	m->map = NULL;
	m->syms = NULL;
	m->nsyms = 0;
}

static struct elfmod *elf_get(struct llt_logsym *s, const struct llt_logdec_mod *dm)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->mods[i].path, dm->path) && s->mods[i].buildid_len == dm->buildid_len &&
		    !memcmp(s->mods[i].buildid, dm->buildid, dm->buildid_len))
			return &s->mods[i];
	if (s->n == CACHE_MAX)
		return NULL;
	struct elfmod *m = &s->mods[s->n];
	memset(m, 0, sizeof *m);
	m->path = strdup(dm->path);
	if (m->path == NULL)
		return NULL;
	memcpy(m->buildid, dm->buildid, dm->buildid_len);
	m->buildid_len = dm->buildid_len;
	s->n++;
	elf_load(m, dm);
	return m;
}

int llt_logsym_lookup(struct llt_logsym *s, const struct llt_logdec *d, uint64_t ip,
		      bool return_addr, struct llt_logsym_res *r)
{
	uint64_t a = return_addr && ip > 0 ? ip - 1 : ip;
	const struct llt_logdec_mod *dm = NULL;
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < d->nmods; i++)
		if (a >= d->mods[i].lo && a - d->mods[i].lo < d->mods[i].len) {
			dm = &d->mods[i];
			break;
		}
	if (dm == NULL)
		return 0;
	r->module = dm->path;
	r->module_off = ip - dm->bias;
	struct elfmod *m = s ? elf_get(s, dm) : NULL;
	if (m == NULL || m->map == NULL)
		return 1;
	uint64_t fa = a - dm->bias;
	const Elf64_Sym *best = NULL;
	for (size_t i = 0; i < m->nsyms; i++) {
		Elf64_Sym y;
		memcpy(&y, &m->syms[i], sizeof y);
		unsigned t = ELF64_ST_TYPE(y.st_info);
		if ((t != STT_FUNC && t != STT_GNU_IFUNC) || y.st_shndx == SHN_UNDEF || y.st_name >= m->strsize)
			continue;
		if (fa >= y.st_value && fa - y.st_value < (y.st_size ? y.st_size : 1)) {
			best = &m->syms[i];
			break;
		}
	}
	if (best != NULL) {
		Elf64_Sym y;
		memcpy(&y, best, sizeof y);
		r->name = m->strs + y.st_name;
		r->namelen = strnlen(r->name, m->strsize - y.st_name);
		r->name_off = ip - dm->bias - y.st_value;
	}
	return 1;
}
