"""Reference documents for planning: notes, Markdown and PDF cut into passages with ids, and the passages
most relevant to a topic found by BM25, so the plan can cite what it used."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from reelforge.errors import ConfigError, InputError

PASSAGE_WORDS = 120
"""Passages are paragraphs packed up to about this many words (a long paragraph is cut at sentences)."""
SUFFIXES = (".txt", ".md", ".markdown", ".pdf")
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "how", "in", "is",
    "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was", "were", "what", "when",
    "where", "which", "who", "why", "will", "with",
})  # fmt: skip


class Passage(BaseModel):
    """A cited piece of a reference document; `id` is what the plan cites (`notes.md#3`)."""

    id: str
    source: str
    page: int | None = None
    text: str


def load_passages(paths: list[Path]) -> list[Passage]:
    """Every passage of every document, in order; InputError naming a file that cannot be used. Passages
    are named after their file (`notes.md#3`; `folder/notes.md#3` when two files share a name)."""
    passages: list[Passage] = []
    names: set[str] = set()
    for path in map(Path, paths):
        name = path.name if path.name not in names else f"{path.parent.name}/{path.name}"
        names.add(name)
        passages += _passages(path, name)
    return passages


def _passages(path: Path, name: str) -> list[Passage]:
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"{path}: reference documents must be {', '.join(SUFFIXES)} files")
    if not path.is_file():
        raise InputError(f"{path}: no such reference document")
    if path.suffix.lower() == ".pdf":
        pages = _pdf_pages(path)
    else:
        try:
            pages = [(None, path.read_text(encoding="utf-8"))]
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text: save it as UTF-8 or give a PDF") from None
    out: list[Passage] = []
    for page, text in pages:
        for chunk in chunk_text(text):
            out.append(Passage(id=f"{name}#{len(out) + 1}", source=name, page=page, text=chunk))
    if not out:
        raise InputError(f"{path}: no text found (a scanned PDF needs OCR first)")
    return out


def _pdf_pages(path: Path) -> list[tuple[int | None, str]]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise ConfigError("PDF references need pypdf: pip install 'reelforge[llm]'") from None
    try:
        reader = PdfReader(path)
        return [(number, page.extract_text() or "") for number, page in enumerate(reader.pages, start=1)]
    except (PdfReadError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the PDF ({exc})") from None


def chunk_text(text: str, words: int = PASSAGE_WORDS) -> list[str]:
    """Paragraphs packed into passages of about `words` words; a Markdown heading starts a new passage."""
    pieces: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=#)", text):
        block = " ".join(block.split())
        if len(block.split()) <= words:
            pieces.append(block)
        else:
            pieces += _SENTENCE.split(block)
    chunks: list[str] = []
    for piece in filter(None, pieces):
        heading = piece.startswith("#")
        if chunks and not heading and len(chunks[-1].split()) + len(piece.split()) <= words:
            chunks[-1] += " " + piece
        else:
            chunks.append(piece)
    return chunks


def tokens(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def retrieve(passages: list[Passage], query: str, k: int = 6) -> list[Passage]:
    """The `k` passages that best match `query` by BM25, best first; passages sharing no term are left out."""
    if not passages:
        return []
    try:
        from rank_bm25 import BM25Okapi
    except ImportError:
        raise ConfigError("reference documents need rank-bm25: pip install 'reelforge[llm]'") from None

    index = BM25Okapi([tokens(p.text) or [""] for p in passages])
    terms = set(tokens(query))
    scores = index.get_scores(list(terms))
    ranked = sorted(range(len(passages)), key=lambda i: -scores[i])
    return [passages[i] for i in ranked[:k] if terms & set(tokens(passages[i].text))]
