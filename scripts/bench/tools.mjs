// What the benchmark rows share: a lighttpd started on conf/lighttpd.conf
// with any FastCGI program, a process's memory and descriptors from /proc,
// wrk, a silent stand-in telephony API, the direct client that measures the
// API's own round trip, raw long-poll sockets, percentiles.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, freePort } from '../../tests/system/harness.mjs';

export const LIGHTTPD_CONF = path.join(ROOT, 'conf', 'lighttpd.conf');
export const NGINX_CONF = path.join(ROOT, 'conf', 'nginx.conf');
const STOP_WAIT_MS = 5000;      // a process gets this long after SIGTERM
const READY_WAIT_MS = 120000;   // a 1,000,000-number list loads well within it
const PROBE_PAUSE_MS = 2;       // between connection attempts while starting

export const TERMINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

// --- numbers -------------------------------------------------------------

export function percentile(xs, p) {
	if (xs.length === 0) return NaN;
	const s = Float64Array.from(xs).sort();
	return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

// n distinct 11-digit phone numbers, in order.
export const phones = (n) => Array.from({ length: n }, (_, i) => `1${String(i).padStart(10, '0')}`);

// --- /proc ---------------------------------------------------------------

// The memory of a process in bytes, from smaps_rollup: rss, pss, and
// dirty (Private_Dirty: the pages only it has written, its heap and stacks,
// which other processes sharing its libraries do not move).
export function memory(pid) {
	const out = { rss: 0, pss: 0, dirty: 0 };
	const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
	const keys = { Rss: 'rss', Pss: 'pss', Private_Dirty: 'dirty' };
	for (const m of text.matchAll(/^(\w+):\s+(\d+) kB$/gm))
		if (keys[m[1]]) out[keys[m[1]]] += Number(m[2]) * 1024;
	return out;
}

export const openFiles = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;

// The CPU time a process has used so far, user and system, in seconds
// (/proc/PID/stat counts it in ticks of 1/100 s).
export function cpuSeconds(pid) {
	const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
	return (Number(f[11]) + Number(f[12])) / 100;
}

function childrenOf(pid) {
	const kids = [];
	for (const d of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(d)) continue;
		try {
			const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
			const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
			if (Number(f[1]) === pid && f[0] !== 'Z') kids.push(Number(d));
		} catch { /* gone meanwhile */ }
	}
	return kids;
}

const aliveNow = (pid) => {
	try {
		const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return s.slice(s.lastIndexOf(')') + 2)[0] !== 'Z';
	} catch {
		return false;
	}
};

async function terminate(pid) {
	try { process.kill(pid, 'SIGTERM'); } catch { return; }
	const deadline = Date.now() + STOP_WAIT_MS;
	while (aliveNow(pid) && Date.now() < deadline) await sleep(20);
	if (aliveNow(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

// --- a lighttpd of our own ----------------------------------------------

// Starts lighttpd on conf/lighttpd.conf, the configuration the admin script
// uses, with the FastCGI program fcgi (an absolute path) in a run dir of its
// own; env adds NUMDIALER_* settings for the program. Returns at once with
// the time it spawned lighttpd (performance.now()), before anything answers.
export async function startLighttpd({ fcgi, rundir, env = {} }) {
	const port = await freePort();
	const fullEnv = {
		...process.env,
		NUMDIALER_HOME: ROOT,
		NUMDIALER_RUNDIR: rundir,
		NUMDIALER_FCGI: fcgi,
		NUMDIALER_BIND: '127.0.0.1',
		NUMDIALER_PORT: String(port),
		NUMDIALER_PUBLIC_URL: `http://127.0.0.1:${port}`,
		NUMDIALER_CONF: path.join(ROOT, 'conf', 'numdialer.conf'),
		NUMDIALER_SOCKET: '',
		...env,
	};
	const log = fs.openSync(path.join(rundir, 'lighttpd.log'), 'w');
	const spawnedAt = performance.now();
	const child = spawn('lighttpd', ['-D', '-f', LIGHTTPD_CONF], { env: fullEnv, stdio: ['ignore', log, log] });
	fs.closeSync(log);
	const srv = { port, base: `http://127.0.0.1:${port}`, spawnedAt, child, rundir, exited: null };
	child.on('exit', (code, sig) => { srv.exited = { code, sig }; });
	srv.log = () => {
		let out = '';
		for (const n of ['lighttpd.log', 'lighttpd-error.log'])
			try { out += fs.readFileSync(path.join(rundir, n), 'utf8').slice(-2000); } catch { /* none */ }
		return out;
	};
	// The program lighttpd spawned: its only child.
	srv.fcgiPid = async () => {
		const deadline = Date.now() + 5000;
		for (;;) {
			const kids = childrenOf(child.pid);
			if (kids.length === 1) return kids[0];
			if (srv.exited || Date.now() > deadline)
				throw new Error(`lighttpd has ${kids.length} children, not 1: ${srv.log()}`);
			await sleep(10);
		}
	};
	// lighttpd first, so it does not spawn the program again; then the
	// program, which may outlive it.
	srv.stop = async () => {
		const kids = srv.exited ? [] : childrenOf(child.pid);
		await terminate(child.pid);
		for (const k of kids) await terminate(k);
	};
	return srv;
}

// --- an nginx of our own -------------------------------------------------

// Starts nginx on conf/nginx.conf, the template the admin script fills
// (render_nginx_conf: the same placeholders, the user line dropped outside
// root), with the FastCGI program fcgi (an absolute path) started first as
// the admin script starts numdialer.fcgi: on a unix socket in the run dir,
// given as its first argument, args after it. Returns once the socket is
// there, with the same handles as startLighttpd.
export async function startNginx({ fcgi, rundir, args = [] }) {
	const port = await freePort();
	const socket = path.join(rundir, 'numdialer.sock');
	const values = {
		NUMDIALER_HOME: ROOT, NUMDIALER_RUNDIR: rundir, NUMDIALER_SOCKET: socket,
		NUMDIALER_BIND: '127.0.0.1', NUMDIALER_PORT: String(port),
		NUMDIALER_USER: execFileSync('id', ['-un'], { encoding: 'utf8' }).trim(),
		NUMDIALER_GROUP: execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim(),
	};
	let conf = fs.readFileSync(NGINX_CONF, 'utf8');
	if (process.getuid() !== 0) conf = conf.replace(/^user @NUMDIALER_USER@.*\n/m, '');
	conf = conf.replace(/@(NUMDIALER_[A-Z_]+)@/g, (m, name) => {
		if (values[name] === undefined) throw new Error(`${NGINX_CONF}: ${m} is not filled here`);
		return values[name];
	});
	fs.mkdirSync(path.join(rundir, 'nginx-tmp'), { recursive: true });
	fs.writeFileSync(path.join(rundir, 'nginx.conf'), conf);

	const log = fs.openSync(path.join(rundir, 'numdialer.log'), 'w');
	const prog = spawn(fcgi, [socket, ...args], { stdio: ['ignore', log, log] });
	fs.closeSync(log);
	const deadline = Date.now() + READY_WAIT_MS;
	while (!fs.existsSync(socket)) {
		if (prog.exitCode !== null || Date.now() > deadline)
			throw new Error(`${fcgi} did not make ${socket}: ${fs.readFileSync(path.join(rundir, 'numdialer.log'), 'utf8')}`);
		await sleep(PROBE_PAUSE_MS);
	}
	const nlog = fs.openSync(path.join(rundir, 'nginx.log'), 'w');
	const child = spawn('nginx', ['-p', rundir, '-c', path.join(rundir, 'nginx.conf'), '-g', 'daemon off;'],
	    { stdio: ['ignore', nlog, nlog] });
	fs.closeSync(nlog);
	const srv = { port, base: `http://127.0.0.1:${port}`, child, rundir, exited: null };
	child.on('exit', (code, sig) => { srv.exited = { code, sig }; });
	srv.fcgiPid = async () => prog.pid;
	srv.log = () => {
		let out = '';
		for (const n of ['nginx.log', 'nginx-error.log', 'numdialer.log'])
			try { out += fs.readFileSync(path.join(rundir, n), 'utf8').slice(-2000); } catch { /* none */ }
		return out;
	};
	srv.stop = async () => {
		await terminate(child.pid);
		await terminate(prog.pid);
	};
	return srv;
}

// One exchange over a fresh connection: status, headers, body bytes, and
// the time it took. Retries refused connections (a server still starting)
// until retryUntil (a Date.now() value).
export async function exchange(url, { method = 'GET', headers = {}, body, retryUntil = 0 } = {}) {
	for (;;) {
		const t0 = performance.now();
		try {
			return await new Promise((resolve, reject) => {
				const req = http.request(url, { method, headers, agent: false }, (res) => {
					const chunks = [];
					res.on('data', (c) => chunks.push(c));
					res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
					    body: Buffer.concat(chunks), ms: performance.now() - t0 }));
					res.on('error', reject);
				});
				req.on('error', reject);
				req.end(body);
			});
		} catch (e) {
			if (e.code !== 'ECONNREFUSED' || Date.now() > retryUntil) throw e;
			await sleep(PROBE_PAUSE_MS);
		}
	}
}

// Waits until the program behind srv answers (GET /call: 405 from it).
export async function untilProgramAnswers(srv) {
	const r = await exchange(`${srv.base}/call`, { retryUntil: Date.now() + READY_WAIT_MS });
	if (r.status !== 405) throw new Error(`GET /call answered ${r.status}, not 405: ${r.body.toString().slice(0, 200)}\n${srv.log()}`);
	return performance.now();
}

// --- wrk ---------------------------------------------------------------

// Runs wrk against base with the POSTs of hooks ([{path, body}], taken in
// turn). Returns requests/s, the count of answers that were not 2xx or 3xx,
// socket errors, and latency percentiles (ms).
export async function wrk(base, hooks, { seconds, connections, threads = 1 }) {
	const env = { ...process.env, BENCH_HOOKS: hooks.map((h) => `${h.path} ${h.body}`).join('\n') };
	const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency',
		'-s', path.join(ROOT, 'scripts', 'bench', 'webhook.lua'), `${base}/`];
	const child = spawn('wrk', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	child.stdout.on('data', (d) => { out += d; });
	child.stderr.on('data', (d) => { out += d; });
	const [code] = await once(child, 'exit');
	const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
	if (code !== 0 || !rps) throw new Error(`wrk exited ${code}: ${out}`);
	const lat = (p) => {
		const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
		return m ? Math.round(Number(m[1]) * { us: 1, ms: 1000, s: 1e6 }[m[2]]) / 1000 : NaN;
	};
	const bad = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
	const sock = /Socket errors: (.*)/.exec(out);
	const total = /(\d+) requests in/.exec(out);
	return { rps: Number(rps[1]), requests: Number(total?.[1] ?? 0), non2xx: Number(bad?.[1] ?? 0),
	    socketErrors: sock ? sock[1] : '', p50ms: lat(50), p99ms: lat(99), output: out };
}

// --- stand-ins and clients ---------------------------------------------

// Waits until api has recorded n calls and returns their webhooks:
// [{row, path, id}] (path is the URL's path: /webhook/ROW/KEY).
export async function recordedHooks(api, n, timeoutMs = 10000) {
	const deadline = Date.now() + timeoutMs;
	while (api.calls.length < n) {
		if (Date.now() > deadline) throw new Error(`the stand-in API saw ${api.calls.length} calls, not ${n}`);
		await sleep(20);
	}
	return api.calls.slice(0, n).map((c) => {
		const u = new URL(c.webhookURL);
		return { row: Number(u.pathname.split('/')[2]), path: u.pathname, id: c.id };
	});
}

// The API's own pace, without the dialer: a client that places calls one
// at a time straight to the simulator at simUrl and answers their webhooks
// itself, each at once, on a tiny HTTP server. Per call: the POST /call
// round trip, and the cycle from sending it until its terminal webhook is
// in (the least time a call holds a slot). Means in ms.
export async function directClient(simUrl, numbers, count) {
	const waiting = new Map();   // call index -> resolve of its terminal webhook
	const ended = new Set();     // terminal webhooks that came first
	const port = await freePort();
	const hooks = http.createServer((req, res) => {
		let body = '';
		req.on('data', (d) => { body += d; });
		req.on('end', () => {
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end('{"ok":true}');
			let status;
			try { ({ status } = JSON.parse(body)); } catch { return; }
			if (!TERMINAL.has(status)) return;
			const i = Number(req.url.split('/')[2]);
			const done = waiting.get(i);
			if (done) done(); else ended.add(i);
		});
	});
	hooks.keepAliveTimeout = 60000;
	hooks.listen(port, '127.0.0.1');
	await once(hooks, 'listening');
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	const posts = [];
	const cycles = [];
	try {
		for (let i = 0; i < count; i++) {
			const terminal = new Promise((resolve) => {
				if (ended.delete(i)) resolve(); else waiting.set(i, resolve);
			});
			const body = JSON.stringify({ phone: numbers[i % numbers.length],
			    webhookURL: `http://127.0.0.1:${port}/hook/${i}` });
			const t0 = performance.now();
			const answer = await new Promise((resolve, reject) => {
				const req = http.request(`${simUrl}/call`, { method: 'POST', agent,
				    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
					let text = '';
					res.on('data', (d) => { text += d; });
					res.on('end', () => resolve({ status: res.statusCode, text }));
				});
				req.on('error', reject);
				req.end(body);
			});
			posts.push(performance.now() - t0);
			if (answer.status !== 200 || !/"id"/.test(answer.text))
				throw new Error(`direct client: POST /call answered ${answer.status} ${answer.text}`);
			await terminal;
			waiting.delete(i);
			cycles.push(performance.now() - t0);
		}
	} finally {
		agent.destroy();
		hooks.closeAllConnections();
		await new Promise((r) => hooks.close(r));
	}
	return { calls: count, postMs: mean(posts), cycleMs: mean(cycles), cycleP99Ms: percentile(cycles, 99) };
}

