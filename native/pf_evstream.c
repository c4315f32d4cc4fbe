/* AWS event-stream kernel: Bedrock `invoke-with-response-stream` bodies to
 * the Anthropic SSE text that anthropic-sdk-go's Bedrock middleware makes of
 * them (docs/semantics.md#anthropic-vertex-and-bedrock-transports).
 *
 * Framing (AWS "vnd.amazon.eventstream"), all integers big-endian:
 *   total length (4) | headers length (4) | prelude CRC32 of the first 8 (4)
 *   | headers | payload | message CRC32 of everything before it (4)
 * Header: name length (1), name, value type (1), value: 0 true / 1 false (no
 * bytes), 2 int8, 3 int16, 4 int32, 5 int64, 6 bytes and 7 string (2-byte
 * length + data), 8 timestamp (8), 9 UUID (16).
 *
 * What a message becomes:
 *   - `:message-type` event with `:event-type` chunk: the payload is JSON
 *     {"bytes": "<base64>", ...}; the decoded bytes are one Anthropic stream
 *     event (JSON); written as "event: <its type>\ndata: <it>\n\n". An event
 *     whose JSON has no string "type" is not written (the SDK's SSE reader
 *     skips events without a known name anyway). Other event types: nothing.
 *   - `exception` / `error` messages stop the stream (PF_EVS_EXCEPTION /
 *     PF_EVS_ERROR, with the message handed out for the caller to describe).
 *   - anything else: nothing. A missing `:message-type`, or a missing
 *     `:event-type` on an event, is an error.
 * Checks, in order, per message: lengths (total >= 16, headers fit), prelude
 * CRC (as soon as the 12 prelude bytes are there), message CRC, headers,
 * then the payload. The first failure is reported with the input offset of
 * its message, and is sticky; everything decoded before it was output.
 *
 * JSON here is scanned, not validated (the SSE scanner downstream validates
 * the event JSON): a payload is an object of "key": value pairs; a string
 * ends at the first unescaped quote ('\' escapes any next byte); a container
 * value is skipped by counting brackets outside strings; any other value is
 * a run of bytes up to `,` `}` `]` or whitespace. Keys are compared as raw
 * bytes. The last "bytes" key of the payload wins (Go's decoder); the first
 * "type" key of the event is used. Base64 is Go's StdEncoding: standard
 * alphabet, padding required, CR and LF ignored.
 *
 * Carried between calls: the incomplete message (only its bytes; a message
 * is decoded once, when complete), the stream offset, the sticky status.
 * Every input byte is copied at most once and CRC'd once: O(n). No size
 * limits besides memory. */
#include "pf_lex.h"

struct pf_evs {
    uint32_t crc[8][256];  /* slice-by-8 CRC-32/IEEE tables */
    int closed;
    int status;            /* sticky */
    uint64_t err_offset, err_a, err_b;
    uint64_t consumed;     /* stream offset of the next byte fed */
    uint64_t pending_off;  /* stream offset of pending.p[0] */
    uint64_t frames;
    pf_bytes pending;      /* the incomplete message */
    pf_bytes sse;          /* this call's output */
    pf_sizes ev;           /* PF_EVS_EV_W per event: sse offset, frame offset */
    pf_bytes frame;        /* exception/error message */
    pf_bytes text;         /* unescaped string */
    pf_bytes bin;          /* base64-decoded chunk */
    pf_bytes name;         /* unescaped event type */
};

pf_evs *pf_evs_new(void) {
    pf_evs *d = (pf_evs *)calloc(1, sizeof(pf_evs));
    if (!d) return NULL;
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        d->crc[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++)
        for (int k = 1; k < 8; k++) d->crc[k][n] = (d->crc[k - 1][n] >> 8) ^ d->crc[0][d->crc[k - 1][n] & 0xFF];
    return d;
}

void pf_evs_reset(pf_evs *d) {
    d->closed = d->status = 0;
    d->err_offset = d->err_a = d->err_b = 0;
    d->consumed = d->pending_off = d->frames = 0;
    d->pending.len = d->sse.len = d->ev.len = d->frame.len = d->text.len = d->bin.len = d->name.len = 0;
}

void pf_evs_free(pf_evs *d) {
    if (!d) return;
    pf_bytes_free(&d->pending);
    pf_bytes_free(&d->sse);
    pf_sizes_free(&d->ev);
    pf_bytes_free(&d->frame);
    pf_bytes_free(&d->text);
    pf_bytes_free(&d->bin);
    pf_bytes_free(&d->name);
    free(d);
}

static uint32_t crc32(const pf_evs *d, const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    const uint32_t (*t)[256] = d->crc;
    while (n >= 8) {
        uint32_t a = c ^ ((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
        c = t[7][a & 0xFF] ^ t[6][(a >> 8) & 0xFF] ^ t[5][(a >> 16) & 0xFF] ^ t[4][a >> 24] ^
            t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--) c = t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Internal result of the message helpers besides PF_OK and PF_ERR_NOMEM: the input
 * has an error (now recorded in d->status, sticky) or a message that stops the stream. */
#define STOPPED 1

static int fail(pf_evs *d, int status, uint64_t off, uint64_t a, uint64_t b) {
    d->status = status;
    d->err_offset = off;
    d->err_a = a;
    d->err_b = b;
    return STOPPED;
}

/* The 12 prelude bytes at p (message at stream offset off): PF_OK and *total, or
 * STOPPED (an error recorded). */
static int check_prelude(pf_evs *d, const uint8_t *p, uint64_t off, size_t *total) {
    uint32_t t = be32(p), h = be32(p + 4);
    if (t < 16 || h > t - 16) {
        return fail(d, PF_EVS_E_PRELUDE, off, t, h);
    }
    uint32_t want = be32(p + 8), got = crc32(d, p, 8);
    if (want != got) {
        return fail(d, PF_EVS_E_PRELUDE_CRC, off, want, got);
    }
    *total = (size_t)t;
    return 0;
}

/* ---- JSON scanning (see the header comment) ------------------------------- */

/* JSON string content p[0..n) (between the quotes) unescaped into o: PF_OK,
 * PF_ERR_SYNTAX (invalid escape) or PF_ERR_NOMEM. Escapes as pf_lex_escape reads
 * them; other bytes are copied as they are (not validated). */
static int unescape(const uint8_t *p, size_t n, pf_bytes *o) {
    o->len = 0;
    size_t i = 0;
    while (i < n) {
        const uint8_t *bs = (const uint8_t *)memchr(p + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (p + i)) : n - i;
        if (pf_bytes_append(o, p + i, run)) return PF_ERR_NOMEM;
        i += run;
        if (i >= n) break;
        int rc = pf_lex_escape(p, n, &i, o);
        if (rc) return rc;
    }
    return PF_OK;
}


/* ---- messages ----------------------------------------------------------------- */

static int span_is(const uint8_t *p, size_t n, const char *s) {
    size_t k = strlen(s);
    return n == k && memcmp(p, s, k) == 0;
}

/* A `chunk` event's payload: append its SSE event. PF_OK, STOPPED (error recorded), PF_ERR_NOMEM. */
static int chunk(pf_evs *d, const uint8_t *pl, size_t n, uint64_t off) {
    size_t vs = 0, ve = 0;
    int r = pf_walk_find(pl, n, "bytes", 5, 0, &vs, &ve);
    if (r < 0) return fail(d, PF_EVS_E_PAYLOAD, off, 0, 0);
    d->bin.len = 0;
    if (r == 1 && pl[vs] == '"') {
        const uint8_t *s = pl + vs + 1;
        size_t sn = ve - vs - 2;
        if (memchr(s, '\\', sn)) {
            int u = unescape(s, sn, &d->text);
            if (u == PF_ERR_NOMEM) return PF_ERR_NOMEM;
            if (u) return fail(d, PF_EVS_E_BASE64, off, 0, 0);
            s = d->text.p;
            sn = d->text.len;
        }
        int b = pf_lex_base64(s, sn, &d->bin);
        if (b == PF_ERR_NOMEM) return PF_ERR_NOMEM;
        if (b) return fail(d, PF_EVS_E_BASE64, off, 0, 0);
    } else if (r == 1 && !span_is(pl + vs, ve - vs, "null")) {
        return fail(d, PF_EVS_E_PAYLOAD, off, 0, 0);
    }
    const uint8_t *ev = d->bin.p;
    size_t en = d->bin.len;
    if (!en || pf_walk_find(ev, en, "type", 4, 1, &vs, &ve) != 1 || ev[vs] != '"') return 0;
    const uint8_t *t = ev + vs + 1;
    size_t tn = ve - vs - 2;
    if (memchr(t, '\\', tn)) {
        int u = unescape(t, tn, &d->name);
        if (u == PF_ERR_NOMEM) return PF_ERR_NOMEM;
        if (u) return 0;
        t = d->name.p;
        tn = d->name.len;
    }
    if (!tn) return 0;
    if (pf_sizes_reserve(&d->ev, PF_EVS_EV_W)) return PF_ERR_NOMEM;
    d->ev.p[d->ev.len++] = d->sse.len;
    d->ev.p[d->ev.len++] = (size_t)off;
    if (pf_bytes_append(&d->sse, (const uint8_t *)"event: ", 7) || pf_bytes_append(&d->sse, t, tn) ||
        pf_bytes_append(&d->sse, (const uint8_t *)"\ndata: ", 7) || pf_bytes_append(&d->sse, ev, en) ||
        pf_bytes_append(&d->sse, (const uint8_t *)"\n\n", 2))
        return PF_ERR_NOMEM;
    return 0;
}

/* One complete message p[0..total) at stream offset off (prelude checked). */
static int message(pf_evs *d, const uint8_t *p, size_t total, uint64_t off) {
    uint32_t want = be32(p + total - 4), got = crc32(d, p, total - 4);
    if (want != got) return fail(d, PF_EVS_E_MESSAGE_CRC, off, want, got);
    size_t hlen = be32(p + 4);
    const uint8_t *h = p + 12, *mt = NULL, *et = NULL;
    size_t mtn = 0, etn = 0, i = 0;
    while (i < hlen) {
        size_t hs = i, nl = h[i++];  /* hs: where this header starts (err_a of a header error) */
        if (nl > hlen - i) return fail(d, PF_EVS_E_HEADER, off, hs, 0);
        const uint8_t *name = h + i;
        i += nl;
        if (i >= hlen) return fail(d, PF_EVS_E_HEADER, off, hs, 0);
        uint8_t t = h[i++];
        size_t vl;
        switch (t) {
        case 0: case 1: vl = 0; break;
        case 2: vl = 1; break;
        case 3: vl = 2; break;
        case 4: vl = 4; break;
        case 5: case 8: vl = 8; break;
        case 9: vl = 16; break;
        case 6: case 7:
            if (hlen - i < 2) return fail(d, PF_EVS_E_HEADER, off, hs, 0);
            vl = ((size_t)h[i] << 8) | h[i + 1];
            i += 2;
            break;
        default: return fail(d, PF_EVS_E_HEADER, off, hs, t);
        }
        if (vl > hlen - i) return fail(d, PF_EVS_E_HEADER, off, hs, 0);
        if (t == 7) {
            if (!mt && span_is(name, nl, ":message-type")) { mt = h + i; mtn = vl; }
            else if (!et && span_is(name, nl, ":event-type")) { et = h + i; etn = vl; }
        }
        i += vl;
    }
    d->frames++;
    if (!mt) return fail(d, PF_EVS_E_NO_MESSAGE_TYPE, off, 0, 0);
    if (span_is(mt, mtn, "event")) {
        if (!et) return fail(d, PF_EVS_E_NO_EVENT_TYPE, off, 0, 0);
        if (span_is(et, etn, "chunk")) return chunk(d, p + 12 + hlen, total - 16 - hlen, off);
        return 0;
    }
    int exc = span_is(mt, mtn, "exception");
    if (exc || span_is(mt, mtn, "error")) {
        if (pf_set_bytes(&d->frame, p, total)) return PF_ERR_NOMEM;
        return fail(d, exc ? PF_EVS_EXCEPTION : PF_EVS_ERROR, off, 0, 0);
    }
    return 0;
}

static int run(pf_evs *d, const uint8_t *data, size_t len, int eof) {
    uint64_t base = d->consumed;
    size_t pos = 0, total = 0;
    if (d->pending.len) {
        pf_bytes *b = &d->pending;
        if (b->len < 12) {
            size_t take = 12 - b->len;
            if (take > len) take = len;
            if (pf_bytes_append(b, data, take)) return PF_ERR_NOMEM;
            pos += take;
        }
        if (b->len >= 12) {
            if (check_prelude(d, b->p, d->pending_off, &total)) return 0;
            size_t take = total - b->len;
            if (take > len - pos) take = len - pos;
            if (pf_bytes_append(b, data + pos, take)) return PF_ERR_NOMEM;
            pos += take;
            if (b->len == total) {
                int r = message(d, b->p, total, d->pending_off);
                b->len = 0;
                if (r) return r == PF_ERR_NOMEM ? r : 0;
            }
        }
    }
    if (!d->pending.len) {
        while (len - pos >= 12) {
            if (check_prelude(d, data + pos, base + pos, &total)) return 0;
            if (len - pos < total) break;
            int r = message(d, data + pos, total, base + pos);
            if (r) return r == PF_ERR_NOMEM ? r : 0;
            pos += total;
        }
        if (pos < len) {
            d->pending_off = base + pos;
            if (pf_bytes_append(&d->pending, data + pos, len - pos)) return PF_ERR_NOMEM;
        }
    }
    if (eof && d->pending.len) {
        const uint8_t *p = d->pending.p;
        fail(d, PF_EVS_E_TRUNCATED, d->pending_off, d->pending.len, d->pending.len >= 12 ? be32(p) : 0);
    }
    return 0;
}

int pf_evs_feed(pf_evs *d, const uint8_t *data, size_t len, int eof, pf_evs_out *out) {
    if (d->closed) return PF_ERR_CLOSED;
    d->sse.len = 0;
    d->ev.len = 0;
    if (d->status != PF_EVS_EXCEPTION && d->status != PF_EVS_ERROR) d->frame.len = 0;
    int rc = 0;
    if (d->status == PF_EVS_OK) rc = run(d, data, len, eof);
    d->consumed += len;
    if (eof) d->closed = 1;
    out->sse = d->sse.p;
    out->sse_len = d->sse.len;
    out->ev = d->ev.p;
    out->nev = d->ev.len / PF_EVS_EV_W;
    out->status = d->status;
    out->err_offset = d->err_offset;
    out->err_a = d->err_a;
    out->err_b = d->err_b;
    out->frame = d->frame.p;
    out->frame_len = d->frame.len;
    out->frames = d->frames;
    return rc;
}
