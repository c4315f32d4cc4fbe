"""``pyfantasy bench``: decoding throughput on the user's cassettes, pyfantasy beside its peers.

What is timed: each recorded response body, per wire format and streaming
flag (a "workload"), decoded from bytes to a final message by every
contender that applies and is installed:

- ``pyfantasy-native`` / ``pyfantasy-python``: ``StreamDecoder`` fed the
  body in socket-sized chunks, then ``close()`` (streams); ``decode_body``
  (single documents). Request tools and URL are passed as
  ``decode_interaction`` would.
- ``httpx-sse+json`` / ``httpx-sse+orjson``: httpx-sse's line and event
  decoders over incrementally decoded text, each event's data parsed and
  folded into a plain dict (text, reasoning, tool calls, finish, usage): the
  pipeline people write by hand.
- ``orjson-bytes``: the fastest hand-written pipeline: bytes split on LF,
  ``data:`` lines parsed with orjson, the same dict assembly.
- ``openai-sdk``: the openai SDK's SSE decoder, ``construct_type`` into its
  models, and ``ChatCompletionStreamState`` / ``ResponseStreamState``
  accumulation (what ``client.chat.completions.stream()`` does).
- ``anthropic-sdk``: the anthropic SDK's SSE decoder, its event models and
  ``accumulate_event`` (what ``client.messages.stream()`` does); on Bedrock
  after botocore's event-stream framing.
- ``google-genai``: the google-genai SDK's SSE line splitting and
  ``GenerateContentResponse`` per chunk (what ``generate_content_stream``
  yields).
- ``botocore+json``/``+orjson``: Bedrock's binary event stream framed by
  botocore's ``EventStreamBuffer``, base64 payloads decoded and parsed.
- single documents: ``json`` and ``orjson`` (parse only), and for the
  openai/anthropic SDKs their response models built from the parsed JSON.

Method: the bodies are split into chunks before timing; one warm-up call
per contender checks its result, so a broken path is reported FAILED and
never timed: a peer must have processed exactly the reference number of
events (SSE events dispatched per WHATWG, Bedrock frames, or documents);
pyfantasy must return, for every body, the Response its python backend
returned in a first pass (byte-identical JSON), which also checks native
against python. Bodies that first pass cannot decode are left out for all
contenders and listed.
Then each contender runs ``number`` times per repetition (enough to last
``min_time``), repetitions interleaved round-robin across contenders so
drift on a shared machine hits all alike; the figure is the minimum over
``repeat`` repetitions of ``time.perf_counter`` deltas, with the garbage
collector disabled while timing. Ratios are times relative to the fastest
contender of the workload (1.00 = fastest).

An SDK that rejects some events (e.g. a compatible API's chunk shape the
SDK's model cannot take) keeps going, as a user's loop with a try would;
the rejections are counted and shown in the row's notes.

This module is the public face: the code lives in ``pyfantasy._tools.bench``
(``workload``, ``pipelines``, ``summaries``, ``frontends``, ``sdks``,
``contenders``, ``run``, ``output``), one job a module.
"""
from pyfantasy._tools.bench.contenders import Contender, contenders
from pyfantasy._tools.bench.output import format_table, to_json
from pyfantasy._tools.bench.run import Result, run_bench
from pyfantasy._tools.bench.workload import Body, Workload, collect, reference_events, samples_dir

# Importable from here too, as they always were, though not part of the list below (benches/ and
# the tests use them).
from pyfantasy._tools.bench.pipelines import ASSEMBLERS as ASSEMBLERS
from pyfantasy._tools.bench.run import run_workload as run_workload
from pyfantasy._tools.bench.summaries import document_summary as document_summary
from pyfantasy._tools.bench.summaries import response_document_summary as response_document_summary
from pyfantasy._tools.bench.summaries import summarize as summarize
from pyfantasy._tools.bench.workload import DEFAULT_CHUNK as DEFAULT_CHUNK

__all__ = ["Body", "Workload", "Contender", "Result", "collect", "contenders", "run_bench", "format_table",
           "to_json", "samples_dir", "reference_events"]
