/* Growable byte/size_t buffers shared by the kernels (internal, not in the cdef). */
#ifndef PF_BUF_H
#define PF_BUF_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint8_t *p; size_t len, cap; } pf_bytes;
typedef struct { size_t *p; size_t len, cap; } pf_sizes;

/* Make room for `extra` more bytes; 0 on success, -1 when out of memory. */
static inline int pf_bytes_reserve(pf_bytes *b, size_t extra) {
    if (extra <= b->cap - b->len) return 0;
    if (extra > SIZE_MAX - b->len) return -1;
    size_t need = b->len + extra, cap = b->cap ? b->cap : 256;
    while (cap < need) cap = (cap > SIZE_MAX / 2) ? need : cap * 2;
    uint8_t *p = (uint8_t *)realloc(b->p, cap);
    if (!p) return -1;
    b->p = p; b->cap = cap;
    return 0;
}

static inline int pf_bytes_append(pf_bytes *b, const uint8_t *src, size_t n) {
    if (n == 0) return 0;
    if (pf_bytes_reserve(b, n)) return -1;
    memcpy(b->p + b->len, src, n);
    b->len += n;
    return 0;
}

/* b's bytes replaced by p[0..n) (its allocation kept). */
static inline int pf_set_bytes(pf_bytes *b, const uint8_t *p, size_t n) {
    b->len = 0;
    return pf_bytes_append(b, p, n);
}

static inline int pf_bytes_push(pf_bytes *b, uint8_t c) {
    if (pf_bytes_reserve(b, 1)) return -1;
    b->p[b->len++] = c;
    return 0;
}

static inline int pf_sizes_reserve(pf_sizes *v, size_t extra) {
    if (extra <= v->cap - v->len) return 0;
    size_t need = v->len + extra, cap = v->cap ? v->cap : 64;
    while (cap < need) cap *= 2;
    if (cap > SIZE_MAX / sizeof(size_t)) return -1;
    size_t *p = (size_t *)realloc(v->p, cap * sizeof(size_t));
    if (!p) return -1;
    v->p = p; v->cap = cap;
    return 0;
}

static inline void pf_bytes_free(pf_bytes *b) { free(b->p); b->p = NULL; b->len = b->cap = 0; }
static inline void pf_sizes_free(pf_sizes *v) { free(v->p); v->p = NULL; v->len = v->cap = 0; }

#endif
