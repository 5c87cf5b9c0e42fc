"""Test-wide settings: under CI, hypothesis draws the same examples on every run.

Locally every run explores new random examples; with ``CI`` set (as ``.ci/run`` is run)
the ``ci`` profile derandomizes them, so a landing decision never depends on luck. A
failure found locally is replayed from ``.hypothesis/`` (not committed).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
