"""The margin sub-machine (``margin_steps.py``) answers every query exactly as the one-shot
functions of ``margin.py``, for accounts of any width, in steps of at most ``MARGIN_CHUNK``
series."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf import accounts, margin
from node.stf.cursor import Cursor, decode_cursor, encode_cursor
from node.stf.margin_fold import MARGIN_CHUNK, series_ids
from node.stf.margin_steps import MarginPhase, Query, call_margin
from node.stf.records import Account
from node.stf.steps import STEPS, StepIO
from tests.node.stf.test_margin_fold import WIDE, wide_accounts

ADDRESS = bytes.fromhex("00000000000000000000000000000000000000aa")
RETURN = 999  # a phase no step has: where the sub-machine returns


def _run(account: Account, query: Query) -> tuple[tuple[int, ...], int]:
    """The sub-machine's results for ``account`` stored at ``ADDRESS``, and its step count."""
    state = WIDE.state
    start = state.snapshot()
    accounts.store(state, ADDRESS, account)
    cursor = call_margin(Cursor(RETURN), ADDRESS, query, RETURN, (7,))
    steps = 0
    while cursor.phase in (MarginPhase.MARGIN, MarginPhase.MARGIN_FOLD):
        cursor = STEPS[cursor.phase](state, cursor, StepIO())
        cursor = decode_cursor(encode_cursor(cursor))  # nothing but the cursor carries over
        steps += 1
    stored = accounts.load(state, ADDRESS)
    expected = {
        Query.INITIAL: (int(margin.initial_failure(state, stored)),),
        Query.BACKING: tuple(int(x) for x in margin.backing(state, stored)),
        Query.SUMMARY: (lambda s: (s.cash_e6, s.value_e6, s.maintenance_e6, s.initial_e6, int(s.complete)))(
            margin.summarise(state, stored)),
    }[query]
    state.rollback(start)
    assert cursor.phase == RETURN and cursor.regs[0] == 7 and cursor.stack == ()
    assert cursor.regs[1:] == expected, query
    return cursor.regs[1:], steps


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wide_accounts(size_bits=30), st.integers(-10**7, 10**7), st.sampled_from(list(Query)))
def test_the_sub_machine_answers_as_the_one_shot_rules(account: Account, nudge: int, query: Query) -> None:
    backing = margin.backing(WIDE.state, account)
    edge = Account(account.balance_e6 - backing.excess_e6 + nudge, positions=account.positions,
                   order_totals=account.order_totals)  # at the edge of initial margin: every code occurs
    _, steps = _run(edge, query)
    series = len(series_ids(edge))
    if series <= MARGIN_CHUNK:
        assert steps == 1
    else:
        assert steps <= 2 * -(-series // MARGIN_CHUNK)  # a second pass only for INITIAL's positions alone
