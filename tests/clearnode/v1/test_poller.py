"""Events from polls: what changed since the last one, never our own changes twice."""

from dataclasses import replace
from decimal import Decimal

from custom_components.nitrolite.clearnode.models import (
    Allocation,
    AppSession,
    AppSessionUpdated,
    Balance,
    BalancesUpdated,
    Resynced,
)
from custom_components.nitrolite.clearnode.v1.models import PROTOCOL
from custom_components.nitrolite.clearnode.v1.node import NodeInfo
from custom_components.nitrolite.clearnode.v1.operations import Operations
from custom_components.nitrolite.clearnode.v1.poller import (
    MAX_CLOSED_REMEMBERED,
    SessionPoller,
    poll,
    reread,
)

from .conftest import YUSD, Local, definition

ME = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
PEER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BALANCES = (Balance(YUSD, Decimal(5)),)


def session(
    number: int, version: int, ours: str = "5", theirs: str = "0"
) -> AppSession:
    """Return an open two-party session at ``version`` with this split."""
    return AppSession(
        app_session_id=f"0x{number:064x}",
        application="home-assistant",
        status="open",
        participants=(ME, PEER),
        weights=(1, 1),
        quorum=1,
        protocol=PROTOCOL,
        challenge=0,
        nonce=number,
        version=version,
        session_data=None,
        created_at="",
        updated_at="",
        allocations=(
            Allocation(ME, YUSD, Decimal(ours)),
            Allocation(PEER, YUSD, Decimal(theirs)),
        ),
    )


def closed(listed: AppSession, version: int) -> AppSession:
    """Return a session as a v1 node lists it once closed: every allocation zero."""
    emptied = tuple(replace(a, amount=Decimal(0)) for a in listed.allocations or ())
    return replace(listed, status="closed", version=version, allocations=emptied)


def polled(poller: SessionPoller, *open_sessions: AppSession) -> list[object]:
    """Poll with unchanged balances and nothing departed."""
    return list(poller.update(BALANCES, open_sessions, {}))


def test_the_first_poll_reports_the_balances_and_every_open_session() -> None:
    """Knowing nothing, everything is news; a new session covers all its versions."""
    poller = SessionPoller()
    first, second = session(1, 1), session(2, 3)
    assert poller.update(BALANCES, (first, second), {}) == [
        BalancesUpdated(BALANCES),
        AppSessionUpdated(first, versions=1),
        AppSessionUpdated(second, versions=3),
    ]
    assert polled(poller, first, second) == []


def test_balances_are_reported_when_an_amount_changes_only() -> None:
    """Order and notation do not matter; a new amount or asset does."""
    poller = SessionPoller()
    poller.reset((Balance(YUSD, Decimal("5.0")), Balance("usdc", Decimal(1))), ())
    same = (Balance("usdc", Decimal("1.00")), Balance(YUSD, Decimal(5)))
    assert poller.update(same, (), {}) == []
    changed = (Balance(YUSD, Decimal("4.5")), Balance("usdc", Decimal(1)))
    assert poller.update(changed, (), {}) == [BalancesUpdated(changed)]


def test_a_newer_version_is_one_event_that_counts_the_versions() -> None:
    """Two payments by the counterparty between polls come as one update of 2."""
    poller = SessionPoller()
    poller.reset(BALANCES, (session(1, 2),))
    paid_twice = session(1, 4, "4", "1")
    assert polled(poller, paid_twice) == [AppSessionUpdated(paid_twice, versions=2)]
    assert polled(poller, paid_twice) == []


def test_our_own_change_is_not_reported_again() -> None:
    """The answer to our payment updates what was seen; the poll that lists it is quiet."""
    poller = SessionPoller()
    poller.reset(BALANCES, (session(1, 2),))
    ours = session(1, 3, "4", "1")
    poller.record(ours)
    assert polled(poller, ours) == []


def test_a_listing_older_than_our_change_changes_nothing() -> None:
    """A poll read before our payment landed lists the previous version: ignored."""
    poller = SessionPoller()
    poller.reset(BALANCES, (session(1, 2),))
    poller.record(session(1, 3, "4", "1"))
    assert polled(poller, session(1, 2)) == []
    newer = session(1, 4, "3", "2")
    assert polled(poller, newer) == [AppSessionUpdated(newer, versions=1)]


def test_a_late_answer_does_not_undo_what_a_poll_saw() -> None:
    """Our answer for version 3 after a poll saw 4: version 4 stays the last seen."""
    poller = SessionPoller()
    poller.reset(BALANCES, (session(1, 2),))
    fourth = session(1, 4, "3", "2")
    polled(poller, fourth)
    poller.record(session(1, 3, "4", "1"))
    assert polled(poller, fourth) == []


def test_a_session_that_left_the_open_list_is_reported_closed_with_its_last_split() -> (
    None
):
    """The node lists a closed session's allocations as zero; the event keeps the split.

    ``versions`` counts the close and any change the poll missed before it.
    """
    poller = SessionPoller()
    last_open = session(1, 3, "4", "1")
    poller.reset(BALANCES, (last_open,))
    assert poller.departed(()) == (last_open.app_session_id,)
    read = closed(last_open, 5)
    events = poller.update(BALANCES, (), {last_open.app_session_id: read})
    assert events == [
        AppSessionUpdated(replace(read, allocations=last_open.allocations), versions=2)
    ]
    assert poller.departed(()) == ()
    assert polled(poller, last_open) == []  # a listing read before the close


def test_a_departed_session_still_open_is_a_listing_that_raced() -> None:
    """The re-read shows the session open: an update if newer, nothing if not."""
    poller = SessionPoller()
    poller.reset(BALANCES, (session(1, 2),))
    assert (
        poller.update(BALANCES, (), {session(1, 2).app_session_id: session(1, 2)}) == []
    )
    newer = session(1, 3, "4", "1")
    assert poller.update(BALANCES, (), {newer.app_session_id: newer}) == [
        AppSessionUpdated(newer, versions=1)
    ]


def test_a_departed_session_the_node_no_longer_has_is_forgotten() -> None:
    """Nothing to report, and no re-read on every later poll."""
    poller = SessionPoller()
    gone = session(1, 2)
    poller.reset(BALANCES, (gone,))
    assert poller.update(BALANCES, (), {gone.app_session_id: None}) == []
    assert poller.departed(()) == ()


def test_a_departed_session_never_seen_open_is_ignored() -> None:
    """Only sessions last seen open can leave the open list."""
    poller = SessionPoller()
    poller.reset(BALANCES, ())
    stranger = session(9, 3)
    assert (
        poller.update(BALANCES, (), {stranger.app_session_id: closed(stranger, 4)})
        == []
    )


def test_our_own_close_is_not_reported_again() -> None:
    """A session we closed is not read back, and a stale listing cannot reopen it."""
    poller = SessionPoller()
    last_open = session(1, 3, "4", "1")
    poller.reset(BALANCES, (last_open,))
    poller.record(replace(last_open, status="closed", version=4))
    assert poller.departed(()) == ()
    assert polled(poller, last_open) == []
    poller.record(session(1, 5))  # a late answer cannot reopen it either
    assert poller.departed(()) == ()


def test_a_session_created_by_us_is_not_reported_as_new() -> None:
    """Our create is recorded; its first listing is quiet."""
    poller = SessionPoller()
    poller.reset(BALANCES, ())
    created = session(7, 1)
    poller.record(created)
    assert polled(poller, created) == []


def test_a_reset_takes_the_full_re_read_as_reported() -> None:
    """After a reconnect's re-read (emitted as Resynced), polls diff against it."""
    poller = SessionPoller()
    polled(poller, session(1, 2))
    poller.reset(BALANCES, (session(2, 1),))
    assert poller.departed((session(2, 1),)) == ()
    assert polled(poller, session(2, 1)) == []


def test_only_the_latest_closed_sessions_are_remembered() -> None:
    """Memory stays bounded; a listing is never that many closes old."""
    poller = SessionPoller()
    sessions = [session(number, 2) for number in range(MAX_CLOSED_REMEMBERED + 1)]
    poller.reset(BALANCES, sessions)
    for listed in sessions:
        poller.record(replace(listed, status="closed", version=3))
    oldest, newest = sessions[0], sessions[-1]
    assert polled(poller, newest) == []
    assert polled(poller, oldest) == [AppSessionUpdated(oldest, versions=2)]


class ListingBeforeOurChange:
    """Reads whose listing was taken just before a change of ours was accepted."""

    def __init__(self, poller: SessionPoller, listed: AppSession, ours: AppSession):
        """List ``listed`` once, recording ``ours`` meanwhile; then list ``ours``."""
        self._poller, self._listed, self._ours = poller, listed, ours
        self._changed = False

    async def get_balances(self) -> tuple[Balance, ...]:
        """Return the balances."""
        return BALANCES

    async def open_sessions(self) -> tuple[AppSession, ...]:
        """Return the older listing while our change's answer arrives, then the node's."""
        if not self._changed:
            self._changed = True
            self._poller.record(self._ours)
            return (self._listed,)
        return (self._ours,) if self._ours.status == "open" else ()

    async def find_session(self, app_session_id: str) -> AppSession | None:
        """Return our closed session."""
        return self._ours


async def test_a_change_of_ours_during_a_reread_is_not_reported_afterwards() -> None:
    """The re-read listing is older than our answer: the next poll stays quiet."""
    poller = SessionPoller()
    poller.reset(BALANCES, (session(1, 2),))
    paid = session(1, 3, ours="4", theirs="1")
    reads = ListingBeforeOurChange(poller, session(1, 2), paid)
    resynced = await reread(reads, poller)
    assert isinstance(resynced, Resynced)
    assert resynced.open_sessions == (session(1, 2),)
    assert await poll(reads, poller) == []


async def test_a_close_of_ours_during_a_reread_is_not_reported_afterwards() -> None:
    """Our close was answered while the listing still showed the session open."""
    poller = SessionPoller()
    closing = closed(session(1, 2), 3)
    reads = ListingBeforeOurChange(poller, session(1, 2), closing)
    await reread(reads, poller)
    assert await poll(reads, poller) == []


def test_a_state_read_outside_a_poll_is_reported_once() -> None:
    """A payment's re-read finds the peer's change: one event, and no poll repeats it."""
    poller = SessionPoller()
    poller.reset(BALANCES, (session(1, 2),))
    moved = session(1, 3, ours="4", theirs="1")
    assert poller.observe(moved) == [AppSessionUpdated(moved, versions=1)]
    assert poller.observe(moved) == []
    assert polled(poller, moved) == []


async def test_polling_a_local_node_reports_the_counterpartys_changes(
    local: Local, node_info: NodeInfo
) -> None:
    """Against a real node: our own changes stay quiet, the counterparty's are events.

    Two payments by the counterparty come as one update of two versions; its close
    comes as the closed session with the split it released, and our balance grows.
    """
    local.fund()
    poller = SessionPoller()
    ops = Operations(local.sender, local.wallet, node_info, applied=poller.record)
    app_definition = definition((local.wallet, 1), (local.counterparty, 1), quorum=1)
    opened = await ops.open_session(app_definition, {YUSD: Decimal(5)})
    assert await poll(ops, poller) == [BalancesUpdated((Balance(YUSD, Decimal(5)),))]

    session_id = opened.app_session_id
    me, them = local.wallet.address, local.counterparty.address
    for ours, theirs in (("4", "1"), ("3", "2")):
        local.node.peer_submit(
            session_id,
            [
                Allocation(me, YUSD, Decimal(ours)),
                Allocation(them, YUSD, Decimal(theirs)),
            ],
            local.counterparty,
        )
    (update,) = await poll(ops, poller)
    assert isinstance(update, AppSessionUpdated)
    assert (update.session.version, update.versions) == (4, 2)
    split = {a.participant: a.amount for a in update.session.allocations or ()}
    assert split == {me: 3, them: 2}

    local.node.close_by_peer(session_id, local.counterparty)
    balances, closing = await poll(ops, poller)
    assert balances == BalancesUpdated((Balance(YUSD, Decimal(8)),))
    assert isinstance(closing, AppSessionUpdated)
    assert (closing.session.status, closing.session.version, closing.versions) == (
        "closed",
        5,
        1,
    )
    assert closing.session.allocations == update.session.allocations
    assert await poll(ops, poller) == []
