"""The library tab's file work: safe uploads, listing with filters, and deleting an article.

Uploads are checked whole (type, size) before any byte is written, are written atomically, and
only ever land in the upload folder under ``corpus_dir``, whatever name the browser sent.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.config import MIB, Settings
from assistant.errors import InputFileError
from assistant.ingest.loaders import SUPPORTED_SUFFIXES, load_file
from assistant.types import Article

_UNSAFE = re.compile(r"[^\w .,()+-]+")
_MAX_STEM_BYTES = 150  # room for "-2" and the "<time>-replaced-" prefix of a kept copy


@dataclass(frozen=True)
class ArticleFilter:
    """What the library list shows: words to find, one outlet, a date range (ISO dates)."""

    words: str = ""
    outlet: str = ""
    since: str = ""
    until: str = ""

    def keeps(self, article: Article) -> bool:
        m = article.meta
        if self.outlet and (m.source or "") != self.outlet:
            return False
        day = (m.published or "")[:10]
        if (self.since or self.until) and not day:
            return False
        if self.since and day < self.since[:10]:
            return False
        if self.until and day > self.until[:10]:
            return False
        haystack = f"{m.title}\n{m.source or ''}\n{article.text}".casefold()
        return all(w in haystack for w in self.words.casefold().split())


def upload_dir(settings: Settings) -> Path:
    return settings.corpus_dir / settings.ui.upload_dir


def safe_name(name: str) -> str:
    """A file name that cannot leave its folder: no separators, no dot-dot, a known suffix.
    Letters of any script, digits, spaces and ``_.,()+-`` are kept, so that different names
    stay different (``a b.txt`` and ``a-b.txt``, ``Новости.txt``)."""
    base = Path(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    stem, suffix = os.path.splitext(base.strip())
    if suffix.lower() not in SUPPORTED_SUFFIXES or not stem.strip(". "):
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InputFileError(name, f"unsupported file type; upload one of {kinds}")
    stem = _UNSAFE.sub("-", stem).strip(".- ")
    while len(stem.encode()) > _MAX_STEM_BYTES:  # file systems allow 255 bytes a name
        stem = stem[:-1]
    return (stem.rstrip(".- ") or "upload") + suffix


@dataclass(frozen=True)
class Saved:
    """An upload written into the upload folder, and where the earlier file it replaced was
    kept (None when it replaced nothing)."""

    path: Path
    replaced: Path | None = None


def save_uploads(files: list[Path], settings: Settings, replace: bool = False) -> list[Saved]:
    """Copy uploaded files into the upload folder; all are checked (size, then read as the
    ingest reads them) before any is written. With ``replace``, a different earlier upload of
    the same name is replaced (a corrected version), its file kept in ``data_dir/deleted``;
    without it, the new file gets a name of its own (``note-2.txt``)."""
    limit = settings.ui.max_upload_bytes
    checked = []
    for path in files:
        name = safe_name(path.name)
        try:
            size = path.stat().st_size
        except FileNotFoundError as exc:  # Gradio's temporary copy, already saved or refused
            raise InputFileError(path.name, "the upload is gone; add the file again") from exc
        if size > limit:
            raise InputFileError(
                path.name, f"{size / MIB:.1f} MB is over the {settings.ui.max_upload_mb:g} MB limit"
            )
        if size == 0:
            raise InputFileError(path.name, "the file is empty")
        # Read it as the ingest will: a file that cannot be ingested is never kept.
        loaded = load_file(
            path, name, settings.ingest.max_file_bytes, settings.ingest, key_by_url=False
        )
        if loaded.problems:  # kept, the file would report its bad part at every ingest
            first = loaded.problems[0]
            more = f" (and {len(loaded.problems) - 1} more)" if len(loaded.problems) > 1 else ""
            raise InputFileError(
                first.path, f"{first.reason}{more}; nothing of the file was added: fix it and "
                "upload it again", first.line,
            )  # fmt: skip
        if not loaded.articles:
            raise InputFileError(name, "no article in the file")
        checked.append((path, name))
    target = upload_dir(settings)
    target.mkdir(parents=True, exist_ok=True)
    keep = settings.data_dir / "deleted"
    placed: list[Saved] = []
    for path, name in checked:
        # Only a name that arrived intact is the same file as the earlier upload: "a?b.txt"
        # and "a:b.txt" are both saved as "a-b.txt", and neither is the other's new version.
        replaces = replace and name == path.name
        taken = {s.path for s in placed}  # two files of one name in a batch are both kept
        placed.append(_place(path, name, target, keep if replaces else None, taken))
    return placed


def _place(source: Path, name: str, folder: Path, keep: Path | None, taken: set[Path]) -> Saved:
    """Write ``source`` as ``folder/name`` atomically, or reuse an identical file there. A
    different file of that name is replaced when ``keep`` is given (a copy of it is kept
    there first) and it is not in ``taken``, else the new one takes the next free name."""
    data = source.read_bytes()
    stem, suffix = os.path.splitext(name)
    for n in range(1, 1000):
        dest = folder / (name if n == 1 else f"{stem}-{n}{suffix}")
        assert dest.resolve().is_relative_to(folder.resolve())
        if not dest.exists():
            _write(dest, data, name)
            return Saved(dest)
        if dest in taken:
            keep = None  # the batch's earlier file is kept, and so is every numbered one
        if dest.read_bytes() == data:
            return Saved(dest)
        if keep is not None:
            kept = _keep_copy(dest, keep, name)
            _write(dest, data, name)
            return Saved(dest, kept)
        # a different file already has this name, and replacing was not asked: never overwrite
    raise InputFileError(name, "too many files with this name; rename it and upload again")


def _write(dest: Path, data: bytes, name: str) -> None:
    """``data`` as ``dest``, atomically: a failed write leaves the earlier file as it was."""
    with tempfile.NamedTemporaryFile(dir=dest.parent, prefix=".upload-", delete=False) as tmp:
        try:
            tmp.write(data)
            tmp.flush()
            os.chmod(tmp.name, 0o644)  # as other corpus files, not a temporary file's 0600
            os.replace(tmp.name, dest)
        except OSError as exc:
            Path(tmp.name).unlink(missing_ok=True)
            raise InputFileError(name, f"cannot save the upload: {exc.strerror}") from exc


def _keep_copy(path: Path, folder: Path, name: str) -> Path:
    """A copy of the file about to be replaced, in ``folder`` (nothing is lost)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        dest = next(
            d for n in range(1, 1000)
            if not (d := folder / f"{stamp}-replaced{'' if n == 1 else f'-{n}'}-{path.name}").exists()
        )  # fmt: skip
        shutil.copy2(path, dest)
    except OSError as exc:
        raise InputFileError(
            name, f"cannot keep the earlier upload in {folder} ({exc.strerror or exc}); nothing "
            "was replaced. Check the permissions and free space of data_dir and try again",
        ) from exc  # fmt: skip
    return dest


def origin_path(article: Article, settings: Settings) -> Path:
    """The file an article was read from (origins under corpus_dir are stored relative)."""
    origin = Path(article.origin)
    return origin if origin.is_absolute() else settings.corpus_dir.parent / origin


def check_deletable(article: Article, others: list[Article]) -> None:
    """Refuse to delete one article of a file that holds several: it would come back."""
    sharing = [a for a in others if a.origin == article.origin and a.id != article.id]
    if sharing:
        raise InputFileError(
            article.origin,
            f"this file holds {len(sharing) + 1} articles; remove this one from the file "
            "and run `python -m assistant ingest --prune`",
        )


def discard_temporary(files: list[Path]) -> None:
    """Delete Gradio's temporary copies of uploaded files once they are saved or refused.
    Only files inside Gradio's temporary folder are touched."""
    root = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    for file in files:
        path = file.resolve()
        if path.is_relative_to(root.resolve()) and path.is_file():
            path.unlink(missing_ok=True)
            if path.parent != root.resolve():
                with contextlib.suppress(OSError):  # not empty: another upload is in it
                    path.parent.rmdir()  # Gradio keeps each upload in a folder of its own


def retire_file(article: Article, settings: Settings) -> Path | None:
    """Move a deleted article's file out of the corpus into ``data_dir/deleted`` (nothing is
    lost, and the next ingest does not bring it back). Files outside the corpus stay put."""
    path = origin_path(article, settings)
    if not path.exists() or not path.resolve().is_relative_to(settings.corpus_dir.resolve()):
        return None
    bin_dir = settings.data_dir / "deleted"
    dest = bin_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{article.id}-{path.name}"
    try:
        bin_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(path, dest)
    except OSError as exc:
        raise InputFileError(
            article.origin,
            f"cannot move the file to {bin_dir} ({exc.strerror or exc}); the article was not "
            "deleted. Check the permissions and free space of data_dir and try again",
        ) from exc
    return dest


def delete_article(
    article: Article, settings: Settings, remove: Callable[[str], object]
) -> Path | None:
    """Retire the article's file, then ``remove`` it from the index; if removing fails, the
    file is moved back. Either step failing leaves the article as it was (in the corpus and
    the index), never half deleted: a file left in the corpus would bring it back."""
    moved = retire_file(article, settings)
    try:
        remove(article.id)
    except BaseException:
        if moved is not None:
            shutil.move(moved, origin_path(article, settings))
        raise
    return moved
