"""The cold deep link: a page run outside the router's frame is sent back through the navigation."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from face import coldlink


def test_inside_the_frame_a_page_runs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    reruns: list[bool] = []
    monkeypatch.setattr(st, "rerun", lambda: reruns.append(True))
    with coldlink.in_frame():
        assert coldlink.routed_by_frame()
        coldlink.ensure_in_frame()
    assert reruns == [] and not coldlink.routed_by_frame()


def test_outside_the_frame_the_legacy_pages_mode_is_switched_off_and_the_run_repeated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reruns: list[bool] = []
    monkeypatch.setattr(st, "rerun", lambda: reruns.append(True))
    monkeypatch.setattr(PagesManager, "uses_pages_directory", True)
    coldlink.ensure_in_frame()
    assert reruns == [True] and PagesManager.uses_pages_directory is False


def test_the_frame_ends_even_when_the_page_raises() -> None:
    with pytest.raises(RuntimeError), coldlink.in_frame():
        raise RuntimeError("page failed")
    assert not coldlink.routed_by_frame()
