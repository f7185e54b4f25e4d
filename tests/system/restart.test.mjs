// Restarts: the FastCGI program killed (SIGKILL) in the middle of a run,
// behind lighttpd (which spawns it again) and nginx (the admin script's
// supervisor starts it again). With NUMDIALER_JOURNAL the run carries on:
// nothing dialed twice, the list in order, the rows done before the kill
// still done. Without it the new process says plainly that it starts over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	withSession, getJSON, postJSON, waitAllTerminal, waitSimSettled, writeNumbers, TERMINAL, eventsUntil, alivePid,
} from './harness.mjs';

const ROWS = 30;
const CALL_TIMEOUT_S = 8;   // ends the calls whose webhooks hit the dead process
const phones = (n) => Array.from({ length: n }, (_, i) => `1301805${String(i).padStart(4, '0')}`);

// Starts a run of ROWS numbers against a simulator with delays; kills the
// program once some rows are done and others remain. Returns what the test
// needs to judge the aftermath.
async function runAndKill(s, server, journal) {
	const dir = await s.tmpdir();
	const list = phones(ROWS);
	const numbers = await writeNumbers(dir, 'numbers.txt', list);
	const sim = await s.apisim({ delayMaxMs: 800, seed: 29, numbers });
	const env = journal ? { NUMDIALER_JOURNAL: path.join(dir, 'journal') } : {};
	const st = await s.stack({ server, api: sim.url, numbers, callTimeout: CALL_TIMEOUT_S, env });
	assert.equal((await postJSON(`${st.base}/call`)).status, 202);
	await eventsUntil(st.base, (ev) => ev.done >= 8, 30000, 'eight rows done');
	// The rows done just before the kill: nothing may take them back.
	const before = (await getJSON(`${st.base}/events`)).json;
	const pid = await st.fcgiPid();
	process.kill(pid, 'SIGKILL');
	assert.ok(before.dialed < ROWS, `killed mid-run (${before.dialed} of ${ROWS} dialed)`);
	const after = await eventsUntil(st.base, (ev) => ev.instance !== before.instance, 20000,
	    'the program back with a new instance');
	return { list, sim, st, pid, before, after };
}

for (const server of ['lighttpd', 'nginx']) {
	test(`${server}: killed mid-run with a journal, the run completes, nothing dialed twice`,
	    { timeout: 120000 }, async (t) => {
		await withSession(t, async (s) => {
			const { list, sim, st, pid, before, after } = await runAndKill(s, server, true);
			t.diagnostic(`killed pid ${pid} with ${before.done} done, ${before.in_flight} in flight, ` +
			    `${before.dialed} dialed`);
			assert.equal(after.journal, true, 'the answer says the state is journaled');
			assert.equal(after.started, true, 'dialing is still started');
			assert.ok(after.dialed >= before.dialed, `dialed ${after.dialed} after, ${before.dialed} before`);
			const was = new Map(before.calls.map((c) => [c.row, c]));
			for (const c of after.calls) {
				const b = was.get(c.row);
				if (!TERMINAL.has(b.status)) continue;
				assert.equal(c.status, b.status, `row ${c.row} was ${b.status} before the kill`);
				assert.equal(c.id, b.id, `row ${c.row} keeps its call id`);
				assert.equal(c.ended_at, b.ended_at, `row ${c.row} keeps its end`);
				assert.equal(c.attempts, b.attempts, `row ${c.row} keeps its attempts`);
			}
			const newPid = await st.fcgiPid();
			assert.notEqual(newPid, pid, 'a new process serves');

			const fin = await waitAllTerminal(st.base, 60000);
			assert.equal(fin.rows.length, ROWS);
			for (const [i, r] of fin.rows.entries()) {
				assert.ok(TERMINAL.has(r.status), `row ${i} ended (${r.status})`);
				assert.equal(r.phone, list[i]);
				assert.equal(r.attempts, 1, `row ${i} dialed once`);
				if (i > 0)
					assert.ok(r.dialed_at >= fin.rows[i - 1].dialed_at, `row ${i} dialed after row ${i - 1}`);
			}
			const stats = await waitSimSettled(sim, 1000);
			assert.deepEqual(stats.dialed, list, 'the API saw each phone once, in list order');
			assert.equal(stats.calls_placed, ROWS);
			assert.ok(stats.max_in_flight <= 3, `at most 3 calls at once (${stats.max_in_flight})`);
			const timedOut = fin.rows.filter((r) => r.reason === 'timeout').length;
			t.diagnostic(`${timedOut} call(s) ended by the call timeout (their webhooks met the dead process)`);

			const log = fs.readFileSync(path.join(st.rundir, 'numdialer.log'), 'utf8');
			const restored = [...log.matchAll(/journal .*: (\d+) rows restored/g)].map((m) => Number(m[1]));
			assert.equal(restored.length, 2, `two starts replayed the journal: ${restored}`);
			assert.equal(restored[0], 0);
			assert.ok(restored[1] >= before.dialed, `the restart restored ${restored[1]} rows`);
			if (server === 'nginx')
				assert.match(log, /supervisor: numdialer\.fcgi was killed by signal 9; starting it again/);
		});
	});

	test(`${server}: killed without a journal, the new process says its state is gone`,
	    { timeout: 60000 }, async (t) => {
		await withSession(t, async (s) => {
			const { list, st, pid, after } = await runAndKill(s, server, false);
			assert.equal(after.journal, false, 'no journal claimed');
			assert.equal(after.started, false, 'the new process has not started dialing');
			assert.equal(after.dialed, 0);
			assert.equal(after.calls.length, list.length);
			for (const c of after.calls) assert.equal(c.status, 'idle', `row ${c.row} starts over`);
			const newPid = await st.fcgiPid();
			assert.notEqual(newPid, pid);
			assert.ok(alivePid(newPid), `the program runs again (pid ${newPid})`);
			assert.ok(!alivePid(pid), `the killed one is gone (pid ${pid})`);
		});
	});
}

test('a journal of another list stops start-up naming the file, nothing left running', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const journal = path.join(dir, 'journal');
		const first = await writeNumbers(dir, 'first.txt', phones(5));
		const second = await writeNumbers(dir, 'second.txt', phones(6));
		const sim = await s.apisim({ acceptAny: true });
		const st = await s.stack({ api: sim.url, numbers: first, env: { NUMDIALER_JOURNAL: journal } });
		await s.stopStack(st);
		assert.match(fs.readFileSync(journal, 'utf8'), /^\{"numdialer_journal":2,"count":5,/);

		const other = await s.stack({ api: sim.url, numbers: second, env: { NUMDIALER_JOURNAL: journal },
		    expectFail: true });
		other.startFailedOk = true;
		const out = other.startResult.output;
		t.diagnostic(`start said: ${out.trim()}`);
		assert.notEqual(other.startResult.code, 0, 'numdialer start exits non-zero');
		assert.ok(out.includes(`${journal} holds the list it was started with (5 numbers), and ${second} ` +
		    'is another list now (6 numbers)'), `names the journal, the list and why: ${out}`);
		assert.deepEqual([...other.procs.values()].filter((p) => alivePid(p.pid)).map((p) => p.comm), [],
		    'nothing of the run is running');
	});
});
