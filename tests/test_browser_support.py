"""The browser checks (the report in test_analysis.py, the app in test_app.py) find a Chromium, or
are skipped with the reason and what to install; in CI, where they must run, they fail instead."""

from __future__ import annotations

import pytest
import support


@pytest.fixture
def no_browser(monkeypatch, tmp_path):
    """A machine with no Chromium anywhere the checks look."""
    monkeypatch.setattr(support, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "no-browsers"))
    monkeypatch.delenv("TRUSTSIM_CHROMIUM", raising=False)
    monkeypatch.delenv("CI", raising=False)
    return tmp_path


def test_without_chromium_the_browser_checks_skip_saying_why(no_browser):
    assert support.find_chromium() is None
    with pytest.raises(pytest.skip.Exception, match=r"no Chromium found .* apt-get install chromium"):
        support.require_chromium()


def test_in_ci_a_missing_chromium_fails_rather_than_skips(no_browser, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="may not be skipped there"):
        support.require_chromium()


def test_a_chromium_on_path_or_named_is_found(no_browser, monkeypatch):
    browser = no_browser / "chromium-browser"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    assert support.require_chromium() == str(browser)
    named = no_browser / "my-chrome"
    named.write_text("")
    monkeypatch.setenv("TRUSTSIM_CHROMIUM", str(named))
    assert support.find_chromium() == str(named)
