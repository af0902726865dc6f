"""The studio page end to end in headless Chromium: what a person does, through the real API."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from tests.support.studio import (
    AXE_SCRIPT,
    DAILY_LIMIT,
    PASSWORD,
    api_account,
    api_piece,
    new_username,
    screenshot,
)


def wait_until_true(page: Any, expression: str, timeout_s: float = 20) -> None:
    """Polls a JavaScript expression (wait_for_function evaluates strings, which the page's
    CSP forbids; page.evaluate goes through the DevTools protocol, which it does not)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def sign_up(page: Any, username: str) -> None:
    page.get_by_role("tab", name="Create account").click()
    form = page.locator("#signup-form")
    form.get_by_label("Full name").fill("Ada Lovelace")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Email").fill(f"{username}@example.com")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    page.get_by_text(f"Signed in as {username}").wait_for()


def sign_in_with_keyboard(page: Any, username: str) -> None:
    page.get_by_label("Username").first.focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_text(f"Signed in as {username}").wait_for()


def compose(page: Any, prompt: str) -> None:
    page.get_by_label("Describe the piece").fill(prompt)
    page.get_by_label("Mood").select_option("Dreamy")
    page.get_by_label("Instruments").fill("piano, pad, bells")
    page.get_by_label(re.compile("^Tempo")).fill("84")
    page.get_by_label(re.compile("^Length")).fill("5")
    page.get_by_role("button", name="Compose").click()


def wait_for_piece(page: Any) -> None:
    page.get_by_text("Done: your piece is ready.").wait_for(timeout=60_000)
    page.wait_for_selector("#waveform[data-drawn=true]")
    wait_until_true(page, "document.querySelector('#audio').duration > 4")


def whole_flow(page: Any, origin_of_api: str) -> list[str]:
    """Sign up, compose with live progress, play, replay, download, delete, sign out."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    media_ranges: list[str | None] = []
    page.on(
        "request",
        lambda request: (
            media_ranges.append(request.headers.get("range")) if "/media/" in request.url else None
        ),
    )
    progress: list[str] = []
    page.expose_function("recordProgress", lambda text: progress.append(text))
    page.add_init_script(
        "new MutationObserver(() => window.recordProgress?.("
        "document.querySelector('#job-status')?.textContent ?? ''))"
        ".observe(document, {subtree: true, childList: true, characterData: true});"
    )
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    username = new_username()
    sign_up(page, username)
    page.get_by_text(f"{DAILY_LIMIT} of {DAILY_LIMIT} pieces left today").wait_for()
    compose(page, "Moonlight over a quiet harbour")
    wait_for_piece(page)
    assert any(text.startswith(("Composing", "Waiting")) for text in progress), progress
    assert page.get_by_text(f"{DAILY_LIMIT - 1} of {DAILY_LIMIT} pieces left today").is_visible()
    entry = page.locator("#history-list li").first
    assert "Moonlight over a quiet harbour" in entry.inner_text()
    screenshot(page, f"flow-{origin_of_api}")

    entry.get_by_role("button", name=re.compile("^Play")).click()
    wait_until_true(page, "document.querySelector('#audio').currentTime > 0.2")
    # The player streams the entry's signed media_url (no header), and seeks with Range.
    source = page.evaluate("document.querySelector('#audio').currentSrc")
    assert "/media/" in source and "signature=" in source, source
    page.evaluate("document.querySelector('#audio').currentTime = 3")
    wait_until_true(
        page,
        "document.querySelector('#audio').currentTime >= 3"
        " && !document.querySelector('#audio').seeking",
    )
    assert any(value and value.startswith("bytes=") for value in media_ranges), media_ranges
    with page.expect_download() as download_info:
        entry.get_by_role("button", name=re.compile("^Download.* as MP3$")).click()
    download = download_info.value
    assert re.fullmatch(r"music-\d+\.mp3", download.suggested_filename)
    with open(download.path(), "rb") as audio:
        head = audio.read(3)
    assert head == b"ID3" or head[0] == 0xFF, head
    # The built-in engine made the piece, so its score downloads beside the audio.
    with page.expect_download() as score_info:
        entry.get_by_role("button", name=re.compile("as MIDI$")).click()
    score = score_info.value
    assert re.fullmatch(r"music-\d+\.mid", score.suggested_filename)
    with open(score.path(), "rb") as midi:
        assert midi.read(4) == b"MThd"

    entry.get_by_role("button", name=re.compile("^Delete")).click()
    page.get_by_text("Nothing here yet").wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("tab", name="Sign in").wait_for()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.evaluate("document.cookie") == ""
    return requests


def test_whole_flow_same_origin(page: Any, api_base: str) -> None:
    page.goto(api_base)
    requests = whole_flow(page, "same-origin")
    events = [url for url in requests if "/events?" in url]
    assert events and all("signature=" in url for url in events), events
    assert not any("token" in url.lower() or "bearer" in url.lower() for url in requests)


def test_whole_flow_with_the_page_on_another_origin(
    page: Any, static_site: str, api_base: str
) -> None:
    page.goto(static_site)
    requests = whole_flow(page, "cross-origin")
    assert any(url.startswith(f"{api_base}/generations") for url in requests)
    assert any(url.startswith(f"{static_site}/studio/") for url in requests)


def test_reload_keeps_the_session_and_the_history(page: Any, api_base: str) -> None:
    username, token = api_account(api_base)
    api_piece(api_base, token, prompt="Kept across a reload")
    page.goto(api_base)
    sign_in_with_keyboard(page, username)
    page.get_by_text("Kept across a reload").wait_for()
    page.reload()
    page.get_by_text(f"Signed in as {username}").wait_for()
    page.get_by_text("Kept across a reload").wait_for()
    stored = page.evaluate("JSON.parse(sessionStorage.getItem('ai-music.session'))")
    assert stored["user"]["username"] == username and stored["token"].count(".") == 2
    assert page.evaluate("document.cookie") == ""


def test_at_phone_width_nothing_scrolls_sideways(browser: Any, api_base: str) -> None:
    username, token = api_account(api_base)
    api_piece(api_base, token, prompt="A phone-sized lullaby with a rather long description")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    try:
        page = context.new_page()
        page.goto(api_base)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        sign_in_with_keyboard(page, username)
        page.get_by_text("A phone-sized lullaby").wait_for()
        page.locator("#history-list li").first.get_by_role(
            "button", name=re.compile("^Play")
        ).click()
        page.wait_for_selector("#waveform[data-drawn=true]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "phone")
    finally:
        context.close()


def test_an_error_is_shown_when_the_daily_limit_is_reached(page: Any, api_base: str) -> None:
    username, token = api_account(api_base)
    for number in range(DAILY_LIMIT):
        api_piece(api_base, token, prompt=f"Piece {number + 1}")
    page.goto(api_base)
    sign_in_with_keyboard(page, username)
    page.get_by_text(f"0 of {DAILY_LIMIT} pieces left today").wait_for()
    compose(page, "One too many")
    alert = page.get_by_role("alert")
    alert.wait_for()
    text = alert.inner_text()
    assert "Daily generation limit reached" in text
    assert re.search(r"compose again in \d+ (h|minutes?|seconds?)", text), text
    assert page.get_by_role("button", name="Compose").is_enabled()
    screenshot(page, "daily-limit")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol: the page's CSP refuses inline scripts.
    page.evaluate(AXE_SCRIPT.read_text())
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_no_serious_accessibility_violations(page: Any, api_base: str) -> None:
    if not AXE_SCRIPT.exists():
        pytest.skip(f"axe-core is not installed at {AXE_SCRIPT} (make test installs it with npm)")
    username, token = api_account(api_base)
    api_piece(api_base, token, prompt="Checked by axe")
    page.goto(api_base)
    page.wait_for_selector("body[data-ready=true]")
    assert axe_violations(page) == []
    sign_in_with_keyboard(page, username)
    page.get_by_text("Checked by axe").wait_for()
    page.locator("#history-list li").first.get_by_role("button", name=re.compile("^Play")).click()
    page.wait_for_selector("#waveform[data-drawn=true]")
    assert axe_violations(page) == []


def test_the_events_url_needs_no_header_and_only_opens_its_own_job(api_base: str) -> None:
    _, token = api_account(api_base)
    job = api_piece(api_base, token)
    stream = httpx.get(f"{api_base}{job['events_url']}", timeout=30)
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert '"status":"succeeded"' in stream.text
    other = job["events_url"].replace(job["id"], "0" * len(job["id"]))
    refused = httpx.get(f"{api_base}{other}", timeout=30)
    assert refused.status_code == 403 and "error" in refused.json()


def test_the_messages_for_busy_and_failing_services_say_what_to_do(
    page: Any, api_base: str
) -> None:
    page.goto(api_base)
    page.wait_for_selector("body[data-ready=true]")
    messages = page.evaluate(
        """async () => {
            const { ApiError } = await import("./studio/api.js");
            const { describeError } = await import("./studio/messages.js");
            const said = (status, retry) =>
                describeError(new ApiError(status, "Server said", retry));
            return {
                429: said(429, 3700), 502: said(502), 503: said(503), 504: said(504),
                offline: said(0), bug: describeError(new TypeError("x")),
            };
        }"""
    )
    assert messages["429"] == "Server said. You can compose again in 1 h 2 min."
    assert "could not make this piece" in messages["502"]
    assert "No music service is available" in messages["503"]
    assert "took too long" in messages["504"]
    assert messages["offline"] == "Server said"
    assert "reload" in messages["bug"]


def test_a_running_job_shows_its_progress_and_can_be_canceled(
    page: Any, slow_api_base: str
) -> None:
    page.goto(slow_api_base)
    sign_up(page, new_username())
    compose(page, "A piece that will not be finished")
    page.get_by_text(re.compile(r"^(Composing…|Waiting)")).wait_for()
    assert page.get_by_role("button", name="Compose").is_disabled()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Canceled.").wait_for()
    assert page.get_by_role("button", name="Compose").is_enabled()
    assert not page.get_by_role("button", name="Cancel").is_visible()


def test_the_api_docs_render_with_no_internet(page: Any, api_base: str) -> None:
    """This machine reaches no CDN: Swagger UI and ReDoc render from the app's own copies.

    ReDoc's sidebar names its maker with a logo from its CDN; the docs' CSP refuses it (an
    image, nothing the page needs), so only code and styles are checked for their origin."""
    outside: list[str] = []

    def record(request: Any) -> None:
        code = request.resource_type in ("script", "stylesheet", "font", "fetch", "xhr")
        if code and not request.url.startswith((api_base, "data:", "blob:")):
            outside.append(request.url)

    page.on("request", record)
    page.goto(f"{api_base}/docs")
    page.locator(".swagger-ui .info .title").get_by_text("ai-music-backend").wait_for()
    page.get_by_text("/generations/{job_id}/events").first.wait_for()
    page.goto(f"{api_base}/redoc")
    page.get_by_role("heading", name=re.compile("ai-music-backend")).first.wait_for()
    assert outside == []
