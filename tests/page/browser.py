"""A real headless chromium (Debian's) driven by Selenium through /usr/bin/chromedriver:
no download, no network beyond 127.0.0.1, a fresh profile each time."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from ..helpers import require_tool

WAIT_SECONDS = 20.0
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--window-size=1400,1000",
)


@contextmanager
def chromium(profile: Path) -> Iterator[webdriver.Chrome]:
    binary = require_tool("chromium")
    driver_path = require_tool("chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: webdriver.Chrome) -> WebDriverWait[webdriver.Chrome]:
    return WebDriverWait(driver, WAIT_SECONDS)


def open_page(driver: webdriver.Chrome, url: str) -> None:
    """Load the page and wait until its script says everything is drawn."""
    driver.get(url)
    body = driver.find_element(By.TAG_NAME, "body")
    wait(driver).until(lambda d: body.get_attribute("data-ready") == "true")


@contextmanager
def run_graph(graph: Path, timeout: float = 120.0) -> Iterator[str]:
    """`seldon-graphs run GRAPH --runtime inprocess --port 0`, the real command; yields the
    URL it announces and stops it with Ctrl-C."""
    env = {**os.environ, "SELDON_ENABLE_ROUTING_INJECTION": "1", "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "seldon_graphs.cli", "run", str(graph)]
    argv += ["--runtime", "inprocess", "--port", "0"]
    proc = subprocess.Popen(
        argv, cwd=graph.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        url = _announced_url(proc, timeout)
        # keep reading what it prints, so a full pipe never blocks the server
        threading.Thread(target=_drain, args=(proc,), daemon=True).start()
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def _drain(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    for _ in proc.stdout:
        pass


def _announced_url(proc: subprocess.Popen[bytes], timeout: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break  # the command ended
        seen += line
        marker = b" is up on "
        if marker in line:
            return line.split(marker)[1].split()[0].decode()
    raise AssertionError(f"`seldon-graphs run` did not come up: {seen.decode(errors='replace')}")
