/* timeline: per-machine boot timelines (DHCP → TFTP → script → files) and the counters
 * behind /metrics, in memory fixed at start (budget from the site file). */
#ifndef CB_TIMELINE_H
#define CB_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tl_kind { TL_DHCP = 0, TL_TFTP, TL_SCRIPT, TL_FILE };

#define TL_WHAT_MAX   64 /* dhcp: decision; tftp/file: name; script: profile */
#define TL_DETAIL_MAX 64 /* dhcp: offered file; tftp/file: outcome; script: kind */

/* One step of a boot; names longer than the fields are cut (the log has them whole). */
struct tl_event {
	uint64_t at_ms; /* loop clock (monotonic) */
	uint64_t bytes;
	uint32_t ms;	/* how long the step took */
	uint32_t boot;	/* which boot of the machine it belongs to */
	uint16_t port;	/* dhcp: 67 or 4011 */
	uint16_t arch;	/* dhcp: option 93, when has_arch */
	int16_t status; /* http status; dhcp: 1 answered, 0 not */
	uint8_t kind;	/* enum tl_kind */
	bool has_arch;
	char msg[12]; /* dhcp message type */
	char cls[8];  /* dhcp: "ours", "iPXE", "other", "none" */
	char what[TL_WHAT_MAX];
	char detail[TL_DETAIL_MAX];
};

struct tl_machine {
	bool used;
	char mac[18];  /* "" until a DHCP request or a script names it */
	char uuid[37]; /* "" when unknown */
	char name[48]; /* inventory name, "" when unknown */
	uint32_t ip;   /* network order, 0 when unknown */
	uint32_t boots;
	uint32_t head, n; /* ring of the machine's events: oldest at head */
	uint64_t created_ms;
	int mac_next, ip_next; /* hash chains (-1 ends) */
	struct tl_event *ev;   /* budget.events slots */
};

/* Labelled counters: a fixed table of label sets; beyond it, one "other" row. */
#define TL_LABELS    4
#define TL_LABEL_MAX 24
#define TL_ROWS	     96
struct tl_row {
	char l[TL_LABELS][TL_LABEL_MAX];
	uint64_t n;
};
struct tl_counter {
	struct tl_row row[TL_ROWS];
	unsigned n;
	uint64_t other;
};

#define TL_BUCKETS 8
extern const double tl_bucket_s[TL_BUCKETS]; /* upper bounds, seconds; then +Inf */
struct tl_hist {
	uint64_t b[TL_BUCKETS + 1]; /* not cumulative; the last is beyond every bound */
	uint64_t count, sum_ms;
};

struct tl_counters {
	struct tl_counter dhcp;	      /* port, msg, decision, arch */
	struct tl_counter replies;    /* port, msg (the reply's) */
	struct tl_counter tftp;	      /* outcome */
	struct tl_counter tftp_bytes; /* outcome (n = bytes) */
	struct tl_hist tftp_ms;
	struct tl_counter http;	   /* route, status */
	struct tl_counter scripts; /* kind */
	struct tl_counter gen;	   /* outcome */
	struct tl_hist gen_ms;
	struct tl_counter reloads; /* outcome */
};

struct timeline_budget {
	unsigned machines; /* machines remembered; the oldest is dropped for a new one */
	unsigned events;   /* steps remembered per machine; its oldest is dropped */
	unsigned stall_s;  /* a boot with no step for this long is stalled (or done) */
};

struct timeline {
	struct timeline_budget b;
	struct tl_machine *m;
	struct tl_event *ev;
	int *mac_hash, *ip_hash; /* nhash heads */
	unsigned nhash;
	unsigned next; /* round-robin slot for a new machine */
	struct tl_counters c;
	struct tl_event scratch; /* keeps append() total for the analyzer */
	struct tl_event *merge;	 /* budget.events slots for adopt() */
	/* inventory state for status.json */
	bool inv_loaded;
	uint64_t inv_loaded_wall; /* unix seconds */
	char inv_file[256];
	char inv_error[512]; /* last reload error, "" after a good one */
};

/* Allocate everything the timeline will ever use. Returns 0 or -ENOMEM/-EINVAL. */
int timeline_new(const struct timeline_budget *b, struct timeline **out);
void timeline_free(struct timeline *tl);

struct tl_dhcp {
	const char *mac, *uuid, *msg, *decision, *file, *class_kind;
	uint32_t ip; /* the request's source (network order), 0 for 0.0.0.0 */
	uint16_t port;
	bool has_arch, answered;
	uint16_t arch;
	const char *reply_msg; /* when answered */
};

/* The hooks: each appends one record (no allocation, O(1)) and counts it. tl NULL: no-op. */
void timeline_dhcp(struct timeline *tl, uint64_t now, const struct tl_dhcp *e);
void timeline_tftp(struct timeline *tl, uint64_t now, uint32_t ip, const char *file,
		   const char *outcome, uint64_t bytes, uint64_t ms);
/* A TFTP request answered with an ERROR before any transfer (outcome "not-found",
 * "access-denied", "write-refused", "malformed", "error"): a step of that machine too. */
void timeline_tftp_refused(struct timeline *tl, uint64_t now, uint32_t ip, const char *file,
			   const char *outcome);
/* A script chosen for a machine (before timeline_http() reports its answer). kind:
 * "template", "generator", "menu" or "local"; gen "ok"/"failed" after a generator ran. */
void timeline_script(struct timeline *tl, uint64_t now, const char *ip, const char *mac,
		     const char *machine, const char *profile, const char *kind, const char *gen);
/* Every HTTP answer; path is the request's (for /boot.ipxe it completes the script step). */
void timeline_http(struct timeline *tl, uint64_t now, const char *ip, const char *path, int status,
		   uint64_t bytes, uint64_t ms);
/* An inventory load: error NULL when it worked. */
void timeline_reload(struct timeline *tl, const char *file, const char *error);

/* The state of a machine's last boot at now: "in progress", "done" or "stalled after
 * STEP" (written to buf). Boots in progress are counted by timeline_in_progress(). */
const char *timeline_state(const struct timeline *tl, const struct tl_machine *m, uint64_t now,
			   char *buf, size_t cap);
unsigned timeline_in_progress(const struct timeline *tl, uint64_t now);
/* The i-th newest event of m (0 = newest), or NULL. */
const struct tl_event *timeline_event(const struct timeline *tl, const struct tl_machine *m,
				      unsigned i);
const char *timeline_kind_name(unsigned kind);

#endif
