/* interrupt: the process's one "stop now" flag — set by SIGINT, SIGTERM or SIGHUP (or
 * by hand), polled by long steps (image build, iPXE build, write, try) that then undo
 * their work and report "interrupted". */
#ifndef CB_INTERRUPT_H
#define CB_INTERRUPT_H

#include <stdbool.h>

/* Set the flag. Async-signal-safe: a signal handler may call it. */
void interrupt_request(void);

/* Whether the flag is set. */
bool interrupt_pending(void);

/* Clear it (a new step starts). */
void interrupt_clear(void);

/* Catch SIGINT, SIGTERM and SIGHUP: each sets the flag. No SA_RESTART, so a blocking
 * call returns EINTR and the step sees the flag instead of sleeping through it. */
void interrupt_catch(void);

#endif
