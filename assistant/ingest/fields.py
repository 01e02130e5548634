"""What one file says about an article, checked: its metadata fields (names seen in the wild,
length limits, dates) and its YAML front matter (safe, without aliases). Every failure is an
``InputFileError`` naming the file and, where known, the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from assistant.config import IngestSettings
from assistant.errors import InputFileError
from assistant.ingest.dates import normalise_date
from assistant.types import ArticleMeta, LoadedArticle

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


@dataclass(frozen=True)
class Reading:
    """How one file is read: its limits, and whether its articles are keyed by their url."""

    origin: str
    limits: IngestSettings
    key_by_url: bool


def brief(exc: BaseException) -> str:
    """An exception as a short line: hostile input can make its message huge."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}{'…' if len(text) > 200 else ''}"


def read_meta(
    fields: dict[Any, Any], reading: Reading, fallback_title: str, line: int | None = None
) -> ArticleMeta:
    """The article's metadata from ``fields`` (first alias that has a value), within limits."""
    origin, most = reading.origin, reading.limits.max_field_chars

    def pick(name: str) -> Any:
        for alias in ALIASES[name]:
            value = fields.get(alias)
            if value not in (None, "", []):
                return value
        return None

    def text_of(name: str, value: Any) -> str | None:
        if name == "author" and isinstance(value, list):
            value = ", ".join(str(a) for a in value if a)
        value = str(value).strip() if value else ""
        if len(value) > most:
            raise InputFileError(
                origin,
                f"'{name}' is {len(value)} characters, over the limit of {most} "
                "(ingest.max_field_chars)",
                line,
            )
        return value or None

    raw_date = pick("published")
    date_text = text_of("published", raw_date) if not isinstance(raw_date, int | float) else None
    try:
        published = normalise_date(raw_date if date_text is None else date_text)
    except ValueError as exc:
        raise InputFileError(origin, f"{exc}; use ISO 8601 such as 2025-05-27", line) from exc
    return ArticleMeta(
        title=text_of("title", pick("title")) or fallback_title.strip()[:most],
        source=text_of("source", pick("source")),
        url=text_of("url", pick("url")),
        author=text_of("author", pick("author")),
        published=published,
    )


def new_article(meta: ArticleMeta, text: str, reading: Reading, suffix: str = "") -> LoadedArticle:
    """The loaded article, keyed by url (or by file and ``suffix``); refuses empty text."""
    origin = reading.origin
    body = text.strip()
    if not body:
        raise InputFileError(origin, "article has no text")
    key = (meta.url if reading.key_by_url else None) or origin + suffix
    for part in (body, key, *(v for v in meta.model_dump().values() if v)):
        try:
            str(part).encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate from a JSON "\ud800" escape
            raise InputFileError(
                origin, "text holds an unpaired surrogate (a broken \\u escape); fix it"
            ) from exc
    return LoadedArticle(key=key, origin=origin, meta=meta, text=body)


class FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases (no expansion bombs) and with dates kept as text
    (``2025-02-30`` is then a reported bad date, not a crash in YAML's date constructor)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in front matter", mark
            )
        return super().compose_node(parent, index)


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def front_matter(head: str, reading: Reading) -> dict[Any, Any]:
    """The YAML between the ``---`` lines as a dict, within ``ingest.max_front_matter_chars``."""
    origin, most = reading.origin, reading.limits.max_front_matter_chars
    if len(head) > most:
        raise InputFileError(
            origin,
            f"front matter is {len(head)} characters, over the limit of {most} "
            "(ingest.max_front_matter_chars)",
            1,
        )
    try:
        loaded = yaml.load(head, Loader=FrontMatterLoader) or {}  # a SafeLoader
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())[:300]
        raise InputFileError(origin, f"front matter is not valid YAML: {message}", 1) from exc
    except RecursionError as exc:
        raise InputFileError(origin, "front matter is nested too deeply", 1) from exc
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. !!binary, huge !!int
        raise InputFileError(origin, f"front matter has a bad value: {brief(exc)}", 1) from exc
    if not isinstance(loaded, dict):
        raise InputFileError(origin, "front matter must be 'key: value' lines", 1)
    return loaded
