"""A real browser (headless Debian Chromium via Selenium) against the real server."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

SEED_FILE = Path(__file__).resolve().parents[2] / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"
SEED_TEXT = SEED_FILE.read_text(encoding="utf-8")
ANSWER = "#seedqa-chat .seedqa-answer"
EVIL_FILE = """<b>Zorblax</b> field notes <img src=x onerror="window.__pwned=1">

The zorblax reactor produces 42 megawatts of power <img src=x onerror="window.__pwned=1"> \
for the <script>window.__pwned=1</script> northern valley.

Maintenance crews visit the site every spring. [click](javascript:window.__pwned=1) **bold** \
<svg onload="window.__pwned=1"></svg> <iframe src="javascript:window.__pwned=1"></iframe>
"""


def wait(driver, seconds: float = 60) -> WebDriverWait:
    return WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,))


def open_app(driver, url: str):
    driver.get(url)
    return wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#seedqa-question textarea")
    )


def ask(driver, question: str):
    """Type a question, press Enter, and return the new answer bubble once it is shown."""
    before = len(driver.find_elements(By.CSS_SELECTOR, ANSWER))
    box = driver.find_element(By.CSS_SELECTOR, "#seedqa-question textarea")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ANSWER)) > before)
    return driver.find_elements(By.CSS_SELECTOR, ANSWER)[-1]


def open_tab(driver, name: str) -> None:
    tab = wait(driver).until(
        lambda d: d.find_element(By.XPATH, f"//button[@role='tab' and contains(., '{name}')]")
    )
    tab.click()


def outside_requests(driver, port: int) -> list[str]:
    """Every http(s) request the page made to anything but our server."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return [
        url
        for url in urls
        if urlparse(url).scheme in ("http", "https", "ws", "wss")
        and urlparse(url).netloc != f"127.0.0.1:{port}"
    ]


def test_browser_asks_a_seed_question_and_sees_the_cited_source(server, browser, tmp_path):
    open_app(browser, server.url)
    answer = ask(browser, "How much will Xiaomi invest in 5G, AI and IoT?")
    assert "$7.18 billion" in answer.text
    assert answer.find_elements(By.CSS_SELECTOR, ".seedqa-ref")  # inline [n] markers
    sources = answer.find_elements(By.CSS_SELECTOR, ".seedqa-source")
    assert sources
    assert SEED_FILE.name in sources[0].text  # the file
    assert "characters" in sources[0].find_element(By.CSS_SELECTOR, ".seedqa-loc").text
    marks = answer.find_elements(By.CSS_SELECTOR, "mark.seedqa-mark")
    assert marks and all(m.text in SEED_TEXT for m in marks)
    assert "answered in" in answer.find_element(By.CSS_SELECTOR, ".seedqa-meta").text

    abstained = ask(browser, "What is the capital of France?")
    assert "seedqa-abstain" in abstained.get_attribute("class")
    assert "No answer in your documents" in abstained.text

    screenshot = tmp_path / "chat.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
    assert outside_requests(browser, server.port) == []


def test_browser_follow_up_and_clear(server, browser):
    open_app(browser, server.url)
    ask(browser, "How much will Xiaomi invest in 5G, AI and IoT?")
    follow_up = ask(browser, "and over what period?")  # alone, this one abstains
    assert "five years" in follow_up.text
    browser.find_element(By.CSS_SELECTOR, "#seedqa-clear").click()
    wait(browser, 20).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ANSWER))


def test_uploaded_markup_is_cited_escaped_and_never_runs(server, browser, tmp_path):
    rejected = tmp_path / "tool.exe"
    rejected.write_bytes(b"MZ\x00\x00")
    evil = tmp_path / "zorblax-notes.txt"
    evil.write_text(EVIL_FILE, encoding="utf-8")
    uploads = server.index_dir / "uploads"

    open_app(browser, server.url)
    open_tab(browser, "Documents")
    status = "#seedqa-status"
    wait(browser).until(lambda d: "xiaomi" in d.find_element(By.CSS_SELECTOR, "#seedqa-docs").text)

    upload_input = browser.find_element(By.CSS_SELECTOR, "#seedqa-upload input[type=file]")
    upload_input.send_keys(str(rejected))
    wait(browser).until(lambda d: "rejected" in d.find_element(By.CSS_SELECTOR, status).text)
    assert (
        "tool.exe: file type .exe is not supported"
        in browser.find_element(By.CSS_SELECTOR, status).text
    )
    assert not uploads.exists() or not any(uploads.iterdir())

    upload_input = browser.find_element(By.CSS_SELECTOR, "#seedqa-upload input[type=file]")
    upload_input.send_keys(str(evil))
    wait(browser, 120).until(lambda d: "Added" in d.find_element(By.CSS_SELECTOR, status).text)
    table = browser.find_element(By.CSS_SELECTOR, "#seedqa-docs").text
    assert "uploads/zorblax-notes.txt" in table
    assert '<img src=x onerror="window.__pwned=1">' in table  # the title, shown as text
    assert (uploads / "zorblax-notes.txt").exists()

    open_tab(browser, "Chat")
    answer = ask(browser, "How much power does the zorblax reactor produce?")
    assert "42 megawatts" in answer.text
    assert "uploads/zorblax-notes.txt" in answer.text
    mark = answer.find_element(By.CSS_SELECTOR, "mark.seedqa-mark").text
    assert "42 megawatts" in mark and "<img src=x" in mark  # the markup, as literal text
    for selector in ("img[onerror]", "svg[onload]", "iframe", "a[href^='javascript']"):
        assert browser.find_elements(By.CSS_SELECTOR, selector) == [], selector
    for selector in ("script", "img", "svg", "a"):  # no markup from the document at all
        assert browser.find_elements(By.CSS_SELECTOR, f"{ANSWER} {selector}") == [], selector
    assert browser.execute_script("return window.__pwned") is None
    browser.save_screenshot(str(tmp_path / "upload.png"))

    open_tab(browser, "Documents")
    dropdown = browser.find_element(By.CSS_SELECTOR, "#seedqa-remove-doc input")
    dropdown.click()
    dropdown.send_keys("zorblax-notes")
    option = wait(browser).until(
        lambda d: d.find_element(
            By.CSS_SELECTOR,
            "li[data-testid='dropdown-option'][aria-label$='uploads/zorblax-notes.txt']",
        )
    )
    option.click()
    browser.find_element(By.CSS_SELECTOR, "#seedqa-remove").click()
    wait(browser, 120).until(lambda d: "Removed" in d.find_element(By.CSS_SELECTOR, status).text)
    assert "zorblax" not in browser.find_element(By.CSS_SELECTOR, "#seedqa-docs").text
    assert not (uploads / "zorblax-notes.txt").exists()
    assert browser.execute_script("return window.__pwned") is None
