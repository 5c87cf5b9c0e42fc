"""node/oracle/http_source.py against a local HTTP server: the documented schema, and refusals."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from node.oracle.http_source import HttpJsonSource, parse_document
from node.oracle.sources import SourceError, parse_source
from node.stf.txtypes import VolPoint

DOCUMENT = {"time": 1_800_000_000, "underlyings": {
    "eth": {"index_e6": 3_012_450_000, "surface": [
        {"expiry": 1_800_086_400, "atm_vol_e6": 650_000, "skew_e6": -20_000, "curvature_e6": 100_000}]},
    "BTC": {"index_e6": 100_000_000_000, "time": 1_799_999_990}}}


@pytest.fixture
def server():
    body = {"raw": json.dumps(DOCUMENT).encode()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the library's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body["raw"])

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/prices", body
    httpd.shutdown()
    httpd.server_close()


def test_reads_index_and_surface(server) -> None:
    url, _ = server
    source = parse_source(f"http:{url}")
    got = source.fetch()
    assert set(got) == {"ETH", "BTC"}
    eth = got["ETH"]
    assert eth.index_price_e6 == 3_012_450_000 and eth.updated_at == eth.observed_at == 1_800_000_000
    assert eth.surface == (VolPoint(1_800_086_400, 650_000, -20_000, 100_000),)
    assert got["BTC"].surface is None and got["BTC"].updated_at == 1_799_999_990
    assert eth.source == source.name == f"http:{url}"
    assert parse_source(url).name == source.name  # the URL alone is an HTTP source too


def test_a_malformed_document_is_a_source_error(server) -> None:
    url, body = server
    source = HttpJsonSource(url)
    body["raw"] = b"not json"
    with pytest.raises(SourceError, match="not JSON"):
        source.fetch()
    body["raw"] = json.dumps({"time": 1, "underlyings": {"ETH": {"index_e6": 3000.5}}}).encode()
    with pytest.raises(SourceError, match=r"underlyings.ETH.index_e6: expected an integer"):
        source.fetch()


@pytest.mark.parametrize("doc, message", [
    ({}, "expected an object"),
    ({"time": "x", "underlyings": {}}, "time: expected an integer"),
    ({"time": 1, "underlyings": {"ETH": {"index_e6": 0}}}, "must be > 0"),
    ({"time": 1, "underlyings": {"ETH": {"index_e6": 1, "surface": {}}}}, "surface: expected a list"),
    ({"time": 1, "underlyings": {"ETH": {"index_e6": 1, "surface": [{"expiry": 1}]}}}, r"surface\[0\].atm_vol_e6"),
    ({"time": True, "underlyings": {}}, "time: expected an integer"),
])
def test_schema_violations_name_the_field(doc, message) -> None:
    with pytest.raises(SourceError, match=message):
        parse_document(doc, "test")


def test_an_unreachable_endpoint_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="cannot read"):
        HttpJsonSource("http://127.0.0.1:9/prices", timeout_s=1).fetch()
