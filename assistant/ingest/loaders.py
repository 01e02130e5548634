"""Read article files (.txt/.md with front matter, .html, .json/.jsonl) into ``LoadedArticle``s.

Every problem is reported with its file (and line) and skipped, so one bad file never stops
an ingest. The text kept is exactly what later offsets refer to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import InputFileError
from assistant.ingest.dates import normalise_date
from assistant.types import ArticleMeta, LoadedArticle

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES

# Field names seen in the wild, in order of preference.
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name"),
    "text": ("text", "body", "content", "article", "maintext", "full_text"),
    "url": ("url", "link", "href", "source_url"),
    "source": ("source", "outlet", "publisher", "site", "sitename", "site_name", "domain"),
    "author": ("author", "authors", "byline", "creator"),
    "published": (
        "published",
        "publish_date",
        "published_at",
        "publishedAt",
        "pubDate",
        "date",
        "datePublished",
        "published_date",
    ),
}


@dataclass
class LoadResult:
    """Articles read from some files, and what could not be read."""

    articles: list[LoadedArticle] = field(default_factory=list)
    problems: list[InputFileError] = field(default_factory=list)
    failed_files: set[str] = field(default_factory=set)

    def extend(self, other: LoadResult) -> None:
        self.articles.extend(other.articles)
        self.problems.extend(other.problems)
        self.failed_files |= other.failed_files


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[InputFileError]]:
    """The supported files under ``paths`` (sorted), and problems with paths given explicitly."""
    files: list[Path] = []
    problems: list[InputFileError] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(path)
            else:
                problems.append(InputFileError(str(path), _unsupported(path)))
        else:
            problems.append(InputFileError(str(path), "no such file or directory"))
    return files, problems


def load_file(path: Path, origin: str, max_bytes: int) -> LoadResult:
    """Read one file; problems are collected in the result, never raised."""
    result = LoadResult()
    try:
        for article in _load(path, origin, max_bytes, result):
            result.articles.append(article)
    except InputFileError as exc:
        result.problems.append(exc)
        result.failed_files.add(origin)
    if any(p.path == origin for p in result.problems):
        result.failed_files.add(origin)
    return result


def _unsupported(path: Path) -> str:
    kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
    return f"unsupported file type {path.suffix or '(none)'!r}; use one of {kinds}"


def _load(path: Path, origin: str, max_bytes: int, result: LoadResult) -> Iterator[LoadedArticle]:
    suffix = path.suffix.lower()
    raw = _read_bytes(path, origin, max_bytes)
    if suffix in HTML_SUFFIXES:
        yield _from_html(raw, origin)
        return
    text = _decode(raw, origin)
    if suffix in TEXT_SUFFIXES:
        yield _from_text(text, origin, path.stem)
    elif suffix == ".jsonl":
        yield from _from_jsonl(text, origin, result)
    elif suffix == ".json":
        yield from _from_json(text, origin, result)
    else:
        raise InputFileError(origin, _unsupported(path))


def _read_bytes(path: Path, origin: str, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise InputFileError(
            origin,
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit "
            "(raise ingest.max_file_mb to accept it)",
        )
    raw = path.read_bytes()
    if not raw.strip():
        raise InputFileError(origin, "file is empty")
    if b"\x00" in raw[:8192]:
        raise InputFileError(origin, "binary file (contains NUL bytes); expected text")
    return raw


def _decode(raw: bytes, origin: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError(
            origin, f"not valid UTF-8 at byte {exc.start}; re-save the file as UTF-8", line
        ) from exc


def _meta(
    fields: dict[str, Any], origin: str, fallback_title: str, line: int | None = None
) -> ArticleMeta:
    def pick(name: str) -> Any:
        for alias in ALIASES[name]:
            value = fields.get(alias)
            if value not in (None, "", []):
                return value
        return None

    author = pick("author")
    if isinstance(author, list):
        author = ", ".join(str(a) for a in author if a)
    try:
        published = normalise_date(pick("published"))
    except ValueError as exc:
        raise InputFileError(origin, f"{exc}; use ISO 8601 such as 2025-05-27", line) from exc
    source = pick("source")
    return ArticleMeta(
        title=str(pick("title") or fallback_title).strip(),
        source=str(source).strip() if source else None,
        url=str(pick("url")).strip() if pick("url") else None,
        author=str(author).strip() if author else None,
        published=published,
    )


def _article(meta: ArticleMeta, text: str, origin: str, suffix: str = "") -> LoadedArticle:
    body = text.strip()
    if not body:
        raise InputFileError(origin, "article has no text")
    key = meta.url or origin + suffix
    return LoadedArticle(key=key, origin=origin, meta=meta, text=body)


def _from_text(text: str, origin: str, stem: str) -> LoadedArticle:
    fields: dict[str, Any] = {}
    body = text
    if text.startswith("---"):
        head, sep, rest = text[3:].partition("\n---")
        if not sep:
            raise InputFileError(origin, "front matter opened with '---' but never closed", 1)
        try:
            loaded = yaml.safe_load(head) or {}
        except yaml.YAMLError as exc:
            raise InputFileError(origin, f"front matter is not valid YAML: {exc}", 1) from exc
        if not isinstance(loaded, dict):
            raise InputFileError(origin, "front matter must be 'key: value' lines", 1)
        fields = loaded
        body = rest.split("\n", 1)[1] if "\n" in rest else ""
    first_line = body.strip().split("\n", 1)[0].strip()
    fallback = (
        first_line if 0 < len(first_line) <= 120 else stem.replace("-", " ").replace("_", " ")
    )
    return _article(_meta(fields, origin, fallback), body, origin)


def _from_html(raw: bytes, origin: str) -> LoadedArticle:
    import trafilatura  # lazy: pulls lxml and friends

    doc = trafilatura.bare_extraction(raw, with_metadata=True)
    if doc is None or not getattr(doc, "text", None):
        raise InputFileError(origin, "no article text found in the HTML")
    data = doc if isinstance(doc, dict) else doc.as_dict()
    fields = {
        "title": data.get("title"),
        "url": data.get("url"),
        "source": data.get("sitename") or data.get("hostname"),
        "author": data.get("author"),
        "published": data.get("date"),
    }
    return _article(_meta(fields, origin, Path(origin).stem), str(data["text"]), origin)


def _record(obj: Any, origin: str, index: int, line: int | None) -> LoadedArticle:
    if not isinstance(obj, dict):
        raise InputFileError(origin, "expected a JSON object with 'title' and 'text'", line)
    text = next((obj[a] for a in ALIASES["text"] if isinstance(obj.get(a), str) and obj[a]), None)
    if text is None:
        raise InputFileError(origin, "record has no 'text' (or body/content) field", line)
    meta = _meta(obj, origin, f"{Path(origin).stem} #{index}", line)
    return _article(meta, text, origin, f"#{index}")


def _from_jsonl(text: str, origin: str, result: LoadResult) -> Iterator[LoadedArticle]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield _record(json.loads(line), origin, number, number)
        except json.JSONDecodeError as exc:
            result.problems.append(InputFileError(origin, f"bad JSON: {exc.msg}", number))
        except InputFileError as exc:
            result.problems.append(exc)


def _from_json(text: str, origin: str, result: LoadResult) -> Iterator[LoadedArticle]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(origin, f"bad JSON: {exc.msg}", exc.lineno) from exc
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    records = data if isinstance(data, list) else [data]
    for index, obj in enumerate(records):
        try:
            yield _record(obj, origin, index, None)
        except InputFileError as exc:
            result.problems.append(exc)
