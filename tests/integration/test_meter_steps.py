"""What a metered preset decides to do next, from its meter, the preset and the session.

The decision is pure: each test states a situation and the one step it calls for. The
preset deposits 4 usdc and costs 0.5 usdc per kWh, paid every 0.1 kWh (0.05 usdc).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import State

from custom_components.nitrolite.clearnode import Allocation, AppSession
from custom_components.nitrolite.meter import Baseline, MeteredPayment, MeterSettings
from custom_components.nitrolite.meter_steps import (
    CloseSession,
    Decision,
    Exhausted,
    OpenSession,
    Pay,
    Situation,
    StartCounting,
    TopUp,
    TopUpRefused,
    follow_due,
    next_step,
)
from custom_components.nitrolite.meter_store import MeterState
from custom_components.nitrolite.presets import Preset

from .conftest import COUNTERPARTY, WALLET

METER = "sensor.charger_energy"
SESSION_ID = "0x" + "ab" * 32
SETTINGS = MeterSettings(
    entity_id=METER,
    meter_units=Decimal(1),
    pay_every=Decimal("0.1"),
    session_follows="binary_sensor.charger_plugged_in",
    top_up=False,
    max_session_deposit=None,
)
PRESET = Preset(
    subentry_id="01JPRESET",
    name="EV charger",
    counterparty=COUNTERPARTY,
    asset="usdc",
    deposit=Decimal(4),
    unit_price=Decimal("0.5"),
    protocol="NitroRPC/0.4",
    weights=(100, 0),
    quorum=100,
    challenge=0,
    application="home-assistant",
    meter=SETTINGS,
)
SESSION = AppSession(
    app_session_id=SESSION_ID,
    application="home-assistant",
    status="open",
    participants=(WALLET, COUNTERPARTY),
    weights=(100, 0),
    quorum=100,
    protocol="NitroRPC/0.4",
    challenge=0,
    nonce=1,
    version=2,
    session_data=None,
    created_at="",
    updated_at="",
    allocations=(
        Allocation(WALLET, "usdc", Decimal(4)),
        Allocation(COUNTERPARTY, "usdc", Decimal(0)),
    ),
)
COUNTING_FROM_10 = MeterState(
    session_id=SESSION_ID, baseline=Baseline(METER, Decimal(10), "kWh")
)


def meter(value: str) -> State:
    """Return the meter's state showing ``value`` kWh."""
    return State(METER, value, {"unit_of_measurement": "kWh"})


def decide(**changes: object) -> Decision:
    """Decide for a session counting from 10 kWh, 4 usdc left, the charger plugged in."""
    situation = Situation(
        settings=SETTINGS,
        preset=PRESET,
        state=COUNTING_FROM_10,
        session=SESSION,
        meter=meter("10"),
        remaining=Decimal(4),
        follow=None,
        rebaseline=False,
        reset_to=None,
        top_up_refused=None,
    )
    return next_step(replace(situation, **changes))


def test_without_a_session_it_opens_one_when_the_charger_is_plugged_in() -> None:
    """No session: open one if the follows entity asks, else wait."""
    assert decide(session=None, follow=True).step == OpenSession()
    assert decide(session=None, follow=None).step is None


def test_what_the_follows_entity_asks_is_due_until_it_is_so() -> None:
    """Plugged in with a session open, or unplugged without one, asks nothing more."""
    assert follow_due(True, SESSION) is None
    assert follow_due(False, None) is None
    assert follow_due(True, None) is True
    assert follow_due(False, SESSION) is False


def test_a_new_session_counts_from_the_reading_now() -> None:
    """The first decision in a session starts the count; nothing is paid for before."""
    decision = decide(state=MeterState(), meter=meter("12.5"))

    assert decision.step == StartCounting(
        MeterState(
            session_id=SESSION_ID, baseline=Baseline(METER, Decimal("12.5"), "kWh")
        )
    )


def test_whole_steps_of_the_advance_are_paid_the_rest_carried() -> None:
    """10 → 10.25 kWh: two 0.1 kWh steps, 0.1 usdc, covering up to 10.2."""
    decision = decide(meter=meter("10.25"))

    assert decision.step == Pay(
        MeteredPayment(Decimal("0.1"), Decimal("0.2"), Decimal("10.2"))
    )


def test_less_than_a_step_pays_nothing_and_unplugging_then_closes() -> None:
    """0.05 kWh is under a step: nothing to pay; unplugged, the session closes."""
    assert decide(meter=meter("10.05")).step is None
    assert decide(meter=meter("10.05"), follow=False).step == CloseSession()


def test_what_is_owed_is_paid_before_the_session_closes() -> None:
    """Unplugged with 0.3 kWh unpaid: the payment first."""
    assert isinstance(decide(meter=meter("10.3"), follow=False).step, Pay)


def test_an_unusable_reading_pays_nothing_and_says_why() -> None:
    """Unavailable: no step, and the problem for the worker to log once."""
    decision = decide(meter=State(METER, STATE_UNAVAILABLE))

    assert decision.step is None
    assert decision.read is not None
    assert decision.read.problem is not None


def test_a_reset_meter_counts_again_from_its_new_reading() -> None:
    """A drop from 10 to 0.2 kWh pays nothing back and counts from 0.2."""
    decision = decide(meter=meter("0.2"))

    assert decision.step == StartCounting(
        replace(COUNTING_FROM_10, baseline=Baseline(METER, Decimal("0.2"), "kWh"))
    )


def test_when_the_deposit_runs_short_the_steps_it_covers_are_paid() -> None:
    """0.12 usdc left, 0.25 due: the two steps it covers (0.1 usdc) are paid."""
    decision = decide(meter=meter("10.5"), remaining=Decimal("0.12"))

    assert decision.step == Pay(
        MeteredPayment(Decimal("0.1"), Decimal("0.2"), Decimal("10.2"))
    )


def test_a_deposit_that_covers_no_step_is_exhausted() -> None:
    """0.01 usdc left: nothing is paid, the exhaustion is told; unplugged, it closes."""
    decision = decide(meter=meter("10.5"), remaining=Decimal("0.01"), follow=False)

    assert decision.step == CloseSession()
    assert decision.exhausted == Exhausted(
        SESSION,
        Decimal("0.01"),
        MeteredPayment(Decimal("0.25"), Decimal("0.5"), Decimal("10.5")),
    )


def test_a_top_up_comes_first_while_the_session_may_hold_more() -> None:
    """Top up by the deposit up to 10 usdc: 4 held, 4 more fit; refused once, never again."""
    topping_up = replace(SETTINGS, top_up=True, max_session_deposit=Decimal(10))
    short = {"meter": meter("10.5"), "remaining": Decimal("0.01")}

    assert decide(settings=topping_up, **short).step == TopUp(SESSION)
    refused = TopUpRefused(SESSION_ID, "allowance_exceeded", "over the cap")
    assert decide(settings=topping_up, top_up_refused=refused, **short).exhausted
