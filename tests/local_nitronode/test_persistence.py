"""The state file keeps everything across restarts of the process."""

from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from custom_components.nitrolite.clearnode.signing import Signer
from custom_components.nitrolite.clearnode.v1.models import AppIntent
from local_nitronode import LocalNitronode

from .peer import Peer
from .wallet import Wallet, allocation, definition, key_state, update

YUSD = "yusd"


async def test_a_restarted_process_remembers_everything(
    tmp_path: Path, wallet: Signer, counterparty: Signer
) -> None:
    """Everything survives a restart: the next deposit builds on the remembered state.

    That is the node key, channel states and channels, sessions and their allocations,
    transactions, app-session keys and faucet claims; ``fund`` only funds a new file.
    """
    path = tmp_path / "nitronode.json"
    async with (
        LocalNitronode(
            state_file=path, fund={wallet.address: {YUSD: Decimal(10)}}
        ) as node,
        aiohttp.ClientSession() as http,
    ):
        node_address = node.node_address
        me = Wallet(Peer(await http.ws_connect(node.url)), wallet, node_address)
        await me.acknowledge(YUSD)
        session_id = await me.create(
            definition([(wallet, 1), (counterparty, 1)], 1, nonce=9), [wallet], "<kept>"
        )
        deposit = update(
            session_id, AppIntent.DEPOSIT, 2, [allocation(wallet, YUSD, "4")]
        )
        await me.deposit(deposit, [wallet], Decimal(4))
        async with http.post(
            node.faucet_url, json={"userAddress": counterparty.address}
        ):
            pass
        key = key_state(wallet, Signer.generate(), version=1, expires_at=2**40)
        await me.peer.call(
            "app_sessions.v1.submit_session_key_state", {"state": key.to_wire()}
        )
        before = (await me.session(session_id), await me.latest(YUSD))
        transactions = await me.peer.call(
            "user.v1.get_transactions", {"wallet": me.address}
        )
        await me.peer.ws.close()

    async with (
        LocalNitronode(
            state_file=path, fund={wallet.address: {YUSD: Decimal(99)}}
        ) as node,
        aiohttp.ClientSession() as http,
    ):
        assert node.node_address == node_address
        me = Wallet(Peer(await http.ws_connect(node.url)), wallet, node_address)
        assert (await me.session(session_id), await me.latest(YUSD)) == before
        assert (
            await me.peer.call("user.v1.get_transactions", {"wallet": me.address})
            == transactions
        )
        assert await me.balance(YUSD) == 6
        keys = await me.peer.call(
            "app_sessions.v1.get_last_key_states", {"user_address": me.address}
        )
        assert keys["states"] == [key.to_wire()]
        async with http.post(
            node.faucet_url, json={"userAddress": counterparty.address}
        ) as again:
            assert again.status == 429
        more = update(session_id, AppIntent.DEPOSIT, 3, [allocation(wallet, YUSD, "5")])
        assert (await me.deposit(more, [wallet], Decimal(1))).error is None
        await me.peer.ws.close()


async def test_another_file_is_not_taken_for_a_state_file(tmp_path: Path) -> None:
    """A JSON file of another format is refused rather than half-read."""
    path = tmp_path / "clearnode-state.json"
    path.write_text('{"version": 1, "balances": []}')
    with pytest.raises(ValueError, match="not a local Nitronode state file"):
        LocalNitronode(state_file=path)
