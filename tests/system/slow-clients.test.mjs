// Slow peers must not take the program's request threads, behind lighttpd
// and nginx. Clients that ask for the full GET /events of a 100,000-row
// list and never read it; connections straight to the FastCGI socket that
// send their request a byte every 3 s. While either goes on, webhooks and
// GET /events must still be answered, each within a loose bound (the
// machine is shared: the strict figure is the bench's), and the program
// must drop the slow peers by itself: a client that stopped reading once
// no byte of its answer could be written for 5 s, a request not whole
// 5 s after its connection. A client that reads a big answer slowly, with
// pauses shorter than that, gets all of it; requests sent straight to the
// socket in pieces are served. And the FastCGI socket the program makes
// (under nginx) is its owner's, or its group's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withSession, getJSON, postJSON, request, standInApi, writeNumbers } from './harness.mjs';
import {
	cpuMs, drippers, fcgiExchange, fcgiRecords, fcgiSocket, openFiles, probe, slowReader, stalledReaders,
} from './slow.mjs';

const ROWS = 100000;          // the full answer: about 6.6 MB of JSON
const STALLED = 6;            // more than the program's 4 request threads
const DRIPPERS = 4;
const DRIP_EVERY_MS = 3000;
const BOUND_MS = 3000;        // each probe's answer, during an attack
const PROBE_MS = 8000;
const PROBE_EVERY_MS = 200;
const DROP_WITHIN_MS = 12000; // the program's 5 s, and room for a busy machine
const CPU_SHARE_MAX = 0.5;    // of one core, the program's during the probes:
                              // a slow peer must not make it spin
const phones = (n) => Array.from({ length: n }, (_, i) => `1${String(i).padStart(10, '0')}`);

// A stack over n numbers with its 3 calls placed at a silent stand-in API:
// the probes (a valid duplicate webhook to each row in turn, and a
// GET /events?since= one version back, answered at once) and the FastCGI
// process's pid.
async function dialing(s, server, api, n) {
	const numbers = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(n));
	const st = await s.stack({ server, api: api.url, numbers });
	assert.equal((await postJSON(`${st.base}/call`)).status, 202);
	const deadline = Date.now() + 10000;
	while (api.calls.length < 3 && Date.now() < deadline) await sleep(20);
	assert.equal(api.calls.length, 3, 'the dialer placed its 3 calls');
	const hooks = api.calls.map((c) => ({ path: new URL(c.webhookURL).pathname, id: c.id }));
	for (const h of hooks) {
		const r = await postJSON(`${st.base}${h.path}`, { id: h.id, status: 'ringing' });
		assert.equal(r.status, 200, r.text);
	}
	const ev = (await getJSON(`${st.base}/events?since=0`)).json;
	const since = `${st.base}/events?since=${ev.version - 1}&instance=${ev.instance}`;
	let turn = 0;
	const kinds = [
		{ name: 'webhook', next: () => {
			const h = hooks[turn++ % hooks.length];
			return { url: `${st.base}${h.path}`, opts: { method: 'POST',
			    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: h.id, status: 'ringing' }) } };
		} },
		{ name: 'GET /events?since', next: () => ({ url: since, opts: {} }) },
	];
	return { st, kinds, pid: await st.fcgiPid() };
}

const summary = (times) => Object.entries(times).map(([k, xs]) =>
	`${k}: ${xs.length} answered, max ${xs.length ? Math.round(Math.max(...xs)) : '-'} ms`).join('; ');

// The program's kept connections idle now (GET /metrics).
async function keptIdle(base) {
	const r = await request(`${base}/metrics`);
	const m = /^numdialer_fastcgi_connections_kept (\d+)$/m.exec(r.text);
	assert.ok(m, 'numdialer_fastcgi_connections_kept on /metrics');
	return Number(m[1]);
}

// Waits until the process has no more descriptors open than before.
async function fdsBackTo(pid, before, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	let now;
	while ((now = openFiles(pid)) > before && Date.now() < deadline) await sleep(100);
	return now;
}

for (const server of ['lighttpd', 'nginx']) {
	test(`clients that stop reading hold no request thread, behind ${server}`, { timeout: 120000 }, async (t) => {
		const api = await standInApi();
		let attack;
		try {
			await withSession(t, async (s) => {
				const { st, kinds, pid } = await dialing(s, server, api, ROWS);
				const fds = openFiles(pid);
				attack = await stalledReaders(st.port, '/events', STALLED);
				// Long enough for each to be rendered and to fill the buffers.
				await sleep(1500);
				const slow = slowReader(st.port, '/events', { pauseEvery: 1 << 20, pauseMs: 1500 });
				const cpu0 = cpuMs(pid);
				const { times, misses } = await probe(kinds, { forMs: PROBE_MS, everyMs: PROBE_EVERY_MS, boundMs: BOUND_MS });
				const cpu = cpuMs(pid) - cpu0;
				t.diagnostic(`during ${STALLED} stalled readers: ${summary(times)}; the program used ${cpu} ms of CPU`);
				assert.deepEqual(misses.slice(0, 5), [], `${misses.length} probes missed their ${BOUND_MS} ms bound`);
				assert.ok(cpu < PROBE_MS * CPU_SHARE_MAX, `the program used ${cpu} ms of CPU in ${PROBE_MS} ms`);

				const got = await slow;
				t.diagnostic(`slow reader: ${got.body.length} bytes in ${Math.round(got.ms)} ms, ${got.pauses} pauses of 1.5 s`);
				assert.equal(got.status, 200, `the slow reader's answer: ${got.error ?? ''}`);
				assert.equal(got.body.length, got.length, 'the slow reader got the whole answer');
				assert.equal(JSON.parse(got.body).calls.length, ROWS);

				// Behind nginx the program also holds the connections nginx
				// keeps idle between requests (fastcgi_keep_conn): not the
				// readers'. The one GET /metrics came on is idle again after.
				const kept = server === 'nginx' ? await keptIdle(st.base) + 1 : 0;
				const left = await fdsBackTo(pid, fds + kept, DROP_WITHIN_MS);
				assert.ok(left <= fds + kept, `the stalled readers' connections closed: ${left} descriptors open, ` +
				    `${fds} before, ${kept} kept by nginx`);
				assert.equal(await st.fcgiPid(), pid, 'the same FastCGI process');
			});
		} finally {
			attack?.close();
			await api.close();
		}
	});

	test(`requests dripped into the FastCGI socket hold no request thread, behind ${server}`, { timeout: 120000 }, async (t) => {
		const api = await standInApi();
		let attack;
		try {
			await withSession(t, async (s) => {
				const { st, kinds, pid } = await dialing(s, server, api, 100);
				attack = await drippers(fcgiSocket(st), DRIPPERS, DRIP_EVERY_MS);
				const cpu0 = cpuMs(pid);
				const { times, misses } = await probe(kinds, { forMs: PROBE_MS, everyMs: PROBE_EVERY_MS, boundMs: BOUND_MS });
				const cpu = cpuMs(pid) - cpu0;
				t.diagnostic(`during ${DRIPPERS} dripping connections: ${summary(times)}; the program used ${cpu} ms of CPU`);
				assert.deepEqual(misses.slice(0, 5), [], `${misses.length} probes missed their ${BOUND_MS} ms bound`);
				assert.ok(cpu < PROBE_MS * CPU_SHARE_MAX, `the program used ${cpu} ms of CPU in ${PROBE_MS} ms`);

				const deadline = Date.now() + DROP_WITHIN_MS;
				while (attack.conns.some((c) => Number.isNaN(c.closedAt)) && Date.now() < deadline) await sleep(100);
				const held = attack.conns.map((c) => Math.round(c.closedAt - c.openedAt));
				t.diagnostic(`dripping connections closed by the program after ${held.join(', ')} ms`);
				assert.ok(held.every((ms) => ms <= DROP_WITHIN_MS), `every dripping connection dropped: ${held.join(', ')} ms`);
				assert.equal(await st.fcgiPid(), pid, 'the same FastCGI process');
			});
		} finally {
			attack?.close();
			await api.close();
		}
	});
}

test('requests that arrive in pieces, or with a body longer than the socket holds, are served', { timeout: 60000 }, async (t) => {
	const api = await standInApi();
	try {
		await withSession(t, async (s) => {
			const { st, pid } = await dialing(s, 'nginx', api, 100);
			const sock = fcgiSocket(st);
			const ev = (await getJSON(`${st.base}/events?since=0`)).json;
			// As the web server would pass them, Host included: without
			// one, every route but the webhooks answers 421.
			const get = (uri) => ({ REQUEST_METHOD: 'GET', REQUEST_URI: uri, SCRIPT_NAME: uri.split('?')[0],
			    QUERY_STRING: uri.split('?')[1] ?? '', SERVER_PROTOCOL: 'HTTP/1.1',
			    HTTP_HOST: `127.0.0.1:${st.port}` });
			const diff = get(`/events?since=${ev.version - 1}&instance=${ev.instance}`);
			const hook = new URL(api.calls[0].webhookURL).pathname;
			const post = (uri, extra = {}) => ({ ...get(uri), REQUEST_METHOD: 'POST',
			    CONTENT_TYPE: 'application/json', ...extra });
			const forged = hook.replace(/[0-9a-f]{32}$/, '0'.repeat(32));
			const cases = [
				['in pieces of 7 bytes, 3 ms apart', fcgiRecords(diff), { chunk: 7, pauseMs: 3 }, 200],
				['in records of 3 bytes, padded', fcgiRecords(diff, undefined, { recordMax: 3, padding: 5 }), {}, 200],
				['a forged webhook with a 1 MiB body', fcgiRecords(post(forged, { CONTENT_LENGTH: String(1 << 20) }),
				    Buffer.alloc(1 << 20, 'x')), {}, 403],
				['a webhook with a 20 KiB body and no length', fcgiRecords(post(hook), Buffer.alloc(20 * 1024, 'x')), {}, 413],
			];
			for (const [what, bytes, how, status] of cases) {
				const r = await fcgiExchange(sock, bytes, how);
				assert.equal(r.status, status, `${what}: ${r.text.slice(0, 200)}`);
				assert.ok(r.ended, `${what}: FCGI_END_REQUEST came`);
			}
			// What libfcgi would fail on, and parameters past any web
			// server's: closed at once, unanswered.
			const rec = (type, content, id = 1) =>
				Buffer.concat([Buffer.from([1, type, 0, id, content.length >> 8, content.length & 0xff, 0, 0]), content]);
			const begin = (role) => rec(1, Buffer.from([0, role, 0, 0, 0, 0, 0, 0]));
			const tail = Buffer.concat([rec(4, Buffer.alloc(0)), rec(5, Buffer.alloc(20 * 1024, 'x')), rec(5, Buffer.alloc(0))]);
			for (const [what, bytes] of [
				['version 2', Buffer.from([2, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])],
				['a role of 9', Buffer.concat([begin(9), tail])],
				['a name-value length past the parameters', Buffer.concat([begin(1), rec(4, Buffer.from([5, 3, 97, 98])), tail])],
				['a body before the parameters end', Buffer.concat([begin(1), rec(4, Buffer.from([1, 1, 97, 98])),
				    rec(5, Buffer.alloc(10, 'x')), tail])],
				['a record of another request', Buffer.concat([begin(1), rec(4, Buffer.from([1, 1, 97, 98]), 2), tail])],
				['200 KiB of parameters', fcgiRecords({ ...diff, HTTP_X_BIG: 'x'.repeat(200 * 1024) }, undefined,
				    { recordMax: 65535 })],
			]) {
				const t0 = Date.now();
				const r = await fcgiExchange(sock, bytes);
				assert.equal(r.text, '', `${what}: no answer`);
				// libfcgi, failing on one of these, would read on for 2 s
				// of the client's silence before it closed.
				assert.ok(Date.now() - t0 < 1000, `${what}: closed at once (${Date.now() - t0} ms)`);
			}
			assert.equal((await getJSON(`${st.base}/events?since=0`)).status, 200);
			assert.equal(await st.fcgiPid(), pid, 'the same FastCGI process');
		});
	} finally {
		await api.close();
	}
});

test('the FastCGI socket the program makes is its owner\'s, or also its group\'s', { timeout: 60000 }, async (t) => {
	const api = await standInApi();
	try {
		await withSession(t, async (s) => {
			const mine = await s.stack({ server: 'nginx', api: api.url });
			const own = fs.statSync(fcgiSocket(mine));
			assert.equal((own.mode & 0o777).toString(8), '600', 'the owner alone');
			assert.equal((await getJSON(`${mine.base}/events`)).status, 200);

			const gid = process.getgid();
			const shared = await s.stack({ server: 'nginx', api: api.url,
			    env: { NUMDIALER_SOCKET_GROUP: String(gid) } });
			const group = fs.statSync(fcgiSocket(shared));
			assert.equal((group.mode & 0o777).toString(8), '660', 'the owner and the group');
			assert.equal(group.gid, gid);
			assert.equal((await getJSON(`${shared.base}/events`)).status, 200);

			const none = await s.stack({ server: 'nginx', api: api.url, expectFail: true,
			    env: { NUMDIALER_SOCKET_GROUP: 'no-such-group-here' } });
			assert.notEqual(none.startResult.code, 0, 'start fails');
			const log = fs.readFileSync(path.join(none.rundir, 'numdialer.log'), 'utf8');
			assert.match(log, /NUMDIALER_SOCKET_GROUP: no-such-group-here: no such group/);
		});
	} finally {
		await api.close();
	}
});
