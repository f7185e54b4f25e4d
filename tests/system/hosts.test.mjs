// DNS rebinding, behind lighttpd and nginx: a page of another site whose
// name was pointed at 127.0.0.1 reaches the port with its own name in Host,
// and a matching Origin and Sec-Fetch-Site. Every route but the webhooks
// answers only under a name the server is known by (localhost, the bind
// address, NUMDIALER_PUBLIC_URL's host, NUMDIALER_HOSTS); any other Host
// gets 421 with no data, and nothing starts. Webhooks take any Host: the
// telephony API may know the server by a name of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { withSession, getJSON, postJSON, standInApi, readNumbers, DEFAULT_NUMBERS } from './harness.mjs';

const HEX32 = '0123456789abcdef0123456789abcdef';
const PHONES = readNumbers(DEFAULT_NUMBERS);
const EXTRA_HOSTS = 'dialer.test, other.test:8443';
const PUBLIC_URL = 'http://public.test:9000';

// One exchange with the Host header given (fetch would send its own).
function hostRequest(base, path, host, { method = 'GET', headers = {}, body = '' } = {}) {
	const url = new URL(path, base);
	return new Promise((resolve, reject) => {
		const req = http.request({
			host: url.hostname, port: url.port, path: url.pathname + url.search, method,
			headers: { Host: host, 'Content-Length': Buffer.byteLength(body), ...headers },
			timeout: 10000,
		}, (res) => {
			let text = '';
			res.setEncoding('utf8');
			res.on('data', (d) => { text += d; });
			res.on('end', () => {
				let json;
				try { json = JSON.parse(text); } catch { json = undefined; }
				resolve({ status: res.statusCode, headers: res.headers, text, json });
			});
		});
		req.on('timeout', () => req.destroy(new Error(`${method} ${path} with Host ${host}: no answer in 10 s`)));
		req.on('error', reject);
		req.end(body);
	});
}

// An HTTP/1.0 request with no Host at all: the status code.
function noHostStatus(port, path) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, '127.0.0.1');
		let text = '';
		sock.setTimeout(10000, () => sock.destroy(new Error('no answer in 10 s')));
		sock.on('connect', () => sock.write(`GET ${path} HTTP/1.0\r\n\r\n`));
		sock.on('data', (d) => { text += d; });
		sock.on('end', () => resolve(Number(/^HTTP\/1\.\d (\d{3})/.exec(text)?.[1])));
		sock.on('error', reject);
	});
}

// A 421 that gives nothing away: a JSON {"error"} and not one phone.
function checkMisdirected(res, what) {
	assert.equal(res.status, 421, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
	assert.deepEqual(Object.keys(res.json ?? {}), ['error'], `${what}: a JSON {"error"} alone: ${res.text.slice(0, 200)}`);
	for (const p of PHONES)
		assert.ok(!res.text.includes(p), `${what}: the answer holds the phone ${p}`);
}

for (const server of ['lighttpd', 'nginx']) {
	test(`a foreign Host gets 421 and starts nothing, behind ${server}`, { timeout: 90000 }, async (t) => {
		const api = await standInApi();
		try {
			await withSession(t, async (s) => {
				const st = await s.stack({ server, api: api.url,
				    env: { NUMDIALER_HOSTS: EXTRA_HOSTS, NUMDIALER_PUBLIC_URL: PUBLIC_URL } });
				const { base, port } = st;
				const evil = `attacker.example:${port}`;
				const site = { Origin: `http://${evil}`, 'Sec-Fetch-Site': 'same-origin' };

				// The rebinding page's requests, each as a browser sends them.
				checkMisdirected(await hostRequest(base, '/events', evil), 'GET /events');
				checkMisdirected(await hostRequest(base, '/events?since=0', evil), 'GET /events?since=0');
				checkMisdirected(await hostRequest(base, '/call', evil, { method: 'POST', headers: site }), 'POST /call');
				checkMisdirected(await hostRequest(base, '/resume', evil, { method: 'POST', headers: site }), 'POST /resume');
				checkMisdirected(await hostRequest(base, '/call', evil, { method: 'GET' }), 'GET /call');
				// Names that only begin or end like a known one.
				for (const host of [`127.0.0.1.attacker.example:${port}`, `localhost.attacker.example:${port}`,
				    `evil-localhost:${port}`, `other.test:8444`, 'other.test'])
					checkMisdirected(await hostRequest(base, '/events', host), `GET /events with Host ${host}`);
				assert.equal(await noHostStatus(port, '/events'), 421, 'GET /events without a Host');

				const ev = await getJSON(`${base}/events`);
				assert.equal(ev.status, 200);
				assert.equal(ev.json.started, false, 'the foreign POST /call started nothing');
				assert.equal(api.calls.length, 0, 'no call was placed');

				// The names it is known by, in any case.
				for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`,
				    'public.test:9000', 'public.test', `dialer.test:${port}`, 'DIALER.TEST', 'other.test:8443']) {
					const res = await hostRequest(base, '/events', host);
					assert.equal(res.status, 200, `GET /events with Host ${host}: ${res.text.slice(0, 200)}`);
					assert.equal(res.json.total, PHONES.length);
				}

				// Webhooks take any Host: a forged key is refused for its key,
				// a real one applied.
				const forged = await hostRequest(base, `/webhook/0/${HEX32}`, 'tunnel.example',
				    { method: 'POST', headers: { 'Content-Type': 'application/json' },
				      body: JSON.stringify({ id: 1234, status: 'ringing' }) });
				assert.equal(forged.status, 403, `a forged webhook under another name: ${forged.text}`);
				assert.equal((await postJSON(`${base}/call`)).status, 202);
				const deadline = Date.now() + 10000;
				while (api.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
				const call = api.calls[0];
				assert.ok(call, 'a call was placed');
				assert.ok(call.webhookURL.startsWith(`${PUBLIC_URL}/webhook/`), `webhook URL on the public URL: ${call.webhookURL}`);
				const hook = await hostRequest(base, `/webhook/${call.row}/${call.key}`, 'tunnel.example',
				    { method: 'POST', headers: { 'Content-Type': 'application/json' },
				      body: JSON.stringify({ id: call.id, status: 'ringing' }) });
				assert.equal(hook.status, 200, `a real webhook under another name: ${hook.text}`);
				assert.equal(hook.json.applied, true);
			});
		} finally {
			await api.close();
		}
	});
}

test('a bad NUMDIALER_HOSTS stops start-up, naming it', { timeout: 30000 }, async (t) => {
	await withSession(t, async (s) => {
		for (const [hosts, why] of [['dialer.test,,x.test', /NUMDIALER_HOSTS: an empty entry/],
		    ['dialer test', /NUMDIALER_HOSTS: dialer test: not a host name or address/],
		    ['::1', /NUMDIALER_HOSTS: .*an IPv6 address goes in brackets/],
		    ['x.test:0', /NUMDIALER_HOSTS: x\.test:0: the port is not a number in 1\.\.65535/]]) {
			const st = await s.stack({ api: 'http://127.0.0.1:9', env: { NUMDIALER_HOSTS: hosts }, expectFail: true });
			assert.notEqual(st.startResult.code, 0, `start with NUMDIALER_HOSTS=${hosts} must fail`);
			assert.match(st.startResult.output, why);
			st.startFailedOk = true;
		}
	});
});
