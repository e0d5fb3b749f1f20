"""Waits the browser tests share.

Playwright learns of a same-document navigation (following ``#fragment``, or a script's
``history.pushState``) from an event the browser sends after the key press or click has
returned, so reading ``page.url`` straight after the action races that event; these helpers
wait for it instead.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout


def wait_for_url(page: Page, wanted: Callable[[str], bool], what: str,
                 timeout_ms: float = 5000) -> None:
    """Wait until ``wanted(page.url)``; on timeout fail naming ``what`` and the URL it had."""
    try:
        page.wait_for_url(wanted, wait_until="commit", timeout=timeout_ms)
    except PlaywrightTimeout as error:
        raise AssertionError(
            f"the URL never got {what} within {timeout_ms:.0f} ms: {page.url}") from error


def wait_for_fragment(page: Page, fragment: str) -> None:
    """Wait until the page's URL ends in ``#fragment``."""
    wait_for_url(page, lambda url: urlsplit(url).fragment == fragment, f"#{fragment}")
