// Retries of POST /call: a call the API certainly did not take (429, 503, no
// connection) is sent again after a wait, keeping its place in the list; any
// other failure fails its row at once and is never sent again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, postJSON, waitAllTerminal, waitSimSettled, freePort, writeNumbers,
} from './harness.mjs';

// Distinct valid numbers, shaped like the default list's.
const phones = (n, from = 0) => Array.from({ length: n }, (_, i) => `1301805${String(from + i).padStart(4, '0')}`);

const LIMIT = 3;

// Starts dialing list against api and follows the page's long-poll until
// every row ends. Returns the final rows and the most calls in flight seen.
async function dialAll(st, timeoutMs, onEvents) {
	assert.equal((await postJSON(`${st.base}/call`)).status, 202);
	let maxInFlight = 0;
	const fin = await waitAllTerminal(st.base, timeoutMs, {
		onResponse: (ev) => {
			maxInFlight = Math.max(maxInFlight, ev.in_flight);
			if (onEvents) onEvents(ev);
		},
	});
	return { rows: fin.rows, maxInFlight };
}

// The rows were first dialed in list order.
function assertInOrder(rows) {
	for (let i = 1; i < rows.length; i++)
		assert.ok(rows[i].dialed_at >= rows[i - 1].dialed_at,
		    `row ${i} dialed at ${rows[i].dialed_at}, before row ${i - 1} at ${rows[i - 1].dialed_at}`);
}

// Every POST the API saw is an attempt the dialer counted, and each phone
// was placed at most once.
function assertEachPostOnce(rows, stats) {
	const attempts = rows.reduce((n, r) => n + r.attempts, 0);
	assert.equal(stats.calls_placed + stats.calls_refused, attempts,
	    `the API saw ${stats.calls_placed} placed + ${stats.calls_refused} refused POSTs, ` +
	    `the dialer counted ${attempts} attempts`);
	assert.equal(new Set(stats.dialed).size, stats.dialed.length, 'no phone placed twice');
}

test('429 and 503: the call is sent again after Retry-After, every row completes in order',
    { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(9);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		// The first two POSTs get 503, the third 429: all three hit row 0.
		const sim = await s.apisim({ delayMaxMs: 300, seed: 5, numbers,
		    extra: ['--fault', 'call-503=first:2', '--fault', 'call-429=first:3'] });
		const st = await s.stack({ api: sim.url, numbers });
		const asked = Date.now();
		const { rows, maxInFlight } = await dialAll(st, 40000);
		const stats = await waitSimSettled(sim, 400);
		t.diagnostic(`attempts: ${rows.map((r) => r.attempts).join(' ')}; faults ${JSON.stringify(stats.faults)}`);
		for (const [i, r] of rows.entries()) {
			assert.equal(r.phone, list[i]);
			assert.equal(r.status, 'completed', `row ${i} completed (${r.reason ?? ''})`);
		}
		assert.equal(stats.faults['call-503'], 2);
		assert.equal(stats.faults['call-429'], 1);
		assert.equal(rows[0].attempts, 4, 'row 0 was sent until the API took it');
		for (const r of rows.slice(1)) assert.equal(r.attempts, 1);
		assert.deepEqual(stats.dialed, list, 'each phone placed once, in list order');
		assert.equal(stats.calls_refused, 3);
		assertEachPostOnce(rows, stats);
		assertInOrder(rows);
		// Row 0 waited at least 1 s (Retry-After) before each of its three
		// retries; its dialed_at is the attempt that placed the call (the
		// call timeout counts from it), and row 1 came only after that.
		assert.ok(rows[0].dialed_at - asked >= 2900,
		    `row 0 placed ${rows[0].dialed_at - asked} ms after Call`);
		assert.ok(rows[1].dialed_at >= rows[0].dialed_at,
		    `row 1 placed ${rows[1].dialed_at - rows[0].dialed_at} ms after row 0`);
		assert.ok(maxInFlight <= LIMIT, `in flight ${maxInFlight}`);
		assert.ok(stats.max_in_flight <= LIMIT, `the API saw ${stats.max_in_flight} in flight`);
	});
});

test('API down at start: rows wait and are retried until it comes up, in order',
    { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(6, 100);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		const port = await freePort();
		const api = `http://127.0.0.1:${port}`;
		// Five tries: waits of 0.5, 1, 2 and 4 s leave room for a slow start.
		const st = await s.stack({ api, numbers, env: { NUMDIALER_DIAL_ATTEMPTS: '5' } });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		// Nothing listens on the port for a while: connections are refused.
		await sleep(1500);
		// The later --port wins over the harness's own.
		const sim = await s.apisim({ delayMaxMs: 300, seed: 9, numbers, extra: ['--port', String(port)] });
		sim.port = port;
		sim.url = api;
		let maxInFlight = 0;
		const fin = await waitAllTerminal(st.base, 40000, {
			onResponse: (ev) => { maxInFlight = Math.max(maxInFlight, ev.in_flight); },
		});
		const rows = fin.rows;
		const stats = await waitSimSettled(sim, 400);
		t.diagnostic(`attempts: ${rows.map((r) => r.attempts).join(' ')}`);
		for (const [i, r] of rows.entries())
			assert.equal(r.status, 'completed', `row ${i} completed, not failed while attempts remain (${r.reason ?? ''})`);
		// 0.5 + 1 s of waits fall in the 1.5 s down: row 0 tried at least 3 times.
		assert.ok(rows[0].attempts >= 3 && rows[0].attempts <= 5, `row 0 attempts ${rows[0].attempts}`);
		for (const r of rows.slice(1)) assert.equal(r.attempts, 1, 'later rows were not tried while row 0 waited');
		assert.deepEqual(stats.dialed, list, 'each phone placed once, in list order');
		assert.equal(stats.calls_placed, list.length);
		assertInOrder(rows);
		assert.ok(maxInFlight <= LIMIT && stats.max_in_flight <= LIMIT);
	});
});

test('500, {"error"}, a bad id: the row fails at once; a dropped answer holds the slot until the call timeout; never sent again',
    { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(8, 200);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		// Faults apply in the simulator's table order, one per POST: the
		// first POST gets the 500, the second the error body, the third
		// the bad id, the fourth (on a kept-alive connection) is dropped.
		const faults = { 'call-500': 1, 'call-error': 2, 'call-bad-id': 3, 'call-drop': 4 };
		const extra = Object.entries(faults).flatMap(([f, n]) => ['--fault', `${f}=first:${n}`]);
		const sim = await s.apisim({ delayMaxMs: 300, seed: 3, numbers, extra });
		// The dropped answer may hide a placed call: its row keeps its
		// slot until the call timeout, kept short here.
		const st = await s.stack({ api: sim.url, numbers, callTimeout: 3 });
		let lostSeen = false;
		const { rows, maxInFlight } = await dialAll(st, 40000, (ev) => {
			for (const c of ev.calls)
				if (c.row === 3 && c.status === 'dialing' && /answer lost/.test(c.reason ?? '')) lostSeen = true;
		});
		const stats = await waitSimSettled(sim, 400);
		t.diagnostic(`reasons: ${rows.slice(0, 4).map((r) => r.reason).join(' | ')}`);
		const reasons = [/HTTP 500/, /^api: simulated failure$/, /no id/, /^timeout$/];
		for (const [i, r] of rows.entries()) {
			assert.equal(r.attempts, 1, `row ${i} tried once`);
			if (i < reasons.length) {
				assert.equal(r.status, 'failed', `row ${i} failed`);
				assert.match(r.reason ?? '', reasons[i]);
				assert.equal(r.id, undefined);
			} else {
				assert.equal(r.status, 'completed', `row ${i} completed`);
			}
		}
		assert.ok(lostSeen, 'the row of the dropped answer showed "api answer lost" while it held its slot');
		assert.ok(rows[3].ended_at - rows[3].dialed_at >= 2900, 'it held its slot until the call timeout');
		for (const f of Object.keys(faults)) assert.equal(stats.faults[f], 1, `${f} hit once`);
		assert.deepEqual(stats.dialed, list.slice(reasons.length), 'the others placed once, in order');
		assert.equal(stats.calls_placed, list.length - reasons.length);
		// A dropped POST is not answered, so it may not count as refused.
		assert.ok(stats.calls_placed + stats.calls_refused <= list.length,
		    `${stats.calls_placed} placed + ${stats.calls_refused} refused: no POST sent twice`);
		assert.ok(stats.calls_refused >= reasons.length - 1);
		assertInOrder(rows);
		assert.ok(maxInFlight <= LIMIT && stats.max_in_flight <= LIMIT);
	});
});
