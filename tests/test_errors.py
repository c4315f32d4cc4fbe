"""The exception hierarchy: one module defines every exception class, all PyfantasyErrors;
API misuse is a UsageError, never a DecodeError of kind "usage"; located errors are new
objects, not rewritten ones."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pyfantasy
from pyfantasy import _errors
from pyfantasy.decode import StreamDecoder, decode_cassette

GOOD = b'data: {"choices":[{"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'

# optional-dependency modules that may not import on a minimal install
_OPTIONAL = {"pyfantasy.dask", "pyfantasy.pytest_plugin"}


def _modules():
    for info in pkgutil.walk_packages(pyfantasy.__path__, "pyfantasy."):
        if info.name == "pyfantasy._native_lib" or info.name == "pyfantasy.__main__":
            continue
        try:
            yield importlib.import_module(info.name)
        except ImportError:
            if info.name in _OPTIONAL or info.name.startswith("pyfantasy._kernels.native"):
                continue
            raise


def test_every_exception_class_is_defined_in_errors_and_is_a_pyfantasy_error():
    """Private classes (``_Stop``, ``_BadRequest``...) are control-flow signals caught in
    the module that raises them; every other exception or warning class lives in _errors."""
    elsewhere = []
    for mod in _modules():
        for name, obj in vars(mod).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == mod.__name__
                    and mod.__name__ != "pyfantasy._errors" and not name.startswith("_")):
                elsewhere.append(f"{mod.__name__}.{name}")
    assert not elsewhere
    classes = [obj for obj in vars(_errors).values()
               if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == "pyfantasy._errors"]
    assert len(classes) >= 12
    for cls in classes:
        assert issubclass(cls, (_errors.PyfantasyError, Warning)), cls


def test_old_import_paths_of_error_classes_still_work():
    from pyfantasy._go.duration import DurationError
    from pyfantasy._go.json import UnsupportedValueError
    from pyfantasy.replay import ReplayError
    from pyfantasy.report import ReportError
    assert all(issubclass(c, pyfantasy.PyfantasyError)
               for c in (DurationError, UnsupportedValueError, ReplayError, ReportError))
    assert issubclass(DurationError, ValueError)


@pytest.mark.parametrize("last", [False, True])
def test_stream_decoder_misuse_is_a_usage_error(backend, last):
    dec = StreamDecoder("openai-chat", backend=backend)
    if last:
        dec.feed(GOOD, last=True)
    else:
        dec.feed(GOOD)
        dec.close()
    with pytest.raises(pyfantasy.UsageError, match="StreamDecoder.feed"):
        dec.feed(b"data: [DONE]\n\n")
    assert not isinstance(pyfantasy.UsageError("x"), pyfantasy.DecodeError)


def test_sse_feed_after_close_is_both_an_sse_error_and_a_usage_error(backend):
    dec = pyfantasy.SSEDecoder(backend=backend)
    dec.close()
    with pytest.raises(pyfantasy.UsageError) as info:
        dec.feed(b"data: a\n\n")
    assert isinstance(info.value, pyfantasy.SSEError)


def test_decode_cassette_names_the_interaction_without_rewriting_the_error(tmp_path, backend):
    from pyfantasy.cassette import Cassette, Interaction, Request, Response
    good = Interaction(id=0, request=Request(url="https://api.openai.com/v1/chat/completions", method="POST",
                                             body='{"stream":true}'),
                       response=Response(body=GOOD.decode(),
                                         code=200, status="200 OK", headers={"Content-Type": ["text/event-stream"]}))
    bad = Interaction(id=1, request=Request(url="https://api.openai.com/v1/chat/completions", method="POST",
                                            body='{"stream":true}'),
                      response=Response(body='data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: {"x', code=200,
                                        status="200 OK", headers={"Content-Type": ["text/event-stream"]}))
    path = tmp_path / "c.yaml"
    Cassette(interactions=[good, bad]).save(str(path))
    [ok, got] = decode_cassette(str(path), backend, errors="collect")
    assert isinstance(ok, pyfantasy.Response) and isinstance(got, pyfantasy.DecodeError)
    assert got.path == f"{path}#1" and str(got).startswith(f"{path}#1: ")
    assert got.response is not None  # the partial response survives
    with pytest.raises(pyfantasy.DecodeError) as info:
        decode_cassette(str(path), backend)
    assert info.value.path == f"{path}#1" and info.value.kind == got.kind
