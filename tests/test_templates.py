"""Template conventions that keep per-request rendering cheap (#23)."""

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "auroramart" / "templates").rglob("*.html"))
# A form that reverses one URL for its action and again for htmx: reverse it once
# (`{% url … as form_url %}`). On the cart page this was a third of its URL reversals.
REVERSED_TWICE = re.compile(r'action="\{% url ([^%]+?) %\}"[^>]*?hx-(?:post|get)="\{% url \1 %\}"')


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p).split("templates/")[-1])
def test_a_form_reverses_its_url_once(template):
    twice = REVERSED_TWICE.findall(template.read_text())
    assert not twice, f"reverse once with {{% url … as form_url %}}: {twice}"
