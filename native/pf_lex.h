/* JSON lexing shared by every kernel (internal, not in the cdef): whitespace,
 * strings (validating + unescaping, or skipping), numbers, literals, and a
 * small walker over JSON text already known to be well formed (find a key,
 * skip a value). One copy of each rule, so every kernel reads JSON alike. */
#ifndef PF_LEX_H
#define PF_LEX_H
#include "pf_buf.h"
#include "pf_utf8.h"
#include "pf_api.h"
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

/* Lexer results: PF_OK, PF_ERR_SYNTAX (not JSON), PF_ERR_NOMEM (pyfantasy.h's status codes). */

#define PF_IS_WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

static inline size_t pf_lex_ws(const uint8_t *p, size_t i, size_t n) {
    if (i < n && p[i] > ' ') return i;   /* compact JSON: no whitespace */
    while (i < n && PF_IS_WS(p[i])) i++;
    return i;
}

/* Length of the valid UTF-8 sequence at p[0..n), or 0 when invalid; *sub is
 * then the length of the maximal subpart to replace with one U+FFFD. */
static inline size_t pf_lex_utf8(const uint8_t *p, size_t n, size_t *sub) {
    uint8_t b = p[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) need = 1;
    else if (b == 0xE0) { need = 2; lo = 0xA0; }
    else if (b >= 0xE1 && b <= 0xEC) need = 2;
    else if (b == 0xED) { need = 2; hi = 0x9F; }
    else if (b >= 0xEE && b <= 0xEF) need = 2;
    else if (b == 0xF0) { need = 3; lo = 0x90; }
    else if (b >= 0xF1 && b <= 0xF3) need = 3;
    else if (b == 0xF4) { need = 3; hi = 0x8F; }
    else { *sub = 1; return 0; }
    size_t k = 1;
    for (; k <= need; k++) {
        if (k >= n) break;
        uint8_t c = p[k];
        uint8_t l = (k == 1) ? lo : 0x80, h = (k == 1) ? hi : 0xBF;
        if (c < l || c > h) break;
    }
    if (k == need + 1) return need + 1;
    *sub = k;
    return 0;
}

/* The length of the valid multi-byte UTF-8 sequence at p[0..n) and, in *cp, its code point;
 * 0 when there is none (ASCII included: callers take it first). */
static inline size_t pf_lex_utf8_cp(const uint8_t *p, size_t n, uint32_t *cp) {
    size_t sub, len = pf_lex_utf8(p, n, &sub);
    if (!len) return 0;
    uint32_t c = p[0] & (len == 2 ? 0x1Fu : len == 3 ? 0x0Fu : 0x07u);
    for (size_t k = 1; k < len; k++) c = (c << 6) | (p[k] & 0x3Fu);
    *cp = c;
    return len;
}

/* Bytes at the start of p[0..n) that are valid UTF-8 (all n when it all is): ASCII a
 * word at a time, other sequences by pf_lex_utf8. */
static inline size_t pf_lex_utf8_prefix(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ULL) break;
            i += 8;
        }
        while (i < n && p[i] < 0x80) i++;
        if (i >= n) break;
        size_t sub = 1, len = pf_lex_utf8(p + i, n - i, &sub);
        if (!len) return i;
        i += len;
    }
    return n;
}

/* `digits` (<= 8) hex digits at p[0..digits) (the caller checked they are there): 0, or -1. */
static inline int pf_lex_hexn(const uint8_t *p, size_t digits, uint32_t *v) {
    uint32_t r = 0;
    for (size_t k = 0; k < digits; k++) {
        int h = pf_hexval(p[k]);
        if (h < 0) return -1;
        r = (r << 4) | (uint32_t)h;
    }
    *v = r;
    return 0;
}

/* Four hex digits at p[0..4) (the caller checked they are there): 0, or -1. */
static inline int pf_lex_hex4(const uint8_t *p, uint32_t *v) {
    return pf_lex_hexn(p, 4, v);
}

/* Index past the run of ASCII decimal digits at p[i..n). */
static inline size_t pf_lex_digits(const uint8_t *p, size_t i, size_t n) {
    while (i < n && p[i] >= '0' && p[i] <= '9') i++;
    return i;
}

/* Number text p[0..n) (already lexed) without fraction or exponent: 1, else 0. */
static inline int pf_lex_is_int(const uint8_t *p, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (p[k] == '.' || p[k] == 'e' || p[k] == 'E') return 0;
    return 1;
}

/* The decimal text of v into out (at least 21 bytes, not NUL-terminated): its length. */
static inline size_t pf_i64_text(int64_t v, char *out) {
    char tmp[21];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    size_t k = 0;
    if (v < 0) out[k++] = '-';
    while (n) out[k++] = tmp[--n];
    return k;
}

/* The escape at p[*k] == '\\' of a JSON string ending before n, unescaped into o (when
 * not NULL): a surrogate pair's two escapes give one code point, a lone surrogate U+FFFD.
 * PF_OK with *k past it, PF_ERR_SYNTAX (not a JSON escape) or PF_ERR_NOMEM. */
static inline int pf_lex_escape(const uint8_t *p, size_t n, size_t *k, pf_bytes *o) {
    size_t i = *k;
    if (i + 1 >= n) return PF_ERR_SYNTAX;
    uint8_t ch;
    switch (p[i + 1]) {
    case '"': ch = '"'; break;
    case '\\': ch = '\\'; break;
    case '/': ch = '/'; break;
    case 'b': ch = '\b'; break;
    case 'f': ch = '\f'; break;
    case 'n': ch = '\n'; break;
    case 'r': ch = '\r'; break;
    case 't': ch = '\t'; break;
    case 'u': {
        uint32_t cp;
        if (i + 6 > n || pf_lex_hex4(p + i + 2, &cp)) return PF_ERR_SYNTAX;
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (i + 6 <= n && p[i] == '\\' && p[i + 1] == 'u' && !pf_lex_hex4(p + i + 2, &lo)
                && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else {
                cp = 0xFFFD; /* lone high surrogate */
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD; /* lone low surrogate */
        }
        if (o && pf_put_utf8(o, cp)) return PF_ERR_NOMEM;
        *k = i;
        return PF_OK;
    }
    default:
        return PF_ERR_SYNTAX;
    }
    if (o && pf_bytes_push(o, ch)) return PF_ERR_NOMEM;
    *k = i + 2;
    return PF_OK;
}

/* Bytes of a word that are '"', '\\', < 0x20 or >= 0x80: nonzero when any is. */
static inline uint64_t pf_lex_special8(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t zq = (q - ones) & ~q, zb = (b - ones) & ~b;
    uint64_t ctl = (w - ones * 0x20) & ~w;   /* bytes < 0x20 (with high bit clear) */
    return (zq | zb | ctl | w) & highs;
}

/* Bytes of a word that are < 0x20, 0x7f or >= 0x80 (not printable ASCII): nonzero when any is. */
static inline uint64_t pf_lex_unprintable8(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t d = w ^ (ones * 0x7f);
    uint64_t ctl = (w - ones * 0x20) & ~w, del = (d - ones) & ~d;
    return (ctl | del | w) & highs;
}

#if defined(__SSE2__) && defined(__GNUC__)
/* Bits of the 16 bytes at p that are '"', '\\', < 0x20 or >= 0x80 (pf_lex_special8, 16 at a
 * time: a signed compare with 0x20 flags the control bytes and every byte >= 0x80). */
static inline unsigned pf_lex_special16(const uint8_t *p) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                          _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                             _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* From p[k]: the index of the first byte that is '"', '\\', < 0x20 or >= 0x80, searched 16
 * bytes at a time (SSE2) and then 8 (a word); *found 0 when the search stopped short of it (at
 * most 7 bytes left, or a flagged word where the exact byte cannot be told): the caller looks
 * at the bytes from there one by one. */
static inline size_t pf_lex_special_at(const uint8_t *p, size_t k, size_t n, int *found) {
    *found = 0;
#if defined(__SSE2__) && defined(__GNUC__)
    while (k + 16 <= n) {
        unsigned m = pf_lex_special16(p + k);
        if (m) {
            *found = 1;
            return k + (size_t)__builtin_ctz(m);
        }
        k += 16;
    }
#endif
    while (k + 8 <= n) {
        uint64_t w, m;
        memcpy(&w, p + k, 8);
        if ((m = pf_lex_special8(w)) != 0) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            *found = 1;
            k += (size_t)__builtin_ctzll(m) >> 3;   /* the lowest flagged byte is exact */
#endif
            break;
        }
        k += 8;
    }
    return k;
}

/* The JSON string at p[*i] == '"' (bytes *i+1 .. k already known plain), validated as RFC 8259 and
 * Go read it: when
 * o != NULL unescaped into o (surrogate pairs joined; a lone surrogate escape
 * or each maximal invalid UTF-8 subpart becomes U+FFFD). On success *i is past
 * the closing quote. Plain ASCII runs go 8 bytes at a time. */
static int pf_lex_string_from(const uint8_t *p, size_t n, size_t *i, pf_bytes *o, size_t k)
#if defined(__GNUC__)
    __attribute__((unused, noinline))
#endif
    ;
static int pf_lex_string_from(const uint8_t *p, size_t n, size_t *i, pf_bytes *o, size_t k) {
    size_t run = *i + 1;   /* the bytes p[run..k) are the value's as they stand: copied in one go */
    for (;;) {
        int found;
        k = pf_lex_special_at(p, k, n, &found);
        while (k < n && p[k] != '"' && p[k] != '\\' && p[k] >= 0x20 && p[k] < 0x80) k++;
        if (k >= n) return PF_ERR_SYNTAX;
        uint8_t c = p[k];
        if (c >= 0x80) {
            size_t sub;
            size_t len = pf_lex_utf8(p + k, n - k, &sub);
            if (len) {   /* valid UTF-8 stays in the run */
                k += len;
                continue;
            }
            if (o && ((k > run && pf_bytes_append(o, p + run, k - run))
                      || pf_bytes_append(o, (const uint8_t *)"\xEF\xBF\xBD", 3)))
                return PF_ERR_NOMEM;
            k += sub;
            run = k;
            continue;
        }
        if (o && k > run && pf_bytes_append(o, p + run, k - run)) return PF_ERR_NOMEM;
        if (c == '"') { *i = k + 1; return 0; }
        if (c < 0x20) return PF_ERR_SYNTAX;
        /* backslash */
        int rc = pf_lex_escape(p, n, &k, o);
        if (rc) return rc;
        run = k;
    }
}

/* pf_lex_string_from from the start; the common case (no escape, no byte >= 0x80 before the
 * closing quote, found in the first words) stays inline. *plain (when not NULL) tells whether
 * the string's bytes between the quotes are its value. */
static inline int pf_lex_string2(const uint8_t *p, size_t n, size_t *i, pf_bytes *o, int *plain) {
    int found;
    size_t k = pf_lex_special_at(p, *i + 1, n, &found);
    if (found && p[k] == '"') {
        if (o && pf_bytes_append(o, p + *i + 1, k - *i - 1)) return PF_ERR_NOMEM;
        *i = k + 1;
        if (plain) *plain = 1;
        return 0;
    }
    if (plain) *plain = 0;
    return pf_lex_string_from(p, n, i, o, k);
}

static inline int pf_lex_string(const uint8_t *p, size_t n, size_t *i, pf_bytes *o) {
    return pf_lex_string2(p, n, i, o, NULL);
}

/* The number at p[*i], RFC 8259 grammar; *i past it. */
static inline int pf_lex_number(const uint8_t *p, size_t n, size_t *i) {
    size_t k = *i;
    if (k < n && p[k] == '-') k++;
    if (k >= n) return PF_ERR_SYNTAX;
    if (p[k] == '0') k++;
    else if (p[k] >= '1' && p[k] <= '9') k = pf_lex_digits(p, k, n);
    else return PF_ERR_SYNTAX;
    if (k < n && p[k] == '.') {
        k++;
        if (k >= n || p[k] < '0' || p[k] > '9') return PF_ERR_SYNTAX;
        k = pf_lex_digits(p, k, n);
    }
    if (k < n && (p[k] == 'e' || p[k] == 'E')) {
        k++;
        if (k < n && (p[k] == '+' || p[k] == '-')) k++;
        if (k >= n || p[k] < '0' || p[k] > '9') return PF_ERR_SYNTAX;
        k = pf_lex_digits(p, k, n);
    }
    *i = k;
    return 0;
}

/* true / false / null at p[*i]: *kind PF_K_TRUE/FALSE/NULL, *i past it. */
static inline int pf_lex_literal(const uint8_t *p, size_t n, size_t *i, int *kind) {
    size_t k = *i;
    if (n - k >= 4 && memcmp(p + k, "true", 4) == 0) { *kind = PF_K_TRUE; *i = k + 4; return 0; }
    if (n - k >= 5 && memcmp(p + k, "false", 5) == 0) { *kind = PF_K_FALSE; *i = k + 5; return 0; }
    if (n - k >= 4 && memcmp(p + k, "null", 4) == 0) { *kind = PF_K_NULL; *i = k + 4; return 0; }
    return PF_ERR_SYNTAX;
}

/* ---- walking JSON text that is (or should be) well formed ---------------------- */

/* p[i] == '"': index after the closing quote, or 0 when unterminated (not validated); *esc
 * set to 1 when the string holds a backslash. One pass for both bytes, 16 at a time where
 * SSE2 is there (every x86-64): a key or a short value costs no library call, a long
 * base64 string no second pass. */
static inline size_t pf_walk_string_esc(const uint8_t *p, size_t i, size_t n, int *esc) {
    i++;
    for (;;) {
#if defined(__SSE2__) && defined(__GNUC__)
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                                  _mm_cmpeq_epi8(v, bslash)));
            if (m) {
                i += (size_t)__builtin_ctz(m);
                goto hit;
            }
            i += 16;
        }
#endif
        while (i < n && p[i] != '"' && p[i] != '\\') i++;
        if (i >= n) return 0;
#if defined(__SSE2__) && defined(__GNUC__)
    hit:
#endif
        if (p[i] == '"') return i + 1;
        *esc = 1;
        i += 2;  /* a backslash escapes the next byte */
        if (i >= n) return 0;
    }
}

/* p[i] == '"': index after the closing quote, or 0 when unterminated (not validated). */
static inline size_t pf_walk_string(const uint8_t *p, size_t i, size_t n) {
    int esc = 0;
    return pf_walk_string_esc(p, i, n, &esc);
}

/* Index after the value starting at p[i] (i < n), or 0 when malformed. Iterative. */
static inline size_t pf_walk_value(const uint8_t *p, size_t i, size_t n) {
    uint8_t c = p[i];
    if (c == '"') return pf_walk_string(p, i, n);
    if (c == '{' || c == '[') {
        size_t depth = 0;
        while (i < n) {
            c = p[i];
            if (c == '"') {
                i = pf_walk_string(p, i, n);
                if (!i) return 0;
                continue;
            }
            if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
            i++;
        }
        return 0;
    }
    size_t j = i;
    while (j < n && !PF_IS_WS(p[j]) && p[j] != ',' && p[j] != '}' && p[j] != ']') j++;
    return j == i ? 0 : j;
}

/* Find `key` among the members of the JSON object p[0..n) (keys compared as
 * written, escapes not decoded). first=1: stop at the first match; first=0:
 * the last match wins and the whole object, followed only by whitespace, must
 * walk. Returns 1 found (*vs,*ve = value span), 0 not found, -1 malformed. */
static inline int pf_walk_find(const uint8_t *p, size_t n, const char *key, size_t klen, int first,
                               size_t *vs, size_t *ve) {
    int found = 0;
    size_t i = pf_lex_ws(p, 0, n);
    if (i >= n || p[i] != '{') return -1;
    i = pf_lex_ws(p, i + 1, n);
    if (i < n && p[i] == '}') {
        i++;
    } else {
        for (;;) {
            if (i >= n || p[i] != '"') return -1;
            size_t ks = i + 1, e = pf_walk_string(p, i, n);
            if (!e) return -1;
            size_t ke = e - 1;
            i = pf_lex_ws(p, e, n);
            if (i >= n || p[i] != ':') return -1;
            i = pf_lex_ws(p, i + 1, n);
            if (i >= n) return -1;
            size_t v = i, w = pf_walk_value(p, i, n);
            if (!w) return -1;
            if (ke - ks == klen && memcmp(p + ks, key, klen) == 0) {
                *vs = v;
                *ve = w;
                found = 1;
                if (first) return 1;
            }
            i = pf_lex_ws(p, w, n);
            if (i < n && p[i] == ',') {
                i = pf_lex_ws(p, i + 1, n);
                continue;
            }
            if (i < n && p[i] == '}') {
                i++;
                break;
            }
            return -1;
        }
    }
    if (!first && pf_lex_ws(p, i, n) != n) return -1;
    return found;
}

/* ---- base64 (a JSON []byte field, an event-stream payload) ---------------------------- */

/* Base64 value of each byte: -1 invalid, -2 '=', -3 CR or LF. */
static const int8_t PF_B64[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -3, -1, -1, -3, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -2, -1, -1,
    -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* Go's base64.StdEncoding.Decode of p[0..n) into o: CR/LF skipped, padding required and only
 * in the last quantum. PF_OK, PF_ERR_SYNTAX (invalid) or PF_ERR_NOMEM. */
static inline int pf_lex_base64(const uint8_t *p, size_t n, pf_bytes *o) {
    o->len = 0;
    if (pf_bytes_reserve(o, n / 4 * 3 + 3)) return PF_ERR_NOMEM;
    const int8_t *tb = PF_B64;
    uint8_t *w = o->p;
    size_t i = 0;
    /* fast path: whole quanta of alphabet characters */
    while (n - i >= 4) {
        int v0 = tb[p[i]], v1 = tb[p[i + 1]], v2 = tb[p[i + 2]], v3 = tb[p[i + 3]];
        if ((v0 | v1 | v2 | v3) < 0) break;
        w[0] = (uint8_t)((v0 << 2) | (v1 >> 4));
        w[1] = (uint8_t)(((v1 & 0xF) << 4) | (v2 >> 2));
        w[2] = (uint8_t)(((v2 & 0x3) << 6) | v3);
        w += 3;
        i += 4;
    }
    int q[4], k = 0, done = 0;
    for (; i < n; i++) {
        int v = tb[p[i]];
        if (v == -3) continue;
        if (done || v == -1) return PF_ERR_SYNTAX;
        q[k++] = v;
        if (k < 4) continue;
        k = 0;
        if (q[0] < 0 || q[1] < 0) return PF_ERR_SYNTAX;
        *w++ = (uint8_t)((q[0] << 2) | (q[1] >> 4));
        if (q[2] == -2) {
            if (q[3] != -2) return PF_ERR_SYNTAX;
            done = 1;
            continue;
        }
        if (q[2] < 0) return PF_ERR_SYNTAX;
        *w++ = (uint8_t)(((q[1] & 0xF) << 4) | (q[2] >> 2));
        if (q[3] == -2) {
            done = 1;
            continue;
        }
        if (q[3] < 0) return PF_ERR_SYNTAX;
        *w++ = (uint8_t)(((q[2] & 0x3) << 6) | q[3]);
    }
    if (k) return PF_ERR_SYNTAX;
    o->len = (size_t)(w - o->p);
    return PF_OK;
}

/* ---- checking a whole JSON text ------------------------------------------------- */

/* Whether p[0..n) is one JSON object (whitespace around it allowed) that Go's json.Unmarshal
 * into a map[string]any reads without error: RFC 8259 syntax (invalid UTF-8 and lone
 * surrogate escapes are read as U+FFFD, as Go does), at most 64 levels deep, and every number
 * at most 300 characters without exponent, so that float64 holds it. 0 only says "not shown
 * here": the caller then decides the slow way (pyfantasy._go.json.decode_object). */
static inline int pf_lex_json_object(const uint8_t *p, size_t n) {
    uint8_t open[64];
    int depth = 0;
    size_t i = pf_lex_ws(p, 0, n);
    if (i >= n || p[i] != '{') return 0;
value:
    i = pf_lex_ws(p, i, n);
    if (i >= n) return 0;
    switch (p[i]) {
    case '{':
    case '[':
        if (depth == 64) return 0;
        open[depth++] = p[i];
        i = pf_lex_ws(p, i + 1, n);
        if (i < n && p[i] == (open[depth - 1] == '{' ? '}' : ']')) {
            depth--;
            i++;
            goto after;
        }
        if (open[depth - 1] == '{') goto key;
        goto value;
    case '"':
        if (pf_lex_string(p, n, &i, NULL)) return 0;
        goto after;
    case 't': case 'f': case 'n': {
        int kind;
        if (pf_lex_literal(p, n, &i, &kind)) return 0;
        goto after;
    }
    default: {
        size_t s = i;
        if (pf_lex_number(p, n, &i) || i - s > 300) return 0;
        for (size_t k = s; k < i; k++) if (p[k] == 'e' || p[k] == 'E') return 0;
        goto after;
    }
    }
key:
    if (i >= n || p[i] != '"' || pf_lex_string(p, n, &i, NULL)) return 0;
    i = pf_lex_ws(p, i, n);
    if (i >= n || p[i] != ':') return 0;
    i++;
    goto value;
after:
    i = pf_lex_ws(p, i, n);
    if (depth == 0) return i == n;
    if (i >= n) return 0;
    if (p[i] == ',') {
        i = pf_lex_ws(p, i + 1, n);
        if (open[depth - 1] == '{') goto key;
        goto value;
    }
    if (p[i] == (open[depth - 1] == '{' ? '}' : ']')) {
        depth--;
        i++;
        goto after;
    }
    return 0;
}

#endif
