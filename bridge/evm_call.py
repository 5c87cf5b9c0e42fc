"""Run contract code on an in-memory py-evm state, without mining: deploy, call, measure gas.

For tests and benchmarks that need many calls fast (tens of thousands per second would be
too much to ask of py-evm, but a few thousand per second is reachable): messages go
straight to the fork's computation class (``apply_message``), skipping transaction
validation, signatures, blocks and receipts. Gas is what the EVM charged the message,
which is a transaction's execution gas; :meth:`EvmRunner.intrinsic_gas` gives the part a
real transaction would add on top (21,000 plus calldata).

Calls are ``eth_call``-like by default: their state changes are reverted afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Sequence

from eth import constants
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.vm.forks.prague import PragueVM
from eth.vm.message import Message
from eth_utils import keccak

DEFAULT_SENDER: Final = b"\x10" * 20
DEFAULT_GAS: Final = 30_000_000
TX_BASE_GAS: Final = 21_000
TX_DATA_ZERO_GAS: Final = 4
TX_DATA_NONZERO_GAS: Final = 16
# EIP-7623 (Prague): calldata floor of 10 gas per token, a non-zero byte being 4 tokens.
TX_FLOOR_PER_TOKEN: Final = 10


class EvmCallError(Exception):
    """A deployment failed, or a call reverted when the caller asked for success."""


@dataclass(frozen=True)
class CallResult:
    """Outcome of one message: ``output`` is return data or revert data."""

    success: bool
    output: bytes
    gas_used: int
    error: str = ""


def _create_address(sender: bytes, nonce: int) -> bytes:
    import rlp

    return keccak(rlp.encode([sender, nonce]))[12:]


class EvmRunner:
    """One in-memory chain state (Prague rules) to deploy to and call into."""

    def __init__(self, chain_id: int = 1337) -> None:
        chain_class = MiningChain.configure(
            __name__="EvmRunnerChain", vm_configuration=((0, PragueVM),), chain_id=chain_id
        )
        genesis_params = {
            "difficulty": 0,
            "gas_limit": DEFAULT_GAS,
            "timestamp": 1,
            "coinbase": constants.ZERO_ADDRESS,
            "extra_data": b"",
            "nonce": b"\x00" * 8,
            "mix_hash": constants.ZERO_HASH32,
        }
        self.chain = chain_class.from_genesis(AtomicDB(), genesis_params, {})
        self.state = self.chain.get_vm().state
        self._computation = self.state.computation_class
        self._tx_context_class = self.state.get_transaction_context_class()

    def _context(self, sender: bytes) -> Any:
        return self._tx_context_class(gas_price=0, origin=sender)

    def deploy(
        self, initcode: bytes, args: bytes = b"", sender: bytes = DEFAULT_SENDER
    ) -> bytes:
        """Run ``initcode + args`` as a CREATE from ``sender``; return the new address."""
        nonce = self.state.get_nonce(sender)
        address = _create_address(sender, nonce)
        self.state.increment_nonce(sender)
        message = Message(
            gas=DEFAULT_GAS,
            to=constants.CREATE_CONTRACT_ADDRESS,
            sender=sender,
            value=0,
            data=b"",
            code=initcode + args,
            create_address=address,
        )
        self.state.mark_address_warm(sender)
        self.state.mark_address_warm(address)
        computation = self._computation.apply_create_message(
            self.state, message, self._context(sender)
        )
        self._end_transaction()
        if computation.is_error:
            raise EvmCallError(f"deployment failed: {computation.error!r}")
        return address

    def _end_transaction(self) -> None:
        # What a block does between transactions: forget warm accounts and slots
        # (EIP-2929) and transient storage (EIP-1153).
        self.state.clear_transient_storage()
        self.state.lock_changes()

    def call(
        self,
        to: bytes,
        data: bytes,
        *,
        sender: bytes = DEFAULT_SENDER,
        gas: int = DEFAULT_GAS,
        value: int = 0,
        commit: bool = False,
    ) -> CallResult:
        """Send one message to ``to``, like a transaction without its intrinsic gas.

        With ``commit`` its state changes stay (and the transaction ends: warm sets and
        transient storage are cleared); without, everything it did is reverted.
        """
        message = Message(
            gas=gas,
            to=to,
            sender=sender,
            value=value,
            data=data,
            code=self.state.get_code(to),
        )
        snapshot = self.state.snapshot()
        # As a transaction would: sender and recipient start warm (EIP-2929).
        self.state.mark_address_warm(sender)
        self.state.mark_address_warm(to)
        computation = self._computation.apply_message(self.state, message, self._context(sender))
        if commit:
            self.state.commit(snapshot)
            self._end_transaction()
        else:
            self.state.revert(snapshot)
        gas_used = gas - computation.get_gas_remaining()
        if computation.is_error:
            return CallResult(False, bytes(computation.output), gas_used, repr(computation.error))
        return CallResult(True, bytes(computation.output), gas_used)

    def call_abi(
        self,
        to: bytes,
        selector: bytes,
        arg_types: Sequence[str],
        args: Sequence[Any],
        out_types: Sequence[str],
        **kwargs: Any,
    ) -> tuple[tuple[Any, ...], int]:
        """ABI-encode, call, decode; return ``(outputs, gas_used)``. Raises on revert."""
        from eth_abi import decode, encode

        result = self.call(to, selector + encode(list(arg_types), list(args)), **kwargs)
        if not result.success:
            raise EvmCallError(f"call reverted: {result.error} {result.output.hex()}")
        return tuple(decode(list(out_types), result.output)), result.gas_used

    @staticmethod
    def intrinsic_gas(data: bytes) -> int:
        """What a transaction carrying ``data`` to a contract pays before executing."""
        zeros = data.count(0)
        return TX_BASE_GAS + zeros * TX_DATA_ZERO_GAS + (len(data) - zeros) * TX_DATA_NONZERO_GAS

    @staticmethod
    def transaction_gas(data: bytes, execution_gas: int) -> int:
        """Gas a whole transaction would be charged: intrinsic + execution, or the
        EIP-7623 calldata floor if that is higher."""
        zeros = data.count(0)
        tokens = zeros + 4 * (len(data) - zeros)
        standard = EvmRunner.intrinsic_gas(data) + execution_gas
        return max(standard, TX_BASE_GAS + TX_FLOOR_PER_TOKEN * tokens)
