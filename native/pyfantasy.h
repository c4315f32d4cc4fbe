/* pyfantasy native API. This text is also the cffi cdef: no #include, no macros
 * beyond plain #define integer constants. C here knows nothing of Python. */

/* ---- status codes ------------------------------------------------------------
 * The one set of status codes. Every kernel function that returns an int status
 * (pf_*_feed, pf_vcr_parse, pf_dec_reset) returns one of these, pf_dec_out.status
 * holds one, and the internal helpers (pf_lex.h, the decoders) return them too.
 * Kinds the kernels *report* about the input (PF_CHUNK_* chunk status, PF_EVS_*
 * event-stream errors, PF_EK_* error parts) are data codes, not statuses: they
 * are listed with their kernel below. */
#define PF_OK 0
#define PF_UNSUPPORTED 1    /* the input is outside what this kernel reproduces: the caller uses
                               the Python twin (pf_vcr_parse; pf_dec_out.status; pf_dec_reset:
                               this decoder cannot be reset) */
#define PF_ERR_NOMEM -1     /* out of memory: drop the object */
#define PF_ERR_CLOSED -2    /* fed after eof */
#define PF_ERR_SYNTAX -3    /* not JSON (internal: pf_lex.h's result; never returned by a cdef function) */

/* ---- SSE (WHATWG "Interpreting an event stream") --------------------------- */

typedef struct pf_sse pf_sse;

#define PF_SSE_EV_W 7       /* values per event in pf_sse_out.ev */
#define PF_SSE_RETRY_W 3    /* values per retry line in pf_sse_out.retry */

/* What one pf_sse_feed call produced; valid until the next call on the same
 * decoder. Each event's data, type and id are written to their own arena,
 * each followed by a NUL byte, so when no field holds a NUL (has_nul == 0)
 * an arena splits at NUL into one string per event. The type arena holds
 * "message" for events without a type. */
typedef struct {
    /* PF_SSE_EV_W values per event: data_off, data_len, type_off, type_len,
     * id_off, id_len, offset (stream byte offset of the event's first line) */
    const size_t *ev;
    size_t nev;
    /* PF_SSE_RETRY_W values per valid `retry` line: events dispatched before
     * it in this call, digits_off, digits_len (digits in retry_arena) */
    const size_t *retry;
    size_t nretry;
    const char *arena;           /* data (char: Python reads it in one call, as bytes or as text) */
    size_t arena_len;
    const uint8_t *type_arena;
    size_t type_arena_len;
    const uint8_t *id_arena;
    size_t id_arena_len;
    const uint8_t *retry_arena;
    size_t retry_arena_len;
    int has_nul;                 /* some type (without pf_sse_set_pickle: or data) of these events holds a NUL */
    int same_type;               /* every event of this call has the first one's type */
    int same_id;                 /* every event of this call has the first one's id */
    /* 1 when every event of this call has the type and id of the events of the last call that
     * had them all alike, no NUL and no retry line (and this call has neither): a caller that
     * kept those two strings can reuse them without reading the type and id arenas */
    int as_before;
    /* with pf_sse_set_pickle on, and events: every event's data as a pickle (protocol 4) of a
     * list of str, invalid UTF-8 replaced by U+FFFD as Python's "replace" does; else pk_len 0 */
    const char *pk;
    size_t pk_len;
} pf_sse_out;

pf_sse *pf_sse_new(void);
void pf_sse_free(pf_sse *s);
/* Feed bytes (any split); eof=1 ends the stream (len may be 0). */
int pf_sse_feed(pf_sse *s, const uint8_t *data, size_t len, int eof, pf_sse_out *out);
/* Carried state, for introspection: which = one of PF_SSE_STATE_*. */
#define PF_SSE_STATE_ID 0          /* the committed last event id */
#define PF_SSE_STATE_ID_BUFFER 1   /* the last event id buffer */
#define PF_SSE_STATE_DATA 2        /* the pending data buffer */
#define PF_SSE_STATE_TYPE 3        /* the event type buffer */
#define PF_SSE_STATE_LINE 4        /* the unterminated line */
void pf_sse_state(const pf_sse *s, int which, const uint8_t **p, size_t *len);
/* 1 when the unterminated line is complete but held: its CR was the last byte fed. */
int pf_sse_cr_held(const pf_sse *s);
/* After the end of the stream: 1 when it ended inside an event (data or an
 * unterminated non-comment line was discarded); *offset = where it began. */
int pf_sse_cut(const pf_sse *s, uint64_t *offset);
/* eof_dispatch=1: at the end of the stream, the unterminated last event is
 * dispatched as if a blank line followed (Google's genai reader does this). */
void pf_sse_set_eof_dispatch(pf_sse *s, int eof_dispatch);
/* on=1: each call also writes its events' data as pf_sse_out.pk (for Python's pickle.loads). */
void pf_sse_set_pickle(pf_sse *s, int on);

/* ---- JSON path scanner ----------------------------------------------------- */

/* Node flags of a path spec (a trie of object keys and array wildcards). */
#define PF_NODE_STAR 1      /* matches every element of an array */
#define PF_NODE_LEAF 2      /* capture the value whole (raw JSON text for containers) */
#define PF_NODE_COALESCE 4  /* a string leaf whose consecutive values may be merged */
#define PF_NODE_INERT 8     /* a leaf whose scalar value does not stop a merge (equal values) */
#define PF_NODE_INERT_NULL 16 /* a leaf whose null value does not stop a merge */
#define PF_NODE_KEEP 32     /* an interior object whose raw JSON text is kept too (record a, b) */

/* Value kinds of a record. */
#define PF_K_NULL 0
#define PF_K_FALSE 1
#define PF_K_TRUE 2
#define PF_K_NUMBER 3       /* a,b: raw number text in the arena */
#define PF_K_STRING 4       /* a,b: unescaped UTF-8 in the arena */
#define PF_K_OBJECT 5       /* an object at an interior node (its matching keys follow) */
#define PF_K_ARRAY 6        /* an array at an interior node: a = element count */
#define PF_K_RAW 7          /* an object or array at a leaf node: a,b raw JSON text */

/* Chunk status. */
#define PF_CHUNK_OK 0
#define PF_CHUNK_BAD_JSON 1 /* the event's data is not one valid JSON value */
#define PF_CHUNK_DONE 2     /* the data starts with the done marker; nothing follows */
#define PF_CHUNK_OTHER 3    /* mode 2: a block that is not "data:"; its name span holds the
                               block (one trailing CR dropped); nothing follows */

/* pf_scan_new modes. */
#define PF_SCAN_DOCUMENT 0
#define PF_SCAN_SSE 1
#define PF_SCAN_GENAI 2

typedef struct pf_jspec pf_jspec;
typedef struct pf_scan pf_scan;

#define PF_SCAN_CHUNK_W 7   /* values per chunk in pf_scan_out.chunks */
#define PF_SCAN_REC_W 6     /* values per record in pf_scan_out.recs */

typedef struct {
    /* PF_SCAN_CHUNK_W values per chunk: name_off, name_len (event name in arena), rec_start,
     * rec_count, status, offset (byte offset in the stream of the event's
     * first line; 0 for a whole document), merged (how many events this
     * chunk stands for) */
    const size_t *chunks;
    size_t nchunks;
    /* PF_SCAN_REC_W values per record: node, parent (record index within the chunk, or
     * (size_t)-1 for the root), index (array element index or 0), kind, a, b */
    const size_t *recs;
    size_t nrecs;
    const uint8_t *arena;
    size_t arena_len;
    /* The same pruned values as JSON text: one array with an element per
     * chunk (null when its status is not OK), array elements the spec does
     * not reach written as null, strings as the unescaped UTF-8 re-escaped.
     * One json.loads of it gives every chunk's value at C speed. */
    const uint8_t *json;
    size_t json_len;
} pf_scan_out;

/* Build a spec from n nodes; node 0 is the root (parent -1). For node i > 0:
 * parent[i] < i, key bytes keys[key_off[i] .. key_off[i]+key_len[i]), flags[i]. */
pf_jspec *pf_jspec_new(const int32_t *parent, const uint8_t *keys, const size_t *key_off,
                       const size_t *key_len, const uint8_t *flags, size_t n);
void pf_jspec_free(pf_jspec *spec);

/* mode 2 (PF_SCAN_GENAI): the Gemini SDK's block reader: the input is cut
 * into blocks at the earlier of "\n\n" and "\r\n\r\n", one trailing CR is
 * dropped, empty blocks are skipped, the last block counts without a
 * terminator at eof; a block starting with "data:" is one JSON value (the rest
 * of the block, line breaks included), named "message", at the block's input
 * offset; any other block is a PF_CHUNK_OTHER chunk and ends the input.
 * mode 1: an SSE stream, every event's data is a JSON value; mode 0: the
 * whole input is one JSON document (leading whitespace skipped, anything
 * after the first value ignored). done/done_len: SSE data prefix that ends
 * the stream (e.g. "[DONE]"), or done_len 0. coalesce: merge a chunk into
 * the previous one when both have the same event name and records, except
 * for exactly one string on a COALESCE node (same position), and every other
 * leaf is INERT (a scalar; integers compare by value, other numbers by
 * spelling) or INERT_NULL (null); interior values must be objects or arrays. */
pf_scan *pf_scan_new(const pf_jspec *spec, int mode, const uint8_t *done, size_t done_len, int coalesce);
void pf_scan_free(pf_scan *s);
int pf_scan_feed(pf_scan *s, const uint8_t *data, size_t len, int eof, pf_scan_out *out);
/* Start a new body with the same scanner (spec, mode and buffers kept). */
void pf_scan_reset(pf_scan *s);
/* After eof in SSE mode: 1 when the stream ended inside an event (and no done
 * marker was seen before); *offset = where that event began. */
int pf_scan_cut(const pf_scan *s, uint64_t *offset);
/* SSE mode: see pf_sse_set_eof_dispatch. */
void pf_scan_set_eof_dispatch(pf_scan *s, int eof_dispatch);
/* Records only: pf_scan_out.json stays empty (for callers that read the records). */
void pf_scan_records_only(pf_scan *s);

/* ---- go-vcr cassette reader (pf_vcr.c) --------------------------------------- */

/* pf_vcr_parse returns PF_UNSUPPORTED when the text is outside the recorder's YAML
 * subset (the caller then uses pyfantasy.cassette.loads, which reads it or says why not). */

#define PF_VCR_REC_W 5      /* values per record in pf_vcr_out.recs */

/* Record flags. */
#define PF_VCR_BINARY 1     /* the value was !!binary: the arena holds the decoded bytes */
#define PF_VCR_PLAIN 2      /* plain scalar */
#define PF_VCR_NULL 4       /* a plain null (empty, ~, null, Null, NULL): empty span */
#define PF_VCR_KEY 8        /* a key of a map field (headers, trailer, form) */
#define PF_VCR_ITEM 16      /* a list item (of transfer_encoding, or of the last key) */

/* Fields: 0 = the interaction's id; 1 + i = the i-th request field and 17 + i
 * the i-th response field, in the order of docs/cassettes.md#request-fields and docs/cassettes.md#response-fields
 * (request: proto .. method; response: proto .. duration). */
#define PF_VCR_ID 0
#define PF_VCR_REQUEST 1
#define PF_VCR_RESPONSE 17

typedef struct pf_vcr pf_vcr;

typedef struct {
    /* PF_VCR_REC_W values per record: interaction index, field, flags, off, len (arena span) */
    const size_t *recs;
    size_t nrecs;
    size_t ninteractions;
    const uint8_t *arena;
    size_t arena_len;
    size_t err_offset;           /* PF_UNSUPPORTED: where the subset ended */
} pf_vcr_out;

pf_vcr *pf_vcr_new(void);
void pf_vcr_free(pf_vcr *v);
/* Parse a whole cassette file. PF_OK, PF_UNSUPPORTED or PF_ERR_NOMEM; the
 * output is valid until the next call on the same reader. */
int pf_vcr_parse(pf_vcr *v, const uint8_t *data, size_t len, pf_vcr_out *out);

/* The scan's view of a parsed cassette (pf_vcr_light): per interaction, (off, len, flags) of
 * each PF_VL_* field in the arena, its flags | PF_VCR_PRESENT when the field was there (else 0s).
 * PF_VL_CTYPE is the response's Content-Type header: PF_VCR_PRESENT alone for the key with no
 * value, | PF_VCR_ITEM with its one value. */
#define PF_VCR_PRESENT 32
#define PF_VL_ID 0
#define PF_VL_URL 1
#define PF_VL_METHOD 2
#define PF_VL_REQ_BODY 3
#define PF_VL_BODY 4
#define PF_VL_STATUS 5
#define PF_VL_CODE 6
#define PF_VL_DURATION 7
#define PF_VL_CTYPE 8
#define PF_VL_N 9
#define PF_VL_DURATION_NS 27   /* the duration in nanoseconds + 1 when it has the recorder's simple form, else 0 */
/* What json.loads makes of the request body, when C can tell for sure: PF_REQ_UNREAD, it cannot
 * (Python parses the body); PF_REQ_VALUE, a JSON value that is not an object; PF_REQ_OBJECT, an
 * object, whose last top-level "model" is PF_VL_MODEL_OFF/LEN in the arena when a non-empty plain
 * string (else length 0) and PF_VL_STREAM 1 when its last "stream" is true. */
#define PF_VL_REQ_JSON 28
#define PF_REQ_UNREAD 0
#define PF_REQ_VALUE 1
#define PF_REQ_OBJECT 2
#define PF_VL_MODEL_OFF 29
#define PF_VL_MODEL_LEN 30
#define PF_VL_STREAM 31
#define PF_VCR_LIGHT_W 32   /* 3 * PF_VL_N + 5 values per interaction */
/* After pf_vcr_parse (PF_OK) of `out`: *rows = ninteractions * PF_VCR_LIGHT_W values, valid until
 * the next call on v. Returns 0; 1 when the file needs the whole record walk, which raises or
 * joins what these rows cannot say (a key twice in one map, a key in !!binary, a Content-Type
 * of several values, more than 256 map keys in one interaction); PF_ERR_NOMEM. */
int pf_vcr_light(pf_vcr *v, const pf_vcr_out *out, const size_t **rows);

/* ---- AWS event stream (Bedrock invoke-with-response-stream) ----------------- */

/* pf_evs_out.status: a data code (what went wrong in the input, worded for users by
 * pyfantasy._kernels.evstream_contract), not a status code: pf_evs_feed itself returns
 * PF_OK when it reports one. Errors are sticky: after one, feeds decode nothing more
 * and report it again. err_offset is the input offset of the message at fault. */
#define PF_EVS_OK 0
#define PF_EVS_E_PRELUDE 1          /* total length < 16 or headers past the frame: err_a total, err_b headers length */
#define PF_EVS_E_PRELUDE_CRC 2      /* err_a = CRC in the frame, err_b = CRC computed */
#define PF_EVS_E_MESSAGE_CRC 3      /* err_a = CRC in the frame, err_b = CRC computed */
#define PF_EVS_E_HEADER 4           /* a header runs past the headers (err_b 0) or has an unknown value type (err_b); err_a = its offset in the headers */
#define PF_EVS_E_NO_MESSAGE_TYPE 5  /* no string header :message-type */
#define PF_EVS_E_NO_EVENT_TYPE 6    /* an event without a string header :event-type */
#define PF_EVS_E_PAYLOAD 7          /* a chunk payload that is not a JSON object whose "bytes" is a string or null */
#define PF_EVS_E_BASE64 8           /* "bytes" is not standard padded base64 */
#define PF_EVS_EXCEPTION 9          /* an exception message: frame/frame_len hold it */
#define PF_EVS_ERROR 10             /* an error message: frame/frame_len hold it */
#define PF_EVS_E_TRUNCATED 11       /* the input ended inside a message: err_a bytes present, err_b its total length (0: prelude incomplete) */

typedef struct pf_evs pf_evs;

#define PF_EVS_EV_W 2       /* values per event in pf_evs_out.ev */

/* What one pf_evs_feed call produced; valid until the next call. */
typedef struct {
    const uint8_t *sse;     /* "event: <type>\ndata: <json>\n\n" for each chunk completed by this call */
    size_t sse_len;
    const size_t *ev;       /* PF_EVS_EV_W values per event: its offset in sse, the input offset of its message */
    size_t nev;
    int status;             /* PF_EVS_OK or the (sticky) error */
    uint64_t err_offset;
    uint64_t err_a;
    uint64_t err_b;
    const uint8_t *frame;   /* PF_EVS_EXCEPTION / PF_EVS_ERROR: the whole message */
    size_t frame_len;
    uint64_t frames;        /* messages decoded so far (CRCs and headers good) */
} pf_evs_out;

pf_evs *pf_evs_new(void);
void pf_evs_free(pf_evs *d);
/* Feed bytes (any split); eof=1 ends the input (len may be 0). PF_OK,
 * PF_ERR_NOMEM, or PF_ERR_CLOSED after eof. */
int pf_evs_feed(pf_evs *d, const uint8_t *data, size_t len, int eof, pf_evs_out *out);

/* ---- provider stream decoders (pf_dec.c + one file per wire format) ---------- */

/* Each decoder runs fantasy's per-chunk state machine of one wire format in C
 * and hands out stream parts: the body's chunks never reach the caller. A
 * feed's parts come as records of PF_PART_W values; consecutive deltas of the
 * same type and id without metadata are merged within one feed. */
#define PF_PART_W 8

/* Part types (record value 0). Values 1..7 by type:
 * TEXT_*, REASONING_*: 1 id_off, 2 id_len, 3 delta_off, 4 delta_len, 7 metadata object + 1 (0: none)
 * TOOL_INPUT_START: 1,2 id, 5,6 tool name;  TOOL_INPUT_DELTA: 1,2 id, 3,4 delta;  TOOL_INPUT_END: 1,2 id
 * TOOL_CALL: 1,2 id, 3,4 input, 5,6 tool name, 7 metadata object + 1
 * SOURCE: 1,2 seed (the stream's id), 3,4 url, 5,6 title, 7 ordinal (the id is made from seed and ordinal)
 * FINISH: 1 finish reason (PF_FR_*), 2 flags (PF_FIN_*), 3,4 the last usage's raw JSON, 5,6 the chunk's
 *         "provider" value, 7: 0 absent, 1 the value is its JSON text as written back, else its kind + 2;
 *         predictions and extras in pf_dec_out.fin_*
 * ERROR: 1 kind (PF_EK_*), 2 offset (SIZE_MAX: none), 3,4 message or value, 5 value kind (PF_K_*,
 *        PF_EK_PROVIDER_ERROR: the message is made from the value), 6 unused
 * META: 1 object number, 2 operation (PF_MO_*), 3,4 string a, 5,6 string b, 7 integer argument
 * EOF: the parts after it are the end of the stream (fantasy's last step), given when the
 *      input ended; StreamDecoder hands them to the Response, not to feed()'s caller. */
#define PF_PT_TEXT_START 1
#define PF_PT_TEXT_DELTA 2
#define PF_PT_TEXT_END 3
#define PF_PT_REASONING_START 4
#define PF_PT_REASONING_DELTA 5
#define PF_PT_REASONING_END 6
#define PF_PT_TOOL_INPUT_START 7
#define PF_PT_TOOL_INPUT_DELTA 8
#define PF_PT_TOOL_INPUT_END 9
#define PF_PT_TOOL_CALL 10
#define PF_PT_SOURCE 11
#define PF_PT_FINISH 12
#define PF_PT_ERROR 13
#define PF_PT_META 14
#define PF_PT_EOF 15
#define PF_PT_USAGE 16     /* before a FINISH: 1..6 its usage (int64 as size_t), 7: 1 when one is negative (read pf_dec_out.fin_usage) */
#define PF_PT_EXTRA 17     /* before a FINISH (chat): one extra usage field: 1,2 key, 3,4 its raw JSON as written back */
#define PF_PT_ROUTER 18    /* before a FINISH (OpenRouter): 1..5 prompt, cached, completion, reasoning and total
                            * tokens (JSON integers, else 0), 6,7 the four cost number texts joined by NUL;
                            * their float64 values (as Go reads them) in pf_dec_out.fin_costs */

/* Finish reasons. */
#define PF_FR_STOP 0
#define PF_FR_LENGTH 1
#define PF_FR_CONTENT_FILTER 2
#define PF_FR_TOOL_CALLS 3
#define PF_FR_ERROR 4
#define PF_FR_OTHER 5
#define PF_FR_UNKNOWN 6

/* Finish flags. */
#define PF_FIN_USAGE 1        /* usage came from a chunk (else zero usage, no usage metadata) */
#define PF_FIN_CHOICE0 2      /* chat: the accumulator saw choice 0 (metadata "openai" with logprobs) */
#define PF_FIN_EXTRAS 4       /* chat: fin_extras holds the usage whose unknown keys are extra fields */
#define PF_FIN_PREDICTION 8   /* chat: fin_accepted / fin_rejected are not both 0 */
#define PF_FIN_EXTRA_RECORDS 16 /* chat: the extra fields are the EXTRA records (else read fin_extras) */

/* Error kinds. */
#define PF_EK_JSON 1
#define PF_EK_PROVIDER_ERROR 2      /* the value is the chunk's error (message made from it) */
#define PF_EK_PROVIDER_RESPONSE 3
#define PF_EK_TRUNCATED 4

/* Metadata operations (chat, OpenRouter/Vercel reasoning details). Objects are
 * numbered from 0 per decoder; a later operation changes an object already handed out. */
#define PF_MO_RESPONSES_NEW 1       /* openai ResponsesReasoningMetadata, summary [a] */
#define PF_MO_RESPONSES_ENCRYPTED 2 /* item_id = a, encrypted_content = b */
#define PF_MO_RESPONSES_SUMMARY 3   /* arg in [0, len(summary)): summary[arg] += a, else append a */
#define PF_MO_GOOGLE_NEW 4          /* google GoogleReasoningMetadata(signature a, tool_id b) */
#define PF_MO_GOOGLE_SET 5          /* signature = a, tool_id = b */
#define PF_MO_ANTHROPIC_NEW 6       /* anthropic AnthropicReasoningMetadata(signature a) */

/* pf_dec_out.status: PF_OK, the body is decoded here, or PF_UNSUPPORTED, it has a
 * shape this decoder hands to the Python state machine (parts of this feed are not
 * given; the caller decodes the body again from its start). */

/* Chat-completions variants (hook sets). */
#define PF_CHAT_OPENAI 0
#define PF_CHAT_COMPAT 1
#define PF_CHAT_OPENROUTER 2
#define PF_CHAT_VERCEL 3

/* OpenAI Responses (pf_responses.c). Part type values may carry flags above PF_PT_MASK:
 * PROVIDER_EXECUTED on TOOL_INPUT_START, TOOL_CALL, TOOL_RESULT; DOCUMENT on SOURCE (a
 * document citation: no url, 5,6 title). TOOL_RESULT: 1,2 id, 5,6 tool name, 7 metadata
 * object + 1 (a null result). FINISH of openai-responses: 3,4 the response id (metadata
 * {"openai": OpenAIResponsesMetadata}, or {} when empty). */
#define PF_PT_MASK 0xff
#define PF_PT_PROVIDER_EXECUTED 0x100
#define PF_PT_DOCUMENT 0x200
#define PF_MO_RESPONSES_ITEM 10     /* ResponsesReasoningMetadata(item_id a, encrypted_content b or None, summary []) */
#define PF_MO_OPENAI_WEB_SEARCH_NEW 11    /* openai WebSearchCallMetadata(item_id a), no action */
#define PF_MO_OPENAI_WEB_SEARCH_ACTION 12 /* action = WebSearchAction(type a, query b) */
#define PF_MO_OPENAI_WEB_SEARCH_SOURCE 13 /* action.sources += WebSearchSource(type a, url b) */

typedef struct pf_dec pf_dec;

typedef struct {
    const size_t *parts;
    size_t nparts;
    const char *arena;        /* char: Python reads it as bytes in one call */
    size_t arena_len;
    int status;               /* PF_OK / PF_UNSUPPORTED (fall back to Python) */
    uint64_t events;          /* events read so far (as StreamDecoder.events counts them) */
    int cut;                  /* after eof: the stream ended inside an event, at cut_offset */
    uint64_t cut_offset;
    int done_seen;            /* the done marker was seen */
    /* the finish part's values (valid in the feed that gives a FINISH part) */
    int64_t fin_usage[6];     /* input, output, total, reasoning, cache creation, cache read */
    int64_t fin_accepted;     /* chat openai metadata: accepted/rejected prediction tokens */
    int64_t fin_rejected;
    size_t fin_extras_off, fin_extras_len;   /* raw JSON of the usage with the extra fields */
    double fin_costs[4];      /* OpenRouter: cost and the three upstream costs (0 when absent or out of range) */
} pf_dec_out;

pf_dec *pf_chat_new(int variant);
/* Non-streaming chat-completions bodies (one document): the provider Response's parts and a
 * FINISH with PF_FIN_OPENAI_KEY (its metadata under "openai", whatever the variant). */
#define PF_FIN_OPENAI_KEY 128
pf_dec *pf_chat_document_new(int variant);

/* Anthropic Messages (pf_anthropic.c). */
#define PF_PT_TOOL_RESULT 19          /* 1,2 id (tool call id), 5,6 tool name, 7 metadata object + 1; provider-executed */
#define PF_PT_PROVIDER_TOOL_CALL 21   /* TOOL_CALL of a provider-executed tool */
/* A client tool's TOOL_CALL whose input C found to be a JSON object Go reads without error
 * (pf_lex_json_object): the agent's JSON check on it can be skipped. Same values as TOOL_CALL. */
#define PF_PT_TOOL_CALL_OBJECT 22
/* TOOL_INPUT_START, TOOL_INPUT_END: value 7 is 1 when the tool is provider-executed. */
#define PF_FIN_PLAIN 32                /* usage as fin_usage gives it, provider metadata {} (no other flags) */
#define PF_MO_WEB_SEARCH_NEW 7        /* anthropic AnthropicWebSearchResultMetadata(error_code a) */
/* A web search result, in one record: the source part of its url (id and url) and title,
 * and WebSearchResultItem(url, title, encrypted_content, page_age) appended to the results of
 * metadata object 1 (made by PF_MO_WEB_SEARCH_NEW). 2: the arena offset of the four strings,
 * one after the other; 3..6 their lengths. */
#define PF_PT_WEB_SEARCH_RESULT 25
/* PF_MO_ANTHROPIC_NEW: b is the redacted data. */
pf_dec *pf_anthropic_new(void);
pf_dec *pf_anthropic_document_new(void);   /* non-streaming Messages bodies (one document) */
/* Bedrock: the AWS event stream (pf_evstream.c) carrying the Anthropic stream. Its failure is
 * an ERROR part of kind PF_EK_EVSTREAM: 2 offset, 3,4 the message (PF_EVS_EXCEPTION/ERROR),
 * 5 pf_evs_out.status, 6 err_a, 7 err_b (pyfantasy._kernels.evstream_contract.describe words it). */
#define PF_EK_EVSTREAM 5
pf_dec *pf_bedrock_new(void);
pf_dec *pf_responses_new(void);
pf_dec *pf_responses_document_new(void);   /* non-streaming Responses bodies (one document) */
/* Gemini streams (pf_gemini.c): genai's blocks; FINISH carries NO_METADATA, reasoning
 * metadata comes from GENAI_SIGNATURE_NEW. */
#define PF_FIN_NO_METADATA 64          /* usage as fin_usage gives it, provider metadata None (no other flags) */
#define PF_MO_GENAI_SIGNATURE_NEW 14   /* google GoogleReasoningMetadata(signature = a's bytes as a Go string
                                        * (invalid UTF-8 kept: surrogateescape), tool_id b) */
/* A META record's value 7 when its a is not UTF-8 but the Go string's code points as Python
 * holds them (surrogateescape: U+DC80..U+DCFF for a byte outside valid UTF-8), 32 bits each in
 * native byte order, at an arena offset that is a multiple of 4 (4 the length: a byte count).
 * Python makes the str from them at memcpy speed, where decoding with surrogateescape takes
 * a slow path per invalid byte (a Gemini thought signature is kilobytes of them). */
#define PF_MO_UCS4 1
pf_dec *pf_gemini_new(void);
pf_dec *pf_gemini_document_new(void);   /* generateContent bodies (one document), same records */
void pf_dec_free(pf_dec *d);
/* Start a new body with the same decoder (its buffers kept: cheaper than free + new):
 * PF_OK, or PF_UNSUPPORTED when this decoder cannot be reset (make a new one). */
int pf_dec_reset(pf_dec *d);
/* Feed body bytes (any split); eof=1 ends the body (len may be 0). PF_OK,
 * PF_ERR_NOMEM, or PF_ERR_CLOSED after eof. Output valid until the next call. */
int pf_dec_feed(pf_dec *d, const uint8_t *data, size_t len, int eof, pf_dec_out *out);
/* A whole body in one call: reset, feed with eof, then the stream parts folded as fantasy's
 * agent folds them into the step's content (head value PF_DEC_HEAD_WHOLE 1): each text and reasoning block
 * becomes one content record at its end part, the tool input parts and EOF go, the other
 * records stay in order. A body with an error part, a block piece that is not valid UTF-8 on
 * its own, or more than PF_WHOLE_OPEN blocks open at once keeps its stream parts (head value
 * PF_DEC_HEAD_WHOLE 0).
 * Returns the number of values at out->parts: a head of PF_DEC_HEAD_N values (what a caller
 * reads of the body, so that one read gives it all), then the records; or PF_DEC_HANDED_BACK
 * (the body goes to the Python machine), or PF_ERR_NOMEM. */
#define PF_PT_TEXT_CONTENT 23        /* 3,4 the block's text, 7 the end part's metadata object + 1 */
#define PF_PT_REASONING_CONTENT 24   /* 3,4 the block's text, 7 its metadata object + 1 (the last one given) */
#define PF_WHOLE_OPEN 16
#define PF_DEC_HANDED_BACK -9
#define PF_DEC_HEAD_N 16             /* two records' width */
#define PF_DEC_HEAD_WHOLE 0          /* 1: the records are the step's content (else the stream parts) */
#define PF_DEC_HEAD_ARENA_LEN 1      /* out->arena_len */
#define PF_DEC_HEAD_CUT 2            /* out->cut_offset + 1 when out->cut, else 0 */
#define PF_DEC_HEAD_USAGE_SIGNED 3   /* 1: a fin_usage count is negative (read out->fin_usage) */
#define PF_DEC_HEAD_USAGE 4          /* 4..9: out->fin_usage (when none is negative) */
int64_t pf_dec_whole(pf_dec *d, const uint8_t *data, size_t len, pf_dec_out *out);
