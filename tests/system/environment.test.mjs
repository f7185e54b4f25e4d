// Signals and environment: SIGHUP (a reload, to most daemons) must not wipe
// the campaign; and libcurl must not send POST /call, with its phone and
// webhook key, to a proxy that the environment's http_proxy names: only
// NUMDIALER_PROXY chooses one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, getJSON, postJSON, freePort, waitAllTerminal, waitSimSettled, writeNumbers,
} from './harness.mjs';

const phones = (n, base = 0) => Array.from({ length: n },
    (_, i) => `1301809${String(base + i).padStart(4, '0')}`);

for (const server of ['lighttpd', 'nginx']) {
	test(`${server}: SIGHUP leaves the program and its campaign as they are`, { timeout: 60000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const list = phones(6);
			const numbers = await writeNumbers(dir, 'numbers.txt', list);
			const sim = await s.apisim({ delayMaxMs: 300, seed: 59, numbers });
			const st = await s.stack({ server, api: sim.url, numbers });
			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			const before = (await getJSON(`${st.base}/events`)).json;
			const pid = await st.fcgiPid();
			process.kill(pid, 'SIGHUP');
			await sleep(1000);
			assert.equal(await st.fcgiPid(), pid, 'the same process');
			const after = (await getJSON(`${st.base}/events`)).json;
			assert.equal(after.instance, before.instance, 'the same run');
			assert.equal(after.started, true);
			const fin = await waitAllTerminal(st.base, 30000);
			for (const r of fin.rows) assert.equal(r.status, 'completed');
		});
	});
}

// A forward proxy that counts what it carries and passes it on.
async function countingProxy() {
	const seen = [];
	const srv = http.createServer((req, res) => {
		seen.push(`${req.method} ${req.url}`);
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const up = http.request(req.url, { method: req.method, headers: req.headers }, (r) => {
				res.writeHead(r.statusCode, r.headers);
				r.pipe(res);
			});
			up.on('error', () => { res.writeHead(502); res.end(); });
			up.end(Buffer.concat(chunks));
		});
	});
	srv.listen(0, '127.0.0.1');
	await once(srv, 'listening');
	return { url: `http://127.0.0.1:${srv.address().port}`, seen, close: () => srv.close() };
}

test('the environment\'s http_proxy is not used; NUMDIALER_PROXY is', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(4, 100);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 200, seed: 61, numbers });
		// A proxy nobody listens on: were it used, no call could be placed.
		const dead = `http://127.0.0.1:${await freePort()}`;
		const env = { http_proxy: dead, HTTP_PROXY: dead, https_proxy: dead, HTTPS_PROXY: dead,
		    ALL_PROXY: dead, all_proxy: dead, no_proxy: '', NO_PROXY: '', NUMDIALER_FAILURE_PAUSE: '0' };
		const st = await s.stack({ api: sim.url, numbers, env });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		const fin = await waitAllTerminal(st.base, 30000);
		for (const r of fin.rows) assert.equal(r.status, 'completed', `${r.phone}: ${r.reason ?? ''}`);
		await s.stopStack(st);

		const proxy = await countingProxy();
		try {
			const list2 = phones(3, 200);
			const numbers2 = await writeNumbers(dir, 'numbers2.txt', list2);
			const sim2 = await s.apisim({ delayMaxMs: 200, seed: 62, numbers: numbers2 });
			const st2 = await s.stack({ api: sim2.url, numbers: numbers2, env: { ...env, NUMDIALER_PROXY: proxy.url } });
			assert.equal((await postJSON(`${st2.base}/call`)).status, 202);
			const fin2 = await waitAllTerminal(st2.base, 30000);
			for (const r of fin2.rows) assert.equal(r.status, 'completed', `${r.phone}: ${r.reason ?? ''}`);
			await waitSimSettled(sim2, 300);
			t.diagnostic(`through the proxy: ${proxy.seen.join(', ')}`);
			assert.equal(proxy.seen.length, list2.length, 'every POST /call went through NUMDIALER_PROXY');
			for (const line of proxy.seen) assert.equal(line, `POST ${sim2.url}/call`);
		} finally {
			proxy.close();
		}
	});
});
