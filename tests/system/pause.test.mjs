// A failing API must not burn the list: every POST /call answered 404 (the
// API's URL is wrong), and after NUMDIALER_FAILURE_PAUSE rows in a row (5 by
// default) the dialer pauses by itself; /events says why, nothing more is
// dialed, and POST /resume goes on at the next row. Behind both servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, getJSON, postJSON, request, waitAllTerminal, writeNumbers, eventsUntil,
} from './harness.mjs';

const ROWS = 12;
const PAUSE_AT = 5;     // the default of NUMDIALER_FAILURE_PAUSE
const phones = (n) => Array.from({ length: n }, (_, i) => `1301806${String(i).padStart(4, '0')}`);

const failedRows = (ev) => ev.calls.filter((c) => c.status === 'failed');

for (const server of ['lighttpd', 'nginx']) {
	test(`${server}: an API that refuses every call pauses dialing after ${PAUSE_AT} rows; POST /resume goes on`,
	    { timeout: 60000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const list = phones(ROWS);
			const numbers = await writeNumbers(dir, 'numbers.txt', list);
			const sim = await s.apisim({ delayMaxMs: 50, seed: 5, numbers });
			// A wrong path on a live API: every POST /call is a 404.
			const st = await s.stack({ server, api: `${sim.url}/wrong`, numbers });

			const idle = (await getJSON(`${st.base}/events`)).json;
			assert.equal(idle.state, 'ready');
			assert.equal((await postJSON(`${st.base}/resume`)).status, 409, 'nothing to resume before the start');
			assert.equal((await postJSON(`${st.base}/call`)).status, 202);

			const paused = await eventsUntil(st.base, (ev) => ev.state === 'paused', 20000, 'the pause');
			t.diagnostic(`pause_reason: ${paused.pause_reason}`);
			assert.match(paused.pause_reason, /^5 calls in a row could not be placed; the last: api answered HTTP 404/);
			assert.equal(failedRows(paused).length, PAUSE_AT, 'the rows failed so far');
			for (const c of failedRows(paused)) assert.match(c.reason, /HTTP 404/, `row ${c.row} keeps its reason`);
			// Nothing more is dialed while paused.
			await sleep(1000);
			const still = (await getJSON(`${st.base}/events`)).json;
			assert.equal(still.state, 'paused');
			assert.equal(still.dialed, PAUSE_AT, 'no row dialed while paused');
			assert.equal(still.in_flight, 0);
			for (const c of still.calls.slice(PAUSE_AT)) assert.equal(c.status, 'idle');
			const stats = await sim.stats();
			assert.equal(stats.calls_placed, 0);

			// Another site's page cannot resume.
			const cross = await request(`${st.base}/resume`, { method: 'POST',
			    headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' } });
			assert.equal(cross.status, 403);
			assert.equal((await getJSON(`${st.base}/events`)).json.state, 'paused');

			const resumed = await postJSON(`${st.base}/resume`);
			assert.equal(resumed.status, 202);
			assert.deepEqual(resumed.json, { resumed: true });
			const again = await eventsUntil(st.base, (ev) => ev.state === 'paused' && ev.dialed > PAUSE_AT,
			    20000, 'the second pause');
			assert.equal(failedRows(again).length, 2 * PAUSE_AT, 'resumed at the next row, paused after five more');
			assert.deepEqual(again.calls.slice(0, 2 * PAUSE_AT).map((c) => c.status),
			    Array(2 * PAUSE_AT).fill('failed'), 'in list order');

			assert.equal((await postJSON(`${st.base}/resume`)).status, 202);
			const fin = await waitAllTerminal(st.base, 20000);
			assert.equal(fin.rows.length, ROWS);
			const done = (await getJSON(`${st.base}/events`)).json;
			assert.equal(done.state, 'finished');
			assert.equal(done.pause_reason, undefined);
			assert.equal((await postJSON(`${st.base}/resume`)).status, 409, 'not paused: nothing to resume');
		});
	});
}

test('NUMDIALER_FAILURE_PAUSE=0: a failing API fails every row, with no pause', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(8);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 50, seed: 5, numbers });
		const st = await s.stack({ api: `${sim.url}/wrong`, numbers, env: { NUMDIALER_FAILURE_PAUSE: '0' } });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		const fin = await waitAllTerminal(st.base, 20000);
		for (const r of fin.rows) assert.equal(r.status, 'failed');
		const ev = (await getJSON(`${st.base}/events`)).json;
		assert.equal(ev.state, 'finished');
		t.diagnostic(`${fin.rows.length} rows failed, state ${ev.state}`);
	});
});
