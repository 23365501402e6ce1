"""Posts → excerpts (docs/guarantees.md#excerpts), a pure function of the post and the options.

How the cut is chosen
---------------------
Back-matter sections ("References", "Acknowledgments", "About the author"... the
``skip_sections`` list, compared without case, numbering, bold marks or a final colon)
are left out: from such a heading to the next heading of the same or a higher level
(from a paragraph that is only such a label, to the next heading); a paragraph that
opens with such a label ("Conflicts of interest: none declared.") and Markdown
footnote definitions are left out on their own. They stay
in the post (and so in the full article and the feeds); they are never cut into
excerpts.

The body is turned into *atoms*: one sentence of a paragraph, or one whole list,
table, code block or quote (these are not cut when they fit), together with the
headings right before it. A block longer than ``max_words`` that cannot be cut
between sentences (a reference list, a long table, a paragraph without sentence
ends) is cut between list items, table rows (the header row is repeated) or lines;
only one item, row or line longer than the maximum stands alone. Then a
dynamic programme (like Knuth–Plass line breaking) picks the cut points that
minimise a cost: excerpts outside ``min_words..max_words`` cost a lot (over the
maximum ten times more than under the minimum: a short excerpt beats a long one), every cut
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
Text before the first heading (or a post without headings) has no anchor: its
excerpts are ``part-1``, ``part-2``...
Anchors are the slugs of the heading text as blog engines make them
(:func:`~trustpublish.content.text.anchor_slug`; ``-2``, ``-3`` for repeats). The read-more
URL is the post URL + ``#anchor``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import UNSPLITTABLE, Block, Excerpt, Post
from .text import anchor_slug, count_words, split_sentences, teaser

__all__ = ["SplitOptions", "split_post", "heading_anchors", "SKIP_SECTIONS",
           "back_matter_headings", "is_back_matter"]

#: Section headings that are back matter, never cut into excerpts (``excerpts.skip_sections``).
SKIP_SECTIONS: tuple[str, ...] = (
    "references", "reference", "reference list", "references and notes", "bibliography",
    "works cited", "literature cited", "sources", "notes", "endnotes", "footnotes",
    "acknowledgments", "acknowledgements", "acknowledgment", "acknowledgement",
    "disclosures", "disclosure", "financial disclosures", "funding", "funding sources",
    "conflicts of interest", "conflict of interest", "conflict of interest statement",
    "conflicts of interest statement", "competing interests", "declaration of interests",
    "about the author", "about the authors", "about our authors", "author information",
    "author affiliations", "affiliations", "author contributions", "suggested citation",
    "cite this article", "how to cite this article", "corresponding author",
    "share this", "share this article", "share this post", "share this page",
    # other languages
    "литература", "список литературы", "источники", "примечания", "об авторе",
    "referencias", "bibliografía", "notas", "literatur", "quellen", "literaturverzeichnis",
    "références", "bibliographie", "remerciements",
)


def _heading_key(text: str) -> str:
    """A heading compared for back matter: lower case, no numbering, no final colon."""
    key = text.strip().strip("*_").strip().lower().replace("&", "and")
    key = re.sub(r"^(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])[.)]\s+", "", key)
    key = re.sub(r"[\s:.\u2014\u2013-]+$", "", key)
    return " ".join(key.split())


def is_back_matter(heading: str, skip_sections: tuple[str, ...] = SKIP_SECTIONS) -> bool:
    """True when ``heading`` names a back-matter section of ``skip_sections``."""
    return _heading_key(heading) in {_heading_key(s) for s in skip_sections}


@dataclass(frozen=True)
class SplitOptions:
    """Target size of an excerpt in words (plain text, title excluded) and the
    back-matter headings whose sections are never excerpts."""

    min_words: int = 120
    max_words: int = 220
    skip_sections: tuple[str, ...] = field(default=SKIP_SECTIONS)

    def __post_init__(self) -> None:
        if not 0 < self.min_words <= self.max_words:
            raise ValueError("need 0 < min_words <= max_words")


_FOOTNOTE = re.compile(r"^\[\^[^\]]+\]:")
_LABEL = re.compile(r"^([^:\n]{2,60}):\s")


def _starts_section(block: Block, keys: set[str]) -> bool:
    """A heading, or a paragraph that is only a label ("**References**"), naming back matter."""
    if block.kind == "heading" or (block.kind == "paragraph" and len(block.text.split()) <= 6):
        return _heading_key(block.text) in keys
    return False


def _is_labelled(block: Block, keys: set[str]) -> bool:
    """A paragraph that opens with a back-matter label: "Conflicts of interest: none."."""
    match = _LABEL.match(block.text) if block.kind == "paragraph" else None
    return bool(match and _heading_key(match.group(1)) in keys) or bool(
        block.kind == "paragraph" and _FOOTNOTE.match(block.markdown))


def _skipped(blocks: tuple[Block, ...] | list[Block], options: SplitOptions) -> set[int]:
    """Indices of the blocks that are back matter.

    A back-matter heading starts a section that runs to the next heading of the same or a
    higher level; a paragraph that is only a back-matter label (bold "References" in a
    WordPress post) runs to the next heading. A paragraph that opens with a label
    ("Disclosures: none.") and a Markdown footnote definition (``[^1]: ...``) are skipped
    on their own.
    """
    keys = {_heading_key(s) for s in options.skip_sections}
    skipped: set[int] = set()
    level: int | None = None  # level of the back-matter heading we are in (7: a label)
    for index, block in enumerate(blocks):
        if block.kind == "heading" and level is not None and block.level <= level:
            level = None
        if level is None and _starts_section(block, keys):
            level = block.level if block.kind == "heading" else 7
        if level is not None or (keys and _is_labelled(block, keys)):
            skipped.add(index)
    return skipped


def back_matter_headings(post: Post, options: SplitOptions | None = None) -> list[str]:
    """The headings (or label paragraphs) of the sections :func:`split_post` leaves out."""
    options = options or SplitOptions()
    keys = {_heading_key(s) for s in options.skip_sections}
    return [post.body[i].text for i in sorted(_skipped(post.body, options))
            if _starts_section(post.body[i], keys)]


# Cost of a cut before an atom, by what the atom starts with.
_CUT_COST = {"h1": 0.0, "h2": 0.0, "h3": 6.0, "h4": 12.0, "para": 25.0, "item": 40.0,
             "sentence": 60.0}
_OUT_OF_RANGE = 10_000.0
_OVER_MAX = 100_000.0  # an excerpt over max_words is worse than one under min_words
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
    para_id: int | None = None  # set for the pieces (sentences, items, rows, lines) of one block
    glue_to_previous: bool = False  # never cut before this atom
    unsplittable: bool = False
    extra_start: int = 0  # words repeated when an excerpt starts here (a table's header row)
    cut: "_Cut | None" = None  # how the block was cut into items, rows or lines
    span: tuple[int, int] = (0, 0)  # this piece's lines in ``cut.lines``


@dataclass
class _Cut:
    """A block cut between items, rows or lines: its lines and the repeated head/tail."""

    source: Block
    lines: list[str]
    head: list[str]
    tail: list[str]

    def piece(self, start: int, end: int) -> Block:
        from .markup import parse_blocks

        markdown = "\n".join(self.head + self.lines[start:end] + self.tail)
        parsed = parse_blocks(markdown)
        text = "\n".join(b.text for b in parsed)
        return Block(self.source.kind, markdown, text, self.source.line + (start if start else 0))


def _cut_block(block: Block) -> tuple[_Cut, list[tuple[int, int]]] | None:
    """How to cut an over-long block between items, rows or lines (None: it is one unit)."""
    lines = block.markdown.split("\n")
    head: list[str] = []
    tail: list[str] = []
    if block.kind == "list":
        from .markup_py import _parser  # markdown-it-py: the token stream with source lines

        tokens = _parser().parse(block.markdown)
        starts = [t.map[0] for t in tokens
                  if t.type == "list_item_open" and t.level == 1 and t.map]
        spans = list(zip(starts, starts[1:] + [len(lines)]))
    elif block.kind == "table":
        head = lines[:2]
        spans = [(i, i + 1) for i in range(2, len(lines)) if lines[i].strip()]
    elif block.kind == "code" and lines[0].lstrip().startswith(("```", "~~~")) and len(lines) > 2:
        head, tail = lines[:1], lines[-1:]
        spans = [(i, i + 1) for i in range(1, len(lines) - 1)]
    else:  # paragraph (line breaks), quote, indented code
        spans = [(i, i + 1) for i in range(len(lines)) if lines[i].strip().strip(">").strip()]
        if spans:
            spans = [(s, e) for (s, _), (e, _) in zip(spans, spans[1:] + [(len(lines), 0)])]
    if len(spans) < 2:
        return None
    return _Cut(block, lines, head, tail), spans


def heading_anchors(blocks: tuple[Block, ...] | list[Block]) -> dict[int, str]:
    """Block index → anchor for every heading, deduplicated like GitHub (``-2``, ``-3``)."""
    anchors: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, block in enumerate(blocks):
        if block.kind != "heading":
            continue
        base = anchor_slug(block.text)
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


def _pieces(block: Block, options: SplitOptions) -> list[tuple[Block, str, "_Cut | None",
                                                               tuple[int, int]]]:
    """(piece, cut-cost key, cut, span) for each piece of ``block``, in order."""
    if block.kind == "paragraph":
        sentences = _sentence_pieces(block)
        if len(sentences) > 1 or count_words(block.text) <= options.max_words:
            return [(p, "para" if n == 0 else "sentence", None, (0, 0))
                    for n, p in enumerate(sentences)]
    elif block.kind == "heading" or count_words(block.text) <= options.max_words:
        return [(block, "para", None, (0, 0))]
    found = _cut_block(block)
    if found is None:
        return [(block, "para", None, (0, 0))]
    cut, spans = found
    return [(cut.piece(a, b), "para" if n == 0 else "item", cut, (a, b))
            for n, (a, b) in enumerate(spans)]


def _atoms(post: Post, options: SplitOptions) -> list[_Atom]:
    anchors = heading_anchors(post.body)
    skipped = _skipped(post.body, options)
    atoms: list[_Atom] = []
    pending: list[Block] = []
    anchor, heading = "", post.title
    para_counter = 0
    for index, block in enumerate(post.body):
        if index in skipped:
            continue
        if block.kind == "heading":
            if not pending:
                anchor, heading = anchors[index], block.text
            pending.append(block)
            continue
        if block.kind == "rule":
            continue
        pieces = _pieces(block, options)
        if len(pieces) > 1:
            para_counter += 1
        for n, (piece, kind, cut, span) in enumerate(pieces):
            heads = pending if n == 0 else []
            lead = count_words(heads[0].text) if heads else 0
            start = kind
            if heads:
                start = f"h{min(max(heads[0].level, 1), 4)}" if heads[0].level <= 4 else "h4"
            prev = atoms[-1] if atoms else None
            glue = bool(
                n == 0 and not heads and prev is not None and block.kind in ("list", "table")
                and prev.blocks[-1].text.rstrip().endswith(":")
            )
            extra = count_words("\n".join(cut.head)) if cut is not None and n > 0 else 0
            atoms.append(_Atom(
                blocks=[*heads, piece],
                words=sum(count_words(h.text) for h in heads) + count_words(piece.text),
                lead_heading_words=lead, start=start, anchor=anchor, heading=heading,
                opens_with_heading=bool(heads),
                para_id=para_counter if len(pieces) > 1 else None,
                glue_to_previous=glue,
                unsplittable=block.kind in UNSPLITTABLE or cut is not None,
                extra_start=extra, cut=cut, span=span,
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
    lead = [a.lead_heading_words - a.extra_start for a in atoms]
    unsplittable = [a.unsplittable for a in atoms]
    cut_cost[0] = 0.0  # no cut before the first atom
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    # (the inner loop runs ~30 times per atom: constants and lists are locals here)
    out_of_range, over_max, per_word, two_hi = _OUT_OF_RANGE, _OVER_MAX, _PER_WORD_OUT, 2 * hi
    for i in range(1, n + 1):
        end_cost = _NEVER if glued[i] else 0.0
        at_i = prefix[i]
        best_i, back_i = best[i], 0
        for j in range(i - 1, -1, -1):
            size = at_i - prefix[j]
            if size > two_hi and i - j > 2:
                break  # longer pieces only get worse
            words = size - lead[j]
            cost = best[j] + end_cost + cut_cost[j]
            if words < lo:
                cost += out_of_range + per_word * (lo - words)
            elif words > hi:
                forced = (i - j == 1 or (i - j == 2 and glued[j + 1])) and any(unsplittable[j:i])
                if not forced:
                    cost += over_max + per_word * (words - hi)
            else:
                cost += 4.0 * ((words - middle) / span) ** 2
            if cost < best_i:
                best_i, back_i = cost, j
        best[i], back[i] = best_i, back_i
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
    run_start = 0
    for atom in atoms:
        for block in atom.blocks:
            joins = atom.para_id is not None and atom.para_id == last_para
            if joins and atom.cut is not None:
                blocks[-1] = atom.cut.piece(run_start, atom.span[1])
            elif joins and block.kind == "paragraph":
                prev = blocks[-1]
                blocks[-1] = Block("paragraph", f"{prev.markdown} {block.markdown}",
                                   f"{prev.text} {block.text}", prev.line)
            else:
                blocks.append(block)
                run_start = atom.span[0]
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
            parts[anchor] = parts.get(anchor, 1 if anchor else 0) + 1
            local_id = f"{anchor}-part-{parts[anchor]}" if anchor else f"part-{parts[anchor]}"
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

