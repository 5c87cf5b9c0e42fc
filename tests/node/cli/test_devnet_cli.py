"""``optrollup devnet`` end to end with real processes (L1, sequencer, follower) over JSON-RPC
and gRPC: an L1 deposit credited on L2, a trade, a withdrawal claimed on L1 after the
challenge window, a follower's roots equal to the posted ones, and a SIGKILL of every
process mid-workload that loses nothing acknowledged."""

from __future__ import annotations

import os
import re
import signal
import json
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal

import grpc
from web3 import Web3

from bridge.deploy import Deployment, compile_all
from bridge.l1 import Transactor
from node.cli import l1 as l1_cli
from node.client import Client, NodeError
from node.l1.reader import L1Reader
from node.rpc.generated.optrollup.v1 import query_pb2, status_pb2, status_pb2_grpc
from node.sequencer.dev import dev_key
from node.wallet import address_of

E6 = 10**6
UP_LINE = "optrollup devnet is up"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DevnetProcess:
    """``optrollup devnet --follower`` in a child process, with its output collected."""

    def __init__(self, data_dir, ports: dict[str, int]) -> None:
        self.ports = ports
        self.l1_url = f"http://127.0.0.1:{ports['l1']}"
        self.node = f"127.0.0.1:{ports['node']}"
        self.follower = f"127.0.0.1:{ports['follower']}"
        self.deployment_file = str(data_dir / "l1" / "deployment.json")
        self.lines: list[str] = []
        self.up = threading.Event()
        compile_all()  # the devnet deploys these: compiled here (cached on disk), not inside its start-up time
        self.process = subprocess.Popen(
            [sys.executable, "-m", "node.cli.main", "devnet", "--data-dir", str(data_dir),
             "--l1-listen", f"127.0.0.1:{ports['l1']}", "--listen", self.node, "--follower",
             "--follower-listen", self.follower, "--block-time", "0.25", "--batch-interval", "0.5",
             "--confirmations", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        threading.Thread(target=self._read, daemon=True).start()
        if not self.up.wait(60):
            self.kill()
            raise AssertionError("devnet did not come up:\n" + "\n".join(self.lines[-40:]))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if UP_LINE in line:
                self.up.set()

    def child_pids(self) -> list[int]:
        return [int(m.group(1)) for line in self.lines if (m := re.search(r"\[devnet\] started \w+ \(pid (\d+)\)", line))]

    def kill(self) -> None:
        """SIGKILL the orchestrator and every child: a power cut."""
        for pid in [self.process.pid, *self.child_pids()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)
        for pid in self.child_pids():
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(40)


def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def l1_deposit(w3: Web3, deployment: Deployment, name: str, amount_e6: int) -> None:
    contracts = deployment.contracts(w3)
    sender = Transactor(w3, dev_key(name))
    sender.transact(contracts["token"], "approve", contracts["portal"].address, amount_e6)
    sender.transact(contracts["portal"], "deposit", sender.address, amount_e6)


def l2_balance(node: str, name: str) -> int:
    with Client(node, dev_key(name)) as client:
        return client.account().balance_e6


def root_at(node: str, number: int) -> bytes:
    """Block ``number``'s state root on ``node`` (b"" if it does not have it yet)."""
    with Client(node) as client:
        try:
            return client._query.GetBlock(query_pb2.BlockRequest(number=number), timeout=5).state_root
        except grpc.RpcError:
            return b""


def quoted(client: Client):
    return next((i for i in client.instruments() if i.best_ask_e6 > 0), None)


def test_parser_defaults_match_the_modules():
    from bridge.deploy import BridgeSettings
    from devnet.chain import DEFAULT_GAS_LIMIT, DEVNET_CHAIN_ID
    from node.sequencer.dev import DEV_CHAIN_ID

    assert l1_cli.DEFAULT_GAS_LIMIT == DEFAULT_GAS_LIMIT and l1_cli.DEVNET_CHAIN_ID == DEVNET_CHAIN_ID
    assert l1_cli.DEFAULT_L2_CHAIN_ID == DEV_CHAIN_ID
    assert l1_cli.DEFAULT_SETTINGS == vars(BridgeSettings())


def test_devnet_deposit_trade_claim_follow_and_crash(tmp_path):
    ports = {name: free_port() for name in ("l1", "node", "follower")}
    devnet = DevnetProcess(tmp_path, ports)
    try:
        w3 = Web3(Web3.HTTPProvider(devnet.l1_url, request_kwargs={"timeout": 30}))
        deployment = Deployment.load(devnet.deployment_file)
        token = deployment.contracts(w3)["token"]
        alice_l1 = Web3.to_checksum_address(address_of(dev_key("alice")))

        # an L1 deposit appears on L2 once confirmed
        deposit = subprocess.run(
            [sys.executable, "-m", "node.cli.main", "deposit", "20000", "--l1", devnet.l1_url,
             "--deployment", devnet.deployment_file, "--dev-account", "alice", "--node", devnet.node, "--json"],
            capture_output=True, text=True, timeout=90)
        assert deposit.returncode == 0, deposit.stdout + deposit.stderr
        assert json.loads(deposit.stdout)["credited"] is True
        assert l2_balance(devnet.node, "alice") == 20_000 * E6

        # a trade against the dev market maker
        alice = Client(devnet.node, dev_key("alice"))
        instrument = wait_for(lambda: quoted(alice), what="a maker quote")
        receipt = alice.buy(instrument.instrument_id, Decimal(instrument.min_size_e6) / E6,
                            Decimal(instrument.best_ask_e6) / E6, time_in_force="ioc")
        assert receipt.ok and receipt.filled_e6 > 0

        # withdraw on L2, claim on L1 after the challenge window
        receipt = alice.withdraw(1_000)
        assert receipt.ok
        index = receipt.order_id
        commitments = deployment.contracts(w3)["commitments"]

        def proven():
            try:
                proof = alice.withdrawal_proof(index)
            except NodeError:
                return None
            return proof if commitments.functions.commitment_count().call() > proof.commitment_index else None

        wait_for(proven, what="the withdrawal's proof and root")
        w3.provider.make_request("evm_increaseTime", [deployment.settings.challenge_window_s + 1])
        w3.provider.make_request("evm_mine", [])
        before = token.functions.balanceOf(alice_l1).call()
        claim = subprocess.run(
            [sys.executable, "-m", "node.cli.main", "withdraw", "claim", str(index), "--l1", devnet.l1_url,
             "--deployment", devnet.deployment_file, "--dev-account", "alice", "--node", devnet.node],
            capture_output=True, text=True, timeout=60)
        assert claim.returncode == 0, claim.stdout + claim.stderr
        assert token.functions.balanceOf(alice_l1).call() == before + 1_000 * E6

        # the follower derives the same roots as the ones posted
        reader = L1Reader(w3, deployment)
        last = reader.proposals(deployment.deployed_at_block, w3.eth.block_number)[-1]
        wait_for(lambda: root_at(devnet.follower, last.last_l2_block), what="the follower at the last posted root")
        assert root_at(devnet.follower, last.last_l2_block) == last.state_root == root_at(devnet.node,
                                                                                           last.last_l2_block)
        # both say so in their status
        sequencer_l1, follower_l1 = l1_status(devnet.node), l1_status(devnet.follower)
        assert sequencer_l1.role == "sequencer" and sequencer_l1.batches >= last.index + 1 and sequencer_l1.deposits >= 2
        assert follower_l1.role == "follower" and follower_l1.roots >= 1 and follower_l1.mismatches == 0

        # a workload, then SIGKILL of every process: acknowledged transactions survive a restart
        acked: list[bytes] = []
        for n in range(15):
            receipt = alice.buy(instrument.instrument_id, Decimal(instrument.min_size_e6) / E6, Decimal(1) / 10,
                                time_in_force="gtc", client_order_id=1000 + n)
            acked.append(receipt.tx_hash)
        l1_deposit(w3, deployment, "bob", 5_000 * E6)  # acknowledged by L1 (mined)
        alice.close()
        balance = l2_balance(devnet.node, "alice")
        devnet.kill()

        devnet = DevnetProcess(tmp_path, ports)
        with Client(devnet.node, dev_key("alice")) as alice:
            for tx_hash in acked:
                assert alice.receipt(tx_hash).ok
            assert alice.account().balance_e6 == balance
        wait_for(lambda: l2_balance(devnet.node, "bob") == 5_000 * E6, what="bob's deposit after the restart")
        head = reader.proposals(deployment.deployed_at_block, w3.eth.block_number)[-1]
        wait_for(lambda: root_at(devnet.follower, head.last_l2_block), what="the follower after the restart")
        assert root_at(devnet.follower, head.last_l2_block) == head.state_root
        assert devnet.stop() == 0
        assert any("[devnet] stopped" in line for line in devnet.lines)
    finally:
        if devnet.process.poll() is None:
            devnet.kill()


def l1_status(target: str):
    with grpc.insecure_channel(target) as channel:
        return status_pb2_grpc.NodeStub(channel).GetStatus(status_pb2.StatusRequest(), timeout=10).l1


class L1Process:
    """``optrollup l1 --data-dir DIR`` in a child process, ready (contracts deployed)."""

    def __init__(self, l1_dir, *args: str) -> None:
        self.deployment_file = str(l1_dir / "deployment.json")
        self.process = subprocess.Popen([sys.executable, "-m", "node.cli.main", "l1", "--data-dir", str(l1_dir),
                                         "--listen", f"127.0.0.1:{free_port()}", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = None
        for line in self.process.stdout:
            match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            if match and self.url is None:
                self.url = match.group(1)
            if "l1 ready" in line:
                break

    def node(self, *args: str, deployment: str | None = None) -> subprocess.CompletedProcess:
        """``optrollup node ARGS --l1 URL --deployment FILE`` run to completion."""
        return subprocess.run(
            [sys.executable, "-m", "node.cli.main", "node", *args, "--l1", self.url, "--deployment",
             deployment or self.deployment_file, "--listen", "127.0.0.1:0", "--metrics", "off"],
            capture_output=True, text=True, timeout=120)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(30)


def test_operator_keys_and_the_genesis_must_match_the_contracts(tmp_path):
    """A batcher key the inbox would refuse, or an L2 genesis signing for another portal, stops
    the node at start; the deployment's genesis carries --l2-chain-id and the portal."""
    from dataclasses import replace

    from node.keystore import Keystore
    from node.store.codec import decode_genesis, encode_genesis

    l1 = L1Process(tmp_path / "l1", "--l2-chain-id", "4242")
    try:
        keys_dir = tmp_path / "keys"
        Keystore(keys_dir).import_key("ops", b"\x42" * 32, "pw")  # not the inbox's sequencer
        (tmp_path / "pw").write_text("pw\n")
        node = l1.node("--dev", "--batcher-key", "ops", "--keys-dir", str(keys_dir),
                       "--password-file", str(tmp_path / "pw"))
        assert node.returncode == 1
        assert "the batcher key is" in node.stderr and "but the contracts accept" in node.stderr

        deployment = Deployment.load(l1.deployment_file)
        genesis = decode_genesis(bytes.fromhex(deployment.l2_genesis))
        assert genesis.domain.chain_id == 4242
        assert genesis.verifying_contract == bytes.fromhex(deployment.portal[2:])
        elsewhere = replace(deployment, l2_genesis=encode_genesis(replace(genesis, verifying_contract=b"\x01" * 20)).hex())
        elsewhere.save(tmp_path / "elsewhere.json")
        node = l1.node("--follow", deployment=str(tmp_path / "elsewhere.json"))
        assert node.returncode == 1 and "signs for the portal 0x0101" in node.stderr, node.stderr
    finally:
        l1.stop()


def test_a_node_on_another_genesis_than_l1_committed_to_refuses_to_run(tmp_path):
    """The deployment file's L2 genesis swapped for another: the follower and the sequencer
    both stop at start, naming their genesis root and the one on L1."""
    from node.l1.genesis_anchor import genesis_state_root
    from node.sequencer.dev import dev_chain
    from node.store.codec import decode_genesis, encode_genesis

    l1 = L1Process(tmp_path / "l1")
    try:
        deployment = Deployment.load(l1.deployment_file)
        committed = decode_genesis(bytes.fromhex(deployment.l2_genesis))
        other = dev_chain(committed.genesis_time + 7 * 86_400, committed.domain).genesis  # a week later
        forged = tmp_path / "forged.json"
        from dataclasses import replace
        replace(deployment, l2_genesis=encode_genesis(other).hex()).save(forged)
        ours, theirs = genesis_state_root(other).hex(), genesis_state_root(committed).hex()
        for mode in ("--follow", "--dev"):
            node = l1.node(mode, deployment=str(forged))
            assert node.returncode == 1, node.stderr
            assert f"0x{ours}" in node.stderr and f"0x{theirs}" in node.stderr, node.stderr
            assert "Traceback" not in node.stderr
        follower = subprocess.Popen(
            [sys.executable, "-m", "node.cli.main", "node", "--follow", "--l1", l1.url, "--deployment",
             l1.deployment_file, "--listen", "127.0.0.1:0", "--metrics", "off"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:  # the committed genesis itself is accepted
            assert any("listening on" in line for line in follower.stdout)
        finally:
            follower.send_signal(signal.SIGINT)
            follower.wait(30)
    finally:
        l1.stop()
