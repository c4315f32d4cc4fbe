/* What the provider decoders share (internal, not in the cdef): the decoder
 * object, the part output with delta merging, views of a scanned chunk's
 * records, and Python's lenient field reads (the openai-go rules the Python
 * twin implements in pyfantasy/_providers/_common.py). */
#ifndef PF_DEC_INT_H
#define PF_DEC_INT_H
#include "pf_lex.h"
#include "pf_json_int.h"

typedef struct pf_dec_vt pf_dec_vt;

/* One scanned chunk: its records r[0 .. n*6) (pre-order, root first), the
 * scan arena, and end[k]: the index after record k's subtree. */
typedef struct {
    const size_t *r;
    size_t n;
    const uint8_t *a;
    const size_t *end;
} pf_view;

struct pf_dec {
    const pf_dec_vt *vt;
    const pf_jspec *spec;
    pf_scan *scan;
    pf_sizes parts;
    pf_sizes ends;         /* pf_view.end of the chunk being read */
    pf_bytes arena;
    pf_bytes tmp[16];      /* ring of scratch buffers for unescaped walked strings */
    unsigned tmp_next;
    pf_dec_out *out;       /* the output being filled (finish values) */
    uint64_t events;
    int ended;             /* done marker, or an error part: later chunks are not read */
    int error;             /* an error part was given (the end-of-stream step is skipped) */
    int fallback;          /* sticky PF_DEC_FALLBACK */
    int closed;
    int next_meta;         /* metadata objects handed out */
    void *st;              /* the format's state */
};

struct pf_dec_vt {
    /* one OK chunk, its event name and stream offset */
    int (*chunk)(pf_dec *d, const pf_view *v, const uint8_t *name, size_t name_len, uint64_t offset);
    int (*done)(pf_dec *d);     /* end of the body, when no error part was given */
    void (*free_state)(void *st);
};

/* A value: kind PF_K_* (-1: absent); for NUMBER/STRING/RAW the bytes
 * (strings unescaped), for ARRAY the length in len. Records are `rec` >= 0 in
 * the chunk (children can be looked up), raw-walked values have rec -1. */
typedef struct {
    int kind;
    const uint8_t *p;
    size_t len;
    long rec;
} pf_val;


/* A decoder over a spec the caller keeps alive (built once per format); takes `st`. */
pf_dec *pf_dec_make(const pf_dec_vt *vt, const pf_jspec *spec, int mode, const char *done, void *st);

/* output; every function returns 0 or PF_LEX_NOMEM */
int pf_dec_put(pf_dec *d, const uint8_t *p, size_t n, size_t *off);
int pf_dec_part(pf_dec *d, size_t type, size_t v1, size_t v2, size_t v3, size_t v4, size_t v5, size_t v6,
                size_t v7);
/* a part whose values 1..6 are three strings (id, a, b) copied to the arena */
int pf_dec_part3(pf_dec *d, size_t type, const uint8_t *id, size_t idn, const uint8_t *a, size_t an,
                 const uint8_t *b, size_t bn, size_t v7);
/* a delta (TEXT/REASONING/TOOL_INPUT_DELTA): merged into the previous part when that is
 * a delta of the same type and id and neither has metadata */
int pf_dec_delta(pf_dec *d, size_t type, const uint8_t *id, size_t idn, const uint8_t *t, size_t tn, size_t meta);
int pf_dec_error(pf_dec *d, size_t kind, size_t offset, const char *msg);
/* the same with a message of n bytes (it may hold NUL) */
int pf_dec_error_n(pf_dec *d, size_t kind, size_t offset, const uint8_t *msg, size_t n);
int pf_dec_error_value(pf_dec *d, size_t kind, pf_val v);

/* views of records */
pf_val pf_view_val(const pf_view *v, long k);
/* the last child of record `parent` at spec node `node` (last key wins, as in a parsed object) */
pf_val pf_view_child(const pf_view *v, pf_val parent, int32_t node);
/* array element records of `arr`, in order: *k starts at arr.rec; returns 0 when done */
int pf_view_next(const pf_view *v, pf_val arr, long *k, pf_val *el);

/* raw JSON text walking (a RAW or walked value) */
pf_val pf_raw_get(pf_dec *d, pf_val obj, const char *key);   /* kind -1 when not an object or absent */
int pf_raw_next(pf_val arr, size_t *i, pf_val *el);
/* obj[keys[k]] for every k in one walk (last key wins; kind -1 when absent) */
int pf_raw_fields(pf_dec *d, pf_val obj, const char *const *keys, size_t nkeys, pf_val *vals);            /* iterate an array's elements */
/* a walked string's bytes (unescaped when needed, into one of 16 scratch buffers used in turn:
 * valid until 16 more calls) */
int pf_raw_str(pf_dec *d, pf_val *v);

/* Python's lenient reads: s() a string ("" unless string or number), i() an integer.
 * Return 0, or 1 when the value is beyond what C reproduces (the body falls back). */
int pf_val_s(pf_val v, const uint8_t **p, size_t *n);
int pf_val_i(pf_val v, int64_t *out);
static inline int pf_val_is_obj(pf_val v) {
    return v.kind == PF_K_OBJECT || (v.kind == PF_K_RAW && v.len && v.p[0] == '{');
}
static inline int pf_val_is_arr(pf_val v) {
    return v.kind == PF_K_ARRAY || (v.kind == PF_K_RAW && v.len && v.p[0] == '[');
}
static inline int pf_eq(const uint8_t *p, size_t n, const char *s) {
    size_t m = strlen(s);
    return n == m && memcmp(p, s, m) == 0;
}
static inline int pf_starts(const uint8_t *p, size_t n, const char *s) {
    size_t m = strlen(s);
    return n >= m && memcmp(p, s, m) == 0;
}
static inline int pf_contains(const uint8_t *p, size_t n, const char *s) {
    size_t m = strlen(s);
    if (m > n) return 0;
    for (size_t k = 0; k + m <= n; k++) if (memcmp(p + k, s, m) == 0) return 1;
    return 0;
}

#endif
