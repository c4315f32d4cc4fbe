/* pf_json.c's interface to the other kernels (internal, not in the cdef): a
 * spec built from dotted paths in C, node lookup by path, and the scanner's
 * SSE reading. */
#ifndef PF_JSON_INT_H
#define PF_JSON_INT_H
#include "pf_api.h"

typedef struct {
    const char *path;   /* "choices.*.delta.content": keys and "*" for array elements */
    uint8_t flags;      /* PF_NODE_* besides LEAF, which every listed path gets */
} pf_path;

/* A spec of the listed leaf paths (their prefixes are interior nodes), or NULL. A path
 * listed with PF_NODE_KEEP is an interior object that keeps its raw text. */
pf_jspec *pf_jspec_build(const pf_path *paths, size_t n);
/* The node id of `path` ("" is the root), or -1. */
int32_t pf_jspec_node(const pf_jspec *spec, const char *path);
/* The number of nodes in the spec (node ids are 0 .. count-1). */
size_t pf_jspec_count(const pf_jspec *spec);
void pf_sse_reset(pf_sse *s);
/* The scanner's SSE reading:
 * - no search for NUL bytes in data lines (pf_sse_out.has_nul stays 0): a NUL in an
 *   event's data fails its JSON anyway;
 * - an event whose data is one line read whole in the call's input is not copied: its
 *   data offset has PF_SSE_IN_INPUT set and counts from the input given to pf_sse_feed
 *   (no NUL after it). */
void pf_sse_for_scanner(pf_sse *s);
#define PF_SSE_IN_INPUT ((size_t)1 << (sizeof(size_t) * 8 - 1))
/* Whether the done marker was seen. */
int pf_scan_done_seen(const pf_scan *s);
/* Merge runs of chunks as Python's Scanner(coalesce=True) does (see pf_json.c). */
void pf_scan_set_coalesce(pf_scan *s, int on);

#endif
