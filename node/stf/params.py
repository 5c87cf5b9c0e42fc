"""Protocol bounds and risk parameters. Changing any of them changes the protocol.

The bounds make every transaction's work finite and small enough for the L1 one-step
verifier to re-execute within a block's gas:

- ``MAX_MATCH_STEPS``: fills per taker order.
- ``MAX_MATCH_REMOVALS``: resting orders a taker order may remove on the way (expired,
  its own, failing their owner's margin, reduce-only with nothing left to reduce), a
  budget apart from the fills, so makers that cannot trade never use up a taker's fills.
  A taker order touches at most ``MAX_MATCH_STEPS + MAX_MATCH_REMOVALS`` resting orders.
- ``MAX_OPEN_ORDERS``: resting orders per account (bounds cancel-all).
- ``MAX_POSITIONS``: series per account with a non-zero position or a resting order,
  together (bounds a margin check: one mark per series).
- ``MAX_INSTRUMENTS_PER_UNDERLYING``: series repriced by one oracle update.
- ``MAX_SURFACE_POINTS``: expiries in one volatility surface.
"""

from __future__ import annotations

from typing import Final

MAX_MATCH_STEPS: Final = 32
MAX_MATCH_REMOVALS: Final = 32
MAX_OPEN_ORDERS: Final = 128
MAX_POSITIONS: Final = 64
MAX_INSTRUMENTS_PER_UNDERLYING: Final = 256
MAX_SURFACE_POINTS: Final = 16

# Field ranges (all e6 values are collateral units or contracts x 1e6).
MAX_PRICE_E6: Final = 10**15  # one billion collateral units per contract
MAX_SIZE_E6: Final = 10**15  # one billion contracts
MAX_AMOUNT_E6: Final = 2**63 - 1

# Volatility bounds for the oracle surface and the smile (fractions x 1e6).
MIN_VOL_E6: Final = 10_000  # 1%
MAX_VOL_E6: Final = 10_000_000  # 1000%

SECONDS_PER_DAY: Final = 86_400
EXPIRY_TIME_OF_DAY: Final = 8 * 3600  # series expire at 08:00 UTC
MAX_EXPIRY_HORIZON: Final = 5 * 365 * SECONDS_PER_DAY  # listings at most 5 years out (option math: <= 10)
