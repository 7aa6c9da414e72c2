/* siteconf: the site file (INI) that builder and server share, its defaults and checks. */
#ifndef CB_SITECONF_H
#define CB_SITECONF_H

#include <limits.h>
#include <stdbool.h>

#include "diag.h"
#include "staticnet.h"

#define SITE_MAX_FILE	(1u << 20) /* bytes of a site file */
#define SITE_MAX_URLS	16
#define SITE_URL_MAX	1024
#define SITE_CLASS_MAX	255 /* DHCP option length is one byte */
#define SITE_LABEL_MAX	11  /* FAT volume label; also used as ISO volume id */
#define SITE_MAX_IFACES 8
#define SITE_VLAN_MAX	4094		 /* 802.1Q VLAN IDs 1 to 4094 (0 and 4095 are reserved) */
#define SITE_BOOT_ROOT	"/srv/chainboot" /* [server] boot_root when not set */

enum site_arch {
	SITE_ARCH_X86_64 = 1u << 0, /* BIOS and UEFI x86_64 */
	SITE_ARCH_ARM64 = 1u << 1,  /* UEFI arm64 */
};

/* [image] rebrand: put iPXE binaries rebranded to user_class into images. */
enum site_rebrand {
	SITE_REBRAND_AUTO = 0, /* when the class fits a prebuilt binary (1-4 bytes), else stock */
	SITE_REBRAND_YES,      /* always; a class that does not fit is an error */
	SITE_REBRAND_NO,       /* stock binaries: the chain script's `set user-class` only */
};

/* [secureboot] mode: how the image's EFI binaries pass UEFI Secure Boot (README). */
enum site_sb_mode {
	SITE_SB_OFF = 0, /* unsigned binaries (firmware with Secure Boot on refuses them) */
	SITE_SB_SHIM,	 /* Microsoft-signed shim + MokManager, our iPXE signed with key */
	SITE_SB_DB,	 /* our iPXE signed with key, whose cert the firmware's db holds */
	SITE_SB_VENDOR,	 /* already-signed binaries, used unchanged (never rebranded) */
};

struct site_config {
	/* [site] */
	char user_class[SITE_CLASS_MAX + 1]; /* DHCP option 77 our iPXE sends */
	char label[SITE_LABEL_MAX + 1];	     /* volume label of images */
	/* [chain] */
	char urls[SITE_MAX_URLS][SITE_URL_MAX]; /* inventory script URLs, tried in order */
	unsigned n_urls;
	unsigned n_urls_refused; /* url settings refused (reported): no "no URL" error then */
	unsigned rounds;	 /* full passes over NICs and URLs before the menu */
	unsigned backoff;	 /* seconds before the 2nd pass; doubles per pass */
	unsigned dhcp_tries;	 /* ifconf attempts per NIC per pass */
	unsigned http_timeout;	 /* seconds one URL may take */
	unsigned menu_timeout;	 /* seconds before the menu retries by itself; 0 = wait */
	bool try_offered;	 /* try an http(s)/.ipxe boot file offered by (proxy)DHCP */
	unsigned vlan;		 /* 802.1Q VLAN ID the chain script tags on every NIC; 0 = none */
	/* [static]: addresses the chain script sets on a NIC whose DHCP failed */
	struct staticnet statics[STATICNET_MAX];
	unsigned n_statics;
	/* [image] */
	char layout[64];
	char layout_from[PATH_MAX + 32]; /* "site.ini:12" or "--layout"; "" = the default */
	unsigned arch;			 /* SITE_ARCH_* bits */
	char ipxe_dir[PATH_MAX];	 /* "" = search the usual places */
	enum site_rebrand rebrand;
	char output[PATH_MAX];
	/* [secureboot] */
	enum site_sb_mode sb_mode;
	char sb_key[PATH_MAX];	/* PEM private key, unencrypted ("" = none) */
	char sb_cert[PATH_MAX]; /* PEM certificate matching sb_key ("" = none) */
	/* [server] (chainbootd) */
	char listen[16]; /* IPv4 address served on: next-server, option 54, URLs */
	char interfaces[SITE_MAX_IFACES][16]; /* proxyDHCP only on these ("" = all) */
	unsigned n_interfaces;
	unsigned http_port;
	bool proxydhcp;		  /* answer PXE clients on ports 67/4011 */
	bool tftp;		  /* serve TFTP on port 69 */
	bool ra_answer;		  /* answer booting PXE clients' Router Solicitations */
	char boot_root[PATH_MAX]; /* extra files served read-only by TFTP and HTTP */
	char inventory[PATH_MAX]; /* "" = every machine is unknown and gets the menu */
	char user[33];		  /* drop to this user after binding */
	char efi_binary[16];	  /* "snponly" or "ipxe": for vendor iPXE / PXE on UEFI x86_64 */
	char uefi_strategy[16];	  /* "auto", "4011" or "option43" (see README) */
	unsigned tftp_max;	  /* concurrent TFTP transfers */
	unsigned http_max;	  /* concurrent HTTP connections */
	char status_listen[64];	  /* status page/metrics "ADDR:PORT", or "off" */
	char status_token[128];	  /* bearer token for it; "none" = no token */
	bool timeline; /* keep boot timelines and counters (no: neither, status_listen off) */
	unsigned timeline_machines, timeline_events, timeline_stall; /* boot timeline budget */
	/* where the values came from, for messages */
	char source[PATH_MAX];
};

/* Fill with built-in defaults (no URL: site_validate() insists on one). */
void site_defaults(struct site_config *c);

/* Read an INI file on top of c. Every bad line is added to d as
 * "file:line: key: what is wrong, what is allowed"; returns -EINVAL if any,
 * -errno if the file cannot be read. Relative paths are taken relative to
 * the file's directory. */
int site_load(struct site_config *c, const char *path, struct diag *d);

/* Set one key as the file would; where names the origin for messages
 * ("site.ini:12" or "--url"). A key "url" appends; site_clear_urls() first to replace. */
int site_set(struct site_config *c, const char *section, const char *key, const char *value,
	     const char *where, struct diag *d);
void site_clear_urls(struct site_config *c);

/* Checks that need the whole config (e.g. at least one URL). */
int site_validate(const struct site_config *c, struct diag *d);

/* "off", "shim", "db" or "vendor". */
const char *site_sb_mode_name(enum site_sb_mode m);

/* "x86_64 arm64" style text for an arch mask. */
const char *site_arch_str(unsigned arch, char *buf, unsigned bufsz);

#endif
