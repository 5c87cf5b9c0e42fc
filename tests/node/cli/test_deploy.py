"""``optrollup genesis init`` and ``optrollup deploy`` against a JSON-RPC L1 (the devnet,
driven only over JSON-RPC): roles from the genesis file, not the deployer; an existing
token or the test token; the deployment file carries the ABIs, so reading the contracts
compiles nothing; bad files fail with the field named."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from web3 import Web3

import bridge.deploy
from bridge.deploy import Deployment, SOURCES
from bridge.l1 import Transactor
from bridge.vyper_build import compile_contract
from devnet.accounts import devnet_key
from node.cli.main import main
from node.keystore import Keystore
from node.l1.genesis_anchor import genesis_state_root
from node.store.codec import decode_genesis
from tests.devnet.devnet_fixture import DevnetThread

ROLES = {role: Account.from_key(bytes([n]) * 32).address for n, role in
         enumerate(("admin", "oracle", "sequencer", "proposer"), start=1)}


@pytest.fixture(scope="module")
def l1():
    devnet = DevnetThread().start()
    yield devnet
    devnet.close()


@pytest.fixture()
def keys(tmp_path):
    Keystore(tmp_path / "keys", kdf_iterations=2).import_key("deployer", devnet_key("deployer"), "pw")
    (tmp_path / "pw").write_text("pw\n")
    return ["--keys-dir", str(tmp_path / "keys"), "--password-file", str(tmp_path / "pw")]


def genesis_init(tmp_path, *extra: str) -> str:
    out = str(tmp_path / "genesis.toml")
    assert main(["genesis", "init", "--out", out, "--chain-id", "4242",
                 *(arg for role, address in ROLES.items() for arg in (f"--{role}", address)), *extra]) == 0
    return out


def test_genesis_init_then_deploy_with_the_test_token(l1, tmp_path, keys, monkeypatch, capsys):
    genesis = genesis_init(tmp_path)
    text = open(genesis).read()
    open(genesis, "w").write(text.replace("challenge_window_s = 604800", "challenge_window_s = 3600"))
    out = tmp_path / "deployment.json"
    assert main(["deploy", "--l1", l1.url, "--genesis", genesis, "--deployer-key", "deployer", *keys,
                 "--no-fault-verifier", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    deployment = Deployment.load(out)
    assert set(deployment.abis) == set(SOURCES)
    assert (deployment.sequencer, deployment.proposer) == (ROLES["sequencer"], ROLES["proposer"])
    l2 = decode_genesis(bytes.fromhex(deployment.l2_genesis))
    assert l2.chain_id == 4242 and l2.verifying_contract == bytes.fromhex(deployment.portal[2:])
    assert l2.admin == bytes.fromhex(ROLES["admin"][2:]) and l2.oracles == (bytes.fromhex(ROLES["oracle"][2:]),)
    w3 = Web3(Web3.HTTPProvider(l1.url))

    def no_compiler(*_args, **_kwargs):
        raise AssertionError("compiled Vyper although the deployment file has the ABIs")

    monkeypatch.setattr(bridge.deploy, "compile_contract", no_compiler)
    contracts = deployment.contracts(w3)
    commitments = contracts["commitments"].functions
    assert commitments.BOND().call() == 10**18 and commitments.CHALLENGE_WINDOW().call() == 3600
    assert commitments.PROPOSER().call() == ROLES["proposer"]
    assert bytes(commitments.GENESIS_STATE_ROOT().call()) == genesis_state_root(l2)
    assert contracts["inbox"].functions.SEQUENCER().call() == ROLES["sequencer"]
    assert contracts["token"].functions.decimals().call() == 6
    # not overwritten
    assert main(["deploy", "--l1", l1.url, "--genesis", genesis, "--deployer-key", "deployer", *keys,
                 "--no-fault-verifier", "--out", str(out)]) == 2


def test_deploy_with_an_existing_token(l1, tmp_path, keys):
    w3 = Web3(Web3.HTTPProvider(l1.url))
    existing = Transactor(w3, devnet_key("maker")).deploy(compile_contract(SOURCES["token"]).initcode)
    genesis = genesis_init(tmp_path, "--token", existing)
    out = tmp_path / "deployment.json"
    assert main(["deploy", "--l1", l1.url, "--genesis", genesis, "--deployer-key", "deployer", *keys,
                 "--no-fault-verifier", "--out", str(out)]) == 0
    deployment = Deployment.load(out)
    assert deployment.token == existing
    assert deployment.contracts(w3)["portal"].functions.TOKEN().call() == existing
    # an address with no code is refused before anything is deployed
    nonce = w3.eth.get_transaction_count(Account.from_key(devnet_key("deployer")).address)
    assert main(["deploy", "--l1", l1.url, "--genesis", genesis, "--deployer-key", "deployer", *keys,
                 "--token", "0x" + "99" * 20, "--out", str(tmp_path / "other.json")]) == 1
    assert w3.eth.get_transaction_count(Account.from_key(devnet_key("deployer")).address) == nonce


@pytest.mark.parametrize("edit, field", [
    (lambda t: t.replace('oracles = ["', 'oracles = ["0x12", "'), "roles.oracles"),
    (lambda t: t.replace("decimals = 6", "decimals = 18"), "collateral.decimals"),
    (lambda t: t.replace('name = "ETH"', 'name = "' + "X" * 33 + '"'), "name must be 1 to 32 bytes"),
    (lambda t: t.replace("[l1]", "[l2]"), "[l1]"),
    (lambda t: t.replace("chain_id = 4242", "chain_id = -1"), "chain.chain_id"),
])
def test_a_bad_genesis_file_names_the_field(l1, tmp_path, keys, capsys, edit, field):
    genesis = genesis_init(tmp_path)
    text = open(genesis).read()
    open(genesis, "w").write(edit(text))
    assert main(["deploy", "--l1", l1.url, "--genesis", genesis, "--deployer-key", "deployer", *keys,
                 "--out", str(tmp_path / "d.json")]) == 2
    assert field in capsys.readouterr().err


def test_a_json_genesis_file(tmp_path):
    from bridge.genesis_file import load

    path = tmp_path / "genesis.json"
    path.write_text(json.dumps({
        "chain": {"chain_id": 7}, "roles": {"admin": ROLES["admin"], "oracles": [ROLES["oracle"]],
                                            "sequencer": ROLES["sequencer"], "proposer": ROLES["proposer"]},
        "collateral": {"token": "test", "decimals": 6},
        "fees": {"taker_fee_ppm": 1, "maker_fee_ppm": 0, "fee_cap_ppm": 5},
        "underlyings": [{"id": 3, "name": "SOL"}],
        "l1": {"bond_wei": str(10**17), "challenge_window_s": 60, "force_window_s": 30}}))
    spec = load(path)
    assert spec.bond_wei == 10**17 and spec.underlyings == ((3, b"SOL"),) and spec.token is None
    assert spec.l2_genesis(b"\x01" * 20, 1234).genesis_time == 1234
