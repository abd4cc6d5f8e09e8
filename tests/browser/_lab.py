"""Helpers the browser tests share: open a notebook in JupyterLab, run it, read what a person
sees in its outputs, take screenshots, and stop kernels (a 2-core machine runs one at a time)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.browser.conftest import SCREENSHOTS, TOKEN

RUN_TIMEOUT_MS = int(os.environ.get("TF1_LAB_TIMEOUT_MS", "240000"))

# What must never be in an output a person sees.
PROBLEMS = {
    "traceback": re.compile(r"Traceback \(most recent call last\)|^\w+Error: ", re.M),
    "figure shown as text": re.compile(r"<\w*Figure size \d+x\d+ with \d+ Axes>"),
    "raw widget repr": re.compile(r"\w+\(children=\("),
    "widget not displayed": re.compile(r"Error displaying widget|model not found"),
}

_STATE_JS = """
() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const prompts = cells.map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || '');
  const errors = [...document.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => /Traceback \\(most recent call last\\)/.test(o.textContent));
  if (errors.length) return 'error';
  if (prompts.length && prompts.every(p => /\\[\\d+\\]/.test(p))) return 'done';
  return false;
}
"""

_PROMPTS_JS = """
() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
  .map(p => p.textContent || '').join('|')
"""

_OUTPUTS_JS = """
() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map((cell, i) => ({
  cell: i,
  outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => ({
    mime: o.getAttribute('data-mime-type') || '',
    text: o.innerText || '',
    images: o.querySelectorAll('img').length,
  })),
}))
"""


class Lab:
    """One JupyterLab (``url``) seen through one Playwright ``page``."""

    def __init__(self, url: str, page: Any) -> None:
        self.url, self.page = url, page

    # -- notebooks ----------

    def open(self, name: str) -> None:
        """Open notebook ``name`` (a path under the lab's root) and wait for its kernel."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import expect

        page = self.page
        page.goto(f"{self.url}/lab/tree/{name}?reset&token={TOKEN}")  # only this notebook open
        page.locator(".jp-NotebookPanel").first.wait_for()
        # JupyterLab asks which kernel to start (take the notebook's own) only where it started
        # none (its kernel specs not loaded yet under load, a failed start), and its indicator
        # reads idle before it asks: wait for the server's session of this notebook with an idle
        # kernel, answering the question if it comes (no fixed wait for one that never comes).
        deadline = time.monotonic() + 90
        while not self._kernel_idle(name):
            if self._select_kernel().is_visible():
                self._select_kernel().click()
            if time.monotonic() > deadline:
                raise PlaywrightTimeout(f"no idle kernel for {name} within 90 s")
            page.wait_for_timeout(250)
        expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
            1, timeout=90_000
        )

    def _kernel_idle(self, name: str) -> bool:
        """Whether the server holds a session of notebook ``name`` whose kernel is idle."""
        with urllib.request.urlopen(f"{self.url}/api/sessions?token={TOKEN}", timeout=10) as r:
            sessions = json.load(r)
        return any(
            s.get("path") == name and (s.get("kernel") or {}).get("execution_state") == "idle"
            for s in sessions
        )

    def _select_kernel(self) -> Any:
        return self.page.get_by_role("button", name="Select", exact=True)

    def run_all(self) -> None:
        """Run ▸ Run All Cells, and wait until every code cell has run (or one raised)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        page = self.page
        before = page.evaluate(_PROMPTS_JS)  # stored notebooks keep their old [n] prompts
        for attempt in (1, 2):  # a Run All sent before the kernel listens runs nothing: again
            if self._select_kernel().is_visible():  # a kernel question that came late
                self._select_kernel().click()
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            try:
                page.wait_for_function(
                    f"(before) => ({_PROMPTS_JS})() !== before",
                    arg=before,
                    timeout=30_000,
                    polling=500,
                )
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        handle = page.wait_for_function(_STATE_JS, timeout=RUN_TIMEOUT_MS, polling=500)
        state = handle.json_value()
        assert state == "done", f"a cell raised: {self.problems()}"

    def outputs(self) -> list[dict[str, Any]]:
        """Every code cell's outputs as shown: mime type, visible text, number of images."""
        return self.page.evaluate(_OUTPUTS_JS)

    def problems(self) -> list[str]:
        """What a person should never see: stderr boxes, tracebacks, figures as text, raw widget
        reprs. One line per problem, naming the cell."""
        out = []
        for cell in self.outputs():
            for o in cell["outputs"]:
                head = o["text"].strip().replace("\n", " ")[:160]
                if o["mime"] == "application/vnd.jupyter.stderr":
                    out.append(f"cell {cell['cell']}: stderr: {head}")
                for what, pattern in PROBLEMS.items():
                    if pattern.search(o["text"]):
                        out.append(f"cell {cell['cell']}: {what}: {head}")
        return out

    def shot(self, name: str, target: Any = None) -> Path:
        """A screenshot of the window (``target`` scrolled into view first) as ``name.png``."""
        if target is not None:
            target.scroll_into_view_if_needed()
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path

    def stop_kernels(self) -> None:
        """Shut every kernel down (frees the memory TensorFlow took), not waiting the seconds a
        kernel holding TensorFlow takes to exit: the next test opens its notebook meanwhile."""
        req = urllib.request.Request(f"{self.url}/api/kernels?token={TOKEN}")
        with urllib.request.urlopen(req, timeout=10) as r:
            kernels = json.load(r)
        for k in kernels:
            url = f"{self.url}/api/kernels/{k['id']}?token={TOKEN}"
            threading.Thread(target=_delete, args=(url,), daemon=True).start()


def _delete(url: str) -> None:
    with contextlib.suppress(OSError):  # gone already (asked twice, or the lab stopped)
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30)


def write_notebook(path: Path, cells: list[str]) -> Path:
    """A minimal notebook of code cells (no outputs), for the lab to open and run."""
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": src,
            }
            for src in cells
        ],
        "metadata": {
            "kernelspec": {
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "name": "python3",
            },
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb, indent=1))
    return path
