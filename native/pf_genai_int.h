/* Gemini's block reader (pf_genai.c; internal, not in the cdef): the reader of
 * the Google genai SDK's stream, used by the scanner's mode PF_SCAN_GENAI. */
#ifndef PF_GENAI_INT_H
#define PF_GENAI_INT_H
#include "pf_api.h"
#include "pf_buf.h"

/* What pf_genai_next found. */
#define PF_GENAI_NONE 0    /* no complete block (more input, or the end) */
#define PF_GENAI_DATA 1    /* a "data:" block: the span is its JSON text (after "data:") */
#define PF_GENAI_OTHER 2   /* any other block: the span is the whole block (the input ends here) */

/* Carried state: the unfinished block's bytes and where the search resumes. */
typedef struct {
    pf_bytes buf;      /* input not yet cut into blocks */
    uint64_t base;     /* input offset of buf.p[0] */
    size_t pos;        /* start of the next block in buf */
    size_t search;     /* where in buf the separator search resumes */
} pf_genai_reader;

/* Append fed bytes: PF_OK or PF_ERR_NOMEM. */
int pf_genai_append(pf_genai_reader *g, const uint8_t *data, size_t len);
/* The next non-empty block (eof: the input ended, the last block needs no separator):
 * PF_GENAI_DATA / PF_GENAI_OTHER with *p, *n its span (valid until the next append)
 * and *origin its input offset, or PF_GENAI_NONE. */
int pf_genai_next(pf_genai_reader *g, int eof, const uint8_t **p, size_t *n, uint64_t *origin);
/* After a feed's blocks: keep only the unfinished block (finished: drop everything). */
void pf_genai_settle(pf_genai_reader *g, int finished);
/* A new body (buffer kept); free the buffer. */
void pf_genai_reset(pf_genai_reader *g);
void pf_genai_free(pf_genai_reader *g);

#endif
