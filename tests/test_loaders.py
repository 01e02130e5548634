import json
from pathlib import Path

import pytest

from assistant.ingest.dates import normalise_date
from assistant.ingest.loaders import discover, load_file

LIMIT = 1_000_000


def load(path: Path, limit: int = LIMIT):
    return load_file(path, path.name, limit)


def test_text_with_front_matter_keeps_exact_body(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(
        "---\ntitle: Talks in Rome\nsource: Axios\nurl: https://x.test/a\n"
        "authors: [Barak Ravid, Jane Roe]\npublish_date: May 27, 2025\n---\n"
        "First “quoted” line.\r\nSecond line.\n",
        encoding="utf-8",
    )
    (article,) = load(path).articles
    assert article.meta.title == "Talks in Rome"
    assert article.meta.source == "Axios"
    assert article.meta.author == "Barak Ravid, Jane Roe"
    assert article.meta.published == "2025-05-27"
    assert article.text == "First “quoted” line.\r\nSecond line."
    assert article.key == "https://x.test/a"


def test_plain_text_title_from_first_line(tmp_path: Path) -> None:
    path = tmp_path / "plain-story.txt"
    path.write_text("Headline here\nBody sentence one. Body sentence two.")
    (article,) = load(path).articles
    assert article.meta.title == "Headline here"
    assert article.meta.published is None
    assert article.key == "plain-story.txt"


def test_a_markdown_heading_is_the_title_without_its_marks(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("## Rail strike ends in Norland\n\nTrains ran again on Monday.")
    (article,) = load(path).articles
    assert article.meta.title == "Rail strike ends in Norland"
    assert article.text.startswith("## Rail strike")  # the text stays as written (spans)


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    body = "<p>" + "Officials met in Rome on Friday for the fifth round of talks. " * 8 + "</p>"
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Rome talks</title>"
        '<meta name="author" content="Jane Doe">'
        '<meta property="article:published_time" content="2024-01-05T10:00:00Z">'
        '<meta property="og:site_name" content="Daily News"></head>'
        f"<body><nav>Home | World</nav><article><h1>Rome talks</h1>{body}</article>"
        "<script>alert(1)</script></body></html>"
    )
    (article,) = load(path).articles
    assert article.meta.title == "Rome talks"
    assert article.meta.author == "Jane Doe"
    assert article.meta.source == "Daily News"
    assert article.meta.published == "2024-01-05"
    assert "fifth round of talks" in article.text
    assert "alert(1)" not in article.text


def test_json_and_jsonl_with_aliases(tmp_path: Path) -> None:
    records = [
        {"headline": "One", "body": "Text one.", "link": "https://x.test/1", "publisher": "AP",
         "authors": ["A"], "publish_date": "2024/01/05"},
        {"title": "Two", "content": "Text two.", "date": "2024-01-06T08:30:00+00:00"},
    ]  # fmt: skip
    as_json = tmp_path / "a.json"
    as_json.write_text(json.dumps({"articles": records}))
    as_jsonl = tmp_path / "b.jsonl"
    as_jsonl.write_text("\n".join(json.dumps(r) for r in records))
    for path in (as_json, as_jsonl):
        first, second = load(path).articles
        assert (first.meta.title, first.text, first.meta.source) == ("One", "Text one.", "AP")
        assert first.meta.published == "2024-01-05" and first.meta.author == "A"
        assert first.key == "https://x.test/1"
        assert second.meta.published == "2024-01-06T08:30:00+00:00"
    assert load(as_jsonl).articles[1].key == "b.jsonl#2"


def test_bad_jsonl_lines_are_reported_with_line_and_the_rest_loads(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(
        '{"title": "ok", "text": "Fine."}\n'
        "{not json\n"
        '{"title": "no text"}\n'
        '["a list"]\n'
        '{"title": "bad date", "text": "x", "published": "the day after tomorrow-ish"}\n'
        '{"title": "ok too", "text": "Also fine."}\n'
    )
    result = load(path)
    assert [a.meta.title for a in result.articles] == ["ok", "ok too"]
    assert [p.line for p in result.problems] == [2, 3, 4, 5]
    assert "bad JSON" in str(result.problems[0]) and "feed.jsonl:2" in str(result.problems[0])
    assert result.failed_files == {"feed.jsonl"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"   \n", "empty"),
        ("binary.txt", b"abc\x00\x01\x02", "binary"),
        ("latin1.txt", "line one\ncaf\u00e9".encode("latin-1"), "not valid UTF-8"),
        ("broken.json", b'{"title": "x", ', "bad JSON"),
        ("nofront.md", b"---\ntitle: x\nno closing fence", "never closed"),
        ("badyaml.md", b"---\ntitle: [unclosed\n---\nbody", "not valid YAML"),
        ("notext.json", b'{"title": "x"}', "no 'text'"),
    ],
)
def test_bad_files_are_reported_not_raised(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = load(path)
    assert result.articles == []
    assert len(result.problems) == 1
    assert message in str(result.problems[0])
    assert str(result.problems[0]).startswith(name)


def test_undecodable_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("line one\nline two\ncaf\u00e9".encode("latin-1"))
    (problem,) = load(path).problems
    assert problem.line == 3


def test_oversized_file_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    (problem,) = load(path, limit=100).problems
    assert "over the" in str(problem) and "max_file_mb" in str(problem)


def test_discover_skips_hidden_and_reports_unsupported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    files, problems = discover([tmp_path, tmp_path / "notes.pdf", tmp_path / "missing.txt"])
    assert files == [tmp_path / "a.txt"]
    assert ["unsupported file type" in str(p) or "no such file" in str(p) for p in problems] == [
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-27", "2025-05-27"),
        ("May 27, 2025", "2025-05-27"),
        ("2024/01/05", "2024-01-05"),
        ("2024-01-06T08:30:00Z", "2024-01-06T08:30:00+00:00"),
        ("", None),
        (None, None),
    ],
)
def test_dates_normalised_to_iso(value: str | None, expected: str | None) -> None:
    assert normalise_date(value) == expected


def test_unreadable_date_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot read"):
        normalise_date("sometime soon")
