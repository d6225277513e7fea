// Throughput of the real @erc7824/nitrolite 0.5.3 SDK: 50 concurrent signed
// get_ledger_balances on one WebSocket, answers matched by id (as our client does).
// Usage: node sdk_throughput.mjs <ws-url> <wallet-private-key> <total-requests>
// Prints {"requests": n, "seconds": s} on stdout.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const sdkModules = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'sdk', 'package.json');
const require = createRequire(sdkModules);
const WebSocket = require('ws');
const sdk = require('@erc7824/nitrolite');
const { createWalletClient, http } = require('viem');
const { generatePrivateKey, privateKeyToAccount } = require('viem/accounts');

const CONCURRENCY = 50;
const APPLICATION = 'bench-sdk';
const [url, walletKey, totalText] = process.argv.slice(2);
const wallet = privateKeyToAccount(walletKey);
const walletClient = createWalletClient({ account: wallet, transport: http('http://127.0.0.1:9') });
const sessionKey = generatePrivateKey();
const sessionSigner = sdk.createECDSAMessageSigner(sessionKey);
let nextId = 1;

function open(address) {
    return new Promise((resolve, reject) => {
        const socket = new WebSocket(address);
        const pending = new Map();
        socket.on('message', (data) => {
            const text = data.toString();
            const [id] = JSON.parse(text).res;
            pending.get(id)?.(text);
            pending.delete(id);
        });
        const call = (message) =>
            new Promise((done) => {
                pending.set(JSON.parse(message).req[0], done);
                socket.send(message);
            });
        socket.once('open', () => resolve({ socket, call }));
        socket.once('error', reject);
    });
}

async function login(peer) {
    const policy = {
        scope: 'app.create',
        session_key: privateKeyToAccount(sessionKey).address,
        expires_at: BigInt(Math.floor(Date.now() / 1000) + 3600),
        allowances: [],
    };
    const challenge = JSON.parse(
        await peer.call(await sdk.createAuthRequestMessage({ address: wallet.address, application: APPLICATION, ...policy }, nextId++)),
    ).res[2].challenge_message;
    const signer = sdk.createEIP712AuthMessageSigner(walletClient, policy, { name: APPLICATION });
    await peer.call(await sdk.createAuthVerifyMessageFromChallenge(signer, challenge, nextId++));
}

async function main() {
    const total = Number(totalText);
    const peer = await open(url);
    await login(peer);
    let remaining = total;
    const worker = async () => {
        while (remaining > 0) {
            remaining -= 1;
            await peer.call(await sdk.createGetLedgerBalancesMessage(sessionSigner, undefined, nextId++));
        }
    };
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    process.stdout.write(`${JSON.stringify({ requests: total, seconds })}\n`);
    peer.socket.close();
}

main().catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
});
