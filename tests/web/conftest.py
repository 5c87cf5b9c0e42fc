"""Fixtures of the page's browser tests: a real ``optrollup node --dev --web`` and headless Chromium."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.node.node_process import kill_if_running, start_node, target_of
from tests.web.browser import LAUNCH_ARGS, chromium_path

ROOT = Path(__file__).resolve().parents[2]
NO_ORACLE = ("--no-oracle",)  # marks stay: the page and the Query service agree exactly, the market maker does not requote


class WebNode:
    """A dev node with its web page: ``url`` (http://host:port), ``grpc`` (host:port)."""

    def __init__(self, *extra: str) -> None:
        self.proc, self.lines = start_node("--web", "127.0.0.1:0", "--metrics", "off", *extra,
                                           drain=True)
        self.grpc = target_of(self.lines)
        found = [m.group(1) for line in self.lines if (m := re.match(r"web page on (http://\S+?)/? ", line))]
        if not found:
            kill_if_running(self.proc)
            raise AssertionError(f"the node printed no web page URL: {self.lines}")
        self.url = found[0].rstrip("/")

    def close(self) -> None:
        kill_if_running(self.proc)


@pytest.fixture(scope="session")
def web_node():
    node = WebNode(*NO_ORACLE)
    yield node
    node.close()


@pytest.fixture(scope="session")
def browser():
    path, reason = chromium_path()
    if path is None:
        pytest.skip(reason)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # a dev install always has it (pyproject's dev extra)
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page (own storage) at laptop width; page errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
    assert not errors, f"the page threw: {errors}"


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where the views' screenshots go: $OPTROLLUP_SCREENSHOT_DIR (docs/screenshots to refresh the
    README's images) or build/screenshots (the run's artefacts, not committed)."""
    out = Path(os.environ.get("OPTROLLUP_SCREENSHOT_DIR") or ROOT / "build" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out
