/* The provider decoders' shared machinery: the feed loop over scanned SSE
 * chunks (done marker, malformed events, the end of the body), the part
 * output with delta merging, and reads of a chunk's values with Python's
 * lenient rules. Each wire format's state machine is its own file. */
#include <math.h>
#include <stdio.h>
#include "pf_dec_int.h"

pf_dec *pf_dec_make(const pf_dec_vt *vt, const pf_jspec *spec, int mode, const char *done, int coalesce, void *st) {
    pf_dec *d = spec ? (pf_dec *)calloc(1, sizeof(pf_dec)) : NULL;
    if (!d) { if (st && vt->free_state) vt->free_state(st); return NULL; }
    d->vt = vt;
    d->st = st;
    if (!st) { free(d); return NULL; }
    d->spec = spec;
    size_t nn = pf_jspec_count(spec);
    if (pf_sizes_reserve(&d->last, nn)) { pf_dec_free(d); return NULL; }
    memset(d->last.p, 0, nn * sizeof(size_t));
    size_t dl = done ? strlen(done) : 0;
    d->scan = pf_scan_new(d->spec, mode, (const uint8_t *)done, dl, coalesce);
    if (!d->scan) { pf_dec_free(d); return NULL; }
    pf_scan_records_only(d->scan);
    return d;
}

int pf_dec_reset(pf_dec *d) {
    if (!d->vt->reset_state) return PF_UNSUPPORTED;
    if (d->evs) pf_evs_reset(d->evs);
    d->sse_base = 0;
    d->evs_reported = 0;
    d->parts.len = d->arena.len = 0;
    d->events = 0;
    d->ended = d->error = d->fallback = d->closed = 0;
    d->next_meta = 0;
    d->tmp_next = 0;
    d->vt->reset_state(d->st);
    pf_scan_reset(d->scan);
    return PF_OK;
}

void pf_dec_free(pf_dec *d) {
    if (!d) return;
    if (d->st && d->vt->free_state) d->vt->free_state(d->st);
    pf_scan_free(d->scan);
    pf_evs_free(d->evs);
    pf_sizes_free(&d->parts);
    pf_sizes_free(&d->whole);
    pf_sizes_free(&d->ends);
    pf_sizes_free(&d->last);
    pf_bytes_free(&d->arena);
    for (int k = 0; k < 16; k++) pf_bytes_free(&d->tmp[k]);
    free(d);
}

int pf_dec_document_event(pf_dec *d, const uint8_t *name, size_t n, int status) {
    (void)name, (void)n;
    if (status != PF_CHUNK_OK) d->fallback = 1;
    return 0;
}

int pf_dec_document_done(pf_dec *d) {
    if (!d->events) d->fallback = 1;
    return 0;
}

pf_dec *pf_dec_make_document(const pf_dec_vt *vt, const pf_jspec *spec, void *st) {
    pf_dec *d = pf_dec_make(vt, spec, PF_SCAN_DOCUMENT, NULL, 0, st);
    if (d) d->event = pf_dec_document_event;
    return d;
}

/* ---- output ------------------------------------------------------------------- */

int pf_dec_put(pf_dec *d, const uint8_t *p, size_t n, size_t *off) {
    *off = d->arena.len;
    return pf_bytes_append(&d->arena, p, n) ? PF_ERR_NOMEM : 0;
}

int pf_dec_part(pf_dec *d, size_t type, size_t v1, size_t v2, size_t v3, size_t v4, size_t v5, size_t v6,
                size_t v7) {
    if (pf_sizes_reserve(&d->parts, PF_PART_W)) return PF_ERR_NOMEM;
    size_t *r = d->parts.p + d->parts.len;
    r[0] = type; r[1] = v1; r[2] = v2; r[3] = v3; r[4] = v4; r[5] = v5; r[6] = v6; r[7] = v7;
    d->parts.len += PF_PART_W;
    return 0;
}

int pf_dec_part3(pf_dec *d, size_t type, const uint8_t *id, size_t idn, const uint8_t *a, size_t an,
                 const uint8_t *b, size_t bn, size_t v7) {
    size_t io, ao, bo;
    if (pf_dec_put(d, id, idn, &io) || pf_dec_put(d, a, an, &ao) || pf_dec_put(d, b, bn, &bo)) return PF_ERR_NOMEM;
    return pf_dec_part(d, type, io, idn, ao, an, bo, bn, v7);
}

int pf_dec_tool_call(pf_dec *d, const uint8_t *id, size_t idn, const uint8_t *input, size_t inn,
                     const uint8_t *name, size_t nn, size_t v7) {
    size_t type = pf_lex_json_object(input, inn) ? PF_PT_TOOL_CALL_OBJECT : PF_PT_TOOL_CALL;
    return pf_dec_part3(d, type, id, idn, input, inn, name, nn, v7);
}

int pf_dec_delta(pf_dec *d, size_t type, const uint8_t *id, size_t idn, const uint8_t *t, size_t tn, size_t meta) {
    if (meta == 0 && d->parts.len) {
        size_t *r = d->parts.p + d->parts.len - PF_PART_W;
        if (r[0] == type && r[7] == 0 && r[2] == idn && (!idn || memcmp(d->arena.p + r[1], id, idn) == 0)
            && r[3] + r[4] == d->arena.len) {
            if (pf_bytes_append(&d->arena, t, tn)) return PF_ERR_NOMEM;
            r[4] += tn;
            return 0;
        }
    }
    return pf_dec_part3(d, type, id, idn, t, tn, NULL, 0, meta);
}

int pf_dec_error(pf_dec *d, size_t kind, size_t offset, const char *msg) {
    return pf_dec_error_n(d, kind, offset, (const uint8_t *)msg, strlen(msg));
}

int pf_dec_error_n(pf_dec *d, size_t kind, size_t offset, const uint8_t *msg, size_t n) {
    size_t mo;
    if (pf_dec_put(d, msg, n, &mo)) return PF_ERR_NOMEM;
    d->error = d->ended = 1;
    return pf_dec_part(d, PF_PT_ERROR, kind, offset, mo, n, (size_t)-1, 0, 0);
}

int pf_dec_meta(pf_dec *d, int obj, size_t op, const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
                size_t arg) {
    size_t ao, bo;
    if (pf_dec_put(d, a, an, &ao) || pf_dec_put(d, b, bn, &bo)) return PF_ERR_NOMEM;
    return pf_dec_part(d, PF_PT_META, (size_t)obj, op, ao, an, bo, bn, arg);
}

int pf_dec_new_meta(pf_dec *d, size_t op, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int *obj) {
    *obj = d->next_meta++;
    return pf_dec_meta(d, *obj, op, a, an, b, bn, 0);
}

/* The code point at a[i] (i < an) as Python's surrogateescape decoding gives it, in *cp: a
 * valid UTF-8 sequence's, else the byte's (ASCII itself, any other byte U+DC00 + it). Its
 * length in bytes. */
static inline size_t go_code_point(const uint8_t *a, size_t i, size_t an, uint32_t *cp) {
    uint32_t c = a[i];
    size_t len = c - 0xC2u > 0xF4u - 0xC2u ? 0 : pf_lex_utf8_cp(a + i, an - i, cp);  /* no lead byte: 0 */
    if (len) return len;
    *cp = c + (c >> 7) * 0xDC00u;
    return 1;
}

/* a's code points (go_code_point), 32 bits each, at an offset of the arena that is a multiple
 * of 4. */
static int put_go_string_ucs4(pf_dec *d, const uint8_t *a, size_t an, size_t *off) {
    size_t pad = (4 - d->arena.len % 4) % 4;
    if (an > (SIZE_MAX - pad) / 4 || pf_bytes_reserve(&d->arena, pad + 4 * an)) return PF_ERR_NOMEM;
    memset(d->arena.p + d->arena.len, 0, pad);
    d->arena.len += pad;
    *off = d->arena.len;
    uint32_t *o = (uint32_t *)(void *)(d->arena.p + d->arena.len);
    size_t k = 0, i = 0;
#if defined(__SSE2__) && defined(__GNUC__)
    /* 16 bytes at a time: each one's code point written as if none began a sequence (ASCII
     * itself, any other byte U+DC00 + it: in random bytes, most), then the block's first byte
     * that could (a lead byte C2..F4 before a continuation byte) is looked at alone and the
     * loop goes on after it. k <= i, so the 16 values at o + k stay inside the 4 * an bytes. */
    const __m128i zero = _mm_setzero_si128(), esc = _mm_set1_epi16((short)0xDC00);
    const __m128i lo = _mm_set1_epi8((char)(0xC2 ^ 0x80) - 1), hi = _mm_set1_epi8((char)(0xF4 ^ 0x80) + 1);
    const __m128i flip = _mm_set1_epi8((char)0x80), top2 = _mm_set1_epi8((char)0xC0);
    while (i + 17 <= an) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(a + i));
        __m128i nx = _mm_loadu_si128((const __m128i *)(const void *)(a + i + 1));
        __m128i sv = _mm_xor_si128(v, flip);   /* signed order of the unsigned bytes */
        __m128i lead = _mm_and_si128(_mm_cmpgt_epi8(sv, lo), _mm_cmplt_epi8(sv, hi));
        __m128i cont = _mm_cmpeq_epi8(_mm_and_si128(nx, top2), flip);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(lead, cont));
        __m128i hb = _mm_cmplt_epi8(v, zero);  /* bytes >= 0x80 */
        __m128i w0 = _mm_add_epi16(_mm_unpacklo_epi8(v, zero), _mm_and_si128(_mm_unpacklo_epi8(hb, hb), esc));
        __m128i w1 = _mm_add_epi16(_mm_unpackhi_epi8(v, zero), _mm_and_si128(_mm_unpackhi_epi8(hb, hb), esc));
        _mm_storeu_si128((__m128i *)(void *)(o + k), _mm_unpacklo_epi16(w0, zero));
        _mm_storeu_si128((__m128i *)(void *)(o + k + 4), _mm_unpackhi_epi16(w0, zero));
        _mm_storeu_si128((__m128i *)(void *)(o + k + 8), _mm_unpacklo_epi16(w1, zero));
        _mm_storeu_si128((__m128i *)(void *)(o + k + 12), _mm_unpackhi_epi16(w1, zero));
        if (!m) {
            i += 16;
            k += 16;
            continue;
        }
        unsigned t = (unsigned)__builtin_ctz(m);
        i += t;
        k += t;
        i += go_code_point(a, i, an, o + k++);
    }
#endif
    while (i < an) i += go_code_point(a, i, an, o + k++);
    d->arena.len += 4 * k;
    return 0;
}

int pf_dec_new_meta_go(pf_dec *d, size_t op, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int *obj) {
    if (pf_lex_utf8_prefix(a, an) == an) return pf_dec_new_meta(d, op, a, an, b, bn, obj);
    size_t ao, bo;
    /* a and b are the callers' buffers, not the arena: its growth leaves them in place */
    if (put_go_string_ucs4(d, a, an, &ao)) return PF_ERR_NOMEM;
    size_t n = d->arena.len - ao;
    if (pf_dec_put(d, b, bn, &bo)) return PF_ERR_NOMEM;
    *obj = d->next_meta++;
    return pf_dec_part(d, PF_PT_META, (size_t)*obj, op, ao, n, bo, bn, PF_MO_UCS4);
}

pf_jspec *pf_dec_spec(pf_jspec **cache, int32_t *cache_nodes, const pf_path *paths, size_t npaths,
                      const char *const *node_paths, size_t nnodes, int32_t *node) {
    pf_jspec *sp = PF_LOAD(*cache);
    if (!sp) {
        pf_jspec *mine = pf_jspec_build(paths, npaths);
        if (!mine) return NULL;
        for (size_t k = 0; k < nnodes; k++) {
            int32_t id = pf_jspec_node(mine, node_paths[k]);
            if (id < 0) { pf_jspec_free(mine); return NULL; }
            PF_STORE(cache_nodes[k], id);
        }
        pf_jspec *expected = NULL;
        if (PF_CAS(*cache, expected, mine)) sp = mine;
        else { pf_jspec_free(mine); sp = expected; }
    }
    for (size_t k = 0; k < nnodes; k++) node[k] = PF_LOAD(cache_nodes[k]);
    return sp;
}

int pf_dec_error_value(pf_dec *d, size_t kind, pf_val v) {
    size_t mo;
    if (pf_dec_put(d, v.p, v.kind == PF_K_NUMBER || v.kind == PF_K_STRING || v.kind == PF_K_RAW ? v.len : 0, &mo))
        return PF_ERR_NOMEM;
    d->error = d->ended = 1;
    return pf_dec_part(d, PF_PT_ERROR, kind, (size_t)-1, mo, d->arena.len - mo, (size_t)v.kind, 0, 0);
}

/* ---- the feed loop ---------------------------------------------------------------- */

/* The body offset of the event-stream message an SSE chunk of this feed came from. */
static uint64_t evs_offset(const pf_dec *d, const pf_evs_out *eo, uint64_t sse_off) {
    if (!eo->nev) return sse_off;
    size_t lo = 0, hi = eo->nev;   /* the last event starting at or before sse_off */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->sse_base + eo->ev[mid * PF_EVS_EV_W] <= sse_off) lo = mid + 1;
        else hi = mid;
    }
    return eo->ev[(lo ? lo - 1 : 0) * PF_EVS_EV_W + 1];
}

int pf_dec_feed(pf_dec *d, const uint8_t *data, size_t len, int eof, pf_dec_out *out) {
    int rc = 0;
    d->parts.len = 0;
    d->arena.len = 0;
    d->out = out;
    out->status = PF_OK;
    if (d->closed) return PF_ERR_CLOSED;
    if (eof) d->closed = 1;
    if (!d->fallback) {
        pf_scan_out so;
        pf_evs_out eo;
        memset(&eo, 0, sizeof eo);
        const uint8_t *in = data ? data : (const uint8_t *)"";
        if (d->evs) {   /* the event-stream frames' SSE text is what is scanned */
            int erc = pf_evs_feed(d->evs, in, len, eof, &eo);
            if (erc) return erc;
            in = eo.sse_len ? eo.sse : (const uint8_t *)"";
            len = eo.sse_len;
        }
        int src = pf_scan_feed(d->scan, in, len, eof, &so);
        if (src) return src;
        for (size_t c = 0; c < so.nchunks && !d->ended && !d->fallback; c++) {
            const size_t *ch = so.chunks + c * PF_SCAN_CHUNK_W;
            if (d->event) {
                int skip = d->event(d, so.arena + ch[0], ch[1], (int)ch[4]);
                if (d->fallback) break;
                if (skip) continue;
            }
            d->events += ch[6];
            uint64_t offset = d->evs ? evs_offset(d, &eo, ch[5]) : ch[5];
            if (ch[4] == PF_CHUNK_DONE) {
                d->ended = 1;
                break;
            }
            if (ch[4] == PF_CHUNK_BAD_JSON) {
                char msg[96];
                snprintf(msg, sizeof msg, "malformed JSON in the stream event at byte %llu",
                         (unsigned long long)offset);
                if (pf_dec_error(d, PF_EK_JSON, (size_t)offset, msg)) return PF_ERR_NOMEM;
                break;
            }
            pf_view v = {so.recs + ch[2] * PF_SCAN_REC_W, ch[3], so.arena, NULL, NULL};
            if (ch[3] && pf_sizes_reserve(&d->ends, ch[3])) return PF_ERR_NOMEM;
            size_t *end = d->ends.p, *last = d->last.p;
            for (size_t k = 0; k < ch[3]; k++) {
                end[k] = k + 1;
                last[v.r[k * PF_SCAN_REC_W]] = k + 1;
            }
            for (size_t k = ch[3]; k-- > 1;) {
                size_t p = v.r[k * PF_SCAN_REC_W + 1];
                if (end[k] > end[p]) end[p] = end[k];
            }
            v.end = end;
            v.last = last;
            rc = d->vt->chunk(d, &v, so.arena + ch[0], ch[1], offset);
            for (size_t k = 0; k < ch[3]; k++) last[v.r[k * PF_SCAN_REC_W]] = 0;
            if (rc) return PF_ERR_NOMEM;
        }
        if (d->evs) {
            d->sse_base += len;
            if (eo.status && !d->evs_reported && !d->ended && !d->fallback) {
                d->evs_reported = 1;
                d->events++;
                size_t fo;
                if (pf_dec_put(d, eo.frame, eo.frame_len, &fo)) return PF_ERR_NOMEM;
                d->error = d->ended = 1;
                if (pf_dec_part(d, PF_PT_ERROR, PF_EK_EVSTREAM, (size_t)eo.err_offset, fo, eo.frame_len,
                                (size_t)eo.status, (size_t)eo.err_a, (size_t)eo.err_b))
                    return PF_ERR_NOMEM;
            }
        }
        if (eof && !d->fallback) {
            uint64_t off = 0;
            out->cut = d->evs ? 0 : pf_scan_cut(d->scan, &off);   /* the framing reports its own cut */
            out->cut_offset = off;
            out->done_seen = pf_scan_done_seen(d->scan);
            if (pf_dec_part(d, PF_PT_EOF, 0, 0, 0, 0, 0, 0, 0)) return PF_ERR_NOMEM;
            if (!d->error && d->vt->done(d)) return PF_ERR_NOMEM;
        }
    }
    if (d->fallback) {
        out->status = PF_UNSUPPORTED;
        d->parts.len = 0;
    }
    out->parts = d->parts.p;
    out->nparts = d->parts.len / PF_PART_W;
    out->arena = (const char *)d->arena.p;
    out->arena_len = d->arena.len;
    out->events = d->events;
    return PF_OK;
}

/* ---- whole bodies: the step's content (agent.Stream's assembly) --------------------- */

typedef struct { size_t type, id_off, id_len, start; } open_block;

/* Is p[0..n) valid UTF-8? (Python decodes a block's pieces one by one: their bytes may be
 * joined in C only when each piece decodes alone to what it gives in the join.) */
static int utf8_valid(const uint8_t *p, size_t n) {
    return pf_lex_utf8_prefix(p, n) == n;
}

static int same_id(const uint8_t *a, const size_t *r, const open_block *b) {
    return r[2] == b->id_len && (!b->id_len || memcmp(a + r[1], a + b->id_off, b->id_len) == 0);
}

/* The content record of block b ending at record `end` (its END part): its pieces are the
 * START's delta (reasoning) and the deltas of its type and id after its START, joined into
 * one arena range. 1 when done, 0 when a piece is not valid UTF-8 alone, -1 out of memory. */
static int block_content(pf_dec *d, const open_block *b, size_t end) {
    const size_t *r = d->parts.p;
    size_t dtype = b->type + 1, ctype = b->type == PF_PT_TEXT_START ? PF_PT_TEXT_CONTENT : PF_PT_REASONING_CONTENT;
    size_t npieces = 0, total = 0, off = 0, meta = 0;
    const size_t *s = r + b->start;
    if (ctype == PF_PT_REASONING_CONTENT) {
        npieces = 1, total = s[4], off = s[3], meta = s[7];
    }
    for (size_t i = b->start + PF_PART_W; i < end; i += PF_PART_W) {
        const size_t *q = r + i;
        if (q[0] != dtype || !same_id(d->arena.p, q, b)) continue;
        if (!npieces++) off = q[3];
        total += q[4];
        if (q[7] && ctype == PF_PT_REASONING_CONTENT) meta = q[7];
    }
    const size_t *e = r + end;
    if (ctype == PF_PT_TEXT_CONTENT) meta = e[7];
    else if (e[7]) meta = e[7];
    if (npieces > 1) {   /* joined at the arena's end */
        if (pf_bytes_reserve(&d->arena, total)) return -1;
        const uint8_t *a = d->arena.p;
        size_t at = d->arena.len;
        if (ctype == PF_PT_REASONING_CONTENT) {
            if (!utf8_valid(a + s[3], s[4])) return 0;
            memcpy(d->arena.p + d->arena.len, a + s[3], s[4]);
            d->arena.len += s[4];
        }
        for (size_t i = b->start + PF_PART_W; i < end; i += PF_PART_W) {
            const size_t *q = r + i;
            if (q[0] != dtype || !same_id(a, q, b)) continue;
            if (!utf8_valid(a + q[3], q[4])) return 0;
            memcpy(d->arena.p + d->arena.len, a + q[3], q[4]);
            d->arena.len += q[4];
        }
        off = at;
    } else if (!npieces) {
        total = 0;
    }
    if (pf_sizes_reserve(&d->whole, PF_PART_W)) return -1;
    size_t *w = d->whole.p + d->whole.len;
    w[0] = ctype; w[1] = w[2] = w[5] = w[6] = 0; w[3] = off; w[4] = total; w[7] = meta;
    d->whole.len += PF_PART_W;
    return 1;
}

/* d->parts folded into d->whole: 1 done, 0 the body keeps its stream parts, -1 out of memory. */
static int assemble(pf_dec *d) {
    open_block open[PF_WHOLE_OPEN];
    size_t nopen = 0;
    for (size_t i = 0; i < d->parts.len; i += PF_PART_W) {
        const size_t *r = d->parts.p + i;
        size_t t = r[0];
        if (t == PF_PT_TEXT_START || t == PF_PT_REASONING_START) {
            size_t k = 0;
            while (k < nopen && !(open[k].type == t && same_id(d->arena.p, r, &open[k]))) k++;
            if (k == nopen) {   /* a new block (a START of an open one starts it again) */
                if (nopen == PF_WHOLE_OPEN) return 0;
                open[nopen++] = (open_block){t, r[1], r[2], 0};
            }
            open[k].start = i;
        } else if (t == PF_PT_TEXT_END || t == PF_PT_REASONING_END) {
            size_t k = 0;
            while (k < nopen && !(open[k].type == t - 2 && same_id(d->arena.p, r, &open[k]))) k++;
            if (k == nopen) continue;   /* no block open: nothing */
            int rc = block_content(d, &open[k], i);
            if (rc <= 0) return rc;
            open[k] = open[--nopen];
        } else if (t == PF_PT_ERROR) {
            return 0;
        } else if (!(t == PF_PT_TEXT_DELTA || t == PF_PT_REASONING_DELTA || t == PF_PT_EOF
                     || ((t & PF_PT_MASK) >= PF_PT_TOOL_INPUT_START && (t & PF_PT_MASK) <= PF_PT_TOOL_INPUT_END))) {
            if (pf_sizes_reserve(&d->whole, PF_PART_W)) return -1;
            memcpy(d->whole.p + d->whole.len, r, PF_PART_W * sizeof *r);
            d->whole.len += PF_PART_W;
        }
    }
    return 1;
}

int64_t pf_dec_whole(pf_dec *d, const uint8_t *data, size_t len, pf_dec_out *out) {
    if (pf_dec_reset(d)) return PF_DEC_HANDED_BACK;
    out->cut = 0;
    int rc = pf_dec_feed(d, data, len, 1, out);
    if (rc) return rc;
    if (out->status) return PF_DEC_HANDED_BACK;
    d->whole.len = 0;
    if (pf_sizes_reserve(&d->whole, PF_DEC_HEAD_N)) return PF_ERR_NOMEM;
    memset(d->whole.p, 0, PF_DEC_HEAD_N * sizeof(size_t));
    d->whole.len = PF_DEC_HEAD_N;
    rc = assemble(d);
    if (rc < 0) return PF_ERR_NOMEM;
    if (!rc) {   /* the stream parts as they are, after the head */
        d->whole.len = PF_DEC_HEAD_N;
        if (pf_sizes_reserve(&d->whole, d->parts.len)) return PF_ERR_NOMEM;
        memcpy(d->whole.p + PF_DEC_HEAD_N, d->parts.p, d->parts.len * sizeof(size_t));
        d->whole.len += d->parts.len;
    }
    out->parts = d->whole.p;
    out->nparts = d->whole.len / PF_PART_W;
    out->arena = (const char *)d->arena.p;
    out->arena_len = d->arena.len;
    size_t *h = d->whole.p;
    h[PF_DEC_HEAD_WHOLE] = (size_t)rc;
    h[PF_DEC_HEAD_ARENA_LEN] = d->arena.len;
    h[PF_DEC_HEAD_CUT] = out->cut ? (size_t)out->cut_offset + 1 : 0;
    for (int k = 0; k < 6; k++) {
        if (out->fin_usage[k] < 0) h[PF_DEC_HEAD_USAGE_SIGNED] = 1;
        h[PF_DEC_HEAD_USAGE + k] = (size_t)out->fin_usage[k];
    }
    return (int64_t)d->whole.len;
}

/* ---- Go's json.Marshal of a value decoded into any (Gemini's function-call arguments, Anthropic's
 * server tool inputs in documents) ------------------------------------------------------------ */

/* The unescaped string t[0..n) written as Go writes it, when that is plain: printable ASCII
 * without <, >, & (Go escapes those for HTML), quotes and backslashes escaped; 1 for anything
 * else (Python's encoder writes those). */
static int put_go_string(pf_bytes *o, const uint8_t *t, size_t n) {
    TRY(pf_bytes_push(o, '"'));
    for (size_t k = 0; k < n; k++) {
        uint8_t c = t[k];
        if (c < 0x20 || c > 0x7e || c == '<' || c == '>' || c == '&') return 1;
        if (c == '"' || c == '\\') TRY(pf_bytes_push(o, '\\'));
        TRY(pf_bytes_push(o, c));
    }
    return pf_bytes_push(o, '"') ? PF_ERR_NOMEM : 0;
}

/* The JSON string at p[*i] re-encoded (put_go_string). */
static int enc_string(const uint8_t *p, size_t n, size_t *i, pf_bytes *o, pf_bytes *tmp) {
    tmp->len = 0;
    int rc = pf_lex_string(p, n, i, tmp);
    if (rc == PF_ERR_NOMEM) return PF_ERR_NOMEM;
    if (rc) return 1;
    return put_go_string(o, pf_bp(tmp), tmp->len);
}

typedef struct {
    const uint8_t *key;    /* unescaped, in a buffer of its own */
    size_t key_len, vs;
    pf_bytes buf;
} go_member;

static int member_cmp(const void *a, const void *b) {
    const go_member *x = (const go_member *)a, *y = (const go_member *)b;
    size_t m = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, m);
    if (c) return c;
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* An object: members sorted by key (a repeated key keeps its last value, as a Go map does). */
static int enc_object(const uint8_t *p, size_t n, size_t *i, pf_bytes *o, pf_bytes *tmp, int depth) {
    go_member *m = NULL;
    size_t nm = 0, cap = 0;
    int rc = 0;
    size_t k = pf_lex_ws(p, *i + 1, n);
    if (k < n && p[k] == '}') {
        *i = k + 1;
        return pf_bytes_append(o, (const uint8_t *)"{}", 2) ? PF_ERR_NOMEM : 0;
    }
    for (;;) {
        if (k >= n || p[k] != '"') { rc = 1; break; }
        if (nm == cap) {
            size_t c2 = cap ? cap * 2 : 8;
            go_member *nmv = (go_member *)realloc(m, c2 * sizeof *m);
            if (!nmv) { rc = PF_ERR_NOMEM; break; }
            m = nmv;
            cap = c2;
        }
        go_member *e = &m[nm];
        memset(e, 0, sizeof *e);
        int lrc = pf_lex_string(p, n, &k, &e->buf);
        if (lrc) { rc = lrc == PF_ERR_NOMEM ? PF_ERR_NOMEM : 1; pf_bytes_free(&e->buf); break; }
        e->key = pf_bp(&e->buf);
        e->key_len = e->buf.len;
        k = pf_lex_ws(p, k, n);
        if (k >= n || p[k] != ':') { rc = 1; pf_bytes_free(&e->buf); break; }
        k = pf_lex_ws(p, k + 1, n);
        e->vs = k;
        size_t w = k < n ? pf_walk_value(p, k, n) : 0;
        if (!w) { rc = 1; pf_bytes_free(&e->buf); break; }
        size_t dup = nm;
        for (size_t j = 0; j < nm; j++)
            if (m[j].key_len == e->key_len && memcmp(m[j].key, e->key, e->key_len) == 0) dup = j;
        if (dup < nm) {
            m[dup].vs = e->vs;
            pf_bytes_free(&e->buf);
        } else {
            nm++;
        }
        k = pf_lex_ws(p, w, n);
        if (k < n && p[k] == ',') { k = pf_lex_ws(p, k + 1, n); continue; }
        if (k < n && p[k] == '}') { *i = k + 1; break; }
        rc = 1;
        break;
    }
    if (!rc) {
        qsort(m, nm, sizeof *m, member_cmp);
        rc = pf_bytes_push(o, '{') ? PF_ERR_NOMEM : 0;
        for (size_t j = 0; j < nm && !rc; j++) {
            if (j && pf_bytes_push(o, ',')) { rc = PF_ERR_NOMEM; break; }
            if ((rc = put_go_string(o, m[j].key, m[j].key_len)) != 0) break;   /* the unescaped key */
            if (pf_bytes_push(o, ':')) { rc = PF_ERR_NOMEM; break; }
            size_t vi = m[j].vs;
            rc = pf_go_marshal(p, n, &vi, o, tmp, depth + 1);
        }
        if (!rc && pf_bytes_push(o, '}')) rc = PF_ERR_NOMEM;
    }
    for (size_t j = 0; j < nm; j++) pf_bytes_free(&m[j].buf);
    free(m);
    return rc;
}

int pf_go_marshal(const uint8_t *p, size_t n, size_t *i, pf_bytes *o, pf_bytes *tmp, int depth) {
    if (depth > 64 || *i >= n) return 1;
    uint8_t c = p[*i];
    if (c == '"') return enc_string(p, n, i, o, tmp);
    if (c == '{') return enc_object(p, n, i, o, tmp, depth);
    if (c == '[') {
        size_t k = pf_lex_ws(p, *i + 1, n);
        TRY(pf_bytes_push(o, '['));
        if (k < n && p[k] == ']') { *i = k + 1; return pf_bytes_push(o, ']') ? PF_ERR_NOMEM : 0; }
        for (int first = 1;; first = 0) {
            if (!first) TRY(pf_bytes_push(o, ','));
            int rc = pf_go_marshal(p, n, &k, o, tmp, depth + 1);
            if (rc) return rc;
            k = pf_lex_ws(p, k, n);
            if (k < n && p[k] == ',') { k = pf_lex_ws(p, k + 1, n); continue; }
            if (k < n && p[k] == ']') { *i = k + 1; return pf_bytes_push(o, ']') ? PF_ERR_NOMEM : 0; }
            return 1;
        }
    }
    if (c == 't' || c == 'f' || c == 'n') {
        int kind;
        size_t s = *i;
        if (pf_lex_literal(p, n, i, &kind)) return 1;
        return pf_bytes_append(o, p + s, *i - s) ? PF_ERR_NOMEM : 0;
    }
    size_t s = *i;
    if (pf_lex_number(p, n, i)) return 1;
    size_t len = *i - s, digits = len - (p[s] == '-');
    /* integers that float64 holds exactly are written back as they are (not "-0") */
    if (!pf_lex_is_int(p + s, len) || digits > 15 || (len == 2 && p[s] == '-' && p[s + 1] == '0')) return 1;
    return pf_bytes_append(o, p + s, len) ? PF_ERR_NOMEM : 0;
}

/* ---- Python's raw_text (compact JSON of a parsed value) ----------------------------- */

/* Is the JSON string q[0..n) (quotes included) spelled as json.dumps(ensure_ascii=False) spells its value? */
static int canon_string(const uint8_t *q, size_t n) {
    for (size_t k = 1; k + 1 < n;) {
        uint8_t c = q[k];
        if (c >= 0x80) {
            size_t sub, l = pf_lex_utf8(q + k, n - 1 - k, &sub);
            if (!l) return 0;
            k += l;
            continue;
        }
        if (c != '\\') { k++; continue; }
        uint8_t e = q[k + 1];
        if (e == '"' || e == '\\' || e == 'n' || e == 'r' || e == 't' || e == 'b' || e == 'f') { k += 2; continue; }
        if (e != 'u' || k + 6 > n - 1) return 0;
        const uint8_t *h = q + k + 2;
        uint32_t cp;
        /* dumps writes \u00XX, lower case, for control characters only */
        if (pf_lex_hex4(h, &cp) || cp >= 0x20 || (h[3] >= 'A' && h[3] <= 'F')) return 0;
        if (cp == 8 || cp == 9 || cp == 10 || cp == 12 || cp == 13) return 0;   /* dumps writes \b \t \n \f \r */
        k += 6;
    }
    return 1;
}

/* Does the valid JSON text p[i..) equal c.raw_text of its parsed value (no whitespace,
 * canonical strings, no -0, no repeated keys)? *end: index after the value. */
int pf_canon_value(const uint8_t *p, size_t n, size_t i, size_t *end, int depth) {
    if (i >= n || depth > 200) return 0;
    uint8_t c = p[i];
    if (c == '"') {
        size_t e = pf_walk_string(p, i, n);
        if (!e || !canon_string(p + i, e - i)) return 0;
        *end = e;
        return 1;
    }
    if (c == '{' || c == '[') {
        uint8_t close = c == '{' ? '}' : ']';
        size_t k = i + 1;
        if (k < n && p[k] == close) { *end = k + 1; return 1; }
        for (;;) {
            if (c == '{') {
                size_t ks = k, ke;
                if (!pf_canon_value(p, n, k, &ke, depth + 1) || p[ks] != '"') return 0;
                /* a repeated key: Python keeps the first position with the last value */
                for (size_t j = i + 1; j < ks;) {
                    size_t je = pf_walk_string(p, j, n), ve = pf_walk_value(p, je + 1, n);
                    if (je - j == ke - ks && memcmp(p + j, p + ks, ke - ks) == 0) return 0;
                    j = ve + 1;
                }
                if (ke >= n || p[ke] != ':') return 0;
                k = ke + 1;
            }
            size_t ve;
            if (!pf_canon_value(p, n, k, &ve, depth + 1)) return 0;
            if (ve >= n) return 0;
            if (p[ve] == close) { *end = ve + 1; return 1; }
            if (p[ve] != ',') return 0;
            k = ve + 1;
        }
    }
    size_t e = pf_walk_value(p, i, n);
    if (!e) return 0;
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (pf_lex_is_int(p + i, e - i) && (e - i > 4000 || (e - i == 2 && p[i] == '-' && p[i + 1] == '0'))) return 0;
    }
    *end = e;
    return 1;
}

/* ---- reading values ------------------------------------------------------------------ */

pf_val pf_view_val(const pf_view *v, long k) {
    pf_val x = {-1, NULL, 0, -1};
    if (k < 0 || (size_t)k >= v->n) return x;
    const size_t *r = v->r + (size_t)k * PF_SCAN_REC_W;
    x.kind = (int)r[3];
    x.rec = k;
    if (x.kind == PF_K_NUMBER || x.kind == PF_K_STRING || x.kind == PF_K_RAW || x.kind == PF_K_OBJECT) {
        x.p = v->a + r[4];
        x.len = r[5];
    } else if (x.kind == PF_K_ARRAY) {
        x.len = r[4];
    }
    return x;
}

pf_val pf_view_child(const pf_view *v, pf_val parent, int32_t node) {
    long found = -1;
    if (parent.rec >= 0 && parent.kind == PF_K_OBJECT && node >= 0) {
        size_t lk = v->last[node];
        /* the chunk's last record of the node, when it is the parent's: its last such child */
        if (!lk) return pf_view_val(v, -1);
        if (v->r[(lk - 1) * PF_SCAN_REC_W + 1] == (size_t)parent.rec) return pf_view_val(v, (long)lk - 1);
        size_t stop = v->end[parent.rec];
        for (size_t k = (size_t)parent.rec + 1; k < stop; k = v->end[k])   /* direct children only */
            if (v->r[k * PF_SCAN_REC_W] == (size_t)node) found = (long)k;
    }
    return pf_view_val(v, found);
}

int pf_view_next(const pf_view *v, pf_val arr, long *k, pf_val *el) {
    if (arr.rec < 0 || arr.kind != PF_K_ARRAY) return 0;
    size_t j = *k == arr.rec ? (size_t)arr.rec + 1 : v->end[*k];   /* the next direct child */
    if (j >= v->end[arr.rec]) return 0;
    *k = (long)j;
    *el = pf_view_val(v, (long)j);
    return 1;
}

static int raw_kind(const uint8_t *p) {
    switch (p[0]) {
    case '"': return PF_K_STRING;
    case '{': case '[': return PF_K_RAW;
    case 't': return PF_K_TRUE;
    case 'f': return PF_K_FALSE;
    case 'n': return PF_K_NULL;
    default: return PF_K_NUMBER;
    }
}

/* A walked value p[vs..ve): strings keep their quotes and escapes until pf_raw_str. */
static pf_val walked(const uint8_t *p, size_t vs, size_t ve) {
    pf_val x;
    x.kind = raw_kind(p + vs);
    x.p = p + vs;
    x.len = ve - vs;
    x.rec = -2;   /* -2: a walked string still quoted */
    if (x.kind != PF_K_STRING) x.rec = -1;
    return x;
}

/* A string known free of escapes is marked so (rec -3): pf_raw_str needs no second look at
 * its bytes. */
pf_val pf_raw_member(const uint8_t *p, size_t i, size_t n, size_t *end) {
    if (p[i] != '"') {
        *end = pf_walk_value(p, i, n);
        return walked(p, i, *end);
    }
    int esc = 0;
    *end = pf_walk_string_esc(p, i, n, &esc);
    pf_val x = walked(p, i, *end);
    if (!esc) x.rec = -3;
    return x;
}

/* Is the quoted string q[0..n) free of escapes (so its inner bytes are its value)? Walked
 * text is always inside a value the strict scan read (a RAW record, a KEEP object's text):
 * its strings are valid UTF-8 without control characters, so a backslash is the one thing
 * to look for, with memchr (web search results' long encrypted_content strings). */
static int plain_string(const uint8_t *q, size_t n) {
    return n < 2 || !memchr(q + 1, '\\', n - 2);
}

int pf_raw_str(pf_dec *d, pf_val *v) {
    if (v->kind != PF_K_STRING || v->rec > -2) return 0;
    if (v->rec == -3 || plain_string(v->p, v->len)) {
        v->p += 1;
        v->len -= 2;
        v->rec = -1;
        return 0;
    }
    pf_bytes *t = &d->tmp[d->tmp_next++ & 15];
    t->len = 0;
    size_t i = 0;
    int rc = pf_lex_string(v->p, v->len, &i, t);
    if (rc == PF_ERR_NOMEM) return PF_ERR_NOMEM;
    v->p = t->p ? t->p : (const uint8_t *)"";
    v->len = rc ? 0 : t->len;
    v->rec = -1;
    return 0;
}

/* Keys compared after unescaping (a key spelled with escapes still matches): pf_raw_fields for
 * one key. */
pf_val pf_raw_get(pf_dec *d, pf_val obj, const char *key) {
    pf_val v;
    pf_raw_fields(d, obj, &key, 1, &v);
    return v;
}

int pf_raw_fields(pf_dec *d, pf_val obj, const char *const *keys, size_t nkeys, pf_val *vals) {
    pf_val none = {-1, NULL, 0, -1}, key, v;
    for (size_t k = 0; k < nkeys; k++) vals[k] = none;
    pf_bytes *t = &d->tmp[d->tmp_next++ & 15];
    size_t i = 0;
    int rc;
    while ((rc = pf_raw_next_member(obj, &i, t, &key, &v)) > 0)
        for (size_t k = 0; k < nkeys; k++)
            if (pf_eq(key.p, key.len, keys[k])) { vals[k] = v; break; }
    return rc;
}

/* Where the next item of the container c (a RAW value that `open` opens) starts: i 0 for the
 * first, else the index after the last item, which a comma must follow; 0 when none does. */
static size_t raw_item_at(pf_val c, uint8_t open, size_t i) {
    if (c.kind != PF_K_RAW || !c.len || c.p[0] != open) return 0;
    const uint8_t *p = c.p;
    size_t n = c.len, k;
    if (i == 0) {
        k = pf_lex_ws(p, 1, n);
    } else {
        k = pf_lex_ws(p, i, n);
        if (k >= n || p[k] != ',') return 0;
        k = pf_lex_ws(p, k + 1, n);
    }
    return k < n ? k : 0;
}

int pf_raw_next_member(pf_val obj, size_t *i, pf_bytes *t, pf_val *key, pf_val *val) {
    const uint8_t *p = obj.p;
    size_t n = obj.len, k = raw_item_at(obj, '{', *i);
    if (!k || p[k] != '"') return 0;
    int esc = 0;
    size_t e = pf_walk_string_esc(p, k, n, &esc), w;
    if (!e) return 0;
    key->kind = PF_K_STRING;
    key->rec = -1;
    key->p = p + k + 1;
    key->len = e - k - 2;
    if (esc) {
        size_t j = k;
        t->len = 0;
        int rc = pf_lex_string(p, e, &j, t);
        if (rc) return rc == PF_ERR_NOMEM ? PF_ERR_NOMEM : 0;
        key->p = pf_bp(t);
        key->len = t->len;
    }
    k = pf_lex_ws(p, e, n);
    if (k >= n || p[k] != ':') return 0;
    k = pf_lex_ws(p, k + 1, n);
    if (k >= n) return 0;
    *val = pf_raw_member(p, k, n, &w);
    if (!w) return 0;
    *i = w;
    return 1;
}

int pf_raw_next(pf_val arr, size_t *i, pf_val *el) {
    size_t k = raw_item_at(arr, '[', *i), w;
    if (!k || arr.p[k] == ']') return 0;
    *el = pf_raw_member(arr.p, k, arr.len, &w);
    if (!w) return 0;
    *i = w;
    return 1;
}

/* ---- Python's lenient reads ---------------------------------------------------------- */

int pf_val_s(pf_val v, const uint8_t **p, size_t *n) {
    *p = (const uint8_t *)"";
    *n = 0;
    if (v.kind == PF_K_STRING) {
        if (v.rec <= -2) return 1;  /* caller forgot pf_raw_str */
        *p = v.p; *n = v.len;
    } else if (v.kind == PF_K_NUMBER) {
        if (pf_lex_is_int(v.p, v.len)) {
            if (v.len > 4300) return 1;   /* CPython's str(int) digit limit */
            if (v.len == 2 && v.p[0] == '-' && v.p[1] == '0') { *p = (const uint8_t *)"0"; *n = 1; return 0; }
        }
        *p = v.p; *n = v.len;
    }
    return 0;
}

/* Decimal digits with an optional sign, at most 18 digits: its value. */
static int small_int(const uint8_t *p, size_t n, int64_t *out) {
    size_t k = 0;
    int neg = 0;
    if (k < n && (p[k] == '-' || p[k] == '+')) { neg = p[k] == '-'; k++; }
    if (k >= n || n - k > 18 || pf_lex_digits(p, k, n) != n) return 0;
    int64_t x = 0;
    for (; k < n; k++) x = x * 10 + (p[k] - '0');
    *out = neg ? -x : x;
    return 1;
}

int pf_val_i(pf_val v, int64_t *out) {
    *out = 0;
    if (v.kind == PF_K_NUMBER) {
        if (pf_lex_is_int(v.p, v.len)) return small_int(v.p, v.len, out) ? 0 : 1;
        char buf[64];
        if (v.len >= sizeof buf) return 1;
        memcpy(buf, v.p, v.len);
        buf[v.len] = 0;
        double x = strtod(buf, NULL);
        if (isinf(x) || isnan(x)) return 0;
        x = trunc(x);
        if (fabs(x) >= 9.0e18) return 1;
        *out = (int64_t)x;
        return 0;
    }
    if (v.kind == PF_K_STRING) {
        if (v.rec <= -2) return 1;
        if (v.len == 0) return 0;  /* int("") and float("") fail: 0 */
        return small_int(v.p, v.len, out) ? 0 : 1;
    }
    return 0;
}
