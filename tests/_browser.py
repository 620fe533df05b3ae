"""Headless Chromium for the browser tests of map.html (Debian packages chromium + chromium-driver).

:func:`start` opens one offline browser session (network emulated offline, console and network logged) that a
test module reuses; :func:`missing` says what to install when Chromium is absent, so tests can skip with it.
The session sees the project's CJK font (from mplfonts) through a private fontconfig file, so screenshots show
Chinese text even on a machine with no Chinese system font.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = ("chromedriver",)
INSTALL_HINT = ("needs Debian packages chromium and chromium-driver "
                "(sudo apt-get install -y chromium chromium-driver)")


def _which(names) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    return None


def missing() -> str | None:
    """Why the browser tests cannot run here (``None`` if they can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs the Python package selenium (pip install -e '.[test]')"
    if _which(CHROMIUM) is None or _which(DRIVER) is None:
        return INSTALL_HINT
    return None


def _fontconfig(folder: Path) -> Path:
    from svcov.outputs.charts import cjk_font_path

    conf = folder / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{cjk_font_path().parent}</dir>
  <cachedir>{folder / "cache"}</cachedir>
</fontconfig>
""", encoding="utf-8")
    return conf


def start(width: int = 1400, height: int = 900):
    """An offline headless Chromium session (selenium WebDriver); call ``.quit()`` when done."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="svcov-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = _which(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", f"--user-data-dir={profile / 'profile'}",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    env = dict(os.environ, FONTCONFIG_FILE=str(_fontconfig(profile)))
    service = Service(executable_path=_which(DRIVER), env=env)
    driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                "downloadThroughput": -1, "uploadThroughput": -1})
    driver.svcov_profile = profile
    return driver


def stop(driver) -> None:
    profile = getattr(driver, "svcov_profile", None)
    driver.quit()
    if profile:
        shutil.rmtree(profile, ignore_errors=True)


def requested_urls(driver) -> list[str]:
    """URLs the page requested since the last call (from the performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver) -> list[str]:
    """Console messages of level SEVERE since the last call (JavaScript errors, failed loads)."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
