// 10,000 numbers with a zero-delay simulator: order, the limit, each row
// once, every call completed. Prints the rate; never asserts a speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withSession, postJSON, getJSON, waitAllTerminal, waitSimSettled, writeNumbers } from './harness.mjs';

const N = 10000;

test(`dials ${N} numbers in order, 3 at a time`, { timeout: 300000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = Array.from({ length: N }, (_, i) => `1301804${String(i).padStart(4, '0')}`);
		const file = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 0, seed: 3, numbers: file });
		const st = await s.stack({ api: sim.url, numbers: file });
		const before = (await getJSON(`${st.base}/events`)).json;
		assert.equal(before.total, N);
		assert.equal(before.calls.length, N);

		const t0 = process.hrtime.bigint();
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		let maxInFlight = 0;
		let fulls = 0;
		const fin = await waitAllTerminal(st.base, 280000, {
			onResponse: (ev) => {
				maxInFlight = Math.max(maxInFlight, ev.in_flight);
				if (ev.full) fulls++;
			},
		});
		const secs = Number(process.hrtime.bigint() - t0) / 1e9;
		const rate = Math.round(N / secs);
		console.log(`calls per second: ${rate}`);
		t.diagnostic(`calls per second: ${rate} (${N} calls in ${secs.toFixed(1)} s, ${fin.polls} polls, ${fulls} full)`);

		assert.ok(maxInFlight <= 3, `the dialer's in_flight stayed <= 3 (saw ${maxInFlight})`);
		const stats = await waitSimSettled(sim, 300);
		assert.equal(stats.calls_placed, N);
		assert.equal(stats.dialed.length, N);
		const firstOff = stats.dialed.findIndex((p, i) => p !== list[i]);
		assert.equal(firstOff, -1, firstOff < 0 ? '' :
		    `the API saw ${stats.dialed[firstOff]} at position ${firstOff}, the list has ${list[firstOff]}`);
		assert.equal(stats.max_in_flight, 3);
		assert.equal(stats.webhooks_failed, 0);
		assert.equal(fin.rows.length, N);
		const notDone = fin.rows.filter((r) => r.status !== 'completed' || r.attempts !== 1);
		assert.deepEqual(notDone.slice(0, 5), [], `${notDone.length} rows not completed once`);
		const full = (await getJSON(`${st.base}/events`)).json;
		assert.equal(full.done, N);
		assert.equal(full.in_flight, 0);
	});
});
