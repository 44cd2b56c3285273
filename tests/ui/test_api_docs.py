"""/docs of `seedqa serve` in a real browser: Swagger UI renders, and nothing leaves the machine."""

from __future__ import annotations

import json
from urllib.parse import urlparse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def requested_hosts(driver) -> set[str]:
    hosts = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = urlparse(message["params"]["request"]["url"])
            if url.scheme in ("http", "https", "ws", "wss"):
                hosts.add(url.netloc)
    return hosts


def test_docs_page_renders_every_route_offline(api_server, browser):
    browser.get(api_server.url + "docs")
    wait = WebDriverWait(browser, 60)
    title = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title"))
    assert "seedqa" in title.text
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 9)
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/v1/ask", "/v1/chat/completions", "/v1/documents/{doc_id}"} <= paths
    assert browser.find_elements(By.CSS_SELECTOR, ".btn.authorize")  # the bearer key
    assert requested_hosts(browser) == {f"127.0.0.1:{api_server.port}"}
