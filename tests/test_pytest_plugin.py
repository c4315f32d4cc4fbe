"""The pytest plugin (``pyfantasy.pytest_plugin``), run inside throwaway pytest sessions.

Recording goes through a ``cassette_real_transport`` override (an
``httpx.MockTransport`` that counts its calls in a file), so no network is
used; replay is checked to make no real call at all.
"""
from __future__ import annotations

import json
import os
import textwrap
from importlib.metadata import distributions

import pytest

from helpers import CORPUS, needs_corpus
from pyfantasy.cassette import load

pytest_plugins = ["pytester"]


def _registered() -> bool:
    """Whether pytest autoloads the plugin: every distribution is scanned, as pluggy does
    (a stale ``*.egg-info`` in the source tree can hide the installed metadata from
    ``importlib.metadata.entry_points``, never from pytest)."""
    return any(ep.group == "pytest11" and ep.value == "pyfantasy.pytest_plugin"
               for dist in distributions() for ep in dist.entry_points)


def plugin_args():
    """Load the plugin explicitly unless its entry point is installed (and autoloading is on)."""
    if _registered() and not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return []
    return ["-p", "pyfantasy.pytest_plugin"]


CONFTEST = '''
import pathlib
import httpx, pytest

@pytest.fixture
def cassette_real_transport():
    log = pathlib.Path(__file__).parent / "real_calls.txt"
    def handler(request):
        with open(log, "a") as f:
            f.write(request.content.decode() + "\\n")
        return httpx.Response(200, headers={"Content-Type": "application/json"},
                              json={"echo": request.content.decode()})
    return httpx.MockTransport(handler)
'''

TEST_CHAT = '''
def test_chat(cassette):
    r = cassette.client.post("https://api.example.test/v1/x", content=b'{"q":%d}',
                             headers={"Content-Type": "application/json"})
    assert r.json() == {"echo": '{"q":%d}'}
'''


def real_calls(pytester) -> list:
    log = pytester.path / "real_calls.txt"
    if not log.exists():
        return []
    return log.read_text().splitlines()


@pytest.fixture
def project(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_chat=TEST_CHAT % (1, 1))
    return pytester


# inner sessions do without the heavy plugins of this project's environment
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")


def run(pytester, *args):
    return pytester.runpytest(*plugin_args(), *QUIET, *args)


def test_record_once_then_replay_without_network(project):
    result = run(project, "--cassette-record-mode=once")
    result.assert_outcomes(passed=1)
    path = project.path / "cassettes" / "test_chat.yaml"
    data = path.read_bytes()
    assert load(path).dumps() == data  # the Go recorder's bytes
    it = load(path).interactions[0]
    assert (it.request.body, it.response.body) == ('{"q":1}', json.dumps({"echo": '{"q":1}'}, separators=(",", ":")))
    assert real_calls(project) == ['{"q":1}']
    run(project).assert_outcomes(passed=1)  # default: none: replay only
    run(project, "--cassette-record-mode=once").assert_outcomes(passed=1)  # exists: replayed
    assert real_calls(project) == ['{"q":1}']
    assert path.read_bytes() == data


def test_a_changed_request_fails_with_the_diff(project):
    run(project, "--cassette-record-mode=once").assert_outcomes(passed=1)
    project.makepyfile(test_chat=TEST_CHAT % (2, 2))
    result = run(project)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "ReplayError" in out and "no interaction matches" in out
    assert '-  "q": 1' in out and '+  "q": 2' in out


def test_missing_cassette_in_replay_mode_fails_clearly(project):
    result = run(project)
    result.assert_outcomes(failed=1)
    assert "CassetteError" in result.stdout.str() and "test_chat.yaml" in result.stdout.str()


def test_record_all_rewrites_and_passthrough_writes_nothing(project):
    run(project, "--cassette-record-mode=once").assert_outcomes(passed=1)
    run(project, "--cassette-record-mode=all").assert_outcomes(passed=1)
    assert len(real_calls(project)) == 2
    path = project.path / "cassettes" / "test_chat.yaml"
    path.unlink()
    run(project, "--cassette-record-mode=passthrough").assert_outcomes(passed=1)
    assert len(real_calls(project)) == 3 and not path.exists()


def test_cassette_layout_like_go(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_layout='''
        import pytest

        def call(cassette, n):
            assert cassette.client.post("https://x.test/", content=str(n).encode()).status_code == 200

        @pytest.mark.parametrize("n", [1, 2], ids=["one", "two words"])
        def test_param(cassette, n):
            call(cassette, n)

        class TestGroup:
            def test_member(self, cassette):
                call(cassette, 3)

        @pytest.mark.cassette("shared/named")
        def test_named(cassette):
            call(cassette, 4)
            assert cassette.path.endswith("shared/named.yaml")
    ''')
    run(pytester, "--cassette-record-mode=once").assert_outcomes(passed=4)
    found = sorted(str(p.relative_to(pytester.path)) for p in pytester.path.rglob("*.yaml"))
    assert found == ["cassettes/TestGroup/test_member.yaml", "cassettes/shared/named.yaml",
                     "cassettes/test_param/one.yaml", "cassettes/test_param/two_words.yaml"]


def test_marker_options_and_assert_all_played(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_opts='''
        import pytest

        @pytest.mark.cassette("rec")
        def test_record(cassette):
            for n in (1, 2):
                cassette.client.post("https://x.test/", content=str(n).encode())

        @pytest.mark.cassette("rec", mode="replay-only", allow_playback_repeats=True)
        def test_repeats(cassette):
            for _ in range(3):
                assert cassette.client.post("https://x.test/", content=b"1").status_code == 200

        @pytest.mark.cassette("rec", mode="replay-only", assert_all_played=True)
        def test_not_all_played(cassette):
            cassette.client.post("https://x.test/", content=b"1")
    ''')
    result = run(pytester, "--cassette-record-mode=once")
    result.assert_outcomes(passed=3, errors=1)  # the last one fails at teardown
    assert "interactions not replayed: 1" in result.stdout.str()


def test_async_client(pytester):
    pytester.makeconftest(CONFTEST.replace("return httpx.MockTransport(handler)",
                                           "return (httpx.MockTransport(handler), httpx.MockTransport(handler))"))
    pytester.makepyfile(test_async='''
        import asyncio

        def test_async(cassette):
            async def main():
                async with cassette.async_client as c:
                    return (await c.post("https://x.test/a", content=b"7")).json()
            assert asyncio.run(main()) == {"echo": "7"}
    ''')
    run(pytester, "--cassette-record-mode=once").assert_outcomes(passed=1)
    run(pytester).assert_outcomes(passed=1)
    assert len(load(pytester.path / "cassettes" / "test_async.yaml").interactions) == 1


@needs_corpus
def test_openai_sdk_through_the_fixture_on_a_corpus_cassette(pytester):
    pytest.importorskip("openai")
    rel = CORPUS / "fantasy/TestOpenAICommon/openai-gpt-4o-mini/multi_tool.yaml"
    pytester.makepyfile(test_sdk=f'''
        import json
        import openai
        import pytest
        from pyfantasy.cassette import load

        @pytest.mark.cassette({str(rel)!r}, assert_all_played=True)
        def test_sdk(cassette):
            client = openai.OpenAI(api_key="x", max_retries=0, http_client=cassette.client)
            answers = []
            for it in load(cassette.path).interactions:
                body = json.loads(it.request.body)
                answers.append(client.chat.completions.create(**body).choices[0].message)
            assert [tc.function.name for tc in answers[0].tool_calls] == ["add", "multiply"]
            assert "5" in answers[-1].content and "6" in answers[-1].content
    ''')
    run(pytester).assert_outcomes(passed=1)


def test_marker_is_registered_and_options_documented(pytester):
    result = run(pytester, "--markers")
    assert "@pytest.mark.cassette(name=None, **options)" in result.stdout.str()
    help_text = run(pytester, "--help").stdout.str()
    assert "--cassette-record-mode" in help_text and "--cassette-dir" in help_text
    assert "--record-mode" in help_text   # pyfantasy's, or pytest-recording's when installed
    pytester.makepyfile(test_strict='''
        import pytest

        @pytest.mark.cassette("x")
        def test_x():
            pass
    ''')
    run(pytester, "--strict-markers").assert_outcomes(passed=1)


def test_unknown_marker_option_is_a_usage_error(pytester):
    pytester.makepyfile(test_bad='''
        import pytest

        @pytest.mark.cassette("x", colour="blue")
        def test_x(cassette):
            pass
    ''')
    result = run(pytester)
    result.assert_outcomes(errors=1)
    assert "unknown option(s) ['colour']" in result.stdout.str()


def test_entry_point_is_installed():
    if not _registered():
        pytest.skip("pyfantasy's pytest11 entry point is not installed (reinstall the package)")
    assert plugin_args() == [] or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")


def test_record_mode_table_is_documented():
    import pyfantasy.pytest_plugin as plugin
    doc = textwrap.dedent(plugin.__doc__)
    for option, mode in [("none (default)", "replay-only"), ("once", "record-once"),
                         ("new_episodes", "replay-with-new-episodes"), ("all, rewrite", "record-only"),
                         ("passthrough", "passthrough")]:
        assert any(line.startswith(option) and mode in line for line in doc.splitlines()), option


def test_plugin_mode_names_match_the_transport():
    import pyfantasy.pytest_plugin as plugin
    from pyfantasy.replay import MODE_ALIASES, MODES
    assert plugin.TRANSPORT_MODES == MODES
    assert all(m in MODE_ALIASES for m in plugin.RECORD_MODES if m != "passthrough")


def test_choices_are_listed_once():
    import pyfantasy.pytest_plugin as plugin
    assert len(plugin._CHOICES) == len(set(plugin._CHOICES)) and plugin._CHOICES.count("passthrough") == 1


def test_record_mode_works_with_or_without_pytest_recording(project):
    """``--record-mode`` is pyfantasy's own, or pytest-recording's (then shared): either way it
    drives the cassette fixture."""
    run(project, "--record-mode=once").assert_outcomes(passed=1)
    assert real_calls(project) == ['{"q":1}']
    run(project, "--record-mode=none").assert_outcomes(passed=1)
    assert real_calls(project) == ['{"q":1}']


def test_coexists_with_pytest_recording_and_vcrpy(project):
    """With pytest-recording (and vcrpy) installed and autoloaded, a session loads both plugins:
    no clash over ``--record-mode`` (it was "option dest 'record_mode' already used", exit 3
    for every test); vcr-marked tests and cassette tests run side by side."""
    pytest.importorskip("vcr")
    pytest.importorskip("pytest_recording")
    args = [] if not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") else ["-p", "pytest_recording.plugin"]
    project.makepyfile(test_vcr='''
        import pytest

        @pytest.mark.vcr
        def test_vcr(vcr, record_mode):
            assert vcr is not None and record_mode == "once"
    ''')
    result = run(project, *args, "--record-mode=once")
    result.assert_outcomes(passed=2)
    assert real_calls(project) == ['{"q":1}']
    plugins = project.runpytest(*plugin_args(), *args, *QUIET, "--co", "-q", "--trace-config").stdout.str()
    assert "pytest_recording" in plugins and "pyfantasy" in plugins
    # pyfantasy's own option leaves pytest-recording in its default mode
    project.makepyfile(test_vcr='''
        def test_vcr(record_mode):
            assert record_mode == "none"
    ''')
    run(project, *args, "--cassette-record-mode=all").assert_outcomes(passed=2)
    assert real_calls(project) == ['{"q":1}', '{"q":1}']


def test_anthropic_sdk_over_httpx2_through_the_fixture(pytester):
    """The anthropic SDK takes httpx2 clients: one over the fixture's transport replays."""
    pytest.importorskip("anthropic")
    pytest.importorskip("httpx2")
    samples = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pyfantasy", "samples")
    pytester.makepyfile(test_sdk='''
        import json
        import anthropic, httpx2, pytest
        from pyfantasy.cassette import load

        @pytest.mark.cassette("anthropic_thinking_streaming", assert_all_played=True)
        def test_sdk(cassette):
            client = anthropic.Anthropic(api_key="x", max_retries=0,
                                         http_client=httpx2.Client(transport=cassette.transport))
            body = json.loads(load(cassette.path).interactions[0].request.body)
            body.pop("stream")
            with client.messages.stream(**body) as stream:
                assert "Florence" in stream.get_final_message().content[-1].text
    ''')
    run(pytester, "--cassette-dir", samples).assert_outcomes(passed=1)
