// Shared helpers of the system and browser tests: free ports, the simulator,
// a stand-in telephony API, the dialer stack started through the real admin
// script, HTTP helpers, the page's long-poll, and a check that nothing
// started is left running.
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD = path.resolve(ROOT, process.env.NUMDIALER_BUILD || 'build');
export const SCRIPT = path.join(ROOT, 'scripts', 'numdialer');
export const DEFAULT_NUMBERS = path.join(ROOT, 'conf', 'numbers.txt');
// The rows of the default list, the one a stack dials unless given another.
export const DEFAULT_ROWS = readNumbers(DEFAULT_NUMBERS).length;
export const TERMINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled', 'skipped']);
export const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');

// A port nothing listens on right now: bind 127.0.0.1:0, read it, close.
export async function freePort() {
	const srv = net.createServer();
	srv.listen(0, '127.0.0.1');
	await once(srv, 'listening');
	const { port } = srv.address();
	await new Promise((resolve) => srv.close(resolve));
	return port;
}

// One HTTP exchange. Never throws on an HTTP status; body parsed as JSON
// when it is JSON (json is undefined otherwise).
export async function request(url, { method = 'GET', headers = {}, body, timeoutMs = 30000 } = {}) {
	const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
	const text = await res.text();
	let json;
	try { json = JSON.parse(text); } catch { json = undefined; }
	return { status: res.status, headers: res.headers, text, json };
}

export async function getJSON(url, opts = {}) {
	return request(url, { ...opts, method: 'GET' });
}

export async function postJSON(url, value, opts = {}) {
	const body = value === undefined ? undefined : JSON.stringify(value);
	const headers = value === undefined ? {} : { 'Content-Type': 'application/json' };
	return request(url, { ...opts, method: 'POST', headers: { ...headers, ...(opts.headers || {}) }, body });
}

// Follows GET /events the way the page does: a full read, then
// /events?since=V&instance=I long-polls applied to a local row map, until
// every row is terminal. onResponse (optional) sees every answer.
// Returns { rows, version, instance, started, last, polls }.
// Reads GET /events (the full list) until pred holds, through a program
// that may be away a while (restarting); returns that answer.
export async function eventsUntil(base, pred, timeoutMs, what) {
	const deadline = Date.now() + timeoutMs;
	let last;
	for (;;) {
		try {
			const r = await getJSON(`${base}/events`, { timeoutMs: 3000 });
			if (r.status === 200 && r.json) {
				last = r.json;
				if (pred(r.json)) return r.json;
			}
		} catch { /* the program is away: try again */ }
		if (Date.now() > deadline)
			throw new Error(`${what}: not seen within ${timeoutMs} ms (last: ${JSON.stringify(last)?.slice(0, 300)})`);
		await sleep(50);
	}
}

// A process's resident memory now (VmRSS) and its peak (VmHWM), in bytes;
// resetPeakMemory makes the peak the present size (clear_refs 5), so that
// the peak read later is the most it held since.
export function residentMemory(pid) {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)[1]) * 1024;
	return { now: kb('VmRSS'), peak: kb('VmHWM') };
}

export const resetPeakMemory = (pid) => fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');

// Whether process pid lives (a zombie does not).
export function alivePid(pid) {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return false;
	}
}

export async function waitAllTerminal(base, timeoutMs, { onResponse } = {}) {
	const deadline = Date.now() + timeoutMs;
	let rows = [];
	let version;
	let instance;
	let last;
	let polls = 0;
	let terminal = 0;
	let total;
	const isT = (r) => (r && TERMINAL.has(r.status) ? 1 : 0);
	const apply = (body) => {
		if (body.full) {
			rows = [];
			terminal = 0;
		}
		for (const c of body.calls) {
			terminal += isT(c) - isT(rows[c.row]);
			rows[c.row] = c;
		}
		version = body.version;
		instance = body.instance;
		if (body.total !== undefined) total = body.total;
		last = body;
	};
	const done = () => total !== undefined && terminal === total && rows.length === total;
	for (;;) {
		const left = deadline - Date.now();
		if (left <= 0) {
			const counts = {};
			for (const r of rows) if (r) counts[r.status] = (counts[r.status] || 0) + 1;
			throw new Error(`waitAllTerminal: not all terminal after ${timeoutMs} ms ` +
			    `(version ${version}, statuses ${JSON.stringify(counts)})`);
		}
		const url = version === undefined ? `${base}/events`
		    : `${base}/events?since=${version}&instance=${encodeURIComponent(instance)}`;
		let res;
		try {
			res = await getJSON(url, { timeoutMs: Math.min(left, 30000) });
		} catch (e) {
			if (Date.now() >= deadline) continue;
			throw e;
		}
		polls++;
		if (res.status !== 200 || !res.json)
			throw new Error(`waitAllTerminal: ${url} answered ${res.status}: ${res.text.slice(0, 200)}`);
		if (onResponse) onResponse(res.json);
		apply(res.json);
		if (done()) return { rows, version, instance, started: last.started, last, polls };
	}
}

// --- processes ---------------------------------------------------------

function procStat(pid) {
	try {
		const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		const close = s.lastIndexOf(')');
		const comm = s.slice(s.indexOf('(') + 1, close);
		const f = s.slice(close + 2).split(' ');
		return { pid, comm, state: f[0], ppid: Number(f[1]), start: f[19] };
	} catch {
		return null;
	}
}

function allProcs() {
	const out = [];
	for (const d of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(d)) continue;
		const st = procStat(Number(d));
		if (st) out.push(st);
	}
	return out;
}

function cmdline(pid) {
	try {
		return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
	} catch {
		return '';
	}
}

// Alive and the same process (start time) as recorded; zombies count as gone.
export function alive(rec) {
	const st = procStat(rec.pid);
	return !!st && st.state !== 'Z' && (rec.start === undefined || st.start === rec.start);
}

async function readPidFiles(dir) {
	const out = {};
	let names = [];
	try { names = await fsp.readdir(dir); } catch { return out; }
	for (const n of names) {
		if (!n.endsWith('.pid')) continue;
		try {
			const pid = Number((await fsp.readFile(path.join(dir, n), 'utf8')).trim());
			if (Number.isInteger(pid) && pid > 1) out[n] = pid;
		} catch { /* a pid file may vanish while read */ }
	}
	return out;
}

// Every process of a run: the pids of its pid files, the processes whose
// command line names its run dir, and all their descendants.
async function runProcesses(rundir) {
	const procs = allProcs();
	const byPid = new Map(procs.map((p) => [p.pid, p]));
	const roots = new Set(Object.values(await readPidFiles(rundir)));
	for (const p of procs)
		if (p.pid !== process.pid && cmdline(p.pid).includes(rundir)) roots.add(p.pid);
	const found = new Map();
	const add = (pid) => {
		const st = byPid.get(pid);
		if (!st || st.state === 'Z' || found.has(pid) || pid === process.pid) return;
		found.set(pid, st);
		for (const c of procs) if (c.ppid === pid) add(c.pid);
	};
	for (const r of roots) add(r);
	return found;
}

function pgrepChildren(pid) {
	return new Promise((resolve) => {
		execFile('pgrep', ['-P', String(pid)], (err, stdout) => {
			resolve(err ? [] : stdout.split('\n').filter(Boolean).map(Number));
		});
	});
}

function tail(file, bytes = 4000) {
	try {
		const b = fs.readFileSync(file);
		return b.subarray(Math.max(0, b.length - bytes)).toString('utf8');
	} catch {
		return '';
	}
}

// What a sanitizer build wrote to a log (memory errors, leaks, undefined
// behaviour): one problem per report, with its first lines.
function sanitizerReports(file) {
	let text;
	try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
	const out = [];
	const re = /^.*(ERROR: (Address|Leak|Thread)Sanitizer|runtime error:|UndefinedBehaviorSanitizer).*$/gm;
	let m;
	while ((m = re.exec(text)) && out.length < 5)
		out.push(`${path.basename(file)}: ${text.slice(m.index, m.index + 1500)}`);
	return out;
}

// Runs scripts/numdialer CMD with env, output to a file (a daemon that
// keeps a pipe open would hang a pipe reader). Resolves { code, output }.
// script and cwd: another copy of the admin script (an installed one) and
// where it runs.
export async function runScript(cmd, env, { timeoutMs = 60000, logDir = os.tmpdir(), script = SCRIPT,
    cwd = ROOT } = {}) {
	const logFile = path.join(logDir, `script-${cmd}-${Date.now()}.log`);
	const fd = fs.openSync(logFile, 'w');
	const child = spawn(script, [cmd], { cwd, env, stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
	const [code, signal] = await once(child, 'exit');
	clearTimeout(timer);
	const output = fs.readFileSync(logFile, 'utf8');
	return { code: code === null ? `signal ${signal}` : code, output, pid: child.pid };
}

// Resources of one test, closed in reverse; close() reports what was left.
export class Session {
	constructor(t) {
		this.t = t;
		this.sims = [];
		this.stacks = [];
		this.dirs = [];
		this.closed = false;
		if (t) t.after(() => this.close());
	}

	async tmpdir() {
		const d = await fsp.mkdtemp(path.join(os.tmpdir(), 'nd-test-'));
		this.dirs.push(d);
		return d;
	}

	// Starts apisim on a free port; waits for its "apisim: listening" line.
	// twilio (true, or { account, token, cps }) starts it in Twilio mode, its
	// auth token in a file of the test's dir (mode 0600): the sim object then
	// has twilio = { account, token, tokenFile, base } (base: the account's
	// URL, .../2010-04-01/Accounts/AC...).
	async apisim({ delayMaxMs = 0, seed = 1, numbers, acceptAny = false, paths, extra = [], twilio } = {}) {
		const dir = await this.tmpdir();
		const port = await freePort();
		const args = ['--port', String(port), '--delay-max-ms', String(delayMaxMs), '--seed', String(seed)];
		if (acceptAny) args.push('--accept-any');
		else args.push('--numbers', numbers || DEFAULT_NUMBERS);
		if (paths) args.push('--paths', paths);
		let tw = null;
		if (twilio) {
			const o = twilio === true ? {} : twilio;
			tw = { account: o.account ?? 'ACdeadbeefdeadbeefdeadbeefdeadbeef',
			    token: o.token ?? crypto.randomBytes(16).toString('hex'),
			    tokenFile: path.join(dir, 'twilio-token') };
			fs.writeFileSync(tw.tokenFile, `${tw.token}\n`, { mode: 0o600 });
			args.push('--twilio', '--twilio-account', tw.account, '--twilio-token-file', tw.tokenFile);
			if (o.cps !== undefined) args.push('--twilio-cps', String(o.cps));
		}
		args.push(...extra);
		const logFile = path.join(dir, 'apisim.log');
		const fd = fs.openSync(logFile, 'w');
		const child = spawn(path.join(BUILD, 'apisim'), args, { cwd: ROOT, stdio: ['ignore', fd, fd] });
		fs.closeSync(fd);
		const sim = { port, url: `http://127.0.0.1:${port}`, pid: child.pid, child, logFile, args,
		    exited: null, start: undefined, twilio: tw };
		if (tw) tw.base = `${sim.url}/2010-04-01/Accounts/${tw.account}`;
		child.on('exit', (code, sig) => { sim.exited = { code, sig }; });
		this.sims.push(sim);
		const deadline = Date.now() + 10000;
		while (!/apisim: listening/.test(tail(logFile, 100000))) {
			if (sim.exited)
				throw new Error(`apisim exited (${JSON.stringify(sim.exited)}) before listening: ${tail(logFile)}`);
			if (Date.now() > deadline) throw new Error(`apisim did not say "listening" in 10 s: ${tail(logFile)}`);
			await sleep(20);
		}
		sim.start = procStat(child.pid)?.start;
		sim.stats = async () => {
			const r = await getJSON(`${sim.url}/stats`);
			if (r.status !== 200) throw new Error(`apisim /stats answered ${r.status}`);
			return r.json;
		};
		sim.log = () => tail(logFile);
		return sim;
	}

	// Starts the dialer stack with scripts/numdialer start; waits until
	// GET /events answers. opts: server, api, numbers, callTimeout, env.
	async stack(opts = {}) {
		const st = await this.prepare(opts);
		const started = await runScript('start', st.env, { logDir: st.logDir, script: st.script, cwd: st.cwd });
		st.startResult = started;
		await this.record(st);
		if (opts.expectFail) return st;
		if (started.code !== 0)
			throw new Error(`numdialer start exited ${started.code}:\n${started.output}`);
		await this.ready(st);
		return st;
	}

	// Waits until the stack's GET /events answers 200.
	async ready(st) {
		const deadline = Date.now() + 15000;
		for (;;) {
			try {
				const r = await getJSON(`${st.base}/events`, { timeoutMs: 2000 });
				if (r.status === 200 && r.json) break;
			} catch { /* not up yet */ }
			if (Date.now() > deadline) throw new Error(`GET /events did not answer 200 within 15 s\n${this.logs(st)}`);
			await sleep(50);
		}
		await this.record(st);
		st.fcgiPid = () => this.fcgiPid(st);
	}

	// A stack's settings, port and run dir (an empty one of its own, or
	// opts.rundir), without starting it; close() stops it all the same,
	// unless track is false (a run dir close() must not touch). script and
	// cwd: the admin script that starts and stops it, and where it runs
	// (runScript).
	async prepare({ server = 'lighttpd', api, numbers = DEFAULT_NUMBERS, callTimeout, env = {},
	    rundir, track = true, script = SCRIPT, cwd = ROOT } = {}) {
		rundir = rundir ?? await this.tmpdir();
		const port = await freePort();
		const fullEnv = {
			...process.env,
			NUMDIALER_SKIP_DEPS: '1',
			NUMDIALER_SKIP_BUILD: '1',
			NUMDIALER_BUILD: BUILD,
			NUMDIALER_PORT: String(port),
			NUMDIALER_RUNDIR: rundir,
			NUMDIALER_API: api,
			NUMDIALER_SIM: 'off',
			NUMDIALER_NUMBERS: numbers,
			NUMDIALER_SERVER: server,
			...(callTimeout !== undefined ? { NUMDIALER_CALL_TIMEOUT: String(callTimeout) } : {}),
			...env,
		};
		const logDir = await this.tmpdir();
		const st = { server, port, base: `http://127.0.0.1:${port}`, rundir, env: fullEnv, logDir,
		    procs: new Map(), stopped: false, script, cwd };
		if (track) this.stacks.push(st);
		return st;
	}

	async record(st) {
		for (const [pid, p] of await runProcesses(st.rundir))
			if (!st.procs.has(pid)) st.procs.set(pid, { pid, start: p.start, comm: p.comm });
	}

	// The FastCGI program's pid: lighttpd's child (pgrep -P), else the
	// run's process named numdialer.fcgi (its pid file under nginx).
	async fcgiPid(st) {
		const files = await readPidFiles(st.rundir);
		if (st.server === 'lighttpd') {
			const lpid = Object.entries(files).find(([n]) => n.includes('lighttpd'))?.[1];
			if (lpid) {
				const kids = (await pgrepChildren(lpid)).filter((p) => procStat(p)?.comm?.startsWith('numdialer'));
				if (kids.length === 1) return kids[0];
			}
		}
		for (const [n, pid] of Object.entries(files))
			if (/numdialer|fcgi/.test(n) && procStat(pid)?.comm?.startsWith('numdialer')) return pid;
		const procs = await runProcesses(st.rundir);
		const f = [...procs.values()].filter((p) => p.comm.startsWith('numdialer.fcgi'));
		if (f.length === 1) return f[0].pid;
		throw new Error(`cannot tell the FastCGI program's pid (pid files ${JSON.stringify(files)}, ` +
		    `run processes ${JSON.stringify([...procs.values()].map((p) => [p.pid, p.comm]))})`);
	}

	logs(st) {
		let out = `--- start output:\n${st.startResult?.output ?? ''}`;
		try {
			for (const n of fs.readdirSync(st.rundir))
				if (n.endsWith('.log')) out += `\n--- ${n}:\n${tail(path.join(st.rundir, n))}`;
		} catch { /* no run dir */ }
		return out;
	}

	// Stops one stack with scripts/numdialer stop, then checks by pid that
	// every process it had is gone; kills leftovers (they are the run's) and
	// returns a list of problems.
	async stopStack(st) {
		if (st.stopped) return [];
		st.stopped = true;
		const problems = [];
		await this.record(st);
		const res = await runScript('stop', st.env, { logDir: st.logDir, script: st.script, cwd: st.cwd });
		st.stopResult = res;
		if (res.code !== 0 && !st.startFailedOk)
			problems.push(`numdialer stop exited ${res.code}: ${res.output.trim()}`);
		// Each process must end on SIGTERM; the script's SIGKILL is a last resort.
		if (/SIGKILL|still there/.test(res.output))
			problems.push(`numdialer stop had to force: ${res.output.trim()}`);
		const deadline = Date.now() + 5000;
		let left;
		for (;;) {
			left = [...st.procs.values()].filter(alive);
			for (const [pid, p] of await runProcesses(st.rundir))
				if (!left.some((l) => l.pid === pid)) left.push({ pid, start: p.start, comm: p.comm });
			if (left.length === 0 || Date.now() > deadline) break;
			await sleep(50);
		}
		for (const l of left) {
			problems.push(`left running after "numdialer stop": pid ${l.pid} (${l.comm}) ${cmdline(l.pid)}`);
			try { process.kill(l.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
		}
		try {
			for (const n of fs.readdirSync(st.rundir))
				if (n.endsWith('.log')) problems.push(...sanitizerReports(path.join(st.rundir, n)));
		} catch { /* no run dir */ }
		return problems;
	}

	async stopSim(sim) {
		const problems = [];
		if (sim.exited) return sanitizerReports(sim.logFile);
		try { process.kill(sim.pid, 'SIGTERM'); } catch { /* gone */ }
		const deadline = Date.now() + 5000;
		while (!sim.exited && Date.now() < deadline) await sleep(20);
		if (!sim.exited) {
			problems.push(`apisim pid ${sim.pid} still running 5 s after SIGTERM`);
			try { process.kill(sim.pid, 'SIGKILL'); } catch { /* gone */ }
			await sleep(100);
		}
		problems.push(...sanitizerReports(sim.logFile));
		return problems;
	}

	// Stops everything; throws if something was left running.
	async close() {
		if (this.closed) return;
		this.closed = true;
		const problems = [];
		for (const st of this.stacks.reverse()) problems.push(...await this.stopStack(st));
		for (const sim of this.sims.reverse()) problems.push(...await this.stopSim(sim));
		if (!process.env.NUMDIALER_KEEP)
			for (const d of this.dirs) await fsp.rm(d, { recursive: true, force: true }).catch(() => {});
		if (problems.length) throw new Error(problems.join('\n'));
	}
}

// Runs body(session) and always closes the session; on failure prints the
// logs of what ran before the error is rethrown.
export async function withSession(t, body) {
	// t.after also closes it, for a test ended by its timeout.
	const s = new Session(t);
	let err;
	try {
		await body(s);
	} catch (e) {
		err = e;
		for (const st of s.stacks) console.log(s.logs(st));
		for (const sim of s.sims) console.log(`--- apisim ${sim.args.join(' ')}:\n${tail(sim.logFile)}`);
	}
	let cerr;
	try { await s.close(); } catch (e) { cerr = e; }
	if (err && cerr) err.message += `\nand at cleanup: ${cerr.message}`;
	if (err) throw err;
	if (cerr) throw cerr;
}

// Waits until apisim has nothing in flight and its counters stopped moving
// for settleMs (a late webhook waits up to the delay maximum).
export async function waitSimSettled(sim, settleMs, timeoutMs = 30000) {
	const deadline = Date.now() + timeoutMs;
	let prev = JSON.stringify(await sim.stats());
	for (;;) {
		await sleep(settleMs);
		const now = await sim.stats();
		const j = JSON.stringify(now);
		if (j === prev && now.in_flight === 0) return now;
		if (Date.now() > deadline) throw new Error(`apisim did not settle in ${timeoutMs} ms: ${j}`);
		prev = j;
	}
}

// The phones of a number-list file as the program reads them (numbers.c):
// blank lines and lines whose first non-blank is '#' are skipped, and an
// entry ends before a '#' that follows a blank. Entries are not checked:
// the lists read here are ones the program takes.
export function readNumbers(file) {
	const out = [];
	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		const entry = line.replace(/^[ \t\r\v\f]+/, '');
		if (entry === '' || entry.startsWith('#')) continue;
		out.push(entry.replace(/[ \t\r\v\f]#.*$/, '').replace(/[ \t\r\v\f]+$/, ''));
	}
	return out;
}

export async function writeNumbers(dir, name, phones) {
	const f = path.join(dir, name);
	await fsp.writeFile(f, phones.join('\n') + '\n');
	return f;
}

// A stand-in telephony API: answers POST /call with {"id": idFor(n)} (the
// n-th call, from 0; 1234 + n by default), records each call's body, and
// never sends a webhook, so the campaign moves only by the test's own
// webhooks. Each recorded call also has its webhook URL split into row and
// key (the only place the key appears). close() stops it. With forward
// (an API's base URL, apisim's), each POST /call is passed on to it and its
// answer given back: the API dials, and the calls are recorded on the way,
// the first keep of them.
export async function standInApi({ idFor = (n) => 1234 + n, forward, keep = Infinity } = {}) {
	const calls = [];
	const port = await freePort();
	const srv = http.createServer((req, res) => {
		let body = '';
		req.on('data', (d) => { body += d; });
		req.on('end', async () => {
			if (req.method !== 'POST' || req.url !== '/call') {
				res.writeHead(404, { 'Content-Type': 'application/json' });
				res.end('{"error":"not found"}');
				return;
			}
			let j;
			try { j = JSON.parse(body); } catch { j = {}; }
			let id = idFor(calls.length);
			let status = 200;
			let answer = JSON.stringify({ id });
			if (forward) {
				try {
					const r = await fetch(`${forward}/call`, { method: 'POST', body,
					    headers: { 'Content-Type': req.headers['content-type'] || 'application/json' } });
					status = r.status;
					answer = await r.text();
					id = JSON.parse(answer).id;
				} catch {
					status = 502;
					answer = '{"error":"the API behind did not answer"}';
				}
			}
			const m = /\/webhook\/(\d+)\/([0-9a-f]+)$/.exec(j.webhookURL || '');
			if (calls.length < keep)
				calls.push({ ...j, id, row: m ? Number(m[1]) : undefined, key: m ? m[2] : undefined });
			res.writeHead(status, { 'Content-Type': 'application/json' });
			res.end(answer);
		});
	});
	srv.listen(port, '127.0.0.1');
	await once(srv, 'listening');
	return {
		url: `http://127.0.0.1:${port}`,
		calls,
		close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }),
	};
}
