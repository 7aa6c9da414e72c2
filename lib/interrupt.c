/* interrupt: the one interrupt flag (interrupt.h). A signal handler may only store to a
 * volatile sig_atomic_t; everything else polls it. */
#include "interrupt.h"

#include <signal.h>
#include <stddef.h>

static volatile sig_atomic_t interrupt_flag;

void interrupt_request(void)
{
	interrupt_flag = 1;
}

bool interrupt_pending(void)
{
	return interrupt_flag != 0;
}

void interrupt_clear(void)
{
	interrupt_flag = 0;
}

static void on_signal(int sig)
{
	(void)sig;
	interrupt_flag = 1;
}

void interrupt_catch(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}
