"""``optrollup trace``, ``prove`` and ``verify-step`` on a running devnet, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from web3 import Web3

from bridge.deploy import Deployment
from node.l1.reader import L1Reader
from tests.node.cli.test_devnet_cli import DevnetProcess, free_port, wait_for


def _cli(devnet: DevnetProcess, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPTROLLUP_L1": devnet.l1_url, "OPTROLLUP_DEPLOYMENT": devnet.deployment_file}
    return subprocess.run([sys.executable, "-m", "node.cli.main", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_trace_prove_and_verify_any_step_of_a_devnet_batch(tmp_path: Path) -> None:
    devnet = DevnetProcess(tmp_path, {name: free_port() for name in ("l1", "node", "follower")})
    try:
        w3 = Web3(Web3.HTTPProvider(devnet.l1_url, request_kwargs={"timeout": 30}))
        reader = L1Reader(w3, Deployment.load(devnet.deployment_file))
        proposals = wait_for(lambda: [p for p in reader.proposals(reader.first_block, w3.eth.block_number)
                                      if p.index >= 2] or None, timeout=90, what="three proposed roots")
        batches = reader.batches(reader.first_block, proposals[0].l1_block)
        batch = max(batches[:3], key=lambda b: len(b.data)).index  # the busiest of the first batches

        traced = _cli(devnet, "trace", "--batch", str(batch), "--json")
        assert traced.returncode == 0, traced.stderr
        trace = json.loads(traced.stdout)
        assert trace["agrees_with_l1"] is True and trace["steps"] > 0
        assert 2 ** trace["bisection_depth"] >= trace["steps"]
        assert trace["claims"][0]["position"] == 0 and trace["claims"][0]["claim"] == trace["pre_claim"]

        steps = trace["steps"]
        claims: dict[int, tuple[str, str]] = {}
        for position in sorted({0, 1, steps // 2, steps - 1, steps}):
            out = tmp_path / f"step{position}.json"
            proved = _cli(devnet, "prove", "--batch", str(batch), "--step", str(position), "--out", str(out))
            assert proved.returncode == 0, proved.stderr
            checked = _cli(devnet, "verify-step", str(out), "--json")
            assert checked.returncode == 0, checked.stderr
            result = json.loads(checked.stdout)
            assert result["l1_checked"] is True
            claims[position] = (result["pre_claim"], result["post_claim"])
        # the deployed one-step verifier agrees (eth_call), on a step whose family is deployed
        assert Deployment.load(devnet.deployment_file).verifier
        halted = tmp_path / f"step{steps}.json"
        on_l1 = _cli(devnet, "verify-step", str(halted), "--on-l1", "--json")
        assert on_l1.returncode == 0, on_l1.stderr
        result = json.loads(on_l1.stdout)
        assert result["on_l1"] is True and result["post_claim"] == claims[steps][1] and 21_000 < result["gas"] < 3_000_000
        # step 0 is the batch's BLOCK_OPEN: the block family reads the deployed inbox's record
        on_l1 = _cli(devnet, "verify-step", str(tmp_path / "step0.json"), "--on-l1", "--json")
        assert on_l1.returncode == 0, on_l1.stderr
        result = json.loads(on_l1.stdout)
        assert result["on_l1"] is True and result["post_claim"] == claims[0][1] and 21_000 < result["gas"] < 3_000_000
        assert claims[0][0] == trace["pre_claim"]
        assert claims[steps - 1][1] == trace["halted_claim"] == claims[steps][0] == claims[steps][1]
        assert claims[0][1] == claims[1][0]
        for bound in trace["claims"]:  # claims at block and transaction boundaries are on the same trace
            if bound["position"] in claims:
                assert claims[bound["position"]][0] == bound["claim"]

        # a proof with a byte changed, or inputs L1 does not hold, is refused with a reason
        files = [tmp_path / f"step{p}.json" for p in claims]
        proof = max((json.loads(f.read_text()) for f in files), key=lambda p: len(p["witness"]["nodes"]))
        node = proof["witness"]["nodes"][0]
        proof["witness"]["nodes"][0] = node[:10] + ("0" if node[10] != "0" else "1") + node[11:]
        (tmp_path / "bad.json").write_text(json.dumps(proof))
        refused = _cli(devnet, "verify-step", str(tmp_path / "bad.json"))
        assert refused.returncode == 1 and "refused" in refused.stderr and not refused.stdout
        proof = json.loads((tmp_path / "step1.json").read_text())
        proof["batch_record"]["time"] += 1
        (tmp_path / "bad_time.json").write_text(json.dumps(proof))
        refused = _cli(devnet, "verify-step", str(tmp_path / "bad_time.json"))
        assert refused.returncode == 1 and "differs from L1" in refused.stderr
        refused = _cli(devnet, "verify-step", str(tmp_path / "bad.json"), "--on-l1")
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and not refused.stdout
        (tmp_path / "garbage.json").write_text("{not json")
        refused = _cli(devnet, "verify-step", str(tmp_path / "garbage.json"))
        assert refused.returncode == 1 and "not JSON" in refused.stderr

        missing = _cli(devnet, "trace", "--batch", "100000")
        assert missing.returncode == 1 and "does not exist" in missing.stderr
        negative = _cli(devnet, "prove", "--batch", "-1", "--step", "0", "--out", str(tmp_path / "x.json"))
        assert negative.returncode == 2
    finally:
        devnet.kill()
