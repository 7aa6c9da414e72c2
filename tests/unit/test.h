/* test.h: the tiny assertion helper every unit test uses (one "ok"/"not ok" line each). */
#ifndef CB_TEST_H
#define CB_TEST_H

#include <stdio.h>

static int test_failed;
static int test_count;

/* One line per check so tests/run can count them; file:line points at the check. */
#define ok(cond, ...)                                                             \
	do {                                                                      \
		int ok_c_ = !!(cond);                                             \
		test_count++;                                                     \
		if (!ok_c_)                                                       \
			test_failed++;                                            \
		printf("%s %s:%d ", ok_c_ ? "ok" : "not ok", __FILE__, __LINE__); \
		printf(__VA_ARGS__);                                              \
		printf("\n");                                                     \
	} while (0)

static inline int test_done(void)
{
	fflush(stdout);
	return test_failed ? 1 : 0;
}

#endif
