// The default list dialed end to end through each web server, with the
// simulator as referee: list order, exactly 3 in flight, each row once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
	withSession, getJSON, postJSON, waitAllTerminal, waitSimSettled, readNumbers,
	DEFAULT_NUMBERS, DEFAULT_ROWS, TERMINAL,
} from './harness.mjs';

const DELAY_MAX_MS = 300;

for (const server of ['lighttpd', 'nginx']) {
	test(`dials the default list behind ${server}`, { timeout: 90000 }, async (t) => {
		await withSession(t, async (s) => {
			const sim = await s.apisim({ delayMaxMs: DELAY_MAX_MS, seed: 42 });
			const st = await s.stack({ server, api: sim.url });
			const list = readNumbers(DEFAULT_NUMBERS);
			assert.ok(list.length > 3, `conf/numbers.txt holds more numbers than the 3 in flight (${list.length})`);
			assert.ok(new Set(list).size < list.length, 'conf/numbers.txt has repeats');

			const before = await getJSON(`${st.base}/events`);
			assert.equal(before.status, 200);
			assert.match(before.headers.get('content-type') || '', /application\/json/);
			const b = before.json;
			assert.equal(b.full, true);
			assert.equal(b.started, false);
			assert.equal(b.total, DEFAULT_ROWS);
			assert.equal(b.limit, 3);
			assert.equal(b.calls.length, DEFAULT_ROWS);
			assert.deepEqual(b.calls.map((c) => c.row), [...Array(DEFAULT_ROWS).keys()]);
			for (const c of b.calls) assert.equal(c.status, 'idle', `row ${c.row} idle before POST /call`);
			assert.deepEqual(b.calls.map((c) => c.phone), list, 'the rows are the list, in order');
			assert.equal((await sim.stats()).calls_placed, 0);

			const fcgi = await st.fcgiPid();
			const first = await postJSON(`${st.base}/call`);
			assert.equal(first.status, 202, first.text);
			assert.equal(first.json?.started, true);
			const second = await postJSON(`${st.base}/call`);
			assert.equal(second.status, 409, second.text);
			assert.equal(typeof second.json?.error, 'string');

			let maxInFlight = 0;
			const seen = new Set();
			const fin = await waitAllTerminal(st.base, 60000, {
				onResponse: (ev) => {
					maxInFlight = Math.max(maxInFlight, ev.in_flight);
					for (const c of ev.calls) seen.add(c.status);
				},
			});
			assert.ok(maxInFlight <= 3, `the dialer's in_flight never above 3 (saw ${maxInFlight})`);
			t.diagnostic(`statuses seen on the long-poll: ${[...seen].join(', ')}; polls: ${fin.polls}`);

			const stats = await waitSimSettled(sim, DELAY_MAX_MS + 300);
			assert.equal(stats.calls_placed, DEFAULT_ROWS, 'each row dialed once; the second POST /call added none');
			assert.deepEqual(stats.dialed, list, 'the API saw the list, in order');
			assert.equal(stats.max_in_flight, 3, 'exactly 3 calls in flight at most');
			assert.equal(stats.webhooks_failed, 0, 'every webhook answered 2xx');
			assert.equal(stats.unknown_phones, 0);

			const full = await getJSON(`${st.base}/events`);
			assert.equal(full.status, 200);
			const f = full.json;
			assert.equal(f.full, true);
			assert.equal(f.started, true);
			assert.equal(f.total, DEFAULT_ROWS);
			assert.equal(f.dialed, DEFAULT_ROWS);
			assert.equal(f.in_flight, 0);
			assert.equal(f.done, DEFAULT_ROWS);
			assert.equal(f.instance, fin.instance);
			// The simulator's early path sends a ringing after the call's end:
			// that moves the version (the history records it), never a row.
			const asRow = (c) => ({ row: c.row, status: c.status, id: c.id, attempts: c.attempts,
			    dialed_at: c.dialed_at, ringing_at: c.ringing_at, answered_at: c.answered_at, ended_at: c.ended_at });
			assert.deepEqual(f.calls.map(asRow), fin.rows.map(asRow),
			    'a late webhook is recorded in the history but changes no row (statuses, ids, attempts, marks)');
			assert.deepEqual(f.calls, fin.rows, 'the long-poll built the same rows as a full read');
			for (const [i, c] of f.calls.entries()) {
				assert.equal(c.row, i);
				assert.ok(TERMINAL.has(c.status));
				assert.equal(c.phone, stats.dialed[i], `row ${i} phone is the API's call ${i}`);
				assert.equal(c.id, String(1234 + i), `row ${i} id`);
				assert.equal(c.status, 'completed', `row ${i} status`);
				assert.equal(c.attempts, 1, `row ${i} attempts`);
				assert.equal(typeof c.dialed_at, 'number');
				assert.equal(typeof c.ended_at, 'number');
				assert.ok(c.ended_at >= c.dialed_at);
				if (i > 0) assert.ok(c.dialed_at >= f.calls[i - 1].dialed_at, 'dialed in order');
			}

			const again = await postJSON(`${st.base}/call`);
			assert.equal(again.status, 409);
			assert.equal((await sim.stats()).calls_placed, DEFAULT_ROWS);
			assert.equal(await st.fcgiPid(), fcgi, 'one persistent FastCGI process throughout');
		});
	});
}
