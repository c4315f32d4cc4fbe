/* OpenAI Chat Completions streams (and the compatible APIs) as fantasy reads
 * them: the C twin of pyfantasy/_providers/openai_chat.py ChatStream
 * (docs/semantics.md, "Chat completions, streaming"). Per chunk: the SDK
 * accumulator (first id, choice 0, tool calls), the stream usage hook (the
 * last chunk's usage), text, tool-call assembly per index, the variant's
 * reasoning (openaicompat reasoning_content / reasoning; OpenRouter and Vercel
 * reasoning_details with their metadata objects), url citations. At the end:
 * open text closed, tool calls, finish reason and usage. Shapes this file does
 * not reproduce exactly (logprobs, integers past int64, numeric strings in
 * integer fields) make the body fall back to the Python state machine. */
#include <stdio.h>
#include <locale.h>
#include <stdlib.h>
#include "pf_dec_int.h"

enum {
    N_ROOT, N_ID, N_ERROR, N_PROVIDER, N_USAGE, N_CHOICES, N_CHOICE, N_C_INDEX, N_C_FINISH, N_C_LOGPROBS,
    N_DELTA, N_D_CONTENT, N_D_TOOLS, N_TC, N_TC_INDEX, N_TC_ID, N_TC_TYPE, N_TC_FN, N_FN_NAME, N_FN_ARGS,
    N_D_RC, N_D_R, N_D_RD, N_D_ANN, N_U_TOTAL, N_U_PROMPT, N_U_COMPLETION, N_U_PTD, N_U_CACHED, N_U_CTD,
    N_U_REASONING, N_U_ACCEPTED, N_U_REJECTED, N_COUNT
};

/* The paths and coalescing flags of openai_chat.STREAM_SPEC (usage is read here field by
 * field, and kept whole: KEEP, judged as STREAM_SPEC's INERT_NULL leaf when coalescing). */
#define I PF_NODE_INERT
#define IN PF_NODE_INERT_NULL
#define CO (PF_NODE_COALESCE | PF_NODE_INERT_NULL)
static const pf_path PATHS[] = {
    {"id", I}, {"error", 0}, {"provider", I}, {"usage", PF_NODE_KEEP | IN},
    {"usage.total_tokens", 0}, {"usage.prompt_tokens", 0}, {"usage.completion_tokens", 0},
    {"usage.prompt_tokens_details.cached_tokens", 0}, {"usage.completion_tokens_details.reasoning_tokens", 0},
    {"usage.completion_tokens_details.accepted_prediction_tokens", 0},
    {"usage.completion_tokens_details.rejected_prediction_tokens", 0},
    {"choices.*.index", I}, {"choices.*.finish_reason", IN}, {"choices.*.logprobs", IN},
    {"choices.*.delta.content", CO},
    {"choices.*.delta.tool_calls.*.index", I}, {"choices.*.delta.tool_calls.*.id", I},
    {"choices.*.delta.tool_calls.*.type", I}, {"choices.*.delta.tool_calls.*.function.name", I},
    {"choices.*.delta.tool_calls.*.function.arguments", CO},
    {"choices.*.delta.reasoning_content", CO}, {"choices.*.delta.reasoning", CO},
    {"choices.*.delta.reasoning_details", IN}, {"choices.*.delta.annotations", IN},
};
#undef I
#undef IN
#undef CO
static const char *const NODE_PATHS[N_COUNT] = {
    "", "id", "error", "provider", "usage", "choices", "choices.*", "choices.*.index",
    "choices.*.finish_reason", "choices.*.logprobs", "choices.*.delta", "choices.*.delta.content",
    "choices.*.delta.tool_calls", "choices.*.delta.tool_calls.*", "choices.*.delta.tool_calls.*.index",
    "choices.*.delta.tool_calls.*.id", "choices.*.delta.tool_calls.*.type",
    "choices.*.delta.tool_calls.*.function", "choices.*.delta.tool_calls.*.function.name",
    "choices.*.delta.tool_calls.*.function.arguments", "choices.*.delta.reasoning_content",
    "choices.*.delta.reasoning", "choices.*.delta.reasoning_details", "choices.*.delta.annotations",
    "usage.total_tokens", "usage.prompt_tokens", "usage.completion_tokens", "usage.prompt_tokens_details",
    "usage.prompt_tokens_details.cached_tokens", "usage.completion_tokens_details",
    "usage.completion_tokens_details.reasoning_tokens", "usage.completion_tokens_details.accepted_prediction_tokens",
    "usage.completion_tokens_details.rejected_prediction_tokens",
};

typedef struct {
    int64_t index;
    pf_bytes id, name, args;
    int finished;
} chat_call;

typedef struct {
    int variant;
    int32_t node[N_COUNT];
    int text_open;
    chat_call *calls;          /* sorted by index */
    size_t ncalls, cap;
    pf_bytes finish_raw;
    int has_usage;
    int64_t usage[6];
    int64_t acc, rej;          /* openai metadata over the run of chunks with usage */
    int has_extras;
    pf_bytes extras, usage_raw, provider;
    int provider_kind;
    pf_bytes acc_id;
    int acc_id_set, acc_choice0, acc_tools;
    int reasoning_open;        /* openaicompat */
    int cur;                   /* OpenRouter/Vercel: a reasoning block is open */
    pf_bytes cur_format;
    int cur_meta;              /* its metadata object, -1: none */
    size_t cur_summary;        /* responses metadata: len(summary) */
    int failed;
    int64_t sources;
} chat_st;


static void chat_free(void *p) {
    chat_st *st = (chat_st *)p;
    if (!st) return;
    for (size_t k = 0; k < st->ncalls; k++) {
        pf_bytes_free(&st->calls[k].id);
        pf_bytes_free(&st->calls[k].name);
        pf_bytes_free(&st->calls[k].args);
    }
    free(st->calls);
    pf_bytes_free(&st->finish_raw);
    pf_bytes_free(&st->extras);
    pf_bytes_free(&st->usage_raw);
    pf_bytes_free(&st->provider);
    pf_bytes_free(&st->acc_id);
    pf_bytes_free(&st->cur_format);
    free(st);
}

static int fail(pf_dec *d, chat_st *st, size_t kind, const char *msg) {
    st->failed = 1;
    return pf_dec_error(d, kind, (size_t)-1, msg);
}

/* ---- walked values ------------------------------------------------------------ */

/* ---- usage --------------------------------------------------------------------- */
/* docs/semantics.md#chat-completions-usage-and-metadata and docs/semantics.md#openrouter-usage-and-metadata */

static const char *const KNOWN_USAGE[] = {"prompt_tokens", "completion_tokens", "total_tokens",
                                          "prompt_tokens_details", "completion_tokens_details"};
static const size_t KNOWN_USAGE_LEN[] = {sizeof "prompt_tokens" - 1, sizeof "completion_tokens" - 1,
                                         sizeof "total_tokens" - 1, sizeof "prompt_tokens_details" - 1,
                                         sizeof "completion_tokens_details" - 1};
#define USAGE_OTHER_MAX 32   /* keys outside KNOWN_USAGE one walk remembers (more: Python reads the usage) */

/* The index of an (unescaped) usage key in KNOWN_USAGE, or -1. */
static int known_usage(pf_val k) {
    for (int j = 0; j < 5; j++)
        if (k.len == KNOWN_USAGE_LEN[j] && memcmp(k.p, KNOWN_USAGE[j], k.len) == 0) return j;
    return -1;
}

/* One walk of a usage object (a RAW value): the last values of KNOWN_USAGE's keys in f[0..5) (f
 * may be NULL), and in *found (may be NULL) whether a key outside them has a last value that is
 * not null. Keys are compared unescaped, as pf_raw_fields does. Past USAGE_OTHER_MAX other keys,
 * or one of 256 bytes or more, or holding a NUL, Python reads the usage (d->fallback). */
static int usage_walk(pf_dec *d, pf_val u, pf_val *f, int *found) {
    pf_val none = {-1, NULL, 0, -1}, k, v;
    if (f) for (int j = 0; j < 5; j++) f[j] = none;
    if (found) *found = 0;
    struct { size_t off, n; int null; } other[USAGE_OTHER_MAX];
    uint8_t keys[USAGE_OTHER_MAX * 64];   /* the other keys' bytes (an escaped one is in t only) */
    size_t nother = 0, used = 0, i = 0;
    pf_bytes *t = &d->tmp[d->tmp_next++ & 15];
    int rc;
    while ((rc = pf_raw_next_member(u, &i, t, &k, &v)) > 0) {
        int known = known_usage(k);
        if (known >= 0) {
            if (f) f[known] = v;
        } else if (found) {
            if (k.len >= 256 || memchr(k.p, 0, k.len)) { d->fallback = 1; return 0; }
            size_t j = 0;
            while (j < nother && !(other[j].n == k.len && memcmp(keys + other[j].off, k.p, k.len) == 0)) j++;
            if (j == nother) {   /* a new key; a repeated one takes its last value */
                if (nother == USAGE_OTHER_MAX || used + k.len > sizeof keys) { d->fallback = 1; return 0; }
                memcpy(keys + used, k.p, k.len);
                other[j].off = used;
                other[j].n = k.len;
                used += k.len;
                nother++;
            }
            other[j].null = v.kind == PF_K_NULL;
        }
    }
    if (found)
        for (size_t j = 0; j < nother; j++) *found |= !other[j].null;
    return rc;
}

/* The usage object u kept whole when it has extra fields (has_extras, extras); extras: whether it
 * has (usage_walk's found). */
static int keep_extras(pf_dec *d, chat_st *st, pf_val u, int extras) {
    if (d->fallback || !extras) return 0;
    st->has_extras = 1;
    return pf_set_bytes(&st->extras, u.p, u.len) ? PF_ERR_NOMEM : 0;
}

#define CHILD_I(v, parent, n, out) pf_val_i(pf_view_child(v, parent, st->node[n]), out)

static int chunk_usage(pf_dec *d, chat_st *st, const pf_view *v, pf_val root) {
    pf_val u = pf_view_child(v, root, st->node[N_USAGE]);
    int64_t total = 0;
    if (CHILD_I(v, u, N_U_TOTAL, &total)) FALLBACK(d);
    if (total == 0) {
        st->has_usage = 0;
        st->acc = st->rej = 0;
        st->has_extras = 0;
        return 0;
    }
    int64_t prompt, completion, cached = 0, reasoning = 0;
    pf_val ptd = pf_view_child(v, u, st->node[N_U_PTD]), ctd = pf_view_child(v, u, st->node[N_U_CTD]);
    if (CHILD_I(v, u, N_U_PROMPT, &prompt) || CHILD_I(v, u, N_U_COMPLETION, &completion)
        || CHILD_I(v, ptd, N_U_CACHED, &cached) || CHILD_I(v, ctd, N_U_REASONING, &reasoning))
        FALLBACK(d);
    int64_t inp = prompt - cached;
    if (inp < 0) inp = 0;
    int router = st->variant == PF_CHAT_OPENROUTER || st->variant == PF_CHAT_VERCEL;
    if (!st->has_usage && !router) {  /* a new run of chunks with usage: fresh metadata */
        st->acc = st->rej = 0;
        st->has_extras = 0;
    }
    st->usage[0] = inp;
    st->usage[1] = completion;
    st->usage[2] = router ? inp + completion + cached : total;
    st->usage[3] = reasoning;
    st->usage[4] = 0;
    st->usage[5] = cached;
    st->has_usage = 1;
    if (router) {
        pf_val pv = pf_view_child(v, root, st->node[N_PROVIDER]);
        TRY(pf_set_bytes(&st->usage_raw, u.p, u.len));
        st->provider_kind = pv.kind;
        TRY(pf_set_bytes(&st->provider, pv.p, pv.kind == PF_K_STRING || pv.kind == PF_K_NUMBER
                                          || pv.kind == PF_K_RAW ? pv.len : 0));
        return 0;
    }
    int64_t a = 0, r = 0;
    if (CHILD_I(v, ctd, N_U_ACCEPTED, &a) || CHILD_I(v, ctd, N_U_REJECTED, &r)) FALLBACK(d);
    if (a > 0) st->acc = a;
    if (r > 0) st->rej = r;
    int extras;
    pf_val raw = {PF_K_RAW, u.p, u.len, -1};
    TRY(usage_walk(d, raw, NULL, &extras));
    return keep_extras(d, st, u, extras);
}

/* ---- tool calls ------------------------------------------------------------------ */

static chat_call *find_call(chat_st *st, int64_t index) {
    for (size_t k = 0; k < st->ncalls; k++)
        if (st->calls[k].index == index) return &st->calls[k];
    return NULL;
}

static int finish_call(pf_dec *d, chat_call *c) {
    if (!c->args.len) TRY(pf_bytes_append(&c->args, (const uint8_t *)"{}", 2));
    c->finished = 1;
    return pf_dec_part3(d, PF_PT_TOOL_INPUT_END, c->id.p, c->id.len, NULL, 0, NULL, 0, 0);
}

static int tool_delta(pf_dec *d, chat_st *st, const pf_view *v, pf_val tc) {
    int64_t index;
    if (pf_val_i(pf_view_child(v, tc, st->node[N_TC_INDEX]), &index)) FALLBACK(d);
    pf_val fn = pf_view_child(v, tc, st->node[N_TC_FN]);
    const uint8_t *args, *name, *typ, *cid;
    size_t argsn, namen, typn, cidn;
    if (pf_val_s(pf_view_child(v, fn, st->node[N_FN_ARGS]), &args, &argsn)) FALLBACK(d);
    chat_call *c = find_call(st, index);
    if (c) {
        if (c->finished || !argsn) return 0;
        TRY(pf_bytes_append(&c->args, args, argsn));
        return pf_dec_delta(d, PF_PT_TOOL_INPUT_DELTA, c->id.p, c->id.len, args, argsn, 0);
    }
    if (pf_val_s(pf_view_child(v, fn, st->node[N_FN_NAME]), &name, &namen)) FALLBACK(d);
    if (!namen && !argsn) return 0;
    if (pf_val_s(pf_view_child(v, tc, st->node[N_TC_TYPE]), &typ, &typn)) FALLBACK(d);
    if (typn && !pf_eq(typ, typn, "function"))
        return fail(d, st, PF_EK_PROVIDER_RESPONSE, "invalid provider response: expected 'function' type.");
    if (pf_val_s(pf_view_child(v, tc, st->node[N_TC_ID]), &cid, &cidn)) FALLBACK(d);
    char idbuf[48];
    if (!cidn) {
        snprintf(idbuf, sizeof idbuf, "tool-call-%lld", (long long)index);
        cid = (const uint8_t *)idbuf;
        cidn = strlen(idbuf);
    }
    /* every earlier unfinished call ends, in ascending index order (calls are kept sorted) */
    size_t pos = 0;
    for (; pos < st->ncalls && st->calls[pos].index < index; pos++)
        if (!st->calls[pos].finished) TRY(finish_call(d, &st->calls[pos]));
    TRY(pf_dec_part3(d, PF_PT_TOOL_INPUT_START, cid, cidn, NULL, 0, name, namen, 0));
    if (st->ncalls == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 4;
        chat_call *nc = (chat_call *)realloc(st->calls, cap * sizeof(chat_call));
        if (!nc) return PF_ERR_NOMEM;
        st->calls = nc;
        st->cap = cap;
    }
    memmove(st->calls + pos + 1, st->calls + pos, (st->ncalls - pos) * sizeof(chat_call));
    st->ncalls++;
    c = &st->calls[pos];
    memset(c, 0, sizeof *c);
    c->index = index;
    TRY(pf_bytes_append(&c->id, cid, cidn));
    TRY(pf_bytes_append(&c->name, name, namen));
    TRY(pf_bytes_append(&c->args, args, argsn));
    if (argsn) return pf_dec_delta(d, PF_PT_TOOL_INPUT_DELTA, cid, cidn, args, argsn, 0);
    return 0;
}

/* ---- reasoning ------------------------------------------------------------------------ */

static int compat_reasoning(pf_dec *d, chat_st *st, const pf_view *v, pf_val dd, long idx, int text, int tcs) {
    pf_val rc = pf_view_child(v, dd, st->node[N_D_RC]), r = pf_view_child(v, dd, st->node[N_D_R]);
    int has_key = rc.kind >= 0 || r.kind >= 0;
    if ((rc.kind >= 0 && rc.kind != PF_K_NULL && rc.kind != PF_K_STRING)
        || (r.kind >= 0 && r.kind != PF_K_NULL && r.kind != PF_K_STRING))
        return fail(d, st, PF_EK_PROVIDER_RESPONSE, "stream error: error unmarshalling delta");
    const uint8_t *t = (const uint8_t *)"";
    size_t tn = 0;
    if (rc.kind == PF_K_STRING && rc.len) { t = rc.p; tn = rc.len; }
    else if (r.kind == PF_K_STRING && r.len) { t = r.p; tn = r.len; }
    char rid[24];
    size_t ridn = pf_i64_text(idx, rid);
    if (tn || has_key) {
        if (!st->reasoning_open) {
            TRY(pf_dec_part3(d, PF_PT_REASONING_START, (const uint8_t *)rid, ridn, NULL, 0, NULL, 0, 0));
            st->reasoning_open = 1;
        }
        return pf_dec_delta(d, PF_PT_REASONING_DELTA, (const uint8_t *)rid, ridn, t, tn, 0);
    }
    if (st->reasoning_open && (text || tcs)) {
        st->reasoning_open = 0;
        return pf_dec_part3(d, PF_PT_REASONING_END, (const uint8_t *)rid, ridn, NULL, 0, NULL, 0, 0);
    }
    return 0;
}

/* Fields of a reasoning_details element, in this order. */
enum { X_TYPE, X_FORMAT, X_TEXT, X_SUMMARY, X_DATA, X_SIGNATURE, X_ID, X_INDEX, X_COUNT };
static const char *const X_KEYS[X_COUNT] = {"type", "format", "text", "summary", "data", "signature", "id", "index"};

/* _details(): a list of objects whose known keys are strings or null and index an integer or
 * null. *count elements; x = the first one's fields. */
static int details_ok(pf_dec *d, pf_val rd, pf_val *x, int *count) {
    *count = 0;
    if (!(rd.kind == PF_K_RAW && rd.p[0] == '[')) return 0;
    size_t i = 0;
    pf_val el, f[X_COUNT];
    while (pf_raw_next(rd, &i, &el)) {
        if (!(el.kind == PF_K_RAW && el.p[0] == '{')) return 0;
        pf_raw_fields(d, el, X_KEYS, X_COUNT, f);
        for (size_t k = 0; k < X_INDEX; k++)
            if (f[k].kind >= 0 && f[k].kind != PF_K_NULL && f[k].kind != PF_K_STRING) return 0;
        pf_val ix = f[X_INDEX];
        if (ix.kind >= 0 && ix.kind != PF_K_NULL) {
            if (ix.kind != PF_K_NUMBER || !pf_lex_is_int(ix.p, ix.len)) return 0;
        }
        if (!*count) memcpy(x, f, sizeof f);
        (*count)++;
    }
    return 1;
}

/* A validated field as x.get(key) or "": its string, unescaped. */
static int field_str(pf_dec *d, pf_val v, const uint8_t **p, size_t *n) {
    *p = (const uint8_t *)"";
    *n = 0;
    if (v.kind != PF_K_STRING) return 0;
    if (pf_raw_str(d, &v)) return PF_ERR_NOMEM;
    *p = v.p;
    *n = v.len;
    return 0;
}

#define R0 (const uint8_t *)"0", 1

/* A responses-format summary delta: entry `entry` of the open block's summary gets `t`
 * (a new entry when it is len(summary); its delta text then starts with a line break).
 * Runs of them in one feed become one delta: the delta record is extended, and the
 * summary changes point into its text (META records after it, on the same object). */
static int summary_delta(pf_dec *d, chat_st *st, size_t entry, int nl, const uint8_t *t, size_t n) {
    size_t m1 = (size_t)st->cur_meta + 1, j = d->parts.len / PF_PART_W;
    size_t *dl = NULL;
    while (j > 0 && d->parts.p[(j - 1) * PF_PART_W] == PF_PT_META && d->parts.p[(j - 1) * PF_PART_W + 1] == m1 - 1) j--;
    if (j > 0) {
        size_t *r = d->parts.p + (j - 1) * PF_PART_W;
        if (r[0] == PF_PT_REASONING_DELTA && r[7] == m1 && r[2] == 1 && d->arena.p[r[1]] == '0'
            && r[3] + r[4] == d->arena.len)
            dl = r;
    }
    size_t io = 0, start;
    if (!dl) TRY(pf_dec_put(d, (const uint8_t *)"0", 1, &io));
    start = d->arena.len;
    if (nl) TRY(pf_bytes_push(&d->arena, '\n'));
    TRY(pf_bytes_append(&d->arena, t, n));
    if (dl) {
        dl = d->parts.p + (j - 1) * PF_PART_W;
        dl[4] += (size_t)nl + n;
    } else {
        TRY(pf_dec_part(d, PF_PT_REASONING_DELTA, io, 1, start, (size_t)nl + n, 0, 0, m1));
    }
    size_t *last = d->parts.p + d->parts.len - PF_PART_W;
    if (!nl && last[0] == PF_PT_META && last[1] == m1 - 1 && last[2] == PF_MO_RESPONSES_SUMMARY && last[7] == entry
        && last[3] + last[4] == start) {
        last[4] += n;
        return 0;
    }
    return pf_dec_part(d, PF_PT_META, m1 - 1, PF_MO_RESPONSES_SUMMARY, start + (size_t)nl, n, 0, 0, entry);
}

static int router_reasoning(pf_dec *d, chat_st *st, const pf_view *v, pf_val dd, int text, int tcs) {
    int vercel = st->variant == PF_CHAT_VERCEL;
    pf_val rd = pf_view_child(v, dd, st->node[N_D_RD]);
    pf_val x[X_COUNT];
    int count = 0;
    if (rd.kind >= 0 && rd.kind != PF_K_NULL && !details_ok(d, rd, x, &count))
        return fail(d, st, PF_EK_PROVIDER_RESPONSE, "stream error: error unmarshalling delta");
    pf_val pr = pf_view_child(v, dd, st->node[N_D_R]);
    const uint8_t *plain = (const uint8_t *)"";
    size_t plainn = 0;
    if (pr.kind == PF_K_STRING) { plain = pr.p; plainn = pr.len; }
    const uint8_t *fmt, *typ, *data, *summary, *txt, *sig, *xid;
    size_t fmtn, typn, datan, summaryn, txtn, sign, xidn;
    if (count) {
        TRY(field_str(d, x[X_FORMAT], &fmt, &fmtn));
        TRY(field_str(d, x[X_TYPE], &typ, &typn));
        TRY(field_str(d, x[X_DATA], &data, &datan));
        TRY(field_str(d, x[X_SUMMARY], &summary, &summaryn));
        TRY(field_str(d, x[X_TEXT], &txt, &txtn));
        TRY(field_str(d, x[X_SIGNATURE], &sig, &sign));
        TRY(field_str(d, x[X_ID], &xid, &xidn));
    }
    if (!st->cur) {
        if (!count) {
            if (vercel && plainn) {
                st->cur = 1;
                st->cur_format.len = 0;
                st->cur_meta = -1;
                TRY(pf_dec_part3(d, PF_PT_REASONING_START, R0, E0, E0, 0));
                return pf_dec_delta(d, PF_PT_REASONING_DELTA, R0, plain, plainn, 0);
            }
            return 0;
        }
        int responses = pf_starts(fmt, fmtn, "openai-responses") || pf_starts(fmt, fmtn, "xai-responses");
        int google = pf_starts(fmt, fmtn, "google-gemini");
        if (responses && datan) {
            int a, b;
            TRY(pf_dec_new_meta(d, PF_MO_RESPONSES_NEW, summary, summaryn, E0, &a));
            TRY(pf_dec_part3(d, PF_PT_REASONING_START, R0, summary, summaryn, E0, (size_t)a + 1));
            TRY(pf_dec_new_meta(d, PF_MO_RESPONSES_NEW, summary, summaryn, E0, &b));
            TRY(pf_dec_meta(d, b, PF_MO_RESPONSES_ENCRYPTED, xid, xidn, data, datan, 0));
            return pf_dec_part3(d, PF_PT_REASONING_END, R0, E0, E0, (size_t)b + 1);
        }
        if (google && pf_eq(typ, typn, "reasoning.encrypted")) {
            int g;
            TRY(pf_dec_part3(d, PF_PT_REASONING_START, R0, E0, E0, 0));
            TRY(pf_dec_new_meta(d, PF_MO_GOOGLE_NEW, data, datan, xid, xidn, &g));
            return pf_dec_part3(d, PF_PT_REASONING_END, R0, E0, E0, (size_t)g + 1);
        }
        int m = -1;
        if (responses) {
            TRY(pf_dec_new_meta(d, PF_MO_RESPONSES_NEW, summary, summaryn, E0, &m));
            st->cur_summary = 1;
        } else if (google) {
            TRY(pf_dec_new_meta(d, PF_MO_GOOGLE_NEW, E0, E0, &m));
        }
        st->cur = 1;
        st->cur_meta = m;
        TRY(pf_set_bytes(&st->cur_format, fmt, fmtn));
        TRY(pf_dec_part3(d, PF_PT_REASONING_START, R0, E0, E0, (size_t)(m + 1)));
        int ga = pf_contains(fmt, fmtn, "google-gemini") || pf_contains(fmt, fmtn, "anthropic-claude");
        const uint8_t *first;
        size_t firstn;
        if (ga) { first = txt; firstn = txtn; }
        else if (vercel) { first = summaryn ? summary : txt; firstn = summaryn ? summaryn : txtn; }
        else { first = summary; firstn = summaryn; }
        if (firstn) return pf_dec_delta(d, PF_PT_REASONING_DELTA, R0, first, firstn, 0);
        return 0;
    }
    const uint8_t *cf = pf_bp(&st->cur_format);
    size_t cfn = st->cur_format.len;
    if (!count) {
        if (vercel && plainn) return pf_dec_delta(d, PF_PT_REASONING_DELTA, R0, plain, plainn, 0);
        if (!vercel && pf_starts(cf, cfn, "anthropic-claude")) return 0;
        if (text || tcs) {
            st->cur = 0;
            return pf_dec_part3(d, PF_PT_REASONING_END, R0, E0, E0, 0);
        }
        return 0;
    }
    size_t meta = (size_t)(st->cur_meta + 1);
    if (pf_starts(cf, cfn, "openai-responses") || pf_starts(cf, cfn, "xai-responses")) {
        if (datan) {
            TRY(pf_dec_meta(d, st->cur_meta, PF_MO_RESPONSES_ENCRYPTED, xid, xidn, data, datan, 0));
            st->cur = 0;
            return pf_dec_part3(d, PF_PT_REASONING_END, R0, E0, E0, meta);
        }
        int64_t idx = 0;
        if (pf_val_i(x[X_INDEX], &idx)) FALLBACK(d);
        if (idx >= 0 && (uint64_t)idx < st->cur_summary) return summary_delta(d, st, (size_t)idx, 0, summary, summaryn);
        return summary_delta(d, st, st->cur_summary++, 1, summary, summaryn);
    }
    if (pf_starts(cf, cfn, "anthropic-claude")) {
        if (sign) {
            int a;
            TRY(pf_dec_new_meta(d, PF_MO_ANTHROPIC_NEW, sig, sign, E0, &a));
            TRY(pf_dec_part3(d, PF_PT_REASONING_DELTA, R0, txt, txtn, E0, (size_t)a + 1));
            st->cur = 0;
            return pf_dec_part3(d, PF_PT_REASONING_END, R0, E0, E0, 0);
        }
        return pf_dec_delta(d, PF_PT_REASONING_DELTA, R0, txt, txtn, 0);
    }
    if (pf_starts(cf, cfn, "google-gemini")) {
        if (pf_eq(typ, typn, "reasoning.encrypted")) {
            TRY(pf_dec_meta(d, st->cur_meta, PF_MO_GOOGLE_SET, data, datan, xid, xidn, 0));
            st->cur = 0;
            return pf_dec_part3(d, PF_PT_REASONING_END, R0, E0, E0, meta);
        }
        return pf_dec_delta(d, PF_PT_REASONING_DELTA, R0, txt, txtn, 0);
    }
    return pf_dec_delta(d, PF_PT_REASONING_DELTA, R0, txt, txtn, 0);
}

/* ---- one chunk (docs/semantics.md#chat-completions-streaming) ------------------------------ */

static int accumulate(pf_dec *d, chat_st *st, const pf_view *v, pf_val root, pf_val choices) {
    const uint8_t *cid;
    size_t cidn;
    if (pf_val_s(pf_view_child(v, root, st->node[N_ID]), &cid, &cidn)) FALLBACK(d);
    if (!st->acc_id_set || !st->acc_id.len) {
        TRY(pf_set_bytes(&st->acc_id, cid, cidn));
        st->acc_id_set = 1;
    } else if (!(cidn == st->acc_id.len && memcmp(cid, st->acc_id.p, cidn) == 0)) {
        return 0;
    }
    long k = choices.rec;
    pf_val ch;
    while (pf_view_next(v, choices, &k, &ch)) {
        int64_t index;
        if (pf_val_i(pf_view_child(v, ch, st->node[N_C_INDEX]), &index)) FALLBACK(d);
        if (index != 0) continue;
        st->acc_choice0 = 1;
        pf_val dd = pf_view_child(v, ch, st->node[N_DELTA]);
        pf_val tcs = pf_view_child(v, dd, st->node[N_D_TOOLS]);
        if (tcs.kind == PF_K_ARRAY && tcs.len) st->acc_tools = 1;
        pf_val lp = pf_view_child(v, ch, st->node[N_C_LOGPROBS]);
        pf_val content = pf_raw_get(d, lp, "content");
        size_t i = 0;
        pf_val el;
        if (pf_raw_next(content, &i, &el)) FALLBACK(d);   /* logprobs: the Python state machine */
    }
    return 0;
}

static int chat_chunk(pf_dec *d, const pf_view *v, const uint8_t *name, size_t name_len, uint64_t offset) {
    chat_st *st = (chat_st *)d->st;
    (void)name, (void)name_len, (void)offset;   /* chat chunks are all "message" events */
    if (st->failed) return 0;
    pf_val root = pf_view_val(v, 0);
    pf_val err = pf_view_child(v, root, st->node[N_ERROR]);
    if (err.kind >= 0) {
        st->failed = 1;
        return pf_dec_error_value(d, PF_EK_PROVIDER_ERROR, err);
    }
    pf_val choices = pf_view_child(v, root, st->node[N_CHOICES]);
    if (choices.kind != PF_K_ARRAY) choices.rec = -1, choices.kind = -1, choices.len = 0;
    TRY(accumulate(d, st, v, root, choices));
    if (d->fallback) return 0;
    TRY(chunk_usage(d, st, v, root));
    if (d->fallback || !choices.len) return 0;
    long k = choices.rec, idx = 0;
    pf_val ch;
    for (; pf_view_next(v, choices, &k, &ch); idx++) {
        pf_val delta = pf_view_child(v, ch, st->node[N_DELTA]);
        const uint8_t *fr, *text;
        size_t frn, textn;
        if (pf_val_s(pf_view_child(v, ch, st->node[N_C_FINISH]), &fr, &frn)) FALLBACK(d);
        if (frn) TRY(pf_set_bytes(&st->finish_raw, fr, frn));
        if (pf_val_s(pf_view_child(v, delta, st->node[N_D_CONTENT]), &text, &textn)) FALLBACK(d);
        if (textn) {
            if (!st->text_open) {
                TRY(pf_dec_part3(d, PF_PT_TEXT_START, R0, E0, E0, 0));
                st->text_open = 1;
            }
            TRY(pf_dec_delta(d, PF_PT_TEXT_DELTA, R0, text, textn, 0));
        }
        pf_val tcs = pf_view_child(v, delta, st->node[N_D_TOOLS]);
        int has_tcs = tcs.kind == PF_K_ARRAY && tcs.len;
        if (has_tcs) {
            if (st->text_open) {
                TRY(pf_dec_part3(d, PF_PT_TEXT_END, R0, E0, E0, 0));
                st->text_open = 0;
            }
            long j = tcs.rec;
            pf_val tc;
            while (pf_view_next(v, tcs, &j, &tc)) {
                TRY(tool_delta(d, st, v, tc));
                if (st->failed || d->fallback) return 0;
            }
        }
        if (st->variant != PF_CHAT_OPENAI) {
            if (delta.kind != PF_K_OBJECT)
                return fail(d, st, PF_EK_PROVIDER_RESPONSE, "stream error: error unmarshalling delta");
            if (st->variant == PF_CHAT_COMPAT) TRY(compat_reasoning(d, st, v, delta, idx, textn > 0, has_tcs));
            else if (idx == 0) TRY(router_reasoning(d, st, v, delta, textn > 0, has_tcs));
            if (st->failed || d->fallback) return 0;
        }
    }
    k = choices.rec;
    while (pf_view_next(v, choices, &k, &ch)) {
        pf_val anns = pf_view_child(v, pf_view_child(v, ch, st->node[N_DELTA]), st->node[N_D_ANN]);
        size_t i = 0;
        pf_val an;
        while (pf_raw_next(anns, &i, &an)) {
            pf_val typ = pf_raw_get(d, an, "type");
            TRY(pf_raw_str(d, &typ));
            if (!(typ.kind == PF_K_STRING && pf_eq(typ.p, typ.len, "url_citation"))) continue;
            pf_val uc = pf_raw_get(d, an, "url_citation");
            pf_val url = pf_raw_get(d, uc, "url"), title = pf_raw_get(d, uc, "title");
            if (url.kind != PF_K_STRING || title.kind != PF_K_STRING) continue;
            TRY(pf_raw_str(d, &url));
            TRY(pf_raw_str(d, &title));
            TRY(pf_dec_part3(d, PF_PT_SOURCE, pf_bp(&st->acc_id), st->acc_id.len,
                             url.p, url.len, title.p, title.len, (size_t)st->sources));
            st->sources++;
        }
    }
    return 0;
}

/* ---- written-back JSON (Python's raw_text of a parsed value), for the simple values ---- */

/* Is p[0..n) (one JSON value) written as Python writes it back: Python's raw_text spelling,
 * or a "-0" integer at the top (written "0", put_simple)? */
static int simple_value(const uint8_t *p, size_t n) {
    size_t e;
    if (n == 2 && p[0] == '-' && p[1] == '0') return 1;
    return n && pf_canon_value(p, n, 0, &e, 0) && e == n;
}

/* Append the written-back text of simple value p[0..n) to the output arena. */
static int put_simple(pf_dec *d, const uint8_t *p, size_t n, size_t *off) {
    if (n == 2 && p[0] == '-' && p[1] == '0') return pf_dec_put(d, (const uint8_t *)"0", 1, off);
    return pf_dec_put(d, p, n, off);
}

/* The extra usage fields (keys outside KNOWN_USAGE whose last value is not null, in first-key
 * order) as EXTRA records; 0 with *ok = 0 when one of them is not simple (Python builds them). */
static int extra_records(pf_dec *d, const uint8_t *p, size_t n, int *ok) {
    pf_val u = {PF_K_RAW, p, n, -1}, k, v;
    size_t start = d->parts.len, i = 0;
    pf_bytes *t = &d->tmp[d->tmp_next++ & 15];
    int rc;
    *ok = 1;
    while ((rc = pf_raw_next_member(u, &i, t, &k, &v)) > 0) {
        if (known_usage(k) >= 0) continue;
        if (!simple_value(v.p, v.len)) { *ok = 0; d->parts.len = start; return 0; }
        size_t *dup = NULL;   /* a repeated key keeps its first place and takes the last value */
        for (size_t r = start; r < d->parts.len; r += PF_PART_W)
            if (d->parts.p[r + 2] == k.len && memcmp(d->arena.p + d->parts.p[r + 1], k.p, k.len) == 0)
                dup = d->parts.p + r;
        size_t vo;
        TRY(put_simple(d, v.p, v.len, &vo));
        if (dup) {
            dup[3] = vo;
            dup[4] = d->arena.len - vo;
        } else {
            size_t ko;
            TRY(pf_dec_put(d, k.p, k.len, &ko));
            TRY(pf_dec_part(d, PF_PT_EXTRA, ko, k.len, vo, d->arena.len - vo - k.len, 0, 0, 0));
            /* the key was put after the value: fix the spans */
            size_t *r = d->parts.p + d->parts.len - PF_PART_W;
            r[3] = vo;
            r[4] = ko - vo;
        }
    }
    if (rc) return rc;
    /* a key whose last value is null is no extra field */
    size_t o = start;
    for (size_t r = start; r < d->parts.len; r += PF_PART_W) {
        const size_t *x = d->parts.p + r;
        if (x[4] == 4 && memcmp(d->arena.p + x[3], "null", 4) == 0) continue;
        if (o != r) memmove(d->parts.p + o, x, PF_PART_W * sizeof(size_t));
        o += PF_PART_W;
    }
    d->parts.len = o;
    return 0;
}

/* A JSON number's float64 as Go reads it into a float64 field (an integer's sign is lost with
 * its zero, as Python's float(int) loses it; out of range: 0, the field left unset). */
static double go_float(const uint8_t *p, size_t n) {
    char buf[32];
    memcpy(buf, p, n);
    buf[n] = 0;
    double v = strtod(buf, NULL);
    if (!(v - v == 0.0)) return 0.0;   /* inf (nan cannot come from JSON) */
    if (v == 0.0) return pf_lex_is_int(p, n) ? 0.0 : v;
    return v;
}

/* OpenRouter's usage metadata as a ROUTER record; *ok = 0 when Python must read it. */
static int router_record(pf_dec *d, const uint8_t *p, size_t n, int *ok) {
    static const char *const KEYS[] = {"prompt_tokens", "completion_tokens", "total_tokens", "cost",
                                       "prompt_tokens_details", "completion_tokens_details", "cost_details"};
    static const char *const COSTS[] = {"upstream_inference_cost", "upstream_inference_prompt_cost",
                                        "upstream_inference_completions_cost"};
    pf_val u = {PF_K_RAW, p, n, -1}, f[7], cd[3];
    pf_raw_fields(d, u, KEYS, 7, f);
    pf_val cached = pf_raw_get(d, f[4], "cached_tokens"), reasoning = pf_raw_get(d, f[5], "reasoning_tokens");
    pf_raw_fields(d, f[6], COSTS, 3, cd);
    pf_val ints[5] = {f[0], cached, f[1], reasoning, f[2]};
    int64_t iv[5];
    *ok = 0;
    for (int k = 0; k < 5; k++) {
        iv[k] = 0;
        pf_val x = ints[k];
        if (x.kind != PF_K_NUMBER) continue;
        int is_int = 1;
        for (size_t j = 0; j < x.len; j++) if (x.p[j] == '.' || x.p[j] == 'e' || x.p[j] == 'E') is_int = 0;
        if (is_int && (pf_val_i(x, &iv[k]) || iv[k] < 0)) return 0;   /* past int64, or negative: Python */
    }
    pf_val costs[4] = {f[3], cd[0], cd[1], cd[2]};
    const char *point = localeconv()->decimal_point;
    if (point[0] != '.' || point[1]) return 0;   /* strtod would read "1.5" otherwise: Python reads them */
    size_t start = d->arena.len;
    for (int k = 0; k < 4; k++) {
        pf_val x = costs[k];
        d->out->fin_costs[k] = 0.0;
        if (k) TRY(pf_bytes_push(&d->arena, 0));
        if (x.kind != PF_K_NUMBER) continue;
        if (x.len > 20) { d->arena.len = start; return 0; }   /* long numbers: Python's float rules */
        TRY(pf_bytes_append(&d->arena, x.p, x.len));
        d->out->fin_costs[k] = go_float(x.p, x.len);
    }
    *ok = 1;
    return pf_dec_part(d, PF_PT_ROUTER, (size_t)iv[0], (size_t)iv[1], (size_t)iv[2], (size_t)iv[3], (size_t)iv[4],
                       start, d->arena.len - start);
}

/* ---- the end of the stream (docs/semantics.md#chat-completions-streaming, step 6) -------- */

static int map_finish(const uint8_t *p, size_t n) {
    if (pf_eq(p, n, "stop")) return PF_FR_STOP;
    if (pf_eq(p, n, "length")) return PF_FR_LENGTH;
    if (pf_eq(p, n, "content_filter")) return PF_FR_CONTENT_FILTER;
    if (pf_eq(p, n, "tool_calls") || pf_eq(p, n, "function_call")) return PF_FR_TOOL_CALLS;
    return PF_FR_UNKNOWN;
}

static int finish_records(pf_dec *d, chat_st *st, int finish, size_t flags_in);

static int chat_done(pf_dec *d) {
    chat_st *st = (chat_st *)d->st;
    if (st->failed) return 0;
    if (st->text_open) {
        TRY(pf_dec_part3(d, PF_PT_TEXT_END, R0, E0, E0, 0));
        st->text_open = 0;
    }
    for (size_t k = 0; k < st->ncalls; k++) {
        chat_call *c = &st->calls[k];
        if (!c->finished) TRY(finish_call(d, c));
        TRY(pf_dec_tool_call(d, pf_bp(&c->id), c->id.len, pf_bp(&c->args), c->args.len,
                             pf_bp(&c->name), c->name.len, 0));
    }
    int finish = map_finish(pf_bp(&st->finish_raw), st->finish_raw.len);
    if (st->acc_tools) finish = PF_FR_TOOL_CALLS;
    if (!st->finish_raw.len && finish != PF_FR_TOOL_CALLS) {
        st->failed = 1;
        return pf_dec_error(d, PF_EK_TRUNCATED, (size_t)-1, "stream transport error: unexpected EOF");
    }
    return finish_records(d, st, finish, st->acc_choice0 ? PF_FIN_CHOICE0 : 0);
}

/* The USAGE, ROUTER and EXTRA records and the FINISH record of the usage and metadata in
 * `st` (usage, usage_raw, provider, extras, predictions); `flags` added to FINISH's. */
static int finish_records(pf_dec *d, chat_st *st, int finish, size_t flags_in) {
    pf_dec_out *o = d->out;
    size_t flags = 0, uo = 0, un = 0, po = 0, pn = 0, pk = 0;
    memcpy(o->fin_usage, st->usage, sizeof st->usage);
    o->fin_accepted = st->acc;
    o->fin_rejected = st->rej;
    o->fin_extras_off = o->fin_extras_len = 0;
    if (st->has_usage) {
        flags |= PF_FIN_USAGE;
        int neg = 0;
        for (int k = 0; k < 6; k++) neg |= st->usage[k] < 0;
        TRY(pf_dec_part(d, PF_PT_USAGE, (size_t)st->usage[0], (size_t)st->usage[1], (size_t)st->usage[2],
                        (size_t)st->usage[3], (size_t)st->usage[4], (size_t)st->usage[5], (size_t)neg));
        if (st->acc || st->rej) flags |= PF_FIN_PREDICTION;
        TRY(pf_dec_put(d, st->usage_raw.p, st->usage_raw.len, &uo));
        un = st->usage_raw.len;
        if (st->provider_kind < 0) {
            pk = 0;
        } else if (st->provider_kind == PF_K_STRING) {
            /* a string is written back quoted: simple ones here, others by Python */
            int simple = 1;
            for (size_t k = 0; k < st->provider.len; k++)
                if (st->provider.p[k] < 0x20 || st->provider.p[k] > 0x7e || st->provider.p[k] == '"'
                    || st->provider.p[k] == '\\') simple = 0;
            if (simple) {
                TRY(pf_dec_put(d, (const uint8_t *)"\"", 1, &po));
                TRY(pf_bytes_append(&d->arena, st->provider.p, st->provider.len));
                TRY(pf_bytes_push(&d->arena, '"'));
                pn = st->provider.len + 2;
                pk = 1;
            }
        }
        if (pk == 0 && st->provider_kind >= 0) {
            TRY(pf_dec_put(d, st->provider.p, st->provider.len, &po));
            pn = st->provider.len;
            pk = (size_t)st->provider_kind + 2;
        }
        if (st->variant == PF_CHAT_OPENROUTER) {
            int ok;
            TRY(router_record(d, st->usage_raw.p, st->usage_raw.len, &ok));
        }
        if (st->has_extras) {
            int ok;
            flags |= PF_FIN_EXTRAS;
            TRY(extra_records(d, st->extras.p, st->extras.len, &ok));
            if (ok) {
                flags |= PF_FIN_EXTRA_RECORDS;
            } else {
                TRY(pf_dec_put(d, st->extras.p, st->extras.len, &o->fin_extras_off));
                o->fin_extras_len = st->extras.len;
            }
        }
    }
    flags |= flags_in;
    return pf_dec_part(d, PF_PT_FINISH, (size_t)finish, flags, uo, un, po, pn, pk);
}

static void chat_reset(void *p) {
    chat_st *st = (chat_st *)p;
    for (size_t k = 0; k < st->ncalls; k++) {
        pf_bytes_free(&st->calls[k].id);
        pf_bytes_free(&st->calls[k].name);
        pf_bytes_free(&st->calls[k].args);
    }
    chat_st keep = *st;
    memset(st, 0, sizeof *st);
    st->variant = keep.variant;
    memcpy(st->node, keep.node, sizeof st->node);
    st->calls = keep.calls;
    st->cap = keep.cap;
#define KEEP(f) do { st->f = keep.f; st->f.len = 0; } while (0)
    KEEP(finish_raw); KEEP(extras); KEEP(usage_raw); KEEP(provider); KEEP(acc_id); KEEP(cur_format);
#undef KEEP
    st->cur_meta = -1;
    st->provider_kind = -1;
}

static const pf_dec_vt CHAT_VT = {chat_chunk, chat_done, chat_free, chat_reset};

/* The spec and its node ids, built once per process. */
static pf_jspec *chat_spec(int32_t *node) {
    static pf_jspec *spec;
    static int32_t nodes[N_COUNT];
    return pf_dec_spec(&spec, nodes, PATHS, sizeof PATHS / sizeof PATHS[0], NODE_PATHS, N_COUNT, node);
}

pf_dec *pf_chat_new(int variant) {
    chat_st *st = (chat_st *)calloc(1, sizeof(chat_st));
    if (!st) return NULL;
    st->variant = variant;
    st->cur_meta = -1;
    st->provider_kind = -1;
    pf_jspec *spec = chat_spec(st->node);
    return pf_dec_make(&CHAT_VT, spec, PF_SCAN_SSE, "[DONE]", 1, st);
}

/* ---- non-streaming bodies (docs/semantics.md#chat-completions-non-streaming) -------------
 * The C twin of openai_chat.decode_generate: the first choice's message (text, the variant's
 * reasoning, tool calls, url citations), its finish reason, the usage and the metadata, as
 * part records for the whole-body assembly (then agent.Generate's rules in Python). Bodies it
 * does not reproduce go to Python: not JSON, not an object, no choices, OpenRouter/Vercel
 * reasoning_details, logprobs, lenient reads past what pf_val_s / pf_val_i do. */

enum {
    D_ROOT, D_ID, D_PROVIDER, D_USAGE, D_CHOICES, D_CHOICE, D_FINISH, D_LOGPROBS, D_MSG, D_CONTENT, D_TOOLS,
    D_ANNS, D_RC, D_R, D_RD, D_COUNT
};
#define MSG "choices.*.message."
static const pf_path DOC_PATHS[] = {
    {"id", 0}, {"error", 0}, {"provider", 0}, {"usage", 0}, {"choices.*.finish_reason", 0},
    {"choices.*.logprobs", 0}, {MSG "content", 0}, {MSG "tool_calls", 0}, {MSG "annotations", 0},
    {MSG "reasoning_content", 0}, {MSG "reasoning", 0}, {MSG "reasoning_details", 0},
};
static const char *const DOC_NODES[D_COUNT] = {
    "", "id", "provider", "usage", "choices", "choices.*", "choices.*.finish_reason", "choices.*.logprobs",
    "choices.*.message", MSG "content", MSG "tool_calls", MSG "annotations", MSG "reasoning_content",
    MSG "reasoning", MSG "reasoning_details",
};
#undef MSG

typedef struct {
    chat_st c;             /* first: chat_free and chat_reset work on it */
    int32_t dn[D_COUNT];
} doc_st;

/* lenient_str / lenient_int of a record or walked value; 1: beyond C (fall back) */
static int doc_s(pf_dec *d, pf_val v, const uint8_t **p, size_t *n, int *fb) {
    if (pf_raw_str(d, &v)) return PF_ERR_NOMEM;
    if (pf_val_s(v, p, n)) *fb = 1;
    return 0;
}

static int doc_i(pf_dec *d, pf_val v, int64_t *out, int *fb) {
    if (pf_raw_str(d, &v)) return PF_ERR_NOMEM;
    if (pf_val_i(v, out)) *fb = 1;
    return 0;
}

/* lenient_object: the value when it is an object, else none (every key absent). */
static pf_val doc_obj(pf_val v) {
    if (pf_val_is_obj(v)) {
        if (v.kind == PF_K_RAW) v.rec = -1;
        return v;
    }
    pf_val none = {-1, NULL, 0, -1};
    return none;
}

static const char *const TC_KEYS[2] = {"id", "function"};
static const char *const FN_KEYS[2] = {"name", "arguments"};
static const char *const ANN_KEYS[2] = {"type", "url_citation"};
static const char *const UC_KEYS[2] = {"url", "title"};

static int doc_calls(pf_dec *d, pf_val tcs, int *ncalls, int *fb) {
    size_t i = 0;
    pf_val el;
    tcs.rec = -1;
    while (pf_raw_next(tcs, &i, &el)) {
        pf_val tc = doc_obj(el), f[2], g[2] = {{-1, NULL, 0, -1}, {-1, NULL, 0, -1}};
        const uint8_t *id = (const uint8_t *)"", *name = id, *args = id;
        size_t idn = 0, namen = 0, argsn = 0;
        if (tc.kind >= 0) {
            pf_raw_fields(d, tc, TC_KEYS, 2, f);
            TRY(doc_s(d, f[0], &id, &idn, fb));
            pf_val fn = doc_obj(f[1]);
            if (fn.kind >= 0) pf_raw_fields(d, fn, FN_KEYS, 2, g);
            TRY(doc_s(d, g[0], &name, &namen, fb));
            TRY(doc_s(d, g[1], &args, &argsn, fb));
        }
        if (*fb) return 0;
        TRY(pf_dec_tool_call(d, id, idn, args, argsn, name, namen, 0));
        ++*ncalls;
    }
    return 0;
}

static int doc_sources(pf_dec *d, pf_val anns, const uint8_t *key, size_t keyn, int *fb) {
    size_t i = 0;
    int64_t k = 0;
    pf_val el;
    anns.rec = -1;
    for (; pf_raw_next(anns, &i, &el); k++) {
        pf_val a = doc_obj(el), f[2], g[2] = {{-1, NULL, 0, -1}, {-1, NULL, 0, -1}};
        if (a.kind < 0) continue;
        pf_raw_fields(d, a, ANN_KEYS, 2, f);
        if (f[0].kind != PF_K_STRING) continue;
        TRY(pf_raw_str(d, &f[0]));
        if (!pf_eq(f[0].p, f[0].len, "url_citation")) continue;
        pf_val uc = doc_obj(f[1]);
        if (uc.kind >= 0) pf_raw_fields(d, uc, UC_KEYS, 2, g);
        const uint8_t *url, *title;
        size_t urln, titlen;
        TRY(doc_s(d, g[0], &url, &urln, fb));
        TRY(doc_s(d, g[1], &title, &titlen, fb));
        if (*fb) return 0;
        TRY(pf_dec_part3(d, PF_PT_SOURCE, key, keyn, url, urln, title, titlen, (size_t)k));
    }
    return 0;
}

/* _usage_default / _usage_router, and what the metadata reads of the usage, into the chat state:
 * one walk of the usage (usage_walk), one of each details object. */
static int doc_usage(pf_dec *d, chat_st *st, pf_val uv, int *fb) {
    static const char *const CTD_KEYS[3] = {"reasoning_tokens", "accepted_prediction_tokens",
                                            "rejected_prediction_tokens"};
    pf_val u = doc_obj(uv), f[5], g[3];
    int router = st->variant == PF_CHAT_OPENROUTER || st->variant == PF_CHAT_VERCEL, extras = 0;
    TRY(usage_walk(d, u, f, router ? NULL : &extras));   /* a router's metadata keeps no extra field */
    pf_val ptd = doc_obj(f[3]), ctd = doc_obj(f[4]);
    pf_raw_fields(d, ctd, CTD_KEYS, 3, g);
    int64_t prompt = 0, completion = 0, total = 0, cached = 0, reasoning = 0, a = 0, r = 0;
    TRY(doc_i(d, f[0], &prompt, fb));
    TRY(doc_i(d, f[1], &completion, fb));
    TRY(doc_i(d, f[2], &total, fb));
    TRY(doc_i(d, pf_raw_get(d, ptd, "cached_tokens"), &cached, fb));
    TRY(doc_i(d, g[0], &reasoning, fb));
    if (*fb) return 0;
    int64_t inp = prompt - cached;
    if (inp < 0) inp = 0;
    st->usage[0] = inp;
    st->usage[1] = completion;
    st->usage[2] = router ? inp + completion + cached : total;
    st->usage[3] = reasoning;
    st->usage[4] = 0;
    st->usage[5] = cached;
    st->has_usage = 1;
    if (uv.kind >= 0) TRY(pf_set_bytes(&st->usage_raw, uv.p, uv.len));
    else TRY(pf_set_bytes(&st->usage_raw, (const uint8_t *)"null", 4));
    if (router) return 0;
    TRY(doc_i(d, g[1], &a, fb));
    TRY(doc_i(d, g[2], &r, fb));
    if (*fb) return 0;
    st->acc = a > 0 ? a : 0;
    st->rej = r > 0 ? r : 0;
    st->has_extras = 0;
    return u.kind >= 0 ? keep_extras(d, st, u, extras) : 0;
}

/* ---- OpenRouter / Vercel reasoning_details in bodies (generate_reasoning_details) ------------ */

enum { G_RESPONSES, G_GOOGLE, G_ANTHROPIC, G_OTHER };

/* One reasoning_details element (validated by details_ok): its group, type and index. */
static int detail_of(pf_dec *d, pf_val el, pf_val *f, int *group, int *is_summary, int *is_text, int *is_enc,
                     int64_t *idx, int *fb) {
    const uint8_t *fmt, *typ;
    size_t fmtn, typn;
    pf_raw_fields(d, el, X_KEYS, X_COUNT, f);
    TRY(field_str(d, f[X_FORMAT], &fmt, &fmtn));
    *group = pf_starts(fmt, fmtn, "openai-responses") || pf_starts(fmt, fmtn, "xai-responses") ? G_RESPONSES
           : pf_starts(fmt, fmtn, "google-gemini") ? G_GOOGLE
           : pf_starts(fmt, fmtn, "anthropic-claude") ? G_ANTHROPIC : G_OTHER;
    TRY(field_str(d, f[X_TYPE], &typ, &typn));
    *is_summary = pf_eq(typ, typn, "reasoning.summary");
    *is_text = pf_eq(typ, typn, "reasoning.text");
    *is_enc = pf_eq(typ, typn, "reasoning.encrypted");
    *idx = 0;
    if (f[X_INDEX].kind == PF_K_NUMBER && pf_val_i(f[X_INDEX], idx)) *fb = 1;
    return 0;
}

/* A reasoning content part: text, metadata object + 1 (0: none). */
static int doc_reasoning(pf_dec *d, const uint8_t *t, size_t tn, size_t meta) {
    TRY(pf_dec_part3(d, PF_PT_REASONING_START, R0, t, tn, E0, meta));
    return pf_dec_part3(d, PF_PT_REASONING_END, R0, E0, E0, 0);
}

static int doc_details(pf_dec *d, chat_st *st, pf_val rd, int *fb) {
    pf_val el, f[X_COUNT];
    int group, is_summary, is_text, is_enc, obj;
    int64_t idx, nblocks[2] = {0, 0};
    size_t i = 0;
    /* the blocks by index: a new one at len(blocks), an index past it is fantasy's panic */
    while (pf_raw_next(rd, &i, &el)) {
        TRY(detail_of(d, el, f, &group, &is_summary, &is_text, &is_enc, &idx, fb));
        if (*fb) return 0;
        if (group > G_GOOGLE) continue;
        if (idx < 0 || idx > nblocks[group]) { *fb = 1; return 0; }
        if (idx == nblocks[group]) nblocks[group]++;
    }
    pf_bytes text = {0}, a = {0}, b = {0};
    int rc = 0;
#define T(x) do { if ((rc = (x)) != 0) goto out; } while (0)
    /* Responses blocks: summaries joined by line breaks, the last encrypted data, the last id */
    for (int64_t j = 0; j < nblocks[G_RESPONSES]; j++) {
        int enc_seen = 0, nsum = 0;
        text.len = a.len = b.len = 0;
        for (i = 0; pf_raw_next(rd, &i, &el);) {
            T(detail_of(d, el, f, &group, &is_summary, &is_text, &is_enc, &idx, fb));
            if (group != G_RESPONSES || idx != j) continue;
            const uint8_t *p;
            size_t n;
            if (is_summary) {
                T(field_str(d, f[X_SUMMARY], &p, &n));
                if (nsum++ && pf_bytes_push(&text, '\n')) { rc = PF_ERR_NOMEM; goto out; }
                if (pf_bytes_append(&text, p, n)) { rc = PF_ERR_NOMEM; goto out; }
            } else if (is_enc) {
                T(field_str(d, f[X_DATA], &p, &n));
                if (pf_set_bytes(&b, p, n)) { rc = PF_ERR_NOMEM; goto out; }
                enc_seen = 1;
            }
            T(field_str(d, f[X_ID], &p, &n));
            if (n && pf_set_bytes(&a, p, n)) { rc = PF_ERR_NOMEM; goto out; }
        }
        T(pf_dec_new_meta(d, PF_MO_RESPONSES_ITEM, pf_bp(&a), a.len, E0, &obj));
        int k = 0;
        for (i = 0; pf_raw_next(rd, &i, &el);) {
            T(detail_of(d, el, f, &group, &is_summary, &is_text, &is_enc, &idx, fb));
            if (group != G_RESPONSES || idx != j || !is_summary) continue;
            const uint8_t *p;
            size_t n;
            T(field_str(d, f[X_SUMMARY], &p, &n));
            T(pf_dec_meta(d, obj, PF_MO_RESPONSES_SUMMARY, p, n, E0, (size_t)k++));
        }
        if (!k) T(pf_dec_meta(d, obj, PF_MO_RESPONSES_SUMMARY, E0, E0, 0));
        if (enc_seen) T(pf_dec_meta(d, obj, PF_MO_RESPONSES_ENCRYPTED, pf_bp(&a), a.len, pf_bp(&b), b.len, 0));
        T(doc_reasoning(d, pf_bp(&text), text.len, (size_t)obj + 1));
    }
    /* Anthropic elements, in order */
    for (i = 0; pf_raw_next(rd, &i, &el);) {
        T(detail_of(d, el, f, &group, &is_summary, &is_text, &is_enc, &idx, fb));
        if (group != G_ANTHROPIC) continue;
        const uint8_t *p, *sig;
        size_t n, sign;
        T(field_str(d, f[X_SIGNATURE], &sig, &sign));
        T(pf_dec_new_meta(d, PF_MO_ANTHROPIC_NEW, sig, sign, E0, &obj));
        T(field_str(d, f[X_TEXT], &p, &n));
        T(doc_reasoning(d, p, n, (size_t)obj + 1));
    }
    /* Gemini blocks: the last text, the last encrypted data and id */
    for (int64_t j = 0; j < nblocks[G_GOOGLE]; j++) {
        text.len = a.len = b.len = 0;
        for (i = 0; pf_raw_next(rd, &i, &el);) {
            T(detail_of(d, el, f, &group, &is_summary, &is_text, &is_enc, &idx, fb));
            if (group != G_GOOGLE || idx != j) continue;
            const uint8_t *p;
            size_t n;
            if (is_text) {
                T(field_str(d, f[X_TEXT], &p, &n));
                if (pf_set_bytes(&text, p, n)) { rc = PF_ERR_NOMEM; goto out; }
            } else if (is_enc) {
                T(field_str(d, f[X_DATA], &p, &n));
                if (pf_set_bytes(&a, p, n)) { rc = PF_ERR_NOMEM; goto out; }
                T(field_str(d, f[X_ID], &p, &n));
                if (pf_set_bytes(&b, p, n)) { rc = PF_ERR_NOMEM; goto out; }
            }
        }
        T(pf_dec_new_meta(d, PF_MO_GOOGLE_NEW, pf_bp(&a), a.len, pf_bp(&b), b.len, &obj));
        T(doc_reasoning(d, pf_bp(&text), text.len, (size_t)obj + 1));
    }
    /* the others: their text (Vercel leaves out the empty ones) */
    for (i = 0; pf_raw_next(rd, &i, &el);) {
        T(detail_of(d, el, f, &group, &is_summary, &is_text, &is_enc, &idx, fb));
        if (group != G_OTHER) continue;
        const uint8_t *p;
        size_t n;
        T(field_str(d, f[X_TEXT], &p, &n));
        if (st->variant == PF_CHAT_VERCEL && !n) continue;
        T(doc_reasoning(d, p, n, 0));
    }
#undef T
out:
    pf_bytes_free(&text);
    pf_bytes_free(&a);
    pf_bytes_free(&b);
    return rc;
}

static int doc_chunk(pf_dec *d, const pf_view *v, const uint8_t *name, size_t name_len, uint64_t offset) {
    doc_st *ds = (doc_st *)d->st;
    chat_st *st = &ds->c;
    const int32_t *dn = ds->dn;
    (void)name, (void)name_len, (void)offset;
    int fb = 0;
    pf_val root = pf_view_val(v, 0);
    if (root.kind != PF_K_OBJECT) FALLBACK(d);
    pf_val choices = pf_view_child(v, root, dn[D_CHOICES]);
    if (choices.kind != PF_K_ARRAY || !choices.len) FALLBACK(d);
    const uint8_t *key;
    size_t keyn;
    if (pf_val_s(pf_view_child(v, root, dn[D_ID]), &key, &keyn)) FALLBACK(d);
    long k = choices.rec;
    pf_val choice, none = {-1, NULL, 0, -1};
    pf_view_next(v, choices, &k, &choice);
    if (choice.kind != PF_K_OBJECT) choice = none;
    pf_val msg = pf_view_child(v, choice, dn[D_MSG]);
    if (msg.kind != PF_K_OBJECT) msg = none;
    /* text */
    const uint8_t *text;
    size_t textn;
    if (pf_val_s(pf_view_child(v, msg, dn[D_CONTENT]), &text, &textn)) FALLBACK(d);
    if (textn) {
        TRY(pf_dec_part3(d, PF_PT_TEXT_START, E0, E0, E0, 0));
        TRY(pf_dec_part3(d, PF_PT_TEXT_DELTA, E0, text, textn, E0, 0));
        TRY(pf_dec_part3(d, PF_PT_TEXT_END, E0, E0, E0, 0));
    }
    /* the variant's reasoning (_generate_extra) */
    pf_val rc = pf_view_child(v, msg, dn[D_RC]), r = pf_view_child(v, msg, dn[D_R]);
    const uint8_t *rt = NULL;
    size_t rtn = 0;
    if (st->variant == PF_CHAT_COMPAT && (rc.kind >= 0 || r.kind >= 0)) {
        int bad = (rc.kind >= 0 && rc.kind != PF_K_NULL && rc.kind != PF_K_STRING)
               || (r.kind >= 0 && r.kind != PF_K_NULL && r.kind != PF_K_STRING);
        if (!bad) {
            rt = (const uint8_t *)"";
            if (rc.kind == PF_K_STRING && rc.len) { rt = rc.p; rtn = rc.len; }
            else if (r.kind == PF_K_STRING && r.len) { rt = r.p; rtn = r.len; }
        }
    } else if (st->variant == PF_CHAT_OPENROUTER || st->variant == PF_CHAT_VERCEL) {
        pf_val rd = pf_view_child(v, msg, dn[D_RD]), x[X_COUNT];
        int count = 0, ok = 1;
        if (rd.kind >= 0 && rd.kind != PF_K_NULL) {
            rd.rec = -1;
            ok = details_ok(d, rd, x, &count);
        }
        if (ok && count) {
            TRY(doc_details(d, st, rd, &fb));
            if (fb) FALLBACK(d);
        } else if (ok && st->variant == PF_CHAT_VERCEL && r.kind == PF_K_STRING && r.len) {
            rt = r.p;   /* malformed details: no reasoning at all; none: Vercel's reasoning string */
            rtn = r.len;
        }
    }
    if (rt) {
        TRY(pf_dec_part3(d, PF_PT_REASONING_START, R0, rt, rtn, E0, 0));
        TRY(pf_dec_part3(d, PF_PT_REASONING_END, R0, E0, E0, 0));
    }
    /* tool calls, citations */
    int ncalls = 0;
    pf_val tcs = pf_view_child(v, msg, dn[D_TOOLS]);
    if (pf_val_is_arr(tcs)) TRY(doc_calls(d, tcs, &ncalls, &fb));
    if (fb) FALLBACK(d);
    pf_val anns = pf_view_child(v, msg, dn[D_ANNS]);
    if (pf_val_is_arr(anns)) TRY(doc_sources(d, anns, key, keyn, &fb));
    if (fb) FALLBACK(d);
    /* finish reason */
    const uint8_t *fr;
    size_t frn;
    if (pf_val_s(pf_view_child(v, choice, dn[D_FINISH]), &fr, &frn)) FALLBACK(d);
    int finish = ncalls ? PF_FR_TOOL_CALLS : map_finish(fr, frn);
    /* usage and metadata */
    if (st->variant != PF_CHAT_OPENROUTER && st->variant != PF_CHAT_VERCEL) {
        pf_val lp = doc_obj(pf_view_child(v, choice, dn[D_LOGPROBS]));
        pf_val lc = pf_raw_get(d, lp, "content");
        if (lc.kind == PF_K_RAW && lc.p[0] == '[') {
            size_t j = pf_lex_ws(lc.p, 1, lc.len);
            if (j < lc.len && lc.p[j] != ']') FALLBACK(d);   /* logprobs: Python */
        }
    }
    TRY(doc_usage(d, st, pf_view_child(v, root, dn[D_USAGE]), &fb));
    if (fb || d->fallback) FALLBACK(d);
    if (st->variant == PF_CHAT_OPENROUTER || st->variant == PF_CHAT_VERCEL) {
        pf_val pv = pf_view_child(v, root, dn[D_PROVIDER]);
        st->provider_kind = pv.kind;
        TRY(pf_set_bytes(&st->provider, pv.p, pv.kind == PF_K_STRING || pv.kind == PF_K_NUMBER
                                          || pv.kind == PF_K_RAW ? pv.len : 0));
    }
    return finish_records(d, st, finish, PF_FIN_OPENAI_KEY);
}

static const pf_dec_vt DOC_VT = {doc_chunk, pf_dec_document_done, chat_free, chat_reset};   /* its state comes first */

pf_dec *pf_chat_document_new(int variant) {
    doc_st *ds = (doc_st *)calloc(1, sizeof(doc_st));
    if (!ds) return NULL;
    ds->c.variant = variant;
    ds->c.cur_meta = -1;
    ds->c.provider_kind = -1;
    static pf_jspec *spec_cache;
    static int32_t node_cache[D_COUNT];
    pf_jspec *spec = pf_dec_spec(&spec_cache, node_cache, DOC_PATHS, sizeof DOC_PATHS / sizeof DOC_PATHS[0],
                                 DOC_NODES, D_COUNT, ds->dn);
    return pf_dec_make_document(&DOC_VT, spec, ds);
}
