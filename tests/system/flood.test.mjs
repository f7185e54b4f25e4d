// One client that ties up the web server must not starve the webhooks,
// behind lighttpd and nginx: thousands of long-polls opened and dropped at
// once (pages that left, which the web server goes on holding while the
// program waits), and thousands of slowloris connections that trickle a
// header in and never end it. Webhooks are timed on fresh connections all
// through each attack and must each be answered within a loose bound; the
// page too. Each attack is bounded in connections and seconds, talks only
// to 127.0.0.1 and closes what it opened (tests/system/flood.mjs). And the
// program's own bound: past 8192 waiting long-polls, the oldest are
// answered at once (no news), none refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { withSession, getJSON, postJSON, standInApi, writeNumbers } from './harness.mjs';
import { flood, hardFileLimit, probe } from './flood.mjs';

const POLLS = 8400;          // long-polls opened and dropped (lighttpd held 16,800 descriptors)
const SLOWLORIS = 9000;      // past the 8,192 connections lighttpd once allowed
const SLOW_SECONDS = 5;      // how long the slowloris holds on
const AFTER_MS = 4000;       // webhooks timed on after the polls are dropped
const PROBE_MS = 50;         // a webhook started this often
const LOOSE_MS = 2000;       // each must be answered within this
const FD_SPARE = 200;        // of the attacker's open files, for itself
const WATCHERS_MAX = 8192;   // src/events.h EVENTS_WATCHERS_MAX
const HELD = 8292;           // long-polls kept open: a hundred past it
const HOLD_SECONDS = 6;      // within the program's 10 s wait

const phones = (n) => Array.from({ length: n }, (_, i) => `1301806${String(i).padStart(4, '0')}`);

// A stack dialing 3 calls against a silent stand-in API, each with one
// 'ringing' applied: replaying it is a valid webhook that changes nothing,
// so no watcher is woken and the attack keeps its hold.
async function ringingStack(s, api, server) {
	const numbers = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(10));
	const st = await s.stack({ server, api: api.url, numbers });
	assert.equal((await postJSON(`${st.base}/call`)).status, 202);
	for (let i = 0; i < 200 && api.calls.length < 3; i++) await sleep(20);
	const c = api.calls[0];
	const hook = `${st.base}/webhook/${c.row}/${c.key}`;
	const body = JSON.stringify({ id: c.id, status: 'ringing' });
	assert.equal((await postJSON(hook, JSON.parse(body))).json?.applied, true);
	return { st, hook, body };
}

// GET / on a fresh connection: its status and time.
function page(base) {
	return new Promise((resolve) => {
		const t0 = performance.now();
		const req = http.get(`${base}/`, { agent: false }, (res) => {
			res.resume();
			res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
		});
		req.setTimeout(30000, () => req.destroy(new Error('no answer')));
		req.on('error', (e) => resolve({ status: 0, ms: performance.now() - t0, error: e.message }));
	});
}

function check(samples, pages, what) {
	const bad = samples.filter((x) => x.status !== 200 || x.ms > LOOSE_MS);
	const ms = samples.map((x) => x.ms).sort((a, b) => a - b);
	const summary = `${samples.length} webhooks, p50 ${ms[Math.floor(ms.length / 2)]?.toFixed(1)} ms, ` +
	    `max ${ms.at(-1)?.toFixed(1)} ms; pages ${pages.map((p) => `${p.status} in ${p.ms.toFixed(0)} ms`).join(', ')}`;
	console.log(`${what}: ${summary}`);
	assert.ok(samples.length > 10, `${what}: webhooks were sent (${summary})`);
	assert.deepEqual(bad.slice(0, 5).map((x) => `${x.status} in ${x.ms.toFixed(0)} ms${x.error ? ` (${x.error})` : ''}`), [],
	    `${what}: every webhook answered 200 within ${LOOSE_MS} ms (${summary})`);
	for (const p of pages) assert.ok(p.status === 200 && p.ms <= LOOSE_MS, `${what}: the page answered: ${JSON.stringify(p)}`);
}

// The attacker's connections, within its open-file limit.
function attackSize(want, t) {
	const n = Math.min(want, hardFileLimit() - FD_SPARE);
	if (n < want) t.diagnostic(`open files limited: ${n} connections, not ${want}`);
	return n;
}

for (const server of ['lighttpd', 'nginx']) {
	test(`${POLLS} long-polls opened and dropped at once leave webhooks answered, behind ${server}`,
	    { timeout: 120000 }, async (t) => {
		const api = await standInApi();
		try {
			await withSession(t, async (s) => {
				const { st, hook, body } = await ringingStack(s, api, server);
				const pid = await st.fcgiPid();
				const ev = (await getJSON(`${st.base}/events`)).json;
				const q = `/events?since=${ev.version}&instance=${ev.instance}`;
				const attack = flood('polls', st.port, attackSize(POLLS, t), q);
				try {
					let stopProbe;
					const stop = new Promise((resolve) => { stopProbe = resolve; });
					const timed = probe(hook, body, { intervalMs: PROBE_MS, stop });
					const info = await attack.ready;
					t.diagnostic(`polls: ${JSON.stringify(info)}`);
					const pages = [];
					const until = Date.now() + AFTER_MS;
					while (Date.now() < until) {
						pages.push(await page(st.base));
						await sleep(500);
					}
					stopProbe();
					check(await timed, pages, `${server}, ${info.opened} long-polls dropped`);
				} finally {
					await attack.stop();
				}
				assert.equal(await st.fcgiPid(), pid, 'the same program throughout');
				// The probe's webhooks are kept in the row's history (a
				// duplicate, not applied): the version moves, no row does.
				const end = (await getJSON(`${st.base}/events`)).json;
				assert.deepEqual({ ...end, version: ev.version }, ev, 'the attack changed no row');
			});
		} finally {
			await api.close();
		}
	});

	test(`${SLOWLORIS} slowloris connections leave webhooks answered, behind ${server}`,
	    { timeout: 120000 }, async (t) => {
		const api = await standInApi();
		try {
			await withSession(t, async (s) => {
				const { st, hook, body } = await ringingStack(s, api, server);
				const attack = flood('slowloris', st.port, attackSize(SLOWLORIS, t), SLOW_SECONDS);
				try {
					const info = await attack.ready;
					t.diagnostic(`slowloris: ${JSON.stringify(info)}`);
					const done = attack.done;
					const timed = probe(hook, body, { intervalMs: PROBE_MS, stop: done });
					const pages = [];
					let over = false;
					done.then(() => { over = true; }, () => { over = true; });
					while (!over) {
						pages.push(await page(st.base));
						await sleep(500);
					}
					t.diagnostic(`slowloris: ${JSON.stringify(await done)}`);
					check(await timed, pages, `${server}, ${info.opened} slowloris connections`);
				} finally {
					await attack.stop();
				}
			});
		} finally {
			await api.close();
		}
	});
}

// Through lighttpd, which forwards every long-poll (nginx lets 32 per
// address through).
test(`${HELD} waiting long-polls: past ${WATCHERS_MAX}, the oldest are answered at once with no news`,
    { timeout: 60000 }, async (t) => {
	const api = await standInApi();
	try {
		await withSession(t, async (s) => {
			const { st, hook, body } = await ringingStack(s, api, 'lighttpd');
			const ev = (await getJSON(`${st.base}/events`)).json;
			const q = `/events?since=${ev.version}&instance=${ev.instance}`;
			const held = attackSize(HELD, t);
			const attack = flood('hold', st.port, held, q, HOLD_SECONDS);
			try {
				t.diagnostic(`hold: ${JSON.stringify(await attack.ready)}`);
				const done = await attack.done;
				t.diagnostic(`hold: ${JSON.stringify(done)}`);
				assert.deepEqual(done.answered, { '200 no news': held - WATCHERS_MAX },
				    `within ${HOLD_SECONDS} s, exactly the ${held - WATCHERS_MAX} oldest answered, with no news`);
			} finally {
				await attack.stop();
			}
			const r = await postJSON(hook, JSON.parse(body));
			assert.equal(r.status, 200, 'webhooks still answered');
		});
	} finally {
		await api.close();
	}
});
