"""Generated blog posts for the build benchmark: the same posts for trustpublish, Pelican, Hugo.

``write_posts(folder, n)`` writes ``n`` Markdown posts of about 2,000 words in 8–12
``##`` sections (some with ``###`` subsections, bullet lists and a table), all
``status: approved``, with front matter every tool understands (title, date, slug,
summary, tags). Deterministic: post ``i`` is the same on every run.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

__all__ = ["write_posts", "post_text", "edit_post"]

_WORDS = (
    "therapy trust client therapist session feeling anxiety support change goal progress "
    "practice listen reflect boundary safety calm breathing routine sleep habit stress family "
    "partner work balance emotion thought pattern behaviour skill coping resilience growth "
    "healing pain memory future present moment attention kindness patience effort small step "
    "week morning evening journal stroll conversation question answer honest open gentle steady "
    "clear simple careful useful common early late often sometimes together alone with without "
    "because while when after before during through about between around under over the a an "
    "and or but so yet of to in on for from into onto than that this these those it they we"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(9, 22))]
    if rng.random() < 0.15:
        i = rng.randrange(len(words) - 2)
        words[i] = f"**{words[i]}**"
    if rng.random() < 0.08:
        i = rng.randrange(len(words) - 2)
        words[i] = f"[{words[i]}](https://example.org/{words[i].strip('*')})"
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, words: int) -> str:
    out: list[str] = []
    count = 0
    while count < words:
        sentence = _sentence(rng)
        out.append(sentence)
        count += len(sentence.split())
    return " ".join(out)


def _title(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n)).capitalize()


def post_text(i: int, edit: int = 0) -> str:
    """The Markdown file of post ``i`` (``edit`` > 0 changes one paragraph's text)."""
    rng = random.Random(i)
    date = dt.datetime(2020, 1, 1, 9) + dt.timedelta(hours=3 * i)  # 10,000 posts end in 2023
    slug = f"post-{i:05d}"
    sections = rng.randint(8, 12)
    per_section = 1750 // sections
    body: list[str] = []
    for s in range(sections):
        body.append(f"## {_title(rng, rng.randint(2, 5))} {s + 1}")
        left = per_section
        if rng.random() < 0.4:
            body.append(_paragraph(rng, 40) + " These points help:")
            body.append("\n".join(f"- {_paragraph(rng, 8)}" for _ in range(rng.randint(3, 5))))
            left -= 80
        if rng.random() < 0.1:
            body.append("| step | what | how often |\n|---|---|---|\n"
                        + "\n".join(f"| {k} | {_title(rng, 2)} | {_title(rng, 1)} |"
                                    for k in range(1, 4)))
        if rng.random() < 0.3:
            body.append(f"### {_title(rng, 3)}")
        while left > 0:
            size = min(left, rng.randint(60, 110))
            body.append(_paragraph(rng, size))
            left -= size
    if edit:
        body[1] = body[1] + f" Edited {edit} times."
    tags = sorted({rng.choice(_WORDS[:40]) for _ in range(3)})
    head = (f"---\ntitle: {_title(rng, 6)} {i}\ndate: {date:%Y-%m-%d %H:%M}\nslug: {slug}\n"
            f"summary: {_title(rng, 12)}.\ntags: [{', '.join(tags)}]\nstatus: approved\n---\n\n")
    return head + "\n\n".join(body) + "\n"


def write_posts(folder: Path, n: int) -> int:
    """Write ``n`` posts into ``folder``; returns their total size in bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        data = post_text(i).encode()
        (folder / f"post-{i:05d}.md").write_bytes(data)
        total += len(data)
    return total


def edit_post(folder: Path, i: int, edit: int) -> None:
    """Change one paragraph of post ``i`` (the "one-post edit")."""
    (folder / f"post-{i:05d}.md").write_text(post_text(i, edit), encoding="utf-8")
