/* Strings for Python as a pickle stream (internal, not in the cdef).
 *
 * Python builds many str objects fastest from one `pickle.loads` call: its
 * C unpickler makes each one straight from length-prefixed UTF-8, with no
 * scan for a separator and no Python call per string. This writes exactly
 * that subset of pickle protocol 4 (Lib/pickletools.py documents every
 * opcode): PROTO, EMPTY_LIST, MARK, SHORT_BINUNICODE / BINUNICODE /
 * BINUNICODE8, APPENDS, STOP. No opcode that names or calls anything is ever
 * written, and every string is length-prefixed, so no input can make the
 * stream do more than build a list of str.
 *
 * The unpickler decodes strings as UTF-8 with "surrogatepass"; so that the
 * list equals what `bytes.decode("utf-8", "replace")` gives for each string,
 * every maximal invalid subpart (pf_lex_utf8; encoded surrogates included)
 * is written as U+FFFD, as Python's decoder replaces it. */
#ifndef PF_PICKLE_H
#define PF_PICKLE_H
#include "pf_buf.h"
#include "pf_lex.h"

/* Start a list of strings: PROTO 4, EMPTY_LIST, MARK. */
static inline int pf_pickle_list_begin(pf_bytes *o) {
    return pf_bytes_append(o, (const uint8_t *)"\x80\x04](", 4);
}

/* End the list: APPENDS, STOP. */
static inline int pf_pickle_list_end(pf_bytes *o) {
    return pf_bytes_append(o, (const uint8_t *)"e.", 2);
}

/* v as k little-endian bytes at w (pickle's string lengths). */
static inline void pf_put_le(uint8_t *w, uint64_t v, int k) {
    for (int j = 0; j < k; j++) w[j] = (uint8_t)(v >> (8 * j));
}

/* One string: p[0..n), invalid UTF-8 replaced. PF_OK or PF_ERR_NOMEM. */
static inline int pf_pickle_str(pf_bytes *o, const uint8_t *p, size_t n) {
    size_t ok = pf_lex_utf8_prefix(p, n);
    if (ok == n) {   /* the common case: the bytes as they are, after the exact length */
        int k = n < 256 ? 1 : n <= 0xFFFFFFFFu ? 4 : 8;
        if (pf_bytes_reserve(o, (size_t)k + 1 + n)) return PF_ERR_NOMEM;
        uint8_t *w = o->p + o->len;
        w[0] = k == 1 ? 0x8C : k == 4 ? 'X' : 0x8D;
        pf_put_le(w + 1, n, k);
        if (n) memcpy(w + 1 + k, p, n);
        o->len += (size_t)k + 1 + n;
        return PF_OK;
    }
    /* invalid bytes: BINUNICODE8 with room for the length, written once the text is */
    size_t head = o->len;
    if (pf_bytes_reserve(o, 9)) return PF_ERR_NOMEM;
    o->len += 9;
    size_t i = 0;
    while (i < n) {
        size_t v = pf_lex_utf8_prefix(p + i, n - i);
        if (pf_bytes_append(o, p + i, v)) return PF_ERR_NOMEM;
        i += v;
        if (i >= n) break;
        size_t sub = 1;   /* set by pf_lex_utf8: p + i is invalid */
        pf_lex_utf8(p + i, n - i, &sub);
        if (pf_bytes_append(o, (const uint8_t *)"\xEF\xBF\xBD", 3)) return PF_ERR_NOMEM;
        i += sub;
    }
    o->p[head] = 0x8D;
    pf_put_le(o->p + head + 1, o->len - head - 9, 8);
    return PF_OK;
}

#endif
