// Bad requests through the web server: each answered with its code and a
// JSON {"error"} body, none changing state or the FastCGI process.
//
// The webhook cases that need a dialed row's key (415, 400, 409, 413, 422
// on a real row) use the harness's stand-in telephony API: it records the
// webhook URL the dialer hands it (the only place the key appears) and never
// sends a webhook itself, so the campaign stays still between snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { withSession, getJSON, postJSON, request, standInApi } from './harness.mjs';

const HEX32 = '0123456789abcdef0123456789abcdef';

// Checks one answer; a miss is collected (not thrown) so one run reports
// every case, and the test asserts the list is empty at the end.
function checker() {
	const misses = [];
	const expectError = (res, codes, what) => {
		const want = Array.isArray(codes) ? codes : [codes];
		const type = res.headers.get('content-type') || '';
		if (!want.includes(res.status))
			misses.push(`${what}: expected ${want.join(' or ')}, got ${res.status} ${res.text.slice(0, 120)}`);
		else if (!/application\/json/.test(type) || typeof res.json?.error !== 'string' || res.json.error === '')
			misses.push(`${what}: ${res.status} as wanted, but not a JSON {"error"} body: ${type} ${res.text.slice(0, 120)}`);
		return res;
	};
	return { misses, expectError };
}

const post = (url, body, type = 'application/json') =>
	request(url, { method: 'POST', headers: type ? { 'Content-Type': type } : {}, body });

async function untilRows(base, n, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const ev = (await getJSON(`${base}/events`)).json;
		const withId = ev.calls.filter((c) => c.id !== undefined);
		if (withId.length >= n && ev.in_flight === n) return ev;
		if (Date.now() > deadline) throw new Error(`the dialer did not have ${n} calls with ids in ${timeoutMs} ms: ${JSON.stringify(ev)}`);
		await sleep(50);
	}
}

for (const server of ['lighttpd', 'nginx']) {
	test(`bad requests change nothing, behind ${server}`, { timeout: 60000 }, async (t) => {
		const api = await standInApi();
		try {
			await withSession(t, async (s) => {
				const st = await s.stack({ server, api: api.url });
				const base = st.base;
				const fcgi = await st.fcgiPid();
				const { misses, expectError } = checker();
				const s0 = (await getJSON(`${base}/events`)).json;
				assert.equal(s0.started, false);

				// Before POST /call: nothing moves, so the snapshot must be equal.
				expectError(await getJSON(`${base}/events?since=abc`), 400, 'since=abc');
				expectError(await getJSON(`${base}/events?since=-1`), 400, 'since=-1');
				expectError(await getJSON(`${base}/events?since=1x`), 400, 'since=1x');
				expectError(await request(`${base}/events`, { method: 'PUT', body: '{}' }), 405, 'PUT /events');
				expectError(await request(`${base}/events`, { method: 'POST' }), 405, 'POST /events');
				const getCall = await getJSON(`${base}/call`);
				expectError(getCall, 405, 'GET /call');
				if (!/POST/.test(getCall.headers.get('allow') || ''))
					misses.push(`GET /call: no Allow header naming POST (got ${getCall.headers.get('allow')})`);
				expectError(await request(`${base}/call`, { method: 'DELETE' }), 405, 'DELETE /call');
				const ok = JSON.stringify({ id: 1234, status: 'ringing' });
				expectError(await post(`${base}/webhook/99999/${HEX32}`, ok), 404, 'webhook to no such row');
				expectError(await post(`${base}/webhook/0/${HEX32}`, ok), 403, 'webhook to a row never dialed');
				expectError(await post(`${base}/webhook/0/zz`, ok), [403, 404], 'webhook with a malformed key');
				expectError(await post(`${base}/webhook/notanumber/${HEX32}`, ok), 404, 'webhook row not a number');
				expectError(await post(`${base}/webhook/-1/${HEX32}`, ok), 404, 'webhook row -1');
				expectError(await post(`${base}/webhook/0`, ok), 404, 'webhook without a key');
				const getHook = await getJSON(`${base}/webhook/0/${HEX32}`);
				expectError(getHook, 405, 'GET /webhook/0/KEY');
				if (!/POST/.test(getHook.headers.get('allow') || ''))
					misses.push(`GET /webhook: no Allow header naming POST (got ${getHook.headers.get('allow')})`);

				const s1 = (await getJSON(`${base}/events`)).json;
				assert.deepEqual(s1, s0, 'bad requests before dialing changed nothing');
				assert.equal(await st.fcgiPid(), fcgi, 'same FastCGI process');

				// Dialing: the stand-in API takes 3 calls and stays silent.
				assert.equal((await postJSON(`${base}/call`)).status, 202);
				const s2 = await untilRows(base, 3, 10000);
				await sleep(300);
				assert.equal(api.calls.length, 3, 'exactly 3 calls placed');
				assert.deepEqual(api.calls.map((c) => c.phone), s2.calls.slice(0, 3).map((c) => c.phone));
				const keys = api.calls.map((c, i) => {
					const m = /^(.*)\/webhook\/(\d+)\/([0-9a-f]{32})$/.exec(c.webhookURL || '');
					assert.ok(m, `call ${i}: webhookURL shape, got ${c.webhookURL}`);
					assert.equal(m[1], base, `call ${i}: webhookURL on the public URL`);
					assert.equal(Number(m[2]), i, `call ${i}: webhookURL names its row`);
					return m[3];
				});
				assert.equal(new Set(keys).size, 3, 'a key per call');
				const s2b = (await getJSON(`${base}/events`)).json;
				assert.deepEqual(s2b.calls.slice(0, 3).map((c) => c.id), ['1234', '1235', '1236']);
				assert.deepEqual(s2b.calls.slice(0, 3).map((c) => c.status), ['dialing', 'dialing', 'dialing']);

				const hook0 = `${base}/webhook/0/${keys[0]}`;
				expectError(await post(hook0, ok, 'text/plain'), 415, 'webhook as text/plain');
				expectError(await post(hook0, '{"id": 1234, "status": ', 'application/json'), 400, 'malformed JSON');
				expectError(await post(hook0, '[1, 2]'), [400, 422], 'JSON not an object');
				expectError(await post(hook0, JSON.stringify({ id: [1234], status: 'ringing' })), 400, 'id of the wrong type');
				expectError(await post(hook0, JSON.stringify({ id: '1'.repeat(300), status: 'ringing' })), 400, 'id too long');
				expectError(await post(hook0, JSON.stringify({ id: 1234, status: 'exploded' })), 422, 'unknown status');
				expectError(await post(hook0, JSON.stringify({ id: 1234 })), 422, 'status missing');
				const big = JSON.stringify({ id: 1234, status: 'ringing', pad: 'x'.repeat(100 * 1024) });
				expectError(await post(hook0, big), 413, '100 KiB body');
				// Longer than the FastCGI socket's buffer: lighttpd is still
				// writing it when the program answers.
				const huge = JSON.stringify({ id: 1234, status: 'ringing', pad: 'x'.repeat(1024 * 1024) });
				expectError(await post(hook0, huge), 413, '1 MiB body');
				const over = JSON.stringify({ id: 1234, status: 'ringing', pad: 'x'.repeat(9 * 1024) });
				expectError(await post(hook0, over), 413, '9 KiB body (over the 8 KiB bound)');
				expectError(await post(hook0, JSON.stringify({ id: 9999, status: 'completed' })), 409, 'id contradicting the row');
				expectError(await post(`${base}/webhook/0/${keys[1]}`, JSON.stringify({ id: 1234, status: 'completed' })), 403, "another row's key");
				expectError(await post(`${base}/webhook/0/${HEX32}`, JSON.stringify({ id: 1234, status: 'completed' })), 403, 'a forged key');
				expectError(await post(`${base}/webhook/3/${HEX32}`, JSON.stringify({ id: 1234, status: 'completed' })), 403, 'a row not yet dialed');
				expectError(await request(hook0, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: ok }), 405, 'PUT webhook');

				const s3 = (await getJSON(`${base}/events`)).json;
				assert.deepEqual(s3, s2b, 'bad webhooks changed nothing');
				assert.equal(api.calls.length, 3, 'no slot was freed');
				assert.equal(await st.fcgiPid(), fcgi, 'same FastCGI process');

				// The real key works: statuses apply by rank, the first terminal frees a slot.
				let r = await post(hook0, ok);
				assert.equal(r.status, 200, r.text);
				assert.deepEqual(r.json, { ok: true, status: 'ringing', applied: true });
				r = await post(hook0, ok);
				assert.deepEqual(r.json, { ok: true, status: 'ringing', applied: false }, 'a duplicate is a no-op');
				r = await post(`${base}/webhook/1/${keys[1]}`, JSON.stringify({ id: 1235, status: 'in-progress' }));
				assert.deepEqual(r.json, { ok: true, status: 'answered', applied: true }, 'in-progress maps to answered');
				r = await post(hook0, JSON.stringify({ id: 1234, status: 'completed' }));
				assert.deepEqual(r.json, { ok: true, status: 'completed', applied: true });
				r = await post(hook0, ok);
				assert.deepEqual(r.json, { ok: true, status: 'completed', applied: false }, 'a late ringing changes nothing');
				const deadline = Date.now() + 5000;
				while (api.calls.length < 4 && Date.now() < deadline) await sleep(20);
				assert.equal(api.calls.length, 4, 'the freed slot dialed the next row');
				assert.equal(api.calls[3].phone, s0.calls[3].phone);
				const s4 = (await getJSON(`${base}/events`)).json;
				assert.equal(s4.calls[0].status, 'completed');
				assert.equal(s4.calls[1].status, 'answered');
				assert.equal(s4.in_flight, 3);
				assert.equal(await st.fcgiPid(), fcgi, 'same FastCGI process');
				process.kill(fcgi, 0);
				assert.deepEqual(misses, [], 'every bad request answered with its code and a JSON error');
			});
		} finally {
			await api.close();
		}
	});
}
