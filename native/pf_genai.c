/* Gemini's block reader: how the Google genai SDK cuts a streamed response
 * (mode PF_SCAN_GENAI of the scanner in pf_json.c).
 *
 * The input is cut into blocks at the earlier of "\n\n" and "\r\n\r\n"; one
 * trailing CR of a block is dropped; empty blocks are skipped; at eof the last
 * block counts without a separator. A block starting with "data:" is one JSON
 * value (the rest of the block, line breaks included); any other block ends
 * the input (the caller hands it out as a PF_CHUNK_OTHER chunk).
 *
 * Carried between calls: the unfinished block's bytes, their input offset and
 * where the separator search resumes, so every LF is looked at once: O(n). */
#include "pf_genai_int.h"

/* The first block separator ("\n\n" or "\r\n\r\n") of the block at b[pos..n), looking from
 * *search: 1 with [*end, *next) the separator, or 0 with *search where to resume when
 * more bytes come. Each separator's first LF is at its start or one byte after, so
 * every LF is looked at once. */
static int separator(const uint8_t *b, size_t n, size_t pos, size_t *search, int eof,
                     size_t *end, size_t *next) {
    size_t from = *search;
    while (from < n) {
        const uint8_t *lf = (const uint8_t *)memchr(b + from, '\n', n - from);
        if (!lf) break;
        size_t i = (size_t)(lf - b);
        if (i + 1 >= n) { *search = eof ? n : i; return 0; }
        if (b[i + 1] == '\n') { *end = i; *next = *search = i + 2; return 1; }
        if (b[i + 1] == '\r' && i > pos && b[i - 1] == '\r') {
            if (i + 2 >= n) { *search = eof ? n : i; return 0; }
            if (b[i + 2] == '\n') { *end = i - 1; *next = *search = i + 3; return 1; }
        }
        from = i + 1;
    }
    *search = n;
    return 0;
}

int pf_genai_append(pf_genai_reader *g, const uint8_t *data, size_t len) {
    return pf_bytes_append(&g->buf, data, len) ? PF_ERR_NOMEM : PF_OK;
}

int pf_genai_next(pf_genai_reader *g, int eof, const uint8_t **p, size_t *n, uint64_t *origin) {
    const uint8_t *b = g->buf.p;
    size_t len = g->buf.len;
    for (;;) {
        size_t end = 0, next = 0;
        if (!separator(b, len, g->pos, &g->search, eof, &end, &next)) {
            if (!eof || g->pos >= len) return PF_GENAI_NONE;
            end = next = len; /* the last block needs no terminator */
        }
        size_t start = g->pos, blen = end - start;
        g->pos = g->search = next;
        if (blen && b[start + blen - 1] == '\r') blen--;
        if (!blen) continue;
        *origin = g->base + start;
        if (blen >= 5 && memcmp(b + start, "data:", 5) == 0) {
            *p = b + start + 5;
            *n = blen - 5;
            return PF_GENAI_DATA;
        }
        *p = b + start;
        *n = blen;
        return PF_GENAI_OTHER;
    }
}

void pf_genai_settle(pf_genai_reader *g, int finished) {
    if (finished) {
        g->buf.len = 0;
        g->pos = g->search = 0;
        return;
    }
    size_t pos = g->pos, n = g->buf.len;
    if (pos && n > pos) memmove(g->buf.p, g->buf.p + pos, n - pos);
    g->buf.len = n - pos;
    g->base += pos;
    g->search -= pos;
    g->pos = 0;
}

void pf_genai_reset(pf_genai_reader *g) {
    g->buf.len = 0;
    g->base = 0;
    g->pos = g->search = 0;
}

void pf_genai_free(pf_genai_reader *g) { pf_bytes_free(&g->buf); }
