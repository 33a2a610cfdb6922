"""The EPUB zip, written chapter by chapter (both `export epub` and `build` use it): nothing holds every chapter at once.

The zip's entries are sorted by name (`mimetype` and `META-INF/container.xml` first), so the chapters
(`letter-<slug>.xhtml`) are consumed in that order from a stream, between `content.opf` (which needs only the
spine) and `nav.xhtml` (which needs every chapter's title, collected as they pass).
"""

from __future__ import annotations

import errno
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from .collect import REGISTER_KINDS, EditionData
from .epub import CONTAINER, Book
from .epub import zip_entry as _entry


def write_epub_stream(
    data: EditionData, path: Path, chapters: Iterator[tuple[str, str, str]], *, mode: str = "reading"
) -> None:
    """Write the book to `path`; `chapters` yields (chapter name, XHTML, title) in sorted name order, one per letter."""
    book = Book(data, "diplomatic" if mode == "diplomatic" else "reading")
    book.title_page()
    names = [book.chapter_name(info) for info in data.letters]
    titles: dict[str, str] = {}
    toc_at: dict[str, int] = {}
    for name in names:  # the spine and contents in date order; titles filled in as the chapters pass
        book.spine.append(name)
        toc_at[name] = len(book.toc)
        book.toc.append((name, ""))
    for kind, page, heading in REGISTER_KINDS:
        book.register(kind, page, heading)
    book.colophon()
    book.files["style.css"] = (resources.files("trotsky_tei") / "templates" / "epub.css").read_text(encoding="utf-8")
    book.files["content.opf"] = book.opf()
    chapter_names = set(names)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder; give the EPUB file to write, e.g. edition.epub", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(_entry("mimetype", zipfile.ZIP_STORED), b"application/epub+zip")
            zf.writestr(_entry("META-INF/container.xml", zipfile.ZIP_DEFLATED), CONTAINER.encode("utf-8"))
            for name in sorted(chapter_names | set(book.files) | {"nav.xhtml"}):
                if name in chapter_names:
                    got, text, title = next(chapters)
                    if got != name:
                        raise RuntimeError(f"EPUB chapters out of order: expected {name}, got {got}")
                    titles[name] = title
                elif name == "nav.xhtml":
                    if len(titles) != len(chapter_names):
                        raise RuntimeError("EPUB contents needed before every chapter was written")
                    for chapter, title in titles.items():
                        book.toc[toc_at[chapter]] = (chapter, title)
                    text = book.nav()
                else:
                    text = book.files[name]
                zf.writestr(_entry(f"OEBPS/{name}", zipfile.ZIP_DEFLATED), text.encode("utf-8"))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
