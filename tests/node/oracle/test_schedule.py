"""node/oracle/schedule.py: expiries (daily, weekly, monthly at 08:00 UTC) and the strike grid."""

from __future__ import annotations

import datetime

import pytest

from node.oracle.schedule import MIN_LEAD_S, Schedule, Series, expiries, nice_step_e6, plan, strikes, wanted

E6 = 10**6
TUESDAY_0800 = 1_796_112_000  # 2026-12-01 08:00 UTC


def day(text: str) -> int:
    return int(datetime.datetime.fromisoformat(text + "T08:00:00+00:00").timestamp())


def test_expiries_as_deribit_lists_them() -> None:
    assert expiries(TUESDAY_0800, Schedule()) == {
        day("2026-12-02"): "daily", day("2026-12-03"): "daily",
        day("2026-12-04"): "weekly", day("2026-12-11"): "weekly",
        day("2026-12-25"): "monthly", day("2027-01-29"): "monthly"}
    # within the hour before 08:00 today's expiry is not listed; before that it is
    assert day("2026-12-01") not in expiries(day("2026-12-01") - MIN_LEAD_S, Schedule())
    assert day("2026-12-01") in expiries(day("2026-12-01") - MIN_LEAD_S - 1, Schedule())
    # the last Friday of a month that is also one of the next Fridays is monthly (the longest kind)
    got = expiries(day("2026-12-22"), Schedule(dailies=0, weeklies=2, monthlies=1))
    assert got == {day("2026-12-25"): "monthly", day("2027-01-01"): "weekly"}
    assert all(e % 86_400 == 8 * 3600 for e in expiries(TUESDAY_0800, Schedule(5, 5, 5)))


def test_strike_steps_widen_for_longer_expiries() -> None:
    assert [nice_step_e6(x * E6) / E6 for x in (30, 75, 150, 1_000, 2_500, 5_000)] == [25, 50, 100, 1_000, 2_500, 5_000]
    assert nice_step_e6(0) == 10_000 and nice_step_e6(19_999) == 10_000 and nice_step_e6(20_000) == 20_000
    s = Schedule(strikes=2)
    assert [k / E6 for k in strikes(3_012 * E6, "daily", s)] == [2950, 2975, 3000, 3025, 3050]
    assert [k / E6 for k in strikes(3_012 * E6, "weekly", s)] == [2850, 2900, 2950, 3000, 3050, 3100, 3150]
    assert len(strikes(3_012 * E6, "monthly", s)) == 9 and strikes(3_012 * E6, "monthly", s)[0] == 2_600 * E6
    assert [k / E6 for k in strikes(101_300 * E6, "weekly", s)][3] == 102_500  # centre: nearest step, half up
    assert all(k > 0 for k in strikes(50_000, "monthly", Schedule(strikes=30)))


def test_plan_lists_what_is_missing_nearest_first_within_room() -> None:
    want = wanted(TUESDAY_0800, 3_000 * E6, Schedule())
    assert len(want) == 2 * (2 * 5 + 2 * 7 + 2 * 9)
    listed = want[:10]
    todo = plan(TUESDAY_0800, 3_000 * E6, Schedule(), listed, 1_000)
    assert len(todo) == len(want) - 10 and not set(todo) & set(listed)
    capped = plan(TUESDAY_0800, 3_000 * E6, Schedule(), [], 4)
    first = day("2026-12-02")
    assert capped == [Series(first, 3_000 * E6, True), Series(first, 3_000 * E6, False),
                      Series(first, 2_975 * E6, True), Series(first, 2_975 * E6, False)]
    assert plan(TUESDAY_0800, 3_000 * E6, Schedule(), want, 1_000) == []


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        Schedule(dailies=-1)
