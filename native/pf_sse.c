/* SSE kernel: the WHATWG "Interpreting an event stream" algorithm over bytes.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 *
 * Strategy: lines are found with memchr for LF and for CR (each search result
 * is reused until passed, so a buffer is scanned once per character class:
 * O(n) even for CR-only streams). Fields are handled on raw bytes: CR, LF, ':'
 * and ' ' never occur inside a multibyte UTF-8 sequence, so splitting bytes
 * first and decoding each value with U+FFFD replacement later (in the caller)
 * equals decoding the whole stream first.
 *
 * Carried between calls: the BOM match at stream start, the unterminated line
 * (or a complete line whose CR was the last byte fed: it may be half of a
 * CRLF, so it is held), the data buffer (kept at the tail of the arena), the
 * event type buffer, the last event ID buffer and the committed last event ID.
 * One call handles a whole chunk and reports every event of it. */
#include "pf_lex.h"
#include "pf_json_int.h"
#include "pf_pickle.h"

struct pf_sse {
    int closed;
    int at_start;          /* no byte of the stream seen yet past a partial BOM */
    size_t bom_matched;    /* bytes of EF BB BF matched so far */
    int cr_held;           /* `line` is complete: its CR was the last byte fed */
    int id_dirty;          /* idbuf changed since the last commit */
    pf_bytes line;         /* unterminated line */
    pf_bytes arena;        /* [0,data_start): data of this call's events; [data_start,len): data buffer */
    size_t data_start;
    pf_bytes type_arena;   /* this call's event types, NUL-terminated */
    pf_bytes id_arena;     /* this call's event ids, NUL-terminated */
    int pending_nul;       /* the data buffer holds a NUL */
    int for_scanner;       /* pf_sse_for_scanner: no NUL check, in-place events */
    int pickle;            /* pf_sse_set_pickle: each call's data also as a pickled list of str */
    pf_bytes pk;           /* that list */
    const uint8_t *in;     /* the current call's input, as given */
    int ip_pending;        /* the data buffer is one line still in the input: in[ip_off, +ip_len) */
    size_t ip_off, ip_len;
    int type_nul;          /* the event type buffer holds a NUL */
    int out_nul;           /* an event of this call has a NUL in data or type */
    int same_type, same_id;
    pf_bytes prev_type;    /* type and id of the last call whose events all shared them */
    pf_bytes prev_id;      /* (no NUL, no retry line): the caller may still hold their strings */
    int have_prev;
    pf_bytes type;         /* event type buffer */
    pf_bytes idbuf;        /* last event ID buffer */
    pf_bytes committed;    /* last event ID string, committed at each blank line */
    pf_sizes ev;
    pf_sizes retry;
    pf_bytes retry_arena;
    uint64_t consumed;     /* stream bytes before the current call's data */
    uint64_t line_start;   /* stream offset of the unterminated line */
    uint64_t block_start;  /* stream offset of the current block's first line */
    int block_empty;       /* no line seen since the last blank line */
    int cut;               /* the stream ended inside an event */
    int eof_dispatch;      /* dispatch the unterminated last event at the end */
    uint64_t cut_offset;   /* where that event began */
};

static const uint8_t BOM[3] = {0xEF, 0xBB, 0xBF};

pf_sse *pf_sse_new(void) {
    pf_sse *s = (pf_sse *)calloc(1, sizeof(pf_sse));
    if (s) { s->at_start = 1; s->block_empty = 1; }
    return s;
}

void pf_sse_reset(pf_sse *s) {
    pf_sse keep = *s;   /* the buffers stay allocated; everything else starts anew */
    memset(s, 0, sizeof *s);
    s->at_start = 1;
    s->block_empty = 1;
    s->eof_dispatch = keep.eof_dispatch;
    s->for_scanner = keep.for_scanner;
    s->pickle = keep.pickle;
#define KEEP(f) do { s->f = keep.f; s->f.len = 0; } while (0)
    KEEP(line); KEEP(arena); KEEP(type_arena); KEEP(id_arena); KEEP(type); KEEP(idbuf); KEEP(committed);
    KEEP(ev); KEEP(retry); KEEP(retry_arena); KEEP(prev_type); KEEP(prev_id); KEEP(pk);
#undef KEEP
}

void pf_sse_free(pf_sse *s) {
    if (!s) return;
    pf_bytes_free(&s->line);
    pf_bytes_free(&s->arena);
    pf_bytes_free(&s->type_arena);
    pf_bytes_free(&s->id_arena);
    pf_bytes_free(&s->type);
    pf_bytes_free(&s->idbuf);
    pf_bytes_free(&s->committed);
    pf_bytes_free(&s->retry_arena);
    pf_bytes_free(&s->prev_type);
    pf_bytes_free(&s->prev_id);
    pf_bytes_free(&s->pk);
    pf_sizes_free(&s->ev);
    pf_sizes_free(&s->retry);
    free(s);
}

/* "If the line is empty (a blank line): Dispatch the event." */
static int dispatch(pf_sse *s) {
    s->block_empty = 1;
    /* Step 1: set the last event ID string to the last event ID buffer. */
    if (s->id_dirty) {
        if (pf_set_bytes(&s->committed, s->idbuf.p, s->idbuf.len)) return PF_ERR_NOMEM;
        s->id_dirty = 0;
    }
    size_t dlen = s->arena.len - s->data_start;
    /* Step 2: an empty data buffer resets data and type and dispatches nothing. */
    if (dlen == 0 && !s->ip_pending) {
        s->type.len = 0;
        return PF_OK;
    }
    if (pf_sizes_reserve(&s->ev, PF_SSE_EV_W)) return PF_ERR_NOMEM;
    size_t *r = s->ev.p + s->ev.len;
    if (s->ip_pending) {   /* one data line, still in the input: pointed at, not copied */
        s->ip_pending = 0;
        r[0] = s->ip_off | PF_SSE_IN_INPUT;
        r[1] = s->ip_len;
    } else {
        /* Step 3: remove the data buffer's final LF (every data line appended
         * one); the NUL separator takes its place. */
        dlen -= 1;
        s->arena.p[s->arena.len - 1] = 0;
        r[0] = s->data_start;
        r[1] = dlen;
    }
    /* Steps 5-6: type "message" unless the event type buffer is set. */
    r[2] = s->type_arena.len;
    if (s->type.len) {
        r[3] = s->type.len;
        if (pf_bytes_append(&s->type_arena, s->type.p, s->type.len)) return PF_ERR_NOMEM;
        s->out_nul |= s->type_nul;
    } else {
        r[3] = 7;
        if (pf_bytes_append(&s->type_arena, (const uint8_t *)"message", 7)) return PF_ERR_NOMEM;
    }
    if (pf_bytes_push(&s->type_arena, 0)) return PF_ERR_NOMEM;
    r[4] = s->id_arena.len;
    r[5] = s->committed.len; /* never holds a NUL: such ids are ignored */
    r[6] = (size_t)s->block_start;
    if (pf_bytes_append(&s->id_arena, s->committed.p, s->committed.len)) return PF_ERR_NOMEM;
    if (pf_bytes_push(&s->id_arena, 0)) return PF_ERR_NOMEM;
    if (s->ev.len == 0) {
        s->same_type = s->same_id = 1;
    } else {
        const size_t *f = s->ev.p; /* the first event of this call */
        if (s->same_type && (f[3] != r[3] || memcmp(s->type_arena.p + f[2], s->type_arena.p + r[2], r[3])))
            s->same_type = 0;
        if (s->same_id && (f[5] != r[5] || memcmp(s->id_arena.p + f[4], s->id_arena.p + r[4], r[5])))
            s->same_id = 0;
    }
    s->ev.len += PF_SSE_EV_W;
    s->out_nul |= s->pending_nul;
    s->pending_nul = 0;
    /* Step 7: reset the data and event type buffers. */
    s->type.len = 0;
    s->data_start = s->arena.len;
    return PF_OK;
}

/* A data line's value appended to the data buffer, with its LF. */
static int append_data(pf_sse *s, const uint8_t *v, size_t vlen) {
    if (pf_bytes_reserve(&s->arena, vlen + 1)) return PF_ERR_NOMEM;
    if (vlen) memcpy(s->arena.p + s->arena.len, v, vlen);
    s->arena.len += vlen;
    s->arena.p[s->arena.len++] = '\n';
    return PF_OK;
}

/* The pending in-place data line, copied to the data buffer (the input is going, or
 * another data line follows). */
static int ip_flush(pf_sse *s) {
    if (!s->ip_pending) return PF_OK;
    s->ip_pending = 0;
    return append_data(s, s->in + s->ip_off, s->ip_len);
}

/* in_input: lp points into the call's input (not into the held line). */
static int process_line(pf_sse *s, const uint8_t *lp, size_t ll, int in_input) {
    if (ll == 0) return dispatch(s);
    if (s->block_empty) {
        s->block_start = s->line_start;
        s->block_empty = 0;
    }
    if (lp[0] == ':') return PF_OK; /* comment */
    const uint8_t *colon = (const uint8_t *)memchr(lp, ':', ll);
    size_t nlen = colon ? (size_t)(colon - lp) : ll;
    const uint8_t *v = colon ? colon + 1 : lp + ll;
    size_t vlen = colon ? ll - nlen - 1 : 0;
    /* "If value starts with a U+0020 SPACE character, remove it from value." */
    if (vlen && v[0] == ' ') { v++; vlen--; }
    switch (nlen) {
    case 4:
        if (memcmp(lp, "data", 4) == 0) {
            if (s->for_scanner && in_input && !s->ip_pending && s->arena.len == s->data_start) {
                s->ip_pending = 1;
                s->ip_off = (size_t)(v - s->in);
                s->ip_len = vlen;
                break;
            }
            if (ip_flush(s) || append_data(s, v, vlen)) return PF_ERR_NOMEM;
            /* a NUL in data matters only to a caller splitting the arena (not the pickle) */
            if (vlen && !s->pending_nul && !s->for_scanner && !s->pickle && memchr(v, 0, vlen)) s->pending_nul = 1;
        }
        break;
    case 5:
        if (memcmp(lp, "event", 5) == 0) {
            if (pf_set_bytes(&s->type, v, vlen)) return PF_ERR_NOMEM;
            s->type_nul = vlen && memchr(v, 0, vlen) != NULL;
        } else if (memcmp(lp, "retry", 5) == 0) {
            /* "If the field value consists of only ASCII digits": an empty
             * value is ignored (there is no integer to set). */
            if (vlen == 0) break;
            if (pf_lex_digits(v, 0, vlen) != vlen) return PF_OK;
            if (pf_sizes_reserve(&s->retry, PF_SSE_RETRY_W)) return PF_ERR_NOMEM;
            size_t *r = s->retry.p + s->retry.len;
            r[0] = s->ev.len / PF_SSE_EV_W;
            r[1] = s->retry_arena.len;
            r[2] = vlen;
            if (pf_bytes_append(&s->retry_arena, v, vlen)) return PF_ERR_NOMEM;
            s->retry.len += PF_SSE_RETRY_W;
        }
        break;
    case 2:
        if (lp[0] == 'i' && lp[1] == 'd') {
            /* "If the field value does not contain U+0000 NULL" */
            if (vlen && memchr(v, 0, vlen)) break;
            if (pf_set_bytes(&s->idbuf, v, vlen)) return PF_ERR_NOMEM;
            s->id_dirty = 1;
        }
        break;
    default:
        break; /* unknown field: ignored */
    }
    return PF_OK;
}

static int scan(pf_sse *s, const uint8_t *data, size_t len, int eof) {
    size_t i = 0;
    /* Next LF / CR at or after i (len when none); refreshed only once passed. */
    size_t nl = 0, cr = 0;
    int nl_known = 0, cr_known = 0;
    int rc;
    while (i < len) {
        if (!s->line.len && !s->cr_held) s->line_start = s->consumed + i;
        if (!nl_known || nl < i) {
            const uint8_t *q = (const uint8_t *)memchr(data + i, '\n', len - i);
            nl = q ? (size_t)(q - data) : len;
            nl_known = 1;
        }
        if (!cr_known || cr < i) {
            const uint8_t *q = (const uint8_t *)memchr(data + i, '\r', len - i);
            cr = q ? (size_t)(q - data) : len;
            cr_known = 1;
        }
        size_t t = nl < cr ? nl : cr;
        if (t == len) {
            if (pf_bytes_append(&s->line, data + i, len - i)) return PF_ERR_NOMEM;
            return PF_OK;
        }
        size_t next = t + 1;
        int hold = 0;
        if (data[t] == '\r') {
            if (t + 1 < len) {
                if (data[t + 1] == '\n') next = t + 2;
            } else if (!eof) {
                hold = 1; /* may be the first half of a CRLF */
            }
        }
        const uint8_t *lp;
        size_t ll;
        int in_input = !(s->line.len || hold);
        if (!in_input) {
            if (pf_bytes_append(&s->line, data + i, t - i)) return PF_ERR_NOMEM;
            lp = s->line.p;
            ll = s->line.len;
        } else {
            lp = data + i;
            ll = t - i;
        }
        if (hold) {
            s->cr_held = 1;
            return PF_OK;
        }
        if ((rc = process_line(s, lp, ll, in_input))) return rc;
        s->line.len = 0;
        i = next;
    }
    return PF_OK;
}

/* This call's event data as a pickled list of str (pf_pickle.h), in s->pk. */
static int pickle_data(pf_sse *s) {
    s->pk.len = 0;
    if (pf_pickle_list_begin(&s->pk)) return PF_ERR_NOMEM;
    for (size_t k = 0; k < s->ev.len; k += PF_SSE_EV_W) {
        const size_t *r = s->ev.p + k;
        if (pf_pickle_str(&s->pk, s->arena.p + r[0], r[1])) return PF_ERR_NOMEM;
    }
    return pf_pickle_list_end(&s->pk) ? PF_ERR_NOMEM : PF_OK;
}

int pf_sse_feed(pf_sse *s, const uint8_t *data, size_t len, int eof, pf_sse_out *out) {
    int rc = PF_OK;
    if (s->closed) return PF_ERR_CLOSED;
    s->in = data;
    /* Drop what the previous call reported; keep the pending data buffer. */
    if (s->data_start) {
        size_t keep = s->arena.len - s->data_start;
        if (keep) memmove(s->arena.p, s->arena.p + s->data_start, keep);
        s->arena.len = keep;
        s->data_start = 0;
    }
    s->ev.len = 0;
    s->retry.len = 0;
    s->retry_arena.len = 0;
    s->type_arena.len = 0;
    s->id_arena.len = 0;
    s->out_nul = 0;

    /* "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present." */
    if (s->at_start && len) {
        size_t i = 0;
        while (s->bom_matched < 3 && i < len && data[i] == BOM[s->bom_matched]) {
            s->bom_matched++;
            i++;
        }
        data += i;
        len -= i;
        s->consumed += i;
        if (s->bom_matched == 3) {
            s->at_start = 0;
        } else if (len) { /* mismatch: the matched bytes were ordinary (invalid UTF-8) bytes */
            s->at_start = 0;
            s->line_start = s->consumed - s->bom_matched;
            if (pf_bytes_append(&s->line, BOM, s->bom_matched)) return PF_ERR_NOMEM;
        }
    }
    if (s->cr_held && len) {
        s->cr_held = 0;
        if (data[0] == '\n') { data++; len--; s->consumed++; }
        if ((rc = process_line(s, s->line.p, s->line.len, 0))) goto done;
        s->line.len = 0;
    }
    if (len && (rc = scan(s, data, len, eof))) goto done;
    if ((rc = ip_flush(s))) goto done;   /* an event not ended in this input: its data is kept */
    s->consumed += len;
    if (eof) {
        if (s->at_start) { /* the stream ended inside a would-be BOM: those bytes were a line */
            s->at_start = 0;
            if (s->bom_matched) {
                s->line_start = s->consumed - s->bom_matched;
                if (pf_bytes_append(&s->line, BOM, s->bom_matched)) { rc = PF_ERR_NOMEM; goto done; }
            }
        }
        if (s->cr_held) {
            s->cr_held = 0;
            if ((rc = process_line(s, s->line.p, s->line.len, 0))) goto done;
            s->line.len = 0;
        }
        if (s->eof_dispatch) {
            /* a non-WHATWG reader (genai): the last event needs no blank line */
            if (s->line.len && (rc = process_line(s, s->line.p, s->line.len, 0))) goto done;
            s->line.len = 0;
            if ((rc = dispatch(s))) goto done;
        }
        /* "Once the end of the file is reached, any pending data must be
         * discarded." Remember that something was: the stream was cut. */
        int line_cut = s->line.len && s->line.p[0] != ':';
        if (line_cut || s->arena.len > s->data_start) {
            s->cut = 1;
            s->cut_offset = (!s->block_empty) ? s->block_start : s->line_start;
        }
        s->line.len = 0;
        s->closed = 1;
    }
done:
    out->pk_len = 0;
    if (rc == PF_OK && s->pickle && s->ev.len && (rc = pickle_data(s)) == PF_OK) {
        out->pk = (const char *)s->pk.p;
        out->pk_len = s->pk.len;
    }
    out->as_before = 0;
    if (rc == PF_OK && s->ev.len && !s->retry.len && !s->out_nul && s->same_type && s->same_id) {
        const size_t *f = s->ev.p;
        const uint8_t *t = s->type_arena.p + f[2], *i = s->id_arena.p + f[4];
        if (s->have_prev && s->prev_type.len == f[3] && (!f[3] || !memcmp(s->prev_type.p, t, f[3]))
            && s->prev_id.len == f[5] && (!f[5] || !memcmp(s->prev_id.p, i, f[5]))) {
            out->as_before = 1;
        } else {
            s->prev_type.len = s->prev_id.len = 0;
            s->have_prev = !pf_bytes_append(&s->prev_type, t, f[3]) && !pf_bytes_append(&s->prev_id, i, f[5]);
        }
    }
    out->ev = s->ev.p;
    out->nev = s->ev.len / PF_SSE_EV_W;
    out->retry = s->retry.p;
    out->nretry = s->retry.len / PF_SSE_RETRY_W;
    out->arena = (const char *)s->arena.p;
    out->arena_len = s->data_start;
    out->type_arena = s->type_arena.p;
    out->type_arena_len = s->type_arena.len;
    out->id_arena = s->id_arena.p;
    out->id_arena_len = s->id_arena.len;
    out->has_nul = s->out_nul;
    out->same_type = s->same_type;
    out->same_id = s->same_id;
    out->retry_arena = s->retry_arena.p;
    out->retry_arena_len = s->retry_arena.len;
    return rc;
}

void pf_sse_state(const pf_sse *s, int which, const uint8_t **p, size_t *len) {
    static const uint8_t empty[1] = {0};
    const uint8_t *q = NULL;
    size_t n = 0;
    switch (which) {
    case PF_SSE_STATE_ID: q = s->committed.p; n = s->committed.len; break;
    case PF_SSE_STATE_ID_BUFFER: q = s->idbuf.p; n = s->idbuf.len; break;
    case PF_SSE_STATE_DATA: q = s->arena.p ? s->arena.p + s->data_start : NULL; n = s->arena.len - s->data_start; break;
    case PF_SSE_STATE_TYPE: q = s->type.p; n = s->type.len; break;
    case PF_SSE_STATE_LINE: q = s->line.p; n = s->line.len; break;
    default: break;
    }
    *p = q ? q : empty;
    *len = n;
}

int pf_sse_cr_held(const pf_sse *s) { return s->cr_held; }

int pf_sse_cut(const pf_sse *s, uint64_t *offset) {
    *offset = s->cut_offset;
    return s->cut;
}

void pf_sse_set_eof_dispatch(pf_sse *s, int eof_dispatch) { s->eof_dispatch = eof_dispatch; }

void pf_sse_for_scanner(pf_sse *s) { s->for_scanner = 1; }

void pf_sse_set_pickle(pf_sse *s, int on) { s->pickle = on; }
