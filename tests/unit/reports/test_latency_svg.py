"""The RDR-5 latency picture: well-formed SVG, no script, texts escaped, one panel per kind."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from checks.readers.long_run import latency_summary
from reports.latency_svg import latency_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_one_panel_per_kind_with_bars_and_percentile_marks() -> None:
    kinds = {
        "case 1": latency_summary([100_000 + 1000 * i for i in range(200)]),
        "case <2> & more": latency_summary([2_000_000] * 5 + [90_000] * 95),
    }
    text = latency_svg(kinds)
    root = ET.fromstring(text)  # well-formed XML
    assert root.tag == f"{SVG}svg"
    assert "<script" not in text and "href" not in text
    assert "case &lt;2&gt; &amp; more" in text
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "case 1" in labels and "case <2> & more" in labels
    assert sum(1 for r in root.iter(f"{SVG}rect")) > 3
    assert labels.count("p99") == 2


def test_no_latency_gives_a_picture_that_says_so() -> None:
    text = latency_svg({"case 1": latency_summary([])})
    assert "no latency recorded" in text
    ET.fromstring(text)
