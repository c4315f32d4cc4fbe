/* OpenAI Responses API streams as fantasy reads them: the C twin of
 * pyfantasy/_providers/openai_responses.py ResponsesStream
 * (docs/semantics.md#responses-streaming). The scanner runs with the Python spec's paths and flags and coalesces
 * as Python's Scanner does, so every chunk is the one the Python machine sees
 * (a merged run of deltas handled once, any other merged event replayed).
 * Per event, dispatched on its `type`: function calls per output index,
 * reasoning items with their metadata objects (summary parts and deltas),
 * text, citations, web search calls (their metadata built from the raw
 * `action`), and the terminal event's id, finish reason and usage (walked in
 * the raw `usage`). Integers past what C reproduces make the body fall back. */
#include <stdio.h>
#include "pf_dec_int.h"

enum {
    N_ROOT, N_TYPE, N_ERROR, N_ITEM_ID, N_OUT_INDEX, N_SUM_INDEX, N_DELTA, N_RESPONSE, N_R_ID, N_R_INC,
    N_R_REASON, N_R_USAGE, N_R_ERROR, N_ANNOTATION, N_CODE, N_MESSAGE, N_ITEM, N_I_TYPE, N_I_ID, N_I_CALL_ID,
    N_I_NAME, N_I_ARGS, N_I_ENC, N_I_ACTION, N_COUNT
};

/* STREAM_SPEC of openai_responses.py, same flags: coalescing must agree with Python's. */
static const pf_path PATHS[] = {
    {"type", PF_NODE_INERT}, {"error", 0}, {"item_id", PF_NODE_INERT}, {"output_index", PF_NODE_INERT},
    {"summary_index", PF_NODE_INERT}, {"delta", PF_NODE_COALESCE}, {"response.id", 0},
    {"response.incomplete_details.reason", 0}, {"response.usage", 0}, {"response.error", 0},
    {"annotation", 0}, {"code", 0}, {"message", 0}, {"item.type", 0}, {"item.id", 0}, {"item.call_id", 0},
    {"item.name", 0}, {"item.arguments", 0}, {"item.encrypted_content", 0}, {"item.action", 0},
};
static const char *const NODE_PATHS[N_COUNT] = {
    "", "type", "error", "item_id", "output_index", "summary_index", "delta", "response", "response.id",
    "response.incomplete_details", "response.incomplete_details.reason", "response.usage", "response.error",
    "annotation", "code", "message", "item", "item.type", "item.id", "item.call_id", "item.name",
    "item.arguments", "item.encrypted_content", "item.action",
};

typedef struct {
    int64_t index;      /* output_index */
    pf_bytes cid;
} resp_call;

typedef struct {
    pf_bytes iid;
    int meta;           /* its metadata object */
    size_t nsum;        /* len(summary) */
} resp_reasoning;

typedef struct {
    int32_t node[N_COUNT];
    uint64_t seen;              /* d->events after the last chunk: the next chunk's merged count */
    uint64_t offset;            /* stream offset of the event being handled (its errors name it) */
    resp_call *calls;
    size_t ncalls, ccap;
    resp_reasoning *rs;
    size_t nrs, rcap;
    int has_call, terminal, failed;
    int finish;
    int64_t usage[6];
    pf_bytes response_id;
    int64_t sources;
} resp_st;

#define NODE(v, parent, n) pf_view_child(v, parent, st->node[n])

static void resp_free(void *p) {
    resp_st *st = (resp_st *)p;
    if (!st) return;
    for (size_t k = 0; k < st->ncalls; k++) pf_bytes_free(&st->calls[k].cid);
    for (size_t k = 0; k < st->nrs; k++) pf_bytes_free(&st->rs[k].iid);
    free(st->calls);
    free(st->rs);
    pf_bytes_free(&st->response_id);
    free(st);
}

/* ---- lenient reads of records and walked values ------------------------------- */

/* values.lenient_str(v): 0, or PF_ERR_NOMEM; d->fallback is set when C cannot reproduce it */
static int rd_s(pf_dec *d, pf_val v, const uint8_t **p, size_t *n) {
    TRY(pf_raw_str(d, &v));
    if (pf_val_s(v, p, n)) d->fallback = 1;
    return 0;
}

/* values.lenient_int(v), likewise */
static int rd_i(pf_dec *d, pf_val v, int64_t *out) {
    TRY(pf_raw_str(d, &v));
    if (pf_val_i(v, out)) d->fallback = 1;
    return 0;
}

/* v if it is a string (isinstance(v, str)), else "" */
static int rd_str_only(pf_dec *d, pf_val v, const uint8_t **p, size_t *n) {
    *p = (const uint8_t *)"";
    *n = 0;
    if (v.kind != PF_K_STRING) return 0;
    TRY(pf_raw_str(d, &v));
    *p = v.p;
    *n = v.len;
    return 0;
}

#define S(v, p, n) do { TRY(rd_s(d, v, p, n)); if (d->fallback) return 0; } while (0)
#define I(v, out) do { TRY(rd_i(d, v, out)); if (d->fallback) return 0; } while (0)

/* ---- output -------------------------------------------------------------------- */

static int fail(pf_dec *d, resp_st *st, size_t kind, uint64_t offset, const uint8_t *msg, size_t n) {
    st->failed = 1;
    return pf_dec_error_n(d, kind, (size_t)offset, msg, n);
}

/* "<prefix>: <message>" + " (code: <code>)" when the code is not empty */
static int fail_text(pf_dec *d, resp_st *st, const char *prefix, pf_val message, pf_val code) {
    const uint8_t *m, *c;
    size_t mn, cn;
    S(message, &m, &mn);
    S(code, &c, &cn);
    pf_bytes t = {0};
    int rc = pf_bytes_append(&t, (const uint8_t *)prefix, strlen(prefix)) || pf_bytes_append(&t, m, mn);
    if (!rc && cn)
        rc = pf_bytes_append(&t, (const uint8_t *)" (code: ", 8) || pf_bytes_append(&t, c, cn)
             || pf_bytes_append(&t, (const uint8_t *)")", 1);
    if (!rc) rc = fail(d, st, PF_EK_PROVIDER_ERROR, st->offset, pf_bp(&t), t.len);
    pf_bytes_free(&t);
    return rc ? PF_ERR_NOMEM : 0;
}

/* ---- state lookups ------------------------------------------------------------------ */

static resp_call *find_call(resp_st *st, int64_t index) {
    for (size_t k = 0; k < st->ncalls; k++)
        if (st->calls[k].index == index) return &st->calls[k];
    return NULL;
}

static resp_reasoning *find_reasoning(resp_st *st, const uint8_t *iid, size_t n) {
    for (size_t k = 0; k < st->nrs; k++)
        if (st->rs[k].iid.len == n && (n == 0 || memcmp(st->rs[k].iid.p, iid, n) == 0)) return &st->rs[k];
    return NULL;
}

static int grow(void **arr, size_t *cap, size_t n, size_t size) {
    if (n < *cap) return 0;
    size_t c = *cap ? *cap * 2 : 4;
    void *p = realloc(*arr, c * size);
    if (!p) return PF_ERR_NOMEM;
    *arr = p;
    *cap = c;
    return 0;
}

/* ---- events (docs/semantics.md#responses-streaming) ------------------------------------ */

static int ev_created(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    const uint8_t *id;
    size_t idn;
    S(NODE(v, NODE(v, root, N_RESPONSE), N_R_ID), &id, &idn);
    return pf_set_bytes(&st->response_id, id, idn);
}

static int ev_item_added(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    pf_val item = NODE(v, root, N_ITEM);
    const uint8_t *typ, *id, *name, *enc;
    size_t typn, idn, namen, encn;
    S(NODE(v, item, N_I_TYPE), &typ, &typn);
    if (pf_eq(typ, typn, "function_call")) {
        int64_t index;
        S(NODE(v, item, N_I_CALL_ID), &id, &idn);
        S(NODE(v, item, N_I_NAME), &name, &namen);
        I(NODE(v, root, N_OUT_INDEX), &index);
        resp_call *c = find_call(st, index);
        if (!c) {
            TRY(grow((void **)&st->calls, &st->ccap, st->ncalls, sizeof(resp_call)));
            c = &st->calls[st->ncalls++];
            memset(c, 0, sizeof *c);
            c->index = index;
        }
        TRY(pf_set_bytes(&c->cid, id, idn));
        return pf_dec_part3(d, PF_PT_TOOL_INPUT_START, id, idn, E0, name, namen, 0);
    }
    if (pf_eq(typ, typn, "web_search_call")) {
        S(NODE(v, item, N_I_ID), &id, &idn);
        return pf_dec_part3(d, PF_PT_TOOL_INPUT_START | PF_PT_PROVIDER_EXECUTED, id, idn, E0,
                            (const uint8_t *)"web_search", 10, 0);
    }
    if (pf_eq(typ, typn, "message")) {
        S(NODE(v, item, N_I_ID), &id, &idn);
        return pf_dec_part3(d, PF_PT_TEXT_START, id, idn, E0, E0, 0);
    }
    if (pf_eq(typ, typn, "reasoning")) {
        S(NODE(v, item, N_I_ID), &id, &idn);
        S(NODE(v, item, N_I_ENC), &enc, &encn);
        int m = d->next_meta++;
        TRY(pf_dec_meta(d, m, PF_MO_RESPONSES_ITEM, id, idn, enc, encn, 0));
        resp_reasoning *r = find_reasoning(st, id, idn);
        if (!r) {
            TRY(grow((void **)&st->rs, &st->rcap, st->nrs, sizeof(resp_reasoning)));
            r = &st->rs[st->nrs++];
            memset(r, 0, sizeof *r);
            TRY(pf_set_bytes(&r->iid, id, idn));
        }
        r->meta = m;
        r->nsum = 0;
        return pf_dec_part3(d, PF_PT_REASONING_START, id, idn, E0, E0, (size_t)m + 1);
    }
    return 0;
}

/* _web_search_metadata(item_id, action): a new object, its action when the action has a type */
static int web_search_meta(pf_dec *d, const uint8_t *wid, size_t widn, pf_val action, int *obj) {
    static const char *const KEYS[] = {"type", "query", "sources"};
    static const char *const SRC_KEYS[] = {"type", "url"};
    int m = *obj = d->next_meta++;
    TRY(pf_dec_meta(d, m, PF_MO_OPENAI_WEB_SEARCH_NEW, wid, widn, E0, 0));
    pf_val f[3];
    pf_raw_fields(d, action, KEYS, 3, f);
    const uint8_t *typ, *query;
    size_t typn, queryn;
    S(f[0], &typ, &typn);
    if (!typn) return 0;
    S(f[1], &query, &queryn);
    TRY(pf_dec_meta(d, m, PF_MO_OPENAI_WEB_SEARCH_ACTION, typ, typn, query, queryn, 0));
    size_t i = 0;
    pf_val x, g[2];
    while (pf_raw_next(f[2], &i, &x)) {
        const uint8_t *styp, *url;
        size_t stypn, urln;
        pf_raw_fields(d, x, SRC_KEYS, 2, g);
        S(g[0], &styp, &stypn);
        S(g[1], &url, &urln);
        TRY(pf_dec_meta(d, m, PF_MO_OPENAI_WEB_SEARCH_SOURCE, styp, stypn, url, urln, 0));
    }
    return 0;
}

/* A done web search call: the provider-executed tool call and its result, which holds the
 * search's metadata (web_search_meta); a stream closes the call's input first (input_end). */
static int web_search_done(pf_dec *d, const uint8_t *id, size_t idn, pf_val action, int input_end) {
    int m;
    TRY(web_search_meta(d, id, idn, action, &m));
    if (d->fallback) return 0;
    if (input_end) TRY(pf_dec_part3(d, PF_PT_TOOL_INPUT_END, id, idn, E0, E0, 0));
    TRY(pf_dec_part3(d, PF_PT_TOOL_CALL | PF_PT_PROVIDER_EXECUTED, id, idn, E0,
                     (const uint8_t *)"web_search", 10, 0));
    return pf_dec_part3(d, PF_PT_TOOL_RESULT | PF_PT_PROVIDER_EXECUTED, id, idn, E0,
                        (const uint8_t *)"web_search", 10, (size_t)m + 1);
}

static int ev_item_done(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    pf_val item = NODE(v, root, N_ITEM);
    const uint8_t *typ, *id, *name, *args;
    size_t typn, idn, namen, argsn;
    S(NODE(v, item, N_I_TYPE), &typ, &typn);
    if (pf_eq(typ, typn, "function_call")) {
        int64_t index;
        I(NODE(v, root, N_OUT_INDEX), &index);
        resp_call *c = find_call(st, index);
        if (!c) return 0;
        S(NODE(v, item, N_I_CALL_ID), &id, &idn);
        S(NODE(v, item, N_I_NAME), &name, &namen);
        S(NODE(v, item, N_I_ARGS), &args, &argsn);
        pf_bytes_free(&c->cid);
        *c = st->calls[--st->ncalls];
        st->has_call = 1;
        TRY(pf_dec_part3(d, PF_PT_TOOL_INPUT_END, id, idn, E0, E0, 0));
        /* the input is the done item's arguments, not the concatenated deltas */
        return pf_dec_tool_call(d, id, idn, args, argsn, name, namen, 0);
    }
    if (pf_eq(typ, typn, "web_search_call")) {
        S(NODE(v, item, N_I_ID), &id, &idn);
        return web_search_done(d, id, idn, NODE(v, item, N_I_ACTION), 1);
    }
    if (pf_eq(typ, typn, "message")) {
        S(NODE(v, item, N_I_ID), &id, &idn);
        return pf_dec_part3(d, PF_PT_TEXT_END, id, idn, E0, E0, 0);
    }
    if (pf_eq(typ, typn, "reasoning")) {
        S(NODE(v, item, N_I_ID), &id, &idn);
        resp_reasoning *r = find_reasoning(st, id, idn);
        if (!r) return 0;
        int m = r->meta;
        pf_bytes_free(&r->iid);
        *r = st->rs[--st->nrs];
        return pf_dec_part3(d, PF_PT_REASONING_END, id, idn, E0, E0, (size_t)m + 1);
    }
    return 0;
}

static int ev_text_delta(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    const uint8_t *id, *t;
    size_t idn, tn;
    S(NODE(v, root, N_ITEM_ID), &id, &idn);
    S(NODE(v, root, N_DELTA), &t, &tn);
    return pf_dec_delta(d, PF_PT_TEXT_DELTA, id, idn, t, tn, 0);
}

static int ev_annotation(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    static const char *const KEYS[] = {"type", "url", "title", "filename"};
    pf_val a = NODE(v, root, N_ANNOTATION), f[4];
    if (!(a.kind == PF_K_RAW && a.p[0] == '{')) return 0;   /* read as a map, or not at all */
    pf_raw_fields(d, a, KEYS, 4, f);
    const uint8_t *typ, *url, *title;
    size_t typn, urln, titlen;
    if (f[0].kind != PF_K_STRING) return 0;
    TRY(rd_str_only(d, f[0], &typ, &typn));
    int url_cite = pf_eq(typ, typn, "url_citation");
    if (!url_cite && !pf_eq(typ, typn, "file_citation")) return 0;
    size_t ordinal = (size_t)st->sources++;
    if (url_cite) {
        TRY(rd_str_only(d, f[1], &url, &urln));
        TRY(rd_str_only(d, f[2], &title, &titlen));
        return pf_dec_part3(d, PF_PT_SOURCE, pf_bp(&st->response_id), st->response_id.len, url, urln, title, titlen,
                            ordinal);
    }
    TRY(rd_str_only(d, f[3], &title, &titlen));
    if (!titlen) { title = (const uint8_t *)"Document"; titlen = 8; }
    return pf_dec_part3(d, PF_PT_SOURCE | PF_PT_DOCUMENT, pf_bp(&st->response_id), st->response_id.len, E0, title,
                        titlen, ordinal);
}

static int ev_arguments_delta(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    int64_t index;
    const uint8_t *t;
    size_t tn;
    I(NODE(v, root, N_OUT_INDEX), &index);
    resp_call *c = find_call(st, index);
    if (!c) return 0;
    S(NODE(v, root, N_DELTA), &t, &tn);
    return pf_dec_delta(d, PF_PT_TOOL_INPUT_DELTA, pf_bp(&c->cid), c->cid.len, t, tn, 0);
}

static int ev_summary_part(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    const uint8_t *id;
    size_t idn;
    S(NODE(v, root, N_ITEM_ID), &id, &idn);
    resp_reasoning *r = find_reasoning(st, id, idn);
    if (!r) return 0;
    r->nsum++;
    TRY(pf_dec_meta(d, r->meta, PF_MO_RESPONSES_SUMMARY, E0, E0, (size_t)-1));
    /* each summary part opens with a "\n" delta */
    return pf_dec_part3(d, PF_PT_REASONING_DELTA, id, idn, (const uint8_t *)"\n", 1, E0, (size_t)r->meta + 1);
}

static int ev_summary_delta(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    const uint8_t *id, *t;
    size_t idn, tn;
    int64_t idx;
    S(NODE(v, root, N_ITEM_ID), &id, &idn);
    resp_reasoning *r = find_reasoning(st, id, idn);
    if (!r) return 0;
    I(NODE(v, root, N_SUM_INDEX), &idx);
    S(NODE(v, root, N_DELTA), &t, &tn);
    if (idx < 0) {
        char msg[96];
        int n = snprintf(msg, sizeof msg, "reasoning summary_index %lld is negative (fantasy panics here)",
                         (long long)idx);
        return fail(d, st, PF_EK_PROVIDER_RESPONSE, st->offset, (const uint8_t *)msg, (size_t)n);
    }
    if ((uint64_t)idx < r->nsum) TRY(pf_dec_meta(d, r->meta, PF_MO_RESPONSES_SUMMARY, t, tn, E0, (size_t)idx));
    return pf_dec_part3(d, PF_PT_REASONING_DELTA, id, idn, t, tn, E0, (size_t)r->meta + 1);
}

/* mapResponsesFinishReason */
static int map_finish(const uint8_t *p, size_t n, int has_call) {
    if (has_call) return PF_FR_TOOL_CALLS;
    if (!n) return PF_FR_STOP;
    if (pf_eq(p, n, "max_output_tokens") || pf_eq(p, n, "max_tokens")) return PF_FR_LENGTH;
    if (pf_eq(p, n, "content_filter")) return PF_FR_CONTENT_FILTER;
    return PF_FR_OTHER;
}

static int ev_completed(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    static const char *const KEYS[] = {"input_tokens", "output_tokens", "input_tokens_details",
                                       "output_tokens_details"};
    pf_val r = NODE(v, root, N_RESPONSE), u[4];
    const uint8_t *id, *reason;
    size_t idn, reasonn;
    int64_t inp = 0, out = 0, cached = 0, reasoning = 0;
    S(NODE(v, r, N_R_ID), &id, &idn);
    S(NODE(v, NODE(v, r, N_R_INC), N_R_REASON), &reason, &reasonn);
    pf_raw_fields(d, NODE(v, r, N_R_USAGE), KEYS, 4, u);   /* responsesUsage */
    I(u[0], &inp);
    I(u[1], &out);
    I(pf_raw_get(d, u[2], "cached_tokens"), &cached);
    I(pf_raw_get(d, u[3], "reasoning_tokens"), &reasoning);
    st->terminal = 1;
    TRY(pf_set_bytes(&st->response_id, id, idn));
    st->finish = map_finish(reason, reasonn, st->has_call);
    st->usage[0] = inp - cached > 0 ? inp - cached : 0;
    st->usage[1] = out;
    st->usage[2] = inp + out;
    st->usage[3] = reasoning;
    st->usage[4] = 0;
    st->usage[5] = cached;
    return 0;
}

static int ev_failed(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    static const char *const KEYS[] = {"message", "code"};
    pf_val f[2];
    pf_raw_fields(d, NODE(v, NODE(v, root, N_RESPONSE), N_R_ERROR), KEYS, 2, f);
    return fail_text(d, st, "response failed: ", f[0], f[1]);
}

static int ev_error(pf_dec *d, resp_st *st, const pf_view *v, pf_val root) {
    return fail_text(d, st, "response error: ", NODE(v, root, N_MESSAGE), NODE(v, root, N_CODE));
}

typedef int (*resp_handler)(pf_dec *, resp_st *, const pf_view *, pf_val);

static const struct {
    const char *type;
    resp_handler h;
    int delta;          /* appends `delta`: a merged chunk is handled once */
} HANDLERS[] = {
    {"response.created", ev_created, 0},
    {"response.output_item.added", ev_item_added, 0},
    {"response.output_item.done", ev_item_done, 0},
    {"response.output_text.delta", ev_text_delta, 1},
    {"response.output_text.annotation.added", ev_annotation, 0},
    {"response.function_call_arguments.delta", ev_arguments_delta, 1},
    {"response.reasoning_summary_part.added", ev_summary_part, 0},
    {"response.reasoning_summary_text.delta", ev_summary_delta, 1},
    {"response.completed", ev_completed, 0},
    {"response.incomplete", ev_completed, 0},
    {"response.failed", ev_failed, 0},
    {"error", ev_error, 0},
};

static int resp_chunk(pf_dec *d, const pf_view *v, const uint8_t *name, size_t name_len, uint64_t offset) {
    resp_st *st = (resp_st *)d->st;
    uint64_t merged = d->events - st->seen;   /* the feed loop counted this chunk's events */
    st->seen = d->events;
    st->offset = offset;
    if (st->failed) return 0;
    pf_val root = pf_view_val(v, 0);
    if (root.kind != PF_K_OBJECT) return 0;   /* not an object: an event without a type */
    pf_val err = NODE(v, root, N_ERROR);
    if (err.kind >= 0) {   /* openai-go's reader: any top-level `error` key stops the stream */
        st->failed = 1;
        TRY(pf_dec_error_value(d, PF_EK_PROVIDER_ERROR, err));
        d->parts.p[d->parts.len - PF_PART_W + 2] = (size_t)offset;   /* at this event */
        return 0;
    }
    if (pf_starts(name, name_len, "thread.")) return 0;
    pf_val typ = NODE(v, root, N_TYPE);
    if (typ.kind != PF_K_STRING) return 0;   /* no handler is named by a number */
    for (size_t k = 0; k < sizeof HANDLERS / sizeof HANDLERS[0]; k++) {
        if (!pf_eq(typ.p, typ.len, HANDLERS[k].type)) continue;
        uint64_t reps = HANDLERS[k].delta ? 1 : merged;
        for (uint64_t j = 0; j < reps && !st->failed && !d->fallback; j++)
            TRY(HANDLERS[k].h(d, st, v, root));
        break;
    }
    return 0;
}

static int resp_done(pf_dec *d) {
    resp_st *st = (resp_st *)d->st;
    if (st->failed) return 0;
    if (!st->terminal) {
        st->failed = 1;
        return pf_dec_error(d, PF_EK_TRUNCATED, (size_t)-1, "stream transport error: unexpected EOF");
    }
    pf_dec_out *o = d->out;
    memcpy(o->fin_usage, st->usage, sizeof st->usage);
    o->fin_accepted = o->fin_rejected = 0;
    o->fin_extras_off = o->fin_extras_len = 0;
    size_t io;
    TRY(pf_dec_put(d, pf_bp(&st->response_id), st->response_id.len, &io));
    return pf_dec_part(d, PF_PT_FINISH, (size_t)st->finish, PF_FIN_USAGE, io, st->response_id.len, 0, 0, 0);
}

static void resp_reset(void *p) {
    resp_st *st = (resp_st *)p;
    for (size_t k = 0; k < st->ncalls; k++) pf_bytes_free(&st->calls[k].cid);
    for (size_t k = 0; k < st->nrs; k++) pf_bytes_free(&st->rs[k].iid);
    resp_st keep = *st;
    memset(st, 0, sizeof *st);
    memcpy(st->node, keep.node, sizeof st->node);
    st->calls = keep.calls;
    st->ccap = keep.ccap;
    st->rs = keep.rs;
    st->rcap = keep.rcap;
    st->response_id = keep.response_id;
    st->response_id.len = 0;
}

static const pf_dec_vt RESP_VT = {resp_chunk, resp_done, resp_free, resp_reset};

/* The spec and its node ids, built once per process. */
static pf_jspec *resp_spec(int32_t *node) {
    static pf_jspec *spec;
    static int32_t nodes[N_COUNT];
    return pf_dec_spec(&spec, nodes, PATHS, sizeof PATHS / sizeof PATHS[0], NODE_PATHS, N_COUNT, node);
}

pf_dec *pf_responses_new(void) {
    resp_st *st = (resp_st *)calloc(1, sizeof(resp_st));
    if (!st) return NULL;
    st->finish = PF_FR_UNKNOWN;
    pf_jspec *spec = resp_spec(st->node);
    return pf_dec_make(&RESP_VT, spec, PF_SCAN_SSE, "[DONE]", 1, st);
}

/* ---- non-streaming bodies (docs/semantics.md#responses-non-streaming) ---------------------
 * The C twin of openai_responses.decode_generate: the output items in order (message text
 * and url citations, function calls, reasoning items with their metadata), the incomplete
 * reason, the usage and the response id. An error message, file citations and web search
 * calls go to Python. */

enum { RD_ROOT, RD_ID, RD_ERROR, RD_INC, RD_USAGE, RD_OUTPUT, RD_COUNT };
static const pf_path RD_PATHS[] = {{"id", 0}, {"error", 0}, {"incomplete_details", 0}, {"usage", 0}, {"output", 0}};
static const char *const RD_NODES[RD_COUNT] = {"", "id", "error", "incomplete_details", "usage", "output"};

typedef struct {
    resp_st r;             /* first: resp_free and resp_reset work on it */
    int32_t dn[RD_COUNT];
    pf_bytes text, item;
} rdoc_st;

enum { RI_TYPE, RI_ID, RI_CALL_ID, RI_NAME, RI_ARGS, RI_ENC, RI_SUMMARY, RI_CONTENT, RI_ACTION, RI_COUNT };
static const char *const RI_KEYS[RI_COUNT] = {"type", "id", "call_id", "name", "arguments", "encrypted_content",
                                              "summary", "content", "action"};

/* lenient_object of a walked value: itself (as raw text), or none */
static pf_val rdoc_obj(pf_val v) {
    pf_val none = {-1, NULL, 0, -1};
    if (!pf_val_is_obj(v)) return none;
    v.rec = -1;
    return v;
}

static int rdoc_message(pf_dec *d, pf_val content, const uint8_t *rid, size_t ridn, int64_t *sources) {
    static const char *const P_KEYS[3] = {"type", "text", "annotations"};
    static const char *const A_KEYS[3] = {"type", "url", "title"};
    if (!pf_val_is_arr(content)) return 0;
    size_t i = 0;
    pf_val part, f[3], g[3];
    content.rec = -1;
    while (pf_raw_next(content, &i, &part)) {
        part = rdoc_obj(part);
        if (part.kind < 0) continue;
        const uint8_t *t, *text;
        size_t tn, textn;
        pf_raw_fields(d, part, P_KEYS, 3, f);
        S(f[0], &t, &tn);
        if (!pf_eq(t, tn, "output_text")) continue;
        S(f[1], &text, &textn);
        TRY(pf_dec_part3(d, PF_PT_TEXT_START, E0, E0, E0, 0));
        TRY(pf_dec_part3(d, PF_PT_TEXT_DELTA, E0, text, textn, E0, 0));
        TRY(pf_dec_part3(d, PF_PT_TEXT_END, E0, E0, E0, 0));
        if (!pf_val_is_arr(f[2])) continue;
        size_t j = 0;
        pf_val a, anns = f[2];
        anns.rec = -1;
        while (pf_raw_next(anns, &j, &a)) {
            a = rdoc_obj(a);
            if (a.kind < 0) continue;
            const uint8_t *at, *url, *title;
            size_t atn, urln, titlen;
            pf_raw_fields(d, a, A_KEYS, 3, g);
            S(g[0], &at, &atn);
            if (pf_eq(at, atn, "file_citation")) FALLBACK(d);   /* a document source: Python */
            if (!pf_eq(at, atn, "url_citation")) continue;
            S(g[1], &url, &urln);
            S(g[2], &title, &titlen);
            TRY(pf_dec_part3(d, PF_PT_SOURCE, rid, ridn, url, urln, title, titlen, (size_t)(*sources)++));
        }
    }
    return 0;
}

static int rdoc_reasoning(pf_dec *d, rdoc_st *s, pf_val *f) {
    const uint8_t *enc, *iid;
    size_t encn, iidn;
    int summary = pf_val_is_arr(f[RI_SUMMARY]);
    size_t nsum = 0, i = 0;
    pf_val x, list = f[RI_SUMMARY];
    list.rec = -1;
    if (summary) while (pf_raw_next(list, &i, &x)) nsum++;
    S(f[RI_ENC], &enc, &encn);
    if (!nsum && !encn) return 0;
    S(f[RI_ID], &iid, &iidn);
    TRY(pf_set_bytes(&s->item, iid, iidn));
    int obj;
    TRY(pf_dec_new_meta(d, PF_MO_RESPONSES_ITEM, pf_bp(&s->item), s->item.len, enc, encn, &obj));
    s->text.len = 0;
    size_t k = 0;
    for (i = 0; nsum && pf_raw_next(list, &i, &x); k++) {
        const uint8_t *t;
        size_t tn;
        pf_val o = rdoc_obj(x);
        S(o.kind >= 0 ? pf_raw_get(d, o, "text") : o, &t, &tn);
        if (k) TRY(pf_bytes_push(&s->text, '\n'));
        TRY(pf_bytes_append(&s->text, t, tn));
        TRY(pf_dec_meta(d, obj, PF_MO_RESPONSES_SUMMARY, t, tn, E0, k));
    }
    if (!nsum) TRY(pf_dec_meta(d, obj, PF_MO_RESPONSES_SUMMARY, E0, E0, 0));
    TRY(pf_dec_part3(d, PF_PT_REASONING_START, (const uint8_t *)"0", 1, pf_bp(&s->text), s->text.len, E0,
                     (size_t)obj + 1));
    return pf_dec_part3(d, PF_PT_REASONING_END, (const uint8_t *)"0", 1, E0, E0, 0);
}

static int rdoc_chunk(pf_dec *d, const pf_view *v, const uint8_t *name, size_t name_len, uint64_t offset) {
    rdoc_st *s = (rdoc_st *)d->st;
    const int32_t *dn = s->dn;
    (void)name, (void)name_len, (void)offset;
    pf_val root = pf_view_val(v, 0);
    if (root.kind != PF_K_OBJECT) FALLBACK(d);
    const uint8_t *p, *rid;
    size_t n, ridn;
    pf_val err = rdoc_obj(pf_view_child(v, root, dn[RD_ERROR]));
    if (err.kind >= 0) {
        S(pf_raw_get(d, err, "message"), &p, &n);
        if (n) FALLBACK(d);   /* the provider's error: Python words it */
    }
    S(pf_view_child(v, root, dn[RD_ID]), &rid, &ridn);
    TRY(pf_set_bytes(&s->r.response_id, rid, ridn));
    rid = pf_bp(&s->r.response_id);
    int has_call = 0;
    int64_t sources = 0;
    pf_val output = pf_view_child(v, root, dn[RD_OUTPUT]), item, f[RI_COUNT];
    if (pf_val_is_arr(output)) {
        size_t i = 0;
        output.rec = -1;
        while (pf_raw_next(output, &i, &item)) {
            item = rdoc_obj(item);
            if (item.kind < 0) continue;
            pf_raw_fields(d, item, RI_KEYS, RI_COUNT, f);
            const uint8_t *t;
            size_t tn;
            S(f[RI_TYPE], &t, &tn);
            if (pf_eq(t, tn, "message")) {
                TRY(rdoc_message(d, f[RI_CONTENT], rid, ridn, &sources));
            } else if (pf_eq(t, tn, "function_call")) {
                const uint8_t *cid, *nm, *args;
                size_t cidn, nmn, argsn;
                has_call = 1;
                S(f[RI_CALL_ID], &cid, &cidn);
                TRY(pf_set_bytes(&s->item, cid, cidn));
                S(f[RI_NAME], &nm, &nmn);
                TRY(pf_set_bytes(&s->text, nm, nmn));
                S(f[RI_ARGS], &args, &argsn);
                TRY(pf_dec_tool_call(d, pf_bp(&s->item), s->item.len, args, argsn, pf_bp(&s->text), s->text.len, 0));
            } else if (pf_eq(t, tn, "web_search_call")) {   /* the stream's done item, as one */
                const uint8_t *wid;
                size_t widn;
                S(f[RI_ID], &wid, &widn);
                TRY(pf_set_bytes(&s->item, wid, widn));   /* kept past the scratch buffers web_search_meta uses */
                TRY(web_search_done(d, pf_bp(&s->item), s->item.len, f[RI_ACTION], 0));
            } else if (pf_eq(t, tn, "reasoning")) {
                TRY(rdoc_reasoning(d, s, f));
            }
            if (d->fallback) return 0;
        }
    }
    const uint8_t *reason;
    size_t reasonn;
    pf_val inc = rdoc_obj(pf_view_child(v, root, dn[RD_INC]));
    pf_val none = {-1, NULL, 0, -1};
    S(inc.kind >= 0 ? pf_raw_get(d, inc, "reason") : none, &reason, &reasonn);
    static const char *const KEYS[] = {"input_tokens", "output_tokens", "input_tokens_details",
                                       "output_tokens_details"};
    pf_val u = rdoc_obj(pf_view_child(v, root, dn[RD_USAGE])), uf[4] = {none, none, none, none};
    int64_t inp = 0, out = 0, cached = 0, reasoning = 0;
    if (u.kind >= 0) pf_raw_fields(d, u, KEYS, 4, uf);   /* responsesUsage */
    I(uf[0], &inp);
    I(uf[1], &out);
    I(pf_raw_get(d, uf[2], "cached_tokens"), &cached);
    I(pf_raw_get(d, uf[3], "reasoning_tokens"), &reasoning);
    int64_t total;
    if (__builtin_add_overflow(inp, out, &total)) FALLBACK(d);
    int64_t *o = d->out->fin_usage;
    o[0] = inp - cached > 0 ? inp - cached : 0; o[1] = out; o[2] = total; o[3] = reasoning; o[4] = 0; o[5] = cached;
    size_t io;
    TRY(pf_dec_put(d, pf_bp(&s->r.response_id), s->r.response_id.len, &io));
    return pf_dec_part(d, PF_PT_FINISH, (size_t)map_finish(reason, reasonn, has_call), PF_FIN_USAGE, io,
                       s->r.response_id.len, 0, 0, 0);
}

static void rdoc_free(void *p) {
    rdoc_st *s = (rdoc_st *)p;
    if (!s) return;
    pf_bytes_free(&s->text);
    pf_bytes_free(&s->item);
    resp_free(&s->r);   /* frees s itself (its first member) */
}

static const pf_dec_vt RDOC_VT = {rdoc_chunk, pf_dec_document_done, rdoc_free, resp_reset};   /* its state comes first */

pf_dec *pf_responses_document_new(void) {
    rdoc_st *s = (rdoc_st *)calloc(1, sizeof(rdoc_st));
    if (!s) return NULL;
    static pf_jspec *spec_cache;
    static int32_t node_cache[RD_COUNT];
    pf_jspec *spec = pf_dec_spec(&spec_cache, node_cache, RD_PATHS, sizeof RD_PATHS / sizeof RD_PATHS[0],
                                 RD_NODES, RD_COUNT, s->dn);
    return pf_dec_make_document(&RDOC_VT, spec, s);
}
