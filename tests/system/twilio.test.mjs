// The Twilio provider end to end, with apisim --twilio as Twilio: the
// whole list through Calls.json behind each web server, every callback's
// signature, forged callbacks, refused credentials, 429s, the calls-per-
// second cap, and calls that outlive the dialer's timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
	withSession, getJSON, postJSON, request, waitAllTerminal, waitSimSettled, readNumbers,
	writeNumbers, eventsUntil, DEFAULT_NUMBERS, DEFAULT_ROWS, TERMINAL,
} from './harness.mjs';

const FROM = '+15005550006';

// A list's phone as the dialer sends it to Twilio (country code 1).
function e164(phone) {
	if (phone.startsWith('+')) return phone;
	return phone.length === 10 ? `+1${phone}` : `+${phone}`;
}

function twilioEnv(sim, env = {}) {
	return {
		NUMDIALER_PROVIDER: 'twilio',
		NUMDIALER_TWILIO_API: sim.url,
		NUMDIALER_TWILIO_ACCOUNT_SID: sim.twilio.account,
		NUMDIALER_TWILIO_AUTH_TOKEN_FILE: sim.twilio.tokenFile,
		NUMDIALER_TWILIO_FROM: FROM,
		...env,
	};
}

// Twilio's signature of a callback, made here the way Twilio makes it.
function sign(token, url, params) {
	const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
	return crypto.createHmac('sha1', token).update(data).digest('base64');
}

function postForm(url, params, headers = {}) {
	return request(url, {
		method: 'POST', body: new URLSearchParams(params).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
	});
}

// RFC 4180 text into rows of fields.
function parseCsv(text) {
	const rows = [];
	let row = [], field = '', quoted = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
			else if (ch === '"') quoted = false;
			else field += ch;
		} else if (ch === '"') quoted = true;
		else if (ch === ',') { row.push(field); field = ''; }
		else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
		else field += ch;
	}
	assert.equal(row.length + field.length, 0, 'the CSV ends with CRLF');
	return rows;
}

async function simCalls(sim) {
	const r = await getJSON(`${sim.url}/stats/calls`);
	assert.equal(r.status, 200);
	return r.json.calls;
}

for (const server of ['lighttpd', 'nginx']) {
	test(`a whole campaign through Twilio behind ${server}`, { timeout: 120000 }, async (t) => {
		await withSession(t, async (s) => {
			const sim = await s.apisim({ delayMaxMs: 200, seed: 9, twilio: { cps: 50 } });
			const st = await s.stack({ server, api: sim.url, env: twilioEnv(sim) });
			const list = readNumbers(DEFAULT_NUMBERS);

			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			let maxInFlight = 0;
			const fin = await waitAllTerminal(st.base, 90000, {
				onResponse: (ev) => { maxInFlight = Math.max(maxInFlight, ev.in_flight); },
			});
			assert.ok(maxInFlight <= 3);
			const stats = await waitSimSettled(sim, 500);
			assert.equal(stats.calls_placed, DEFAULT_ROWS, 'each row placed once');
			assert.deepEqual(stats.dialed, list.map(e164), 'Twilio saw the list in order, in E.164');
			assert.equal(stats.max_in_flight, 3, 'exactly 3 calls in flight');
			assert.equal(stats.webhooks_failed, 0, 'every signed callback answered 2xx');
			assert.equal(stats.auth_failures, 0);
			assert.equal(stats.bad_requests, 0);

			// What each call asked Twilio for.
			const calls = await simCalls(sim);
			assert.equal(calls.length, DEFAULT_ROWS);
			for (const [i, c] of calls.entries()) {
				assert.deepEqual(c.events, ['initiated', 'ringing', 'answered', 'completed'],
				    'StatusCallbackEvent once per event');
				assert.equal(c.time_limit, 120 - 30 - 15, 'TimeLimit: the call timeout less the ring time less 15 s');
				assert.equal(c.timeout, 30);
				assert.equal(c.from, FROM);
				assert.equal(c.instructions, 'twiml');
				assert.match(c.status_callback, new RegExp(`^${st.base}/webhook/${i}/[0-9a-f]{32}$`));
				assert.equal(fin.rows[i].id, c.sid, `row ${i} has the sid of its call`);
				assert.equal(fin.rows[i].status, c.status, `row ${i} ended as Twilio says`);
			}

			// Each row's history: the API's answer, then each callback with
			// its sequence number and Twilio's time.
			let events = 0;
			for (const [i, c] of calls.entries()) {
				const r = await getJSON(`${st.base}/calls/${i}`);
				assert.equal(r.status, 200);
				const ev = r.json.events;
				events += ev.length;
				// One event for the API's answer (a callback may come before it:
				// the simulator's early path), and one per callback.
				assert.deepEqual(ev.filter((e) => e.source === 'api').map((e) => e.status), ['dialing']);
				const hooks = ev.filter((e) => e.source === 'webhook');
				assert.equal(hooks.length, c.callbacks, `row ${i}: one event per callback Twilio sent`);
				assert.deepEqual(hooks.map((e) => e.seq).sort((a, b) => a - b), [...hooks.keys()]);
				for (const e of hooks) assert.match(e.provider_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
				assert.equal(ev.filter((e) => e.applied).at(-1).status, r.json.status);
			}
			assert.equal((await getJSON(`${st.base}/calls/${DEFAULT_ROWS}`)).status, 404);

			// Forged callbacks change nothing: unsigned, signed with another
			// token, or signed over another URL.
			const url = calls[0].status_callback;
			const forged = { CallSid: calls[0].sid, CallStatus: 'failed', SequenceNumber: '9' };
			const before = await getJSON(`${st.base}/calls/0`);
			const tries = [
				{},
				{ 'X-Twilio-Signature': sign('not-the-token', url, forged) },
				{ 'X-Twilio-Signature': sign(sim.twilio.token, 'https://elsewhere.example/webhook', forged) },
				{ 'X-Twilio-Signature': sign(sim.twilio.token, url, { ...forged, CallStatus: 'busy' }) },
			];
			for (const headers of tries)
				assert.equal((await postForm(url, forged, headers)).status, 403, JSON.stringify(headers));
			assert.deepEqual((await getJSON(`${st.base}/calls/0`)).json, before.json, 'the forgeries changed nothing');
			// A duplicate Twilio really signed is taken, and kept as not applied.
			const dup = { CallSid: calls[0].sid, CallStatus: 'completed', SequenceNumber: '7' };
			const ok = await postForm(url, dup, { 'X-Twilio-Signature': sign(sim.twilio.token, url, dup) });
			assert.equal(ok.status, 200, ok.text);
			const after = (await getJSON(`${st.base}/calls/0`)).json;
			assert.equal(after.status, before.json.status);
			assert.deepEqual(after.events.at(-1), { ...after.events.at(-1), status: 'completed', source: 'webhook', seq: 7, applied: false });

			// The reports say the same.
			const rep = await request(`${st.base}/report.csv`);
			assert.equal(rep.status, 200);
			const lines = parseCsv(rep.text);
			assert.equal(lines.length, DEFAULT_ROWS + 1);
			for (const [i, c] of calls.entries())
				assert.deepEqual([lines[i + 1][0], lines[i + 1][2], lines[i + 1][3]], [String(i), c.status, c.sid]);
			const evrep = await request(`${st.base}/report/events.csv`);
			assert.equal(evrep.status, 200);
			assert.equal(parseCsv(evrep.text).length, 1 + events + 1, 'one line per event (and the duplicate)');
		});
	});
}

test('refused credentials pause dialing once, with the reason', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const sim = await s.apisim({ twilio: true });
		const dir = await s.tmpdir();
		const wrong = path.join(dir, 'token');
		fs.writeFileSync(wrong, 'not-the-token\n', { mode: 0o600 });
		const st = await s.stack({ api: sim.url, env: twilioEnv(sim, { NUMDIALER_TWILIO_AUTH_TOKEN_FILE: wrong }) });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		const ev = await eventsUntil(st.base, (e) => e.state === 'paused', 20000, 'the pause');
		assert.match(ev.pause_reason, /twilio refused the credentials \(401/);
		assert.doesNotMatch(ev.pause_reason, /not-the-token/, 'the token is never said');
		await new Promise((r) => setTimeout(r, 1500));
		const stats = await sim.stats();
		assert.equal(stats.auth_failures, 1, 'one refused POST, not one per row');
		assert.equal(stats.calls_placed, 0);
		const now = (await getJSON(`${st.base}/events`)).json;
		assert.equal(now.calls[0].status, 'dialing', 'the row waits to be sent again');
		assert.ok(now.calls.slice(1).every((c) => c.status === 'idle'), 'no other row was burnt');
		const log = fs.readFileSync(path.join(st.rundir, 'numdialer.log'), 'utf8');
		assert.equal(log.match(/refused the credentials/g)?.length, 1, `one message in the log:\n${log}`);
		assert.doesNotMatch(log, /not-the-token/);
	});
});

test('a 429 from Twilio is sent again after its Retry-After', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const sim = await s.apisim({ twilio: { cps: 50 }, extra: ['--fault', 'call-429=first:1'] });
		const st = await s.stack({ server: 'nginx', api: sim.url, env: twilioEnv(sim) });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		const fin = await waitAllTerminal(st.base, 40000);
		const stats = await waitSimSettled(sim, 300);
		assert.equal(stats.calls_placed, DEFAULT_ROWS);
		assert.deepEqual(stats.dialed, readNumbers(DEFAULT_NUMBERS).map(e164));
		assert.equal(fin.rows[0].attempts, 2, 'row 0 sent twice');
		const h = (await getJSON(`${st.base}/calls/0`)).json.events;
		assert.ok(h.some((e) => e.source === 'retry'), JSON.stringify(h));
		for (const r of fin.rows) assert.ok(TERMINAL.has(r.status) && r.status !== 'failed', JSON.stringify(r));
	});
});

test('NUMDIALER_MAX_CPS=1 never sends two calls within a second; a number not E.164 fails at once', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const phones = ['+15551230001', '+15551230002', '+15551230003', '+15551230004', '+15551230005', '+15551230006'];
		// 7 digits: no NANP number (country code 1) is that short.
		const numbers = await writeNumbers(dir, 'numbers.txt', [...phones.slice(0, 2), '5550123', ...phones.slice(2)]);
		const sim = await s.apisim({ twilio: { cps: 100 }, acceptAny: true, paths: 'answer', delayMaxMs: 50 });
		const st = await s.stack({ api: sim.url, numbers, env: twilioEnv(sim, { NUMDIALER_MAX_CPS: '1' }) });
		const start = Date.now();
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		const fin = await waitAllTerminal(st.base, 40000);
		const stats = await waitSimSettled(sim, 300);
		assert.equal(stats.max_posts_per_s, 1, 'Twilio counted one call a second at most');
		assert.deepEqual(stats.dialed, phones, 'in list order, the short number never sent');
		assert.equal(fin.rows[2].status, 'failed');
		assert.match(fin.rows[2].reason, /cannot be made E\.164 with country code 1/);
		assert.ok(Date.now() - start >= 5000, 'six calls a second apart take five seconds at least');
	});
});

test('a call past the timeout is asked about, and kept while Twilio has it', { timeout: 90000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const phones = ['+15551230001', '+15551230002', '+15551230003'];
		const numbers = await writeNumbers(dir, 'numbers.txt', phones);
		// Every call waits 25 s in Twilio's queue (past the 21 s timeout);
		// the first one's last callback is lost on the way.
		const sim = await s.apisim({
			twilio: { cps: 100 }, acceptAny: true, paths: 'answer', delayMaxMs: 0,
			extra: ['--twilio-queue-ms', '25000', '--path-for', `${phones[0]}=lost-end`],
		});
		const st = await s.stack({
			api: sim.url, numbers, callTimeout: 21,
			env: twilioEnv(sim, { NUMDIALER_TWILIO_TIMEOUT: '5' }),
		});
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		// Past the timeout, Twilio says the calls are queued: they stay.
		await new Promise((r) => setTimeout(r, 23000));
		const mid = (await getJSON(`${st.base}/events`)).json;
		assert.equal(mid.in_flight, 3, 'live calls keep their slots past the timeout');
		for (const i of [0, 1, 2]) {
			const h = (await getJSON(`${st.base}/calls/${i}`)).json.events;
			assert.ok(h.some((e) => e.source === 'provider-query' && e.status === 'dialing'), JSON.stringify(h));
		}
		const fin = await waitAllTerminal(st.base, 40000);
		for (const r of fin.rows) assert.equal(r.status, 'completed', JSON.stringify(r));
		const last = (await getJSON(`${st.base}/calls/0`)).json.events.filter((e) => e.applied).at(-1);
		assert.deepEqual([last.status, last.source], ['completed', 'provider-query'],
		    'the lost end came from asking Twilio');
		assert.ok((await sim.stats()).call_queries >= 4);
	});
});
