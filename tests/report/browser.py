"""Headless Chromium for the report tests: the DOM after the page's script ran, screenshots, and a
small DOM tree to query it.

Chromium is Debian's ``chromium``; without it these tests skip unless TOKENWORTH_REQUIRE_CHROMIUM
is set (CI sets it, so there a missing browser fails instead of skipping).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("TOKENWORTH_REQUIRE_CHROMIUM"):
        pytest.fail("TOKENWORTH_REQUIRE_CHROMIUM is set but no `chromium` is on PATH")
    pytest.skip("headless Chromium is not installed (apt-get install chromium)")


def _run(args: list[str], profile_dir: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=5000",
            f"--user-data-dir={profile_dir}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def rendered_dom(
    page: Path, profile_dir: Path, fragment: str = "", window: tuple[int, int] | None = None
) -> str:
    """The page's DOM after its scripts ran, as Chromium serialises it; ``fragment`` is the URL's
    hash (the report's filters), ``window`` the window size in CSS pixels (no scrollbars)."""
    size = (
        [
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--window-size={window[0]},{window[1]}",
        ]
        if window
        else []
    )
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    return _run([*size, "--dump-dom", url], profile_dir).stdout


def screenshot(page: Path, profile_dir: Path, out: Path, window: tuple[int, int]) -> Path:
    """A PNG of the page in a window of ``window`` CSS pixels, one image pixel per CSS pixel."""
    _run(
        [
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--window-size={window[0]},{window[1]}",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ],
        profile_dir,
    )
    assert out.exists() and out.stat().st_size > 0, f"Chromium wrote no screenshot to {out}"
    return out


_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        """Descendants (and self) with the tag, class and attribute values given
        (``data_x="Oct 2026"`` matches ``data-x``)."""
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        return [
            node
            for node in self.walk()
            if (tag is None or node.tag == tag)
            and (cls is None or cls in node.classes)
            and all(node.attrs.get(name) == value for name, value in wanted.items())
        ]

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, cls, **attrs)
        assert len(found) == 1, f"expected one <{tag} class={cls} {attrs}>, found {len(found)}"
        return found[0]

    def json(self, name: str) -> Any:
        return json.loads(self.attrs[name])


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self._stack[-1].children.append(node)
        if tag not in _VOID:
            self._stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack[-1].children.append(Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth].tag == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


@dataclass
class Page:
    """A rendered report: its DOM tree, with the chart sections by id."""

    root: Node

    @property
    def body(self) -> Node:
        return self.root.one("body")

    def chart(self, chart_id: str) -> Node:
        return self.root.one("section", data_chart=chart_id)

    def charts(self) -> dict[str, Node]:
        return {node.attrs["data-chart"]: node for node in self.root.all("section", "chart")}


def render(page: Path, profile_dir: Path, fragment: str = "", **kwargs: Any) -> Page:
    return Page(parse(rendered_dom(page, profile_dir, fragment, **kwargs)))


def values(section: Node, by: Callable[[Node], Any] | None = None) -> dict[Any, float]:
    """The values a chart drew, by (x label, series name) unless ``by`` says otherwise."""
    key = by or (lambda mark: (mark.attrs["data-x"], mark.attrs["data-series"]))
    drawn: dict[Any, float] = {}
    for mark in section.all(cls="mark"):
        drawn[key(mark)] = drawn.get(key(mark), 0.0) + float(mark.attrs["data-value"])
    return drawn


def table(section: Node) -> list[list[str]]:
    """The table under a chart as rows of cell texts (the header row first)."""
    found = section.all("table")
    assert found, "the chart has no table"
    return [
        [cell.text().strip() for cell in row.all() if cell.tag in ("td", "th")]
        for row in found[0].all("tr")
    ]
