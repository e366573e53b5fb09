"""The page in a real headless chromium, served by the real `seldon-graphs run`: it loads
with nothing from elsewhere, the picture shows every node, a request from the form returns
the graph's answer with its path and routing marked, and a node's error is shown exactly
as the executor returned it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.common.by import By

from .browser import chromium, open_page, run_graph, wait
from .graph import NODES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def url(demo_graph: Path) -> Iterator[str]:
    with run_graph(demo_graph) as base:
        yield base


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path / "profile") as driver:
        yield driver


def _text(driver: webdriver.Chrome, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def _classes(driver: webdriver.Chrome, element_id: str) -> set[str]:
    return set((driver.find_element(By.ID, element_id).get_attribute("class") or "").split())


def _send(driver: webdriver.Chrome, body: str) -> None:
    box = driver.find_element(By.ID, "request")
    box.clear()
    box.send_keys(body)
    driver.find_element(By.ID, "send").click()
    wait(driver).until(lambda d: _text(d, "status").startswith("HTTP"))


def test_the_page_loads_and_draws_every_node(url: str, browser: webdriver.Chrome) -> None:
    open_page(browser, f"{url}/")
    assert browser.title == "pagedemo · seldon-graphs"
    for name in NODES:
        node = browser.find_element(By.ID, f"node-{name}")
        assert node.is_displayed() and name in node.text
    rows = browser.find_elements(By.CSS_SELECTOR, "#figures tbody tr td.name")
    assert [r.text for r in rows] == ["(graph)", *NODES]
    # nothing blocked (the page's CSP allows only this server), nothing failed to load
    assert browser.get_log("browser") == []


def test_the_form_starts_from_the_graphs_metadata_and_shows_the_curl(
    url: str, browser: webdriver.Chrome
) -> None:
    meta = requests.get(f"{url}/api/v1.0/metadata", timeout=10).json()
    assert meta["graphinputs"][0]["schema"] == {"names": ["height", "width"], "shape": [2]}
    open_page(browser, f"{url}/")
    box = browser.find_element(By.ID, "request")
    prefilled = '{"data":{"ndarray":[[0,0]],"names":["height","width"]}}'
    assert box.get_attribute("value") == prefilled
    assert _text(browser, "request-origin") == "(from the graph's metadata)"
    assert _text(browser, "curl") == (
        f"curl -s '{url}/api/v1.0/predictions' -H 'Content-Type: application/json' \\\n"
        f"     -d '{prefilled}'"
    )


def test_a_request_from_the_form_returns_the_graphs_answer(
    url: str, browser: webdriver.Chrome
) -> None:
    body = '{"data":{"ndarray":[[1,2]]}}'
    open_page(browser, f"{url}/")
    _send(browser, body)
    assert _text(browser, "status").startswith("HTTP 200 · ")
    shown = json.loads(_text(browser, "answer"))
    direct = requests.post(
        f"{url}/api/v1.0/predictions",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    ).json()
    assert shown == direct
    assert shown["data"]["ndarray"] == [[3.0, 5.0]]  # scale x2, then the router's right: +1
    path = json.loads(_text(browser, "request-path"))
    assert set(path) == {"scale", "right"}  # Seldon's: a router's own meta is not merged
    assert json.loads(_text(browser, "routing")) == {"pick": 1, "right": -1, "scale": -1}
    for name in ("scale", "right"):
        assert "visited" in _classes(browser, f"node-{name}"), name
    assert "visited" not in _classes(browser, "node-left")
    assert _classes(browser, "node-pick") == {"node", "routed"}
    chosen = browser.find_elements(By.CSS_SELECTOR, "#picture g.edge.chosen title")
    assert [e.get_attribute("textContent") for e in chosen] == ["n_pick->n_right"]
    assert '\'{"data":{"ndarray":[[1,2]]}}\'' in _text(browser, "curl")


def test_a_node_error_is_shown_as_the_executor_returns_it(
    url: str, browser: webdriver.Chrome
) -> None:
    body = '{"data":{"ndarray":[[-1,-2]]}}'
    direct = requests.post(
        f"{url}/api/v1.0/predictions",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert direct.status_code == 409 and "negative input: model says no" in direct.text
    open_page(browser, f"{url}/")
    _send(browser, body)
    assert _text(browser, "status").startswith("HTTP 409 · ")
    assert "error" in _classes(browser, "status") and "error" in _classes(browser, "answer")
    assert _text(browser, "answer") == direct.text.strip()
    assert "failed" in _classes(browser, "picture")
    assert _text(browser, "request-path") == "" and _text(browser, "routing") == ""


def test_the_figures_count_requests_and_the_last_request_is_kept(
    url: str, browser: webdriver.Chrome
) -> None:
    open_page(browser, f"{url}/")
    before = _figure(browser, "(graph)", "requests")
    body = '{"data":{"ndarray":[[4,4]]}}'
    _send(browser, body)
    wait(browser).until(lambda d: _figure(d, "(graph)", "requests") >= before + 1)
    assert _figure(browser, "right", "requests") >= 1
    p50 = browser.find_element(By.CSS_SELECTOR, 'tr[data-node="(graph)"] td.p50').text
    assert float(p50) > 0
    browser.refresh()
    open_page(browser, f"{url}/")
    assert browser.find_element(By.ID, "request").get_attribute("value") == body
    assert _text(browser, "request-origin") == "(your last request)"


def test_the_page_under_the_ingress_prefix(url: str, browser: webdriver.Chrome) -> None:
    open_page(browser, f"{url}/seldon/demo/pagedemo/")
    _send(browser, '{"data":{"ndarray":[[1,2]]}}')
    assert _text(browser, "status").startswith("HTTP 200 · ")
    assert json.loads(_text(browser, "routing"))["pick"] == 1


def _figure(driver: webdriver.Chrome, node: str, column: str) -> int:
    cell = driver.find_element(By.CSS_SELECTOR, f'tr[data-node="{node}"] td.{column}')
    return int(cell.text)
