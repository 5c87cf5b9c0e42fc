"""The portfolio-margin scenario grid and per-instrument scenario values.

Learning from Derive's PMRM and Deribit's portfolio margin, an account's risk on one
underlying is its worst loss over a fixed grid of 23 scenarios:

- 21 = 7 spot moves (-15%, -10%, -5%, 0, +5%, +10%, +15%) x 3 volatility moves (down, flat, up);
- 2 wider moves, spot -30% and +30%, with volatility up (crashes and squeezes come with
  vol), whose loss counts at 35% (CME SPAN's coverage of its extreme-move scenarios): deep
  out-of-the-money shorts are charged for tail risk without pricing every account for a
  30% day.

Volatility moves are relative to each series' own smile vol and larger for short expiries,
whose implied vols move most:

=====================  ===============
time to expiry          vol shock (+/-)
=====================  ===============
up to 7 days            50%
up to 30 days           30%
up to 90 days           20%
longer                  15%
=====================  ===============

A shocked vol is clamped to [MIN_VOL, MAX_VOL]. Time does not move in a scenario.

Because a scenario's value depends only on the oracle state, ``scenario_pnl`` is computed
once per oracle update for every series and stored with its mark (``records.Mark``):
``pnl[k] = value under scenario k - mark``, per long contract, collateral units e6, rounded
toward zero. An account's margin is then a sum of position x scenario vector (``margin.py``).
"""

from __future__ import annotations

from typing import Final

from node.stf.fixedpoint import E6_TO_WAD, PPM_DENOMINATOR as PPM, sdiv
from node.stf.optionmath import bs_price
from node.stf.params import MAX_VOL_E6, MIN_VOL_E6, SECONDS_PER_DAY

# (spot multiplier ppm, vol shock: -1 down, 0 flat, +1 up, weight of its loss ppm), fixed order.
SCENARIOS: Final[tuple[tuple[int, int, int], ...]] = tuple(
    (spot_ppm, vol_dir, 1_000_000)
    for spot_ppm in (850_000, 900_000, 950_000, 1_000_000, 1_050_000, 1_100_000, 1_150_000)
    for vol_dir in (-1, 0, 1)
) + ((700_000, 1, 350_000), (1_300_000, 1, 350_000))
SCENARIO_WEIGHTS_PPM: Final = tuple(weight for _, _, weight in SCENARIOS)
N_SCENARIOS: Final = len(SCENARIOS)

# (time to expiry at most, relative vol shock ppm), first match wins.
VOL_SHOCK_BUCKETS: Final = (
    (7 * SECONDS_PER_DAY, 500_000),
    (30 * SECONDS_PER_DAY, 300_000),
    (90 * SECONDS_PER_DAY, 200_000),
)
VOL_SHOCK_LONG_PPM: Final = 150_000


def vol_shock_ppm(seconds_to_expiry: int) -> int:
    """Relative volatility shock (ppm) for a series this far from expiry."""
    for limit, shock in VOL_SHOCK_BUCKETS:
        if seconds_to_expiry <= limit:
            return shock
    return VOL_SHOCK_LONG_PPM


def shocked_vol_e6(vol_e6: int, vol_dir: int, shock_ppm: int) -> int:
    """``vol x (1 + vol_dir x shock)``, rounded toward zero and clamped to [MIN_VOL, MAX_VOL]."""
    vol = sdiv(vol_e6 * (PPM + vol_dir * shock_ppm), PPM)
    return min(max(vol, MIN_VOL_E6), MAX_VOL_E6)


def scenario_pnl(
    index_e6: int, strike_e6: int, t_years_wad: int, seconds_to_expiry: int,
    vol_e6: int, rate_e6: int, is_call: bool, mark_e6: int,
) -> tuple[int, ...]:
    """P&L of one long contract under each scenario (e6, value rounded down, minus the mark)."""
    shock = vol_shock_ppm(seconds_to_expiry)
    strike_wad = strike_e6 * E6_TO_WAD
    rate_wad = rate_e6 * E6_TO_WAD
    out = []
    for spot_ppm, vol_dir, _ in SCENARIOS:
        spot_e6 = sdiv(index_e6 * spot_ppm, PPM)
        vol = shocked_vol_e6(vol_e6, vol_dir, shock)
        value_wad = bs_price(spot_e6 * E6_TO_WAD, strike_wad, t_years_wad, vol * E6_TO_WAD, rate_wad, is_call)
        out.append(sdiv(value_wad, E6_TO_WAD) - mark_e6)
    return tuple(out)


def intrinsic_e6(index_e6: int, strike_e6: int, is_call: bool) -> int:
    """Value of one contract at expiry (collateral units e6)."""
    return max(index_e6 - strike_e6, 0) if is_call else max(strike_e6 - index_e6, 0)

