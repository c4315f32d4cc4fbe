/* pyfantasy native API. This text is also the cffi cdef: no #include, no macros
 * beyond plain #define integer constants. C here knows nothing of Python. */

#define PF_OK 0
#define PF_ERR_NOMEM -1
#define PF_ERR_CLOSED -2

/* ---- SSE (WHATWG "Interpreting an event stream") --------------------------- */

typedef struct pf_sse pf_sse;

/* What one pf_sse_feed call produced; valid until the next call on the same
 * decoder. Each event's data, type and id are written to their own arena,
 * each followed by a NUL byte, so when no field holds a NUL (has_nul == 0)
 * an arena splits at NUL into one string per event. The type arena holds
 * "message" for events without a type. */
typedef struct {
    /* 6 values per event: data_off, data_len, type_off, type_len, id_off, id_len */
    const size_t *ev;
    size_t nev;
    /* 3 values per valid `retry` line: events dispatched before it in this
     * call, digits_off, digits_len (digits in retry_arena) */
    const size_t *retry;
    size_t nretry;
    const uint8_t *arena;        /* data */
    size_t arena_len;
    const uint8_t *type_arena;
    size_t type_arena_len;
    const uint8_t *id_arena;
    size_t id_arena_len;
    const uint8_t *retry_arena;
    size_t retry_arena_len;
    int has_nul;                 /* some data or type of these events contains a NUL */
    int same_type;               /* every event of this call has the first one's type */
    int same_id;                 /* every event of this call has the first one's id */
} pf_sse_out;

pf_sse *pf_sse_new(void);
void pf_sse_free(pf_sse *s);
/* Feed bytes (any split); eof=1 ends the stream (len may be 0). */
int pf_sse_feed(pf_sse *s, const uint8_t *data, size_t len, int eof, pf_sse_out *out);
/* Carried state, for introspection: which = 0 committed last event id,
 * 1 last event id buffer, 2 pending data buffer, 3 event type buffer,
 * 4 unterminated line. */
void pf_sse_state(const pf_sse *s, int which, const uint8_t **p, size_t *len);
/* 1 when the unterminated line is complete but held: its CR was the last byte fed. */
int pf_sse_cr_held(const pf_sse *s);
