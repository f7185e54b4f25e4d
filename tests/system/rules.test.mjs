// The rules a compliant campaign obeys, behind both servers, with the
// simulator's GET /stats as referee: a do-not-call number (on the list at
// start, or added while dialing) is never placed; nothing is placed outside
// the calling hours of a row's time zone, while the rows of open zones go
// on; busy and unanswered calls are redialed after the delay, before any
// later row, up to the cap. The hours are tested with zones whose hours are
// closed now, not by waiting for a clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, getJSON, postJSON, writeNumbers, eventsUntil, waitAllTerminal, waitSimSettled,
} from './harness.mjs';

const phones = (base, n) => Array.from({ length: n }, (_, i) => `${base}${String(i).padStart(4, '0')}`);
const events = async (base) => (await getJSON(`${base}/events`)).json;
const hhmm = (d) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;

for (const server of ['lighttpd', 'nginx']) {
	test(`${server}: do-not-call numbers are never dialed, also one added while dialing`,
	    { timeout: 90000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const list = phones('1301808', 30);
			const numbers = await writeNumbers(dir, 'numbers.txt', list);
			// On the list from the start, written three ways that are one number.
			const dnc = path.join(dir, 'dnc.txt');
			await fs.writeFile(dnc, `# do not call\n+${list[2]}\n${list[5].slice(1)}\n${list[5]}\n`);
			const sim = await s.apisim({ delayMaxMs: 600, seed: 13, numbers, paths: 'answer' });
			const st = await s.stack({ server, api: sim.url, numbers, env: { NUMDIALER_DNC: dnc } });

			const before = await events(st.base);
			assert.equal(before.calls[2].status, 'skipped', 'shown skipped from the start');
			assert.equal(before.calls[2].reason, 'do not call');
			assert.equal(before.calls[5].status, 'skipped');
			assert.equal(before.done, 2);
			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			await eventsUntil(st.base, (ev) => ev.dialed >= 6, 30000, 'six rows dialed');
			// Added while dialing: a row not dialed yet, and a repeat of it.
			const late = list[25];
			await fs.appendFile(dnc, `${late}\n`);
			const fin = await waitAllTerminal(st.base, 60000);
			await waitSimSettled(sim, 700);
			const stats = await sim.stats();
			assert.equal(fin.rows[25].status, 'skipped');
			assert.equal(fin.rows[25].reason, 'do not call');
			for (const p of [list[2], list[5], late])
				assert.ok(!stats.dialed.includes(p), `${p} never placed`);
			assert.deepEqual(stats.dialed, list.filter((p, i) => ![2, 5, 25].includes(i)), 'the rest, in order');
			t.diagnostic(`${stats.calls_placed} placed, 3 skipped`);
		});
	});
}

test('a do-not-call file that cannot be read stops start-up, and pauses dialing when it goes bad later',
    { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones('1301809', 20);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 800, seed: 17, numbers, paths: 'answer' });
		const missing = path.join(dir, 'no-such-dnc.txt');
		const bad = await s.stack({ api: sim.url, numbers, env: { NUMDIALER_DNC: missing }, expectFail: true });
		assert.notEqual(bad.startResult.code, 0);
		assert.match(bad.startResult.output, /do-not-call list: .*no-such-dnc\.txt: No such file/);

		const dnc = path.join(dir, 'dnc.txt');
		await fs.writeFile(dnc, '');
		const st = await s.stack({ api: sim.url, numbers, env: { NUMDIALER_DNC: dnc } });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		await eventsUntil(st.base, (ev) => ev.dialed >= 3, 30000, 'three rows dialed');
		await fs.writeFile(dnc, 'not a number\n');
		const paused = await eventsUntil(st.base, (ev) => ev.state === 'paused', 10000, 'the pause');
		assert.match(paused.pause_reason, /^the do-not-call list cannot be read: .*dnc\.txt:1: /);
		// Resumed while still bad: paused again, nothing dialed.
		await postJSON(`${st.base}/resume`);
		await eventsUntil(st.base, (ev) => ev.state === 'paused', 10000, 'paused again');
		const held = await eventsUntil(st.base, (ev) => ev.in_flight === 0, 30000, 'calls ended');
		await sleep(500);
		assert.equal((await events(st.base)).dialed, held.dialed);
		// Mended: the operator resumes, and the list goes on.
		await fs.writeFile(dnc, `${list[19]}\n`);
		await sleep(200);
		assert.equal((await postJSON(`${st.base}/resume`)).status, 202);
		const fin = await waitAllTerminal(st.base, 60000);
		assert.equal(fin.rows[19].status, 'skipped');
		assert.ok(!(await sim.stats()).dialed.includes(list[19]));
	});
});

for (const server of ['lighttpd', 'nginx']) {
	test(`${server}: nothing is dialed outside its zone's calling hours; other zones go on`,
	    { timeout: 90000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			// Hours from an hour ago to an hour from now in UTC: open for the
			// list's default zone (UTC); Etc/GMT+6 is six hours behind, its
			// clock outside them; Etc/GMT-6 six hours ahead, outside too.
			const now = Date.now();
			const hours = `${hhmm(new Date(now - 3600000))}-${hhmm(new Date(now + 3600000))}`;
			const list = phones('1301810', 12);
			const zoned = list.map((p, i) => (i % 3 === 1 ? `${p} Etc/GMT+6` : i % 3 === 2 ? `${p} Etc/GMT-6` : p));
			const numbers = path.join(dir, 'numbers.txt');
			await fs.writeFile(numbers, zoned.join('\n') + '\n');
			const simList = await writeNumbers(dir, 'sim.txt', list);
			const sim = await s.apisim({ delayMaxMs: 100, seed: 19, numbers: simList });
			const st = await s.stack({ server, api: sim.url, numbers,
			    env: { NUMDIALER_CALL_HOURS: hours, NUMDIALER_TIMEZONE: 'UTC' } });
			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			const waiting = await eventsUntil(st.base, (ev) => ev.state === 'waiting' && ev.in_flight === 0,
			    30000, 'the open zone done, the others waiting');
			const open = list.filter((p, i) => i % 3 === 0);
			await waitSimSettled(sim, 200);
			const stats = await sim.stats();
			assert.deepEqual(stats.dialed, open, 'only the open zone\'s rows, in order');
			assert.match(waiting.waiting_reason, /^waiting for calling hours \(\d\d:\d\d Etc\/GMT[+-]6\)$/);
			assert.ok(waiting.waiting_until > now, 'until the first zone opens');
			for (const [i, c] of waiting.calls.entries())
				assert.equal(c.status, i % 3 === 0 ? 'completed' : 'idle', `row ${i}`);
			// Pause and stop still apply while waiting.
			assert.equal((await postJSON(`${st.base}/pause`)).status, 202);
			assert.equal((await postJSON(`${st.base}/resume`)).status, 202);
			assert.equal((await events(st.base)).state, 'waiting');
			t.diagnostic(`${waiting.waiting_reason}, until ${new Date(waiting.waiting_until).toISOString()}`);
		});
	});
}

test('an unknown time zone in the list stops start-up with its line', { timeout: 30000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const numbers = path.join(dir, 'numbers.txt');
		await fs.writeFile(numbers, '13018040009\n13018040010 Mars/Olympus\n');
		const st = await s.stack({ api: 'http://127.0.0.1:9', numbers, expectFail: true });
		assert.notEqual(st.startResult.code, 0);
		assert.match(st.startResult.output, /numbers\.txt:2: unknown time zone "Mars\/Olympus"/);
	});
});

for (const server of ['lighttpd', 'nginx']) {
	test(`${server}: busy and unanswered calls are redialed after the delay, in order, up to the cap`,
	    { timeout: 90000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const list = phones('1301811', 8);
			const numbers = await writeNumbers(dir, 'numbers.txt', list);
			// Row 1 is always busy, row 4 never answers; the rest answer.
			const sim = await s.apisim({ delayMaxMs: 50, seed: 23, numbers, paths: 'answer',
			    extra: ['--path-for', `${list[1]}=busy`, '--path-for', `${list[4]}=unanswered`] });
			const st = await s.stack({ server, api: sim.url, numbers, env: {
				NUMDIALER_REDIAL: 'busy,no-answer', NUMDIALER_REDIAL_ATTEMPTS: '3', NUMDIALER_REDIAL_DELAY: '2',
			} });
			const started = Date.now();
			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			const waiting = await eventsUntil(st.base, (ev) => ev.state === 'waiting', 20000, 'waiting for a redial');
			assert.equal(waiting.waiting_reason, 'waiting for a redial');
			assert.ok(waiting.calls[1].redial, 'row 1 waits for its redial');
			assert.equal(waiting.calls[1].redial_at, waiting.calls[1].ended_at + 2000, 'due 2 s after its end');
			// Rows waiting for a redial are not done: finished comes after.
			const ev = await eventsUntil(st.base, (e) => e.state === 'finished', 60000, 'the end');
			await waitSimSettled(sim, 100);
			const stats = await sim.stats();
			assert.equal(ev.calls[1].status, 'busy');
			assert.equal(ev.calls[4].status, 'no-answer');
			assert.equal(ev.calls[1].calls, 3, 'row 1: three calls in all');
			assert.equal(ev.calls[4].calls, 3);
			assert.equal(ev.calls[0].calls, undefined, 'one call: no count shown');
			// The first pass in list order, then the redials, each pair in list order.
			assert.deepEqual(stats.dialed, [...list, list[1], list[4], list[1], list[4]]);
			assert.equal(stats.calls_placed, 12);
			const took = Date.now() - started;
			assert.ok(took >= 4000, `two redial delays of 2 s passed (${took} ms)`);
			t.diagnostic(`12 calls in ${took} ms`);
		});
	});
}

test('with a journal, a pending redial and the list\'s time zones survive a restart', { timeout: 90000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones('1301812', 6);
		const now = Date.now();
		const hours = `${hhmm(new Date(now - 3600000))}-${hhmm(new Date(now + 3600000))}`;
		const numbers = path.join(dir, 'numbers.txt');
		await fs.writeFile(numbers, list.map((p, i) => (i === 3 ? `${p} Etc/GMT+6` : `${p} UTC`)).join('\n') + '\n');
		const sim = await s.apisim({ delayMaxMs: 50, seed: 29, numbers: await writeNumbers(dir, 'sim.txt', list),
		    paths: 'answer', extra: ['--path-for', `${list[1]}=busy`] });
		const st = await s.stack({ api: sim.url, numbers, env: {
			NUMDIALER_JOURNAL: path.join(dir, 'journal'), NUMDIALER_CALL_HOURS: hours,
			NUMDIALER_REDIAL: 'busy', NUMDIALER_REDIAL_ATTEMPTS: '2', NUMDIALER_REDIAL_DELAY: '4',
		} });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		const before = await eventsUntil(st.base, (ev) => ev.calls[1].redial === true && ev.in_flight === 0 &&
		    ev.calls[5].status === 'completed', 20000, 'row 1 waiting for its redial');
		process.kill(await st.fcgiPid(), 'SIGKILL');
		const back = await eventsUntil(st.base, (ev) => ev.instance !== before.instance, 20000, 'the program back');
		assert.equal(back.calls[1].redial, true, 'still waiting for its redial');
		assert.equal(back.calls[1].redial_at, before.calls[1].redial_at);
		assert.equal(back.calls[3].status, 'idle', 'the closed zone\'s row still waits');
		const end = await eventsUntil(st.base, (ev) => ev.calls[1].calls === 2 && ev.calls[1].status === 'busy' &&
		    ev.state === 'waiting', 30000, 'the redial placed and ended');
		assert.match(end.waiting_reason, /Etc\/GMT\+6/);
		await waitSimSettled(sim, 100);
		assert.deepEqual((await sim.stats()).dialed, [list[0], list[1], list[2], list[4], list[5], list[1]]);
	});
});
