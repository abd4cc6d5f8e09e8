"""Browser tier: notebook 01 in JupyterLab, driven by headless Chromium (Debian's package).

Starts JupyterLab on a free localhost port with a token in a temporary root holding a copy of
``notebooks/01_browse_and_pick.ipynb``, opens it, runs all cells (the notebook builds its example
model), types into the TensorBrowser search box, waits for the table to filter and saves a
screenshot under ``build/screenshots/``. Skipped where ``/usr/bin/chromium`` is absent
(``apt-get install -y chromium``); Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("TF1_CHROMIUM", "/usr/bin/chromium"))
NOTEBOOK = ROOT / "notebooks" / "01_browse_and_pick.ipynb"
SCREENSHOTS = ROOT / "build" / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TOKEN = "tf1-explorer-browser-test"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab: yields its base URL; stopped (terminate, then kill) in teardown."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    port = _free_port()
    log = open(root / "lab.log", "w")  # noqa: SIM115 - closed in teardown
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.port_retries=0",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {(root / 'lab.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not answer within 90 s") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


def test_notebook_01_runs_and_search_filters_table(lab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.set_default_timeout(60_000)
            page.goto(f"{lab}/lab/tree/{NOTEBOOK.name}?token={TOKEN}")
            page.locator(".jp-NotebookPanel").first.wait_for()
            # JupyterLab 4.6 may still ask which kernel to start: take the notebook's own.
            select = page.get_by_role("button", name="Select", exact=True)
            try:
                select.wait_for(timeout=20_000)
                select.click()
            except PlaywrightTimeout:
                pass
            expect(
                page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            ).to_have_count(1, timeout=90_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            search = page.locator(".tf1x-search input").first
            search.wait_for(timeout=int(os.environ.get("TF1_LAB_TIMEOUT_MS", "180000")))
            table = page.locator(".tf1x-browser .tf1x-table").first
            expect(table).to_contain_text("probs", timeout=60_000)
            search.click()
            search.fill("")
            search.press_sequentially("logits", delay=30)
            rows = table.locator("tbody tr")
            expect(rows.first).to_contain_text("logits", timeout=30_000)
            expect(table).not_to_contain_text("probs", timeout=30_000)
            names = rows.locator("td:first-child").all_inner_texts()
            assert names and all("logits" in n for n in names), names
            page.locator(".tf1x-browser").first.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "lab_01_browse_filtered.png"), full_page=False)
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "lab_01_failure.png"), full_page=False)
            raise
        finally:
            browser.close()
