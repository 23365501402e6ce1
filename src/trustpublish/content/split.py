"""Posts → excerpts (PRODUCT §4), a pure function of the post and the options.

How the cut is chosen
---------------------
The body is turned into *atoms*: one sentence of a paragraph, or one whole list,
table, code block or quote (these are never cut), together with the headings
right before it. Then a
dynamic programme (like Knuth–Plass line breaking) picks the cut points that
minimise a cost: excerpts outside ``min_words..max_words`` cost a lot, every cut
costs by where it falls (free before a ``##`` section, cheap before a ``###``,
dearer between paragraphs, dearest inside a paragraph), and a paragraph ending
in ``:`` is never separated from the list or table after it. A single atom that
is longer than the maximum stands alone.

Because cuts prefer section boundaries and costs are local, editing one section
does not move the cuts (and so the ids) of excerpts elsewhere in the post.

Ids and links
-------------
An excerpt starting at a heading has the id ``<post slug>/<heading anchor>``;
one starting mid-section gets ``-part-N`` after the anchor of the heading above.
Anchors are the GitHub-style slugs of the heading text (``-2``, ``-3`` for
repeats). The read-more URL is the post URL + ``#anchor``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import UNSPLITTABLE, Block, Excerpt, Post
from .text import count_words, slugify, split_sentences, teaser

__all__ = ["SplitOptions", "split_post", "heading_anchors"]


@dataclass(frozen=True)
class SplitOptions:
    """Target size of an excerpt in words (plain text, title excluded)."""

    min_words: int = 120
    max_words: int = 220

    def __post_init__(self) -> None:
        if not 0 < self.min_words <= self.max_words:
            raise ValueError("need 0 < min_words <= max_words")


# Cost of a cut before an atom, by what the atom starts with.
_CUT_COST = {"h1": 0.0, "h2": 0.0, "h3": 6.0, "h4": 12.0, "para": 25.0, "sentence": 60.0}
_OUT_OF_RANGE = 10_000.0
_PER_WORD_OUT = 4.0
_NEVER = 10_000.0


@dataclass
class _Atom:
    blocks: list[Block]
    words: int
    lead_heading_words: int  # words of the first heading (the title if this atom opens an excerpt)
    start: str  # key of _CUT_COST
    anchor: str  # anchor of the nearest heading at or before this atom
    heading: str  # text of that heading
    opens_with_heading: bool
    para_id: int | None = None  # set for sentence atoms of one long paragraph
    glue_to_previous: bool = False  # never cut before this atom
    unsplittable: bool = False


def heading_anchors(blocks: tuple[Block, ...] | list[Block]) -> dict[int, str]:
    """Block index → anchor for every heading, deduplicated like GitHub (``-2``, ``-3``)."""
    anchors: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, block in enumerate(blocks):
        if block.kind != "heading":
            continue
        base = slugify(block.text)
        n = seen.get(base, 0) + 1
        seen[base] = n
        anchors[index] = base if n == 1 else f"{base}-{n}"
    return anchors


def _sentence_pieces(block: Block) -> list[Block]:
    """A paragraph as one block per sentence, or itself when its sentences are ambiguous.

    Sentences are found in the Markdown source and in the plain text; when the two
    disagree (a sentence end inside a link, say) the paragraph stays whole.
    """
    sources = split_sentences(block.markdown)
    texts = split_sentences(block.text)
    if len(sources) < 2 or len(sources) != len(texts):
        return [block]
    return [Block("paragraph", src, txt, block.line) for src, txt in zip(sources, texts)]


def _atoms(post: Post, options: SplitOptions) -> list[_Atom]:
    anchors = heading_anchors(post.body)
    atoms: list[_Atom] = []
    pending: list[Block] = []
    anchor, heading = "", post.title
    para_counter = 0
    for index, block in enumerate(post.body):
        if block.kind == "heading":
            if not pending:
                anchor, heading = anchors[index], block.text
            pending.append(block)
            continue
        if block.kind == "rule":
            continue
        pieces = _sentence_pieces(block) if block.kind == "paragraph" else [block]
        if len(pieces) > 1:
            para_counter += 1
        for n, piece in enumerate(pieces):
            heads = pending if n == 0 else []
            lead = count_words(heads[0].text) if heads else 0
            start = "para"
            if heads:
                start = f"h{min(max(heads[0].level, 1), 4)}" if heads[0].level <= 4 else "h4"
            elif n > 0:
                start = "sentence"
            prev = atoms[-1] if atoms else None
            glue = bool(
                n == 0 and not heads and prev is not None and block.kind in ("list", "table")
                and prev.blocks[-1].text.rstrip().endswith(":")
            )
            atoms.append(_Atom(
                blocks=[*heads, piece],
                words=sum(count_words(h.text) for h in heads) + count_words(piece.text),
                lead_heading_words=lead, start=start, anchor=anchor, heading=heading,
                opens_with_heading=bool(heads),
                para_id=para_counter if len(pieces) > 1 else None,
                glue_to_previous=glue, unsplittable=block.kind in UNSPLITTABLE,
            ))
        pending = []
    return atoms


def _best_cuts(atoms: list[_Atom], options: SplitOptions) -> list[int]:
    """Start indices of the excerpts in the cheapest split (see the module docstring).

    A piece's cost: a cut before it (by where it falls), plus a large penalty per
    word outside ``min_words..max_words`` unless it is a single unsplittable atom,
    plus a small pull towards the middle of the range.
    """
    n = len(atoms)
    lo, hi = options.min_words, options.max_words
    middle, span = (lo + hi) / 2, max(hi - lo, 1)
    prefix = [0]
    for atom in atoms:
        prefix.append(prefix[-1] + atom.words)
    cut_cost = [_NEVER if a.glue_to_previous else _CUT_COST[a.start] for a in atoms] + [0.0]
    glued = [a.glue_to_previous for a in atoms] + [False]
    lead = [a.lead_heading_words for a in atoms]
    unsplittable = [a.unsplittable for a in atoms]
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for i in range(1, n + 1):
        end_cost = _NEVER if glued[i] else 0.0
        for j in range(i - 1, -1, -1):
            size = prefix[i] - prefix[j]
            if size > 2 * hi and i - j > 2:
                break  # longer pieces only get worse
            words = size - lead[j]
            cost = best[j] + end_cost + (cut_cost[j] if j else 0.0)
            if words < lo:
                cost += _OUT_OF_RANGE + _PER_WORD_OUT * (lo - words)
            elif words > hi:
                forced = (i - j == 1 or (i - j == 2 and glued[j + 1])) and any(unsplittable[j:i])
                if not forced:
                    cost += _OUT_OF_RANGE + _PER_WORD_OUT * (words - hi)
            else:
                cost += 4.0 * ((words - middle) / span) ** 2
            if cost < best[i]:
                best[i], back[i] = cost, j
    cuts: list[int] = []
    i = n
    while i > 0:
        cuts.append(back[i])
        i = back[i]
    return sorted(cuts)


def _join_blocks(atoms: list[_Atom]) -> list[Block]:
    """The blocks of a group, sentence atoms of one paragraph joined back together."""
    blocks: list[Block] = []
    last_para: int | None = None
    for atom in atoms:
        for block in atom.blocks:
            if atom.para_id is not None and atom.para_id == last_para and block.kind == "paragraph":
                prev = blocks[-1]
                blocks[-1] = Block("paragraph", f"{prev.markdown} {block.markdown}",
                                   f"{prev.text} {block.text}", prev.line)
            else:
                blocks.append(block)
        last_para = atom.para_id
    return blocks


def split_post(post: Post, options: SplitOptions | None = None) -> list[Excerpt]:
    """Cut ``post`` into excerpts (see the module docstring for the rules)."""
    options = options or SplitOptions()
    atoms = _atoms(post, options)
    if not atoms:
        return []
    cuts = _best_cuts(atoms, options) + [len(atoms)]
    groups = [atoms[a:b] for a, b in zip(cuts, cuts[1:])]
    excerpts: list[Excerpt] = []
    parts: dict[str, int] = {}
    for position, group in enumerate(groups, start=1):
        first = group[0]
        blocks = _join_blocks(group)
        if first.opens_with_heading:
            title, anchor = blocks[0].text, first.anchor
            blocks = blocks[1:]
            local_id = anchor
            parts[anchor] = 1
        else:
            title, anchor = first.heading, first.anchor
            parts[anchor] = parts.get(anchor, 1) + 1
            local_id = f"{anchor}-part-{parts[anchor]}" if anchor else f"part-{parts[anchor]}"
        if not local_id:
            local_id = "introduction"
        text = "\n\n".join(b.text for b in blocks)
        first_prose = next((b.text for b in blocks if b.kind == "paragraph"), text)
        url = f"{post.url}#{anchor}" if anchor else post.url
        excerpts.append(Excerpt(
            id=f"{post.slug}/{local_id}", post_slug=post.slug, anchor=anchor, title=title,
            body="\n\n".join(b.markdown for b in blocks), text=text,
            teaser=teaser(first_prose), words=count_words(text), position=position,
            total=len(groups), url=url, blocks=tuple(blocks),
        ))
    return excerpts

