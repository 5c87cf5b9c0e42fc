"""Errors a person understands: one line on stderr, the README's exit statuses, checks made
before signing (no nonce used on chain), L1 failures without a traceback, a read replica
that names the sequencer, the Python client's addresses and Ctrl-C."""

from __future__ import annotations

import json
import warnings

import pytest

from node.cli import common, main as cli_main
from node.cli.main import main
from node.client import Client, Hex, Watch
from node.rpc.generated.optrollup.v1 import query_pb2
from node.sequencer.dev import dev_key
from node.wallet import address_of
from tests.node.rpc.node_fixture import E6, DevNode

NAME = "ETH-4DEC26-3000-C"  # id 5 on the fixture's chain: tick 0.1, minimum size 0.1
BOB = address_of(dev_key("bob"))


@pytest.fixture
def run(node, capsys, monkeypatch):
    monkeypatch.setenv("OPTROLLUP_NODE", node.target)
    monkeypatch.delenv("OPTROLLUP_PASSWORD", raising=False)
    monkeypatch.delenv("OPTROLLUP_DEPLOYMENT", raising=False)

    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("note: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def nonce_window(node) -> tuple[int, bytes]:
    with Client(node.target) as client:
        info = client._call(client._query.GetAccount, query_pb2.AccountRequest(address=BOB))
        return info.nonce_floor, info.nonce_bitmap


@pytest.mark.parametrize("size, price, message", [
    ("1", "90.05", f"price 90.05 is not on {NAME}'s tick of 0.1 USDC (try 90 or 90.1)"),
    ("1", "0.05", f"price 0.05 is not on {NAME}'s tick of 0.1 USDC (try 0.1)"),
    ("0.05", "90", f"size 0.05 is below {NAME}'s minimum size of 0.1 contracts"),
    ("1.25", "90", f"size 1.25 is not a multiple of {NAME}'s minimum size of 0.1 contracts (try 1.2 or 1.3)"),
])
def test_an_order_the_series_refuses_is_bad_input_and_uses_no_nonce(run, node, size, price, message):
    before = nonce_window(node)
    code, out, err = run("order", "buy", NAME, size, price, "--dev-account", "bob")
    assert code == 2 and out == ""
    assert one_error_line(err) == f"optrollup order: error: {message}"
    assert nonce_window(node) == before  # nothing was signed or sent


def test_amounts_beyond_the_balance_are_refused_in_human_units(run, node):
    code, out, err = run("account", "--dev-account", "carol", "--json")
    balance_e6 = json.loads(out)["balance_e6"]
    assert balance_e6 == 1_000_000 * E6
    code, out, err = run("withdraw", "100000000", "--dev-account", "carol")
    assert code == 1 and out == ""
    assert one_error_line(err) == ("optrollup withdraw: error: balance 1,000,000.00 USDC < 100,000,000.00 USDC "
                                   "to withdraw")
    code, out, err = run("order", "buy", NAME, "100000", "90", "--dev-account", "carol")
    assert code == 1 and out == ""
    assert one_error_line(err) == ("optrollup order: error: balance 1,000,000.00 USDC < premium 9,000,000.00 USDC "
                                   "(100000 x 90)")


def test_keystore_errors_follow_the_exit_statuses(run, tmp_path):
    keys = str(tmp_path / "keys")
    secret = tmp_path / "secret"
    secret.write_text("correct horse\n")
    code, _, err = run("keys", "create", "mm", "--keys-dir", keys, "--password-file", str(secret))
    assert code == 0, err
    cases = [
        (("order", "buy", NAME, "1", "90", "--key", "ghost", "--keys-dir", keys, "--password-file", str(secret)),
         2, "no key labelled 'ghost'"),
        (("order", "buy", NAME, "1", "90", "--key", "mm", "--keys-dir", keys, "--password-file",
          str(tmp_path / "missing")), 2, "cannot read the password file"),
        (("order", "buy", NAME, "1", "90", "--key", "mm", "--keys-dir", keys), 2, "no passphrase"),
        (("deposit", "10", "--l1", "--key", "mm", "--keys-dir", keys, "--password-file", str(tmp_path / "missing")),
         2, "cannot read the password file"),
        (("withdraw", "1", "--key", "mm", "--keys-dir", keys, "--password-file", str(tmp_path / "nope")),
         2, "cannot read the password file"),
        (("keys", "create", "bad label", "--keys-dir", keys, "--password-file", str(secret)), 2, "bad label"),
        (("keys", "create", "mm", "--keys-dir", keys, "--password-file", str(secret)), 1, "exists already"),
    ]
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    cases.append((("cancel", "--all", "--key", "mm", "--keys-dir", keys, "--password-file", str(wrong)),
                  1, "wrong passphrase"))
    for argv, status, text in cases:
        code, out, err = run(*argv)
        assert (code, out) == (status, ""), (argv, err)
        assert text in one_error_line(err), argv


def test_every_signing_command_takes_a_password_file():
    parser = cli_main.build_parser()
    actions = {a.dest: a for a in parser._subparsers._group_actions}  # noqa: SLF001
    commands = actions["command"].choices
    for name in ("order", "cancel", "withdraw", "deposit"):
        flags = {opt for action in commands[name]._actions for opt in action.option_strings}  # noqa: SLF001
        assert "--password-file" in flags, name


def test_deposit_on_a_node_without_a_faucet_says_deposit_with_l1(capsys, monkeypatch):
    rollup = DevNode(dev=False).start()  # no Dev service: like a node with an L1
    try:
        code = main(["deposit", "100", "--dev-account", "bob", "--node", rollup.target])
    finally:
        rollup.close()
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert one_error_line(err) == (f"optrollup deposit: error: the node at {rollup.target} takes deposits from L1 "
                                   "only: deposit with --l1 (and --deployment FILE or $OPTROLLUP_DEPLOYMENT)")


def test_a_read_replica_names_the_sequencer(capsys):
    replica = DevNode(dev=True).start()
    try:
        replica.sequencer.set_replica("127.0.0.1:50051")
        code = main(["order", "buy", NAME, "1", "90", "--ioc", "--dev-account", "bob", "--node", replica.target])
    finally:
        replica.close()
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert line == (f"optrollup order: error: the node at {replica.target} is not the sequencer: "
                           "this node is a read replica (it follows L1): send transactions to the sequencer at "
                    "127.0.0.1:50051"), line


def _fake_deployment(tmp_path) -> str:
    from bridge.deploy import BridgeSettings, Deployment

    address = "0x" + "11" * 20
    path = tmp_path / "deployment.json"
    Deployment(900, address, address, address, address, address, address, address, 1, BridgeSettings()).save(path)
    return str(path)


def test_an_l1_that_is_down_is_one_line_and_exit_1(run, tmp_path):
    deployment = _fake_deployment(tmp_path)
    code, out, err = run("deposit", "10", "--l1", "http://127.0.0.1:9", "--deployment", deployment,
                         "--dev-account", "bob")
    assert code == 1 and out == ""
    assert one_error_line(err) == ("optrollup deposit: error: cannot reach the L1 at http://127.0.0.1:9 (is it running? "
                                   "--l1 URL or $OPTROLLUP_L1)")


def test_an_unexpected_exception_is_one_line_not_a_traceback(run, monkeypatch):
    monkeypatch.setattr(common, "Client", _Raising)
    code, out, err = run("account", "--dev-account", "bob")
    assert code == 1 and out == ""
    assert one_error_line(err) == "optrollup account: error: internal error: RuntimeError: boom"


class _Raising:
    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError("boom\nsecond line")


def test_mismatched_abi_warnings_are_silenced():
    cli_main.quiet_warnings()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")
        cli_main.quiet_warnings()
        warnings.warn("The log with transaction hash 0x12 and logIndex 0 encountered the following error during "
                      "processing: MismatchedABI(...). It has been discarded.", UserWarning)
    assert seen == []


def test_the_client_prints_addresses_and_hashes_as_hex(node):
    with Client(node.target) as client:
        info = client.account(BOB)
    assert info.address == BOB and isinstance(info.address, bytes)
    assert repr(info.address) == str(info.address) == "0x" + BOB.hex()
    assert f"address=0x{BOB.hex()}" in repr(info)
    assert Hex(b"\x01\x02") == b"\x01\x02"


class _Call:
    def __init__(self, items) -> None:
        self.items = list(items)
        self.cancelled = False

    def __next__(self):
        item = self.items.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def cancel(self) -> None:
        self.cancelled = True


def test_ctrl_c_in_a_watch_loop_ends_it_quietly():
    call = _Call([1, 2, KeyboardInterrupt()])
    watch = Watch(call, lambda message: message * 10, "127.0.0.1:1")
    seen = [event for event in watch]  # no exception reaches the loop
    assert seen == [10, 20] and call.cancelled and watch.closed


def test_the_documented_client_errors_are_client_errors():
    from node import client

    for name in ("BadInput", "TxFailed", "InvalidRequest", "NotFound", "RateLimited", "NodeUnavailable"):
        assert issubclass(getattr(client, name), client.ClientError), name


@pytest.mark.parametrize("argv", [
    ("balance", "--l1", "http://127.0.0.1:9", "--dev-account", "bob"),
    ("faucet", "--l1", "http://127.0.0.1:9", "--dev-account", "bob"),
    ("withdrawals", "--l1", "http://127.0.0.1:9", "--dev-account", "bob"),
    ("withdraw", "claim", "0", "--l1", "http://127.0.0.1:9", "--dev-account", "bob"),
])
def test_every_l1_command_says_the_l1_is_down_in_one_line(run, tmp_path, argv):
    code, out, err = run(*argv, "--deployment", _fake_deployment(tmp_path))
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert line.endswith(("cannot reach the L1 at http://127.0.0.1:9 (is it running? --l1 URL or $OPTROLLUP_L1)",
                          "no proof for withdrawal 0 yet: it is proven when its batch is sealed (every few seconds, "
                          "on nodes with an L1)")), line


def test_withdrawals_without_an_l1(run):
    code, out, err = run("withdraw", "100", "--dev-account", "alice", "--json")
    assert code == 0, err
    index = json.loads(out)["order_id"]
    code, out, err = run("withdrawals", "--dev-account", "alice", "--json")
    rows = json.loads(out)
    assert code == 0 and rows[-1]["index"] == index and rows[-1]["amount_e6"] == 100 * E6
    assert rows[-1]["root"] is None and rows[-1]["claimed"] is None  # no L1 on this node
    code, out, _ = run("withdrawals", "--dev-account", "alice")
    assert out.splitlines()[-1] == "(finality and claims: pass --l1 and --deployment, or set $OPTROLLUP_DEPLOYMENT)"
