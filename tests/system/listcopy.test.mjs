// The running campaign keeps the list it started with: the journal holds a
// copy, so a list file edited mid-run (one line appended) does not turn the
// next crash into a restart loop. The restarted program dials the
// journal's list; a fresh `scripts/numdialer start` with the changed file
// fails once, naming both, before anything starts. Behind both servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, getJSON, postJSON, runScript, waitAllTerminal, waitSimSettled, writeNumbers, eventsUntil,
} from './harness.mjs';

const ROWS = 12;
const phones = (n) => Array.from({ length: n }, (_, i) => `1301808${String(i).padStart(4, '0')}`);

for (const server of ['lighttpd', 'nginx']) {
	test(`${server}: the list file edited mid-run, then a crash: the run goes on with its own list`,
	    { timeout: 120000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const list = phones(ROWS);
			const numbers = await writeNumbers(dir, 'numbers.txt', list);
			// The simulator knows the appended number too: were it dialed,
			// the API would take it.
			const simList = await writeNumbers(dir, 'sim.txt', [...list, '13018089999']);
			const sim = await s.apisim({ delayMaxMs: 600, seed: 53, numbers: simList });
			const journal = path.join(dir, 'journal');
			const st = await s.stack({ server, api: sim.url, numbers, callTimeout: 8,
			    env: { NUMDIALER_JOURNAL: journal } });
			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			const before = await eventsUntil(st.base, (ev) => ev.done >= 3, 30000, 'three rows done');

			fs.appendFileSync(numbers, '13018089999\n');
			const pid = await st.fcgiPid();
			process.kill(pid, 'SIGKILL');
			const after = await eventsUntil(st.base, (ev) => ev.instance !== before.instance, 20000,
			    'the program back with a new instance');
			assert.equal(after.total, ROWS, 'the restarted program dials the list it started with');
			const fin = await waitAllTerminal(st.base, 60000);
			assert.equal(fin.rows.length, ROWS);
			assert.deepEqual(fin.rows.map((r) => r.phone), list);
			const stats = await waitSimSettled(sim, 700);
			assert.ok(!stats.dialed.includes('13018089999'), 'the appended number is not dialed');
			assert.deepEqual(stats.dialed, list, 'each row placed once, in order, across the restart');

			// A fresh start with the changed list file fails once, clearly.
			await s.stopStack(st);
			const again = await runScript('start', st.env, { logDir: st.logDir });
			t.diagnostic(`start said: ${again.output.trim().split('\n').slice(-2).join(' | ')}`);
			assert.notEqual(again.code, 0, 'start refuses a list file other than the journal\'s');
			assert.ok(again.output.includes(journal) && again.output.includes(numbers),
			    'the message names the journal and the list file');
			assert.match(again.output, /another list/);
			const left = (await getJSON(`${st.base}/events`, { timeoutMs: 1000 }).catch(() => null));
			assert.equal(left, null, 'nothing was started');
		});
	});
}

test('a journal that cannot be written stops start-up at once, naming it and why', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const numbers = await writeNumbers(dir, 'numbers.txt', phones(3));
		const journal = path.join(dir, 'no-such-dir', 'journal');
		const st = await s.stack({ api: 'http://127.0.0.1:9', numbers, expectFail: true,
		    env: { NUMDIALER_JOURNAL: journal } });
		const out = st.startResult.output;
		t.diagnostic(out.trim().split('\n').slice(0, 2).join(' | '));
		assert.notEqual(st.startResult.code, 0);
		assert.ok(out.includes(`${journal}.lock: cannot be written: No such file or directory`),
		    'the reason is said, naming the file');
		assert.ok(!/no answer from/.test(out), 'before anything was started');
	});
});

// A full disk, made by lowering the program's file size limit (RLIMIT_FSIZE:
// writes past it fail with EFBIG, as on a full file system): everything
// waits, GET /events says why instead of leaving the page in the dark, and
// once the journal can be written the run goes on, nothing lost or doubled.
test('a journal that cannot be written for a while: /events says why, then the run goes on',
    { timeout: 90000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(9);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 800, seed: 67, numbers });
		const journal = path.join(dir, 'journal');
		const st = await s.stack({ api: sim.url, numbers, env: { NUMDIALER_JOURNAL: journal } });
		const pid = await st.fcgiPid();
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		await eventsUntil(st.base, (ev) => ev.dialed >= 3, 10000, 'three rows dialed');
		const size = fs.statSync(journal).size;
		execFileSync('prlimit', ['--pid', String(pid), `--fsize=${size}:`]);
		const deadline = Date.now() + 15000;
		let said;
		while (Date.now() < deadline) {
			const r = await getJSON(`${st.base}/events`, { timeoutMs: 3000 }).catch(() => null);
			if (r && r.status === 503) { said = r.json?.error; break; }
			await sleep(100);
		}
		t.diagnostic(`/events said: ${said}`);
		assert.match(said ?? '', /^the journal cannot be written \(.*File too large\): the dialer waits until it can$/);
		const stuck = await sim.stats();
		await sleep(1500);
		assert.equal((await sim.stats()).calls_placed, stuck.calls_placed, 'no call placed while the journal waits');
		execFileSync('prlimit', ['--pid', String(pid), '--fsize=unlimited:']);
		// The journal is tried again every second.
		await eventsUntil(st.base, () => true, 10000, '/events answered again');
		const fin = await waitAllTerminal(st.base, 60000);
		for (const r of fin.rows) assert.equal(r.status, 'completed', `${r.phone}: ${r.reason ?? ''}`);
		const stats = await waitSimSettled(sim, 900);
		assert.deepEqual(stats.dialed, list, 'each row placed once, in order');
		assert.equal(await st.fcgiPid(), pid, 'the same process all along');
	});
});
