// A client that ties up a web server's connections, and a probe that times
// webhooks meanwhile: shared by tests/system/flood.test.mjs and the bench
// (scripts/bench/rows.mjs). The attack runs in a child process of its own,
// its open-file limit raised to the hard one (as `make bench` does), so the
// caller's limit does not bound it; it talks only to 127.0.0.1 and closes
// every connection it opened before it exits.
//
//   node flood.mjs polls PORT COUNT PATH
//       opens COUNT connections, each a GET of PATH (a long-poll), and
//       drops them all at once when every one is sent: pages that left.
//   node flood.mjs slowloris PORT COUNT SECONDS
//       opens COUNT connections that each send a request's header a line
//       a second and never its end, for SECONDS, then drops them.
//   node flood.mjs hold PORT COUNT PATH SECONDS
//       opens COUNT long-polls of PATH and keeps them for SECONDS, then
//       drops them; says how many were answered meanwhile, and how.
//   node flood.mjs loop PORT COUNT PATH SECONDS
//       COUNT clients each GET PATH (no Accept-Encoding) again and again,
//       reading every answer whole and throwing it away, for SECONDS;
//       says how many answers came, by status, and their bytes.
//
// It prints one JSON line when the attack is in place ({"phase": "ready",
// "opened", "errors", "ms"}) and one when it is over ({"phase": "done"};
// for hold, "answered": {"STATUS" or "STATUS no news": count}; for loop,
// "answered": {"STATUS": count} and "bytes").
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const SELF = fileURLToPath(import.meta.url);
const OPEN_BATCH = 500;          // connections opened before yielding
const CONNECT_WAIT_MS = 15000;   // for every connection to be made or fail
const POLLS_SETTLE_MS = 500;     // sent, before they are dropped
const DRIP_MS = 1000;            // between two header lines of a slowloris
const PROBE_TIMEOUT_MS = 30000;  // a webhook unanswered this long counts so

// The hard limit on open files of this process, from /proc/self/limits.
export function hardFileLimit() {
	const m = /^Max open files\s+\S+\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
	return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

// Starts an attack (kind 'polls' or 'slowloris', as above) on 127.0.0.1:port.
// Returns { ready, done, stop }: ready and done resolve with the child's
// lines; stop() kills it (its connections die with it).
export function flood(kind, port, count, ...args) {
	const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"',
		process.execPath, SELF, kind, String(port), String(count), ...args.map(String)],
	{ stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	const waiters = { ready: [], done: [] };
	const seen = {};
	child.stdout.on('data', (d) => {
		out += d;
		for (;;) {
			const nl = out.indexOf('\n');
			if (nl < 0) break;
			const line = out.slice(0, nl);
			out = out.slice(nl + 1);
			let j;
			try { j = JSON.parse(line); } catch { continue; }
			seen[j.phase] = j;
			for (const w of waiters[j.phase] || []) w.resolve(j);
		}
	});
	child.stderr.on('data', (d) => { err += d; });
	const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
	const phase = (name) => new Promise((resolve, reject) => {
		if (seen[name]) return resolve(seen[name]);
		waiters[name].push({ resolve });
		exited.then(({ code, sig }) => {
			if (!seen[name]) reject(new Error(`flood ${kind} exited (${code ?? sig}) before "${name}": ${err.slice(-2000)}`));
		});
	});
	return {
		ready: phase('ready'),
		done: phase('done'),
		stop: async () => {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			await exited;
		},
	};
}

// Times POST webhooks (url, JSON body) on fresh connections, one started
// every intervalMs whatever the others do, until stop resolves; then waits
// for the last. Resolves with [{ at, ms, status }] (status 0: no answer,
// with error).
export async function probe(url, body, { intervalMs, stop }) {
	const samples = [];
	const pending = [];
	let stopped = false;
	stop.then(() => { stopped = true; });
	const one = () => new Promise((resolve) => {
		const t0 = performance.now();
		const req = http.request(url, { method: 'POST', agent: false,
		    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
			res.resume();
			res.on('end', () => resolve({ at: t0, ms: performance.now() - t0, status: res.statusCode }));
			res.on('error', (e) => resolve({ at: t0, ms: performance.now() - t0, status: 0, error: e.message }));
		});
		req.setTimeout(PROBE_TIMEOUT_MS, () => req.destroy(new Error('no answer')));
		req.on('error', (e) => resolve({ at: t0, ms: performance.now() - t0, status: 0, error: e.message }));
		req.end(body);
	}).then((s) => samples.push(s));
	while (!stopped) {
		pending.push(one());
		await Promise.race([sleep(intervalMs), stop]);
	}
	await Promise.all(pending);
	return samples.sort((a, b) => a.at - b.at);
}

// --- the child -----------------------------------------------------------

function say(obj) {
	process.stdout.write(`${JSON.stringify(obj)}\n`);
}

// Opens count connections, each sending first on connect; resolves once
// every one is connected or failed.
async function openAll(port, count, first) {
	const socks = [];
	let opened = 0;
	let errors = 0;
	for (let i = 0; i < count; i++) {
		const sock = net.connect(port, '127.0.0.1');
		sock.on('error', () => { errors++; });
		sock.on('connect', () => { opened++; sock.write(first); });
		socks.push(sock);
		if (i % OPEN_BATCH === OPEN_BATCH - 1) await sleep(1);
	}
	const deadline = performance.now() + CONNECT_WAIT_MS;
	while (opened + errors < count && performance.now() < deadline) await sleep(10);
	return { socks, opened, errors };
}

// What a long-poll's answer was: its status, and "no news" when it carried
// no row.
function answerKind(text) {
	const status = /^HTTP\/1\.\d (\d{3})/.exec(text)?.[1] ?? 'none';
	return /"calls":\s*\[\]/.test(text) ? `${status} no news` : status;
}

// GET path on a fresh connection, its answer read whole and thrown away:
// resolves { status, bytes } (status 0: failed).
function fetchAway(port, path) {
	return new Promise((resolve) => {
		const req = http.get({ host: '127.0.0.1', port, path, agent: false,
		    headers: { Host: `127.0.0.1:${port}` } }, (res) => {
			let bytes = 0;
			res.on('data', (d) => { bytes += d.length; });
			res.on('end', () => resolve({ status: res.statusCode, bytes }));
			res.on('error', () => resolve({ status: 0, bytes }));
		});
		req.on('error', () => resolve({ status: 0, bytes: 0 }));
	});
}

async function child([kind, portArg, countArg, arg, seconds]) {
	const port = Number(portArg);
	const count = Number(countArg);
	const t0 = performance.now();
	if (kind === 'polls') {
		const { socks, opened, errors } = await openAll(port, count,
		    `GET ${arg} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n`);
		await sleep(POLLS_SETTLE_MS);
		for (const s of socks) s.destroy();
		say({ phase: 'ready', opened, errors, ms: Math.round(performance.now() - t0) });
		say({ phase: 'done' });
	} else if (kind === 'slowloris') {
		const { socks, opened, errors } = await openAll(port, count,
		    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
		say({ phase: 'ready', opened, errors, ms: Math.round(performance.now() - t0) });
		const end = performance.now() + Number(arg) * 1000;
		let n = 0;
		while (performance.now() < end) {
			await sleep(Math.min(DRIP_MS, end - performance.now()));
			for (const s of socks) if (!s.destroyed) s.write(`X-Drip-${n}: 1\r\n`);
			n++;
		}
		const alive = socks.filter((s) => !s.destroyed).length;
		for (const s of socks) s.destroy();
		say({ phase: 'done', alive });
	} else if (kind === 'hold') {
		const { socks, opened, errors } = await openAll(port, count,
		    `GET ${arg} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n`);
		const answered = {};
		for (const s of socks) {
			let text = '';
			s.on('data', (d) => { if (text.length < 4096) text += d; });
			s.on('end', () => { const k = answerKind(text); answered[k] = (answered[k] || 0) + 1; });
		}
		say({ phase: 'ready', opened, errors, ms: Math.round(performance.now() - t0) });
		await sleep(Math.max(0, Number(seconds) * 1000 - (performance.now() - t0)));
		for (const s of socks) s.destroy();
		say({ phase: 'done', answered });
	} else if (kind === 'loop') {
		const end = performance.now() + Number(seconds) * 1000;
		const answered = {};
		let bytes = 0;
		const client = async () => {
			while (performance.now() < end) {
				const r = await fetchAway(port, arg);
				answered[r.status] = (answered[r.status] || 0) + 1;
				bytes += r.bytes;
			}
		};
		const clients = Array.from({ length: count }, client);
		say({ phase: 'ready', opened: count, errors: 0, ms: Math.round(performance.now() - t0) });
		await Promise.all(clients);
		say({ phase: 'done', answered, bytes });
	} else {
		throw new Error(`flood: unknown attack ${kind}`);
	}
}

if (process.argv[1] === SELF) {
	child(process.argv.slice(2)).then(() => process.exit(0), (e) => {
		process.stderr.write(`${e.stack || e}\n`);
		process.exit(1);
	});
}
