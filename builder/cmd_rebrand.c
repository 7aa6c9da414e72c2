/* cmd_rebrand: `chainboot rebrand` — give prebuilt iPXE binaries (or an image of them,
 * e.g. ipxe.iso) our user-class (lib/rebrand.c), files spread over worker threads. The
 * inputs are untrusted files: rebrand_bytes checks and verifies them. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lzma.h>

#include "commands.h"
#include "fileio.h"
#include "rebrand.h"
#include "zbin.h"

static const struct cli_opt rebrand_opts[] = {
	CLI_OPT_SITE,
	CLI_OPT_CLASS("1 to 4 printable ASCII characters (default: the site file's, else CSTM)"),
	{ "in-place", 0, NULL, NULL, NULL, NULL,
	  "rewrite the given files themselves (atomically)" },
	{ 0 },
};

const struct cli_spec cmd_rebrand_spec = {
	"rebrand",
	"[-c CLASS] IN OUT | IN... DIR | --in-place FILE...",
	"Give prebuilt iPXE binaries (or an image of them, e.g. ipxe.iso) our user-class.\n"
	"IN is never changed without --in-place.\n",
	rebrand_opts,
	NULL,
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* One rebrand job; jobs run on worker threads and report in order afterwards. */
struct rebrand_job {
	const char *in;
	char out[PATH_MAX];
	const char *cls;
	int rc;
	struct diag d;
	char report[2048];
};

/* One file: read IN, rebrand in memory (verified there), write OUT atomically. IN is
 * only ever replaced when OUT is IN (--in-place), and then by the same atomic rename. */
static int rebrand_file(struct rebrand_job *j)
{
	struct rebrand_info *info;
	struct timespec t0;
	struct stat sin, sout;
	uint8_t *buf = NULL, *res = NULL;
	const char *shown = j->out;
	size_t len, used;
	char detail[160] = "";
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (stat(j->in, &sin))
		return diag_set(&j->d, -errno, "%s: %s", j->in, strerror(errno));
	info = calloc(1, sizeof(*info));
	if (!info)
		return diag_set(&j->d, -ENOMEM, "out of memory");
	rc = fileio_read(j->in, REBRAND_MAX_INPUT, &buf, &len, &j->d);
	if (!rc) {
		rc = rebrand_bytes(buf, len, j->cls, &res, info, &j->d);
		if (rc)
			diag_prefix(&j->d, rc, "%s", j->in);
	}
	free(buf);
	if (!rc)
		rc = fileio_write_atomic(j->out, res, len, sin.st_mode & 0777, NULL, &j->d);
	free(res);
	if (rc) {
		free(info);
		return rc;
	}
	if (info->nbinaries == 1 && info->bin[0].preset)
		snprintf(detail, sizeof(detail), "; LZMA preset %u%s, %zu of %zu bytes",
			 info->bin[0].preset & LZMA_PRESET_LEVEL_MASK,
			 info->bin[0].preset & LZMA_PRESET_EXTREME ? "e" : "", info->bin[0].stream,
			 info->bin[0].room);
	else if (info->nbinaries > 1)
		snprintf(detail, sizeof(detail), "; %u binaries inside", info->nbinaries);
	if (!stat(j->out, &sout) && sout.st_ino == sin.st_ino && sout.st_dev == sin.st_dev)
		shown = "it in place";
	used = (size_t)snprintf(
		j->report, sizeof(j->report),
		"chainboot: rebranded %s (%s%s) to user-class %s, wrote %s (%zu bytes, %.0f ms)\n",
		j->in, info->kind == IPXEBIN_UNKNOWN ? "image" : ipxebin_kind_name(info->kind),
		detail, j->cls, shown, len, ms_since(&t0));
	for (unsigned i = 0; info->nbinaries > 1 && i < info->nbinaries && i < REBRAND_MAX_BINARIES;
	     i++) {
		if (used >= sizeof(j->report))
			break;
		used += (size_t)snprintf(j->report + used, sizeof(j->report) - used, "  %s: %s\n",
					 info->bin[i].path, ipxebin_kind_name(info->bin[i].kind));
	}
	free(info);
	return 0;
}

struct rebrand_pool {
	struct rebrand_job *jobs;
	unsigned n;
	unsigned next; /* taken under lock */
	pthread_mutex_t lock;
};

static void *rebrand_worker(void *arg)
{
	struct rebrand_pool *p = arg;

	for (;;) {
		unsigned i;

		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		p->jobs[i].rc = rebrand_file(&p->jobs[i]);
	}
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* The jobs for the arguments: IN OUT, IN... DIR, or --in-place FILE...; a job that
 * cannot be made is reported and counts as failed. Returns the exit status for a usage
 * error, else CLI_GO. */
static int rebrand_plan(const struct cli *cl, const char *cls, struct rebrand_pool *pool,
			int *failed)
{
	bool in_place = cli_get(cl, "in-place") != NULL;
	unsigned nin;

	if (in_place && !cl->n_args)
		return fprintf(stderr, "chainboot rebrand: --in-place needs the files to "
				       "rewrite\n"),
		       2;
	if (!in_place && cl->n_args < 2)
		return fprintf(stderr, "chainboot rebrand: give IN OUT, IN... DIR, or "
				       "--in-place FILE... "
				       "(IN is never changed without --in-place)\n"),
		       2;
	nin = in_place ? cl->n_args : cl->n_args - 1;
	if (!in_place && is_dir(cl->args[nin])) {
		/* argv's own bytes: a directory "rb/" becomes "rb", so outputs read rb/x */
		char *dir = cl->args[nin];
		size_t n = strlen(dir);

		while (n > 1 && dir[n - 1] == '/')
			dir[--n] = '\0';
	}
	if (!in_place && nin > 1 && !is_dir(cl->args[nin]))
		return fprintf(stderr,
			       "chainboot rebrand: with several inputs the last argument "
			       "must be a "
			       "directory: %s is not\n",
			       cl->args[nin]),
		       2;
	pool->jobs = calloc(nin, sizeof(*pool->jobs));
	if (!pool->jobs)
		return fprintf(stderr, "chainboot rebrand: out of memory\n"), 1;
	for (unsigned i = 0; i < nin; i++) {
		struct rebrand_job *j = &pool->jobs[pool->n];
		const char *in = cl->args[i], *base = strrchr(in, '/');

		j->in = in;
		j->cls = cls;
		if (in_place)
			snprintf(j->out, sizeof(j->out), "%s", in);
		else if (is_dir(cl->args[nin]) &&
			 snprintf(j->out, sizeof(j->out), "%s/%s", cl->args[nin],
				  base ? base + 1 : in) >= (int)sizeof(j->out)) {
			fprintf(stderr, "chainboot rebrand: %s/%s: path too long\n", cl->args[nin],
				in);
			*failed = 1;
			continue;
		} else if (!is_dir(cl->args[nin]))
			snprintf(j->out, sizeof(j->out), "%s", cl->args[nin]);
		if (!in_place && same_file(in, j->out)) {
			fprintf(stderr,
				"chainboot rebrand: %s: OUT is the input file itself; give "
				"--in-place to "
				"rewrite it, or another OUT\n",
				in);
			*failed = 1;
			continue;
		}
		pool->n++;
	}
	return CLI_GO;
}

/* Packed BIOS images spend ~0.2 s each in the LZMA encoder: spread the files over the
 * CPUs. The CRC table is built on first use: build it before the threads start. */
static void rebrand_run(struct rebrand_pool *pool)
{
	pthread_t threads[8];
	unsigned i, nthreads = 0, want;
	long ncpu;

	zbin_crc32(ZBIN_CRC_SEED, "", 0);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	want = ncpu > 1 ? (unsigned)ncpu : 1;
	if (want > pool->n)
		want = pool->n;
	if (want > sizeof(threads) / sizeof(threads[0]))
		want = sizeof(threads) / sizeof(threads[0]);
	for (i = 1; i < want; i++)
		if (pthread_create(&threads[nthreads], NULL, rebrand_worker, pool) == 0)
			nthreads++;
	rebrand_worker(pool);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
}

int cmd_rebrand_main(int argc, char **argv)
{
	static struct site_config c;
	static struct cli cl;
	struct rebrand_pool pool = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct diag d = { { 0 } };
	int rc, failed = 0;

	rc = cli_parse(&cmd_rebrand_spec, argc, argv, &cl);
	if (rc != CLI_GO)
		return rc;
	/* -c is checked for what rebrand can do (1-4 bytes) before the site file's wider
	 * rule (1-255) would answer for it. */
	for (unsigned i = cl.n_ov; i-- > 0;)
		if (!strcmp(cl.ov[i].key, "user_class")) {
			if (rebrand_check_class(cl.ov[i].value, &d))
				return cli_fail("rebrand", &d, -EINVAL);
			break;
		}
	rc = cli_load_site(&cl, &c, false, &d);
	if (!rc)
		rc = rebrand_check_class(c.user_class, &d);
	if (rc)
		return cli_fail("rebrand", &d, rc == -ENOSPC ? -EINVAL : rc);
	rc = rebrand_plan(&cl, c.user_class, &pool, &failed);
	if (rc != CLI_GO) {
		free(pool.jobs);
		return rc;
	}
	rebrand_run(&pool);
	for (unsigned i = 0; i < pool.n; i++) {
		if (pool.jobs[i].rc) {
			fprintf(stderr, "chainboot rebrand: %s\n",
				pool.jobs[i].d.msg[0] ? pool.jobs[i].d.msg
						      : strerror(-pool.jobs[i].rc));
			failed = 1;
		} else {
			fputs(pool.jobs[i].report, stdout);
		}
	}
	free(pool.jobs);
	return failed;
}
