"""The README's screenshot of the page `seldon-graphs run` serves (`make screenshot`).

    .venv/bin/python scripts/screenshot_page.py [GRAPH] [PNG]

Runs GRAPH in-process with the real command, opens its page in Debian's headless chromium,
sends the form's request once, waits for the figures, and writes PNG (whole or not at all).
Needs `apt-get install chromium chromium-driver graphviz`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selenium.webdriver.common.by import By  # noqa: E402

from seldon_graphs.picture import save  # noqa: E402
from tests.page.browser import chromium, open_page, run_graph, wait  # noqa: E402


def screenshot(graph: Path, out: Path) -> None:
    with (
        run_graph(graph) as url,
        tempfile.TemporaryDirectory() as profile,
        chromium(Path(profile)) as driver,
    ):
        open_page(driver, f"{url}/")
        driver.find_element(By.ID, "send").click()
        status = driver.find_element(By.ID, "status")
        wait(driver).until(lambda d: status.text.startswith("HTTP"))
        graph_row = 'tr[data-node="(graph)"] td.requests'
        wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, graph_row).text != "0")
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1400, max(800, int(height) + 160))  # + the window's frame
        save(driver.get_screenshot_as_png(), out)
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", nargs="?", default=str(ROOT / "graphs" / "income.yaml"))
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "page.png"))
    args = parser.parse_args()
    screenshot(Path(args.graph).resolve(), Path(args.out))


if __name__ == "__main__":
    main()
