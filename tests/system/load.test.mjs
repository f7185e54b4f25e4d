// Load: 20,000 extra webhooks (valid duplicates, malformed, forged, unknown
// rows, wrong ids) fired while a 10,000-number zero-delay run goes on. Each
// kind must get exactly its answer; the run must end as if they had not
// been sent: every row completed once, in order, never more than 3 in
// flight, the same FastCGI process. Prints rates; asserts no speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, getJSON, postJSON, waitAllTerminal, waitSimSettled, writeNumbers, freePort,
	TERMINAL,
} from './harness.mjs';

const N = 10000;
const HOOKS = 20000;
const WORKERS = 16;          // webhooks in the air at once
const LIMIT = 3;

// The webhooks fired, by kind, with the one answer each must get. A "real"
// row is one the dialer has handed the API (its URL and key are known); a
// "done" row is one the dialer's /events shows terminal, with its id.
const KINDS = [
	{ kind: 'duplicate ringing', code: 200, on: 'real' },
	{ kind: 'duplicate completed', code: 200, on: 'done' },
	{ kind: 'malformed JSON', code: 400, on: 'real' },
	{ kind: 'not JSON', code: 415, on: 'real' },
	{ kind: 'unknown status', code: 422, on: 'real' },
	{ kind: 'forged key', code: 403, on: 'real' },
	{ kind: 'unknown row', code: 404, on: 'none' },
	{ kind: 'wrong id', code: 409, on: 'done' },
];

// A telephony API in front of the simulator: forwards each POST /call to it
// unchanged and returns its answer unchanged, reporting on the way the
// webhook URL the dialer sent (the only place a row's key appears) and the
// id the simulator gave. It runs in a worker thread of this file, so that
// the webhooks fired from the main thread never hold a call back.
async function serveProxy({ target, port }) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
	const srv = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (d) => chunks.push(d));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			let j = {};
			try { j = JSON.parse(body.toString('utf8')); } catch { /* forwarded as it is */ }
			const up = http.request(`${target}${req.url}`, {
				method: req.method, agent,
				headers: { 'Content-Type': req.headers['content-type'] || 'application/json', 'Content-Length': body.length },
			}, (ures) => {
				const uc = [];
				ures.on('data', (d) => uc.push(d));
				ures.on('end', () => {
					const ub = Buffer.concat(uc);
					let a = {};
					try { a = JSON.parse(ub.toString('utf8')); } catch { /* not JSON */ }
					const m = /\/webhook\/(\d+)\/([0-9a-f]+)$/.exec(j.webhookURL || '');
					if (m && a.id !== undefined && a.id !== null)
						parentPort.postMessage({ row: Number(m[1]), key: m[2], id: a.id });
					res.writeHead(ures.statusCode, { 'Content-Type': ures.headers['content-type'] || 'application/json' });
					res.end(ub);
				});
			});
			up.on('error', () => { res.destroy(); });
			up.end(body);
		});
	});
	srv.listen(port, '127.0.0.1');
	await once(srv, 'listening');
	parentPort.postMessage({ listening: true });
}

// Starts the proxy's thread; rows and real fill as calls are placed.
async function recordingProxy(target) {
	const rows = new Map();        // row -> { key, id }
	const real = [];               // rows with an id, in the order placed
	const port = await freePort();
	const worker = new Worker(new URL(import.meta.url), { workerData: { target, port } });
	await new Promise((resolve, reject) => {
		worker.on('error', reject);
		worker.on('message', (m) => {
			if (m.listening) return resolve();
			rows.set(m.row, { key: m.key, id: m.id });
			real.push(m.row);
		});
	});
	return { url: `http://127.0.0.1:${port}`, rows, real, close: () => worker.terminate() };
}

const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
const hex32 = () => randomBytes(16).toString('hex');

// The request of one webhook of kind k, or null when no row fits yet.
function makeHook(k, base, proxy, done) {
	const json = (v) => ({ type: 'application/json', body: JSON.stringify(v) });
	if (k.on === 'none') {
		const row = N + Math.floor(Math.random() * N);
		return { url: `${base}/webhook/${row}/${hex32()}`, ...json({ id: 1, status: 'ringing' }) };
	}
	const row = k.on === 'done' ? pick(done) : pick(proxy.real);
	if (row === undefined) return null;
	const r = proxy.rows.get(row);
	const url = `${base}/webhook/${row}/${r.key}`;
	switch (k.kind) {
	case 'duplicate ringing': return { url, ...json({ id: r.id, status: 'ringing' }) };
	case 'duplicate completed': return { url, ...json({ id: r.id, status: 'completed' }) };
	case 'malformed JSON': return { url, type: 'application/json', body: `{"id": ${r.id}, "status": "ring` };
	case 'not JSON': return { url, type: 'text/plain', body: 'ringing' };
	case 'unknown status': return { url, ...json({ id: r.id, status: 'exploded' }) };
	case 'forged key': {
		// Half a random key, half the key of another real row.
		const other = proxy.rows.get(pick(proxy.real));
		const key = Math.random() < 0.5 || other.key === r.key ? hex32() : other.key;
		return { url: `${base}/webhook/${row}/${key}`, ...json({ id: r.id, status: 'completed' }) };
	}
	case 'wrong id': return { url, ...json({ id: Number(r.id) + 1000000, status: 'completed' }) };
	default: throw new Error(`unknown kind ${k.kind}`);
	}
}

// One POST on kept-alive connections (lighter than fetch, for thousands).
const hookAgent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });
function post(url, type, body) {
	return new Promise((resolve, reject) => {
		const req = http.request(url, {
			method: 'POST', agent: hookAgent, timeout: 20000,
			headers: { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) },
		}, (res) => {
			const chunks = [];
			res.on('data', (d) => chunks.push(d));
			res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
		});
		req.on('timeout', () => req.destroy(new Error('no answer in 20 s')));
		req.on('error', reject);
		req.end(body);
	});
}

// Fires count webhooks, kinds in turn, WORKERS at a time. Returns the
// answers counted by kind and code; a failed exchange counts as code 0.
async function fire(count, base, proxy, done, deadline) {
	const tally = new Map(KINDS.map((k) => [k.kind, {}]));
	const errors = [];
	let next = 0;
	const worker = async () => {
		for (;;) {
			const i = next++;
			if (i >= count) return;
			const k = KINDS[i % KINDS.length];
			let h = makeHook(k, base, proxy, done);
			while (h === null) {
				if (Date.now() > deadline) throw new Error(`no row for "${k.kind}" in time`);
				await sleep(5);
				h = makeHook(k, base, proxy, done);
			}
			let code;
			try {
				const res = await post(h.url, h.type, h.body);
				code = res.status;
				if (code !== k.code && errors.length < 10) errors.push(`${k.kind}: ${code} ${res.text.slice(0, 120)}`);
			} catch (e) {
				code = 0;
				if (errors.length < 10) errors.push(`${k.kind}: ${e.message}`);
			}
			const t = tally.get(k.kind);
			t[code] = (t[code] || 0) + 1;
		}
	};
	await Promise.all(Array.from({ length: WORKERS }, worker));
	return { tally, errors };
}

function assertTally({ tally, errors }, count) {
	const want = {};
	const got = {};
	for (const k of KINDS) {
		want[k.kind] = { [k.code]: count / KINDS.length };
		got[k.kind] = tally.get(k.kind);
	}
	assert.deepEqual(got, want, `each kind gets its one answer; first misses: ${errors.join('; ')}`);
}

if (!isMainThread) await serveProxy(workerData);
else test(`${HOOKS} stray webhooks during a ${N}-number run change nothing they must not`, { timeout: 400000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = Array.from({ length: N }, (_, i) => `1301806${String(i).padStart(4, '0')}`);
		const file = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 0, seed: 5, numbers: file });
		const proxy = await recordingProxy(sim.url);
		t.after(() => { hookAgent.destroy(); return proxy.close(); });
		const st = await s.stack({ api: proxy.url, numbers: file });
		const pid = await st.fcgiPid();
		const deadline = Date.now() + 300000;

		// The rows the dialer shows terminal, as the page's long-poll sees them.
		const done = [];
		const doneSet = new Set();
		let maxInFlight = 0;
		let endedAt = 0;
		const t0 = Date.now();
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		const follow = waitAllTerminal(st.base, 300000, {
			onResponse: (ev) => {
				maxInFlight = Math.max(maxInFlight, ev.in_flight);
				for (const c of ev.calls)
					if (TERMINAL.has(c.status) && c.id !== undefined && !doneSet.has(c.row) && proxy.rows.has(c.row)) {
						doneSet.add(c.row);
						done.push(c.row);
					}
			},
		}).then((fin) => { endedAt = Date.now(); return fin; });
		const fired = fire(HOOKS, st.base, proxy, done, deadline).then((r) => ({ ...r, at: Date.now() }));
		const [fin, shots] = await Promise.all([follow, fired]);
		const runMs = endedAt - t0;
		const fireMs = shots.at - t0;
		t.diagnostic(`run: ${N} calls in ${runMs} ms; ${HOOKS} stray webhooks in ${fireMs} ms ` +
		    `(${Math.round(HOOKS / (fireMs / 1000))}/s), the run ${shots.at > endedAt ? 'ended first' : 'outlasted them'}`);
		console.log(`load: ${N} calls in ${runMs} ms, ${HOOKS} stray webhooks in ${fireMs} ms`);
		assertTally(shots, HOOKS);

		assert.ok(maxInFlight <= LIMIT, `the dialer's in_flight stayed <= 3 (saw ${maxInFlight})`);
		const stats = await waitSimSettled(sim, 300);
		assert.equal(stats.calls_placed, N, 'each row placed once');
		const firstOff = stats.dialed.findIndex((p, i) => p !== list[i]);
		assert.equal(firstOff, -1, firstOff < 0 ? '' :
		    `the API saw ${stats.dialed[firstOff]} at position ${firstOff}, the list has ${list[firstOff]}`);
		assert.equal(stats.max_in_flight, LIMIT, 'exactly 3 in flight at most');
		assert.equal(stats.webhooks_failed, 0, 'every webhook of the API answered 2xx');
		assert.equal(fin.rows.length, N);
		const odd = fin.rows.filter((r) => r.status !== 'completed' || r.attempts !== 1);
		assert.deepEqual(odd.slice(0, 5), [], `${odd.length} rows not completed once`);
		for (const [i, r] of fin.rows.entries())
			if (r.id !== String(proxy.rows.get(i)?.id)) assert.fail(`row ${i} has id ${r.id}, the API gave ${proxy.rows.get(i)?.id}`);

		// On the finished list every stray webhook is a no-op: same answers,
		// and not one row changed. The valid ones (duplicates) are recorded
		// in their rows' histories, which moves the version, nothing else.
		const before = (await getJSON(`${st.base}/events`)).json;
		const again = await fire(KINDS.length * 100, st.base, proxy, done, Date.now() + 60000);
		assertTally(again, KINDS.length * 100);
		const after = (await getJSON(`${st.base}/events`)).json;
		const asRow = (c) => ({ row: c.row, status: c.status, id: c.id, attempts: c.attempts,
		    dialed_at: c.dialed_at, ringing_at: c.ringing_at, answered_at: c.answered_at, ended_at: c.ended_at });
		assert.deepEqual(after.calls.map(asRow), before.calls.map(asRow),
		    'a late webhook is recorded in the history but changes no row (statuses, ids, attempts, marks)');
		assert.deepEqual(after.calls, before.calls);
		assert.equal(after.in_flight, 0);
		assert.equal(after.done, N);
		assert.equal(await st.fcgiPid(), pid, 'the same FastCGI process from start to end');
	});
});
