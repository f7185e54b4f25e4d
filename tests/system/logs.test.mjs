// Logs that junk requests cannot grow without bound, behind lighttpd and
// nginx: the admin script's log watcher moves each log of the run dir past
// NUMDIALER_LOG_MAX_MB to NAME.1 and has the server reopen its own (the
// FastCGI program goes on, state and all); `scripts/numdialer rotate` does
// it at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withSession, getJSON, postJSON, request, runScript, standInApi } from './harness.mjs';

const MiB = 1024 * 1024;
const size = (f) => { try { return fs.statSync(f).size; } catch { return -1; } };

// Sends n requests, `width` at a time.
async function flood(n, width, make) {
	let next = 0;
	const worker = async () => {
		while (next < n) {
			const i = next++;
			await make(i).catch(() => {});
		}
	};
	await Promise.all(Array.from({ length: width }, worker));
}

async function until(pred, what, timeoutMs = 20000) {
	const deadline = Date.now() + timeoutMs;
	while (!pred()) {
		if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
		await sleep(100);
	}
}

for (const server of ['lighttpd', 'nginx']) {
	test(`logs past NUMDIALER_LOG_MAX_MB are rotated, behind ${server}`, { timeout: 90000 }, async (t) => {
		const api = await standInApi();
		try {
			await withSession(t, async (s) => {
				const st = await s.stack({ server, api: api.url,
				    env: { NUMDIALER_LOG_MAX_MB: '1', NUMDIALER_LOG_CHECK_S: '1' } });
				const { base, rundir } = st;
				const access = path.join(rundir, `${server}-access.log`);
				const program = path.join(rundir, 'numdialer.log');
				const fcgi = await st.fcgiPid();
				assert.equal((await postJSON(`${base}/call`)).status, 202);

				// Junk: long paths the web server logs, and webhooks to rows that
				// cannot be, which the program logs (one line each, ~430 bytes).
				const longPath = `/${'a'.repeat(3000)}.html`;
				const badRow = `/webhook/${'9'.repeat(400)}/${'0'.repeat(32)}`;
				await flood(600, 16, (i) => request(`${base}${longPath}?${i}`, { timeoutMs: 10000 }));
				await flood(3000, 16, () => request(`${base}${badRow}`, { method: 'POST', body: '{}', timeoutMs: 10000 }));

				await until(() => size(`${program}.1`) > MiB, 'numdialer.log moved to numdialer.log.1');
				if (server === 'lighttpd')
					await until(() => size(`${access}.1`) > MiB, `${server}-access.log moved`);
				else
					await until(() => size(`${access}.1`) > 0, `${server}-access.log moved`);
				// A flood that goes on past one rotation fills the new log
				// again; the next look of the watcher moves it too.
				await until(() => size(program) < MiB, 'numdialer.log cut back');
				await until(() => size(access) < MiB, `${server}-access.log started again`);

				// The server writes its new log, the program its lines to the
				// cut one; both go on, the program unrestarted, its state kept.
				const mark = `/after-rotation-${Date.now()}.html`;
				await request(`${base}${mark}`);
				await request(`${base}/webhook/1x/${'0'.repeat(32)}`, { method: 'POST', body: '{}' });
				await until(() => fs.readFileSync(access, 'utf8').includes(mark), 'the server logs to its new file');
				await until(() => /404 POST \/webhook\/1x/.test(fs.readFileSync(program, 'utf8')),
				    'the program logs on after the cut');
				assert.equal(await st.fcgiPid(), fcgi, 'the same FastCGI program');
				const ev = await getJSON(`${base}/events`);
				assert.equal(ev.status, 200);
				assert.equal(ev.json.started, true, 'dialing is still started: no state was lost');

				const status = await runScript('status', st.env, { logDir: st.logDir });
				assert.match(status.output, /numdialer-logs\s+running/);

				// rotate, by hand: every log that has anything.
				const rotated = await runScript('rotate', st.env, { logDir: st.logDir });
				assert.equal(rotated.code, 0, rotated.output);
				assert.match(rotated.output, /numdialer\.log moved to .*numdialer\.log\.1/);
				assert.equal(size(program), 0, 'numdialer.log empty after rotate');
				assert.equal(await st.fcgiPid(), fcgi, 'the same FastCGI program after rotate');
			});
		} finally {
			await api.close();
		}
	});
}
