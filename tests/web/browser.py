"""Headless Chromium for the page's tests: Debian's ``chromium`` driven by Playwright (PyPI).

``chromium_path()`` finds the browser, installs it (``apt-get install -y chromium``) when it is
missing and this is root with apt (as ``make browser`` and ``.ci/run`` do), and otherwise
answers ``None`` with the reason, so the tests skip only where a browser cannot exist.
"""

from __future__ import annotations

import os
import shutil
import subprocess

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
APT_TIMEOUT_S = 900


def chromium_path() -> tuple[str | None, str]:
    """``(path, "")`` of a usable Chromium, or ``(None, reason)``."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM, ""
    found = shutil.which("chromium")
    if found:
        return found, ""
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "no chromium, and it cannot be installed here (needs root and apt-get: `apt-get install chromium`)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        install = subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, capture_output=True,
                                 text=True, timeout=APT_TIMEOUT_S)
        if install.returncode != 0:  # an old package list: update it once, then try again
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=APT_TIMEOUT_S)
            install = subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, capture_output=True,
                                     text=True, timeout=APT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, "apt-get install chromium timed out"
    if install.returncode != 0 or not os.path.exists(CHROMIUM):
        return None, f"apt-get install chromium failed: {install.stderr.strip()[-300:]}"
    return CHROMIUM, ""
