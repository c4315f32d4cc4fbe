/* Gemini streams (streamGenerateContent?alt=sse, Gemini API and Vertex) as fantasy reads
 * them: the C twin of pyfantasy/_providers/google.py GoogleStream over genai's block reader
 * (docs/semantics.md#gemini-streaming, docs/semantics.md#gemini-parts). Per chunk: the first
 * candidate's parts (thought text -> reasoning, text -> text, functionCall -> a tool call,
 * thought signatures closing or standing for a reasoning block), its finish reason, and the
 * usage (the first non-zero total sets it, later chunks add output, reasoning and cache-read
 * counts). At the end: open blocks closed, then the finish or the truncated error.
 *
 * What this file does not reproduce hands the body back to the Python machine: a block that
 * is not data (API errors and invalid chunks: their messages are Python's), a value of the
 * wrong JSON type (genai's typed-decode errors), more than one candidate,
 * token counts that are not int32 integers, signatures Go's base64 decoder refuses (Python words
 * the error), and
 * function-call arguments outside what pf_go_marshal re-encodes exactly (Go's json.Marshal of a
 * map[string]any: sorted keys, float64 numbers, HTML-safe strings). */
#include "pf_dec_int.h"

enum {
    N_ROOT, N_CANDS, N_CAND, N_FINISH, N_CONTENT, N_PARTS, N_PART, N_TEXT, N_THOUGHT, N_SIG, N_CALL,
    N_USAGE, N_U_PROMPT, N_U_CANDS, N_U_TOTAL, N_U_THOUGHTS, N_U_CACHED, N_COUNT
};

/* google.STREAM_SPEC, same flags: coalescing must agree with Python's. */
#define PART "candidates.*.content.parts.*."
static const pf_path PATHS[] = {
    {PART "text", PF_NODE_COALESCE}, {PART "thought", PF_NODE_INERT}, {PART "thoughtSignature", 0},
    {PART "functionCall", 0}, {"candidates.*.finishReason", PF_NODE_INERT},
    {"usageMetadata.promptTokenCount", 0}, {"usageMetadata.candidatesTokenCount", 0},
    {"usageMetadata.totalTokenCount", 0}, {"usageMetadata.thoughtsTokenCount", 0},
    {"usageMetadata.cachedContentTokenCount", 0},
};
/* google.GENERATE_SPEC: the same paths, no coalescing flags (one document). */
static const pf_path DOC_PATHS[] = {
    {PART "text", 0}, {PART "thought", 0}, {PART "thoughtSignature", 0}, {PART "functionCall", 0},
    {"candidates.*.finishReason", 0}, {"usageMetadata.promptTokenCount", 0},
    {"usageMetadata.candidatesTokenCount", 0}, {"usageMetadata.totalTokenCount", 0},
    {"usageMetadata.thoughtsTokenCount", 0}, {"usageMetadata.cachedContentTokenCount", 0},
};
static const char *const NODE_PATHS[N_COUNT] = {
    "", "candidates", "candidates.*", "candidates.*.finishReason", "candidates.*.content",
    "candidates.*.content.parts", "candidates.*.content.parts.*", PART "text", PART "thought",
    PART "thoughtSignature", PART "functionCall", "usageMetadata", "usageMetadata.promptTokenCount",
    "usageMetadata.candidatesTokenCount", "usageMetadata.totalTokenCount", "usageMetadata.thoughtsTokenCount",
    "usageMetadata.cachedContentTokenCount",
};
#undef PART

typedef struct {
    int32_t node[N_COUNT];
    int64_t blocks;        /* one counter for text and reasoning block ids */
    int text_open, reasoning_open;
    char text_id[24], reasoning_id[24];
    size_t text_idn, reasoning_idn;
    int has_usage;
    int64_t usage[6];      /* input, output, total, reasoning, cache creation, cache read */
    pf_bytes finish_raw;
    int finish_seen;
    int64_t calls, generated;
    int failed;
    pf_bytes sig, args, tmp;
} gm_st;

static void gm_free(void *p) {
    gm_st *st = (gm_st *)p;
    if (!st) return;
    pf_bytes_free(&st->finish_raw);
    pf_bytes_free(&st->sig);
    pf_bytes_free(&st->args);
    pf_bytes_free(&st->tmp);
    free(st);
}

static void gm_reset(void *p) {
    gm_st *st = (gm_st *)p;
    gm_st keep = *st;
    memset(st, 0, sizeof *st);
    memcpy(st->node, keep.node, sizeof st->node);
#define KEEP(f) do { st->f = keep.f; st->f.len = 0; } while (0)
    KEEP(finish_raw); KEEP(sig); KEEP(args); KEEP(tmp);
#undef KEEP
}

/* ---- values ------------------------------------------------------------------------- */

/* strict_str: a string, or null/absent (""); 1 for any other type. */
static int str_of(pf_val v, const uint8_t **p, size_t *n) {
    *p = (const uint8_t *)"";
    *n = 0;
    if (v.kind < 0 || v.kind == PF_K_NULL) return 0;
    if (v.kind != PF_K_STRING) return 1;
    *p = v.p;
    *n = v.len;
    return 0;
}

/* A token count: a JSON integer within int32, or null/absent (0); 1 for anything else. */
static int int32_of(pf_val v, int64_t *out) {
    *out = 0;
    if (v.kind < 0 || v.kind == PF_K_NULL) return 0;
    if (v.kind != PF_K_NUMBER || !pf_lex_is_int(v.p, v.len) || v.len > 11) return 1;
    int64_t x;
    if (pf_val_i(v, &x) || x < -2147483648LL || x > 2147483647LL) return 1;
    *out = x;
    return 0;
}

/* ---- parts ------------------------------------------------------------------------------ */

static int new_block_id(gm_st *st, char *id, size_t *idn) {
    *idn = pf_i64_text(st->blocks++, id);
    return 0;
}

/* A new GoogleReasoningMetadata(signature = the decoded bytes as a Go string, tool_id). */
static int sig_meta(pf_dec *d, gm_st *st, const uint8_t *tool, size_t tooln, size_t *meta) {
    int obj;
    TRY(pf_dec_new_meta_go(d, PF_MO_GENAI_SIGNATURE_NEW, pf_bp(&st->sig), st->sig.len, tool, tooln, &obj));
    *meta = (size_t)obj + 1;
    return 0;
}

#define TEXT_ID (const uint8_t *)st->text_id, st->text_idn
#define REASONING_ID (const uint8_t *)st->reasoning_id, st->reasoning_idn

/* The reasoning block a signature closes (or stands for) before a text or call part. */
static int close_reasoning(pf_dec *d, gm_st *st, const uint8_t *tool, size_t tooln) {
    size_t meta;
    if (st->reasoning_open) {
        TRY(sig_meta(d, st, tool, tooln, &meta));
        TRY(pf_dec_part3(d, PF_PT_REASONING_END, REASONING_ID, E0, E0, meta));
        st->reasoning_open = 0;
    } else if (st->sig.len) {
        TRY(sig_meta(d, st, tool, tooln, &meta));
        TRY(pf_dec_part3(d, PF_PT_REASONING_START, REASONING_ID, E0, E0, meta));
        TRY(pf_dec_part3(d, PF_PT_REASONING_END, REASONING_ID, E0, E0, meta));
    }
    return 0;
}

static int close_text(pf_dec *d, gm_st *st) {
    if (!st->text_open) return 0;
    st->text_open = 0;
    return pf_dec_part3(d, PF_PT_TEXT_END, TEXT_ID, E0, E0, 0);
}

static const char *const CALL_KEYS[3] = {"name", "id", "args"};

/* One part as genai reads it: text, thought, the signature's bytes (in st->sig) and the
 * function call (name, id, arguments written back in st->args); 1 in *fb for what Python does. */
typedef struct {
    const uint8_t *text, *name, *cid;
    size_t textn, namen, cidn;
    int thought, has_call;
} gm_part;

static int read_part(pf_dec *d, gm_st *st, const pf_view *v, pf_val part, gm_part *o, int *fb) {
    const uint8_t *sig;
    size_t sign;
    memset(o, 0, sizeof *o);
    pf_val thought = pf_view_child(v, part, st->node[N_THOUGHT]);
    if (str_of(pf_view_child(v, part, st->node[N_TEXT]), &o->text, &o->textn)) { *fb = 1; return 0; }
    if (thought.kind >= 0 && thought.kind != PF_K_NULL && thought.kind != PF_K_TRUE && thought.kind != PF_K_FALSE) {
        *fb = 1;
        return 0;
    }
    o->thought = thought.kind == PF_K_TRUE;
    if (str_of(pf_view_child(v, part, st->node[N_SIG]), &sig, &sign)) { *fb = 1; return 0; }
    st->sig.len = 0;
    if (sign) {
        int rc = pf_lex_base64(sig, sign, &st->sig);
        if (rc == PF_ERR_NOMEM) return PF_ERR_NOMEM;
        if (rc) { *fb = 1; return 0; }
    }
    pf_val fc = pf_view_child(v, part, st->node[N_CALL]);
    if (fc.kind >= 0 && fc.kind != PF_K_NULL) {
        if (!(fc.kind == PF_K_RAW && fc.len && fc.p[0] == '{')) { *fb = 1; return 0; }
        pf_val f[3];
        fc.rec = -1;
        pf_raw_fields(d, fc, CALL_KEYS, 3, f);
        TRY(pf_raw_str(d, &f[0]));
        TRY(pf_raw_str(d, &f[1]));
        if (str_of(f[0], &o->name, &o->namen) || str_of(f[1], &o->cid, &o->cidn)) { *fb = 1; return 0; }
        st->args.len = 0;
        if (f[2].kind < 0 || f[2].kind == PF_K_NULL) {
            TRY(pf_bytes_append(&st->args, (const uint8_t *)"null", 4));
        } else {
            if (!(f[2].kind == PF_K_RAW && f[2].len && f[2].p[0] == '{')) { *fb = 1; return 0; }
            size_t i = 0;
            int rc = pf_go_marshal(f[2].p, f[2].len, &i, &st->args, &st->tmp, 0);
            if (rc == PF_ERR_NOMEM) return PF_ERR_NOMEM;
            if (rc) { *fb = 1; return 0; }
        }
        o->has_call = 1;
    }
    return 0;
}

/* Is every part an object or null? genai decodes the whole chunk, so they are all
 * type-checked before any is read. */
static int parts_typed(const pf_view *v, pf_val parts) {
    long j = parts.rec;
    pf_val part;
    while (pf_view_next(v, parts, &j, &part))
        if (part.kind != PF_K_NULL && part.kind != PF_K_OBJECT) return 0;
    return 1;
}

static int one_part(pf_dec *d, gm_st *st, const pf_view *v, pf_val part) {
    gm_part pt;
    int fb = 0;
    TRY(read_part(d, st, v, part, &pt, &fb));
    if (fb) FALLBACK(d);
    const uint8_t *text = pt.text, *name = pt.name, *cid = pt.cid;
    size_t textn = pt.textn, namen = pt.namen, cidn = pt.cidn;
    int has_call = pt.has_call;
    if (textn && pt.thought) {
        TRY(close_text(d, st));
        if (!st->reasoning_open) {
            new_block_id(st, st->reasoning_id, &st->reasoning_idn);
            st->reasoning_open = 1;
            TRY(pf_dec_part3(d, PF_PT_REASONING_START, REASONING_ID, E0, E0, 0));
        }
        return pf_dec_delta(d, PF_PT_REASONING_DELTA, REASONING_ID, text, textn, 0);
    }
    if (textn) {
        if (!st->text_open) {
            new_block_id(st, st->text_id, &st->text_idn);
            st->text_open = 1;
            TRY(pf_dec_part3(d, PF_PT_TEXT_START, TEXT_ID, E0, E0, 0));
        }
        TRY(close_reasoning(d, st, E0));
        return pf_dec_delta(d, PF_PT_TEXT_DELTA, TEXT_ID, text, textn, 0);
    }
    if (!has_call) return 0;
    TRY(close_text(d, st));
    char gen[24];
    if (!cidn) {
        cidn = pf_i64_text(++st->generated, gen);
        cid = (const uint8_t *)gen;
    }
    TRY(close_reasoning(d, st, cid, cidn));
    TRY(pf_dec_part3(d, PF_PT_TOOL_INPUT_START, cid, cidn, E0, name, namen, 0));
    TRY(pf_dec_part3(d, PF_PT_TOOL_INPUT_DELTA, cid, cidn, st->args.p ? st->args.p : (const uint8_t *)"",
                     st->args.len, E0, 0));
    TRY(pf_dec_part3(d, PF_PT_TOOL_INPUT_END, cid, cidn, E0, E0, 0));
    TRY(pf_dec_tool_call(d, cid, cidn, pf_bp(&st->args), st->args.len, name, namen, 0));
    st->calls++;
    return 0;
}

/* A block that is not data (an API error or an invalid chunk): Python words it. (Malformed
 * JSON is pf_dec's error part, as StreamDecoder gives it.) */
static int gm_event(pf_dec *d, const uint8_t *name, size_t n, int status) {
    (void)name, (void)n;
    if (status == PF_CHUNK_OTHER) d->fallback = 1;
    return 0;
}

static int gm_chunk(pf_dec *d, const pf_view *v, const uint8_t *name, size_t name_len, uint64_t offset) {
    gm_st *st = (gm_st *)d->st;
    (void)name, (void)name_len, (void)offset;
    if (st->failed) return 0;
    pf_val root = pf_view_val(v, 0);
    if (root.kind == PF_K_NULL) return 0;   /* unmarshals into an empty map */
    if (root.kind != PF_K_OBJECT) FALLBACK(d);
    pf_val cands = pf_view_child(v, root, st->node[N_CANDS]);
    if (cands.kind >= 0 && cands.kind != PF_K_NULL) {
        if (cands.kind != PF_K_ARRAY || cands.len > 1) FALLBACK(d);
        long k = cands.rec;
        pf_val cand;
        if (pf_view_next(v, cands, &k, &cand) && cand.kind != PF_K_NULL) {
            if (cand.kind != PF_K_OBJECT) FALLBACK(d);
            const uint8_t *fr;
            size_t frn;
            if (str_of(pf_view_child(v, cand, st->node[N_FINISH]), &fr, &frn)) FALLBACK(d);
            pf_val content = pf_view_child(v, cand, st->node[N_CONTENT]);
            if (content.kind >= 0 && content.kind != PF_K_NULL) {
                if (content.kind != PF_K_OBJECT) FALLBACK(d);
                pf_val parts = pf_view_child(v, content, st->node[N_PARTS]);
                if (parts.kind >= 0 && parts.kind != PF_K_NULL) {
                    if (parts.kind != PF_K_ARRAY || !parts_typed(v, parts)) FALLBACK(d);
                    long j = parts.rec;
                    pf_val part;
                    while (pf_view_next(v, parts, &j, &part)) {
                        if (part.kind == PF_K_NULL) continue;
                        TRY(one_part(d, st, v, part));
                        if (d->fallback) return 0;   /* the whole body goes to Python */
                    }
                }
            }
            if (frn) {
                TRY(pf_set_bytes(&st->finish_raw, fr, frn));
                st->finish_seen = 1;
            }
        }
    }
    pf_val usage = pf_view_child(v, root, st->node[N_USAGE]);
    if (usage.kind >= 0 && usage.kind != PF_K_NULL) {
        if (usage.kind != PF_K_OBJECT) FALLBACK(d);
        int64_t u[5];
        static const int UN[5] = {N_U_PROMPT, N_U_CANDS, N_U_TOTAL, N_U_THOUGHTS, N_U_CACHED};
        for (int k = 0; k < 5; k++)
            if (int32_of(pf_view_child(v, usage, st->node[UN[k]]), &u[k])) FALLBACK(d);
        if (u[2] != 0) {
            if (!st->has_usage) {
                st->has_usage = 1;
                st->usage[0] = u[0];
                st->usage[1] = u[1];
                st->usage[2] = u[2];
                st->usage[3] = u[3];
                st->usage[4] = 0;
                st->usage[5] = u[4];
            } else {
                st->usage[1] += u[1];
                st->usage[3] += u[3];
                st->usage[5] += u[4];
            }
        }
    }
    return 0;
}

static int map_finish(const uint8_t *p, size_t n) {
    if (pf_eq(p, n, "STOP")) return PF_FR_STOP;
    if (pf_eq(p, n, "MAX_TOKENS")) return PF_FR_LENGTH;
    if (pf_eq(p, n, "SAFETY") || pf_eq(p, n, "BLOCKLIST") || pf_eq(p, n, "PROHIBITED_CONTENT")
        || pf_eq(p, n, "SPII") || pf_eq(p, n, "IMAGE_SAFETY"))
        return PF_FR_CONTENT_FILTER;
    if (pf_eq(p, n, "RECITATION") || pf_eq(p, n, "LANGUAGE") || pf_eq(p, n, "MALFORMED_FUNCTION_CALL"))
        return PF_FR_ERROR;
    if (pf_eq(p, n, "OTHER")) return PF_FR_OTHER;
    return PF_FR_UNKNOWN;
}

static int gm_done(pf_dec *d) {
    gm_st *st = (gm_st *)d->st;
    if (st->failed) return 0;
    TRY(close_text(d, st));
    if (st->reasoning_open) {
        TRY(pf_dec_part3(d, PF_PT_REASONING_END, REASONING_ID, E0, E0, 0));
        st->reasoning_open = 0;
    }
    int finish;
    if (st->calls) finish = PF_FR_TOOL_CALLS;
    else if (st->finish_seen) finish = map_finish(pf_bp(&st->finish_raw), st->finish_raw.len);
    else {
        st->failed = 1;
        return pf_dec_error(d, PF_EK_TRUNCATED, (size_t)-1, "stream transport error: unexpected EOF");
    }
    memcpy(d->out->fin_usage, st->usage, sizeof st->usage);
    return pf_dec_part(d, PF_PT_FINISH, (size_t)finish, PF_FIN_NO_METADATA, 0, 0, 0, 0, 0);
}

#undef TEXT_ID
#undef REASONING_ID

static const pf_dec_vt GM_VT = {gm_chunk, gm_done, gm_free, gm_reset};

pf_dec *pf_gemini_new(void) {
    gm_st *st = (gm_st *)calloc(1, sizeof(gm_st));
    if (!st) return NULL;
    static pf_jspec *spec_cache;
    static int32_t node_cache[N_COUNT];
    pf_jspec *spec = pf_dec_spec(&spec_cache, node_cache, PATHS, sizeof PATHS / sizeof PATHS[0], NODE_PATHS,
                                 N_COUNT, st->node);
    pf_dec *d = pf_dec_make(&GM_VT, spec, PF_SCAN_GENAI, NULL, 1, st);
    if (!d) return NULL;
    d->event = gm_event;
    return d;
}

/* ---- non-streaming bodies (docs/semantics.md#gemini-non-streaming) ------------------------
 * The C twin of google.decode_generate: the first candidate's parts as content (thought text
 * as reasoning with its signature; a text or call part's signature goes to the latest
 * reasoning part, or stands alone), usage as sent, the finish reason. The parts are kept
 * until the end of the body because a signature can change a reasoning part already read. */

enum { GI_REASONING, GI_TEXT, GI_CALL };

typedef struct {
    int kind, has_meta;
    size_t text, textn, sig, sign, tool, tooln;        /* offsets into the items' buffer */
    size_t id, idn, name, namen, args, argsn;
} gm_item;

typedef struct {
    gm_st g;               /* first: gm_free and gm_reset work on it */
    gm_item *items;
    size_t nitems, cap;
    pf_bytes buf;          /* the items' strings */
} gmd_st;

static int gmd_put(gmd_st *s, const uint8_t *p, size_t n, size_t *off) {
    *off = s->buf.len;
    return pf_bytes_append(&s->buf, p, n) ? PF_ERR_NOMEM : 0;
}

static gm_item *gmd_new(gmd_st *s, int kind) {
    if (s->nitems == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        gm_item *it = (gm_item *)realloc(s->items, cap * sizeof *it);
        if (!it) return NULL;
        s->items = it;
        s->cap = cap;
    }
    gm_item *it = &s->items[s->nitems++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    return it;
}

/* The latest reasoning item (without metadata, when any_meta is 0) takes the signature in
 * st->sig and tool id t; with none, a new empty reasoning item holds it. */
static int gmd_sign(gmd_st *s, int any_meta, const uint8_t *t, size_t tn) {
    gm_item *it = NULL;
    for (size_t k = s->nitems; k-- > 0;)
        if (s->items[k].kind == GI_REASONING && (any_meta || !s->items[k].has_meta)) { it = &s->items[k]; break; }
    if (!it && !(it = gmd_new(s, GI_REASONING))) return PF_ERR_NOMEM;
    it->has_meta = 1;
    TRY(gmd_put(s, pf_bp(&s->g.sig), s->g.sig.len, &it->sig));
    it->sign = s->g.sig.len;
    TRY(gmd_put(s, t, tn, &it->tool));
    it->tooln = tn;
    return 0;
}

static int gmd_chunk(pf_dec *d, const pf_view *v, const uint8_t *name, size_t name_len, uint64_t offset) {
    gmd_st *s = (gmd_st *)d->st;
    gm_st *st = &s->g;
    (void)name, (void)name_len, (void)offset;
    pf_val root = pf_view_val(v, 0);
    if (root.kind != PF_K_OBJECT) FALLBACK(d);   /* null: no response; others: genai's error */
    pf_val cands = pf_view_child(v, root, st->node[N_CANDS]);
    if (cands.kind != PF_K_ARRAY || cands.len != 1) FALLBACK(d);
    long k = cands.rec;
    pf_val cand, content, parts;
    pf_view_next(v, cands, &k, &cand);
    if (cand.kind != PF_K_OBJECT) FALLBACK(d);
    const uint8_t *fr;
    size_t frn;
    if (str_of(pf_view_child(v, cand, st->node[N_FINISH]), &fr, &frn)) FALLBACK(d);
    content = pf_view_child(v, cand, st->node[N_CONTENT]);
    if (content.kind != PF_K_OBJECT) FALLBACK(d);   /* none: "no response from model" */
    parts = pf_view_child(v, content, st->node[N_PARTS]);
    if (parts.kind >= 0 && parts.kind != PF_K_NULL && parts.kind != PF_K_ARRAY) FALLBACK(d);
    int64_t calls = 0, generated = 0;
    if (parts.kind == PF_K_ARRAY) {
        if (!parts_typed(v, parts)) FALLBACK(d);
        long j = parts.rec;
        pf_val part;
        while (pf_view_next(v, parts, &j, &part)) {
            if (part.kind == PF_K_NULL) continue;
            gm_part pt;
            int fb = 0;
            TRY(read_part(d, st, v, part, &pt, &fb));
            if (fb) FALLBACK(d);
            gm_item *it;
            if (pt.textn && pt.thought) {
                if (!(it = gmd_new(s, GI_REASONING))) return PF_ERR_NOMEM;
                TRY(gmd_put(s, pt.text, pt.textn, &it->text));
                it->textn = pt.textn;
                if (st->sig.len) {
                    it->has_meta = 1;
                    TRY(gmd_put(s, pf_bp(&st->sig), st->sig.len, &it->sig));
                    it->sign = st->sig.len;
                }
            } else if (pt.textn) {
                if (st->sig.len) TRY(gmd_sign(s, 0, E0));
                if (!(it = gmd_new(s, GI_TEXT))) return PF_ERR_NOMEM;
                TRY(gmd_put(s, pt.text, pt.textn, &it->text));
                it->textn = pt.textn;
            } else if (pt.has_call) {
                char gen[24];
                const uint8_t *cid = pt.cid;
                size_t cidn = pt.cidn;
                if (!cidn) {
                    cidn = pf_i64_text(++generated, gen);
                    cid = (const uint8_t *)gen;
                }
                if (st->sig.len) TRY(gmd_sign(s, 1, cid, cidn));
                if (!(it = gmd_new(s, GI_CALL))) return PF_ERR_NOMEM;
                TRY(gmd_put(s, cid, cidn, &it->id));
                it->idn = cidn;
                TRY(gmd_put(s, pt.name, pt.namen, &it->name));
                it->namen = pt.namen;
                TRY(gmd_put(s, pf_bp(&st->args), st->args.len, &it->args));
                it->argsn = st->args.len;
                calls++;
            }
        }
    }
    /* usage as sent (none: zeros) */
    int64_t u[5] = {0, 0, 0, 0, 0};
    pf_val usage = pf_view_child(v, root, st->node[N_USAGE]);
    if (usage.kind >= 0 && usage.kind != PF_K_NULL) {
        if (usage.kind != PF_K_OBJECT) FALLBACK(d);
        static const int UN[5] = {N_U_PROMPT, N_U_CANDS, N_U_TOTAL, N_U_THOUGHTS, N_U_CACHED};
        for (int q = 0; q < 5; q++)
            if (int32_of(pf_view_child(v, usage, st->node[UN[q]]), &u[q])) FALLBACK(d);
    }
    /* the content, in order */
    const uint8_t *b = s->buf.p ? s->buf.p : (const uint8_t *)"";
    for (size_t q = 0; q < s->nitems; q++) {
        gm_item *it = &s->items[q];
        if (it->kind == GI_REASONING) {
            size_t meta = 0;
            if (it->has_meta) {
                int obj;
                TRY(pf_dec_new_meta_go(d, PF_MO_GENAI_SIGNATURE_NEW, b + it->sig, it->sign, b + it->tool, it->tooln, &obj));
                meta = (size_t)obj + 1;
            }
            TRY(pf_dec_part3(d, PF_PT_REASONING_START, (const uint8_t *)"0", 1, b + it->text, it->textn, E0, meta));
            TRY(pf_dec_part3(d, PF_PT_REASONING_END, (const uint8_t *)"0", 1, E0, E0, 0));
        } else if (it->kind == GI_TEXT) {
            TRY(pf_dec_part3(d, PF_PT_TEXT_START, E0, E0, E0, 0));
            TRY(pf_dec_part3(d, PF_PT_TEXT_DELTA, E0, b + it->text, it->textn, E0, 0));
            TRY(pf_dec_part3(d, PF_PT_TEXT_END, E0, E0, E0, 0));
        } else {
            TRY(pf_dec_tool_call(d, b + it->id, it->idn, b + it->args, it->argsn, b + it->name, it->namen, 0));
        }
    }
    int64_t *fu = d->out->fin_usage;
    fu[0] = u[0]; fu[1] = u[1]; fu[2] = u[2]; fu[3] = u[3]; fu[4] = 0; fu[5] = u[4];
    int finish = calls ? PF_FR_TOOL_CALLS : map_finish(fr, frn);
    return pf_dec_part(d, PF_PT_FINISH, (size_t)finish, PF_FIN_NO_METADATA, 0, 0, 0, 0, 0);
}

static void gmd_free(void *p) {
    gmd_st *s = (gmd_st *)p;
    if (!s) return;
    free(s->items);
    pf_bytes_free(&s->buf);
    gm_free(&s->g);   /* frees s itself (its first member) */
}

static void gmd_reset(void *p) {
    gmd_st *s = (gmd_st *)p;
    gm_reset(&s->g);
    s->nitems = 0;
    s->buf.len = 0;
}

static const pf_dec_vt GMD_VT = {gmd_chunk, pf_dec_document_done, gmd_free, gmd_reset};

pf_dec *pf_gemini_document_new(void) {
    gmd_st *s = (gmd_st *)calloc(1, sizeof(gmd_st));
    if (!s) return NULL;
    static pf_jspec *spec_cache;
    static int32_t node_cache[N_COUNT];
    pf_jspec *spec = pf_dec_spec(&spec_cache, node_cache, DOC_PATHS, sizeof DOC_PATHS / sizeof DOC_PATHS[0],
                                 NODE_PATHS, N_COUNT, s->g.node);
    return pf_dec_make_document(&GMD_VT, spec, s);
}
