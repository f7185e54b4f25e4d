// Kept FastCGI connections: nginx keeps its connections to the program
// between requests (fastcgi_keep_conn, keepalive in the upstream), and the
// program holds an idle one in its accept loop, costing no thread. Counted
// on GET /metrics: numdialer_fastcgi_connections_total (accepted) against
// numdialer_fastcgi_requests_total (served). Behind lighttpd, which opens
// a connection per request, the two stay equal: the counter counts what it
// says. Behind nginx, a dial of a small list, many webhooks in a row,
// more parked long-polls than the program has request threads, and
// webhooks answered while kept connections sit idle past the gate's
// request deadline, all over a few connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, request, getJSON, postJSON, waitAllTerminal, waitSimSettled, standInApi, writeNumbers,
	DEFAULT_ROWS, TERMINAL,
} from './harness.mjs';

const DELAY_MAX_MS = 200;
const WEBHOOKS = 200;        // in a row, each after the last one's answer
const POLLS = 20;            // parked at once: more than the 4 request threads
const KEEPALIVE = 16;        // conf/nginx.conf: idle connections nginx keeps
const GATE_REQUEST_MS = 5000; // src/gate.h: a request's deadline
const FORGED_KEY = '0'.repeat(32);

const phones = (n) => Array.from({ length: n }, (_, i) => `1301806${String(i).padStart(4, '0')}`);

// The gate's counts from GET /metrics.
async function counts(base) {
	const r = await request(`${base}/metrics`);
	assert.equal(r.status, 200, r.text.slice(0, 300));
	const get = (name) => {
		const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(r.text);
		assert.ok(m, `${name} on /metrics`);
		return Number(m[1]);
	};
	return {
		connections: get('numdialer_fastcgi_connections_total'),
		requests: get('numdialer_fastcgi_requests_total'),
		kept: get('numdialer_fastcgi_connections_kept'),
		watchers: get('numdialer_events_watchers'),
	};
}

// The program's log, for lines that must not be there.
function programLog(st) {
	try {
		return fs.readFileSync(path.join(st.rundir, 'numdialer.log'), 'utf8');
	} catch {
		return '';
	}
}

for (const server of ['lighttpd', 'nginx']) {
	test(`a small list dials to its end, and connections are ${server === 'nginx' ? 'kept' : 'one per request'}, ` +
	    `behind ${server}`, { timeout: 120000 }, async (t) => {
		await withSession(t, async (s) => {
			const sim = await s.apisim({ delayMaxMs: DELAY_MAX_MS, seed: 7 });
			const st = await s.stack({ server, api: sim.url });
			const before = await counts(st.base);

			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			const fin = await waitAllTerminal(st.base, 60000);
			const stats = await waitSimSettled(sim, DELAY_MAX_MS + 300);
			assert.equal(fin.rows.length, DEFAULT_ROWS);
			assert.ok(fin.rows.every((r) => TERMINAL.has(r.status)), 'every row ended');
			assert.equal(stats.calls_placed, DEFAULT_ROWS, 'each number called once');
			assert.equal(stats.webhooks_failed, 0, 'every webhook answered 2xx');

			// Webhooks in a row: a forged key is refused by the program
			// itself (403), which is what is counted here.
			for (let i = 0; i < WEBHOOKS; i++) {
				const r = await postJSON(`${st.base}/webhook/0/${FORGED_KEY}`, { id: 1, status: 'completed' });
				assert.equal(r.status, 403, r.text);
			}
			const after = await counts(st.base);
			const requests = after.requests - before.requests;
			const connections = after.connections - before.connections;
			t.diagnostic(`${server}: ${requests} requests over ${connections} connections, ` +
			    `${after.kept} kept idle`);
			assert.ok(requests >= stats.webhooks_sent + WEBHOOKS,
			    `requests served (${requests}): at least the webhooks`);
			if (server === 'lighttpd') {
				assert.equal(connections, requests, 'one connection per request');
				assert.equal(after.kept, 0);
			} else {
				// nginx keeps KEEPALIVE idle at most, and opens more only
				// for requests at once (the dial's long-polls and
				// webhooks): far fewer than the requests.
				assert.ok(connections * 4 <= requests,
				    `connections (${connections}) a fraction of the requests (${requests})`);
				assert.ok(after.kept <= KEEPALIVE, `kept idle: ${after.kept}`);
			}
			assert.doesNotMatch(programLog(st), /not in \d+ ms|dropped/);
		});
	});
}

test(`${POLLS} parked long-polls and webhooks are answered while kept connections sit idle, behind nginx`,
    { timeout: 120000 }, async (t) => {
	const api = await standInApi();
	try {
		await withSession(t, async (s) => {
			const numbers = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(10));
			const st = await s.stack({ server: 'nginx', api: api.url, numbers });
			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			for (let i = 0; i < 200 && api.calls.length < 3; i++) await sleep(20);
			assert.equal(api.calls.length, 3, 'three calls placed');
			const c = api.calls[0];
			const hook = `${st.base}/webhook/${c.row}/${c.key}`;
			const ringing = await postJSON(hook, { id: c.id, status: 'ringing' });
			assert.equal(ringing.json?.applied, true, ringing.text);
			const forged = async (n) => {
				for (let i = 0; i < n; i++) {
					const r = await postJSON(`${st.base}/webhook/0/${FORGED_KEY}`, { id: 1, status: 'completed' });
					assert.equal(r.status, 403, r.text);
				}
			};
			// Parks n long-polls at the current version; resolves once
			// every one is parked, with their answers to come.
			const park = async (n) => {
				const ev = (await getJSON(`${st.base}/events`)).json;
				const q = `${st.base}/events?since=${ev.version}&instance=${encodeURIComponent(ev.instance)}`;
				const polls = Array.from({ length: n }, () => getJSON(q, { timeoutMs: 60000 }));
				let now = await counts(st.base);
				for (let i = 0; i < 500 && now.watchers < n; i++) {
					await sleep(20);
					now = await counts(st.base);
				}
				assert.equal(now.watchers, n, 'every long-poll parked');
				return { polls, now };
			};
			const answered = async (polls, row, status) => {
				for (const r of await Promise.all(polls)) {
					assert.equal(r.status, 200, r.text);
					assert.ok(r.json.calls.some((x) => x.row === row && x.status === status), 'the change');
				}
			};

			// More long-polls parked than request threads: each holds a
			// connection from nginx, none a thread; webhooks are answered
			// meanwhile, in a row.
			const first = await park(POLLS);
			await forged(50);
			assert.equal((await counts(st.base)).watchers, POLLS, 'the refused webhooks woke no long-poll');
			// A webhook that changes the call answers every long-poll.
			const done = await postJSON(hook, { id: c.id, status: 'completed' });
			assert.equal(done.status, 200, done.text);
			await answered(first.polls, c.row, 'completed');

			// Their connections are kept now, up to nginx's keepalive (one
			// of them carries GET /metrics).
			const kept = await counts(st.base);
			assert.ok(kept.kept >= 1 && kept.kept <= KEEPALIVE, `kept idle: ${kept.kept}`);

			// Long-polls parked again, still more than the request threads,
			// and fewer than the kept connections: the rest sit idle in
			// the program meanwhile, and webhooks go over them.
			const second = await park(KEEPALIVE / 2);
			assert.ok(second.now.kept >= 1, `kept idle beside ${KEEPALIVE / 2} parked long-polls: ${second.now.kept}`);
			await forged(50);
			const c2 = api.calls[1];
			const end2 = await postJSON(`${st.base}/webhook/${c2.row}/${c2.key}`, { id: c2.id, status: 'busy' });
			assert.equal(end2.status, 200, end2.text);
			await answered(second.polls, c2.row, 'busy');

			// Idle past the gate's request deadline: the kept connections
			// are still there, and the next webhooks go over them with no
			// new connection.
			const rested = await counts(st.base);
			assert.ok(rested.kept >= 1 && rested.kept <= KEEPALIVE, `kept idle: ${rested.kept}`);
			await sleep(GATE_REQUEST_MS + 1500);
			const later = await counts(st.base);
			assert.equal(later.connections, rested.connections, 'no connection opened while idle');
			assert.equal(later.kept, rested.kept, 'no kept connection dropped while idle');
			await forged(50);
			const last = await counts(st.base);
			assert.equal(last.connections, rested.connections, 'the webhooks reused the kept connections');
			assert.equal(last.requests - rested.requests, 50 + 2, 'each webhook and GET /metrics served');
			assert.doesNotMatch(programLog(st), /not in \d+ ms|dropped/);

			// The third call still ends by its webhook.
			const c3 = api.calls[2];
			const end3 = await postJSON(`${st.base}/webhook/${c3.row}/${c3.key}`, { id: c3.id, status: 'no-answer' });
			assert.equal(end3.status, 200, end3.text);
		});
	} finally {
		await api.close();
	}
});
