/*
 * hosts: the names this server answers to under, checked against each
 * request's Host. A page of another site whose name was pointed at this
 * machine (DNS rebinding) reaches the port, but sends its own name. Pure:
 * a list filled at start-up, read by every request after.
 */
#ifndef NUMDIALER_HOSTS_H
#define NUMDIALER_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#define HOSTS_MAX 24          /* names in a list, the ones derived included */
#define HOSTS_LIST_MAX 16     /* of which NUMDIALER_HOSTS may give */
#define HOSTS_NAME_MAX 253    /* the longest DNS name, as text */
#define HOSTS_PORT_ANY 0u

struct hosts_entry {
	char name[HOSTS_NAME_MAX + 1];  /* an IPv6 address without brackets */
	unsigned port;                  /* 1..65535, or HOSTS_PORT_ANY */
};

/* Filled by the hosts_add* calls, in any order; zeroed: empty. */
struct hosts {
	struct hosts_entry entry[HOSTS_MAX];
	size_t count;
};

/*
 * Adds the name (len bytes, no NUL needed) with port (HOSTS_PORT_ANY, or
 * 1..65535). A name is letters, digits, '.', '-' and '_', or an IPv6
 * address (hex digits, ':' and '.') without brackets. h may be NULL: the
 * name is only checked. 0, or -1 with the reason in err.
 */
int hosts_add_name(struct hosts *h, const char *name, size_t len,
    unsigned port, char *err, size_t errlen);

/*
 * Adds each entry of list, a NUL-terminated comma-separated list of
 * host[:port] ("dialer.lan", "10.0.0.5:8080", "[fd00::5]:8080"), blanks
 * around an entry ignored; an empty list adds none. At most
 * HOSTS_LIST_MAX entries. h may be NULL: the list is only checked. 0, or
 * -1 with the reason in err (the entry named), h then partly filled.
 */
int hosts_add_list(struct hosts *h, const char *list, char *err,
    size_t errlen);

/*
 * Adds the host of url (http:// or https://, read with libcurl's URL
 * parser) with any port. 0, or -1 with the reason in err.
 */
int hosts_add_url(struct hosts *h, const char *url, char *err, size_t errlen);

/*
 * True when host, a request's Host header ("name[:port]", "[v6]:port"),
 * names an entry of h: the names equal but for case, and the ports equal
 * when the entry has one; a Host without a port stands for default_port
 * (80, or 443 over HTTPS). NULL, empty or malformed: false.
 */
bool hosts_known(const struct hosts *h, const char *host,
    unsigned default_port);

#endif
