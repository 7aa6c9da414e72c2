/* fuzz_siteconf: libFuzzer harness for the site file reader (lib/siteconf.c: libinih
 * with our line reader, section and key checks, every value's parser) and
 * site_validate(). The input is a site file, written to a memfd and read by path as
 * `chainboot build` and chainbootd do. Checks: no crash, leak or over-read; a refused
 * file always says why as file:line; an accepted file holds only values the checks
 * allow (URL count and scheme, class and label characters, numbers in range). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "siteconf.h"

static void check_config(const struct site_config *c)
{
	size_t n;
	char buf[32];

	CHECK(c->n_urls <= SITE_MAX_URLS);
	for (unsigned i = 0; i < c->n_urls; i++) {
		CHECK(!strncasecmp(c->urls[i], "http://", 7) ||
		      !strncasecmp(c->urls[i], "https://", 8));
		CHECK(strlen(c->urls[i]) < SITE_URL_MAX && !strchr(c->urls[i], '\n'));
	}
	n = strlen(c->user_class);
	CHECK(n >= 1 && n <= SITE_CLASS_MAX);
	for (size_t i = 0; i < n; i++)
		CHECK(c->user_class[i] > 0x20 && c->user_class[i] < 0x7f);
	n = strlen(c->label);
	CHECK(n >= 1 && n <= SITE_LABEL_MAX);
	CHECK(c->rounds >= 1 && c->rounds <= 100 && c->backoff <= 600);
	CHECK(c->dhcp_tries >= 1 && c->dhcp_tries <= 20);
	CHECK(c->http_timeout >= 1 && c->http_timeout <= 3600 && c->menu_timeout <= 86400);
	CHECK(c->arch && !(c->arch & ~(unsigned)(SITE_ARCH_X86_64 | SITE_ARCH_ARM64)));
	CHECK(c->http_port >= 1 && c->http_port <= 65535);
	CHECK(c->tftp_max >= 1 && c->http_max >= 1);
	CHECK(c->n_interfaces <= SITE_MAX_IFACES);
	CHECK(strlen(site_arch_str(c->arch, buf, sizeof(buf))) > 0);
	CHECK(c->rebrand == SITE_REBRAND_AUTO || c->rebrand == SITE_REBRAND_YES ||
	      c->rebrand == SITE_REBRAND_NO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct site_config cfg;
	struct diag d = { { 0 } };
	char path[64];
	int fd, rc;

	fd = fuzz_memfile("site.ini", data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	site_defaults(&cfg);
	rc = site_load(&cfg, path, &d);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc) {
		CHECK(d.msg[0] && !strncmp(d.msg, path, strlen(path)));
	} else {
		CHECK(!strcmp(cfg.source, path));
		check_config(&cfg);
		diag_clear(&d);
		rc = site_validate(&cfg, &d);
		CHECK(rc == 0 || (rc == -EINVAL && d.msg[0]));
	}
	close(fd);
	return 0;
}
