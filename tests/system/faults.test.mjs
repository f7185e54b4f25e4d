// Faults: an API nobody answers, a phone the API does not know, calls
// that never end (call timeout), a bad number list at start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	withSession, getJSON, postJSON, waitAllTerminal, waitSimSettled, freePort, writeNumbers,
	runScript, Session, alive, DEFAULT_ROWS,
} from './harness.mjs';

// Distinct valid numbers, shaped like the default list's.
const phones = (n, from = 0) => Array.from({ length: n }, (_, i) => `1301804${String(from + i).padStart(4, '0')}`);

function assertInOrder(rows) {
	for (let i = 1; i < rows.length; i++)
		assert.ok(rows[i].dialed_at >= rows[i - 1].dialed_at,
		    `row ${i} dialed at ${rows[i].dialed_at}, before row ${i - 1} at ${rows[i - 1].dialed_at}`);
}

test('API unreachable: every row is retried, then fails, in order, naming the API', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const deadPort = await freePort();
		const api = `http://127.0.0.1:${deadPort}`;
		// Two tries, 50 ms apart: the retry is exercised and the test stays
		// short. Every row fails here on purpose: no pause after five.
		const st = await s.stack({ api, env: { NUMDIALER_DIAL_ATTEMPTS: '2', NUMDIALER_RETRY_DELAY_MS: '50',
		    NUMDIALER_FAILURE_PAUSE: '0' } });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		let maxInFlight = 0;
		const fin = await waitAllTerminal(st.base, 30000, { onResponse: (ev) => { maxInFlight = Math.max(maxInFlight, ev.in_flight); } });
		assert.ok(maxInFlight <= 3);
		assert.equal(fin.rows.length, DEFAULT_ROWS);
		for (const [i, r] of fin.rows.entries()) {
			assert.equal(r.status, 'failed', `row ${i} failed`);
			assert.equal(r.attempts, 2, `row ${i} tried twice`);
			assert.equal(typeof r.reason, 'string', `row ${i} has a reason`);
			assert.match(r.reason, /after 2 attempts/, `row ${i} reason counts the tries: ${r.reason}`);
			assert.match(r.reason, /\bapi\b|127\.0\.0\.1|connect/i, `row ${i} reason names the API: ${r.reason}`);
			assert.equal(r.id, undefined, `row ${i} has no id`);
		}
		t.diagnostic(`reason: ${fin.rows[0].reason}`);
		assertInOrder(fin.rows);
		const again = (await getJSON(`${st.base}/events`)).json;
		assert.equal(again.in_flight, 0);
		assert.equal(again.done, DEFAULT_ROWS);
	});
});

test('unknown phone: that row fails with the API error, the others complete', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(7);
		const unknown = list[2];
		const dialerList = await writeNumbers(dir, 'dialer.txt', list);
		const simList = await writeNumbers(dir, 'sim.txt', list.filter((p) => p !== unknown));
		const sim = await s.apisim({ delayMaxMs: 200, seed: 7, numbers: simList });
		const st = await s.stack({ api: sim.url, numbers: dialerList });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		const fin = await waitAllTerminal(st.base, 40000);
		const stats = await waitSimSettled(sim, 500);
		for (const [i, r] of fin.rows.entries()) {
			assert.equal(r.phone, list[i]);
			assert.equal(r.attempts, 1);
			if (i === 2) {
				assert.equal(r.status, 'failed', 'the unknown phone failed');
				assert.match(r.reason || '', /unknown phone/, `reason carries the API's error: ${r.reason}`);
			} else {
				assert.equal(r.status, 'completed', `row ${i} completed`);
			}
		}
		assertInOrder(fin.rows);
		// The simulator lists only the calls it accepted.
		assert.deepEqual(stats.dialed, list.filter((p) => p !== unknown), 'the API saw the list in order');
		assert.equal(stats.calls_placed, list.length - 1);
		assert.equal(stats.unknown_phones, 1);
		assert.equal(stats.max_in_flight, 3);
		assert.equal(stats.webhooks_failed, 0);
	});
});

test('call timeout: silent calls fail with "timeout" and 3 stay in flight', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		// No "early" path: its completed goes at once, whatever the delay.
		const sim = await s.apisim({ delayMaxMs: 20000, seed: 11, paths: 'answer,noanswer' });
		const st = await s.stack({ api: sim.url, callTimeout: 1 });
		const t0 = Date.now();
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		const samples = [];
		const fin = await waitAllTerminal(st.base, 30000, { onResponse: (ev) => samples.push(ev) });
		const took = Date.now() - t0;
		t.diagnostic(`${DEFAULT_ROWS} rows in ${took} ms`);
		let timeouts = 0;
		for (const [i, r] of fin.rows.entries()) {
			assert.equal(r.attempts, 1);
			if (r.status === 'failed') {
				assert.equal(r.reason, 'timeout', `row ${i} reason`);
				const lasted = r.ended_at - r.dialed_at;
				assert.ok(lasted >= 900 && lasted < 4000, `row ${i} timed out after ${lasted} ms, want about 1000`);
				timeouts++;
			} else {
				// A webhook delay drawn under 1 s can still end a call in time.
				assert.equal(r.status, 'completed', `row ${i}: failed (timeout) or completed, got ${r.status}`);
			}
		}
		assert.ok(timeouts >= DEFAULT_ROWS - 2, `most rows time out (${timeouts} of ${DEFAULT_ROWS})`);
		assertInOrder(fin.rows);
		// 3 rows at a time, 1 s each: a second per 3 rows when the dialer
		// moves on, and 5 s to spare.
		const rounds = Math.ceil(DEFAULT_ROWS / 3);
		assert.ok(took < (rounds + 5) * 1000, `the dialer moved on past silent calls (took ${took} ms)`);
		for (const ev of samples) assert.ok(ev.in_flight <= 3, `in_flight ${ev.in_flight}`);
		// While rows remain, a freed slot is filled at once: row i (i >= 3)
		// is dialed once i - 2 earlier rows have ended, within 500 ms of the
		// last of them.
		for (let i = 3; i < DEFAULT_ROWS; i++) {
			const r = fin.rows[i];
			const ends = fin.rows.slice(0, i).map((p) => p.ended_at).filter((e) => e <= r.dialed_at + 5);
			assert.ok(ends.length >= i - 2, `row ${i} dialed at ${r.dialed_at} with only ${ends.length} of ${i} earlier rows ended`);
			const lastEnd = Math.max(...ends);
			assert.ok(r.dialed_at - lastEnd < 500, `row ${i} dialed ${r.dialed_at - lastEnd} ms after a slot freed`);
		}
		const stats = await sim.stats();
		assert.deepEqual(stats.dialed, fin.rows.map((r) => r.phone), 'the API saw the list in order');
		assert.equal(stats.calls_placed, DEFAULT_ROWS);
	});
});

test('a bad number list stops start-up naming file:line, nothing left running', { timeout: 30000 }, async (t) => {
	const s = new Session(t);
	const dir = await s.tmpdir();
	const bad = path.join(dir, 'bad-numbers.txt');
	fs.writeFileSync(bad, '13018040009\n13018040010\nnot-a-number\n13018040011\n');
	const sim = await s.apisim({ acceptAny: true });
	const st = await s.stack({ api: sim.url, numbers: bad, expectFail: true });
	const res = st.startResult;
	t.diagnostic(`start said: ${res.output.trim()}`);
	assert.notEqual(res.code, 0, 'numdialer start exits non-zero');
	assert.ok(res.output.includes(`${bad}:3`) || res.output.includes('bad-numbers.txt:3'),
	    `the output names ${bad}:3, got: ${res.output}`);
	const procs = [...st.procs.values()].filter(alive);
	assert.deepEqual(procs.map((p) => `${p.pid} ${p.comm}`), [], 'nothing of the run is running');
	let ev;
	try { ev = await getJSON(`${st.base}/events`, { timeoutMs: 2000 }); } catch { ev = null; }
	assert.equal(ev, null, `nothing answers on the web port (got ${ev?.status})`);
	st.startFailedOk = true;
	await s.close();
});
