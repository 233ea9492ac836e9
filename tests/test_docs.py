"""The README and docs/: every relative link and image resolves, anchors included, the README
stays short, and every shipped preset's model card is current."""

import os
import re

import pytest

from conftest import REPO

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
PAGES = ["README.md", "CHANGELOG.md"] + sorted(
    os.path.relpath(os.path.join(root, name), REPO)
    for root, _, names in os.walk(os.path.join(REPO, "docs")) for name in names if name.endswith(".md"))


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path):
    with open(path, encoding="utf-8") as f:
        return {slug(line.lstrip("#")) for line in f if re.match(r"#{1,6} ", line)}


def links(path):
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"```.*?```", "", f.read(), flags=re.S)  # code blocks hold no links
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+://", target)]


def broken_links(path):
    """The relative links of the page at `path` whose file, or heading, does not exist."""
    broken = []
    for target in links(path):
        file_part, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
        if not os.path.exists(resolved) or (anchor and anchor not in anchors(resolved)):
            broken.append(target)
    return broken


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_resolves(page):
    assert broken_links(os.path.join(REPO, page)) == []


def test_the_check_reports_a_missing_file_and_a_missing_heading(tmp_path):
    (tmp_path / "other.md").write_text("# Some heading, with (punctuation)\n")
    page = tmp_path / "page.md"
    page.write_text("[ok](other.md#some-heading-with-punctuation) [gone](missing.md) "
                    "[no heading](other.md#elsewhere) ![img](other.md) [web](https://example.com)\n"
                    "```\n[in code](nowhere.md)\n```\n")
    assert broken_links(str(page)) == ["missing.md", "other.md#elsewhere"]


def test_the_readme_is_short():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        assert len(f.read().splitlines()) <= 200


def test_every_shipped_preset_has_a_current_model_card():
    from zoo import model_cards
    presets = model_cards.shipped_presets()
    assert presets
    for preset in presets:
        card = os.path.join(model_cards.CARDS_DIR, f"{preset.name}.md")
        with open(card, encoding="utf-8") as f:
            assert f.read() == model_cards.render(preset), (
                f"{card} is stale: run python -m zoo.model_cards")
        assert os.path.isfile(os.path.join(model_cards.CARDS_DIR, f"{preset.name}_samples.png"))


def test_a_card_needs_what_a_user_asks_of_a_preset():
    import dataclasses
    import zoo
    from zoo import model_cards
    preset = zoo.get_preset("dcgan_mnist")
    bare = dataclasses.replace(preset, metadata={k: v for k, v in preset.metadata.items()
                                                 if k != "limits"})
    with pytest.raises(zoo.ZooError, match="lacks limits"):
        model_cards.render(bare)
