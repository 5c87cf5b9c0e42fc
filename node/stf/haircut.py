"""Socialised loss: one global loss index that every positive cash balance follows, lazily.

Bad debt that neither the insurance fund nor the fee pool covers (``solvency.py``) is borne
by the positive cash balances in proportion to their size. Cutting every balance at once
would be unbounded work, so each is cut at its account's next write, from a global index
(fields of ``records.Globals``; amounts in collateral units e6):

- ``loss_index`` R: ``LOSS_INDEX_ONE`` (1e18) at genesis, never rises, never below
  ``MIN_LOSS_INDEX`` (1). Each account records the index its balance was written at
  (``Account.loss_index``, r).
- A positive balance b written at r **reads** as ``floor(b x R / r)`` (``apply``): the cut,
  ``b - floor(b x R / r)``, is rounded up. Zero and negative balances are never cut.
- ``scaled_positive_e6`` U: the sum of ``floor(b x 1e18 / r)`` over positive stored
  balances (each in index-one units, rounded down), kept exact by every write.
- ``haircut_due_e6`` O: loss placed on the balances and not yet cut from them.
- ``unbacked_loss_e6``: loss the index could not place.

Rules:

1. **Socialise** a loss L (``socialise``): if U = 0, all of L is unbacked. Otherwise the index
   falls by ``d = ceil(L x 1e18 / U)``, so the cuts pending on the balances grow by
   ``sum(b x d / r) >= d x U / 1e18 >= L``, and O grows by L. If ``d > R - 1`` (a loss at least
   as large as every positive balance together: what the account lost has left the balances,
   withdrawn or held by the settlement pool for longs not settled yet), the index falls to 1
   and only ``floor((R - 1) x U / 1e18)`` is socialised; the rest is unbacked.
2. **Write** an account (``on_write``, called by ``accounts.store``): the cut its stored
   balance owed, ``h = b_old - floor(b_old x R / r_old)``, is realised: it leaves O, and what
   exceeds O is rounding dust, routed like fees (``collect_fees``). U swaps the account's old
   scaled balance for its new one, and the account records r = R.
3. **Fees** (``collect_fees``) repay unbacked loss first; the rest goes to the fee pool.

Why claims never exceed assets (``invariants.check_claims``): the exact pending cut
``P = sum(b x (1 - R / r))`` grows by at least L whenever O grows by L (rule 1) and falls by at
most h whenever O falls by h (rule 2); O never goes below zero; so ``P >= O`` at all times,
and the rounded-up cuts are at least P. With conservation (``records.Globals``), the
balances as read therefore sum to at most the stored ones minus O: every balance a trader
can use is backed.

Cost: reading an account with a positive balance reads ``Globals`` (cached); writing one
does two integer divisions, and writes ``Globals`` only when its balance changed or a cut
was realised.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from node.stf.fixedpoint import WAD, mul_div_down, mul_div_up
from node.stf.records import Account, Globals

LOSS_INDEX_ONE: Final = WAD  # the index at genesis: 18 digits of precision for the cut fractions
MIN_LOSS_INDEX: Final = 1  # the index stays positive: balances are always divided by it


def apply(account: Account, loss_index: int) -> Account:
    """``account`` as read at ``loss_index``: a positive balance cut (rule 2 of the module docstring)."""
    balance = account.balance_e6
    written_at = account.loss_index
    if balance <= 0 or written_at == loss_index:
        return account
    # floor(b x R / r) with b > 0, r >= R >= 1: unsigned, EVM DIV (inlined: every read runs it)
    return account.at_loss_index(balance * loss_index // written_at, loss_index)


def on_write(globals_: Globals, old: Account | None, new_balance_e6: int) -> Globals | None:
    """The ``Globals`` after an account stored as ``old`` is rewritten with ``new_balance_e6``
    at the current index (rule 2), or ``None`` if nothing in them changes.

    ``new_balance_e6`` must derive from the account as read (``apply``) at the current index.
    Integer divisions below are unsigned (EVM DIV) and inlined: every balance write runs them.
    """
    index = globals_.loss_index
    old_scaled = cut = 0
    if old is not None and old.balance_e6 > 0:
        balance, written_at = old.balance_e6, old.loss_index
        old_scaled = balance * LOSS_INDEX_ONE // written_at
        if written_at != index:
            cut = balance - balance * index // written_at
    new_scaled = new_balance_e6 * LOSS_INDEX_ONE // index if new_balance_e6 > 0 else 0
    if not cut:
        if new_scaled == old_scaled:
            return None
        return globals_.with_loss_totals(globals_.scaled_positive_e6 + new_scaled - old_scaled,
                                         globals_.haircut_due_e6)
    due = globals_.haircut_due_e6 - cut
    updated = globals_.with_loss_totals(globals_.scaled_positive_e6 + new_scaled - old_scaled, max(due, 0))
    return collect_fees(updated, -due) if due < 0 else updated


def socialise(globals_: Globals, loss_e6: int, **changes: int) -> Globals:
    """``globals_`` with ``loss_e6`` placed on every positive balance (rule 1), and with
    ``changes`` (other fields, as for ``dataclasses.replace``) made in the same update."""
    index, scaled = globals_.loss_index, globals_.scaled_positive_e6
    placed, drop = loss_e6, 0
    if scaled == 0:
        placed = 0  # no positive balance to bear it: all unbacked
    elif loss_e6:
        drop = mul_div_up(loss_e6, LOSS_INDEX_ONE, scaled)
        if drop > index - MIN_LOSS_INDEX:
            drop = index - MIN_LOSS_INDEX
            placed = min(mul_div_down(drop, scaled, LOSS_INDEX_ONE), loss_e6)
    return replace(
        globals_,
        loss_index=index - drop,
        haircut_due_e6=globals_.haircut_due_e6 + placed,
        unbacked_loss_e6=globals_.unbacked_loss_e6 + loss_e6 - placed,
        **changes,
    )


def collect_fees(globals_: Globals, fees_e6: int) -> Globals:
    """Route collected fees (rule 3): first repay unbacked loss, the rest to the fee pool."""
    repay = min(fees_e6, globals_.unbacked_loss_e6)
    return replace(
        globals_,
        unbacked_loss_e6=globals_.unbacked_loss_e6 - repay,
        fee_pool_e6=globals_.fee_pool_e6 + fees_e6 - repay,
    )
