"""HTML for the web chat: answers with clickable citations, and articles with the cited span marked.

Everything that comes from an article or a model is escaped here, and every fragment then passes
through nh3 with a short allow-list, so no markup from a source or a model can reach the page.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3

from assistant.types import Answer, Article, Citation, ShortAnswer

_TAGS = {"a", "blockquote", "div", "h3", "li", "mark", "ol", "p", "small", "span", "strong"}
_ATTRIBUTES = {"*": {"class", "id", "title"}, "a": {"href", "target"}}
_REF = re.compile(r"^#cite=([0-9a-f]{16}):(\d+):(\d+):([0-9a-f]{16})(?::(\d+)-(\d+))?$")
# Characters Markdown gives a meaning to; escaped with a backslash in Markdown status lines.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>&:\"'])")


@dataclass(frozen=True)
class CitationRef:
    """What a citation link carries: the span, and a digest of the quote it showed."""

    article_id: str
    start: int
    end: int
    digest: str
    short: tuple[int, int] | None = None  # the short answer's span inside the quote

    @property
    def href(self) -> str:
        short = f":{self.short[0]}-{self.short[1]}" if self.short else ""
        return f"#cite={self.article_id}:{self.start}:{self.end}:{self.digest}{short}"

    @classmethod
    def of(cls, citation: Citation, short: ShortAnswer | None = None) -> CitationRef:
        inside = short is not None and short.n == citation.n
        span = (short.start, short.end) if short is not None and inside else None
        return cls(citation.article_id, citation.start, citation.end, digest(citation.quote), span)

    @classmethod
    def parse(cls, href: str) -> CitationRef | None:
        """The reference in a citation link, or None if ``href`` is not one."""
        match = _REF.match(href.strip())
        if match is None:
            return None
        article_id, start, end, quoted, s_start, s_end = match.groups()
        short = (int(s_start), int(s_end)) if s_start and s_end else None
        if short and not int(start) <= short[0] < short[1] <= int(end):
            short = None
        return cls(article_id, int(start), int(end), quoted, short)


def digest(text: str) -> str:
    """A short fingerprint of a quote, to notice when an article changed under a citation."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def clean(fragment: str) -> str:
    """The last line of defence: only our own tags and attributes survive."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
    )


def _e(text: str | None) -> str:
    return html.escape(" ".join((text or "").split()))


def markdown_text(text: str) -> str:
    """``text`` shown literally inside a ``gr.Markdown``: one line, every Markdown and HTML
    character backslash-escaped, so an article title cannot add a link, image or markup."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def link_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) address with a host, else None. Relative and
    protocol-relative urls (``//evil.example``) would resolve against the page: not links."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url.strip()


def byline(source: str | None, title: str, published: str | None) -> str:
    """``Outlet · Title · date`` as escaped text."""
    return " · ".join(_e(x) for x in (source or "unknown outlet", title, published or "undated"))


def _marker(citation: Citation, short: ShortAnswer | None = None) -> str:
    tip = byline(citation.source, citation.title, citation.published)
    ref = CitationRef.of(citation, short).href
    return f'<a class="cite" href="{ref}" title="{tip}">&#91;{citation.n}&#93;</a>'


def answer_html(answer: Answer) -> str:
    """A checked answer: status, sentences with clickable markers, then the list of sources."""
    if answer.abstained:
        return clean(
            '<div class="answer abstained"><p><strong>Not in the articles.</strong> '
            f"{_e(answer.text)}</p></div>"
        )
    by_n = {c.n: c for c in answer.citations}
    parts = []
    for sentence in answer.sentences:
        marks = "".join(
            _marker(by_n[n], answer.short_answer) for n in sentence.citations if n in by_n
        )
        css = "sentence" if sentence.supported else "sentence unsupported"
        flag = "" if sentence.supported else ' <small class="flag">(unsupported)</small>'
        parts.append(f'<span class="{css}">{_e(sentence.text)}{marks}{flag}</span>')
    status = "quoted" if answer.fallback else "supported"
    note = ""
    if answer.partial:
        note = '<p class="note"><small>Checking what the answer model adds…</small></p>'
    elif answer.fallback and answer.model != "none":
        note = (
            '<p class="note"><small>Quoted from the sources: no generated sentence was '
            "supported by its citations.</small></p>"
        )
    if answer.notice:
        note += f'<p class="notice"><small>{_e(answer.notice)}</small></p>'
    sources = "".join(
        f'<li><a class="source" href="{CitationRef.of(c, answer.short_answer).href}">'
        f"&#91;{c.n}&#93; {byline(c.source, c.title, c.published)}</a></li>"
        for c in answer.citations
    )
    short = (
        f'<p class="short"><strong>{_e(answer.short_answer.text)}</strong></p>'
        if answer.short_answer
        else ""
    )
    pending = " pending" if answer.partial else ""
    return clean(
        f'<div class="answer {status}{pending}">{short}<p>{" ".join(parts)}</p>{note}'
        f'<ol class="sources">{sources}</ol></div>'
    )


def draft_html(text: str) -> str:
    """The model's text while it streams, before it is checked."""
    return clean(f'<div class="answer draft"><p>{_e(text)}</p></div>')


def error_html(message: str) -> str:
    return clean(f'<div class="answer failed"><p><strong>Error:</strong> {_e(message)}</p></div>')


def article_html(
    article: Article,
    start: int | None = None,
    end: int | None = None,
    short: tuple[int, int] | None = None,
) -> str:
    """The whole article, with ``text[start:end]`` inside ``<mark id="cited">`` and the short
    answer's span inside that in ``<strong class="short">``."""
    m = article.meta
    url = link_url(m.url)
    if url:
        link = f' · <a href="{html.escape(url, quote=True)}" target="_blank">original</a>'
    else:
        link = f" · {_e(m.url)}" if m.url else ""  # shown, but not a working link
    text = article.text
    if start is None or end is None:
        body = html.escape(text)
    else:
        a, b = short if short and start <= short[0] < short[1] <= end else (end, end)
        cited = (
            html.escape(text[start:a])
            + (f'<strong class="short">{html.escape(text[a:b])}</strong>' if a < b else "")
            + html.escape(text[b:end])
        )
        body = (
            html.escape(text[:start]) + f'<mark id="cited">{cited}</mark>' + html.escape(text[end:])
        )
    return clean(
        f'<div class="article" id="article-{article.id}"><h3>{_e(m.title)}</h3>'
        f'<p class="meta"><small>{_e(m.source or "unknown outlet")} · {_e(m.published or "undated")}'
        f"{' · ' + _e(m.author) if m.author else ''}{link}</small></p>"
        f'<div class="article-text">{body}</div></div>'
    )


def notice_html(message: str) -> str:
    return clean(f'<div class="notice"><p>{_e(message)}</p></div>')


def citation_html(article: Article | None, ref: CitationRef) -> str:
    """The viewer's content for a clicked citation, checking the article still holds the quote."""
    if article is None:
        return notice_html("This article is no longer in the library.")
    text = article.text
    if ref.end <= len(text) and digest(text[ref.start : ref.end]) == ref.digest:
        return article_html(article, ref.start, ref.end, ref.short)
    return notice_html(
        "This article changed after the answer was given, so the cited passage is no longer "
        "at the same place. The current text follows."
    ) + article_html(article)
