"""Fault-proof commands: ``optrollup trace``, ``prove`` and ``verify-step``.

- ``trace --batch N [--json]``: derives the chain from L1 (the deployment's L2 genesis, every
  batch and queue entry), runs batch ``N`` as a trace and prints its step count, the
  bisection depth, the claims at block and transaction boundaries, the halted claim and the
  root proposed for the batch on L1 (and whether they agree);
- ``prove --batch N --step P --out FILE``: writes the proof of step ``P`` (a JSON file:
  ``prover.client.proof``);
- ``verify-step FILE [--json]``: re-executes that one step from the file alone and prints
  ``pre_claim``, ``post_claim``, ``post_state_root`` and the step kind; with an L1 endpoint
  and deployment it also checks the batch record, the batch bytes and the queue entries the
  proof carries against L1. A proof that does not hold is refused with the reason, exit 1.
  With ``--on-l1`` the step is then run by the deployed one-step verifier (``eth_call`` of
  ``step(pre_claim, proof)``, ``prover.l1.calldata``): it prints the verifier's
  ``post_claim`` and the transaction's ``gas`` (``eth_estimateGas``); the verifier refusing,
  or computing another post-claim than the local re-execution, is exit 1.

L1 endpoint: ``--l1`` or ``$OPTROLLUP_L1`` (default the devnet's); contracts: ``--deployment``
or ``$OPTROLLUP_DEPLOYMENT``. Exit status: 0 done, 1 refused or L1 unreachable, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from node.cli.l1_bridge import DEFAULT_L1, ENV_DEPLOYMENT, ENV_L1


class _Fail(Exception):
    """A refusal or an unreachable L1: one line on stderr, exit status 1."""


def _add_l1(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--l1", metavar="URL", default=None,
                        help=f"L1 JSON-RPC endpoint (default ${ENV_L1} or {DEFAULT_L1})")
    parser.add_argument("--deployment", metavar="FILE", default=None,
                        help=f"the contracts' deployment file (default ${ENV_DEPLOYMENT})")


def register(subparsers: argparse._SubParsersAction) -> None:
    trace = subparsers.add_parser("trace", help="a batch's fault-proof trace: steps, claims, bisection depth",
                                  description="Derive the chain from L1 and run batch N as a trace of steps.")
    trace.add_argument("--batch", type=int, required=True, metavar="N", help="the batch's index in the inbox")
    trace.add_argument("--json", action="store_true", help="print one JSON object")
    _add_l1(trace)
    trace.set_defaults(func=run_trace)

    prove = subparsers.add_parser("prove", help="write the proof of one step of a batch's trace",
                                  description="Write everything the L1 verifier needs for step P of batch N.")
    prove.add_argument("--batch", type=int, required=True, metavar="N", help="the batch's index in the inbox")
    prove.add_argument("--step", type=int, required=True, metavar="P", help="the step's position (from 0)")
    prove.add_argument("--out", required=True, metavar="FILE", help="where to write the proof (JSON)")
    _add_l1(prove)
    prove.set_defaults(func=run_prove)

    verify = subparsers.add_parser("verify-step", help="re-execute one proven step from its proof file alone",
                                   description="Re-execute the step a proof file carries on a state that holds "
                                               "only its witness; refuse it (exit 1) if it does not hold.")
    verify.add_argument("file", metavar="FILE", help="a proof written by `optrollup prove`")
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.add_argument("--offline", action="store_true",
                        help="do not check the batch record and queue entries against L1")
    verify.add_argument("--on-l1", action="store_true",
                        help="also run the step on the deployed L1 verifier (eth_call) and print its gas")
    _add_l1(verify)
    verify.set_defaults(func=run_verify)


def _fail_on_errors(fn):
    def wrapped(args: argparse.Namespace) -> int:
        from node.client import BadInput

        try:
            return fn(args)
        except BadInput as exc:
            print(f"optrollup {args.command}: error: {exc}", file=sys.stderr)
            return 2
        except _Fail as exc:
            print(f"optrollup {args.command}: {exc}", file=sys.stderr)
            return 1
    wrapped.__name__ = fn.__name__
    return wrapped


def _host(args: argparse.Namespace):
    """(snapshot, chain) read from L1."""
    import requests

    from node.client import BadInput
    from node.cli.l1_bridge import l1_deployment
    from node.l1.reader import L1Reader
    from node.store.codec import decode_genesis
    from prover.host.chain import HostChain, L1Snapshot

    if args.batch < 0 or getattr(args, "step", 0) < 0:
        raise BadInput("--batch and --step must be >= 0")
    w3, deployment, url = l1_deployment(args)
    try:
        genesis = decode_genesis(bytes.fromhex(deployment.l2_genesis))
    except ValueError as exc:
        raise BadInput(f"the deployment's L2 genesis does not decode: {exc}") from None
    try:
        snapshot = L1Snapshot.read(L1Reader(w3, deployment))
    except (requests.RequestException, OSError) as exc:
        raise _Fail(f"L1 at {url} is unreachable: {type(exc).__name__}") from None
    return snapshot, HostChain(genesis, snapshot)


def _batch(args: argparse.Namespace):
    """(snapshot, the pre-state of batch ``args.batch``, its inputs), derived from L1."""
    from prover.host.chain import HostError

    snapshot, chain = _host(args)
    try:
        return snapshot, chain.prestate(args.batch), chain.inputs(args.batch)
    except HostError as exc:
        raise _Fail(str(exc)) from None


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


@_fail_on_errors
def run_trace(args: argparse.Namespace) -> int:
    from node.stf.derive_steps import BlockPhase
    from node.stf.steps import Phase
    from prover.client.trace import Boundary, TraceRun, bisection_depth

    snapshot, pre, inputs = _batch(args)
    boundaries: list[dict[str, Any]] = []
    last: list[Boundary] = []

    def visit(b: Boundary) -> None:
        last[:] = [b]
        if b.cursor.phase in (BlockPhase.BLOCK_OPEN, Phase.TX_START):
            boundaries.append({"position": b.position, "kind": b.kind, "block": b.cursor.block,
                               "tx_index": b.cursor.tx_index, "claim": _hex(b.claim),
                               "state_root": _hex(b.state_root)})

    run = TraceRun(pre, args.batch, inputs)
    steps, _ = run.run(visit)
    halted, blocks = last[-1], run.closed_blocks
    proposed = [p for p in snapshot.proposals if p.index == args.batch]
    out = {
        "batch": args.batch, "steps": steps, "bisection_depth": bisection_depth(steps),
        "pre_claim": boundaries[0]["claim"], "halted_claim": _hex(halted.claim),
        "halted_state_root": _hex(halted.state_root), "blocks": len(blocks),
        "last_l2_block": blocks[-1].number if blocks else None,
        "proposed_state_root": _hex(proposed[0].state_root) if proposed else None,
        "agrees_with_l1": (proposed[0].state_root == halted.state_root) if proposed else None,
        "claims": boundaries,
    }
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"batch {args.batch}: {steps} steps, bisection depth {out['bisection_depth']}")
    print(f"  pre-claim     {out['pre_claim']}")
    print(f"  halted claim  {out['halted_claim']} (state root {out['halted_state_root']})")
    if proposed:
        verdict = "agrees" if out["agrees_with_l1"] else "DISAGREES"
        print(f"  L1 root {args.batch}: {out['proposed_state_root']}: {verdict}")
    else:
        print(f"  no root proposed for batch {args.batch} yet")
    print(f"  {len(blocks)} blocks and {sum(1 for c in boundaries if c['kind'] == 'TX_START')} transaction "
          f"boundaries (--json lists their claims)")
    return 0


@_fail_on_errors
def run_prove(args: argparse.Namespace) -> int:
    from prover.client.trace import TraceRun

    _, pre, inputs = _batch(args)
    _, proof = TraceRun(pre, args.batch, inputs).run(prove=args.step)
    assert proof is not None
    try:
        Path(args.out).write_text(proof.to_json())
    except OSError as exc:
        raise _Fail(f"cannot write {args.out}: {exc.strerror}") from None
    print(f"step {args.step} of batch {args.batch} ({proof.kind}): {_hex(proof.pre_claim)} -> {_hex(proof.post_claim)}; "
          f"proof in {args.out}")
    return 0


@_fail_on_errors
def run_verify(args: argparse.Namespace) -> int:
    from prover.client.proof import ProofRefused, StepProof

    try:
        text = Path(args.file).read_bytes()
    except OSError as exc:
        raise _Fail(f"cannot read {args.file}: {exc.strerror}") from None
    if args.on_l1 and args.offline:
        from node.client import BadInput

        raise BadInput("--on-l1 needs L1: drop --offline")
    try:
        proof = StepProof.from_json(text)
        checked = proof.verify()
        if not args.offline:
            _check_against_l1(args, proof)
    except ProofRefused as exc:
        raise _Fail(f"refused: {exc}") from None
    out = {"batch": proof.batch, "position": proof.position, "kind": checked.kind,
           "pre_claim": _hex(checked.pre_claim), "post_claim": _hex(checked.post_claim),
           "post_state_root": _hex(checked.post_state_root), "l1_checked": not args.offline}
    if args.on_l1:
        post_claim, gas = _run_on_l1(args, proof)
        if post_claim != checked.post_claim:
            raise _Fail(f"the L1 verifier computes post_claim {_hex(post_claim)}, the local re-execution "
                        f"{_hex(checked.post_claim)}")
        out.update(on_l1=True, gas=gas)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        where = " (and on the L1 verifier)" if args.on_l1 else ""
        print(f"step {proof.position} of batch {proof.batch} ({checked.kind}) holds{where}")
        for key in ("pre_claim", "post_claim", "post_state_root") + (("gas",) if args.on_l1 else ()):
            print(f"  {key:<16}{out[key]}")
    return 0


def _run_on_l1(args: argparse.Namespace, proof) -> tuple[bytes, int]:
    """``(post_claim, gas)`` of ``verifier.step(proof)`` on L1: ``eth_call`` and ``eth_estimateGas``."""
    import requests
    from eth_abi import decode
    from web3.exceptions import ContractLogicError, Web3RPCError

    from node.cli.l1_bridge import l1_deployment
    from prover.l1.calldata import step_calldata

    w3, deployment, url = l1_deployment(args)
    if not deployment.verifier:
        raise _Fail(f"the deployment {args.deployment or 'file'} names no fault verifier")
    message = {"to": deployment.verifier, "data": "0x" + step_calldata(proof).hex()}
    try:
        output = w3.eth.call(message)
        gas = w3.eth.estimate_gas(message)
    except (ContractLogicError, Web3RPCError) as exc:
        reason = getattr(exc, "message", None) or str(exc)
        raise _Fail(f"refused by the L1 verifier: {reason}") from None
    except (requests.RequestException, OSError) as exc:
        raise _Fail(f"L1 at {url} is unreachable: {type(exc).__name__}") from None
    return bytes(decode(["bytes32"], bytes(output))[0]), gas


def _check_against_l1(args: argparse.Namespace, proof) -> None:
    """The proof's batch record and queue entries must be what L1 stores."""
    import requests

    from node.cli.l1_bridge import l1_deployment
    from prover.host.l1_check import check_inputs

    w3, deployment, url = l1_deployment(args, hint=", or --offline")
    try:
        check_inputs(deployment.contracts(w3), proof)
    except (requests.RequestException, OSError) as exc:
        raise _Fail(f"L1 at {url} is unreachable: {type(exc).__name__}") from None
