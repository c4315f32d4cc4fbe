"""Figures that look wrong but are what fantasy records (docs/semantics.md#gemini-streaming and the
OpenRouter reasoning rules): said where the user sees them (report footnotes, decode output). Kept
apart from the report's readers and charts, which ``pyfantasy decode`` does not need."""
from __future__ import annotations

FANTASY_NOTES = {
    "google-usage": "Gemini streams: output, reasoning and cache-read tokens are summed over every "
                    "chunk that reports usage, as fantasy sums them, so they can exceed the "
                    "provider's own total (docs/conformance.md)",
    "openrouter-reasoning": "OpenRouter reasoning in a format other than Anthropic's or Gemini's "
                            "(e.g. GLM, Kimi): its first reasoning_details fragment is dropped, as "
                            "fantasy drops it, so the reasoning text starts mid-sentence",
}
