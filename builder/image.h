/* image: turn a plan into the image file (staging, FAT via mtools, ISO via xorriso, MBR). */
#ifndef CB_IMAGE_H
#define CB_IMAGE_H

#include "diag.h"
#include "plan.h"

/* Build the image described by p at output. Stages in a mkdtemp directory (removed on
 * every path), writes the result to a temporary name beside output, fsyncs and renames
 * it, so a failure never leaves a partial image nor touches an existing one. Refuses a
 * block device or a directory as output. */
int image_build(const struct plan *p, const char *output, struct diag *d);

/* Set from a SIGINT/SIGTERM/SIGHUP handler: the build stops at the next step, removes
 * its staging and temporary files and returns -EINTR. (The tools it runs get the
 * terminal's Ctrl-C themselves and die; their failure brings us to the same path.) */
void image_interrupt(void);

#endif
