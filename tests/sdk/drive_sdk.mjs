// Drives a ClearNode with the real @erc7824/nitrolite 0.5.3 message builders.
// Usage: node drive_sdk.mjs <ws-url> <wallet-private-key> <counterparty-address>
// Prints one JSON summary on stdout; every server frame's broker signature is checked
// by recovering the signer (viem) from the raw "res" text exactly as received.
import WebSocket from 'ws';
import {
    createAppSessionMessage,
    createAuthRequestMessage,
    createAuthVerifyMessageFromChallenge,
    createAuthVerifyMessageWithJWT,
    createCloseAppSessionMessage,
    createECDSAMessageSigner,
    createEIP712AuthMessageSigner,
    createGetConfigMessageV2,
    createGetLedgerBalancesMessage,
    createSubmitAppStateMessage,
} from '@erc7824/nitrolite';
import { createWalletClient, http, keccak256, recoverAddress, toBytes } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';

const [url, walletKey, counterparty] = process.argv.slice(2);
const APPLICATION = 'sdk-test';
const wallet = privateKeyToAccount(walletKey);
// The transport is never used: a local account signs typed data itself.
const walletClient = createWalletClient({ account: wallet, transport: http('http://127.0.0.1:9') });
const sessionKey = generatePrivateKey();
const sessionSigner = createECDSAMessageSigner(sessionKey);
const sessionAddress = privateKeyToAccount(sessionKey).address;

class Peer {
    constructor(socket) {
        this.socket = socket;
        this.waiting = [];
        this.queued = [];
        this.frames = [];
        socket.on('message', (data) => this.onText(data.toString()));
    }

    static open(address) {
        return new Promise((resolve, reject) => {
            const socket = new WebSocket(address);
            socket.once('open', () => resolve(new Peer(socket)));
            socket.once('error', reject);
        });
    }

    onText(text) {
        const raw = text.slice('{"res":'.length, text.lastIndexOf(',"sig":'));
        const [id, method, result] = JSON.parse(raw);
        const frame = { id, method, result, raw, sig: JSON.parse(text).sig };
        this.frames.push(frame);
        const waiter = this.waiting.shift();
        if (waiter) waiter(frame);
        else this.queued.push(frame);
    }

    next() {
        const frame = this.queued.shift();
        return frame ? Promise.resolve(frame) : new Promise((resolve) => this.waiting.push(resolve));
    }

    async call(message) {
        const id = JSON.parse(message).req[0];
        this.socket.send(message);
        for (;;) {
            const frame = await this.next();
            if (frame.id === id) return frame;
            if (frame.id !== 0) throw new Error(`unexpected answer ${frame.raw}`);
        }
    }
}

async function brokerSigned(frames, broker) {
    let bad = 0;
    for (const frame of frames) {
        const signer = await recoverAddress({ hash: keccak256(toBytes(frame.raw)), signature: frame.sig[0] });
        if (signer !== broker) bad += 1;
    }
    return bad;
}

function allocations(mine, theirs) {
    return [
        { participant: wallet.address, asset: 'usdc', amount: mine },
        { participant: counterparty, asset: 'usdc', amount: theirs },
    ];
}

async function login(peer) {
    const policy = {
        scope: 'app.create',
        session_key: sessionAddress,
        expires_at: BigInt(Math.floor(Date.now() / 1000) + 3600),
        allowances: [{ asset: 'usdc', amount: '40' }],
    };
    const challenge = await peer.call(
        await createAuthRequestMessage({ address: wallet.address, application: APPLICATION, ...policy }),
    );
    const eip712Signer = createEIP712AuthMessageSigner(walletClient, policy, { name: APPLICATION });
    return peer.call(
        await createAuthVerifyMessageFromChallenge(eip712Signer, challenge.result.challenge_message),
    );
}

async function main() {
    const peer = await Peer.open(url);
    const config = await peer.call(createGetConfigMessageV2());
    const broker = config.result.broker_address;
    const verified = await login(peer);
    const before = await peer.call(await createGetLedgerBalancesMessage(sessionSigner));
    const definition = {
        application: APPLICATION,
        protocol: 'NitroRPC/0.4',
        participants: [wallet.address, counterparty],
        weights: [100, 0],
        quorum: 100,
        challenge: 0,
        nonce: Date.now(),
    };
    const created = await peer.call(
        await createAppSessionMessage(sessionSigner, { definition, allocations: allocations('25', '0') }),
    );
    const sessionId = created.result.app_session_id;
    const share = await peer.call(await createGetLedgerBalancesMessage(sessionSigner, sessionId));
    const submitted = await peer.call(
        await createSubmitAppStateMessage(sessionSigner, {
            app_session_id: sessionId,
            intent: 'operate',
            version: 2,
            allocations: allocations('15', '10'),
            session_data: '{"round":1}',
        }),
    );
    const overspent = await peer.call(
        await createAppSessionMessage(sessionSigner, {
            definition: { ...definition, nonce: definition.nonce + 1 },
            allocations: allocations('16', '0'),
        }),
    );
    const closed = await peer.call(
        await createCloseAppSessionMessage(sessionSigner, { app_session_id: sessionId, allocations: allocations('15', '10') }),
    );
    const after = await peer.call(await createGetLedgerBalancesMessage(sessionSigner));

    const second = await Peer.open(url);
    const jwtLogin = await second.call(await createAuthVerifyMessageWithJWT(verified.result.jwt_token));

    const frames = [...peer.frames, ...second.frames];
    const summary = {
        broker,
        wallet: wallet.address,
        sessionKey: sessionAddress,
        framesChecked: frames.length,
        badSignatures: await brokerSigned(frames, broker),
        pushes: peer.frames.filter((f) => f.id === 0).map((f) => f.method),
        appStatePush: peer.frames.find((f) => f.method === 'asu')?.result ?? null,
        verified: verified.result,
        before: before.result,
        created: created.result,
        share: share.result,
        submitted: submitted.result,
        overspent: overspent.result,
        closed: closed.result,
        after: after.result,
        jwtLogin: jwtLogin.result,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    peer.socket.close();
    second.socket.close();
}

main().catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
});
