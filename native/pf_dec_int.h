/* What the provider decoders share (internal, not in the cdef): the decoder
 * object, the part output with delta merging, views of a scanned chunk's
 * records, and Python's lenient field reads (the openai-go rules the Python
 * twin implements in pyfantasy/_providers/_common.py). */
#ifndef PF_DEC_INT_H
#define PF_DEC_INT_H
#include "pf_lex.h"
#include "pf_json_int.h"

typedef struct pf_dec_vt pf_dec_vt;

/* Once-per-process tables (specs): published with atomics where the compiler has them. */
#if defined(__GNUC__) || defined(__clang__)
#define PF_LOAD(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define PF_STORE(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define PF_CAS(p, expected, v) __atomic_compare_exchange_n(&(p), &(expected), (v), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
#else
#define PF_LOAD(p) (p)
#define PF_STORE(p, v) ((p) = (v))
#define PF_CAS(p, expected, v) ((p) == (expected) ? ((p) = (v), 1) : ((expected) = (p), 0))
#endif

/* One scanned chunk: its records r[0 .. n*PF_SCAN_REC_W) (pre-order, root first), the
 * scan arena, end[k]: the index after record k's subtree, and last[node]: 1 + the last
 * record of that spec node in the chunk (0: none), so that a child is found without
 * scanning its siblings. */
typedef struct {
    const size_t *r;
    size_t n;
    const uint8_t *a;
    const size_t *end;
    const size_t *last;
} pf_view;

struct pf_dec {
    const pf_dec_vt *vt;
    const pf_jspec *spec;
    pf_scan *scan;
    pf_sizes parts;
    pf_sizes ends;         /* pf_view.end of the chunk being read */
    pf_sizes last;         /* pf_view.last of the chunk being read (all 0 between chunks) */
    pf_bytes arena;
    pf_sizes whole;        /* pf_dec_whole's content records */
    pf_bytes tmp[16];      /* ring of scratch buffers for unescaped walked strings */
    unsigned tmp_next;
    pf_dec_out *out;       /* the output being filled (finish values) */
    uint64_t events;
    int ended;             /* done marker, or an error part: later chunks are not read */
    int error;             /* an error part was given (the end-of-stream step is skipped) */
    int fallback;          /* sticky: pf_dec_out.status PF_UNSUPPORTED */
    int closed;
    int next_meta;         /* metadata objects handed out */
    void *st;              /* the format's state */
    /* optional (set after pf_dec_make): called with every scanned chunk's event name and status
     * before it is counted; 1: skip the chunk (the format's SDK does not read that event); may
     * set fallback */
    int (*event)(pf_dec *d, const uint8_t *name, size_t name_len, int status);
    /* optional (set after pf_dec_make): the body is an AWS event stream; its SSE text is
     * scanned, chunk offsets are those of the messages, its failure is one error part */
    pf_evs *evs;
    uint64_t sse_base;     /* SSE bytes of earlier feeds */
    int evs_reported;
};

struct pf_dec_vt {
    /* one OK chunk, its event name and stream offset */
    int (*chunk)(pf_dec *d, const pf_view *v, const uint8_t *name, size_t name_len, uint64_t offset);
    int (*done)(pf_dec *d);     /* end of the body, when no error part was given */
    void (*free_state)(void *st);
    void (*reset_state)(void *st);   /* back to a new body's state, keeping buffers */
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


/* The event and done callbacks of the one-document machines (PF_SCAN_DOCUMENT): a body
 * that is not JSON, or none at all, goes to Python (its messages are Python's). */
int pf_dec_document_event(pf_dec *d, const uint8_t *name, size_t n, int status);
int pf_dec_document_done(pf_dec *d);
/* A one-document machine (pf_dec_make with PF_SCAN_DOCUMENT and the two callbacks above). */
pf_dec *pf_dec_make_document(const pf_dec_vt *vt, const pf_jspec *spec, void *st);

/* An event-stream parser back to a new stream's state, its tables and buffers kept (pf_evstream.c). */
void pf_evs_reset(pf_evs *d);

/* Is the valid JSON text p[i..) spelled as Python's raw_text spells its parsed value (compact,
 * strings as json.dumps(ensure_ascii=False) writes them, no -0 integer, no repeated key), so
 * that C can hand it on as it is? *end: index after the value. */
int pf_canon_value(const uint8_t *p, size_t n, size_t i, size_t *end, int depth);

/* The valid JSON value at p[*i] written into o as Go's json.Marshal writes it once decoded into
 * any (sorted keys, a repeated key's last value, float64 numbers, HTML-safe strings), *i past
 * it; 1 when C cannot be sure of Go's spelling (non-integers, integers past 15 digits, -0,
 * strings with non-ASCII or <, >, &, nesting past 64): Python writes those. tmp: scratch. */
int pf_go_marshal(const uint8_t *p, size_t n, size_t *i, pf_bytes *o, pf_bytes *tmp, int depth);

/* A decoder over a spec the caller keeps alive (built once per format); takes `st` (freed
 * with vt->free_state when this fails, and when spec is NULL: its building ran out of memory).
 * coalesce: merge runs of chunks as the Python twin's scanner does (pf_scan_new), so
 * that both state machines see the same chunks and give parts in the same order. */
pf_dec *pf_dec_make(const pf_dec_vt *vt, const pf_jspec *spec, int mode, const char *done, int coalesce,
                    void *st);

/* output; every function returns PF_OK or PF_ERR_NOMEM */
int pf_dec_put(pf_dec *d, const uint8_t *p, size_t n, size_t *off);
int pf_dec_part(pf_dec *d, size_t type, size_t v1, size_t v2, size_t v3, size_t v4, size_t v5, size_t v6,
                size_t v7);
/* a part whose values 1..6 are three strings (id, a, b) copied to the arena */
int pf_dec_part3(pf_dec *d, size_t type, const uint8_t *id, size_t idn, const uint8_t *a, size_t an,
                 const uint8_t *b, size_t bn, size_t v7);
/* a client tool's TOOL_CALL (TOOL_CALL_OBJECT when its input is a JSON object Go reads) */
int pf_dec_tool_call(pf_dec *d, const uint8_t *id, size_t idn, const uint8_t *input, size_t inn,
                     const uint8_t *name, size_t nn, size_t v7);
/* a delta (TEXT/REASONING/TOOL_INPUT_DELTA): merged into the previous part when that is
 * a delta of the same type and id and neither has metadata */
int pf_dec_delta(pf_dec *d, size_t type, const uint8_t *id, size_t idn, const uint8_t *t, size_t tn, size_t meta);
int pf_dec_error(pf_dec *d, size_t kind, size_t offset, const char *msg);
/* the same with a message of n bytes (it may hold NUL) */
int pf_dec_error_n(pf_dec *d, size_t kind, size_t offset, const uint8_t *msg, size_t n);
int pf_dec_error_value(pf_dec *d, size_t kind, pf_val v);
/* a META part: operation op (PF_MO_*) on metadata object obj; pf_dec_new_meta numbers a new object */
int pf_dec_meta(pf_dec *d, int obj, size_t op, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, size_t arg);
int pf_dec_new_meta(pf_dec *d, size_t op, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int *obj);
/* pf_dec_new_meta of a Go string `a` (any bytes): a copied as it is when it is valid UTF-8,
 * else as its code points (value 7 PF_MO_UCS4: see pyfantasy.h) */
int pf_dec_new_meta_go(pf_dec *d, size_t op, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int *obj);

/* A format's spec of `paths` and the node ids of `node_paths` into node[], built once per
 * process: *cache and cache_nodes[nnodes] are the format's statics (the first caller wins a race). */
pf_jspec *pf_dec_spec(pf_jspec **cache, int32_t *cache_nodes, const pf_path *paths, size_t npaths,
                      const char *const *node_paths, size_t nnodes, int32_t *node);

/* views of records */
pf_val pf_view_val(const pf_view *v, long k);
/* the last child of record `parent` at spec node `node` (last key wins, as in a parsed object) */
pf_val pf_view_child(const pf_view *v, pf_val parent, int32_t node);
/* array element records of `arr`, in order: *k starts at arr.rec; returns 0 when done */
int pf_view_next(const pf_view *v, pf_val arr, long *k, pf_val *el);

/* raw JSON text walking (a RAW or walked value) */
pf_val pf_raw_get(pf_dec *d, pf_val obj, const char *key);   /* kind -1 when not an object or absent */
int pf_raw_next(pf_val arr, size_t *i, pf_val *el);            /* iterate an array's elements */
/* the member value (or key) at p[i] walked: its end in *end (0 when malformed); a string is
 * still quoted (for pf_raw_str), marked when it holds no escape */
pf_val pf_raw_member(const uint8_t *p, size_t i, size_t n, size_t *end);
/* obj[keys[k]] for every k in one walk (last key wins; kind -1 when absent) */
int pf_raw_fields(pf_dec *d, pf_val obj, const char *const *keys, size_t nkeys, pf_val *vals);
/* iterate an object's members: *i 0 first, then as the last call left it; the key unescaped (into
 * t when it has escapes: valid until the next call with t), the value walked. 1 a member, 0 the
 * end (or text that does not walk), PF_ERR_NOMEM */
int pf_raw_next_member(pf_val obj, size_t *i, pf_bytes *t, pf_val *key, pf_val *val);
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
/* What every decoder file writes with: return on out-of-memory; hand the body back;
 * an empty string argument pair; a buffer's bytes (never NULL). */
#define TRY(x) do { if (x) return PF_ERR_NOMEM; } while (0)
#define FALLBACK(d) do { (d)->fallback = 1; return 0; } while (0)
#define E0 (const uint8_t *)"", 0
static inline const uint8_t *pf_bp(const pf_bytes *b) { return b->p ? b->p : (const uint8_t *)""; }

static inline int pf_eq(const uint8_t *p, size_t n, const char *s) {
    if (n && (uint8_t)s[0] != p[0]) return 0;   /* most misses: no strlen */
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
