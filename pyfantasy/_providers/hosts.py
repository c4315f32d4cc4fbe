"""What a request's host says: the one host table.

Each entry is a domain and what it tells:

* ``provider``: the short provider name the scan reports (``scan.provider_for_host``),
  for the domain and every host under it;
* ``variant``/``sub_variant``: the chat-completions hook set fantasy uses
  (docs/semantics.md#recognising-the-wire-format) for the domain itself / for hosts under it
  ("" = none; a host no entry gives a variant for is ``compat``).

Matching: a host matches a domain when it equals it or ends with ``"." +
domain``; a domain starting with ``-`` matches as a plain suffix
(``us-central1-aiplatform.googleapis.com``); an entry with a ``prefix`` only
matches hosts starting with it (``amazonaws.com`` is Bedrock only for
``bedrock*`` hosts). Entries are tried in order; the first match names the
provider. The wire format itself is told by the URL path
(:mod:`pyfantasy._providers.formats`), which for Bedrock also needs the
:data:`BEDROCK_RUNTIME_PREFIX` host.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple, Tuple
from urllib.parse import urlsplit

__all__ = ["Host", "HOSTS", "BEDROCK_RUNTIME_PREFIX", "provider_for_host", "variant_for_host"]


class Host(NamedTuple):
    domain: str
    provider: str
    variant: str = ""
    sub_variant: str = ""
    prefix: str = ""


HOSTS: Tuple[Host, ...] = (
    Host("openrouter.ai", "openrouter", "openrouter", "openrouter"),
    Host("ai-gateway.vercel.sh", "vercel", "vercel"), Host("vercel.sh", "vercel"),
    Host("api.x.ai", "xai"), Host("x.ai", "xai"), Host("api.groq.com", "groq"), Host("groq.com", "groq"),
    Host("api.z.ai", "zai"), Host("z.ai", "zai"), Host("bigmodel.cn", "zai"),
    Host("huggingface.co", "huggingface"), Host("api.avian.io", "avian"), Host("avian.io", "avian"),
    Host("api.deepseek.com", "deepseek"), Host("api.mistral.ai", "mistral"),
    Host("api.together.xyz", "together"), Host("api.fireworks.ai", "fireworks"),
    Host("api.cerebras.ai", "cerebras"),
    Host("openai.azure.com", "azure", "", "openai"), Host("cognitiveservices.azure.com", "azure", "", "openai"),
    Host("services.ai.azure.com", "azure", "", "openai"),
    Host("api.openai.com", "openai", "openai"), Host("openai.com", "openai"),
    Host("api.anthropic.com", "anthropic"), Host("anthropic.com", "anthropic"),
    Host("aiplatform.googleapis.com", "vertex"), Host("-aiplatform.googleapis.com", "vertex"),
    Host("generativelanguage.googleapis.com", "google"),
    Host("amazonaws.com", "bedrock", prefix="bedrock"),
)

BEDROCK_RUNTIME_PREFIX = "bedrock-runtime."  # with a /model/ path: the Bedrock wire format

_LOCAL = ("localhost", "127.0.0.1", "::1")


def _under(host: str, domain: str) -> bool:
    return host.endswith(domain if domain[0] == "-" else "." + domain)


@lru_cache(maxsize=4096)
def url_parts(url: str) -> Tuple[str, str, str]:
    """(netloc, lowercased host, path) of a URL, as ``urlsplit`` gives them (logs repeat a few
    endpoints: remembered). Raises ValueError where ``urlsplit`` or its ``hostname`` does."""
    parts = urlsplit(url)
    return parts.netloc, (parts.hostname or "").lower(), parts.path


def provider_for_host(url: str) -> str:
    """The provider a request went to, from its URL's host ("" when there is no host).

    Known hosts give short names (openai, azure, openrouter, vercel, xai,
    groq, zai, huggingface, avian, anthropic, vertex, bedrock, google, ...);
    localhost gives ``local``; any other host is returned as is.
    """
    try:
        host = url_parts(url or "")[1]
    except ValueError:
        return ""
    return _provider(host)


@lru_cache(maxsize=1024)
def _provider(host: str) -> str:
    """``provider_for_host`` of a lowercased host (logs hold a handful of hosts: remembered)."""
    if not host:
        return ""
    for h in HOSTS:
        if (host == h.domain or _under(host, h.domain)) and host.startswith(h.prefix):
            return h.provider
    if host in _LOCAL or host.endswith(".localhost"):
        return "local"
    return host


@lru_cache(maxsize=1024)
def variant_for_host(host: str) -> str:
    """Which hook set a host (``host[:port]``) uses (docs/semantics.md#recognising-the-wire-format): plain OpenAI/Azure,
    OpenRouter, Vercel, else compat. Remembered per host."""
    host = host.lower().split(":")[0]
    for h in HOSTS:
        if h.variant and host == h.domain:
            return h.variant
        if h.sub_variant and _under(host, h.domain):
            return h.sub_variant
    return "compat"
