// What the web servers answer by themselves, behind lighttpd and nginx:
// their own error answers (a request they cannot parse, a POST without a
// length, a file that is not there, a Range) carry the security headers
// once, as the page does; lighttpd's are JSON like the program's. A body
// over 64 KiB is refused with 413 before it is stored or forwarded. And the
// basic-auth lines of conf/lighttpd.conf, uncommented as the README says,
// give a 401 with those headers and leave the webhooks open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withSession, standInApi, freePort, ROOT, BUILD, DEFAULT_NUMBERS } from './harness.mjs';

const SECURITY_HEADERS = ['content-security-policy', 'x-content-type-options', 'referrer-policy'];

// Sends raw bytes and reads one answer: up to its Content-Length, or until
// the server closes (or timeoutMs). A server may linger on a connection
// whose declared body never came: the answer is enough. Returns
// { status, headers: [[name, value]], body }.
function rawExchange(port, bytes, { timeoutMs = 10000 } = {}) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, '127.0.0.1');
		let buf = Buffer.alloc(0);
		let settled = false;
		const parse = () => {
			const text = buf.toString('latin1');
			const end = text.indexOf('\r\n\r\n');
			if (end < 0) return null;
			const head = text.slice(0, end).split('\r\n');
			const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(head[0])?.[1]);
			const headers = head.slice(1).map((l) => {
				const i = l.indexOf(':');
				return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
			});
			const length = headers.find(([k]) => k === 'content-length')?.[1];
			return { status, headers, body: text.slice(end + 4), whole: length !== undefined &&
			    buf.length - Buffer.byteLength(text.slice(0, end + 4), 'latin1') >= Number(length) };
		};
		const finish = (err) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			sock.destroy();
			const res = parse();
			if (res) resolve({ status: res.status, headers: res.headers, body: res.body });
			else reject(err ?? new Error(`no answer: ${buf.toString('latin1').slice(0, 200)}`));
		};
		const timer = setTimeout(() => finish(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
		sock.on('connect', () => sock.write(bytes));
		sock.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			if (parse()?.whole) finish();
		});
		sock.on('error', (e) => finish(e));
		sock.on('close', () => finish());
	});
}

// Each security header exactly once (twice would be two policies).
function checkHeadersOnce(res, what) {
	for (const name of SECURITY_HEADERS) {
		const n = res.headers.filter(([k]) => k === name).length;
		assert.equal(n, 1, `${what}: ${res.status} with ${name} ${n} times: ${JSON.stringify(res.headers)}`);
	}
}

function checkJSONError(res, what) {
	let json;
	try { json = JSON.parse(res.body); } catch { json = undefined; }
	assert.equal(typeof json?.error, 'string', `${what}: ${res.status} without a JSON {"error"}: ${res.body.slice(0, 200)}`);
}

for (const server of ['lighttpd', 'nginx']) {
	test(`the web server's own answers carry the security headers, behind ${server}`, { timeout: 60000 }, async (t) => {
		const api = await standInApi();
		try {
			await withSession(t, async (s) => {
				const st = await s.stack({ server, api: api.url });
				const host = `Host: 127.0.0.1:${st.port}\r\n`;
				const close = 'Connection: close\r\n\r\n';
				// [what, request, status behind lighttpd, behind nginx]
				const cases = [
					['a request line it cannot parse', 'GARBAGE\r\n\r\n', 400, 400],
					['HTTP/1.1 without Host', `GET / HTTP/1.1\r\n${close}`, 400, 400],
					['a NUL in the path', `GET /%00 HTTP/1.1\r\n${host}${close}`, 400, 400],
					// lighttpd wants a length on every POST; nginx passes it on.
					['a POST without Content-Length', `POST /resume HTTP/1.1\r\n${host}${close}`, 411, 409],
					['a file that is not there', `GET /nope.html HTTP/1.1\r\n${host}${close}`, 404, 404],
					// No Range answers: the page's files are sent whole.
					['a Range past the end', `GET /index.html HTTP/1.1\r\n${host}Range: bytes=999999-\r\n${close}`, 200, 200],
					['a Range', `GET /index.html HTTP/1.1\r\n${host}Range: bytes=0-9\r\n${close}`, 200, 200],
				];
				for (const [what, req, lighttpd, nginx] of cases) {
					const res = await rawExchange(st.port, req);
					const want = server === 'lighttpd' ? lighttpd : nginx;
					assert.equal(res.status, want, `${what}: ${res.status} ${res.body.slice(0, 200)}`);
					checkHeadersOnce(res, what);
					if (server === 'lighttpd' && res.status >= 400) checkJSONError(res, what);
				}
			});
		} finally {
			await api.close();
		}
	});
}

// A chunked body of total bytes, sent a chunk at a time until an answer
// comes: the answer's status.
function chunkedStatus(port, path, total, { timeoutMs = 15000 } = {}) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, '127.0.0.1');
		const chunk = Buffer.alloc(64 * 1024, 'x');
		let text = '';
		let sent = 0;
		const timer = setTimeout(() => sock.destroy(new Error(`no answer in ${timeoutMs} ms (${sent} bytes sent)`)), timeoutMs);
		const done = () => {
			clearTimeout(timer);
			const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(text)?.[1]);
			if (status) resolve({ status, sent });
			else reject(new Error(`no status line (${sent} bytes sent): ${text.slice(0, 200)}`));
		};
		const pump = () => {
			while (text === '' && sent < total) {
				sent += chunk.length;
				if (!sock.write(`${chunk.length.toString(16)}\r\n`) || !sock.write(chunk) || !sock.write('\r\n'))
					return;
			}
			if (sent >= total && text === '') sock.write('0\r\n\r\n');
		};
		sock.on('connect', () => {
			sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
			    'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
			pump();
		});
		sock.on('drain', pump);
		sock.on('data', (d) => { text += d.toString('latin1'); });
		// The server may close (or reset) once it has answered.
		sock.on('error', () => done());
		sock.on('close', done);
	});
}

for (const server of ['lighttpd', 'nginx']) {
	test(`a body over 64 KiB is refused with 413 before the program sees it, behind ${server}`,
	    { timeout: 60000 }, async (t) => {
		const api = await standInApi();
		try {
			await withSession(t, async (s) => {
				const st = await s.stack({ server, api: api.url });
				// A forged webhook: the program would answer 403 once it had
				// the whole body; the web server must not take that much.
				const hook = `/webhook/0/${'0'.repeat(32)}`;
				const declared = await rawExchange(st.port, `POST ${hook} HTTP/1.1\r\nHost: 127.0.0.1:${st.port}\r\n` +
				    'Content-Type: application/json\r\nContent-Length: 104857600\r\nConnection: close\r\n\r\n',
				    { timeoutMs: 5000 });
				assert.equal(declared.status, 413, `a declared 100 MiB body, none of it sent: ${declared.status}`);
				checkHeadersOnce(declared, 'the 413');
				checkJSONError(declared, 'the 413');
				const chunked = await chunkedStatus(st.port, hook, 2 * 1024 * 1024);
				assert.equal(chunked.status, 413, `a chunked 2 MiB body: ${chunked.status} after ${chunked.sent} bytes`);
				// Bodies the program takes still reach it.
				const small = await rawExchange(st.port, `POST ${hook} HTTP/1.1\r\nHost: 127.0.0.1:${st.port}\r\n` +
				    'Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
				assert.equal(small.status, 403, 'a small forged webhook is the program\'s to refuse');
			});
		} finally {
			await api.close();
		}
	});
}

// conf/lighttpd.conf with its basic-auth lines uncommented, as the README's
// steps say, and the user file given.
function authConf(userfile) {
	const lines = fs.readFileSync(path.join(ROOT, 'conf', 'lighttpd.conf'), 'utf8').split('\n');
	const start = lines.findIndex((l) => l.startsWith('#auth.backend = '));
	assert.ok(start > 0, 'conf/lighttpd.conf has the commented auth block');
	return lines.map((l, i) => {
		if (l === '#server.modules += ( "mod_auth", "mod_authn_file" )' || (i >= start && l.startsWith('#')))
			l = l.slice(1);
		return l.replace('/etc/numdialer/htpasswd', userfile);
	}).join('\n');
}

// One exchange with fetch, keeping the headers as a list of pairs.
async function fetchPairs(url, opts = {}) {
	const res = await fetch(url, { ...opts, signal: AbortSignal.timeout(10000) });
	const body = await res.text();
	return { status: res.status, headers: [...res.headers.entries()], body, raw: res };
}

test('basic auth as the README sets it up: 401 with the security headers, webhooks open',
    { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const run = await s.tmpdir();
		const userfile = path.join(dir, 'htpasswd');
		const hash = execFileSync('openssl', ['passwd', '-apr1', 'secret'], { encoding: 'utf8' }).trim();
		fs.writeFileSync(userfile, `operator:${hash}\n`);
		const conf = path.join(dir, 'lighttpd.conf');
		fs.writeFileSync(conf, authConf(userfile));
		const port = await freePort();
		const log = fs.openSync(path.join(dir, 'lighttpd.log'), 'w');
		const child = spawn('lighttpd', ['-D', '-f', conf], {
			cwd: ROOT, stdio: ['ignore', log, log],
			env: { ...process.env, NUMDIALER_HOME: ROOT, NUMDIALER_RUNDIR: run,
			    NUMDIALER_FCGI: path.join(BUILD, 'numdialer.fcgi'), NUMDIALER_BIND: '127.0.0.1',
			    NUMDIALER_PORT: String(port), NUMDIALER_NUMBERS: DEFAULT_NUMBERS,
			    NUMDIALER_API: 'http://127.0.0.1:9', NUMDIALER_SOCKET: '' },
		});
		fs.closeSync(log);
		const exited = new Promise((resolve) => child.on('exit', resolve));
		try {
			const base = `http://127.0.0.1:${port}`;
			const deadline = Date.now() + 10000;
			for (;;) {
				try { await fetch(`${base}/`, { signal: AbortSignal.timeout(1000) }); break; } catch { /* not up */ }
				assert.ok(Date.now() < deadline, `lighttpd did not answer: ${fs.readFileSync(path.join(dir, 'lighttpd.log'), 'utf8')}`);
				await sleep(50);
			}
			for (const p of ['/', '/events', '/nope.html']) {
				const res = await fetchPairs(`${base}${p}`);
				assert.equal(res.status, 401, `GET ${p} without the password`);
				assert.match(res.raw.headers.get('www-authenticate') || '', /^Basic realm="NumDialer"/);
				checkHeadersOnce(res, `GET ${p} without the password`);
				checkJSONError(res, `GET ${p} without the password`);
			}
			const auth = { Authorization: `Basic ${Buffer.from('operator:secret').toString('base64')}` };
			const page = await fetchPairs(`${base}/`, { headers: auth });
			assert.equal(page.status, 200, 'the page with the password');
			checkHeadersOnce(page, 'the page with the password');
			const ev = await fetchPairs(`${base}/events`, { headers: auth });
			assert.equal(ev.status, 200, `GET /events with the password: ${ev.body.slice(0, 200)}`);
			const hook = await fetchPairs(`${base}/webhook/0/${'0'.repeat(32)}`, {
				method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"status":"ringing"}' });
			assert.equal(hook.status, 403, `a webhook needs no password, only its key: ${hook.body}`);
		} finally {
			// As scripts/numdialer stop does: lighttpd, then the program it
			// spawned, each on SIGTERM; SIGKILL only for what stays.
			let kids = [];
			try {
				kids = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
				    .split('\n').filter(Boolean).map(Number);
			} catch { /* none */ }
			const running = () => kids.filter((pid) => {
				try { return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
			});
			child.kill('SIGTERM');
			await Promise.race([exited, sleep(10000)]);
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			for (const pid of running()) process.kill(pid, 'SIGTERM');
			for (let i = 0; i < 100 && running().length > 0; i++) await sleep(50);
			const left = running();
			for (const pid of left) process.kill(pid, 'SIGKILL');
			assert.deepEqual(left, [], 'the FastCGI program did not stop on SIGTERM');
		}
	});
});
