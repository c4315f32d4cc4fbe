/* Anthropic Messages streams (direct and Vertex) as fantasy reads them: the
 * C twin of pyfantasy/_providers/anthropic.py AnthropicStream and its
 * SSEScanner dispatch (docs/semantics.md#anthropic-streaming and docs/semantics.md#sse-readers). Only the SDK's
 * event names are read (ping and unknown names skipped, malformed or not);
 * Bedrock bodies are AWS event streams: pf_dec reads their SSE text. The
 * accumulator keeps one block per index (type, id, name, tool input,
 * signature, redacted data, web search results); parts are emitted per
 * start/delta/stop; at the end: finish with usage, or the truncated error.
 * Shapes this file does not reproduce exactly (an error event whose data is
 * not an error object, tool input that is not Python's compact JSON spelling,
 * integers past 18 digits) make the body fall back to the Python machine. */
#include <stdio.h>
#include "pf_dec_int.h"

enum {
    N_ROOT, N_TYPE, N_INDEX, N_MESSAGE, N_M_CONTENT, N_M_STOP, N_M_USAGE, N_CB, N_DELTA, N_D_TYPE, N_D_TEXT,
    N_D_THINKING, N_D_SIG, N_D_PJ, N_D_STOP, N_USAGE, N_ERROR, N_COUNT
};

/* The delta strings are COALESCE only for the scanner's prefix template (this decoder does not
 * merge chunks): a text delta's event is parsed from its string on. */
static const pf_path PATHS[] = {
    {"type", 0}, {"index", 0}, {"message.content", 0}, {"message.stop_reason", 0}, {"message.usage", 0},
    {"content_block", 0}, {"delta.type", 0}, {"delta.text", PF_NODE_COALESCE},
    {"delta.thinking", PF_NODE_COALESCE}, {"delta.signature", 0}, {"delta.partial_json", PF_NODE_COALESCE},
    {"delta.stop_reason", 0}, {"usage", 0}, {"error", 0},
};
static const char *const NODE_PATHS[N_COUNT] = {
    "", "type", "index", "message", "message.content", "message.stop_reason", "message.usage", "content_block",
    "delta", "delta.type", "delta.text", "delta.thinking", "delta.signature", "delta.partial_json",
    "delta.stop_reason", "usage", "error",
};

/* Block types of the accumulator. */
enum { BT_OTHER, BT_TEXT, BT_THINKING, BT_REDACTED, BT_TOOL_USE, BT_SERVER_TOOL_USE, BT_WEB_SEARCH };

typedef struct {
    int type;
    pf_bytes id, name, input, signature, data;
    pf_bytes raw;   /* web_search_tool_result: the block's JSON text */
} an_block;

enum { U_INPUT, U_OUTPUT, U_CACHE_CREATION, U_CACHE_READ };

typedef struct {
    int32_t node[N_COUNT];
    an_block *blocks;
    size_t nblocks, cap;
    int64_t usage[4];
    pf_bytes stop_reason;
    int stopped;   /* message_stop seen */
    int failed;
} an_st;


static void block_free(an_block *b) {
    pf_bytes_free(&b->id);
    pf_bytes_free(&b->name);
    pf_bytes_free(&b->input);
    pf_bytes_free(&b->signature);
    pf_bytes_free(&b->data);
    pf_bytes_free(&b->raw);
}

static void clear_blocks(an_st *st) {
    for (size_t k = 0; k < st->nblocks; k++) block_free(&st->blocks[k]);
    st->nblocks = 0;
}

static void an_free(void *p) {
    an_st *st = (an_st *)p;
    if (!st) return;
    clear_blocks(st);
    free(st->blocks);
    pf_bytes_free(&st->stop_reason);
    free(st);
}

/* ---- lenient reads of walked values (lenient_str, lenient_int) ----------------------- */

/* lenient_str(v) of a walked or record value; 1: beyond C (fall back). */
static int walked_s(pf_dec *d, pf_val v, const uint8_t **p, size_t *n, int *fb) {
    if (pf_raw_str(d, &v)) return PF_ERR_NOMEM;
    if (pf_val_s(v, p, n)) *fb = 1;
    return 0;
}

static int walked_i(pf_dec *d, pf_val v, int64_t *out, int *fb) {
    if (pf_raw_str(d, &v)) return PF_ERR_NOMEM;
    if (pf_val_i(v, out)) *fb = 1;
    return 0;
}

/* ---- the accumulator's blocks --------------------------------------------------------- */

enum { B_TYPE, B_ID, B_NAME, B_INPUT, B_SIGNATURE, B_DATA, B_COUNT };
static const char *const B_KEYS[B_COUNT] = {"type", "id", "name", "input", "signature", "data"};

static int block_type(const uint8_t *p, size_t n) {
    if (pf_eq(p, n, "text")) return BT_TEXT;
    if (pf_eq(p, n, "thinking")) return BT_THINKING;
    if (pf_eq(p, n, "redacted_thinking")) return BT_REDACTED;
    if (pf_eq(p, n, "tool_use")) return BT_TOOL_USE;
    if (pf_eq(p, n, "server_tool_use")) return BT_SERVER_TOOL_USE;
    if (pf_eq(p, n, "web_search_tool_result")) return BT_WEB_SEARCH;
    return BT_OTHER;
}

/* _Block(cb): cb a content block value (anything but an object reads as {}). doc: a block of a
 * non-streaming body, whose server tool input is Go's re-encoding of it (go_reencode), not the
 * input as written. */
static int make_block(pf_dec *d, pf_val cb, an_block *b, int doc) {
    memset(b, 0, sizeof *b);
    pf_val f[B_COUNT];
    pf_val obj = cb;
    if (obj.kind == PF_K_RAW) obj.rec = -1;
    pf_raw_fields(d, obj, B_KEYS, B_COUNT, f);
    const uint8_t *s;
    size_t sn;
    int fb = 0;
    TRY(walked_s(d, f[B_TYPE], &s, &sn, &fb));
    b->type = block_type(s, sn);
    static const int dst[] = {B_ID, B_NAME, B_SIGNATURE, B_DATA};
    pf_bytes *to[] = {&b->id, &b->name, &b->signature, &b->data};
    for (int k = 0; k < 4; k++) {
        TRY(walked_s(d, f[dst[k]], &s, &sn, &fb));
        TRY(pf_bytes_append(to[k], s, sn));
    }
    pf_val in = f[B_INPUT];
    if (doc && b->type == BT_SERVER_TOOL_USE) {
        if (in.kind < 0) {   /* no input: Go's null */
            TRY(pf_bytes_append(&b->input, (const uint8_t *)"null", 4));
        } else {
            size_t i = 0;
            int rc = pf_go_marshal(in.p, in.len, &i, &b->input, &d->tmp[d->tmp_next++ & 15], 0);
            if (rc == PF_ERR_NOMEM) return PF_ERR_NOMEM;
            if (rc) fb = 1;
        }
    } else if (in.kind >= 0) {
        size_t e;
        if (!pf_canon_value(in.p, in.len, 0, &e, 0) || e != in.len) fb = 1;
        else TRY(pf_bytes_append(&b->input, in.p, in.len));
    }
    if (b->type == BT_WEB_SEARCH) TRY(pf_bytes_append(&b->raw, cb.p, cb.len));
    if (fb) d->fallback = 1;
    return 0;
}

static int push_block(an_st *st, an_block *b) {
    if (st->nblocks == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 8;
        an_block *nb = (an_block *)realloc(st->blocks, cap * sizeof(an_block));
        if (!nb) return PF_ERR_NOMEM;
        st->blocks = nb;
        st->cap = cap;
    }
    st->blocks[st->nblocks++] = *b;
    return 0;
}

/* ---- parts ---------------------------------------------------------------------------- */

static int fail(pf_dec *d, an_st *st, size_t kind, uint64_t offset, const uint8_t *msg, size_t n) {
    st->failed = 1;
    return pf_dec_error_n(d, kind, (size_t)offset, msg, n);
}

/* A new AnthropicReasoningMetadata(signature, redacted_data): its object number + 1. */
static int reasoning_meta(pf_dec *d, const uint8_t *sig, size_t sign, const uint8_t *red, size_t redn,
                          size_t *meta) {
    int obj;
    TRY(pf_dec_new_meta(d, PF_MO_ANTHROPIC_NEW, sig, sign, red, redn, &obj));
    *meta = (size_t)obj + 1;
    return 0;
}

/* The sources and the tool result of a web_search_tool_result block (_web_search). */
static int web_search_parts(pf_dec *d, const an_block *b) {
    pf_val block = {PF_K_RAW, pf_bp(&b->raw), b->raw.len, -1};
    pf_val content = pf_raw_get(d, block, "content"), tu = pf_raw_get(d, block, "tool_use_id");
    const uint8_t *tid;
    size_t tidn;
    int fb = 0;
    TRY(walked_s(d, tu, &tid, &tidn, &fb));
    pf_bytes tool_use_id = {0};
    if (pf_bytes_append(&tool_use_id, tid, tidn)) return PF_ERR_NOMEM;
    int obj = -1, rc = 0;
    size_t i = 0;
    pf_val el;
    static const char *const R_KEYS[4] = {"url", "title", "encrypted_content", "page_age"};
    if (pf_val_is_arr(content) && pf_raw_next(content, &i, &el)) {
        i = 0;
        while (!rc && pf_raw_next(content, &i, &el)) {
            pf_val f[4];
            const uint8_t *s[4];
            size_t sn[4];
            pf_raw_fields(d, el, R_KEYS, 4, f);
            /* the four strings stay valid (the chunk's bytes, or 4 of the 16 scratch buffers)
             * while the parts below are written to the output arena */
            for (int k = 0; k < 4 && !rc; k++) rc = walked_s(d, f[k], &s[k], &sn[k], &fb);
            if (!rc && obj < 0) rc = pf_dec_new_meta(d, PF_MO_WEB_SEARCH_NEW, E0, E0, &obj);
            size_t off, o;
            if (!rc && pf_dec_put(d, s[0], sn[0], &off)) rc = PF_ERR_NOMEM;
            for (int k = 1; k < 4 && !rc; k++)
                if (pf_dec_put(d, s[k], sn[k], &o)) rc = PF_ERR_NOMEM;
            if (!rc) rc = pf_dec_part(d, PF_PT_WEB_SEARCH_RESULT, (size_t)obj, off, sn[0], sn[1], sn[2], sn[3], 0);
        }
    } else if (pf_val_is_obj(content)) {
        const uint8_t *ec;
        size_t ecn;
        rc = walked_s(d, pf_raw_get(d, content, "error_code"), &ec, &ecn, &fb);
        if (!rc && ecn) rc = pf_dec_new_meta(d, PF_MO_WEB_SEARCH_NEW, ec, ecn, E0, &obj);
    }
    if (!rc) rc = pf_dec_part3(d, PF_PT_TOOL_RESULT, pf_bp(&tool_use_id), tool_use_id.len, E0,
                               (const uint8_t *)"web_search", 10, (size_t)(obj + 1));
    pf_bytes_free(&tool_use_id);
    if (fb) d->fallback = 1;
    return rc;
}

/* ---- events ----------------------------------------------------------------------------- */

static an_block *block_at(an_st *st, int64_t idx) {
    return idx >= 0 && (uint64_t)idx < st->nblocks ? &st->blocks[idx] : NULL;
}

static int start(pf_dec *d, an_st *st, const pf_view *v, pf_val root, const uint8_t *bid, size_t bidn,
                 int64_t idx) {
    an_block b;
    int rc = make_block(d, pf_view_child(v, root, st->node[N_CB]), &b, 0);
    if (rc || d->fallback) { block_free(&b); return rc; }
    int type = b.type;
    size_t meta = 0;
    if (type == BT_REDACTED && b.data.len) rc = reasoning_meta(d, E0, b.data.p, b.data.len, &meta);
    if (!rc) {
        switch (type) {
        case BT_TEXT: rc = pf_dec_part3(d, PF_PT_TEXT_START, bid, bidn, E0, E0, 0); break;
        case BT_THINKING: case BT_REDACTED:
            rc = pf_dec_part3(d, PF_PT_REASONING_START, bid, bidn, E0, E0, meta); break;
        case BT_TOOL_USE: case BT_SERVER_TOOL_USE:
            rc = pf_dec_part3(d, PF_PT_TOOL_INPUT_START, pf_bp(&b.id), b.id.len, E0, pf_bp(&b.name), b.name.len,
                              type == BT_SERVER_TOOL_USE);
            break;
        default: break;
        }
    }
    if (!rc && idx >= 0 && (uint64_t)idx == st->nblocks) {
        rc = push_block(st, &b);
        if (!rc) return 0;
    }
    block_free(&b);
    return rc;
}

static int delta(pf_dec *d, an_st *st, const pf_view *v, pf_val root, const uint8_t *bid, size_t bidn,
                 int64_t idx) {
    pf_val dd = pf_view_child(v, root, st->node[N_DELTA]);
    pf_val t = pf_view_child(v, dd, st->node[N_D_TYPE]);
    if (t.kind != PF_K_STRING) return 0;
    const uint8_t *s;
    size_t sn;
    if (pf_eq(t.p, t.len, "text_delta") || pf_eq(t.p, t.len, "thinking_delta")) {
        int text = t.len == 10;
        if (pf_val_s(pf_view_child(v, dd, st->node[text ? N_D_TEXT : N_D_THINKING]), &s, &sn)) FALLBACK(d);
        return pf_dec_delta(d, text ? PF_PT_TEXT_DELTA : PF_PT_REASONING_DELTA, bid, bidn, s, sn, 0);
    }
    an_block *b = block_at(st, idx);
    if (pf_eq(t.p, t.len, "signature_delta")) {
        if (pf_val_s(pf_view_child(v, dd, st->node[N_D_SIG]), &s, &sn)) FALLBACK(d);
        if (b) TRY(pf_bytes_append(&b->signature, s, sn));
        size_t meta;
        TRY(reasoning_meta(d, s, sn, E0, &meta));
        return pf_dec_part3(d, PF_PT_REASONING_DELTA, bid, bidn, E0, E0, meta);
    }
    if (pf_eq(t.p, t.len, "input_json_delta")) {
        if (!b) return 0;
        if (pf_val_s(pf_view_child(v, dd, st->node[N_D_PJ]), &s, &sn)) FALLBACK(d);
        if (sn) {
            if (b->input.len == 2 && memcmp(b->input.p, "{}", 2) == 0) b->input.len = 0;
            TRY(pf_bytes_append(&b->input, s, sn));
        }
        return pf_dec_delta(d, PF_PT_TOOL_INPUT_DELTA, pf_bp(&b->id), b->id.len, s, sn, 0);
    }
    return 0;
}

static int stop(pf_dec *d, an_st *st, const uint8_t *bid, size_t bidn, int64_t idx) {
    an_block *b = block_at(st, idx);
    if (!b) return 0;
    size_t meta = 0;
    switch (b->type) {
    case BT_TEXT: return pf_dec_part3(d, PF_PT_TEXT_END, bid, bidn, E0, E0, 0);
    case BT_THINKING:
        if (b->signature.len) TRY(reasoning_meta(d, b->signature.p, b->signature.len, E0, &meta));
        return pf_dec_part3(d, PF_PT_REASONING_END, bid, bidn, E0, E0, meta);
    case BT_REDACTED:
        if (b->data.len) TRY(reasoning_meta(d, E0, b->data.p, b->data.len, &meta));
        return pf_dec_part3(d, PF_PT_REASONING_END, bid, bidn, E0, E0, meta);
    case BT_TOOL_USE: case BT_SERVER_TOOL_USE: {
        int pe = b->type == BT_SERVER_TOOL_USE;
        TRY(pf_dec_part3(d, PF_PT_TOOL_INPUT_END, pf_bp(&b->id), b->id.len, E0, E0, (size_t)pe));
        if (pe)
            return pf_dec_part3(d, PF_PT_PROVIDER_TOOL_CALL, pf_bp(&b->id), b->id.len,
                                pf_bp(&b->input), b->input.len, pf_bp(&b->name), b->name.len, 0);
        return pf_dec_tool_call(d, pf_bp(&b->id), b->id.len, pf_bp(&b->input), b->input.len,
                                pf_bp(&b->name), b->name.len, 0);
    }
    case BT_WEB_SEARCH: return web_search_parts(d, b);
    default: return 0;
    }
}

static int message_start(pf_dec *d, an_st *st, const pf_view *v, pf_val root) {
    pf_val m = pf_view_child(v, root, st->node[N_MESSAGE]);
    pf_val content = pf_view_child(v, m, st->node[N_M_CONTENT]);
    clear_blocks(st);
    size_t i = 0;
    pf_val el;
    while (pf_raw_next(content, &i, &el)) {
        an_block b;
        int rc = make_block(d, el, &b, 0);
        if (!rc && !d->fallback) rc = push_block(st, &b);
        else block_free(&b);
        if (rc || d->fallback) return rc;
    }
    static const char *const U_KEYS[4] = {"input_tokens", "output_tokens", "cache_creation_input_tokens",
                                          "cache_read_input_tokens"};
    pf_val u[4];
    int fb = 0;
    pf_raw_fields(d, pf_view_child(v, m, st->node[N_M_USAGE]), U_KEYS, 4, u);
    for (int k = 0; k < 4; k++) TRY(walked_i(d, u[k], &st->usage[k], &fb));
    const uint8_t *s;
    size_t sn;
    if (pf_val_s(pf_view_child(v, m, st->node[N_M_STOP]), &s, &sn)) fb = 1;
    if (fb) FALLBACK(d);
    return pf_set_bytes(&st->stop_reason, s, sn);
}

static int message_delta(pf_dec *d, an_st *st, const pf_view *v, pf_val root) {
    const uint8_t *s;
    size_t sn;
    if (pf_val_s(pf_view_child(v, pf_view_child(v, root, st->node[N_DELTA]), st->node[N_D_STOP]), &s, &sn))
        FALLBACK(d);
    TRY(pf_set_bytes(&st->stop_reason, s, sn));
    static const char *const U_KEYS[4] = {"input_tokens", "output_tokens", "cache_creation_input_tokens",
                                          "cache_read_input_tokens"};
    pf_val u[4];
    int fb = 0;
    pf_raw_fields(d, pf_view_child(v, root, st->node[N_USAGE]), U_KEYS, 4, u);
    for (int k = 0; k < 4; k++) {
        if (k != U_OUTPUT && (u[k].kind < 0 || u[k].kind == PF_K_NULL)) continue;
        TRY(walked_i(d, u[k], &st->usage[k], &fb));
    }
    if (fb) FALLBACK(d);
    return 0;
}

/* An `error` event whose data holds an error object: fantasy's re-titled message. */
static int error_event(pf_dec *d, an_st *st, const pf_view *v, uint64_t offset) {
    pf_val err = pf_view_child(v, pf_view_val(v, 0), st->node[N_ERROR]);
    if (!(err.kind == PF_K_RAW && err.len && err.p[0] == '{')) FALLBACK(d);   /* quotes the data as received */
    static const char *const E_KEYS[2] = {"type", "message"};
    pf_val f[2];
    err.rec = -1;
    pf_raw_fields(d, err, E_KEYS, 2, f);
    const uint8_t *et, *msg;
    size_t etn, msgn;
    int fb = 0;
    pf_bytes out = {0};
    TRY(walked_s(d, f[0], &et, &etn, &fb));
    int rc = 0;
    if (pf_eq(et, etn, "overloaded_error")) rc = pf_bytes_append(&out, (const uint8_t *)"provider overloaded", 19);
    else if (pf_eq(et, etn, "rate_limit_error")) rc = pf_bytes_append(&out, (const uint8_t *)"rate limit exceeded", 19);
    else rc = pf_bytes_append(&out, et, etn);
    if (!rc) for (size_t k = 0; k < out.len; k++) if (out.p[k] == '_') out.p[k] = ' ';
    if (!rc) rc = walked_s(d, f[1], &msg, &msgn, &fb);
    if (!rc && out.len) rc = pf_bytes_append(&out, (const uint8_t *)": ", 2);
    if (!rc) rc = pf_bytes_append(&out, msg, msgn);
    if (!rc && fb) d->fallback = 1;
    else if (!rc) rc = fail(d, st, PF_EK_PROVIDER_ERROR, offset, pf_bp(&out), out.len);
    pf_bytes_free(&out);
    return rc ? PF_ERR_NOMEM : 0;
}

static const char *const DISPATCHED[] = {"message_start", "message_delta", "message_stop", "content_block_start",
                                         "content_block_delta", "content_block_stop", "error"};

/* anthropic-sdk-go reads only its event names (SSEScanner): the others are skipped before anything. */
static int an_event(pf_dec *d, const uint8_t *name, size_t n, int status) {
    for (size_t k = 0; k < sizeof DISPATCHED / sizeof DISPATCHED[0]; k++) {
        if (pf_eq(name, n, DISPATCHED[k])) {
            if (k == 6 && status == PF_CHUNK_BAD_JSON) d->fallback = 1;  /* the message quotes the data */
            return 0;
        }
    }
    return 1;
}

static const char *go_kind(int kind) {
    switch (kind) {
    case PF_K_ARRAY: return "array";
    case PF_K_STRING: return "string";
    case PF_K_TRUE: case PF_K_FALSE: return "bool";
    default: return "number";
    }
}

static int an_chunk(pf_dec *d, const pf_view *v, const uint8_t *name, size_t name_len, uint64_t offset) {
    an_st *st = (an_st *)d->st;
    if (st->failed) return 0;
    if (pf_eq(name, name_len, "error")) return error_event(d, st, v, offset);
    pf_val root = pf_view_val(v, 0);
    if (root.kind == PF_K_NULL) return 0;   /* JSON null decodes into an empty event */
    if (root.kind != PF_K_OBJECT) {
        char msg[160];
        int n = snprintf(msg, sizeof msg, "json: cannot unmarshal %s into Go value of type "
                         "anthropic.MessageStreamEventUnion (the stream event at byte %llu)", go_kind(root.kind),
                         (unsigned long long)offset);
        return fail(d, st, PF_EK_JSON, offset, (const uint8_t *)msg, (size_t)n);
    }
    pf_val t = pf_view_child(v, root, st->node[N_TYPE]);
    if (t.kind != PF_K_STRING) return 0;
    if (pf_eq(t.p, t.len, "message_start")) return message_start(d, st, v, root);
    if (pf_eq(t.p, t.len, "message_delta")) return message_delta(d, st, v, root);
    if (pf_eq(t.p, t.len, "message_stop")) { st->stopped = 1; return 0; }
    int which = pf_eq(t.p, t.len, "content_block_delta") ? 0 : pf_eq(t.p, t.len, "content_block_start") ? 1
              : pf_eq(t.p, t.len, "content_block_stop") ? 2 : -1;
    if (which < 0) return 0;
    int64_t idx;
    if (pf_val_i(pf_view_child(v, root, st->node[N_INDEX]), &idx)) FALLBACK(d);
    char bid[24];
    size_t bidn = pf_i64_text(idx, bid);
    const uint8_t *b = (const uint8_t *)bid;
    if (which == 0) return delta(d, st, v, root, b, bidn, idx);
    if (which == 1) return start(d, st, v, root, b, bidn, idx);
    return stop(d, st, b, bidn, idx);
}

static int map_finish(const uint8_t *p, size_t n) {
    if (pf_eq(p, n, "end_turn") || pf_eq(p, n, "pause_turn") || pf_eq(p, n, "stop_sequence")) return PF_FR_STOP;
    if (pf_eq(p, n, "max_tokens") || pf_eq(p, n, "model_context_window_exceeded")) return PF_FR_LENGTH;
    if (pf_eq(p, n, "tool_use")) return PF_FR_TOOL_CALLS;
    if (pf_eq(p, n, "refusal") || pf_eq(p, n, "content_filtered") || pf_eq(p, n, "guardrail_intervened"))
        return PF_FR_CONTENT_FILTER;
    return PF_FR_UNKNOWN;
}

static int an_done(pf_dec *d) {
    an_st *st = (an_st *)d->st;
    if (st->failed) return 0;
    if (!st->stopped || !st->stop_reason.len) {
        static const char msg[] = "stream transport error: unexpected EOF";
        return fail(d, st, PF_EK_TRUNCATED, (uint64_t)(size_t)-1, (const uint8_t *)msg, sizeof msg - 1);
    }
    pf_dec_out *o = d->out;
    int64_t total;
    if (__builtin_add_overflow(st->usage[U_INPUT], st->usage[U_OUTPUT], &total)) FALLBACK(d);
    memset(o->fin_usage, 0, sizeof o->fin_usage);
    o->fin_usage[0] = st->usage[U_INPUT];
    o->fin_usage[1] = st->usage[U_OUTPUT];
    o->fin_usage[2] = total;
    o->fin_usage[4] = st->usage[U_CACHE_CREATION];
    o->fin_usage[5] = st->usage[U_CACHE_READ];
    return pf_dec_part(d, PF_PT_FINISH, (size_t)map_finish(pf_bp(&st->stop_reason), st->stop_reason.len),
                       PF_FIN_PLAIN, 0, 0, 0, 0, 0);
}

static void an_reset(void *p) {
    an_st *st = (an_st *)p;
    clear_blocks(st);
    memset(st->usage, 0, sizeof st->usage);
    st->stop_reason.len = 0;
    st->stopped = st->failed = 0;
}

static const pf_dec_vt AN_VT = {an_chunk, an_done, an_free, an_reset};

static pf_dec *an_new(int bedrock) {
    an_st *st = (an_st *)calloc(1, sizeof(an_st));
    if (!st) return NULL;
    static pf_jspec *spec_cache;
    static int32_t node_cache[N_COUNT];
    pf_jspec *spec = pf_dec_spec(&spec_cache, node_cache, PATHS, sizeof PATHS / sizeof PATHS[0], NODE_PATHS,
                                 N_COUNT, st->node);
    pf_dec *d = pf_dec_make(&AN_VT, spec, PF_SCAN_SSE, NULL, 0, st);
    if (!d) return NULL;
    d->event = an_event;
    if (bedrock && !(d->evs = pf_evs_new())) { pf_dec_free(d); return NULL; }
    return d;
}

pf_dec *pf_anthropic_new(void) { return an_new(0); }

/* Bedrock's invoke-with-response-stream: the Anthropic stream inside AWS event-stream frames. */
pf_dec *pf_bedrock_new(void) { return an_new(1); }

/* ---- non-streaming bodies (docs/semantics.md#anthropic-non-streaming) ----------------------
 * The C twin of anthropic.decode_generate: content blocks in order (text, thinking and
 * redacted thinking with their metadata, tool use with its input as written), the stop
 * reason, the usage, server tool use (its input as Go re-encodes it: pf_go_marshal) and web
 * search results with their metadata, as the stream's blocks make them. What make_block and
 * pf_go_marshal hand back goes to Python. */

enum { AD_ROOT, AD_CONTENT, AD_STOP, AD_USAGE, AD_COUNT };
static const pf_path AD_PATHS[] = {{"content", 0}, {"stop_reason", 0}, {"usage", 0}};
static const char *const AD_NODES[AD_COUNT] = {"", "content", "stop_reason", "usage"};

typedef struct {
    an_st a;               /* first: an_free works on it */
    int32_t dn[AD_COUNT];
} ad_st;

static int ad_block(pf_dec *d, pf_val el) {
    an_block b;
    const uint8_t *s;
    size_t sn, meta;
    int fb = 0, rc = 0;
    TRY(make_block(d, el, &b, 1));
    if (d->fallback) { block_free(&b); return 0; }
    switch (b.type) {
    case BT_TEXT:
        rc = walked_s(d, pf_raw_get(d, el, "text"), &s, &sn, &fb);
        if (!rc && !fb && !(rc = pf_dec_part3(d, PF_PT_TEXT_START, E0, E0, E0, 0))
            && !(rc = pf_dec_part3(d, PF_PT_TEXT_DELTA, E0, s, sn, E0, 0)))
            rc = pf_dec_part3(d, PF_PT_TEXT_END, E0, E0, E0, 0);
        break;
    case BT_THINKING:
    case BT_REDACTED:
        s = (const uint8_t *)"";
        sn = 0;
        if (b.type == BT_THINKING) {
            rc = walked_s(d, pf_raw_get(d, el, "thinking"), &s, &sn, &fb);
            if (!rc && !fb) rc = reasoning_meta(d, pf_bp(&b.signature), b.signature.len, E0, &meta);
        } else {
            rc = reasoning_meta(d, E0, pf_bp(&b.data), b.data.len, &meta);
        }
        if (!rc && !fb && !(rc = pf_dec_part3(d, PF_PT_REASONING_START, (const uint8_t *)"0", 1, s, sn, E0, meta)))
            rc = pf_dec_part3(d, PF_PT_REASONING_END, (const uint8_t *)"0", 1, E0, E0, 0);
        break;
    case BT_TOOL_USE:
        rc = pf_dec_tool_call(d, pf_bp(&b.id), b.id.len, pf_bp(&b.input), b.input.len, pf_bp(&b.name), b.name.len, 0);
        break;
    case BT_SERVER_TOOL_USE:
        rc = pf_dec_part3(d, PF_PT_PROVIDER_TOOL_CALL, pf_bp(&b.id), b.id.len, pf_bp(&b.input), b.input.len,
                          pf_bp(&b.name), b.name.len, 0);
        break;
    case BT_WEB_SEARCH:
        rc = web_search_parts(d, &b);
        break;
    default:
        break;
    }
    block_free(&b);
    if (fb) d->fallback = 1;
    return rc ? PF_ERR_NOMEM : 0;
}

static int ad_chunk(pf_dec *d, const pf_view *v, const uint8_t *name, size_t name_len, uint64_t offset) {
    ad_st *s = (ad_st *)d->st;
    (void)name, (void)name_len, (void)offset;
    pf_val root = pf_view_val(v, 0), none = {-1, NULL, 0, -1};
    if (root.kind == PF_K_NULL) root = none;   /* decodes into an empty message */
    else if (root.kind != PF_K_OBJECT) FALLBACK(d);
    pf_val content = pf_view_child(v, root, s->dn[AD_CONTENT]);
    if (pf_val_is_arr(content)) {
        size_t i = 0;
        pf_val el;
        content.rec = -1;
        while (pf_raw_next(content, &i, &el)) {
            if (!pf_val_is_obj(el)) continue;
            el.rec = -1;
            TRY(ad_block(d, el));
            if (d->fallback) return 0;
        }
    }
    const uint8_t *stop;
    size_t stopn;
    if (pf_val_s(pf_view_child(v, root, s->dn[AD_STOP]), &stop, &stopn)) FALLBACK(d);
    pf_val u = pf_view_child(v, root, s->dn[AD_USAGE]);
    static const char *const U_KEYS[4] = {"input_tokens", "output_tokens", "cache_creation_input_tokens",
                                          "cache_read_input_tokens"};
    pf_val f[4] = {{-1, NULL, 0, -1}, {-1, NULL, 0, -1}, {-1, NULL, 0, -1}, {-1, NULL, 0, -1}};
    int64_t x[4] = {0, 0, 0, 0}, total;
    int fb = 0;
    if (pf_val_is_obj(u)) {
        u.rec = -1;
        pf_raw_fields(d, u, U_KEYS, 4, f);
    }
    for (int k = 0; k < 4; k++) TRY(walked_i(d, f[k], &x[k], &fb));
    if (fb || __builtin_add_overflow(x[0], x[1], &total)) FALLBACK(d);
    int64_t *o = d->out->fin_usage;
    o[0] = x[0]; o[1] = x[1]; o[2] = total; o[3] = 0; o[4] = x[2]; o[5] = x[3];
    return pf_dec_part(d, PF_PT_FINISH, (size_t)map_finish(stop, stopn), PF_FIN_PLAIN, 0, 0, 0, 0, 0);
}

static const pf_dec_vt AD_VT = {ad_chunk, pf_dec_document_done, an_free, an_reset};   /* its state comes first */

pf_dec *pf_anthropic_document_new(void) {
    ad_st *s = (ad_st *)calloc(1, sizeof(ad_st));
    if (!s) return NULL;
    static pf_jspec *spec_cache;
    static int32_t node_cache[AD_COUNT];
    pf_jspec *spec = pf_dec_spec(&spec_cache, node_cache, AD_PATHS, sizeof AD_PATHS / sizeof AD_PATHS[0],
                                 AD_NODES, AD_COUNT, s->dn);
    return pf_dec_make_document(&AD_VT, spec, s);
}
