/* tool: what the test and bench tools share: a millisecond clock, a small PRNG and
 * number options that stop the tool with a usage error. Header-only: each tool is one file. */
#ifndef CB_TOOL_H
#define CB_TOOL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t tool_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* xorshift64: reproducible from a seed, which is what load and flood runs need (not
 * secrecy). state must not be 0. */
static inline uint32_t tool_rnd(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state >> 16);
}

/* s as a whole number from min to max, or "PROG: NAME: "S" is not a number from ..."
 * and exit status 2 (a usage error). name may be NULL. */
static inline long long tool_num(const char *prog, const char *name, const char *s, long long min,
				 long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: %s%s\"%s\" is not a number from %lld to %lld\n", prog,
			name ? name : "", name ? ": " : "", s, min, max);
		exit(2);
	}
	return v;
}

#endif
