"""Read article files (.txt/.md with front matter, .html, .json/.jsonl) into ``LoadedArticle``s.

Loading is total: every failure while reading one file (bad YAML or JSON, dates, encodings,
nesting, sizes, YAML aliases) becomes an ``InputFileError`` for that file, so one hostile file
never stops an ingest. The text kept is exactly what later offsets refer to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.config import MIB, IngestSettings
from assistant.errors import InputFileError
from assistant.ingest.fields import ALIASES, Reading, brief, front_matter, new_article, read_meta
from assistant.types import LoadedArticle

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES


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


# What a parser may raise on hostile input (beyond its own error types): Python's limits on
# nesting and integer digits, out-of-range dates, unreadable files. Caught per file.
_PARSE_FAILURES = (
    ValueError,
    TypeError,
    LookupError,
    ArithmeticError,
    RecursionError,
    OSError,
    yaml.YAMLError,
)


def load_file(
    path: Path,
    origin: str,
    max_bytes: int,
    limits: IngestSettings | None = None,
    key_by_url: bool = True,
) -> LoadResult:
    """Read one file; problems are collected in the result, never raised.

    ``key_by_url=False`` keys articles by file and record whatever url they carry: uploads use
    it, so an uploaded file can never take over the identity of an article read elsewhere."""
    result = LoadResult()
    reading = Reading(origin, limits or IngestSettings(), key_by_url)
    try:
        for article in _load(path, reading, max_bytes, result):
            result.articles.append(article)
    except InputFileError as exc:
        result.problems.append(exc)
        result.failed_files.add(origin)
    except RecursionError:
        result.problems.append(InputFileError(origin, "nested too deeply to read; flatten it"))
        result.failed_files.add(origin)
    except _PARSE_FAILURES as exc:
        result.problems.append(InputFileError(origin, f"cannot read this file: {brief(exc)}"))
        result.failed_files.add(origin)
    if any(p.path == origin for p in result.problems):
        result.failed_files.add(origin)
    return result


def _unsupported(path: Path) -> str:
    kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
    return f"unsupported file type {path.suffix or '(none)'!r}; use one of {kinds}"


def _load(
    path: Path, reading: Reading, max_bytes: int, result: LoadResult
) -> Iterator[LoadedArticle]:
    suffix, origin = path.suffix.lower(), reading.origin
    raw = _read_bytes(path, origin, max_bytes)
    if suffix in HTML_SUFFIXES:
        yield _from_html(raw, reading)
        return
    text = _decode(raw, origin)
    if suffix in TEXT_SUFFIXES:
        yield _from_text(text, reading, path.stem)
    elif suffix == ".jsonl":
        yield from _from_jsonl(text, reading, result)
    elif suffix == ".json":
        yield from _from_json(text, reading, result)
    else:
        raise InputFileError(origin, _unsupported(path))


def _read_bytes(path: Path, origin: str, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputFileError(
                origin,
                f"file is {size / MIB:.1f} MB, over the {max_bytes / MIB:.1f} MB limit "
                "(raise ingest.max_file_mb to accept it)",
            )
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise InputFileError(origin, f"cannot read the file: {exc.strerror or exc}") from exc
    if len(raw) > max_bytes:
        raise InputFileError(origin, "file grew past the ingest.max_file_mb limit while read")
    if not raw.strip():
        raise InputFileError(origin, "file is empty")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16's byte order marks
        raise InputFileError(origin, "the file is UTF-16 text; re-save the file as UTF-8")
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


def _from_text(text: str, reading: Reading, stem: str) -> LoadedArticle:
    fields: dict[Any, Any] = {}
    body = text
    if text.startswith("---"):
        head, sep, rest = text[3:].partition("\n---")
        if not sep:
            raise InputFileError(
                reading.origin, "front matter opened with '---' but never closed", 1
            )
        fields = front_matter(head, reading)
        body = rest.split("\n", 1)[1] if "\n" in rest else ""
    # A Markdown heading's "#" marks are no part of its title.
    first_line = body.strip().split("\n", 1)[0].strip().lstrip("#").strip()
    fallback = (
        first_line if 0 < len(first_line) <= 120 else stem.replace("-", " ").replace("_", " ")
    )
    return new_article(read_meta(fields, reading, fallback), body, reading)


def _from_html(raw: bytes, reading: Reading) -> LoadedArticle:
    import trafilatura  # lazy: pulls lxml and friends
    from lxml import etree  # type: ignore[import-untyped]

    origin = reading.origin
    try:
        doc = trafilatura.bare_extraction(raw, with_metadata=True)
    except (*_PARSE_FAILURES, AttributeError, etree.Error) as exc:
        raise InputFileError(origin, f"cannot parse the HTML: {brief(exc)}") from exc
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
    return new_article(read_meta(fields, reading, Path(origin).stem), str(data["text"]), reading)


def _record(obj: Any, reading: Reading, index: int, line: int | None) -> LoadedArticle:
    origin = reading.origin
    if not isinstance(obj, dict):
        raise InputFileError(origin, "expected a JSON object with 'title' and 'text'", line)
    text = next((obj[a] for a in ALIASES["text"] if isinstance(obj.get(a), str) and obj[a]), None)
    if text is None:
        raise InputFileError(origin, "record has no 'text' (or body/content) field", line)
    meta = read_meta(obj, reading, f"{Path(origin).stem} #{index}", line)
    return new_article(meta, text, reading, f"#{index}")


def _parse_json(text: str, origin: str, line: int | None) -> Any:
    """``json.loads``, with every way it fails on hostile input as an ``InputFileError``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = line if line is not None else exc.lineno
        raise InputFileError(origin, f"bad JSON: {exc.msg}", at) from exc
    except RecursionError as exc:
        raise InputFileError(origin, "bad JSON: nested too deeply", line) from exc
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise InputFileError(origin, f"bad JSON: {brief(exc)}", line) from exc


def _from_jsonl(text: str, reading: Reading, result: LoadResult) -> Iterator[LoadedArticle]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield _record(_parse_json(line, reading.origin, number), reading, number, number)
        except InputFileError as exc:
            result.problems.append(exc)


def _from_json(text: str, reading: Reading, result: LoadResult) -> Iterator[LoadedArticle]:
    data = _parse_json(text, reading.origin, None)
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    records = data if isinstance(data, list) else [data]
    for index, obj in enumerate(records):
        try:
            yield _record(obj, reading, index, None)
        except InputFileError as exc:
            result.problems.append(exc)
