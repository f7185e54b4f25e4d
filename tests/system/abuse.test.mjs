// Abuse and webhook faults through the real stack, behind lighttpd and
// nginx: the page's security headers, POST /call from another origin,
// forged webhooks (refused 403 whatever their body), a Twilio-shaped form
// sequence, duplicates and late statuses, webhooks after a call timed out,
// and a burst of 500 concurrent webhooks. The telephony API is the
// stand-in of harness.mjs: it sends no webhook, so only the test's own
// move the campaign, and it counts the calls placed, which shows a slot
// freed exactly once per call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { withSession, getJSON, request, standInApi, writeNumbers, TERMINAL } from './harness.mjs';

const HEX32 = '0123456789abcdef0123456789abcdef';
const LIMIT = 5;
const ROWS = 40;
const BURST = 500;
const IN_FLIGHT = new Set(['dialing', 'ringing', 'answered']);
const phones = (n) => Array.from({ length: n }, (_, i) => `1301805${String(i).padStart(4, '0')}`);
// Twilio's call ids: "CA" and 32 hex digits.
const twilioSid = (n) => `CA${n.toString(16).padStart(32, '0')}`;

const form = (fields) => new URLSearchParams(fields).toString();
const post = (url, body, type) =>
	request(url, { method: 'POST', headers: type ? { 'Content-Type': type } : {}, body });
const postForm = (url, fields) => post(url, form(fields), 'application/x-www-form-urlencoded');
const postJson = (url, value) => post(url, JSON.stringify(value), 'application/json');

// What else Twilio sends with a status callback; the dialer ignores it.
const twilioExtras = {
	AccountSid: `AC${'1'.repeat(32)}`, ApiVersion: '2010-04-01', Direction: 'outbound-api',
	From: '+15550001111', To: '+13018050000', CallbackSource: 'call-progress-events',
	SequenceNumber: '0', Timestamp: 'Fri, 21 Nov 2025 05:00:00 +0000',
};

// The rows must agree with the counters: in flight are exactly the rows
// dialing, ringing or answered, at most the limit, and every row dialed
// was placed once with the API (or is about to be).
function checkCounts(ev, api, what) {
	const flying = ev.calls.filter((c) => IN_FLIGHT.has(c.status)).length;
	const done = ev.calls.filter((c) => TERMINAL.has(c.status)).length;
	const dialed = ev.calls.filter((c) => c.status !== 'idle').length;
	assert.equal(ev.in_flight, flying, `${what}: in_flight counts the rows in flight`);
	assert.equal(ev.done, done, `${what}: done counts the terminal rows`);
	assert.equal(ev.dialed, dialed, `${what}: dialed counts the rows dialed`);
	assert.ok(ev.in_flight <= LIMIT, `${what}: in flight ${ev.in_flight} <= ${LIMIT}`);
	if (api) assert.equal(api.calls.length, dialed, `${what}: one POST /call per dialed row`);
}

// Polls GET /events until pred holds for it; returns that answer. A
// failed exchange is tried again: after a burst, the web server may close
// a kept-alive connection just as the client reuses it.
async function until(base, pred, what, timeoutMs = 10000) {
	const deadline = Date.now() + timeoutMs;
	let ev;
	let failure = '';
	for (;;) {
		try {
			ev = (await getJSON(`${base}/events`, { timeoutMs: 5000 })).json;
			if (pred(ev)) return ev;
		} catch (e) {
			failure = `${e.message} ${e.cause?.message ?? ''}`;
		}
		if (Date.now() > deadline)
			throw new Error(`${what}: not within ${timeoutMs} ms (last failure: ${failure || 'none'}): ${JSON.stringify(ev)}`);
		await sleep(25);
	}
}

// Rows in flight with their id known and the API's count caught up.
const settled = (api, n) => (ev) => {
	if (ev.in_flight === LIMIT && api.calls.length === n &&
	    ev.calls.filter((c) => IN_FLIGHT.has(c.status)).every((c) => c.id !== undefined))
		return true;
	ev.apiCalls = api.calls.length;
	return false;
};

// Addresses a TCP port listens on, from /proc/net/tcp and tcp6.
function listenAddrs(port) {
	const hex = port.toString(16).toUpperCase().padStart(4, '0');
	const out = [];
	for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
		let text = '';
		try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
		for (const line of text.split('\n').slice(1)) {
			const cols = line.trim().split(/\s+/);
			if (cols.length < 4 || cols[3] !== '0A') continue;
			const [addr, p] = cols[1].split(':');
			if (p === hex) out.push(addr);
		}
	}
	return out;
}

function checkSecurityHeaders(res, what) {
	const csp = res.headers.get('content-security-policy') || '';
	assert.match(csp, /(^|;)\s*script-src 'self'(;|$)/, `${what}: CSP allows only this origin's scripts: ${csp}`);
	assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: CSP allows no inline script`);
	assert.match(csp, /default-src 'self'/, `${what}: CSP default-src`);
	// fetch joins a repeated header with ", ": once means exactly "nosniff".
	assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: X-Content-Type-Options once`);
	assert.equal(res.headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
}

for (const server of ['lighttpd', 'nginx']) {
	test(`abuse and webhook faults, behind ${server}`, { timeout: 120000 }, async (t) => {
		const api = await standInApi({ idFor: (n) => twilioSid(0x1234 + n) });
		try {
			await withSession(t, async (s) => {
				const dir = await s.tmpdir();
				const numbers = await writeNumbers(dir, 'numbers.txt', phones(ROWS));
				const st = await s.stack({ server, api: api.url, numbers,
				    env: { NUMDIALER_CONCURRENCY: String(LIMIT) } });
				const base = st.base;
				const fcgi = await st.fcgiPid();
				const misses = [];
				const expect = (res, code, what) => {
					if (res.status !== code)
						misses.push(`${what}: expected ${code}, got ${res.status} ${res.text.slice(0, 160)}`);
					else if (code >= 400 && (typeof res.json?.error !== 'string' || res.json.error === ''))
						misses.push(`${what}: ${code} without a JSON {"error"}: ${res.text.slice(0, 160)}`);
				};

				// The page and the program's answers carry the security headers, once.
				const page = await request(`${base}/`);
				assert.equal(page.status, 200);
				assert.match(page.text, /<html/i);
				assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/i, 'the page has no inline script');
				checkSecurityHeaders(page, `GET / behind ${server}`);
				checkSecurityHeaders(await request(`${base}/app.js`), `GET /app.js behind ${server}`);
				const ev0 = await getJSON(`${base}/events`);
				assert.equal(ev0.headers.get('x-content-type-options'), 'nosniff', 'GET /events: X-Content-Type-Options once');
				assert.deepEqual(listenAddrs(st.port), ['0100007F'], `${server} listens on 127.0.0.1:${st.port} only`);
				assert.equal(ev0.json.started, false);

				// POST /call from another origin: refused, nothing starts.
				const own = base;
				const crossSite = [
					[{ Origin: 'http://evil.example' }, 'Origin of another site'],
					[{ Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' }, 'a cross-site fetch'],
					[{ 'Sec-Fetch-Site': 'cross-site' }, 'Sec-Fetch-Site cross-site without Origin'],
					[{ 'Sec-Fetch-Site': 'same-site', Origin: own }, 'Sec-Fetch-Site same-site'],
					[{ Origin: 'null' }, 'Origin null (a sandboxed page)'],
					[{ Origin: `http://127.0.0.1:${st.port + 1}` }, 'Origin on another port'],
					[{ Origin: `https://127.0.0.1:${st.port}` }, 'Origin with another scheme'],
					[{ Origin: `${own}.evil.example` }, 'Origin extending ours'],
					[{ Origin: `${own}/` }, 'Origin with a path'],
				];
				for (const [headers, what] of crossSite)
					expect(await request(`${base}/call`, { method: 'POST', headers }), 403, `POST /call, ${what}`);
				expect(await request(`${base}/call`, { method: 'POST',
				    headers: { Origin: 'http://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
				    body: 'go=1' }), 403, 'POST /call, a cross-site form');
				await sleep(300);
				const ev1 = (await getJSON(`${base}/events`)).json;
				assert.deepEqual(ev1, ev0.json, 'cross-origin POST /call changed nothing');
				assert.equal(api.calls.length, 0, 'no call placed');

				// The page's own request, as a browser sends it.
				const started = await request(`${base}/call`, { method: 'POST',
				    headers: { Origin: own, 'Sec-Fetch-Site': 'same-origin', Accept: 'application/json' } });
				assert.equal(started.status, 202, started.text);
				expect(await request(`${base}/call`, { method: 'POST',
				    headers: { Origin: own.toUpperCase(), 'Sec-Fetch-Site': 'same-origin' } }),
				    409, 'a second same-origin POST /call (Origin in capitals)');
				let ev = await until(base, settled(api, LIMIT), `${LIMIT} calls in flight`);
				checkCounts(ev, api, 'after start');
				const keyOf = (row) => api.calls.find((c) => c.row === row).key;
				const idOf = (row) => api.calls.find((c) => c.row === row).id;
				const hook = (row, key = keyOf(row)) => `${base}/webhook/${row}/${key}`;

				// Forged webhooks: 403 whatever the body, read or not.
				const badBodies = [
					['text/plain', 'hello', 415, 'text/plain'],
					['application/json', '{"id": 1, "status": ', 400, 'malformed JSON'],
					['application/json', JSON.stringify({ id: idOf(0), status: 'exploded' }), 422, 'an unknown status'],
					['application/json', JSON.stringify({ status: 'ringing', pad: 'x'.repeat(9 * 1024) }), 413, 'a 9 KiB body'],
					['application/x-www-form-urlencoded', form({ CallSid: idOf(0) }), 422, 'a form without CallStatus'],
					['application/x-www-form-urlencoded', form({ CallSid: idOf(0), CallStatus: 'bogus' }), 422, 'a form with an unknown word'],
					['application/x-www-form-urlencoded', 'CallStatus=ringing&CallStatus=completed', 400, 'a form naming CallStatus twice'],
					[undefined, '', 415, 'no body, no type'],
				];
				const snap = (await getJSON(`${base}/events`)).json;
				for (const [type, body, code, what] of badBodies) {
					expect(await post(hook(0, HEX32), body, type), 403, `forged key, ${what}`);
					expect(await post(hook(0, keyOf(1)), body, type), 403, `another row's key, ${what}`);
					expect(await post(hook(LIMIT + 3, HEX32), body, type), 403, `a row not dialed, ${what}`);
					expect(await post(hook(0, 'zz'), body, type), 403, `a malformed key, ${what}`);
					expect(await post(`${base}/webhook/${ROWS}/${HEX32}`, body, type), 404, `no such row, ${what}`);
					// With the right key the body is read, and refused for itself.
					expect(await post(hook(0), body, type), code, `the right key, ${what}`);
				}
				assert.deepEqual((await getJSON(`${base}/events`)).json, snap, 'refused webhooks changed nothing');
				assert.equal(api.calls.length, LIMIT, 'no slot freed by a refused webhook');

				// A Twilio-shaped sequence on row 0, as forms.
				const seq = [
					['queued', 'dialing', false],
					['ringing', 'ringing', true],
					['in-progress', 'answered', true],
					['completed', 'completed', true],
				];
				for (const [word, status, applied] of seq) {
					const r = await postForm(hook(0), { ...twilioExtras, CallSid: idOf(0), CallStatus: word,
					    ...(word === 'completed' ? { CallDuration: '12' } : {}) });
					assert.equal(r.status, 200, `${word}: ${r.text}`);
					assert.deepEqual(r.json, { ok: true, status, applied }, `Twilio ${word} on row 0`);
				}
				ev = await until(base, settled(api, LIMIT + 1), 'the slot row 0 freed dialed the next row');
				checkCounts(ev, api, 'after the Twilio sequence');
				const row0 = ev.calls[0];
				assert.equal(row0.status, 'completed');
				assert.equal(row0.id, idOf(0));
				for (const k of ['dialed_at', 'ringing_at', 'answered_at', 'ended_at'])
					assert.equal(typeof row0[k], 'number', `row 0 has ${k}`);
				assert.equal(api.calls[LIMIT].row, LIMIT, 'the next row in list order');

				// An early terminal status, without CallSid, then the late ones.
				let r = await postForm(hook(1), { CallStatus: 'busy' });
				assert.deepEqual(r.json, { ok: true, status: 'busy', applied: true }, 'an early busy on row 1');
				ev = await until(base, settled(api, LIMIT + 2), 'the slot row 1 freed dialed the next row');
				const after = ev;
				// Duplicates, late lower statuses and a second terminal word
				// for finished calls change nothing and free nothing.
				const late = [
					[0, { CallSid: idOf(0), CallStatus: 'completed' }],
					[0, { CallSid: idOf(0), CallStatus: 'ringing' }],
					[0, { CallSid: idOf(0), CallStatus: 'in-progress' }],
					[0, { CallSid: idOf(0), CallStatus: 'busy' }],
					[1, { CallSid: idOf(1), CallStatus: 'ringing' }],
					[1, { CallSid: idOf(1), CallStatus: 'completed' }],
					[1, { CallStatus: 'no-answer' }],
				];
				for (const [row, fields] of late) {
					r = await postForm(hook(row), fields);
					assert.equal(r.status, 200, r.text);
					assert.equal(r.json.applied, false, `row ${row} ${fields.CallStatus} after the end`);
					assert.equal(r.json.status, row === 0 ? 'completed' : 'busy');
				}
				r = await postJson(hook(0), { id: idOf(0), status: 'completed' });
				assert.deepEqual(r.json, { ok: true, status: 'completed', applied: false }, 'a JSON duplicate');
				expect(await postForm(hook(0), { CallSid: idOf(1), CallStatus: 'completed' }), 409, 'another call\'s CallSid');
				await sleep(300);
				ev = (await getJSON(`${base}/events`)).json;
				// Each late report is kept in its row's history (not
				// applied), which moves the version; the rows are as they were.
				assert.deepEqual({ ...ev, version: after.version }, after,
				    'late webhooks for finished calls changed no row');
				const h0 = (await getJSON(`${base}/calls/0`)).json.events;
				assert.deepEqual(h0.slice(-5).map((e) => [e.status, e.applied]),
				    [['completed', false], ['ringing', false], ['answered', false], ['busy', false], ['completed', false]],
				    'row 0 keeps the late reports, none applied');
				assert.equal(api.calls.length, LIMIT + 2, 'and freed no slot');
				checkCounts(ev, api, 'after the late webhooks');

				// A burst: valid (duplicated, out of order), forged, unknown words.
				const flying = ev.calls.filter((c) => IN_FLIGHT.has(c.status)).map((c) => c.row);
				assert.equal(flying.length, LIMIT);
				const before = api.calls.length;
				const jobs = [];
				const words = ['ringing', 'in-progress', 'completed', 'queued'];
				for (let i = 0; jobs.length < BURST; i++) {
					const row = flying[i % flying.length];
					const kind = i % 10;
					const word = words[(i >> 2) % words.length];
					if (kind < 5) {
						// Valid, as a form or as JSON: 200.
						jobs.push(kind % 2 === 0
						    ? { url: hook(row), type: 'application/x-www-form-urlencoded',
						        body: form({ ...twilioExtras, CallSid: idOf(row), CallStatus: word }), code: 200, what: 'valid form' }
						    : { url: hook(row), type: 'application/json',
						        body: JSON.stringify({ id: idOf(row), status: word }), code: 200, what: 'valid JSON' });
					} else if (kind < 7) {
						// Forged keys, good bodies and bad: 403.
						const k = (i * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(4);
						jobs.push({ url: hook(kind === 5 ? row : LIMIT + 10 + (i % 20), k),
						    type: 'application/x-www-form-urlencoded',
						    body: kind === 5 ? form({ CallSid: idOf(row), CallStatus: 'completed' }) : 'CallStatus=exploded',
						    code: 403, what: 'forged' });
					} else if (kind < 9) {
						// The right key, a word nobody knows: 422.
						jobs.push({ url: hook(row), type: 'application/x-www-form-urlencoded',
						    body: form({ CallSid: idOf(row), CallStatus: kind === 7 ? 'exploded' : 'Completed' }),
						    code: 422, what: 'unknown status' });
					} else {
						// A finished call's duplicates: 200, nothing applied.
						jobs.push({ url: hook(i % 2), type: 'application/x-www-form-urlencoded',
						    body: form({ CallSid: idOf(i % 2), CallStatus: 'completed' }), code: 200, what: 'finished call' });
					}
				}
				const results = await Promise.all(jobs.map(async (j) => {
					try {
						return { j, res: await post(j.url, j.body, j.type) };
					} catch (e) {
						return { j, err: e };
					}
				}));
				const tally = {};
				for (const { j, res, err } of results) {
					const got = err ? `error ${err.message}` : res.status;
					tally[`${j.what} -> ${got}`] = (tally[`${j.what} -> ${got}`] || 0) + 1;
					if (err) misses.push(`burst ${j.what}: ${err.message}`);
					else expect(res, j.code, `burst ${j.what}`);
				}
				console.log(`burst of ${BURST} behind ${server}: ${JSON.stringify(tally)}`);
				assert.equal(misses.length, 0, misses.slice(0, 20).join('\n'));

				// Every burst row ended completed; each freed its slot once.
				ev = await until(base, settled(api, before + LIMIT), 'each burst row freed its slot');
				await sleep(500);
				ev = (await getJSON(`${base}/events`)).json;
				for (const row of flying) assert.equal(ev.calls[row].status, 'completed', `burst row ${row}`);
				assert.equal(api.calls.length, before + LIMIT, 'exactly one new call per ended call');
				checkCounts(ev, api, 'after the burst');
				assert.deepEqual(api.calls.map((c) => c.row), api.calls.map((_, i) => i), 'rows dialed in list order, each once');
				assert.equal(await st.fcgiPid(), fcgi, 'the same FastCGI process throughout');
				process.kill(fcgi, 0);
			});
		} finally {
			await api.close();
		}
	});
}

// A terminal status that never comes: the call times out, its slot is
// freed once, and the webhook that arrives afterwards changes nothing.
test('a webhook after its call timed out changes nothing', { timeout: 60000 }, async (t) => {
	const api = await standInApi();
	try {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const numbers = await writeNumbers(dir, 'numbers.txt', phones(4));
			const st = await s.stack({ api: api.url, numbers, callTimeout: 1 });
			const base = st.base;
			assert.equal((await request(`${base}/call`, { method: 'POST' })).status, 202);
			let ev = await until(base, (e) => e.done === 4, 'every call timed out', 15000);
			assert.ok(ev.calls.every((c) => c.status === 'failed' && c.reason === 'timeout'), JSON.stringify(ev.calls));
			for (const c of api.calls) {
				const r = await postForm(`${base}/webhook/${c.row}/${c.key}`, { CallSid: String(c.id), CallStatus: 'completed' });
				assert.deepEqual(r.json, { ok: true, status: 'failed', applied: false }, `row ${c.row}`);
			}
			ev = (await getJSON(`${base}/events`)).json;
			assert.equal(ev.in_flight, 0);
			assert.equal(ev.done, 4);
			checkCounts(ev, api, 'after the late webhooks');
		});
	} finally {
		await api.close();
	}
});
