/* Fast reader for go-vcr cassettes: the exact YAML subset the Go recorder
 * writes (docs/cassettes.md), parsed into a flat record list.
 *
 * Why: libyaml (PyYAML's CSafeLoader) costs ~0.4 ms per corpus file, most of
 * it building events and nodes for a schema that never changes. The recorder
 * only ever writes: "---", block mappings and sequences at fixed indents
 * (any indent width, compact or not), plain / single-quoted / double-quoted
 * (every escape) / literal block scalars (indentation and chomping
 * indicators), flow "[]" and "{}" for empties, and "!!binary" base64. This
 * file parses exactly that, schema-directed, in one pass.
 *
 * Anything outside the subset (comments, anchors, tags other than !!binary,
 * folded or multi-line flow scalars, complex keys, blank lines between
 * keys, unknown keys, quoted integers, CR or U+2028 anywhere, ...) makes
 * pf_vcr_parse return PF_UNSUPPORTED with the byte offset, and the
 * caller falls back to pyfantasy.cassette.loads, which either reads the file
 * (the same values) or raises the proper error. So this reader never has to
 * be right about odd YAML: it only has to be right, or say "not mine".
 *
 * Output: one record per scalar (PF_VCR_REC_W size_t: interaction, field, flags, off,
 * len); values are decoded into one arena (quotes and escapes undone, block
 * indentation removed, base64 decoded). Nothing here knows Python. */
#include "pf_lex.h"

enum { T_STR, T_BODY, T_INT, T_LIST, T_MAP, T_BOOL, T_DUR };

typedef struct {
    const char *name;
    size_t name_len;
    uint8_t type;
} vcr_field;

#define F(n, t) { n, sizeof(n) - 1, t }
static const vcr_field REQ_FIELDS[] = {
    F("proto", T_STR), F("proto_major", T_INT), F("proto_minor", T_INT),
    F("content_length", T_INT), F("transfer_encoding", T_LIST), F("trailer", T_MAP),
    F("host", T_STR), F("remote_addr", T_STR), F("request_uri", T_STR), F("body", T_BODY),
    F("form", T_MAP), F("headers", T_MAP), F("url", T_STR), F("method", T_STR),
};
static const vcr_field RESP_FIELDS[] = {
    F("proto", T_STR), F("proto_major", T_INT), F("proto_minor", T_INT),
    F("transfer_encoding", T_LIST), F("trailer", T_MAP), F("content_length", T_INT),
    F("uncompressed", T_BOOL), F("body", T_BODY), F("headers", T_MAP), F("status", T_STR),
    F("code", T_INT), F("duration", T_DUR),
};
#undef F
#define N_REQ (sizeof(REQ_FIELDS) / sizeof(REQ_FIELDS[0]))
#define N_RESP (sizeof(RESP_FIELDS) / sizeof(RESP_FIELDS[0]))

struct pf_vcr {
    pf_sizes recs;
    pf_bytes arena;
    pf_sizes light;    /* pf_vcr_light's rows */
};

typedef struct {
    const uint8_t *p, *end, *start;
    pf_vcr *v;
    size_t inter;      /* index of the interaction being read */
    size_t err_off;
    int nomem;
} vcr_parser;

/* Every failure goes through here: remember where, return non-zero. */
static int unsupported(vcr_parser *ps, const uint8_t *at) {
    ps->err_off = (size_t)((at < ps->end ? at : ps->end) - ps->start);
    return PF_UNSUPPORTED;
}

static int nomem(vcr_parser *ps) {
    ps->nomem = 1;
    return PF_ERR_NOMEM;
}

#define TRY(x) do { int r_ = (x); if (r_) return r_; } while (0)

pf_vcr *pf_vcr_new(void) {
    return (pf_vcr *)calloc(1, sizeof(pf_vcr));
}

void pf_vcr_free(pf_vcr *v) {
    if (!v) return;
    pf_sizes_free(&v->recs);
    pf_bytes_free(&v->arena);
    pf_sizes_free(&v->light);
    free(v);
}

static int emit(vcr_parser *ps, size_t field, size_t flags, size_t off, size_t len) {
    pf_sizes *r = &ps->v->recs;
    if (pf_sizes_reserve(r, PF_VCR_REC_W)) return nomem(ps);
    size_t *o = r->p + r->len;
    o[0] = ps->inter; o[1] = field; o[2] = flags; o[3] = off; o[4] = len;
    r->len += PF_VCR_REC_W;
    return 0;
}

/* ---- the whole-file check: UTF-8, YAML-printable, no line break but LF ---- */

/* 0 when every byte is in the subset's alphabet: valid UTF-8 of TAB, LF,
 * U+0020..U+007E, U+00A0..U+D7FF, U+E000..U+FFFD except U+FEFF, U+2028 and
 * U+2029, and U+10000..U+10FFFF. (PyYAML also accepts CR and NEL but treats
 * them, and U+2028/U+2029, as line breaks: the recorder never writes them
 * raw, so they are left to the fallback.) */
static int check_text(vcr_parser *ps) {
    const uint8_t *p = ps->start, *end = ps->end;
    while (p < end) {
        uint64_t w;   /* printable ASCII 8 bytes at a time; a line end or other byte: one by one */
        while (end - p >= 8 && (memcpy(&w, p, 8), !pf_lex_unprintable8(w))) p += 8;
        if (p == end) break;
        uint8_t c = *p;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return unsupported(ps, p);
            p++;
            continue;
        }
        uint32_t cp;
        size_t n = pf_lex_utf8_cp(p, (size_t)(end - p), &cp);   /* 0: not valid UTF-8 (a surrogate neither) */
        if (!n) return unsupported(ps, p);
        if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029 ||
            cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
            return unsupported(ps, p);
        p += n;
    }
    return 0;
}

/* ---- lines ------------------------------------------------------------------ */

static size_t spaces(const uint8_t *p, const uint8_t *end) {
    const uint8_t *q = p;
    while (q < end && *q == ' ') q++;
    return (size_t)(q - p);
}

/* At a line start: its indentation, or SIZE_MAX at the end of the input.
 * A blank or spaces-only line is outside the subset. */
static int line_indent(vcr_parser *ps, size_t *ind) {
    if (ps->p >= ps->end) { *ind = SIZE_MAX; return 0; }
    size_t n = spaces(ps->p, ps->end);
    if (ps->p[n] == '\n') return unsupported(ps, ps->p);
    *ind = n;
    return 0;
}

static int is_dash_entry(const uint8_t *p) {
    return p[0] == '-' && p[1] == ' ';
}

/* ---- scalars ------------------------------------------------------------------ */

#define FL_BINARY PF_VCR_BINARY
#define FL_PLAIN PF_VCR_PLAIN
#define FL_NULL PF_VCR_NULL

static int put_utf8(vcr_parser *ps, uint32_t cp) {
    return pf_put_utf8(&ps->v->arena, cp) ? nomem(ps) : 0;
}

/* "..." on one line; p at the opening quote, left after the closing one. */
static int read_double(vcr_parser *ps) {
    pf_bytes *a = &ps->v->arena;
    const uint8_t *p = ps->p + 1, *end = ps->end;
    for (;;) {
        const uint8_t *q = p;
        while (q < end && *q != '"' && *q != '\\' && *q != '\n') q++;
        if (q >= end || *q == '\n') return unsupported(ps, q);
        if (pf_bytes_append(a, p, (size_t)(q - p))) return nomem(ps);
        if (*q == '"') { ps->p = q + 1; return 0; }
        /* an escape */
        if (q + 1 >= end) return unsupported(ps, q);
        uint8_t e = q[1], r;
        size_t digits = 0;
        switch (e) {
        case '0': r = 0x00; break;
        case 'a': r = 0x07; break;
        case 'b': r = 0x08; break;
        case 't': case '\t': r = 0x09; break;
        case 'n': r = 0x0a; break;
        case 'v': r = 0x0b; break;
        case 'f': r = 0x0c; break;
        case 'r': r = 0x0d; break;
        case 'e': r = 0x1b; break;
        case ' ': r = ' '; break;
        case '"': r = '"'; break;
        case '/': r = '/'; break;
        case '\\': r = '\\'; break;
        case 'N': TRY(put_utf8(ps, 0x85)); p = q + 2; continue;
        case '_': TRY(put_utf8(ps, 0xa0)); p = q + 2; continue;
        case 'L': TRY(put_utf8(ps, 0x2028)); p = q + 2; continue;
        case 'P': TRY(put_utf8(ps, 0x2029)); p = q + 2; continue;
        case 'x': digits = 2; r = 0; break;
        case 'u': digits = 4; r = 0; break;
        case 'U': digits = 8; r = 0; break;
        default: return unsupported(ps, q);  /* escaped line break, or not an escape */
        }
        if (!digits) {
            if (pf_bytes_push(a, r)) return nomem(ps);
            p = q + 2;
            continue;
        }
        if ((size_t)(end - (q + 2)) < digits) return unsupported(ps, q);
        uint32_t cp;
        if (pf_lex_hexn(q + 2, digits, &cp)) return unsupported(ps, q);
        /* a lone surrogate is an error for the loader; beyond U+10FFFF too */
        if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return unsupported(ps, q);
        TRY(put_utf8(ps, cp));
        p = q + 2 + digits;
    }
}

/* '...' on one line ('' is a quote); p at the opening quote, left after the closing one. */
static int read_single(vcr_parser *ps) {
    pf_bytes *a = &ps->v->arena;
    const uint8_t *p = ps->p + 1, *end = ps->end;
    for (;;) {
        const uint8_t *q = p;
        while (q < end && *q != '\'' && *q != '\n') q++;
        if (q >= end || *q == '\n') return unsupported(ps, q);
        if (pf_bytes_append(a, p, (size_t)(q - p))) return nomem(ps);
        if (q + 1 < end && q[1] == '\'') {
            if (pf_bytes_push(a, '\'')) return nomem(ps);
            p = q + 2;
            continue;
        }
        ps->p = q + 1;
        return 0;
    }
}

/* Literal block: p just after '|'; `parent` is the indentation of the node
 * holding it (key column, or dash column for a list item), as PyYAML's
 * scanner counts it. Leaves p at the next line that is not part of it. */
static int read_literal(vcr_parser *ps, size_t parent) {
    pf_bytes *a = &ps->v->arena;
    const uint8_t *p = ps->p, *end = ps->end;
    int digit = 0, chomp = 0;  /* chomp: 0 clip, -1 strip, +1 keep */
    for (int k = 0; k < 2; k++) {
        if (*p >= '1' && *p <= '9' && !digit) { digit = *p - '0'; p++; }
        else if ((*p == '-' || *p == '+') && !chomp) { chomp = *p == '-' ? -1 : 1; p++; }
        else break;
    }
    if (*p != '\n') return unsupported(ps, p);
    p++;
    size_t n;
    if (digit) {
        n = parent + (size_t)digit;
    } else {
        const uint8_t *q = p;
        while (q < end && *q == '\n') q++;
        if (q >= end) return unsupported(ps, q);
        size_t s = spaces(q, end);
        if (q[s] == '\n' || s <= parent) return unsupported(ps, q);
        n = s;
    }
    size_t pending = 0;
    int any = 0;
    while (p < end) {
        if (*p == '\n') { pending++; p++; continue; }
        size_t k = spaces(p, end);
        if (p[k] == '\n') return unsupported(ps, p);  /* spaces-only line */
        if (k < n) break;
        const uint8_t *nl = (const uint8_t *)memchr(p + n, '\n', (size_t)(end - (p + n)));
        if (!nl) return unsupported(ps, p);
        if (pf_bytes_reserve(a, (any ? 1 : 0) + pending + (size_t)(nl - (p + n)) + 1)) return nomem(ps);
        if (any) a->p[a->len++] = '\n';
        memset(a->p + a->len, '\n', pending);
        a->len += pending;
        pending = 0;
        memcpy(a->p + a->len, p + n, (size_t)(nl - (p + n)));
        a->len += (size_t)(nl - (p + n));
        any = 1;
        p = nl + 1;
    }
    if (!any) return unsupported(ps, ps->p);
    if (chomp >= 0) {
        size_t extra = 1 + (chomp > 0 ? pending : 0);
        if (pf_bytes_reserve(a, extra)) return nomem(ps);
        memset(a->p + a->len, '\n', extra);
        a->len += extra;
    }
    ps->p = p;
    return 0;
}

static int b64val(uint8_t c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decode the canonical base64 text at arena[off..] in place (LF ignored, as
 * binascii.a2b_base64 does); anything but canonical base64 is unsupported. */
static int base64_in_place(vcr_parser *ps, size_t off, const uint8_t *at) {
    pf_bytes *a = &ps->v->arena;
    uint8_t *s = a->p + off;
    size_t len = a->len - off, w = 0, nq = 0, pad = 0;
    uint32_t acc = 0;
    for (size_t r = 0; r < len; r++) {
        uint8_t c = s[r];
        if (c == '\n') continue;
        if (c == '=') {
            pad++;
            if (pad > 2) return unsupported(ps, at);
            acc <<= 6;
        } else {
            int v = b64val(c);
            if (v < 0 || pad) return unsupported(ps, at);
            acc = (acc << 6) | (uint32_t)v;
        }
        if (++nq == 4) {
            s[w++] = (uint8_t)(acc >> 16);
            if (pad < 2) s[w++] = (uint8_t)(acc >> 8);
            if (pad < 1) s[w++] = (uint8_t)acc;
            nq = 0;
            acc = 0;
        }
    }
    if (nq != 0 || (pad && w == 0)) return unsupported(ps, at);
    a->len = off + w;
    return 0;
}

static int is_nullish(const uint8_t *s, size_t n) {
    if (n == 0) return 1;
    if (n == 1) return s[0] == '~';
    if (n == 4) return !memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4);
    return 0;
}

/* A plain scalar running to the end of the line. */
static int read_plain_value(vcr_parser *ps, size_t *flags) {
    const uint8_t *p = ps->p, *end = ps->end;
    const uint8_t *nl = (const uint8_t *)memchr(p, '\n', (size_t)(end - p));
    if (!nl || nl == p) return unsupported(ps, p);
    uint8_t c = p[0];
    if (strchr(",[]{}#&*!|>'\"%@`", c)) return unsupported(ps, p);
    if ((c == '-' || c == '?' || c == ':') && (p[1] == ' ' || p[1] == '\n')) return unsupported(ps, p);
    if (nl[-1] == ' ' || nl[-1] == ':') return unsupported(ps, nl - 1);
    for (const uint8_t *q = p; q < nl; q++) {
        if (*q == '\t') return unsupported(ps, q);
        if (*q == ':' && q[1] == ' ') return unsupported(ps, q);
        if (*q == ' ' && q[1] == '#') return unsupported(ps, q);
    }
    size_t n = (size_t)(nl - p);
    *flags = FL_PLAIN;
    if (is_nullish(p, n)) *flags |= FL_NULL;
    else if (pf_bytes_append(&ps->v->arena, p, n)) return nomem(ps);
    ps->p = nl + 1;
    return 0;
}

/* After a quoted scalar the line must end. */
static int end_of_line(vcr_parser *ps) {
    if (ps->p >= ps->end || *ps->p != '\n') return unsupported(ps, ps->p);
    ps->p++;
    return 0;
}

enum { V_SCALAR, V_EMPTY_SEQ, V_EMPTY_MAP };

/* An inline value (after "key: " or "- "), decoded into the arena from `off`.
 * p is left at the start of the next line. */
static int read_value(vcr_parser *ps, size_t parent, int *kind, size_t *flags) {
    const uint8_t *p = ps->p;
    *kind = V_SCALAR;
    *flags = 0;
    switch (*p) {
    case '"': TRY(read_double(ps)); return end_of_line(ps);
    case '\'': TRY(read_single(ps)); return end_of_line(ps);
    case '|': ps->p = p + 1; return read_literal(ps, parent);
    case '[':
        if (p[1] == ']' && p[2] == '\n') { *kind = V_EMPTY_SEQ; ps->p = p + 3; return 0; }
        return unsupported(ps, p);
    case '{':
        if (p[1] == '}' && p[2] == '\n') { *kind = V_EMPTY_MAP; ps->p = p + 3; return 0; }
        return unsupported(ps, p);
    case '!': {
        static const char tag[] = "!!binary ";
        if ((size_t)(ps->end - p) < sizeof(tag) || memcmp(p, tag, sizeof(tag) - 1))
            return unsupported(ps, p);
        size_t off = ps->v->arena.len;
        ps->p = p + sizeof(tag) - 1;
        if (*ps->p == '|') {
            ps->p++;
            TRY(read_literal(ps, parent));
        } else {
            const uint8_t *nl = (const uint8_t *)memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
            if (!nl || nl == ps->p) return unsupported(ps, ps->p);
            if (pf_bytes_append(&ps->v->arena, ps->p, (size_t)(nl - ps->p))) return nomem(ps);
            ps->p = nl + 1;
        }
        *flags = FL_BINARY;
        return base64_in_place(ps, off, p);
    }
    default:
        return read_plain_value(ps, flags);
    }
}

/* A key at p (mid-line), decoded into the arena; p is left after ": " (inline
 * value follows, *inl = 1) or after ":\n" (block value on the next lines). */
static int read_key(vcr_parser *ps, size_t *flags, int *inl) {
    const uint8_t *p = ps->p, *end = ps->end;
    *flags = 0;
    if (*p == '"' || *p == '\'') {
        TRY(*p == '"' ? read_double(ps) : read_single(ps));
        p = ps->p;
        if (p >= end || *p != ':') return unsupported(ps, p);
    } else {
        if (strchr(",[]{}#&*!|>%@`?:-", *p) || *p == '\n' || *p == ' ') return unsupported(ps, p);
        const uint8_t *q = p;
        while (q < end && *q != '\n' && !(*q == ':' && (q[1] == ' ' || q[1] == '\n'))) {
            if (*q == '\t' || (*q == ' ' && (q[1] == '#' || q[1] == ' ' || q[1] == ':'))) return unsupported(ps, q);
            q++;
        }
        if (q >= end || *q != ':') return unsupported(ps, q);
        *flags = FL_PLAIN;
        if (is_nullish(p, (size_t)(q - p))) *flags |= FL_NULL;
        else if (pf_bytes_append(&ps->v->arena, p, (size_t)(q - p))) return nomem(ps);
        p = q;
    }
    /* p at ':' */
    if (p[1] == '\n') { *inl = 0; ps->p = p + 2; return 0; }
    if (p[1] == ' ' && p[2] != ' ' && p[2] != '\n') { *inl = 1; ps->p = p + 2; return 0; }
    return unsupported(ps, p);
}

/* Where a block value (on the lines after "key:") starts: a sequence at any
 * column >= the key's, or a mapping at a column > the key's. */
static int block_value(vcr_parser *ps, size_t key_col, int *is_seq, size_t *col) {
    size_t ind;
    TRY(line_indent(ps, &ind));
    if (ind == SIZE_MAX) return unsupported(ps, ps->p);
    *col = ind;
    *is_seq = is_dash_entry(ps->p + ind);
    if (*is_seq ? ind < key_col : ind <= key_col) return unsupported(ps, ps->p);
    return 0;
}

/* ---- schema ------------------------------------------------------------------ */

/* Fixed field names of a mapping: the index of `name`, or -1. */
static int field_index(const vcr_field *fields, size_t n, const uint8_t *name, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (fields[i].name_len == len && !memcmp(fields[i].name, name, len)) return (int)i;
    return -1;
}

/* Read a fixed key into a scratch span of the arena and drop it again. */
static int fixed_key(vcr_parser *ps, const vcr_field *fields, size_t n, int *idx, int *inl) {
    pf_bytes *a = &ps->v->arena;
    size_t mark = a->len, fl;
    const uint8_t *at = ps->p;
    TRY(read_key(ps, &fl, inl));
    *idx = (fl & FL_NULL) ? -1 : field_index(fields, n, a->p + mark, a->len - mark);
    a->len = mark;
    if (*idx < 0) return unsupported(ps, at);  /* unknown keys: the loader ignores them */
    return 0;
}

/* A list of strings: dashes at `col`; each item one record. */
static int parse_list(vcr_parser *ps, size_t col, size_t field, size_t extra_flags) {
    for (;;) {
        size_t ind;
        TRY(line_indent(ps, &ind));
        if (ind == SIZE_MAX || ind < col) return 0;
        if (ind > col) return unsupported(ps, ps->p);
        if (!is_dash_entry(ps->p + ind)) return 0;  /* the parent mapping's next key */
        ps->p += ind + 2;
        if (*ps->p == ' ') return unsupported(ps, ps->p);
        size_t off = ps->v->arena.len, fl;
        int kind;
        TRY(read_value(ps, col, &kind, &fl));
        if (kind != V_SCALAR) return unsupported(ps, ps->p);
        TRY(emit(ps, field, fl | extra_flags | PF_VCR_ITEM, off, ps->v->arena.len - off));
    }
}

/* headers / trailer / form: string keys, each with a list of strings. */
static int parse_map_of_lists(vcr_parser *ps, size_t col, size_t field) {
    for (;;) {
        size_t ind;
        TRY(line_indent(ps, &ind));
        if (ind == SIZE_MAX || ind < col) return 0;
        if (ind > col || is_dash_entry(ps->p + ind)) return unsupported(ps, ps->p);
        ps->p += ind;
        size_t off = ps->v->arena.len, fl;
        int inl;
        if (*ps->p == '!') return unsupported(ps, ps->p);
        TRY(read_key(ps, &fl, &inl));
        TRY(emit(ps, field, fl | PF_VCR_KEY, off, ps->v->arena.len - off));
        if (inl) {
            int kind;
            size_t vfl;
            const uint8_t *at = ps->p;
            TRY(read_value(ps, col, &kind, &vfl));
            if (kind != V_EMPTY_SEQ) return unsupported(ps, at);
        } else {
            int is_seq;
            size_t c;
            TRY(block_value(ps, col, &is_seq, &c));
            if (!is_seq) return unsupported(ps, ps->p);
            TRY(parse_list(ps, c, field, 0));
        }
    }
}

/* A plain decimal int64 (no sign but '-', no leading zero, at most 18
 * digits), or a plain null; anything else is for the loader to judge. */
static int parse_int_value(vcr_parser *ps, const uint8_t *at, size_t off, size_t fl, int *is_null) {
    const uint8_t *s = ps->v->arena.p + off;
    size_t len = ps->v->arena.len - off;
    if (!(fl & FL_PLAIN) || (fl & FL_BINARY)) return unsupported(ps, at);
    *is_null = (fl & FL_NULL) ? 1 : 0;
    if (fl & FL_NULL) return 0;
    size_t i = s[0] == '-' ? 1 : 0;
    if (len - i == 0 || len - i > 18 || (s[i] == '0' && len - i > 1)) return unsupported(ps, at);
    if (pf_lex_digits(s, i, len) != len) return unsupported(ps, at);
    if (i && len == 2 && s[1] == '0') return unsupported(ps, at);
    return 0;
}

/* The fields of a request (resp = 0) or response (resp = 1) mapping at `col`. */
static int parse_fields(vcr_parser *ps, size_t col, int resp) {
    const vcr_field *fields = resp ? RESP_FIELDS : REQ_FIELDS;
    size_t nf = resp ? N_RESP : N_REQ, base = resp ? 17 : 1;
    uint32_t seen = 0;
    for (;;) {
        size_t ind;
        TRY(line_indent(ps, &ind));
        if (ind == SIZE_MAX || ind < col) return 0;
        if (ind > col) return unsupported(ps, ps->p);
        if (is_dash_entry(ps->p + ind)) return 0;
        ps->p += ind;
        const uint8_t *at = ps->p;
        int idx, inl;
        TRY(fixed_key(ps, fields, nf, &idx, &inl));
        if (seen & (1u << idx)) return unsupported(ps, at);  /* duplicate key */
        seen |= 1u << idx;
        size_t field = base + (size_t)idx;
        uint8_t type = fields[idx].type;
        if (!inl) {
            int is_seq;
            size_t c;
            TRY(block_value(ps, col, &is_seq, &c));
            if (type == T_LIST && is_seq) TRY(parse_list(ps, c, field, 0));
            else if (type == T_MAP && !is_seq) TRY(parse_map_of_lists(ps, c, field));
            else return unsupported(ps, ps->p);
            continue;
        }
        size_t off = ps->v->arena.len, fl;
        int kind;
        const uint8_t *vat = ps->p;
        TRY(read_value(ps, col, &kind, &fl));
        size_t len = ps->v->arena.len - off;
        if (kind == V_EMPTY_SEQ ? type != T_LIST : kind == V_EMPTY_MAP ? type != T_MAP
                : (type == T_LIST || type == T_MAP))
            return unsupported(ps, vat);
        if (kind != V_SCALAR) continue;
        if (fl & FL_BINARY) {
            if (type != T_STR && type != T_BODY) return unsupported(ps, vat);
        } else if (type == T_INT) {
            int dummy;
            TRY(parse_int_value(ps, vat, off, fl, &dummy));
        } else if (type == T_BOOL) {
            const uint8_t *s = ps->v->arena.p + off;
            if (!(fl & FL_PLAIN)) return unsupported(ps, vat);
            if (!(fl & FL_NULL) && !((len == 4 && !memcmp(s, "true", 4)) ||
                                     (len == 5 && !memcmp(s, "false", 5))))
                return unsupported(ps, vat);
        }
        TRY(emit(ps, field, fl, off, len));
    }
}

static const vcr_field ITEM_FIELDS[] = {
    { "id", 2, T_INT }, { "request", 7, T_MAP }, { "response", 8, T_MAP },
};

/* One interaction: a mapping whose first key follows "- " on the dash's line. */
static int parse_interaction(vcr_parser *ps, size_t col) {
    uint32_t seen = 0;
    for (int first = 1;; first = 0) {
        if (!first) {
            size_t ind;
            TRY(line_indent(ps, &ind));
            if (ind == SIZE_MAX || ind < col) return 0;
            if (ind > col || is_dash_entry(ps->p + ind)) return unsupported(ps, ps->p);
            ps->p += ind;
        }
        const uint8_t *at = ps->p;
        int idx, inl;
        TRY(fixed_key(ps, ITEM_FIELDS, 3, &idx, &inl));
        if (seen & (1u << idx)) return unsupported(ps, at);
        seen |= 1u << idx;
        if (idx == 0) {
            if (!inl) return unsupported(ps, ps->p);
            size_t off = ps->v->arena.len, fl;
            int kind, dummy;
            const uint8_t *vat = ps->p;
            TRY(read_value(ps, col, &kind, &fl));
            if (kind != V_SCALAR) return unsupported(ps, vat);
            TRY(parse_int_value(ps, vat, off, fl, &dummy));
            TRY(emit(ps, PF_VCR_ID, fl, off, ps->v->arena.len - off));
            continue;
        }
        if (inl) {
            /* "request: {}" is an empty request */
            int kind;
            size_t fl;
            const uint8_t *vat = ps->p;
            TRY(read_value(ps, col, &kind, &fl));
            if (kind != V_EMPTY_MAP) return unsupported(ps, vat);
            continue;
        }
        int is_seq;
        size_t c;
        TRY(block_value(ps, col, &is_seq, &c));
        if (is_seq) return unsupported(ps, ps->p);
        TRY(parse_fields(ps, c, idx == 2));
    }
}

static int parse_interactions(vcr_parser *ps, size_t col) {
    for (;;) {
        size_t ind;
        TRY(line_indent(ps, &ind));
        if (ind == SIZE_MAX || ind < col) return 0;
        if (ind > col) return unsupported(ps, ps->p);
        if (!is_dash_entry(ps->p + ind)) return 0;
        ps->p += ind + 2;
        if (*ps->p == ' ') return unsupported(ps, ps->p);
        TRY(parse_interaction(ps, col + 2));
        ps->inter++;
    }
}

static const vcr_field ROOT_FIELDS[] = {
    { "version", 7, T_INT }, { "interactions", 12, T_LIST },
};

static int parse_root(vcr_parser *ps) {
    uint32_t seen = 0;
    if ((size_t)(ps->end - ps->p) >= 4 && !memcmp(ps->p, "---\n", 4)) ps->p += 4;
    for (;;) {
        size_t ind;
        TRY(line_indent(ps, &ind));
        if (ind == SIZE_MAX) break;
        if (ind != 0 || is_dash_entry(ps->p)) return unsupported(ps, ps->p);
        if (ps->end - ps->p >= 3 && (!memcmp(ps->p, "---", 3) || !memcmp(ps->p, "...", 3)))
            return unsupported(ps, ps->p);
        const uint8_t *at = ps->p;
        int idx, inl;
        TRY(fixed_key(ps, ROOT_FIELDS, 2, &idx, &inl));
        if (seen & (1u << idx)) return unsupported(ps, at);
        seen |= 1u << idx;
        if (idx == 0) {
            /* version: exactly the plain integer 2 */
            if (!inl || ps->end - ps->p < 2 || memcmp(ps->p, "2\n", 2)) return unsupported(ps, ps->p);
            ps->p += 2;
            continue;
        }
        if (inl) {
            if (ps->end - ps->p < 3 || memcmp(ps->p, "[]\n", 3)) return unsupported(ps, ps->p);
            ps->p += 3;
            continue;
        }
        int is_seq;
        size_t c;
        TRY(block_value(ps, 0, &is_seq, &c));
        if (!is_seq) return unsupported(ps, ps->p);
        TRY(parse_interactions(ps, c));
    }
    if (!(seen & 1u)) return unsupported(ps, ps->start);  /* no version: the loader says why */
    return 0;
}

int pf_vcr_parse(pf_vcr *v, const uint8_t *data, size_t len, pf_vcr_out *out) {
    vcr_parser ps;
    memset(out, 0, sizeof(*out));
    v->recs.len = 0;
    v->arena.len = 0;
    ps.p = ps.start = data;
    ps.end = data + len;
    ps.v = v;
    ps.inter = 0;
    ps.err_off = 0;
    ps.nomem = 0;
    int rc;
    if (len == 0 || data[len - 1] != '\n') rc = unsupported(&ps, ps.end);
    else {
        rc = check_text(&ps);
        if (!rc) rc = parse_root(&ps);
    }
    if (ps.nomem) return PF_ERR_NOMEM;
    if (rc) {
        out->err_offset = ps.err_off;
        return PF_UNSUPPORTED;
    }
    out->recs = v->recs.p;
    out->nrecs = v->recs.len / PF_VCR_REC_W;
    out->ninteractions = ps.inter;
    out->arena = v->arena.p;
    out->arena_len = v->arena.len;
    return PF_OK;
}

/* ---- the scan's view: a few fields per interaction ---------------------------------- */

/* Where each PF_VL_* field comes from: its field code, by its index in REQ_FIELDS (url 12,
 * method 13, body 9) or RESP_FIELDS (body 7, status 9, code 10, duration 11, headers 8: the
 * Content-Type key's value). */
static const size_t LIGHT_FIELD[PF_VL_N] = {
    PF_VCR_ID, PF_VCR_REQUEST + 12, PF_VCR_REQUEST + 13, PF_VCR_REQUEST + 9, PF_VCR_RESPONSE + 7,
    PF_VCR_RESPONSE + 9, PF_VCR_RESPONSE + 10, PF_VCR_RESPONSE + 11, PF_VCR_RESPONSE + 8,
};

/* Nanoseconds + 1 of a duration as the recorder writes it: 1 to 9 digits, an optional point and
 * fraction, then "s" (fraction up to 9 digits) or "ms" (up to 6): exact in integers, as Go's
 * float64 fraction is for these. 0 for any other text (pyfantasy._go.duration reads it). */
static size_t simple_duration(const uint8_t *p, size_t n) {
    size_t i = 0, nf = 0, digits;
    uint64_t whole = 0, frac = 0;
    while (i < n && i < 10 && p[i] >= '0' && p[i] <= '9') whole = whole * 10 + (uint64_t)(p[i++] - '0');
    if (i == 0 || i > 9) return 0;
    if (i < n && p[i] == '.') {
        size_t f0 = ++i;
        while (i < n && i - f0 < 10 && p[i] >= '0' && p[i] <= '9') frac = frac * 10 + (uint64_t)(p[i++] - '0');
        nf = i - f0;
        if (nf == 0 || nf > 9) return 0;
    }
    if (n - i == 1 && p[i] == 's') digits = 9;
    else if (n - i == 2 && p[i] == 'm' && p[i + 1] == 's') digits = 6;
    else return 0;
    if (nf > digits) return 0;
    uint64_t scale = 1, fscale = 1;
    for (size_t k = 0; k < digits; k++) scale *= 10;
    for (size_t k = nf; k < digits; k++) fscale *= 10;
    uint64_t ns = whole * scale + frac * fscale;   /* < 10^18 */
    return ns < (uint64_t)SIZE_MAX ? (size_t)ns + 1 : 0;
}

/* ---- the request body's "model" and "stream", as json.loads would read them ---------------- */

#define REQ_MAX_DEPTH 256     /* deeper: json.loads may hit Python's recursion limit; it says */
#define REQ_MAX_NUMBER 4000   /* a longer number: json.loads may refuse the integer; it says */

/* 1 when the bytes p[0..n) are a JSON string's value as written: no escape, only ASCII. */
static int plain_span(const uint8_t *p, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (p[k] == '\\' || p[k] >= 0x80) return 0;
    return 1;
}

/* row[PF_VL_REQ_JSON ..]: what json.loads makes of the body p[0..n), when this can tell for sure:
 * PF_REQ_VALUE, a JSON value that is not an object; PF_REQ_OBJECT, an object: its last top-level
 * "model" when that is a non-empty string without escapes or bytes >= 0x80 (arena span in
 * PF_VL_MODEL_OFF/LEN, else length 0) and whether its last "stream" is true. Left PF_REQ_UNREAD
 * when json.loads must say (not RFC 8259 JSON, which it may still read, as NaN; a model it would
 * unescape; past the limits above). */
static void request_json(const uint8_t *p, size_t n, size_t base, size_t *row) {
    uint8_t stack[REQ_MAX_DEPTH];   /* '{' or '[' of each open container */
    size_t depth = 0, i = pf_lex_ws(p, 0, n), model_off = 0, model_len = 0;
    int stream = 0, object = i < n && p[i] == '{';
    for (;;) {   /* at a value */
        i = pf_lex_ws(p, i, n);
        if (i >= n) return;
        uint8_t c = p[i];
        if (c == '{' || c == '[') {
            if (depth == REQ_MAX_DEPTH) return;
            stack[depth++] = c;
            i = pf_lex_ws(p, i + 1, n);
            if (i < n && p[i] == (c == '{' ? '}' : ']')) { depth--; i++; goto after_value; }
            if (c == '[') continue;
            goto key;
        } else if (c == '"') {
            if (pf_lex_string(p, n, &i, NULL)) return;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            if (pf_lex_number(p, n, &i) || i - start > REQ_MAX_NUMBER) return;
        } else {
            int kind;
            if (pf_lex_literal(p, n, &i, &kind)) return;
        }
    after_value:
        for (;;) {   /* after a value: the container goes on, or closes */
            i = pf_lex_ws(p, i, n);
            if (depth == 0) {
                if (i != n) return;   /* json.loads: "Extra data" */
                row[PF_VL_REQ_JSON] = object ? PF_REQ_OBJECT : PF_REQ_VALUE;
                row[PF_VL_MODEL_OFF] = base + model_off;
                row[PF_VL_MODEL_LEN] = model_len;
                row[PF_VL_STREAM] = (size_t)stream;
                return;
            }
            if (i >= n) return;
            uint8_t close = stack[depth - 1] == '{' ? '}' : ']';
            if (p[i] == close) { depth--; i++; continue; }
            if (p[i] != ',') return;
            i = pf_lex_ws(p, i + 1, n);
            if (stack[depth - 1] == '[') break;
            goto key;
        }
        continue;
    key:   /* at an object's key */
        if (i >= n || p[i] != '"') return;
        {
            size_t k0 = i;
            if (pf_lex_string(p, n, &i, NULL)) return;
            size_t klen = i - k0 - 2;
            i = pf_lex_ws(p, i, n);
            if (i >= n || p[i] != ':') return;
            i = pf_lex_ws(p, i + 1, n);
            if (depth != 1) continue;
            if (!plain_span(p + k0 + 1, klen)) return;   /* json.loads unescapes "mod\u0065l" to "model" */
            if (klen == 5 && memcmp(p + k0 + 1, "model", 5) == 0) {
                model_len = 0;
                if (i < n && p[i] == '"') {
                    size_t v0 = i;
                    if (pf_lex_string(p, n, &i, NULL)) return;
                    if (!plain_span(p + v0 + 1, i - v0 - 2)) return;   /* json.loads unescapes it */
                    model_off = v0 + 1;
                    model_len = i - v0 - 2;
                    goto after_value;
                }
            } else if (klen == 6 && memcmp(p + k0 + 1, "stream", 6) == 0) {
                stream = n - i >= 4 && memcmp(p + i, "true", 4) == 0;
            }
        }
    }
}

#define LIGHT_MAX_KEYS 256   /* map keys per interaction compared pairwise (repeated_key) */

/* 1 when the key record k repeats a key of the same map of its interaction (records from `first`). */
static int repeated_key(const size_t *r, size_t first, size_t k, const uint8_t *arena) {
    for (size_t j = first; j < k; j += PF_VCR_REC_W)
        if ((r[j + 2] & PF_VCR_KEY) && r[j + 1] == r[k + 1] && r[j + 4] == r[k + 4]
            && memcmp(arena + r[j + 3], arena + r[k + 3], r[k + 4]) == 0)
            return 1;
    return 0;
}

int pf_vcr_light(pf_vcr *v, const pf_vcr_out *out, const size_t **rows) {
    size_t n = out->ninteractions, W = PF_VCR_LIGHT_W;
    *rows = NULL;
    v->light.len = 0;
    if (n > SIZE_MAX / W / sizeof(size_t) || pf_sizes_reserve(&v->light, n * W)) return PF_ERR_NOMEM;
    size_t *rw = v->light.p;
    memset(rw, 0, n * W * sizeof(size_t));
    const size_t *r = out->recs, end = out->nrecs * PF_VCR_REC_W;
    const uint8_t *arena = out->arena;
    size_t first = 0, inter = SIZE_MAX, keys = 0;
    int in_ctype = 0;   /* the ITEM records that follow belong to the response's Content-Type */
    for (size_t k = 0; k < end; k += PF_VCR_REC_W) {
        size_t i = r[k], f = r[k + 1], fl = r[k + 2];
        if (i != inter) { inter = i; first = k; in_ctype = 0; keys = 0; }
        if (i >= n) return 1;
        size_t *row = rw + i * W;
        if (fl & PF_VCR_KEY) {
            /* more keys than headers ever hold: the walk's dicts check repeats in linear time */
            if (++keys > LIGHT_MAX_KEYS || (fl & PF_VCR_BINARY) || repeated_key(r, first, k, arena)) return 1;
            in_ctype = f == LIGHT_FIELD[PF_VL_CTYPE] && r[k + 4] == 12 && memcmp(arena + r[k + 3], "Content-Type", 12) == 0;
            if (in_ctype) row[3 * PF_VL_CTYPE + 2] = PF_VCR_PRESENT;   /* the key, no value yet */
            continue;
        }
        if (fl & PF_VCR_ITEM) {
            if (!in_ctype || f != LIGHT_FIELD[PF_VL_CTYPE]) continue;
            size_t *slot = row + 3 * PF_VL_CTYPE;
            if (slot[2] & PF_VCR_ITEM) return 1;   /* several values: joined by the full walk */
            slot[0] = r[k + 3]; slot[1] = r[k + 4]; slot[2] = fl | PF_VCR_PRESENT;
            continue;
        }
        for (size_t x = 0; x < PF_VL_CTYPE; x++)
            if (LIGHT_FIELD[x] == f) {
                row[3 * x] = r[k + 3]; row[3 * x + 1] = r[k + 4]; row[3 * x + 2] = fl | PF_VCR_PRESENT;
                break;
            }
    }
    for (size_t i = 0; i < n; i++) {
        size_t *row = rw + i * W, *d = row + 3 * PF_VL_DURATION, *q = row + 3 * PF_VL_REQ_BODY;
        if ((d[2] & PF_VCR_PRESENT) && !(d[2] & (PF_VCR_NULL | PF_VCR_BINARY)))
            row[PF_VL_DURATION_NS] = simple_duration(arena + d[0], d[1]);
        if ((q[2] & PF_VCR_PRESENT) && !(q[2] & PF_VCR_BINARY))   /* binary: json.loads decodes it first */
            request_json(arena + q[0], q[1], q[0], row);
    }
    v->light.len = n * W;
    *rows = rw;
    return 0;
}
