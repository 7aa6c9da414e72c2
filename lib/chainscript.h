/* chainscript: render the embedded iPXE chain script from its template and the site config. */
#ifndef CB_CHAINSCRIPT_H
#define CB_CHAINSCRIPT_H

#include <stddef.h>

#include "diag.h"
#include "siteconf.h"

/* Largest rendered script we hand out. The shipped template renders to a few KiB;
 * the cap keeps a runaway template from producing an initrd/autoexec.ipxe nobody
 * could read on a console. */
#define CHAINSCRIPT_MAX 65536

/* Longest output chainscript_quote() can produce for an input of n bytes
 * (every byte a space becomes " ${}"), plus the NUL. */
#define CHAINSCRIPT_QUOTE_SIZE(n) (4 * (n) + 4)

/* Render the chain script: tmpl is the template text (scripts/chain.ipxe.in); every
 * @NAME@ placeholder is replaced from c; unknown placeholders are an error (-EINVAL,
 * d says which and at which line). Placeholders: @SETTINGS@ (alone on its line,
 * exactly once: the `set` lines carrying c's values) and @USER_CLASS@ (quoted class).
 * c's strings and numbers are checked first (-EINVAL, d names the field); a result
 * over CHAINSCRIPT_MAX bytes is -EFBIG.
 * *out is malloc'd, NUL-terminated. Returns 0 or -errno. */
int chainscript_render(const struct site_config *c, const char *tmpl, size_t tmpl_len, char **out,
		       size_t *out_len, struct diag *d);

/* The template's place under the data directory (datadir.h). */
#define CHAINSCRIPT_TEMPLATE "scripts/chain.ipxe.in"

/* chainscript_render() over the template file at path (read whole, at most 1 MiB). A
 * read error names the file itself; a render error is prefixed with what (NULL: the
 * path). */
int chainscript_render_file(const struct site_config *c, const char *path, const char *what,
			    char **out, size_t *out_len, struct diag *d);

/* Quote one arbitrary string so that an iPXE script line `set name <quoted>` stores exactly it.
 * Returns 0, or -ENOSPC/-EINVAL (e.g. a byte iPXE scripts cannot carry such as newline or NUL). */
int chainscript_quote(const char *in, char *out, size_t outsz);

#endif
