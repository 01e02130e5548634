"""Eight chats at once through the Gradio API: all complete, each with its own correct answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import chat_load

pytestmark = pytest.mark.slow


def test_eight_concurrent_chats_get_correct_independent_answers(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    status = chat_load.main(["--chats", "8", "--out", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))
    problems = {r["id"]: r["problems"] for r in report["results"] if r["problems"]}
    assert status == 0 and problems == {}, problems
    assert report["chats"] == 8
    assert len({r["id"] for r in report["results"]}) == 8
    assert report["rss_peak_mib"] >= report["rss_idle_mib"] > 0
