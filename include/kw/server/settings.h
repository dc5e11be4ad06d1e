/* The config file (`--config FILE`, SPEC §8): every key optional, unknown
 * keys and bad values rejected with file, line and column. The settings hold
 * what the file said; `serve` lays its flags over them (flags win) and turns
 * them into the server's options and the core's kw_config.
 *
 * Keys (YAML):
 *   listen, healthListen, threads, maxBodyBytes, logLevel, identityScheme,
 *   tls: {certFile, keyFile, clientCAFile, pollSeconds}
 *   timeouts: {idleSeconds, requestSeconds, drainSeconds}
 *   forbiddenArgs: [--flag, ...]
 *   tenancy: {denyActions, denyForeignHostname, denyCrossNamespaceSource,
 *             allowedSourceNamespaces: [ns, ...], denyIdentityChange}
 */
#ifndef KW_SETTINGS_H
#define KW_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "kw/kopia/config.h"

#define KW_UNSET (-1LL)

struct kw_settings {
    /* Server side; NULL / KW_UNSET when the file does not set them. Owned. */
    char *listen, *health_listen;
    char *tls_cert, *tls_key, *client_ca;
    char *log_level;
    long long threads, max_body_bytes, cert_poll_s;
    long long idle_timeout_s, request_timeout_s, drain_s;
    /* The core's settings, defaults where the file is silent. Owns its
     * string arrays (extra_forbidden_args, allowed_source_namespaces). */
    struct kw_config core;
};

/* Empty settings: server fields unset, core defaults. */
void kw_settings_init(struct kw_settings *s);
void kw_settings_free(struct kw_settings *s);

/* Parses config text; `name` is used in messages ("config.yaml:3:5: ...").
 * On error returns -1 and `s` is left as it was. */
int kw_settings_parse(struct kw_settings *s, const char *name, const char *buf, size_t len,
                      char *err, size_t errlen);

/* Reads and parses a file. */
int kw_settings_load_file(struct kw_settings *s, const char *path, char *err, size_t errlen);

#endif
