"""The shadow's CPU budget (pure): challenger seconds at most a share of the champion's."""

from __future__ import annotations

from app.shadow.budget import InferenceBudget


def test_budget_allows_the_share_and_no_more() -> None:
    b = InferenceBudget(0.25)
    assert b.allow()  # nothing measured yet: the first shadow run measures the cost
    b.observe_champion(1, 5.0)  # first reading of a predictor: a baseline (warm-up), not traffic
    b.add_shadow(1.0)
    assert not b.allow() and b.ratio == 0.0
    b.observe_champion(1, 8.0)  # 3 s of champion inference since
    assert not b.allow()  # 1.0 > 0.25 x 3
    b.observe_champion(1, 9.0)
    assert b.allow() and b.ratio == 0.25  # 1.0 <= 0.25 x 4


def test_budget_follows_a_new_predictor_and_decays() -> None:
    b = InferenceBudget(0.5, window_s=10.0)
    b.observe_champion(1, 0.0)
    b.observe_champion(1, 8.0)
    b.add_shadow(4.0)
    b.observe_champion(2, 0.5)  # a swapped-in version: its own baseline
    b.observe_champion(2, 3.5)  # champion total 11 s > window: both halved
    assert (b.champion_s, b.shadow_s) == (5.5, 2.0)
    assert b.allow()


def test_zero_budget_never_allows() -> None:
    assert not InferenceBudget(0.0).allow()


def test_utilization_is_the_champions_share_of_the_last_second() -> None:
    b = InferenceBudget(0.25)
    assert b.utilization(now=0.0) == 0.0
    b.observe_champion(1, 0.0, now=10.0)
    b.observe_champion(1, 0.45, now=10.5)
    b.observe_champion(1, 0.9, now=11.0)
    assert abs(b.utilization(now=11.0) - 0.9) < 1e-9  # saturated: 0.9 s busy in 1 s
    b.observe_champion(1, 0.95, now=12.5)  # then nearly idle
    assert b.utilization(now=12.5) < 0.1


def test_a_run_is_admitted_only_if_its_expected_cost_fits() -> None:
    b = InferenceBudget(0.25)
    b.observe_champion(1, 0.0)
    b.observe_champion(1, 4.0)
    assert b.allow(1.0) and not b.allow(1.01)
