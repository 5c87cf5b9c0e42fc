"""``HttpJsonSource``: index and volatility surface as one JSON document over HTTP(S).

``GET URL`` answers (``optrollup prices`` serves exactly this)::

    {
      "time": 1764835200,                  # unix seconds the values hold at (required)
      "underlyings": {                     # by name, any case (required)
        "ETH": {
          "index_e6": 3012450000,          # collateral units e6 per unit (required, > 0)
          "time": 1764835200,              # optional: this underlying's own time
          "surface": [                     # optional: 1..16 points, ascending expiries
            {"expiry": 1765180800,         # unix seconds (08:00 UTC of an expiry day)
             "atm_vol_e6": 650000,         # annual vol x 1e6 (65 %)
             "skew_e6": -20000,            # d vol / d moneyness x 1e6
             "curvature_e6": 100000}       # x 1e6, >= 0
          ]
        }
      }
    }

Every number is a JSON integer (no floats: the chain signs integers). A document that
breaks the schema is a ``SourceError`` naming the field; a surface point outside the STF's
bounds is left to the guards (``guards.decide``, rule ``surface``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from node.oracle.sources import Observation, SourceError
from node.stf.txtypes import VolPoint

MAX_DOCUMENT_BYTES = 1 << 20


def _int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise SourceError(f"{where}: expected an integer, got {value!r}")
    return value


def parse_document(raw: Any, source: str) -> dict[str, Observation]:
    """The observations in a decoded document (module docstring); ``SourceError`` if malformed."""
    if not isinstance(raw, dict) or not isinstance(raw.get("underlyings"), dict):
        raise SourceError(f"{source}: expected an object with 'time' and 'underlyings'")
    time_s = _int(raw.get("time"), f"{source}: time")
    out: dict[str, Observation] = {}
    for name, entry in raw["underlyings"].items():
        where = f"{source}: underlyings.{name}"
        if not isinstance(entry, dict):
            raise SourceError(f"{where}: expected an object")
        index = _int(entry.get("index_e6"), f"{where}.index_e6")
        if index <= 0:
            raise SourceError(f"{where}.index_e6: must be > 0")
        at = _int(entry.get("time", time_s), f"{where}.time")
        surface = None
        if "surface" in entry:
            points = entry["surface"]
            if not isinstance(points, list):
                raise SourceError(f"{where}.surface: expected a list")
            surface = []
            for k, point in enumerate(points):
                if not isinstance(point, dict):
                    raise SourceError(f"{where}.surface[{k}]: expected an object")
                surface.append(VolPoint(*(_int(point.get(f), f"{where}.surface[{k}].{f}")
                                          for f in ("expiry", "atm_vol_e6", "skew_e6", "curvature_e6"))))
            surface = tuple(surface)
        out[name.upper()] = Observation(source, name.upper(), index, at, at, surface)
    return out


class HttpJsonSource:
    """Reads the document at ``url`` on each ``fetch`` (module docstring)."""

    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        self.url = url
        self.name = f"http:{url}"
        self.timeout_s = timeout_s

    def fetch(self) -> dict[str, Observation]:
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout_s) as response:
                body = response.read(MAX_DOCUMENT_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SourceError(f"{self.name}: cannot read: {getattr(exc, 'reason', exc)}") from None
        if len(body) > MAX_DOCUMENT_BYTES:
            raise SourceError(f"{self.name}: document over {MAX_DOCUMENT_BYTES} bytes")
        try:
            raw = json.loads(body)
        except ValueError as exc:
            raise SourceError(f"{self.name}: not JSON: {exc}") from None
        return parse_document(raw, self.name)
