"""The command line as a user meets it: help, JSON shapes, and clear errors."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main


@pytest.fixture
def corpus_env(seed_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    corpus = seed_env
    (corpus / "other.jsonl").write_text(
        json.dumps({"title": "Harbour reopens", "text": "The harbour reopened on Monday after repairs.",
                    "url": "https://news.test/harbour", "source": "Coast Times", "publish_date": "2024-02-03"})
        + "\n"
    )  # fmt: skip
    return corpus


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "command", ["ingest", "search", "articles", "show", "config", "ask", "chat", "serve", "doctor"]
)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    assert "usage: python -m assistant " + command in capsys.readouterr().out


@pytest.mark.slow
def test_python_dash_m_assistant_runs_the_command_line() -> None:
    """The same help through ``python -m assistant``, in a process of its own."""
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "usage: python -m assistant ingest" in result.stdout


def test_search_show_and_articles_json(
    corpus_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "ingest", "--quiet")[0] == 0
    code, out, _ = run(
        capsys, "search", "Where did Steve Witkoff meet the Iranian foreign minister?", "--json"
    )
    assert code == 0
    hits = json.loads(out)
    assert "Araghchi in Rome" in hits[0]["text"]
    for hit in hits:
        assert {
            "article_id",
            "title",
            "source",
            "published",
            "start",
            "end",
            "text",
            "score",
        } <= hit.keys()
        code, shown, _ = run(capsys, "show", hit["article_id"], "--json")
        article = json.loads(shown)
        assert {"id", "title", "source", "published", "url", "text"} <= article.keys()
        assert article["text"][hit["start"] : hit["end"]] == hit["text"]

    code, out, _ = run(capsys, "articles", "--json")
    listed = json.loads(out)
    assert {a["title"] for a in listed} == {
        "Harbour reopens",
        "Trump warns Netanyahu not to derail US-Iran nuclear talks",
    }
    harbour = next(a for a in listed if a["source"] == "Coast Times")
    assert harbour == harbour | {"published": "2024-02-03", "url": "https://news.test/harbour"}
    assert {"id", "title", "source", "published", "url"} <= harbour.keys()

    code, out, _ = run(
        capsys, "search", "harbour", "--source", "coast times", "--since", "2024-01-01", "--json"
    )
    assert [h["title"] for h in json.loads(out)] == ["Harbour reopens"]


def test_plain_output(corpus_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", "--quiet")
    code, out, _ = run(capsys, "search", "harbour repairs", "-k", "1")
    assert code == 0 and "1. Harbour reopens — Coast Times, 2024-02-03" in out
    code, out, _ = run(capsys, "articles")
    assert "2 article(s)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "   "), "query is empty"),
        (("search", "x", "-k", "0"), "-k must be at least 1"),
        (("search", "x", "--since", "not a date"), "--since/--until"),
        (("search", "x", "--since", "not a date"), "use a date such as 2025-05-27, May 2025"),
        (("search", "x", "--since", "2026-01-01", "--until", "2020-01-01"), "is after 2020-01-01"),
        (("show", "nope"), "no article 'nope'"),
        (("ingest", "does/not/exist"), "does not exist"),
    ],
)
def test_bad_input_gives_a_message_not_a_traceback(
    corpus_env: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    run(capsys, "ingest", "--quiet")
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_before_any_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(tmp_path / "no-corpus"))
    code, _, err = run(capsys, "search", "anything")
    assert code == 2 and "run `python -m assistant ingest` first" in err
    code, _, err = run(capsys, "articles")
    assert code == 2 and "ingest` first" in err
    code, _, err = run(capsys, "ingest")
    assert code == 2 and "ASSISTANT_CORPUS_DIR" in err


def test_ingest_reports_bad_files_and_goes_on(
    corpus_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus_env / "bad.jsonl").write_text('{"title": "fine", "text": "A fine line."}\n{oops\n')
    code, out, err = run(capsys, "ingest", "--quiet")
    assert code == 0
    assert "skipped corpus/bad.jsonl:2: bad JSON" in err
    assert "3 added" in out and "1 problem(s)" in out


def test_ingest_fails_when_no_file_could_be_read(
    corpus_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus_env / "empty.txt").write_text("")
    (corpus_env / "binary.txt").write_bytes(b"\x00\x01 data")
    code, out, err = run(capsys, "ingest", "--quiet", str(corpus_env / "empty.txt"),
                         str(corpus_env / "binary.txt"))  # fmt: skip
    assert code == 1 and "2 problem(s)" in out and "no article could be read" in err


def test_config_masks_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-do-not-print")
    code, out, _ = run(capsys, "config")
    assert code == 0 and "sk-do-not-print" not in out
    assert json.loads(out)["embedding"]["provider"] == "onnx"


def test_ask_and_chat(
    corpus_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "ingest", "--quiet")
    code, out, _ = run(
        capsys,
        "ask",
        "Where did Steve Witkoff meet the Iranian foreign minister?",
        "--provider",
        "extractive",
    )
    assert code == 0
    short, first, *rest = out.splitlines()
    assert short == "Answer: Rome"  # the short answer (bold on a terminal)
    assert "Araghchi in Rome" in first and first.endswith("[1]")
    assert rest[0].startswith("  [1] unknown outlet · Trump warns Netanyahu")
    assert "“White House envoy Steve Witkoff met on Friday" in rest[1]

    code, out, _ = run(
        capsys, "ask", "Where did Witkoff meet Araghchi?", "--provider", "extractive", "--json"
    )
    answer = json.loads(out)
    assert set(answer) >= {"text", "sentences", "citations", "abstained", "question", "provider"}
    assert {"article_id", "title", "source", "published", "url", "start", "end", "quote"} <= set(
        answer["citations"][0]
    )
    assert {"text", "citations", "supported"} <= set(answer["sentences"][0])

    script = "Who did Steve Witkoff meet on Friday?\n/sources\nWhere was that meeting held?\n\x07bad\n/bogus\n/quit\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    code, out, _ = run(capsys, "chat", "--provider", "extractive")
    assert code == 0
    replies = [line for line in out.splitlines() if line.startswith("> ")]
    assert "Araghchi" in replies[0] and "[1] unknown outlet" in replies[1]
    assert replies[2] == "> Answer: Rome" and "in Rome" in out.split(replies[2])[1]
    assert "control characters" in out
    assert "unknown command /bogus" in out  # not asked as a question


def test_show_and_articles_print_control_characters_as_escapes(
    corpus_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus_env / "evil.jsonl").write_text(
        json.dumps({"title": "Evil \x1b]0;pwned\x07 title", "text": "A \x1b[2J body that clears.",
                    "url": "https://news.test/evil", "source": "Coast Times"}) + "\n"
    )  # fmt: skip
    assert run(capsys, "ingest", "--quiet")[0] == 0
    code, out, _ = run(capsys, "articles")
    assert code == 0 and "\x1b" not in out and "Evil \\x1b]0;pwned\\x07 title" in out
    article_id = next(line.split()[0] for line in out.splitlines() if "Evil" in line)
    code, out, _ = run(capsys, "show", article_id)
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    assert "Evil \\x1b]0;pwned\\x07 title" in out
