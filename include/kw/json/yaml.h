/* YAML (and JSON, a subset) to jansson values with libyaml, resolving plain
 * scalars the way kubectl does (YAML 1.1 booleans such as yes/no/on/off,
 * null/~, decimal/0x/0o integers, floats), rejecting duplicate mapping keys
 * like kubectl. Used by `check` for manifests and by the schema and config
 * loaders. Errors carry the line and column (1-based). */
#ifndef KW_YAML_H
#define KW_YAML_H

#include <jansson.h>
#include <stddef.h>

struct kw_yaml_error {
    size_t line, column; /* 1-based; 0 when unknown */
    char text[256];      /* "line 3, column 5: mapping key \"spec\" already defined" */
    char detail[200];    /* the same without the position: "mapping key ..." */
};

/* Parses every document of a multi-document stream. Returns a new array with
 * one value per non-empty document (empty documents are skipped), or NULL
 * with `err` filled. */
json_t *kw_yaml_load_all(const char *buf, size_t len, struct kw_yaml_error *err);

/* Parses a stream that must hold exactly one document (config files, schema
 * files). Returns a new reference, or NULL with `err` filled. */
json_t *kw_yaml_load_one(const char *buf, size_t len, struct kw_yaml_error *err);

/* Line/column of the values of a document, by path, for callers that need
 * positions (the config loader, `check`): the table that
 * kw_yaml_load_one_with_positions and kw_yaml_load_part return. Every mapping
 * key is listed at the key, every sequence item, every mapping or sequence
 * and a scalar root at its start (the document's root as path ""), in
 * document order;
 * a path may appear twice (a key, then its value), the first is the key. */
struct kw_yaml_position {
    char *path; /* "tls.certFile", "forbiddenArgs[2]", "" */
    size_t line, column;
};
struct kw_yaml_positions {
    struct kw_yaml_position *items; /* owned; kw_yaml_positions_free frees */
    size_t len, cap;                /* cap: items allocated */
};
json_t *kw_yaml_load_one_with_positions(const char *buf, size_t len,
                                        struct kw_yaml_positions *positions_out,
                                        struct kw_yaml_error *err);
void kw_yaml_positions_free(struct kw_yaml_positions *positions);

/* One document's bytes inside a multi-document stream (kw_yaml_split). */
struct kw_yaml_part {
    size_t offset, len; /* bytes of the stream */
    size_t first_line;  /* 1-based line of the stream where the part starts */
};

/* Splits a YAML stream into its documents so that each can be parsed on its
 * own: libyaml cannot go on after a syntax error, so one bad document would
 * hide every later one. The split is at document markers: lines that start
 * at column 0 with "---" or "..." followed by a blank or the end of the
 * line. Such a line can only be a marker (inside a block scalar it is
 * indented; libyaml refuses it inside a flow scalar). A "---" line starts a
 * part (the marker and what follows it on the line belong to it); a "..."
 * line ends one. Comments, blank lines and directives ("%YAML") before a
 * marker stay with the document that follows. Every part but possibly the
 * last holds a document (possibly empty); a stream without markers is one
 * part. Returns 0 and a malloc'd array in *parts_out (caller frees; NULL
 * when *nparts_out is 0), or -1 when out of memory. */
int kw_yaml_split(const char *buf, size_t len, struct kw_yaml_part **parts_out, size_t *nparts_out);

/* kw_yaml_load_all of one part of a larger stream that starts at line
 * `first_line` (1-based) of it: error and position lines are the stream's.
 * `positions_out` (NULL = not wanted) is filled as by
 * kw_yaml_load_one_with_positions, also on error (then empty). */
json_t *kw_yaml_load_part(const char *buf, size_t len, size_t first_line,
                          struct kw_yaml_positions *positions_out, struct kw_yaml_error *err);

#endif
