/* inspect_report: what inspect_probe found, as text (`chainboot inspect`) or as the
 * JSON document itself (`--json`). */
#ifndef CB_INSPECT_REPORT_H
#define CB_INSPECT_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* The text report of facts (inspect_probe's document). */
void inspect_report_text(FILE *out, const json_t *facts);

/* The text report, or with json the document (indented, in probe order). Returns 0 or
 * -EIO if out failed. */
int inspect_report(FILE *out, const json_t *facts, bool json);

#endif
