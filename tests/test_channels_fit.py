"""Counting and fitting as each platform counts: graphemes, URLs, UTF-16, escaping, limits."""

from __future__ import annotations

import pytest

from trustpublish.channels.fitting import count, fit_text
from trustpublish.render.social import (
    ELLIPSIS,
    bluesky_facets,
    graphemes,
    hashtags_from,
    linkedin_escape,
)

FAMILY = "👩🏽‍👩🏿‍👧🏻‍👦"  # ZWJ sequence with skin tones: 1 grapheme, 10 code points
THUMB = "👍🏾"              # skin tone modifier: 1 grapheme, 2 code points
ACCENT = "e\u0301"          # e + combining acute: 1 grapheme, 2 code points
CJK = "信任很重要"            # 5 graphemes, 5 code points, 15 UTF-8 bytes


def test_graphemes_count_what_people_see():
    assert graphemes(FAMILY) == 1 and len(FAMILY) == 10
    assert graphemes(THUMB) == 1 and graphemes(ACCENT) == 1 and graphemes(CJK) == 5
    assert count("bluesky", FAMILY + THUMB + ACCENT + CJK) == 8


def test_mastodon_counts_any_url_as_23():
    long_url = "https://clinic.example/" + "a" * 300 + "?utm_source=mastodon&utm_medium=social"
    assert count("mastodon", f"Read {long_url}") == 5 + 23
    assert count("mastodon", f"{FAMILY} https://t.co") == 2 + 23


def test_telegram_and_discord_count_utf16_after_entities():
    assert count("telegram", "a &amp; b") == 5           # entities count as the character
    assert count("telegram", THUMB) == 4                 # two astral code points
    assert count("discord", CJK) == 5


def test_linkedin_escapes_reserved_characters_but_not_urls():
    text = "Care (and *trust*) #Therapy @clinic_team https://x.example/a_b(c)"
    assert linkedin_escape(text) == ("Care \\(and \\*trust\\*\\) {hashtag|\\#|Therapy} "
                                     "\\@clinic\\_team https://x.example/a_b(c)")
    assert linkedin_escape("\\ | { } [ ] < > ~") == "\\\\ \\| \\{ \\} \\[ \\] \\< \\> \\~"


def test_bluesky_facets_use_utf8_byte_offsets():
    text = f"{FAMILY} café 信任 see example.org/x #Trust"
    facets = bluesky_facets(text, {"example.org/x": "https://example.org/x?utm=1"})
    raw = text.encode()
    link = facets[0]["index"]
    assert raw[link["byteStart"]:link["byteEnd"]] == b"example.org/x"
    tag = facets[1]["index"]
    assert raw[tag["byteStart"]:tag["byteEnd"]] == b"#Trust"
    assert link["byteStart"] != text.index("example.org")  # bytes differ from characters


def test_hashtags_from_tags():
    assert hashtags_from(["mental health", "trust", "Trust", "café"]) == [
        "#MentalHealth", "#Trust", "#Café"]


CFG = {"type": "discord", "hashtags": False}
TEMPLATE_OVERHEAD = len("\n\nL")  # text + blank line + link "L"


def fit(sentences, type_name="discord", **cfg):
    return fit_text(sentences, type_name, "c", {"type": type_name, "hashtags": False, **cfg},
                    link="L")


@pytest.mark.parametrize("type_name, limit", [("discord", 2000), ("telegram", 4096),
                                              ("bluesky", 300), ("slack", 3000),
                                              ("linkedin", 3000), ("facebook", 63206)])
def test_text_exactly_at_the_limit_fits_and_one_more_is_cut(type_name, limit):
    overhead = count(type_name, fit(["x."], type_name).text) - 2
    at_limit = "y" * (limit - overhead - 1) + "."
    exact = fit([at_limit], type_name)
    assert exact.counts == (limit,) and exact.fits and not exact.truncated
    over = fit(["Short words here " * (limit // 16) + "end."], type_name)
    assert over.fits and over.truncated and over.counts[0] <= limit
    assert ELLIPSIS in over.text and "Short words here" in over.text
    assert not over.text.split(ELLIPSIS)[0].endswith(" ")  # cut at a word boundary


def test_whole_sentences_only_when_they_fit():
    sentences = ["First sentence here.", "Second one is longer than the budget allows.", "Third."]
    fitted = fit(sentences, max_characters=len("First sentence here.") + TEMPLATE_OVERHEAD + 5)
    assert fitted.text.startswith("First sentence here.\n") and "Second" not in fitted.text
    assert not fitted.truncated


def test_bluesky_emoji_grapheme_budget_at_and_over_300():
    # 297 family emoji (2970 code points) + "\n\nL" = 300 graphemes: fits, though far over
    # 300 code points
    fits = fit([FAMILY * 297], "bluesky")
    assert fits.counts == (300,) and not fits.truncated
    over = fit([FAMILY * 298], "bluesky")
    assert over.truncated and over.counts[0] <= 300


def test_mastodon_thread_mode_numbers_parts_within_the_limit():
    sentences = [f"Sentence number {i} talks about trust in therapy." for i in range(30)]
    fitted = fit_text(sentences, "mastodon", "m", {"type": "mastodon", "thread": True,
                                                   "hashtags": False}, link="https://x.example/a")
    n = len(fitted.parts)
    assert n > 1 and all(c <= 500 for c in fitted.counts)
    assert [f"({i}/{n})" in p for i, p in enumerate(fitted.parts, 1)] == [True] * n
    assert "https://x.example/a" in fitted.parts[0]
    joined = " ".join(fitted.parts)
    assert all(s in joined for s in sentences)  # nothing lost


def test_thread_mode_is_refused_for_channels_without_replies():
    from trustpublish.errors import ConfigError

    with pytest.raises(ConfigError, match="thread mode"):
        fit(["a."], "linkedin", thread=True)


def test_project_template_overrides_package_default(tmp_path):
    (tmp_path / "social").mkdir()
    (tmp_path / "social" / "discord.txt.j2").write_text("NEW: {{ text }} -> {{ link }}\n")
    fitted = fit_text(["Hello."], "discord", "c", {"type": "discord"}, link="L",
                      templates=tmp_path)
    assert fitted.text == "NEW: Hello. -> L"
