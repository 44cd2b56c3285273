"""A real browser (headless Debian Chromium via Selenium) against the real server.

One server and one browser for the whole session; the tests run in file
order and each starts a new chat. They take the README's screenshots: into
a temporary folder, or into ``$SEEDQA_SCREENSHOTS`` (``make screenshots``
sets it to docs/screenshots/).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parents[2]
SEED_FILE = REPO / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"
SEED_TEXT = SEED_FILE.read_text(encoding="utf-8")
SCREENSHOTS = Path(os.environ.get("SEEDQA_SCREENSHOTS") or tempfile.mkdtemp(prefix="seedqa-shots-"))
ANSWER = "#seedqa-chat .seedqa-answer"
VIEWER_FOCUS = "#seedqa-viewer .seedqa-hl-focus"
EVIL_FILE = """<b>Zorblax</b> field notes <img src=x onerror="window.__pwned=1">

The zorblax reactor produces 42 megawatts of power <img src=x onerror="window.__pwned=1"> \
for the <script>window.__pwned=1</script> northern valley.

Maintenance crews visit the site every spring. [click](javascript:window.__pwned=1) **bold** \
<svg onload="window.__pwned=1"></svg> <iframe src="javascript:window.__pwned=1"></iframe>
"""
MARKDOWN_FILE = """# Sourdough notes

Our sourdough starter is called **Gerald** and lives in the fridge.

## Feeding

Gerald is fed with rye flour every morning. [evil](javascript:window.__pwned=1) \
<img src=x onerror="window.__pwned=1">
"""
HTML_FILE = """<html><head><title>Kettle manual</title><script>window.__pwned=1</script></head>
<body><h1>Kettle manual</h1><p>The quartz kettle boils one litre of water in <b>90 seconds</b>.
</p><p>Descale the quartz kettle every month with vinegar.</p>
<img src=x onerror="window.__pwned=1"></body></html>
"""


def wait(driver, seconds: float = 60) -> WebDriverWait:
    return WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,))


def open_app(driver, url: str, new_chat: bool = True) -> None:
    driver.get(url)
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#seedqa-question textarea"))
    if new_chat:
        driver.find_element(By.CSS_SELECTOR, "#seedqa-new-chat").click()
        wait(driver, 20).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ANSWER))


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


def open_source(driver, answer):
    """Open the source of the answer's first citation (or first closest passage)."""
    refs = answer.find_elements(By.CSS_SELECTOR, ".seedqa-ref")
    if refs:
        refs[0].click()
    button = next(b for b in answer.find_elements(By.CSS_SELECTOR, ".seedqa-open-source")
                  if b.is_displayed())  # fmt: skip
    button.click()
    return wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, VIEWER_FOCUS))


def in_view(driver, element) -> bool:
    """True when ``element`` is inside the viewer's visible area (it was scrolled to)."""
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "const v = document.querySelector('#seedqa-viewer').getBoundingClientRect();"
        "return r.top >= v.top && r.bottom <= v.bottom;",
        element,
    )


def close_viewer(driver) -> None:
    driver.find_element(By.CSS_SELECTOR, "#seedqa-viewer-close").click()
    wait(driver, 20).until(lambda d: not d.find_elements(By.CSS_SELECTOR, VIEWER_FOCUS))


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


def test_citations_open_their_card_declines_show_closest_passages(server, browser):
    open_app(browser, server.url)
    answer = ask(browser, "How much will Xiaomi invest in 5G, AI and IoT?")
    assert "$7.18 billion" in answer.text
    refs = answer.find_elements(By.CSS_SELECTOR, ".seedqa-ref")
    cards = answer.find_elements(By.CSS_SELECTOR, "details.seedqa-source")
    assert refs and len(cards) == len(refs)
    assert SEED_FILE.name in cards[0].text and "characters" in cards[0].text
    assert all(card.get_attribute("open") is None for card in cards)  # collapsed at first
    refs[-1].click()  # [n] opens card n, and only that one
    n = len(refs)
    wait(browser, 10).until(lambda d: cards[-1].get_attribute("open") is not None)
    assert "seedqa-card-" + str(n) in cards[-1].get_attribute("class")
    assert all(card.get_attribute("open") is None for card in cards[:-1])
    mark = cards[-1].find_element(By.CSS_SELECTOR, "mark.seedqa-hl")
    assert mark.is_displayed() and mark.text in SEED_TEXT
    assert "answered in" in answer.find_element(By.CSS_SELECTOR, ".seedqa-meta").text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "chat.png"))

    declined = ask(browser, "What is the capital of France?")
    assert "seedqa-abstain" in declined.get_attribute("class")
    assert "The documents don't say" in declined.text
    assert "closest passages (not an answer)" in declined.text.lower()
    assert "rephrasing" in declined.text
    closest = declined.find_elements(By.CSS_SELECTOR, ".seedqa-closest-item")
    assert 1 <= len(closest) <= 3
    assert not declined.find_elements(By.CSS_SELECTOR, ".seedqa-ref")
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'start'}); window.scrollTo(0, 0);", declined
    )
    assert not declined.find_element(By.CSS_SELECTOR, ".seedqa-copytext").is_displayed()
    browser.save_screenshot(str(SCREENSHOTS / "decline.png"))
    assert outside_requests(browser, server.port) == []


def test_follow_up_and_clear(server, browser):
    open_app(browser, server.url)
    ask(browser, "How much will Xiaomi invest in 5G, AI and IoT?")
    follow_up = ask(browser, "and over what period?")  # alone, this one abstains
    assert "five years" in follow_up.text
    browser.find_element(By.CSS_SELECTOR, "#seedqa-clear").click()
    wait(browser, 20).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ANSWER))


def test_feedback_is_written_and_a_reload_keeps_the_conversations(server, browser):
    feedback = server.index_dir / "feedback.jsonl"
    open_app(browser, server.url)
    answer = ask(browser, "How much had Xiaomi committed before?")
    answer.find_element(By.CSS_SELECTOR, ".seedqa-act-up").click()
    wait(browser, 30).until(lambda d: feedback.exists() and feedback.read_text().strip())
    record = json.loads(feedback.read_text().splitlines()[-1])
    assert record["rating"] == "up"
    assert record["question"] == "How much had Xiaomi committed before?"
    assert record["citations"] and record["citations"][0][0] == "seeds/" + SEED_FILE.name
    note = wait(browser, 20).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#seedqa-note textarea")
    )
    note.send_keys("Right figure, right sentence.")
    browser.find_element(By.CSS_SELECTOR, "#seedqa-note-save").click()
    wait(browser, 30).until(lambda d: "Right figure" in feedback.read_text())
    assert json.loads(feedback.read_text().splitlines()[-1])["note"] == (
        "Right figure, right sentence."
    )
    wait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"{ANSWER} .seedqa-act-up.seedqa-act-on")
    )

    answer = browser.find_elements(By.CSS_SELECTOR, ANSWER)[-1]
    answer.find_element(By.CSS_SELECTOR, ".seedqa-act-copy").click()
    copied = wait(browser, 10).until(lambda d: d.execute_script("return window.__seedqaCopied"))
    assert copied.startswith("Xiaomi had already committed $1.43 billion") and "Sources:" in copied
    answer.find_element(By.CSS_SELECTOR, ".seedqa-act-retry").click()  # asked again, in place
    wait(browser, 60).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, f"{ANSWER} .seedqa-act-up.seedqa-act-on")
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, ANSWER)) == 1
    assert "1.43 billion" in browser.find_elements(By.CSS_SELECTOR, ANSWER)[-1].text
    browser.find_elements(By.CSS_SELECTOR, f"{ANSWER} .seedqa-act-up")[-1].click()
    wait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"{ANSWER} .seedqa-act-up.seedqa-act-on")
    )

    browser.refresh()  # the conversation and the list of chats survive a reload
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ANSWER))
    restored = browser.find_elements(By.CSS_SELECTOR, ANSWER)[-1]
    assert "1.43 billion" in restored.text
    assert restored.find_elements(By.CSS_SELECTOR, ".seedqa-act-up.seedqa-act-on")
    chats = browser.find_element(By.CSS_SELECTOR, "#seedqa-chats").text
    assert "How much had Xiaomi committed before?" in chats
    assert "How much will Xiaomi invest in 5G, AI and IoT?" in chats  # the first test's chat
    follow_up = ask(browser, "and over what period?")  # the history survived too
    assert "five years" in follow_up.text

    browser.find_element(By.CSS_SELECTOR, "#seedqa-delete-chat").click()
    wait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#seedqa-delete-no")).click()
    assert "How much had Xiaomi committed before?" in chats  # "Keep": nothing deleted
    browser.find_element(By.CSS_SELECTOR, "#seedqa-delete-chat").click()
    wait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#seedqa-delete-yes")).click()
    wait(browser, 20).until(
        lambda d: "How much had Xiaomi committed before?"
        not in d.find_element(By.CSS_SELECTOR, "#seedqa-chats").text
    )


def test_uploads_render_safely_open_in_the_viewer_and_removal_needs_confirmation(
    server, browser, tmp_path
):
    rejected = tmp_path / "tool.exe"
    rejected.write_bytes(b"MZ\x00\x00")
    files = {"zorblax-notes.txt": EVIL_FILE, "sourdough.md": MARKDOWN_FILE,
             "kettle.html": HTML_FILE}  # fmt: skip
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    uploads = server.index_dir / "uploads"
    status = "#seedqa-status"

    open_app(browser, server.url)
    open_tab(browser, "Documents")
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
    upload_input.send_keys("\n".join(str(tmp_path / name) for name in files))
    wait(browser, 180).until(lambda d: "Added" in d.find_element(By.CSS_SELECTOR, status).text)
    table = browser.find_element(By.CSS_SELECTOR, "#seedqa-docs").text
    assert "uploads/zorblax-notes.txt" in table and "uploads/kettle.html" in table
    assert '<img src=x onerror="window.__pwned=1">' in table  # the title, shown as text

    open_tab(browser, "Chat")
    answer = ask(browser, "How much power does the zorblax reactor produce?")
    assert "42 megawatts" in answer.text and "uploads/zorblax-notes.txt" in answer.text
    answer.find_element(By.CSS_SELECTOR, ".seedqa-ref").click()
    mark = wait(browser, 10).until(
        lambda d: answer.find_element(By.CSS_SELECTOR, "details[open] mark.seedqa-hl")
    )
    assert "42 megawatts" in mark.text and "<img src=x" in mark.text  # markup as literal text
    for selector in ("img[onerror]", "svg[onload]", "iframe", "a[href^='javascript']"):
        assert browser.find_elements(By.CSS_SELECTOR, selector) == [], selector
    for selector in ("script", "img", "svg", "a"):
        assert browser.find_elements(By.CSS_SELECTOR, f"{ANSWER} {selector}") == [], selector

    markdown = ask(browser, "What is our sourdough starter called?")
    focus = open_source(browser, markdown)
    viewer = browser.find_element(By.CSS_SELECTOR, "#seedqa-viewer")
    assert viewer.find_element(By.CSS_SELECTOR, ".seedqa-doc-md h1").text == "Sourdough notes"
    assert "Gerald" in viewer.find_element(By.CSS_SELECTOR, "strong").text  # **Gerald** rendered
    assert focus.text in MARKDOWN_FILE.replace("**", "") and in_view(browser, focus)
    assert "**" not in viewer.text and not viewer.find_elements(By.CSS_SELECTOR, "a, img")
    browser.save_screenshot(str(SCREENSHOTS / "source-viewer.png"))
    close_viewer(browser)

    kettle = ask(browser, "How many seconds does the quartz kettle need to boil a litre of water?")
    focus = open_source(browser, kettle)
    viewer = browser.find_element(By.CSS_SELECTOR, "#seedqa-viewer")
    assert "Kettle manual" in viewer.text and "HTML" in viewer.text
    assert "quartz kettle" in focus.text and in_view(browser, focus)
    assert "<p>" not in viewer.text and not viewer.find_elements(By.CSS_SELECTOR, "script, img")
    close_viewer(browser)
    assert browser.execute_script("return window.__pwned") is None

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
    confirm = wait(browser, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, "#seedqa-confirm"))
    assert "uploads/zorblax-notes.txt" in confirm.text and "cannot be undone" in confirm.text
    assert (uploads / "zorblax-notes.txt").exists()  # nothing happens before the confirmation
    browser.find_element(By.CSS_SELECTOR, "#seedqa-confirm-no").click()
    wait(browser, 20).until(
        lambda d: "Nothing was removed" in d.find_element(By.CSS_SELECTOR, status).text
    )
    assert (uploads / "zorblax-notes.txt").exists()
    browser.find_element(By.CSS_SELECTOR, "#seedqa-remove").click()
    wait(browser, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, "#seedqa-confirm-yes"))
    browser.find_element(By.CSS_SELECTOR, "#seedqa-confirm-yes").click()
    wait(browser, 120).until(lambda d: "Removed" in d.find_element(By.CSS_SELECTOR, status).text)
    assert "zorblax" not in browser.find_element(By.CSS_SELECTOR, "#seedqa-docs").text
    assert not (uploads / "zorblax-notes.txt").exists()
    assert browser.execute_script("return window.__pwned") is None
