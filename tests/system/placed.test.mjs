// A call the API may have is never treated as unplaced, whatever happens to
// the answer of its POST /call: never more than the limit live at the API.
// - an answer lost after the call's webhooks came: the row goes on by them;
// - an answer with a good id and "error": null: placed;
// - a row waiting out a Retry-After when the program dies: sent again by
//   the restarted program, not ended by the call timeout.
// The simulator is the referee: its /stats counts the calls live at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, postJSON, waitAllTerminal, waitSimSettled, writeNumbers, eventsUntil, alivePid,
} from './harness.mjs';

const LIMIT = 3;
const phones = (n, base = 0) => Array.from({ length: n },
    (_, i) => `1301807${String(base + i).padStart(4, '0')}`);

async function dialAll(st, timeoutMs) {
	assert.equal((await postJSON(`${st.base}/call`)).status, 202);
	let maxInFlight = 0;
	const fin = await waitAllTerminal(st.base, timeoutMs, {
		onResponse: (ev) => { maxInFlight = Math.max(maxInFlight, ev.in_flight); },
	});
	return { rows: fin.rows, maxInFlight };
}

test('an answer lost after the call\'s webhooks came: the row keeps its slot and goes on by them',
    { timeout: 90000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(12);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		// Webhooks come within 0.6 s each; the lost answer closes at 0.7 s,
		// while most calls are still ringing or answered.
		const sim = await s.apisim({ delayMaxMs: 600, seed: 41, numbers,
		    extra: ['--fault', 'call-lost=0.5', '--call-slow-ms', '700'] });
		const st = await s.stack({ api: sim.url, numbers, callTimeout: 30 });
		const { rows, maxInFlight } = await dialAll(st, 60000);
		const stats = await waitSimSettled(sim, 700);
		t.diagnostic(`call-lost hits ${stats.faults['call-lost']}; API max in flight ${stats.max_in_flight}; ` +
		    `statuses ${rows.map((r) => r.status).join(' ')}`);
		assert.ok(stats.faults['call-lost'] >= 3, 'answers were lost');
		assert.ok(stats.max_in_flight <= LIMIT, `the API had ${stats.max_in_flight} calls live at once`);
		assert.ok(maxInFlight <= LIMIT);
		assert.deepEqual(stats.dialed, list, 'each row placed once, in order: none sent again');
		for (const [i, r] of rows.entries()) {
			assert.equal(r.status, 'completed', `row ${i} went on by its webhooks (${r.reason ?? ''})`);
			assert.equal(r.attempts, 1);
			assert.equal(typeof r.id, 'string', `row ${i} has its call's id from a webhook`);
		}
	});
});

test('a good id beside "error": null is a placed call', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(9, 100);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 300, seed: 43, numbers,
		    extra: ['--fault', 'call-null-error=1'] });
		const st = await s.stack({ api: sim.url, numbers });
		const { rows, maxInFlight } = await dialAll(st, 40000);
		const stats = await waitSimSettled(sim, 400);
		assert.equal(stats.faults['call-null-error'], list.length);
		assert.ok(stats.max_in_flight <= LIMIT, `the API had ${stats.max_in_flight} calls live at once`);
		assert.ok(maxInFlight <= LIMIT);
		assert.deepEqual(stats.dialed, list);
		for (const [i, r] of rows.entries()) {
			assert.equal(r.status, 'completed', `row ${i} completed (${r.reason ?? ''})`);
			assert.equal(r.reason, undefined, `row ${i}: no error shown`);
		}
	});
});

for (const server of ['lighttpd', 'nginx']) {
	test(`${server}: a row waiting for its retry when the program dies is sent again after the restart`,
	    { timeout: 90000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const list = phones(4, 200);
			const numbers = await writeNumbers(dir, 'numbers.txt', list);
			// The first four POSTs are refused with Retry-After: 1, so row 0
			// waits for seconds between its tries.
			const sim = await s.apisim({ delayMaxMs: 200, seed: 47, numbers,
			    extra: ['--fault', 'call-503=first:4'] });
			const st = await s.stack({ server, api: sim.url, numbers, callTimeout: 4,
			    env: { NUMDIALER_JOURNAL: path.join(dir, 'journal'), NUMDIALER_DIAL_ATTEMPTS: '8' } });
			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			const before = await eventsUntil(st.base, (ev) => ev.calls[0].attempts >= 2, 20000,
			    'row 0 refused twice');
			const pid = await st.fcgiPid();
			process.kill(pid, 'SIGKILL');
			for (let i = 0; i < 100 && alivePid(pid); i++) await sleep(20);
			await eventsUntil(st.base, (ev) => ev.instance !== before.instance, 20000,
			    'the program back with a new instance');
			const fin = await waitAllTerminal(st.base, 40000);
			const stats = await waitSimSettled(sim, 400);
			t.diagnostic(`row 0: ${fin.rows[0].status}, ${fin.rows[0].attempts} attempts ` +
			    `(${before.calls[0].attempts} before the kill); 503s ${stats.faults['call-503']}`);
			assert.equal(fin.rows[0].status, 'completed',
			    `row 0 sent again and completed, not ended by the call timeout (${fin.rows[0].reason ?? ''})`);
			assert.ok(fin.rows[0].attempts > before.calls[0].attempts, 'row 0 tried again after the restart');
			for (const [i, r] of fin.rows.entries())
				assert.equal(r.status, 'completed', `row ${i} completed (${r.reason ?? ''})`);
			assert.deepEqual(stats.dialed, list, 'each row placed once, in order');
			assert.ok(stats.max_in_flight <= LIMIT);
		});
	});
}
