// The operator's hand on a running campaign, behind both servers, with the
// simulator's GET /stats as referee: POST /pause holds every new POST /call
// while the calls in flight end, POST /resume refills every free slot at
// once and keeps the list's order, POST /stop places nothing more and ends
// every row never dialed `skipped`. Each command answers 202 when it
// applies and 409 when it cannot; with a journal the paused and stopped
// states survive a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, getJSON, postJSON, request, writeNumbers, eventsUntil, waitSimSettled,
} from './harness.mjs';

const ROWS = 40;
const phones = (n) => Array.from({ length: n }, (_, i) => `1301807${String(i).padStart(4, '0')}`);
const events = async (base) => (await getJSON(`${base}/events`)).json;
const commands = ['call', 'pause', 'resume', 'stop'];

// Every command's answer in the stack's current state: 202 for the one
// expected to apply is not tried here (it would change the state).
async function refused(base, which) {
	for (const c of which) {
		const r = await postJSON(`${base}/${c}`);
		assert.equal(r.status, 409, `POST /${c} in state ${(await events(base)).state}`);
		assert.equal(typeof r.json.error, 'string');
	}
}

for (const server of ['lighttpd', 'nginx']) {
	test(`${server}: pause holds new calls, resume refills in order, stop skips the rest`,
	    { timeout: 120000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const list = phones(ROWS);
			const numbers = await writeNumbers(dir, 'numbers.txt', list);
			// Calls that last a while (three webhooks, each 0..1.5 s late), so
			// the refill after the resume is seen before any of them ends.
			const sim = await s.apisim({ delayMaxMs: 1500, seed: 7, numbers, paths: 'answer' });
			const st = await s.stack({ server, api: sim.url, numbers });

			assert.equal((await events(st.base)).state, 'ready');
			await refused(st.base, ['pause', 'resume']);
			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			await eventsUntil(st.base, (ev) => ev.dialed >= 6, 30000, 'six rows dialed');

			// Another site's page cannot pause or stop.
			for (const c of ['pause', 'stop']) {
				const cross = await request(`${st.base}/${c}`, { method: 'POST',
				    headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' } });
				assert.equal(cross.status, 403, `cross-site POST /${c}`);
			}

			const paused = await postJSON(`${st.base}/pause`);
			assert.equal(paused.status, 202);
			assert.deepEqual(paused.json, { paused: true });
			const held = await events(st.base);
			assert.equal(held.state, 'paused');
			assert.equal(held.pause_reason, 'paused by the operator');
			await refused(st.base, ['call', 'pause']);
			// The calls in flight end; no new one is placed.
			const drained = await eventsUntil(st.base, (ev) => ev.in_flight === 0, 30000, 'calls in flight ended');
			await waitSimSettled(sim, 1600);
			const atPause = await sim.stats();
			await sleep(1000);
			const still = await sim.stats();
			assert.equal(still.calls_placed, atPause.calls_placed, 'no POST /call while paused');
			assert.equal((await events(st.base)).dialed, drained.dialed);
			assert.equal(still.calls_placed, drained.dialed);

			// Resume: every free slot at once, the next rows in order.
			assert.equal((await postJSON(`${st.base}/resume`)).status, 202);
			const refilled = await eventsUntil(st.base, (ev) => ev.in_flight === 3 || ev.done === ROWS,
			    5000, 'three calls in flight again');
			assert.equal(refilled.dialed, drained.dialed + 3, 'three slots refilled at once');
			await eventsUntil(st.base, (ev) => ev.dialed >= drained.dialed + 8, 60000, 'eight more dialed');

			// Stop: nothing more is placed, the rest is skipped.
			const stopped = await postJSON(`${st.base}/stop`);
			assert.equal(stopped.status, 202);
			assert.deepEqual(stopped.json, { stopped: true });
			await refused(st.base, commands);
			const end = await eventsUntil(st.base, (ev) => ev.in_flight === 0, 30000, 'the last calls ended');
			await waitSimSettled(sim, 1600);
			const stats = await sim.stats();
			assert.equal(end.state, 'stopped');
			assert.equal(stats.calls_placed, end.dialed, 'the simulator saw every dialed row, no more');
			assert.deepEqual(stats.dialed, list.slice(0, end.dialed), 'in list order');
			assert.ok(end.dialed < ROWS, `stopped mid-list (${end.dialed} of ${ROWS})`);
			for (const c of end.calls.slice(end.dialed)) {
				assert.equal(c.status, 'skipped', `row ${c.row}`);
				assert.equal(c.reason, 'stopped by the operator');
				assert.equal(c.dialed_at, undefined);
			}
			for (const c of end.calls.slice(0, end.dialed)) assert.notEqual(c.status, 'skipped');
			await sleep(500);
			assert.equal((await sim.stats()).calls_placed, stats.calls_placed, 'nothing placed after the stop');
			t.diagnostic(`paused at ${drained.dialed}, stopped at ${end.dialed} of ${ROWS}`);
		});
	});
}

test('stop before Call: every row skipped, nothing dialed, Call refused', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const numbers = await writeNumbers(dir, 'numbers.txt', phones(5));
		const sim = await s.apisim({ delayMaxMs: 50, seed: 3, numbers });
		const st = await s.stack({ api: sim.url, numbers });
		assert.equal((await postJSON(`${st.base}/stop`)).status, 202);
		const ev = await events(st.base);
		assert.equal(ev.state, 'stopped');
		assert.equal(ev.started, false);
		assert.deepEqual(ev.calls.map((c) => c.status), Array(5).fill('skipped'));
		assert.equal(ev.done, 5);
		await refused(st.base, commands);
		await sleep(300);
		assert.equal((await sim.stats()).calls_placed, 0);
	});
});

test('with a journal, paused and stopped survive a restart', { timeout: 90000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(30);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 200, seed: 11, numbers });
		const st = await s.stack({ api: sim.url, numbers, env: { NUMDIALER_JOURNAL: path.join(dir, 'journal') } });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		await eventsUntil(st.base, (ev) => ev.dialed >= 4, 30000, 'four rows dialed');
		assert.equal((await postJSON(`${st.base}/pause`)).status, 202);
		const before = await eventsUntil(st.base, (ev) => ev.in_flight === 0, 30000, 'calls in flight ended');

		const restart = async (what) => {
			const was = (await events(st.base)).instance;
			process.kill(await st.fcgiPid(), 'SIGKILL');
			return eventsUntil(st.base, (ev) => ev.instance !== was, 20000, what);
		};
		const back = await restart('back after the kill, paused');
		assert.equal(back.state, 'paused');
		assert.equal(back.pause_reason, 'paused by the operator');
		assert.equal(back.dialed, before.dialed);
		await sleep(500);
		assert.equal((await events(st.base)).dialed, before.dialed, 'still nothing dialed');

		assert.equal((await postJSON(`${st.base}/stop`)).status, 202);
		const again = await restart('back after the kill, stopped');
		assert.equal(again.state, 'stopped');
		assert.equal(again.calls.filter((c) => c.status === 'skipped').length, 30 - before.dialed);
		await refused(st.base, commands);
		assert.equal((await sim.stats()).calls_placed, before.dialed);
	});
});

// Waits until the simulator has refused n POST /call.
async function refusedBySim(sim, n) {
	for (const deadline = Date.now() + 10000; ;) {
		if ((await sim.stats()).calls_refused >= n) return;
		if (Date.now() > deadline) throw new Error(`the simulator did not refuse ${n} POST /call in 10 s`);
		await sleep(20);
	}
}

// Starts six rows against a simulator that answers the first three POST
// /call 503 with Retry-After: 1; returns once the first was refused and
// its row waits to be sent again.
async function inRetryWait(s) {
	const dir = await s.tmpdir();
	const list = phones(6);
	const numbers = await writeNumbers(dir, 'numbers.txt', list);
	const sim = await s.apisim({ delayMaxMs: 50, seed: 31, numbers, extra: ['--fault', 'call-503=first:3'] });
	const st = await s.stack({ api: sim.url, numbers });
	assert.equal((await postJSON(`${st.base}/call`)).status, 202);
	await refusedBySim(sim, 1);
	return { list, sim, st };
}

test('a pause during a POST /call\'s retry wait holds the retry; a stop cancels it', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const { list, sim, st } = await inRetryWait(s);
		assert.equal((await postJSON(`${st.base}/pause`)).status, 202);
		await sleep(2500);
		const held = await sim.stats();
		assert.equal(held.calls_refused, 1, 'the retry due after 1 s was not sent while paused');
		assert.equal(held.calls_placed, 0);
		const ev = await events(st.base);
		assert.equal(ev.state, 'paused');
		assert.equal(ev.calls[0].status, 'dialing', 'row 0 keeps its slot');
		assert.equal(ev.dialed, 1);
		assert.equal((await postJSON(`${st.base}/resume`)).status, 202);
		await eventsUntil(st.base, (e) => e.state === 'finished', 30000, 'the end');
		await waitSimSettled(sim, 100);
		const stats = await sim.stats();
		assert.equal(stats.calls_refused, 3);
		assert.deepEqual(stats.dialed, list, 'row 0 first, then the rest in order');
	});
	await withSession(t, async (s) => {
		const { sim, st } = await inRetryWait(s);
		assert.equal((await postJSON(`${st.base}/stop`)).status, 202);
		const ev = await events(st.base);
		assert.equal(ev.state, 'stopped');
		assert.equal(ev.in_flight, 0, 'the waiting row left its slot');
		assert.deepEqual(ev.calls.map((c) => c.status), Array(6).fill('skipped'));
		assert.equal(ev.calls[0].reason, 'stopped by the operator');
		await sleep(2000);
		const stats = await sim.stats();
		assert.equal(stats.calls_refused, 1, 'the retry was not sent');
		assert.equal(stats.calls_placed, 0);
	});
});
