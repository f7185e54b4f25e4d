// Slow peers, for the system tests and the bench: clients that ask for an
// answer and never read it, connections to the program's own FastCGI
// socket that send their request a byte at a time, and a timed probe of
// the routes while they do. Each opens a bounded number of connections to
// 127.0.0.1 or to a unix socket of the run, and closes them all.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from './harness.mjs';

// The FastCGI socket a stack's web server talks to: the program's own under
// nginx (scripts/numdialer's RUNDIR/numdialer.sock), the one lighttpd made
// and handed to the program it spawned (RUNDIR/numdialer-fcgi.sock-0).
export function fcgiSocket(st) {
	const found = fs.readdirSync(st.rundir)
		.filter((n) => n.startsWith('numdialer') && fs.statSync(path.join(st.rundir, n)).isSocket());
	if (found.length !== 1) throw new Error(`not one FastCGI socket in ${st.rundir}: ${JSON.stringify(found)}`);
	return path.join(st.rundir, found[0]);
}

// The descriptors a process has open.
export const openFiles = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;

// The CPU time a process has used, in ms (user and system; /proc counts in
// USER_HZ, 100 a second on Linux).
export function cpuMs(pid) {
	const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
	return (Number(f[11]) + Number(f[12])) * 10;
}

// n clients that each ask the web server at port for pathAndQuery and never
// read a byte of the answer: once the kernel's buffers between them and the
// program are full, the program's writes wait on them. close() ends them.
export async function stalledReaders(port, pathAndQuery, n) {
	const socks = [];
	for (let i = 0; i < n; i++) {
		const sock = net.connect(port, '127.0.0.1');
		sock.on('error', () => {});
		socks.push(sock);
		await new Promise((resolve, reject) => {
			sock.once('connect', resolve);
			sock.once('error', reject);
		});
		sock.pause();
		sock.write(`GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
	}
	return { close: () => { for (const s of socks) s.destroy(); } };
}

// A FastCGI FCGI_BEGIN_REQUEST record (request 1, responder), the start of
// what a web server sends: enough to drip.
const BEGIN_REQUEST = Buffer.from([1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);

// n connections to the FastCGI socket at sockPath, each sending the start of
// a request one byte every intervalMs, for as long as the program keeps the
// connection. Each records when the program closed it (performance.now(),
// NaN while open). close() ends them.
export async function drippers(sockPath, n, intervalMs) {
	const conns = [];
	for (let i = 0; i < n; i++) {
		const sock = net.connect(sockPath);
		const c = { sock, openedAt: performance.now(), closedAt: NaN, sent: 0, timer: null };
		sock.on('error', () => {});
		sock.on('data', () => {});
		sock.on('close', () => {
			if (Number.isNaN(c.closedAt)) c.closedAt = performance.now();
			clearInterval(c.timer);
		});
		await new Promise((resolve, reject) => {
			sock.once('connect', resolve);
			sock.once('error', reject);
		});
		const drip = () => {
			if (sock.destroyed) return;
			sock.write(BEGIN_REQUEST.subarray(c.sent % BEGIN_REQUEST.length, c.sent % BEGIN_REQUEST.length + 1));
			c.sent++;
		};
		drip();
		c.timer = setInterval(drip, intervalMs);
		conns.push(c);
	}
	return {
		conns,
		close: () => {
			for (const c of conns) {
				clearInterval(c.timer);
				c.sock.destroy();
			}
		},
	};
}

// Sends one request of each kind in kinds ([{name, next}], next() giving
// the {url, opts} of its next request) every everyMs, one after the other,
// for forMs: each answer's time, or its failure (status not 200, or no
// answer within boundMs). Returns {times: {name: [ms]}, misses: [text]}.
export async function probe(kinds, { forMs, everyMs, boundMs }) {
	const times = Object.fromEntries(kinds.map((k) => [k.name, []]));
	const misses = [];
	const end = performance.now() + forMs;
	while (performance.now() < end) {
		const round = performance.now();
		for (const k of kinds) {
			const { url, opts } = k.next();
			const t0 = performance.now();
			try {
				const r = await request(url, { ...opts, timeoutMs: boundMs });
				const ms = performance.now() - t0;
				if (r.status !== 200) misses.push(`${k.name}: answered ${r.status} ${r.text.slice(0, 120)}`);
				else times[k.name].push(ms);
			} catch (e) {
				misses.push(`${k.name}: no answer within ${boundMs} ms (${e.name}: ${e.message})`);
			}
		}
		await sleep(Math.max(0, everyMs - (performance.now() - round)));
	}
	return { times, misses };
}

// A client that reads the answer to GET pathAndQuery slowly: after each
// pauseEvery bytes it stops reading for pauseMs, so the program's writes
// wait on it for a while, again and again. Resolves, once the server
// closes, with the status, the body, the Content-Length it announced, the
// time it all took and how often it paused.
export function slowReader(port, pathAndQuery, { pauseEvery, pauseMs }) {
	const sock = net.connect(port, '127.0.0.1');
	const chunks = [];
	const t0 = performance.now();
	let got = 0;
	let nextPause = pauseEvery;
	let pauses = 0;
	sock.on('connect', () => {
		sock.write(`GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
	});
	sock.on('data', (c) => {
		chunks.push(c);
		got += c.length;
		if (got >= nextPause) {
			nextPause = got + pauseEvery;
			pauses++;
			sock.pause();
			setTimeout(() => sock.resume(), pauseMs);
		}
	});
	return new Promise((resolve) => {
		sock.on('error', (e) => resolve({ status: 0, error: e.message, body: Buffer.alloc(0), ms: performance.now() - t0, pauses }));
		sock.on('close', () => {
			const all = Buffer.concat(chunks);
			const head = all.indexOf('\r\n\r\n');
			const text = all.subarray(0, head < 0 ? all.length : head).toString('latin1');
			resolve({
				status: Number(/^HTTP\/1\.\d (\d{3})/.exec(text)?.[1] ?? 0),
				length: Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? NaN),
				body: head < 0 ? Buffer.alloc(0) : all.subarray(head + 4),
				ms: performance.now() - t0,
				pauses,
			});
		});
	});
}

// The FastCGI records of one request, as a web server writes them:
// FCGI_BEGIN_REQUEST (request 1, responder), params in FCGI_PARAMS records
// (name-value pairs, 1- or 4-byte lengths), then the body in FCGI_STDIN
// records of at most recordMax bytes; each stream ends with an empty
// record. padding adds that many zero bytes after the content of each
// stream record (libfcgi reads none after FCGI_BEGIN_REQUEST's 8 bytes).
export function fcgiRecords(params, body = Buffer.alloc(0), { recordMax = 8192, padding = 0 } = {}) {
	const record = (type, content) => {
		const pad = type === 1 ? 0 : padding;
		const h = Buffer.from([1, type, 0, 1, content.length >> 8, content.length & 0xff, pad, 0]);
		return [h, content, Buffer.alloc(pad)];
	};
	const len = (n) => (n < 128 ? Buffer.from([n])
	    : Buffer.from([0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]));
	const pairs = Buffer.concat(Object.entries(params).map(([k, v]) =>
		Buffer.concat([len(Buffer.byteLength(k)), len(Buffer.byteLength(v)), Buffer.from(k), Buffer.from(v)])));
	const parts = [...record(1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0]))];
	for (let off = 0; off < pairs.length; off += recordMax) parts.push(...record(4, pairs.subarray(off, off + recordMax)));
	parts.push(...record(4, Buffer.alloc(0)));
	for (let off = 0; off < body.length; off += recordMax) parts.push(...record(5, body.subarray(off, off + recordMax)));
	parts.push(...record(5, Buffer.alloc(0)));
	return Buffer.concat(parts);
}

// A connection to the FastCGI socket at sockPath, once connected: the
// socket, what it received so far (got, a list of Buffers) and a promise
// of its close.
export async function fcgiConnect(sockPath) {
	const sock = net.connect(sockPath);
	const got = [];
	const closed = new Promise((resolve) => {
		sock.on('data', (d) => got.push(d));
		sock.on('error', () => {});
		sock.on('close', resolve);
	});
	await new Promise((resolve, reject) => {
		sock.once('connect', resolve);
		sock.once('error', reject);
	});
	return { sock, got, closed };
}

// The records of what the program sent (got, a list of Buffers): the
// content of its FCGI_STDOUT records, and whether FCGI_END_REQUEST came.
export function fcgiAnswer(got) {
	const all = Buffer.concat(got);
	const out = [];
	let ended = false;
	for (let off = 0; off + 8 <= all.length;) {
		const type = all[off + 1];
		const clen = all.readUInt16BE(off + 4);
		if (type === 6) out.push(all.subarray(off + 8, off + 8 + clen));
		if (type === 3) ended = true;
		off += 8 + clen + all[off + 6];
	}
	return { stdout: Buffer.concat(out), ended };
}

// Sends the bytes of a request straight to the FastCGI socket at sockPath,
// in pieces of chunk bytes pauseMs apart, and reads the answer's records
// until the program closes: the FCGI_STDOUT content as {status, text}, and
// whether FCGI_END_REQUEST came.
export async function fcgiExchange(sockPath, bytes, { chunk = bytes.length, pauseMs = 0, timeoutMs = 10000 } = {}) {
	const { sock, got, closed } = await fcgiConnect(sockPath);
	for (let off = 0; off < bytes.length && !sock.destroyed; off += chunk) {
		sock.write(bytes.subarray(off, off + chunk));
		if (pauseMs) await sleep(pauseMs);
	}
	const timer = setTimeout(() => sock.destroy(), timeoutMs);
	await closed;
	clearTimeout(timer);
	const { stdout, ended } = fcgiAnswer(got);
	const text = stdout.toString('utf8');
	return { status: Number(/^Status: (\d{3})/.exec(text)?.[1] ?? 0), text, ended };
}
