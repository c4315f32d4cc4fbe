/* JSON path scanner: strict RFC 8259 validation of each SSE event's data (or
 * of one whole document) while extracting only the values a decoder needs.
 *
 * What to extract is a spec: a trie of object keys and array wildcards
 * built once per format (pf_jspec_new). Walking a value, the scanner follows
 * the trie; everything off the trie is validated and skipped without being
 * copied. For each value on the trie it writes a record (node, parent
 * record, array index, kind, value span): strings unescaped into UTF-8 (all
 * escapes, surrogate pairs; a lone surrogate or an invalid UTF-8 sequence
 * becomes U+FFFD, one per maximal subpart, as Go's decoder and Python's
 * "replace" handler do), numbers as their raw text, containers at leaf nodes
 * as raw JSON text.
 *
 * Parsing is iterative over an explicit heap stack: no nesting limit, no
 * recursion. Every event is parsed in one pass: O(n).
 *
 * Coalescing: a chunk whose records equal the previous chunk's, byte for
 * byte, except for its single COALESCE string, is merged into it (the
 * strings are concatenated), so a stream of thousands of text deltas comes
 * out as a handful of chunks. */
#include "pf_lex.h"
#include "pf_json_int.h"
#include "pf_genai_int.h"

typedef struct {
    int32_t parent;
    uint8_t flags;
    const uint8_t *key;
    size_t key_len;
    int32_t first_child, next_sibling, star_child;
    uint64_t len_mask;   /* bit (len & 63) set for each child key length: most misses stop here */
    uint64_t head;       /* the key's first 8 bytes (zero-padded): most keys compare in one word */
} pf_node;

/* The first min(8, len) bytes of a key as one zero-padded word. */
static inline uint64_t key_head(const uint8_t *key, size_t len) {
    uint64_t w = 0;
    if (len >= 8) {
        memcpy(&w, key, 8);
    } else {
        uint8_t b[8] = {0};
        for (size_t k = 0; k < len; k++) b[k] = key[k];
        memcpy(&w, b, 8);
    }
    return w;
}

struct pf_jspec {
    pf_node *nodes;
    size_t n;
    uint8_t *keys;
};

pf_jspec *pf_jspec_new(const int32_t *parent, const uint8_t *keys, const size_t *key_off,
                       const size_t *key_len, const uint8_t *flags, size_t n) {
    if (n == 0) return NULL;
    pf_jspec *sp = (pf_jspec *)calloc(1, sizeof(pf_jspec));
    if (!sp) return NULL;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (key_off[i] + key_len[i] > total) total = key_off[i] + key_len[i];
    sp->nodes = (pf_node *)calloc(n, sizeof(pf_node));
    sp->keys = (uint8_t *)malloc(total ? total : 1);
    if (!sp->nodes || !sp->keys) { pf_jspec_free(sp); return NULL; }
    if (total) memcpy(sp->keys, keys, total);
    sp->n = n;
    for (size_t i = 0; i < n; i++) {
        pf_node *nd = &sp->nodes[i];
        nd->parent = i ? parent[i] : -1;
        nd->flags = flags[i];
        nd->key = sp->keys + key_off[i];
        nd->key_len = key_len[i];
        nd->head = key_head(nd->key, nd->key_len);
        nd->first_child = nd->next_sibling = nd->star_child = -1;
    }
    /* link children in reverse so the list keeps declaration order */
    for (size_t i = n; i-- > 1;) {
        int32_t p = parent[i];
        if (p < 0 || (size_t)p >= i) { pf_jspec_free(sp); return NULL; }
        pf_node *nd = &sp->nodes[i];
        if (nd->flags & PF_NODE_STAR) {
            sp->nodes[p].star_child = (int32_t)i;
        } else {
            nd->next_sibling = sp->nodes[p].first_child;
            sp->nodes[p].first_child = (int32_t)i;
            sp->nodes[p].len_mask |= (uint64_t)1 << (nd->key_len & 63);
        }
    }
    return sp;
}

void pf_jspec_free(pf_jspec *sp) {
    if (!sp) return;
    free(sp->nodes);
    free(sp->keys);
    free(sp);
}

/* ---- scanner state ---------------------------------------------------------- */

#define JSTACK_W 3   /* values per open container on the emit_json stack (internal) */

enum { ST_OBJ_FIRST, ST_OBJ_KEY, ST_OBJ_COMMA, ST_ARR_FIRST, ST_ARR_COMMA };

typedef struct {
    uint8_t obj;       /* 1 object, 0 array */
    uint8_t state;
    int32_t node;      /* trie node of this container, -1 when off the trie */
    size_t rec;        /* its record (SIZE_MAX: none) */
    size_t count;      /* array elements so far */
    size_t raw_start;  /* leaf container: offset of its first byte in the input */
    int raw;           /* 1: a leaf container, 2: a KEEP object (copy it raw on close) */
} frame;

struct pf_scan {
    const pf_jspec *spec;
    int mode;
    uint8_t *done;
    size_t done_len;
    int coalesce;
    int finished;      /* done marker seen, or the document was parsed */
    int done_seen;     /* the done marker was seen */
    pf_sse *sse;       /* mode 1 */
    pf_bytes doc;      /* mode 0: the document so far */
    pf_genai_reader genai; /* mode 2 */
    pf_sizes chunks;
    pf_sizes recs;
    pf_bytes arena;
    pf_bytes key;      /* unescaped object key */
    pf_bytes json;     /* pf_scan_out.json */
    pf_sizes jstack;   /* emit_json: JSTACK_W values per open container: record, next index, length */
    frame *stack;
    size_t depth, stack_cap;
    /* coalescing: the last chunk, and where its arena bytes start */
    size_t last_arena_start;
    int records_only;  /* no pf_scan_out.json */
    /* The prefix template: the parse of the last OK chunk up to its first COALESCE string (a
     * text delta's value). A later chunk with the same event name whose data starts with the
     * same bytes reaches the same parser state with the same records, so the parse resumes
     * at that string instead of reading the prefix again (the prefix bytes were validated
     * when the template was taken). Records keep rec0-relative indices, and arena offsets
     * relative to tpl_arena. */
    int snap;              /* during a parse: 0 looking for the string, 1 taken, 2 not wanted */
    size_t snap_qs;        /* the string's opening quote in the data */
    size_t snap_arena;     /* arena length at the string */
    int tpl_ok;
    pf_bytes tpl_name, tpl_prefix, tpl_arena;
    pf_sizes tpl_recs;     /* the records before the string */
    pf_sizes tpl_rebase;   /* indices into tpl_recs of the arena offsets to move by the chunk's base */
    frame *tpl_stack;      /* the open containers at the string (rec relative to rec0) */
    size_t tpl_depth, tpl_cap;
    int32_t tpl_node;      /* the string's node, parent (relative) and array index */
    size_t tpl_parent, tpl_index;
    size_t snap_name_end;  /* arena length after the chunk's event name */
    pf_sizes snap_recs;    /* staging for a template taken during a parse */
    frame *snap_stack;
    size_t snap_depth, snap_cap;
    int32_t snap_node;
    size_t snap_parent, snap_index;
    /* The run: when the last chunk was parsed from the template and merged into the one
     * before, its bytes after the COALESCE string. A next chunk with the template's prefix
     * and these same bytes after its string has the same records but for the string, so
     * its string is appended to the run's without parsing the rest or comparing records
     * (what try_coalesce would conclude). The tail's free strings may differ: string values
     * off the spec directly in an on-spec container that is not kept raw (OpenAI's
     * "obfuscation", a new random string in every chunk). They make no record and leave the
     * parser where they end, so only their validity counts. */
    size_t tpl_str_end;    /* parse_from_template: where the string ended in the data */
    int collect;           /* parse_from_template: note the free strings in tpl_free */
    pf_sizes tpl_free;     /* (start, end) of each free string of the last parse, from tpl_str_end */
    int run_ok;
    size_t run_chunk;      /* the run's chunk: the last one (its index) */
    size_t run_rec;        /* its COALESCE string record (index into recs) */
    pf_bytes run_tail;
    pf_sizes run_free;     /* the free strings of run_tail: (start, end) in it */
};

pf_scan *pf_scan_new(const pf_jspec *spec, int mode, const uint8_t *done, size_t done_len, int coalesce) {
    pf_scan *s = (pf_scan *)calloc(1, sizeof(pf_scan));
    if (!s) return NULL;
    s->spec = spec;
    s->mode = mode;
    s->coalesce = coalesce;
    if (done_len) {
        s->done = (uint8_t *)malloc(done_len);
        if (!s->done) { free(s); return NULL; }
        memcpy(s->done, done, done_len);
        s->done_len = done_len;
    }
    if (mode == PF_SCAN_SSE) {
        s->sse = pf_sse_new();
        if (!s->sse) { pf_scan_free(s); return NULL; }
        pf_sse_for_scanner(s->sse);
    }
    return s;
}

void pf_scan_free(pf_scan *s) {
    if (!s) return;
    free(s->done);
    pf_sse_free(s->sse);
    pf_bytes_free(&s->doc);
    pf_genai_free(&s->genai);
    pf_sizes_free(&s->chunks);
    pf_sizes_free(&s->recs);
    pf_bytes_free(&s->arena);
    pf_bytes_free(&s->key);
    pf_bytes_free(&s->json);
    pf_sizes_free(&s->jstack);
    free(s->stack);
    pf_bytes_free(&s->tpl_name);
    pf_bytes_free(&s->tpl_prefix);
    pf_bytes_free(&s->tpl_arena);
    pf_sizes_free(&s->tpl_recs);
    pf_sizes_free(&s->tpl_rebase);
    free(s->tpl_stack);
    pf_sizes_free(&s->snap_recs);
    pf_bytes_free(&s->run_tail);
    pf_sizes_free(&s->tpl_free);
    pf_sizes_free(&s->run_free);
    free(s->snap_stack);
    free(s);
}

/* ---- lexical helpers: pf_lex.h -------------------------------------------- */


/* ---- records ---------------------------------------------------------------- */

static int add_rec(pf_scan *s, size_t rec0, int32_t node, size_t parent, size_t index, int kind,
                   size_t a, size_t b, size_t *out) {
    if (pf_sizes_reserve(&s->recs, PF_SCAN_REC_W)) return PF_ERR_NOMEM;
    size_t *r = s->recs.p + s->recs.len;
    r[0] = (size_t)node;
    r[1] = parent == SIZE_MAX ? SIZE_MAX : parent - rec0;
    r[2] = index;
    r[3] = (size_t)kind;
    r[4] = a;
    r[5] = b;
    if (out) *out = s->recs.len / PF_SCAN_REC_W;
    s->recs.len += PF_SCAN_REC_W;
    return 0;
}

static int push(pf_scan *s, frame f) {
    if (s->depth == s->stack_cap) {
        size_t cap = s->stack_cap ? s->stack_cap * 2 : 32;
        frame *st = (frame *)realloc(s->stack, cap * sizeof(frame));
        if (!st) return PF_ERR_NOMEM;
        s->stack = st;
        s->stack_cap = cap;
    }
    s->stack[s->depth++] = f;
    return 0;
}

static int32_t find_child(const pf_jspec *sp, int32_t node, const uint8_t *key, size_t len) {
    if (!((sp->nodes[node].len_mask >> (len & 63)) & 1)) return -1;
    uint64_t head = key_head(key, len);
    for (int32_t c = sp->nodes[node].first_child; c >= 0; c = sp->nodes[c].next_sibling) {
        const pf_node *nd = &sp->nodes[c];
        if (nd->key_len == len && nd->head == head && (len <= 8 || memcmp(nd->key + 8, key + 8, len - 8) == 0))
            return c;
    }
    return -1;
}

/* Grow a frame array to hold n frames. */
static int frames_reserve(frame **f, size_t *cap, size_t n) {
    if (n <= *cap) return 0;
    size_t c = *cap ? *cap : 8;
    while (c < n) c *= 2;
    frame *nf = (frame *)realloc(*f, c * sizeof(frame));
    if (!nf) return PF_ERR_NOMEM;
    *f = nf;
    *cap = c;
    return 0;
}

/* The parser state at the chunk's first COALESCE string (opening quote at qs), staged: it
 * becomes the template if the chunk parses. */
static int snapshot(pf_scan *s, size_t qs, int32_t node, size_t parent, size_t index, size_t rec0) {
    size_t nrec = s->recs.len / PF_SCAN_REC_W - rec0;
    s->snap = 1;
    s->snap_qs = qs;
    s->snap_arena = s->arena.len;
    s->snap_node = node;
    s->snap_parent = parent == SIZE_MAX ? SIZE_MAX : parent - rec0;
    s->snap_index = index;
    s->snap_recs.len = 0;
    if (pf_sizes_reserve(&s->snap_recs, nrec * PF_SCAN_REC_W)) return PF_ERR_NOMEM;
    memcpy(s->snap_recs.p, s->recs.p + rec0 * PF_SCAN_REC_W, nrec * PF_SCAN_REC_W * sizeof(size_t));
    s->snap_recs.len = nrec * PF_SCAN_REC_W;
    if (frames_reserve(&s->snap_stack, &s->snap_cap, s->depth)) return PF_ERR_NOMEM;
    memcpy(s->snap_stack, s->stack, s->depth * sizeof(frame));
    s->snap_depth = s->depth;
    for (size_t k = 0; k < s->depth; k++)
        if (s->snap_stack[k].rec != SIZE_MAX) s->snap_stack[k].rec -= rec0;
    return 0;
}

/* Begin the value at p[*i] (whitespace skipped) for trie node `node` (-1: off
 * the trie). Scalars are finished here; containers are pushed. */
static inline int begin_value(pf_scan *s, const uint8_t *p, size_t n, size_t *i, int32_t node,
                       size_t parent, size_t index, size_t rec0) {
    const pf_jspec *sp = s->spec;
    uint8_t c = p[*i];
    int leaf = node >= 0 && (sp->nodes[node].flags & PF_NODE_LEAF);
    int rc;
    if (c == '{' || c == '[') {
        frame f;
        f.obj = c == '{';
        f.state = f.obj ? ST_OBJ_FIRST : ST_ARR_FIRST;
        f.count = 0;
        f.raw_start = *i;
        f.raw = 0;
        f.rec = SIZE_MAX;
        f.node = -1;
        if (node >= 0) {
            if (leaf) {
                if ((rc = add_rec(s, rec0, node, parent, index, PF_K_RAW, 0, 0, &f.rec))) return rc;
                f.raw = 1;
            } else {
                if ((rc = add_rec(s, rec0, node, parent, index, f.obj ? PF_K_OBJECT : PF_K_ARRAY, 0, 0, &f.rec))) return rc;
                f.node = node;
                if (f.obj && (sp->nodes[node].flags & PF_NODE_KEEP)) f.raw = 2;
            }
        }
        (*i)++;
        return push(s, f);
    }
    if (c == '"') {
        if (node < 0) {
            size_t qs = *i;
            if ((rc = pf_lex_string(p, n, i, NULL))) return rc;
            if (s->collect && s->depth && s->stack[s->depth - 1].node >= 0 && !s->stack[s->depth - 1].raw) {
                if (pf_sizes_reserve(&s->tpl_free, 2)) return PF_ERR_NOMEM;
                s->tpl_free.p[s->tpl_free.len++] = qs - s->tpl_str_end;
                s->tpl_free.p[s->tpl_free.len++] = *i - s->tpl_str_end;
            }
            return 0;
        }
        if (s->snap == 0 && (sp->nodes[node].flags & PF_NODE_COALESCE) && (rc = snapshot(s, *i, node, parent, index, rec0)))
            return rc;
        size_t a = s->arena.len;
        if ((rc = pf_lex_string(p, n, i, &s->arena))) return rc;
        return add_rec(s, rec0, node, parent, index, PF_K_STRING, a, s->arena.len - a, NULL);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t start = *i;
        if ((rc = pf_lex_number(p, n, i))) return rc;
        if (node < 0) return 0;
        size_t a = s->arena.len;
        if (pf_bytes_append(&s->arena, p + start, *i - start)) return PF_ERR_NOMEM;
        return add_rec(s, rec0, node, parent, index, PF_K_NUMBER, a, *i - start, NULL);
    }
    int kind;
    if ((rc = pf_lex_literal(p, n, i, &kind))) return rc;
    if (node < 0) return 0;
    return add_rec(s, rec0, node, parent, index, kind, 0, 0, NULL);
}

/* Go on parsing with the open containers on the stack, from p[*pi]. whole: only whitespace
 * may follow the value. */
static int parse_rest(pf_scan *s, const uint8_t *p, size_t n, size_t *pi, int whole, size_t rec0) {
    const pf_jspec *sp = s->spec;
    size_t i = *pi;
    int rc;
    while (s->depth) {
        frame *f = &s->stack[s->depth - 1];
        i = pf_lex_ws(p, i, n);
        if (i >= n) return PF_ERR_SYNTAX;
        uint8_t c = p[i];
        if (f->obj) {
            if ((f->state == ST_OBJ_FIRST && c == '}') || (f->state == ST_OBJ_COMMA && c == '}')) {
                i++;
                goto close;
            }
            if (f->state == ST_OBJ_COMMA) {
                if (c != ',') return PF_ERR_SYNTAX;
                i++;
                f->state = ST_OBJ_KEY;
                continue;
            }
            /* a key */
            if (c != '"') return PF_ERR_SYNTAX;
            int32_t child = -1;
            if (f->node >= 0) {
                size_t ks = i;
                int plain;
                if ((rc = pf_lex_string2(p, n, &i, NULL, &plain))) return rc;
                if (plain) {   /* the key's bytes are the key: no copy */
                    child = find_child(sp, f->node, p + ks + 1, i - ks - 2);
                } else {
                    s->key.len = 0;
                    i = ks;
                    if ((rc = pf_lex_string(p, n, &i, &s->key))) return rc;
                    child = find_child(sp, f->node, s->key.p, s->key.len);
                }
            } else if ((rc = pf_lex_string(p, n, &i, NULL))) {
                return rc;
            }
            i = pf_lex_ws(p, i, n);
            if (i >= n || p[i] != ':') return PF_ERR_SYNTAX;
            i = pf_lex_ws(p, i + 1, n);
            if (i >= n) return PF_ERR_SYNTAX;
            f->state = ST_OBJ_COMMA;
            size_t parent = f->rec;
            if ((rc = begin_value(s, p, n, &i, child, parent, 0, rec0))) return rc;
            continue;
        }
        /* array: ']' ends it after '[' or after an element; ',' introduces
         * the next element, which must be a value (so "[1,]" fails) */
        if (c == ']') {
            i++;
            goto close;
        }
        if (f->state == ST_ARR_COMMA) {
            if (c != ',') return PF_ERR_SYNTAX;
            i = pf_lex_ws(p, i + 1, n);
            if (i >= n) return PF_ERR_SYNTAX;
        }
        f->state = ST_ARR_COMMA;
        {
            int32_t child = f->node >= 0 ? sp->nodes[f->node].star_child : -1;
            size_t idx = f->count++;
            size_t parent = f->rec;
            if ((rc = begin_value(s, p, n, &i, child, parent, idx, rec0))) return rc;
        }
        continue;
    close:
        {
            frame done = s->stack[--s->depth];
            if (done.rec != SIZE_MAX) {
                size_t *r = s->recs.p + done.rec * PF_SCAN_REC_W;
                if (done.raw) {   /* a leaf container, or a KEEP object */
                    r[4] = s->arena.len;
                    r[5] = i - done.raw_start;
                    if (pf_bytes_append(&s->arena, p + done.raw_start, i - done.raw_start)) return PF_ERR_NOMEM;
                } else if (!done.obj) {
                    r[4] = done.count;
                }
            }
        }
    }
    if (whole) {
        i = pf_lex_ws(p, i, n);
        if (i != n) return PF_ERR_SYNTAX;
    }
    *pi = i;
    return 0;
}

/* Parse one JSON value from p[*i..n). whole: only whitespace may follow. */
static int parse_value(pf_scan *s, const uint8_t *p, size_t n, size_t *pi, int whole, size_t rec0) {
    size_t i = pf_lex_ws(p, *pi, n);
    int rc;
    s->depth = 0;
    if (i >= n) return PF_ERR_SYNTAX;
    if ((rc = begin_value(s, p, n, &i, 0, SIZE_MAX, 0, rec0))) return rc;
    *pi = i;
    return parse_rest(s, p, n, pi, whole, rec0);
}

/* Whether a closed value's record holds an arena offset in value 4 (strings, numbers, raw
 * containers, KEEP objects' text). */
static int holds_offset(const pf_scan *s, const size_t *r) {
    return r[3] == PF_K_STRING || r[3] == PF_K_NUMBER || r[3] == PF_K_RAW
        || (r[3] == PF_K_OBJECT && (s->spec->nodes[r[0]].flags & PF_NODE_KEEP));
}

/* The staged snapshot of a chunk that parsed becomes the template. */
static int take_template(pf_scan *s, const uint8_t *name, size_t name_len, const uint8_t *data) {
    s->tpl_ok = 0;
    if (pf_set_bytes(&s->tpl_name, name, name_len) || pf_set_bytes(&s->tpl_prefix, data, s->snap_qs + 1)
        || pf_set_bytes(&s->tpl_arena, s->arena.p + s->snap_name_end, s->snap_arena - s->snap_name_end))
        return PF_ERR_NOMEM;
    s->tpl_recs.len = 0;
    s->tpl_rebase.len = 0;
    if (pf_sizes_reserve(&s->tpl_recs, s->snap_recs.len)) return PF_ERR_NOMEM;
    /* arena offsets of closed values, relative to the template's arena (open containers'
     * records get theirs when they close); where they are, for parse_from_template */
    for (size_t k = 0; k < s->snap_recs.len; k += PF_SCAN_REC_W) {
        size_t *r = s->snap_recs.p + k;
        int open = 0;
        for (size_t f = 0; f < s->snap_depth; f++) open |= s->snap_stack[f].rec == k / PF_SCAN_REC_W;
        if (!open && holds_offset(s, r)) {
            r[4] -= s->snap_name_end;
            if (pf_sizes_reserve(&s->tpl_rebase, 1)) return PF_ERR_NOMEM;
            s->tpl_rebase.p[s->tpl_rebase.len++] = k + 4;
        }
    }
    memcpy(s->tpl_recs.p, s->snap_recs.p, s->snap_recs.len * sizeof(size_t));
    s->tpl_recs.len = s->snap_recs.len;
    if (frames_reserve(&s->tpl_stack, &s->tpl_cap, s->snap_depth)) return PF_ERR_NOMEM;
    memcpy(s->tpl_stack, s->snap_stack, s->snap_depth * sizeof(frame));
    s->tpl_depth = s->snap_depth;
    s->tpl_node = s->snap_node;
    s->tpl_parent = s->snap_parent;
    s->tpl_index = s->snap_index;
    s->tpl_ok = 1;
    return 0;
}

/* Parse a chunk whose data starts with the template's prefix: the template's records and
 * open containers are restored and the parse goes on at the string. */
static int parse_from_template(pf_scan *s, const uint8_t *p, size_t n, int whole, size_t rec0) {
    size_t base = s->arena.len;
    if (pf_bytes_append(&s->arena, s->tpl_arena.p, s->tpl_arena.len)) return PF_ERR_NOMEM;
    if (pf_sizes_reserve(&s->recs, s->tpl_recs.len)) return PF_ERR_NOMEM;
    size_t *r0 = s->recs.p + s->recs.len;
    memcpy(r0, s->tpl_recs.p, s->tpl_recs.len * sizeof(size_t));
    s->recs.len += s->tpl_recs.len;
    if (frames_reserve(&s->stack, &s->stack_cap, s->tpl_depth)) return PF_ERR_NOMEM;
    memcpy(s->stack, s->tpl_stack, s->tpl_depth * sizeof(frame));
    s->depth = s->tpl_depth;
    for (size_t f = 0; f < s->depth; f++)
        if (s->stack[f].rec != SIZE_MAX) s->stack[f].rec += rec0;
    for (size_t k = 0; k < s->tpl_rebase.len; k++) r0[s->tpl_rebase.p[k]] += base;
    size_t i = s->tpl_prefix.len - 1;
    int rc = begin_value(s, p, n, &i, s->tpl_node, s->tpl_parent == SIZE_MAX ? SIZE_MAX : s->tpl_parent + rec0,
                         s->tpl_index, rec0);
    if (rc) return rc;
    s->tpl_str_end = i;
    s->tpl_free.len = 0;
    s->collect = 1;
    rc = parse_rest(s, p, n, &i, whole, rec0);
    s->collect = 0;
    return rc;
}

/* ---- chunks and coalescing -------------------------------------------------- */

/* Index within the chunk of its single COALESCE string record, or -1. */
static long coalesce_rec(const pf_scan *s, size_t rec_start, size_t count) {
    long found = -1;
    for (size_t k = 0; k < count; k++) {
        const size_t *r = s->recs.p + (rec_start + k) * PF_SCAN_REC_W;
        if (r[3] == PF_K_STRING && (s->spec->nodes[r[0]].flags & PF_NODE_COALESCE)) {
            if (found >= 0) return -1;
            found = (long)k;
        }
    }
    return found;
}

/* An integer literal ("-0" counts as "0", as Python's int does). */
static int int_text(const uint8_t *t, size_t n, const uint8_t **digits, size_t *len, int *neg) {
    if (!pf_lex_is_int(t, n)) return 0;
    *neg = n && t[0] == '-';
    *digits = t + *neg;
    *len = n - (size_t)*neg;
    if (*len == 1 && (*digits)[0] == '0') *neg = 0;
    return 1;
}

static int same_value(const pf_scan *s, const size_t *a, const size_t *b) {
    if (a[0] != b[0] || a[1] != b[1] || a[2] != b[2] || a[3] != b[3]) return 0;
    switch (a[3]) {
    case PF_K_NUMBER: {
        const uint8_t *da, *db;
        size_t la, lb;
        int na, nb;
        int ia = int_text(s->arena.p + a[4], a[5], &da, &la, &na);
        int ib = int_text(s->arena.p + b[4], b[5], &db, &lb, &nb);
        if (ia != ib) return 0;
        if (ia) return na == nb && la == lb && memcmp(da, db, la) == 0;
        return a[5] == b[5] && memcmp(s->arena.p + a[4], s->arena.p + b[4], a[5]) == 0;
    }
    case PF_K_STRING: case PF_K_RAW:
        return a[5] == b[5] && memcmp(s->arena.p + a[4], s->arena.p + b[4], a[5]) == 0;
    case PF_K_ARRAY:
        return a[4] == b[4];
    default:
        return 1;
    }
}

/* Try to merge the chunk just written (the last one) into the one before. */
static int try_coalesce(pf_scan *s, size_t arena_start) {
    size_t nch = s->chunks.len / PF_SCAN_CHUNK_W;
    if (nch < 2) return 0;
    size_t *prev = s->chunks.p + (nch - 2) * PF_SCAN_CHUNK_W, *cur = s->chunks.p + (nch - 1) * PF_SCAN_CHUNK_W;
    if (prev[4] != PF_CHUNK_OK || cur[4] != PF_CHUNK_OK || prev[3] != cur[3]) return 0;
    if (prev[1] != cur[1] || memcmp(s->arena.p + prev[0], s->arena.p + cur[0], cur[1])) return 0;
    long kp = coalesce_rec(s, prev[2], prev[3]);
    long kc = coalesce_rec(s, cur[2], cur[3]);
    if (kp < 0 || kp != kc) return 0;
    for (size_t k = 0; k < cur[3]; k++) {
        if ((long)k == kc) continue;
        const size_t *r = s->recs.p + (cur[2] + k) * PF_SCAN_REC_W;
        uint8_t fl = s->spec->nodes[r[0]].flags;
        if (fl & PF_NODE_KEEP) {          /* judged as a leaf: only an inert null lets chunks merge */
            if (!(r[3] == PF_K_NULL && (fl & PF_NODE_INERT_NULL))) return 0;
        } else if (fl & PF_NODE_LEAF) {
            int ok = (r[3] == PF_K_NULL && (fl & (PF_NODE_INERT | PF_NODE_INERT_NULL)))
                  || ((fl & PF_NODE_INERT) && r[3] != PF_K_RAW);
            if (!ok) return 0;
        } else if (r[3] != PF_K_OBJECT && r[3] != PF_K_ARRAY) {
            return 0;
        }
        if (!same_value(s, s->recs.p + (prev[2] + k) * PF_SCAN_REC_W, r)) return 0;
    }
    size_t *rp = s->recs.p + (prev[2] + (size_t)kp) * PF_SCAN_REC_W;
    size_t *rc = s->recs.p + (cur[2] + (size_t)kc) * PF_SCAN_REC_W;
    /* the same COALESCE leaf in both: same node, parent and array index */
    if (rp[0] != rc[0] || rp[1] != rc[1] || rp[2] != rc[2]) return 0;
    if (rc[4] < arena_start) return 0; /* defensive: the new string was written by this chunk */
    size_t plen = rp[5], clen = rc[5];
    if (rp[4] + plen == arena_start) {
        /* previous string ends where this chunk's bytes begin: append in place */
        memmove(s->arena.p + arena_start, s->arena.p + rc[4], clen);
    } else {
        /* first merge of a run: rebuild prev + cur at the arena tail */
        if (pf_bytes_reserve(&s->arena, plen)) return PF_ERR_NOMEM;
        size_t *rp2 = s->recs.p + (prev[2] + (size_t)kp) * PF_SCAN_REC_W;
        size_t *rc2 = s->recs.p + (cur[2] + (size_t)kc) * PF_SCAN_REC_W;
        memmove(s->arena.p + arena_start + plen, s->arena.p + rc2[4], clen);
        memmove(s->arena.p + arena_start, s->arena.p + rp2[4], plen);
        rp = rp2;
        rp[4] = arena_start;
    }
    rp[5] = plen + clen;
    s->arena.len = rp[4] + plen + clen;
    prev[6] += cur[6];
    s->recs.len = cur[2] * PF_SCAN_REC_W;
    s->chunks.len -= PF_SCAN_CHUNK_W;
    s->run_chunk = nch - 2;
    s->run_rec = prev[2] + (size_t)kp;
    return 1;
}

/* The run's fast path (see run_ok): 1 when the chunk's string joined the run, 0 when the
 * chunk must be parsed (nothing written). The caller checked the template's name and prefix. */
static int join_run(pf_scan *s, const uint8_t *data, size_t len) {
    if (s->chunks.len / PF_SCAN_CHUNK_W != s->run_chunk + 1) return 0;
    size_t a = s->arena.len, i = s->tpl_prefix.len - 1;
    size_t *r = s->recs.p + s->run_rec * PF_SCAN_REC_W;
    if (r[4] + r[5] != a) return 0;   /* the run's string ends the arena (try_coalesce keeps it so) */
    int rc = pf_lex_string(data, len, &i, &s->arena);
    if (rc == PF_ERR_NOMEM) return rc;
    /* the tail: the run's bytes, but for its free strings (any valid string there) */
    const uint8_t *t = s->run_tail.p;
    size_t o = 0;
    for (size_t k = 0; !rc && k < s->run_free.len; k += 2) {
        size_t seg = s->run_free.p[k] - o;   /* the bytes up to the free string's quote */
        if (len - i <= seg || memcmp(data + i, t + o, seg) != 0 || data[i + seg] != '"') {
            rc = 1;
            break;
        }
        i += seg;
        rc = pf_lex_string(data, len, &i, NULL);
        o = s->run_free.p[k + 1];
    }
    if (rc || len - i != s->run_tail.len - o || memcmp(data + i, t + o, len - i) != 0) {
        s->arena.len = a;
        return 0;
    }
    r[5] += s->arena.len - a;
    s->chunks.p[s->run_chunk * PF_SCAN_CHUNK_W + 6] += 1;
    return 1;
}

static int scan_chunk(pf_scan *s, const uint8_t *name, size_t name_len, const uint8_t *data,
                      size_t len, size_t offset, int whole) {
    int done = s->done_len && len >= s->done_len && memcmp(data, s->done, s->done_len) == 0;
    int tpl = !done && s->tpl_ok && len >= s->tpl_prefix.len && name_len == s->tpl_name.len
        && memcmp(data, s->tpl_prefix.p, s->tpl_prefix.len) == 0
        && (name_len == 0 || memcmp(name, s->tpl_name.p, name_len) == 0);
    if (tpl && s->run_ok) {
        int j = join_run(s, data, len);
        if (j == PF_ERR_NOMEM) return j;
        if (j) return 0;
    }
    s->run_ok = 0;
    if (pf_sizes_reserve(&s->chunks, PF_SCAN_CHUNK_W)) return PF_ERR_NOMEM;
    size_t arena_start = s->arena.len;
    size_t rec0 = s->recs.len / PF_SCAN_REC_W;
    size_t name_off = s->arena.len;
    if (pf_bytes_append(&s->arena, name, name_len)) return PF_ERR_NOMEM;
    size_t status = PF_CHUNK_OK;
    if (done) {
        status = PF_CHUNK_DONE;
        s->finished = 1;
        s->done_seen = 1;
    } else {
        size_t i = 0;
        int rc;
        s->snap_name_end = s->arena.len;
        if (tpl) {
            s->snap = 2;
            rc = parse_from_template(s, data, len, whole, rec0);
        } else {
            s->snap = 0;
            rc = parse_value(s, data, len, &i, whole, rec0);
            if (!rc && s->snap == 1 && (rc = take_template(s, name, name_len, data)) != 0) return rc;
        }
        if (rc == PF_ERR_NOMEM) return PF_ERR_NOMEM;
        if (rc) {
            status = PF_CHUNK_BAD_JSON;
            s->recs.len = rec0 * PF_SCAN_REC_W; /* a bad chunk keeps no records */
            s->arena.len = name_off + name_len;
        }
    }
    size_t *c = s->chunks.p + s->chunks.len;
    c[0] = name_off;
    c[1] = name_len;
    c[2] = rec0;
    c[3] = s->recs.len / PF_SCAN_REC_W - rec0;
    c[4] = status;
    c[5] = offset;
    c[6] = 1;
    s->chunks.len += PF_SCAN_CHUNK_W;
    if (!s->coalesce || status != PF_CHUNK_OK) return 0;
    int merged = try_coalesce(s, arena_start);
    if (merged < 0) return merged;
    if (merged && tpl) {
        if (pf_set_bytes(&s->run_tail, data + s->tpl_str_end, len - s->tpl_str_end)) return PF_ERR_NOMEM;
        pf_sizes fr = s->run_free;   /* the parse's free strings are the run's (the next parse refills the other) */
        s->run_free = s->tpl_free;
        s->tpl_free = fr;
        s->run_ok = 1;
    }
    return 0;
}

/* ---- pruned values as JSON text ---------------------------------------------- */

static const char HEX[] = "0123456789abcdef";

/* A JSON string literal of valid UTF-8 `p[0..n)`: only '"', '\\' and control characters escaped. */
static int put_json_string(pf_bytes *o, const uint8_t *p, size_t n) {
    if (pf_bytes_push(o, '"')) return PF_ERR_NOMEM;
    size_t run = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t c = p[k];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (pf_bytes_append(o, p + run, k - run)) return PF_ERR_NOMEM;
        uint8_t esc[6] = {'\\', c, 0, 0, 0, 0};
        size_t elen = 2;
        if (c < 0x20) {
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0'; esc[4] = (uint8_t)HEX[c >> 4]; esc[5] = (uint8_t)HEX[c & 15];
            elen = 6;
        }
        if (pf_bytes_append(o, esc, elen)) return PF_ERR_NOMEM;
        run = k + 1;
    }
    if (pf_bytes_append(o, p + run, n - run)) return PF_ERR_NOMEM;
    return pf_bytes_push(o, '"') ? PF_ERR_NOMEM : 0;
}

/* Close the innermost open container (arrays padded with null to their length). */
static int close_container(pf_scan *s) {
    size_t *top = s->jstack.p + s->jstack.len - JSTACK_W;
    const size_t *r = s->recs.p + top[0] * PF_SCAN_REC_W;
    if (r[3] == PF_K_ARRAY) {
        for (size_t i = top[1]; i < top[2]; i++)
            if (pf_bytes_append(&s->json, (const uint8_t *)(i ? ",null" : "null"), i ? 5 : 4)) return PF_ERR_NOMEM;
        if (pf_bytes_push(&s->json, ']')) return PF_ERR_NOMEM;
    } else if (pf_bytes_push(&s->json, '}')) {
        return PF_ERR_NOMEM;
    }
    s->jstack.len -= JSTACK_W;
    return 0;
}

/* One chunk's records (pre-order, parents first) as one JSON value. */
static int emit_value(pf_scan *s, size_t rec_start, size_t count) {
    pf_bytes *o = &s->json;
    s->jstack.len = 0;
    if (count == 0) return pf_bytes_append(o, (const uint8_t *)"null", 4) ? PF_ERR_NOMEM : 0;
    for (size_t k = 0; k < count; k++) {
        size_t ri = rec_start + k;
        const size_t *r = s->recs.p + ri * PF_SCAN_REC_W;
        if (r[1] != (size_t)-1) {
            size_t parent = rec_start + r[1];
            while (s->jstack.len && s->jstack.p[s->jstack.len - JSTACK_W] != parent)
                if (close_container(s)) return PF_ERR_NOMEM;
            if (!s->jstack.len) return PF_ERR_SYNTAX; /* records out of order: cannot happen */
            size_t *top = s->jstack.p + s->jstack.len - JSTACK_W;
            if (s->recs.p[parent * PF_SCAN_REC_W + 3] == PF_K_ARRAY) {
                for (; top[1] < r[2]; top[1]++)
                    if (pf_bytes_append(o, (const uint8_t *)(top[1] ? ",null" : "null"), top[1] ? 5 : 4))
                        return PF_ERR_NOMEM;
                if (top[1] && pf_bytes_push(o, ',')) return PF_ERR_NOMEM;
                top[1] = r[2] + 1;
            } else {
                if (top[1] && pf_bytes_push(o, ',')) return PF_ERR_NOMEM;
                top[1] = 1;
                const pf_node *nd = &s->spec->nodes[r[0]];
                if (put_json_string(o, nd->key, nd->key_len) || pf_bytes_push(o, ':')) return PF_ERR_NOMEM;
            }
        }
        int rc = 0;
        switch (r[3]) {
        case PF_K_NULL: rc = pf_bytes_append(o, (const uint8_t *)"null", 4); break;
        case PF_K_FALSE: rc = pf_bytes_append(o, (const uint8_t *)"false", 5); break;
        case PF_K_TRUE: rc = pf_bytes_append(o, (const uint8_t *)"true", 4); break;
        case PF_K_NUMBER: case PF_K_RAW: rc = pf_bytes_append(o, s->arena.p + r[4], r[5]); break;
        case PF_K_STRING: rc = put_json_string(o, s->arena.p + r[4], r[5]); break;
        case PF_K_OBJECT: case PF_K_ARRAY:
            if (pf_sizes_reserve(&s->jstack, JSTACK_W)) return PF_ERR_NOMEM;
            s->jstack.p[s->jstack.len] = ri;
            s->jstack.p[s->jstack.len + 1] = 0;
            s->jstack.p[s->jstack.len + 2] = r[3] == PF_K_ARRAY ? r[4] : 0;
            s->jstack.len += JSTACK_W;
            rc = pf_bytes_push(o, r[3] == PF_K_ARRAY ? '[' : '{');
            break;
        default: return PF_ERR_SYNTAX;
        }
        if (rc) return PF_ERR_NOMEM;
    }
    while (s->jstack.len)
        if (close_container(s)) return PF_ERR_NOMEM;
    return 0;
}

/* pf_scan_out.json for the chunks of this feed. */
static int emit_json(pf_scan *s) {
    size_t nch = s->chunks.len / PF_SCAN_CHUNK_W;
    s->json.len = 0;
    if (!nch) return 0;
    if (pf_bytes_push(&s->json, '[')) return PF_ERR_NOMEM;
    for (size_t c = 0; c < nch; c++) {
        const size_t *ch = s->chunks.p + c * PF_SCAN_CHUNK_W;
        if (c && pf_bytes_push(&s->json, ',')) return PF_ERR_NOMEM;
        int rc = ch[4] == PF_CHUNK_OK ? emit_value(s, ch[2], ch[3])
                                      : (pf_bytes_append(&s->json, (const uint8_t *)"null", 4) ? PF_ERR_NOMEM : 0);
        if (rc) return rc;
    }
    return pf_bytes_push(&s->json, ']') ? PF_ERR_NOMEM : 0;
}

/* ---- mode 2: genai's block reader (pf_genai.c) -------------------------------- */

static int genai_feed(pf_scan *s, const uint8_t *data, size_t len, int eof) {
    if (pf_genai_append(&s->genai, data, len)) return PF_ERR_NOMEM;
    const uint8_t *b;
    size_t blen;
    uint64_t origin;
    int kind;
    while (!s->finished && (kind = pf_genai_next(&s->genai, eof, &b, &blen, &origin)) != PF_GENAI_NONE) {
        if (kind == PF_GENAI_DATA) {
            int rc = scan_chunk(s, (const uint8_t *)"message", 7, b, blen, (size_t)origin, 1);
            if (rc) return rc;
            continue;
        }
        /* anything else ends the stream: the caller reads the block (API error or invalid chunk) */
        if (pf_sizes_reserve(&s->chunks, PF_SCAN_CHUNK_W)) return PF_ERR_NOMEM;
        size_t name_off = s->arena.len;
        if (pf_bytes_append(&s->arena, b, blen)) return PF_ERR_NOMEM;
        size_t *ch = s->chunks.p + s->chunks.len;
        ch[0] = name_off; ch[1] = blen; ch[2] = s->recs.len / PF_SCAN_REC_W; ch[3] = 0;
        ch[4] = PF_CHUNK_OTHER; ch[5] = (size_t)origin; ch[6] = 1;
        s->chunks.len += PF_SCAN_CHUNK_W;
        s->finished = 1;
    }
    pf_genai_settle(&s->genai, s->finished);
    return 0;
}

int pf_scan_feed(pf_scan *s, const uint8_t *data, size_t len, int eof, pf_scan_out *out) {
    int rc = 0;
    s->chunks.len = 0;
    s->recs.len = 0;
    s->arena.len = 0;
    s->run_ok = 0;
    if (s->mode == PF_SCAN_SSE) {
        if (!s->finished) {
            pf_sse_out so;
            int src = pf_sse_feed(s->sse, data, len, eof, &so);
            if (src) { rc = src; goto done; }
            for (size_t k = 0; k < so.nev && !s->finished; k++) {
                const size_t *e = so.ev + k * PF_SSE_EV_W;
                const uint8_t *ed = e[0] & PF_SSE_IN_INPUT ? data + (e[0] & ~PF_SSE_IN_INPUT)
                                                           : (const uint8_t *)so.arena + e[0];
                rc = scan_chunk(s, so.type_arena + e[2], e[3], ed, e[1], e[6], 1);
                if (rc) { rc = PF_ERR_NOMEM; goto done; }
            }
        }
    } else if (s->mode == PF_SCAN_GENAI) {
        if (!s->finished && genai_feed(s, data, len, eof)) { rc = PF_ERR_NOMEM; goto done; }
    } else if (!s->finished) {
        if (pf_bytes_append(&s->doc, data, len)) { rc = PF_ERR_NOMEM; goto done; }
        if (eof) {
            s->finished = 1;
            rc = scan_chunk(s, (const uint8_t *)"", 0, s->doc.p ? s->doc.p : (const uint8_t *)"",
                            s->doc.len, 0, 0);
            if (rc) { rc = PF_ERR_NOMEM; goto done; }
        }
    }
done:
    if (!rc && s->records_only) {
        s->json.len = 0;
    } else if (!rc) {
        int jr = emit_json(s);
        if (jr == PF_ERR_NOMEM) rc = PF_ERR_NOMEM;
        else if (jr) s->json.len = 0; /* no text: the caller rebuilds from the records */
    } else {
        s->json.len = 0;
    }
    out->chunks = s->chunks.p;
    out->nchunks = s->chunks.len / PF_SCAN_CHUNK_W;
    out->recs = s->recs.p;
    out->nrecs = s->recs.len / PF_SCAN_REC_W;
    out->arena = s->arena.p;
    out->arena_len = s->arena.len;
    out->json = s->json.p;
    out->json_len = s->json.len;
    return rc;
}

int pf_scan_cut(const pf_scan *s, uint64_t *offset) {
    *offset = 0;
    if (s->mode != PF_SCAN_SSE || !s->sse || s->done_seen) return 0;
    return pf_sse_cut(s->sse, offset);
}

void pf_scan_set_eof_dispatch(pf_scan *s, int eof_dispatch) {
    if (s->sse) pf_sse_set_eof_dispatch(s->sse, eof_dispatch);
}

void pf_scan_records_only(pf_scan *s) { s->records_only = 1; }

void pf_scan_reset(pf_scan *s) {
    s->finished = s->done_seen = 0;
    s->doc.len = 0;
    pf_genai_reset(&s->genai);
    s->chunks.len = s->recs.len = s->arena.len = s->key.len = s->json.len = s->jstack.len = 0;
    s->depth = 0;
    s->last_arena_start = 0;
    s->tpl_ok = s->run_ok = 0;
    if (s->sse) pf_sse_reset(s->sse);
}

int pf_scan_done_seen(const pf_scan *s) { return s->done_seen; }

void pf_scan_set_coalesce(pf_scan *s, int on) { s->coalesce = on; }

/* ---- specs from paths (for kernels written in C) ------------------------------- */

/* The child of `parent` for the path component p[0..len) ("*": the star child), or -1. */
static int32_t path_child(const pf_jspec *sp, int32_t parent, const char *p, size_t len) {
    if (len == 1 && p[0] == '*') return sp->nodes[parent].star_child;
    return find_child(sp, parent, (const uint8_t *)p, len);
}

size_t pf_jspec_count(const pf_jspec *sp) { return sp->n; }

int32_t pf_jspec_node(const pf_jspec *sp, const char *path) {
    int32_t node = 0;
    const char *p = path;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        node = path_child(sp, node, p, len);
        if (node < 0) return -1;
        p += len + (dot ? 1 : 0);
    }
    return node;
}

pf_jspec *pf_jspec_build(const pf_path *paths, size_t n) {
    /* count components to size the node arrays: at most 1 + sum of components */
    size_t cap = 1, keylen = 0;
    for (size_t k = 0; k < n; k++) {
        cap++;
        for (const char *c = paths[k].path; *c; c++) if (*c == '.') cap++;
        keylen += strlen(paths[k].path);
    }
    int32_t *parent = (int32_t *)calloc(cap, sizeof(int32_t));
    size_t *off = (size_t *)calloc(cap, sizeof(size_t));
    size_t *len = (size_t *)calloc(cap, sizeof(size_t));
    uint8_t *flags = (uint8_t *)calloc(cap, 1);
    const char **key = (const char **)calloc(cap, sizeof(char *));
    uint8_t *keys = (uint8_t *)malloc(keylen + 1);
    pf_jspec *sp = NULL;
    if (!parent || !off || !len || !flags || !key || !keys) goto out;
    size_t nn = 1, kl = 0;
    parent[0] = -1;
    for (size_t k = 0; k < n; k++) {
        int32_t node = 0;
        const char *p = paths[k].path;
        for (;;) {
            const char *dot = strchr(p, '.');
            size_t l = dot ? (size_t)(dot - p) : strlen(p);
            int star = l == 1 && p[0] == '*';
            int32_t child = -1;
            for (size_t j = 1; j < nn; j++) {
                if (parent[j] != node) continue;
                if (star ? (flags[j] & PF_NODE_STAR) != 0
                         : (!(flags[j] & PF_NODE_STAR) && len[j] == l && memcmp(keys + off[j], p, l) == 0)) {
                    child = (int32_t)j;
                    break;
                }
            }
            if (child < 0) {
                child = (int32_t)nn++;
                parent[child] = node;
                flags[child] = star ? PF_NODE_STAR : 0;
                off[child] = kl;
                len[child] = star ? 0 : l;
                if (!star) { memcpy(keys + kl, p, l); kl += l; }
            }
            node = child;
            if (!dot) break;
            p = dot + 1;
        }
        /* a KEEP path names an interior object (its children are listed too), not a leaf */
        flags[node] |= (paths[k].flags & PF_NODE_KEEP) ? paths[k].flags : (PF_NODE_LEAF | paths[k].flags);
    }
    sp = pf_jspec_new(parent, keys, off, len, flags, nn);
out:
    free(parent); free(off); free(len); free(flags); free(key); free(keys);
    return sp;
}
