// The benchmark's rows, one function each. A row starts what it measures on
// free ports, measures, stops it all, and returns its figures: [{name,
// value, unit, base: {label, value} or null, target: {text, ok}, note}].
// A figure's base is measured in the same run; a target is judged, never
// enforced. Sizes come from run.mjs (full or smoke).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	Session, BUILD, ROOT, TERMINAL, getJSON, postJSON, residentMemory, resetPeakMemory, standInApi,
	waitAllTerminal, waitSimSettled, writeNumbers,
} from '../../tests/system/harness.mjs';
import { flood, hardFileLimit, probe } from '../../tests/system/flood.mjs';
import {
	cpuSeconds, directClient, exchange, memory, openFiles, percentile, phones, recordedHooks,
	startLighttpd, startNginx, untilProgramAnswers, wrk,
} from './tools.mjs';
import { cpuMs, drippers, fcgiSocket, stalledReaders } from '../../tests/system/slow.mjs';

const RESPONDER = path.join(BUILD, 'bench', 'empty_responder');
const WATCHERS = path.join(BUILD, 'bench', 'watchers');
const FCGI = path.join(BUILD, 'numdialer.fcgi');
const WRK_CONNECTIONS = 8;          // both servers get the same load
// The empty responder behind nginx: each idle kept connection holds one of
// its threads (libfcgi's blocking accept), so it gets more than nginx
// holds at most, the upstream's keepalive (16) and the requests at once.
const NGINX_KEEPALIVE = 16;         // conf/nginx.conf
const RESPONDER_NGINX_THREADS = NGINX_KEEPALIVE + WRK_CONNECTIONS;
const WATCH_PARK_WAIT_MS = 6000;    // well inside the program's 10 s long-poll
const WATCH_SETTLE_MS = 300;        // after the last one parks, before memory is read
const WATCH_FD_SPARE = 200;         // of lighttpd's open files, for itself and the webhook
const WATCHERS_MAX = 8192;          // src/events.h EVENTS_WATCHERS_MAX: more are answered at once
const LIST_SETTLE_MS = 300;         // for the dialer to take the stand-in API's answers
const FLOOD_PROBE_MS = 20;          // a webhook started this often under attack
const FLOOD_FD_SPARE = 200;         // of the attacker's open files, for itself
const CAMPAIGN_WAIT_MS = 900000;
const SLOW_READERS = 6;             // more than the program's 4 request threads
const SLOW_DRIPPERS = 4;
const SLOW_DRIP_EVERY_MS = 3000;
const SLOW_SETTLE_MS = 1500;        // for the readers' answers to fill the buffers
const SLOW_HOOK_WAIT_MS = 10000;    // a webhook not answered by then counts at this
const HISTORY_LIMIT = 50;           // calls in flight while a list is dialed to its end
const HISTORY_POLL_MS = 1000;       // how often /metrics is asked whether it ended
const HISTORY_SETTLE_MS = 500;      // for the simulator's last webhooks
const FULL_DELAY_MAX_MS = 20;       // the simulator's delays while the list is dialed
const FULL_HOOKS_KEPT = 3;          // calls recorded on their way to the simulator
const FULL_LISTS = 3;               // lists in the program's memory at most (src/full.h:
                                    // FULL_LISTS_MAX being sent, one being made)

const r1 = (x) => Math.round(x * 10) / 10;
const r3 = (x) => Math.round(x * 1000) / 1000;

// Runs body(session) and closes the session, whatever happens.
async function withStack(body) {
	const s = new Session(null);
	let result;
	let err;
	try {
		result = await body(s);
	} catch (e) {
		err = e;
		for (const st of s.stacks) console.error(s.logs(st));
	}
	try {
		await s.close();
	} catch (e) {
		err = err || e;
	}
	if (err) throw err;
	return result;
}

async function post(url, value) {
	const r = await postJSON(url, value);
	if (r.status >= 300) throw new Error(`POST ${url} answered ${r.status}: ${r.text.slice(0, 200)}`);
	return r;
}

// --- webhook throughput --------------------------------------------------

// Valid webhooks through the web server (lighttpd, or nginx with its
// connections to the program kept) to numdialer.fcgi, against the empty
// responder behind the same web server configuration, under the same wrk
// load. The dialer's rows come from a campaign against a silent stand-in
// API; after one 'ringing' each, every replayed 'ringing' is a valid
// duplicate (applied: false), the common case of a webhook that changes
// nothing.
// A wrk run, with the CPU time the FastCGI program pid took per request
// (us, user and system; /proc's 10 ms ticks over a run of thousands).
async function wrkCpu(base, reqs, load, pid) {
	const before = cpuMs(pid);
	const w = await wrk(base, reqs, load);
	w.cpuUs = w.requests > 0 ? Math.round((cpuMs(pid) - before) * 1000 / w.requests) : NaN;
	return w;
}

async function webhookRowOn(server, size) {
	const api = await standInApi();
	let lt;
	try {
		return await withStack(async (s) => {
			const file = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(10));
			const st = await s.stack({ server, api: api.url, numbers: file });
			await post(`${st.base}/call`);
			const hooks = await recordedHooks(api, 3);
			const reqs = hooks.map((h) => ({ path: h.path, body: JSON.stringify({ id: h.id, status: 'ringing' }) }));
			for (const r of reqs) await post(`${st.base}${r.path}`, JSON.parse(r.body));
			const replay = await post(`${st.base}${reqs[0].path}`, JSON.parse(reqs[0].body));
			if (replay.json?.applied !== false) throw new Error(`a replayed webhook was not a duplicate: ${replay.text}`);

			lt = server === 'nginx'
			    ? await startNginx({ fcgi: RESPONDER, rundir: await s.tmpdir(),
			        args: [String(RESPONDER_NGINX_THREADS)] })
			    : await startLighttpd({ fcgi: RESPONDER, rundir: await s.tmpdir() });
			const probe = await exchange(`${lt.base}/call`, { retryUntil: Date.now() + 10000 });
			if (probe.status !== 200) throw new Error(`the empty responder answered ${probe.status}: ${lt.log()}`);

			// Alternate rounds, the best of each: other load on the machine
			// only ever lowers a round.
			const load = { seconds: size.webhookSeconds, connections: WRK_CONNECTIONS };
			const emptyPid = await lt.fcgiPid();
			const dialerPid = await st.fcgiPid();
			const best = (a, b) => (a && a.rps >= b.rps ? a : b);
			let empty;
			let dialer;
			for (let i = 0; i < size.webhookRounds; i++) {
				empty = best(empty, await wrkCpu(lt.base, reqs, load, emptyPid));
				dialer = best(dialer, await wrkCpu(st.base, reqs, load, dialerPid));
			}
			const bad = (w) => (w.non2xx || w.socketErrors ? ` (${w.non2xx} not 2xx; socket errors: ${w.socketErrors || 'none'})` : '');
			const ratio = 0.95;
			return [{
				name: `webhooks/s through ${server === 'nginx' ? 'nginx (kept connections)' : server} ` +
				    'to numdialer.fcgi',
				value: Math.round(dialer.rps), unit: 'req/s',
				base: { label: server === 'nginx' ? `empty responder, ${RESPONDER_NGINX_THREADS} threads`
				    : 'empty responder', value: Math.round(empty.rps) },
				target: { text: `ratio >= ${ratio}`, ok: dialer.rps / empty.rps >= ratio },
				note: `wrk, ${WRK_CONNECTIONS} connections, best of ${size.webhookRounds} alternating rounds of ` +
				    `${size.webhookSeconds} s; the program's CPU per request ${dialer.cpuUs} us vs ` +
				    `${empty.cpuUs} us; latency p50/p99 ` +
				    `${dialer.p50ms}/${dialer.p99ms} ms vs ${empty.p50ms}/${empty.p99ms} ms${bad(dialer)}${bad(empty)}`,
				raw: { dialer: { ...dialer, output: undefined }, empty: { ...empty, output: undefined } },
			}];
		});
	} finally {
		if (lt) await lt.stop();
		await api.close();
	}
}

export const webhookRow = (size) => webhookRowOn('lighttpd', size);
export const webhookNginxRow = (size) => webhookRowOn('nginx', size);

// --- the direct client: the API's own pace ----------------------------

// Run once, shared by the refill and campaign rows: its own simulator with
// the same flags as theirs and a list with calls left after its last.
let direct;
async function directFigures(s, size) {
	if (direct) return direct;
	const list = phones(size.directCalls + 10);
	const file = await writeNumbers(await s.tmpdir(), 'direct.txt', list);
	const sim = await s.apisim({ delayMaxMs: 0, seed: 7, numbers: file });
	const d = await directClient(sim.url, list, size.directCalls);
	const stats = await sim.stats();
	direct = { ...d, refill: stats.refill };
	return direct;
}

// The processes a campaign runs on, by name: pid.
async function campaignPids(st, sim) {
	const lighttpd = [...st.procs.values()].find((p) => p.comm.startsWith('lighttpd'));
	return { program: await st.fcgiPid(), ...(lighttpd ? { lighttpd: lighttpd.pid } : {}), simulator: sim.pid };
}

// The CPU seconds used so far by each of pids and by this process (the
// follower).
function cpuNow(pids) {
	const own = process.cpuUsage();
	return { ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)])),
	    follower: (own.user + own.system) / 1e6 };
}

// A /metrics histogram's sum (in seconds) and count of samples.
const histogramTotals = (text, name) => ({
	sum: Number(new RegExp(`^${name}_sum (\\S+)$`, 'm').exec(text)?.[1]),
	n: Number(new RegExp(`^${name}_count (\\d+)$`, 'm').exec(text)?.[1]),
});

// The upper bound, in ms, of the histogram bucket of a /metrics text that
// holds the p-th percentile of name's samples, or null with none.
function histogramPercentileMs(text, name, p) {
	const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))]
	    .map((m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, count: Number(m[2]) }));
	const total = buckets.at(-1)?.count;
	if (!total) return null;
	return buckets.find((b) => b.count >= (p / 100) * total).le;
}

// A zero-delay campaign of n numbers to its end, followed the way the page
// does: the rate; when each tenth of the rows had ended, as the follower
// saw it; the CPU time each process spent per call; the simulator's /stats
// and the program's /metrics, both read once it ended (/stats lists every
// phone dialed: read during the run, it would cost more as the run goes
// on).
async function campaign(s, n, seed) {
	const file = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(n));
	const sim = await s.apisim({ delayMaxMs: 0, seed, numbers: file });
	const st = await s.stack({ api: sim.url, numbers: file });
	const pids = await campaignPids(st, sim);
	const ended = new Uint8Array(n);
	let count = 0;
	// Per answer: when it was read and the rows ended by then; the first
	// to pass each tenth, the CPU time used so far too.
	const seen = [];
	let mark = n / 10;
	const follow = (body) => {
		for (const c of body.calls) {
			if (TERMINAL.has(c.status) && !ended[c.row]) {
				ended[c.row] = 1;
				count++;
			}
		}
		const point = { t: performance.now(), count };
		if (count >= mark) {
			point.cpu = cpuNow(pids);
			while (count >= mark) mark += n / 10;
		}
		seen.push(point);
	};
	const cpu0 = cpuNow(pids);
	const t0 = performance.now();
	seen.push({ t: t0, count: 0, cpu: cpu0 });
	await post(`${st.base}/call`);
	const fin = await waitAllTerminal(st.base, CAMPAIGN_WAIT_MS, { onResponse: follow });
	const secs = (performance.now() - t0) / 1000;
	const cpu1 = cpuNow(pids);
	const cpuUs = Object.fromEntries(Object.keys(cpu1).map((k) => [k, ((cpu1[k] - cpu0[k]) / n) * 1e6]));
	const stats = await sim.stats();
	const metrics = (await exchange(`${st.base}/metrics`)).body.toString();
	const done = fin.rows.filter((r) => r.status === 'completed').length;
	// The first answer by which each tenth of the rows had ended.
	const tenths = [seen[0]];
	for (let k = 1; k <= 10; k++) tenths.push(seen.find((p) => p.count >= (k * n) / 10));
	return { rate: n / secs, secs, stats, metrics, done, tenths, cpuUs };
}

// Calls per second from the follower's answer a to its answer b; null when
// one answer carried both.
const rateBetween = (a, b) => (b.t > a.t ? ((b.count - a.count) * 1000) / (b.t - a.t) : null);

// The CPU time, in us, all the processes spent per call from a to b: what
// other load on the machine does not move, unlike the rate.
const cpuBetween = (a, b) => (b.count > a.count
    ? (Object.keys(b.cpu).reduce((sum, k) => sum + b.cpu[k] - a.cpu[k], 0) * 1e6) / (b.count - a.count) : NaN);

// Each process's CPU time, in us, per call from a to b.
const cpuEach = (a, b) => Object.keys(b.cpu)
    .map((k) => `${k} ${Math.round(((b.cpu[k] - a.cpu[k]) * 1e6) / (b.count - a.count))}`).join(', ');

// --- refill latency ------------------------------------------------------

// The program's own share of a refill, from its /metrics: the webhook that
// freed a slot, taken, to the next POST /call leaving.
function programRefill(metrics) {
	const name = 'numdialer_refill_latency_seconds';
	const { sum, n } = histogramTotals(metrics, name);
	if (!(n > 0)) return 'the program\'s /metrics has no refill samples';
	const le = (p) => histogramPercentileMs(metrics, name, p);
	return `in the program (its /metrics: the webhook taken -> the POST /call leaving), ${n} samples, ` +
	    `mean ${r3((sum / n) * 1000)} ms, p50 <= ${le(50)} ms, p99 <= ${le(99)} ms`;
}

// From a terminal webhook's sending to the next POST /call's arrival, as the
// simulator sees it ("refill" in its /stats), in a zero-delay campaign;
// against the same figure for the direct client, which places its next
// call the moment it has answered a terminal webhook.
export async function refillRow(size) {
	return withStack(async (s) => {
		const d = await directFigures(s, size);
		const c = await campaign(s, size.refillCalls, 5);
		const rf = c.stats.refill;
		if (!rf || !(rf.samples > 0)) {
			return ['p50', 'p99'].map((p) => ({
				name: `refill latency ${p}`, value: null, unit: 'ms', base: null,
				target: { text: p === 'p99' ? 'ratio <= 1.5' : '', ok: null },
				note: 'not measured: the simulator\'s /stats has no "refill" figures',
			}));
		}
		const base = d.refill?.samples > 0 ? d.refill : null;
		const note = `${rf.samples} refills in ${size.refillCalls} calls, max ${r3(rf.max_us / 1000)} ms` +
		    (base ? `; direct client: ${base.samples} refills` : '') + `; ${programRefill(c.metrics)}`;
		return [
			{ name: 'refill latency p50', value: r3(rf.p50_us / 1000), unit: 'ms',
			    base: base && { label: 'direct client', value: r3(base.p50_us / 1000) },
			    target: { text: '', ok: null }, note },
			{ name: 'refill latency p99', value: r3(rf.p99_us / 1000), unit: 'ms',
			    base: base && { label: 'direct client', value: r3(base.p99_us / 1000) },
			    target: { text: 'ratio <= 1.5', ok: base ? rf.p99_us / base.p99_us <= 1.5 : null }, note },
		];
	});
}

// --- campaign throughput -------------------------------------------------

// How much of a campaign of secs seconds had a POST /call in flight (the
// dialer sends one at a time), from the program's /metrics: the sum of its
// POST /call durations over secs, and their mean in ms.
function postsInFlight(metrics, secs) {
	const { sum, n } = histogramTotals(metrics, 'numdialer_api_request_duration_seconds');
	if (!(n > 0)) return 'the program\'s /metrics has no POST /call durations';
	return `a POST /call in flight ${r3(sum / secs)} of the run (${n} POSTs, ${r3((sum / n) * 1000)} ms mean, ` +
	    'the program\'s /metrics)';
}

// Calls per second over a whole zero-delay campaign (followed to its end the
// way the page does), against 3 / the direct client's cycle; and whether a
// call costs more as the run goes on: the rate over its last tenth against
// that over its second (the first holds the start).
export async function campaignRow(size) {
	return withStack(async (s) => {
		const d = await directFigures(s, size);
		const c = await campaign(s, size.campaignCalls, 3);
		const ceiling = 3000 / d.cycleMs;
		const N = size.campaignCalls.toLocaleString('en');
		const t = c.tenths;
		const second = rateBetween(t[1], t[2]);
		const last = rateBetween(t[9], t[10]);
		const cpu = Object.entries(c.cpuUs).map(([k, us]) => `${k} ${Math.round(us)}`).join(', ');
		const cpuTotal = Object.values(c.cpuUs).reduce((a, b) => a + b, 0);
		const cores = os.cpus().length;
		return [{
			name: `calls/s, ${N} numbers, zero delay`,
			value: Math.round(c.rate), unit: 'calls/s',
			base: { label: '3 / direct cycle', value: Math.round(ceiling) },
			target: { text: 'ratio >= 0.8', ok: c.rate / ceiling >= 0.8 },
			note: `${c.secs.toFixed(1)} s, ${c.done} completed, ${c.stats.calls_placed} placed, ` +
			    `${c.stats.webhooks_failed} webhooks failed; direct client (${d.calls} calls): POST /call ` +
			    `${r3(d.postMs)} ms, cycle to the terminal webhook ${r3(d.cycleMs)} ms mean, ${r3(d.cycleP99Ms)} ms p99; ` +
			    `CPU per call (us): ${cpu}; ${cores} cores / their sum: ${Math.round((cores * 1e6) / cpuTotal)} calls/s; ` +
			    `${postsInFlight(c.metrics, c.secs)}; one POST /call at a time as fast as the direct ` +
			    `client's: ${Math.round(1000 / d.postMs)} calls/s (ratio ${r3((c.rate * d.postMs) / 1000)})`,
		}, {
			name: `calls/s over the last tenth of ${N} numbers`,
			value: last === null ? null : Math.round(last), unit: 'calls/s',
			base: second === null ? null : { label: 'the second tenth', value: Math.round(second) },
			target: { text: 'ratio >= 0.9', ok: last === null || second === null ? null : last / second >= 0.9 },
			note: last === null || second === null ? 'not measured: one answer to the follower held a whole tenth'
			    : `as the follower saw rows end; the tenths in calls/s: ${t.slice(1).map((p, i) =>
			    Math.round(rateBetween(t[i], p) ?? NaN)).join(', ')}; CPU per call of all the processes ` +
			    `(us): ${t.slice(1).map((p, i) => Math.round(cpuBetween(t[i], p))).join(', ')}; each ` +
			    `process's, the second tenth: ${cpuEach(t[1], t[2])}; the last: ${cpuEach(t[9], t[10])}`,
		}];
	});
}

// --- watchers ----------------------------------------------------------

async function until(cond, timeoutMs, pauseMs = 10) {
	const deadline = Date.now() + timeoutMs;
	while (!cond()) {
		if (Date.now() > deadline) return false;
		await sleep(pauseMs);
	}
	return true;
}

// The C client (scripts/bench/watchers.c) parking n long-polls of watch at
// port, then sending one webhook when told: its JSON lines, one at a time.
function watcherClient(port, n, watch, hook, body) {
	const child = spawn(WATCHERS, [String(port), String(n), watch, hook, body],
	    { stdio: ['pipe', 'pipe', 'inherit'] });
	const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
	const exited = once(child, 'exit');
	return {
		async line() {
			const { value, done } = await lines.next();
			if (done) throw new Error(`the watchers client ended (exit ${(await exited)[0]}) without a result`);
			return JSON.parse(value);
		},
		go: () => child.stdin.write('go\n'),
		async stop() {
			if (child.exitCode === null && child.signalCode === null) child.kill();
			await exited;
		},
	};
}

// Parks n long-polls on the current version, reads the program's memory,
// sends the webhook (path, body) and times each watcher's answer from just
// before it, all from the C client, on one clock. warm() first sends a
// webhook that changes nothing (checked: a change would wake them early):
// the first request after a quiet spell is slower, and that is not what
// is measured.
async function wake(st, pid, n, warm, change) {
	const ev = (await getJSON(`${st.base}/events`)).json;
	const q = `/events?since=${ev.version}&instance=${encodeURIComponent(ev.instance)}`;
	await sleep(WATCH_SETTLE_MS);
	const fd0 = openFiles(pid);
	const mem0 = memory(pid);
	const client = watcherClient(st.port, n, q, change.path, change.body);
	try {
		const sent = await client.line();
		const allParked = await until(() => openFiles(pid) >= fd0 + n, WATCH_PARK_WAIT_MS);
		await sleep(WATCH_SETTLE_MS);
		const parked = openFiles(pid) - fd0;
		const mem1 = memory(pid);
		await warm();
		const still = (await getJSON(`${st.base}/events`)).json;
		if (still.version !== ev.version) throw new Error('the warm-up webhook changed the campaign');
		client.go();
		const done = await client.line();
		if (done.hook[1] !== 200) throw new Error(`the webhook answered ${done.hook[1]}`);
		const news = done.watchers.filter(([ms, status, version]) => ms !== null && status === 200 && version > ev.version);
		const ms = news.map(([t]) => t);
		return { n, sent: sent.sent, parked, allParked, answered: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99),
		    max: Math.max(...ms), mem0, perWatcher: (mem1.dirty - mem0.dirty) / n, rssPerWatcher: (mem1.rss - mem0.rss) / n,
		    statuses: [...new Set(done.watchers.map(([, status]) => status))] };
	} finally {
		await client.stop();
	}
}

// The most long-polls that lighttpd can hold here: two descriptors each
// (the client's connection and the program's), within its open files (the
// hard limit, when it is below the 32,768 it asks for); and the program
// keeps WATCHERS_MAX waiting.
function mostWatchers(n) {
	return Math.min(n, WATCHERS_MAX, Math.floor((Math.min(hardFileLimit(), 32768) - WATCH_FD_SPARE) / 2));
}

// n parked long-polls through lighttpd, then one status change (a webhook):
// when each watcher has it, against one watcher alone (the median of 3);
// and the FastCGI process's memory per parked watcher. At the target's size
// and at the most that fit.
export async function watchersRow(size) {
	const api = await standInApi();
	try {
		return await withStack(async (s) => {
			const file = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(100));
			const st = await s.stack({ api: api.url, numbers: file });
			const pid = await st.fcgiPid();
			await post(`${st.base}/call`);
			const hooks = await recordedHooks(api, 3);
			const hook = (h, status) => ({ path: h.path, body: JSON.stringify({ id: h.id, status }) });
			// The warm-up, from node on a fresh connection: a webhook the
			// program refuses (a status it does not know), which changes
			// nothing; any that it takes, even a late one, is kept in the
			// row's history and moves the version.
			const refused = hook(hooks[2], 'no-such-status');
			const warm = async () => {
				const r = await exchange(`${st.base}${refused.path}`, { method: 'POST',
				    headers: { 'Content-Type': 'application/json' }, body: refused.body });
				if (r.status !== 422) throw new Error(`the refused webhook answered ${r.status}: ${r.body}`);
			};
			await sleep(WATCH_SETTLE_MS);
			const ones = [];
			for (const h of hooks) ones.push((await wake(st, pid, 1, warm, hook(h, 'ringing'))).p50);
			const one = { p50: percentile(ones, 50) };
			// Each change moves a row's status further, so each wakes its watchers.
			const most = mostWatchers(size.watchersMost);
			const runs = [[size.watchers, 'answered'], [most, 'completed']];
			const figures = [];
			let mem;
			for (const [n, status] of runs) {
				const many = await wake(st, pid, n, warm, hook(hooks[0], status));
				mem ??= many;
				const count = n.toLocaleString('en');
				const why = n === most && most < size.watchersMost ? ` (${size.watchersMost.toLocaleString('en')} asked: the program keeps ` +
				    `${WATCHERS_MAX.toLocaleString('en')} waiting, and each holds 2 of lighttpd's ` +
				    `${Math.min(hardFileLimit(), 32768).toLocaleString('en')} open files)` : '';
				const note = `${many.sent} sent, ${many.parked} parked of ${many.n}${many.allParked ? '' : ' (not all parked in time)'}, ` +
				    `${many.answered} answered with the change (HTTP ${many.statuses.join(', ')}), max ${r1(many.max)} ms${why}`;
				figures.push(
					{ name: `watchers: ${count} answered, p50`, value: r1(many.p50), unit: 'ms',
					    base: { label: '1 watcher', value: r1(one.p50) }, target: { text: '', ok: null }, note },
					{ name: `watchers: ${count} answered, p99`, value: r1(many.p99), unit: 'ms',
					    base: { label: '1 watcher', value: r1(one.p50) },
					    target: n === size.watchers ? { text: '<= 250 ms', ok: many.answered === many.n && many.p99 <= 250 } :
					        { text: '', ok: null }, note });
			}
			const kib = (b) => r3(b / 1024);
			figures.push({ name: 'memory per parked watcher', value: kib(mem.perWatcher), unit: 'KiB',
			    base: null, target: { text: '<= 4 KiB', ok: mem.perWatcher <= 4096 },
			    note: `growth of the FastCGI process's private dirty memory (${r1(mem.mem0.dirty / 1048576)} MiB ` +
			    `before) over ${mem.n} watchers; RSS: ${kib(mem.rssPerWatcher)} KiB each` });
			return figures;
		});
	} finally {
		await api.close();
	}
}

// --- webhooks under attack ---------------------------------------------

// A stack dialing 3 calls against a silent stand-in API, one 'ringing'
// applied to the first: replayed, it is a valid webhook that changes
// nothing (no watcher is woken, so an attack keeps its hold).
async function ringingStack(s, api, server) {
	const file = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(10));
	const st = await s.stack({ server, api: api.url, numbers: file });
	await post(`${st.base}/call`);
	const [h] = await recordedHooks(api, 3);
	const body = JSON.stringify({ id: h.id, status: 'ringing' });
	await post(`${st.base}${h.path}`, JSON.parse(body));
	return { st, hook: `${st.base}${h.path}`, body };
}

function latency(samples) {
	const ms = samples.map((x) => x.ms);
	return { n: samples.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms),
	    failed: samples.filter((x) => x.status !== 200).length };
}

// Webhook answer times on one fresh stack: seconds with no attack, then
// during an attack, from its start to seconds after it is in place (the
// long-polls dropped) or to its end (the slowloris).
async function underAttack(server, kind, count, seconds) {
	const api = await standInApi();
	try {
		return await withStack(async (s) => {
			const { st, hook, body } = await ringingStack(s, api, server);
			const quiet = latency(await probe(hook, body, { intervalMs: FLOOD_PROBE_MS, stop: sleep(seconds * 1000) }));
			let arg = seconds;
			if (kind === 'polls') {
				const ev = (await getJSON(`${st.base}/events`)).json;
				arg = `/events?since=${ev.version}&instance=${ev.instance}`;
			}
			const attack = flood(kind, st.port, count, arg);
			try {
				const stop = kind === 'polls' ? attack.ready.then(() => sleep(seconds * 1000)) : attack.done;
				const timed = probe(hook, body, { intervalMs: FLOOD_PROBE_MS, stop });
				const info = await attack.ready;
				await stop;
				return { quiet, loud: latency(await timed), opened: info.opened };
			} finally {
				await attack.stop();
			}
		});
	} finally {
		await api.close();
	}
}

// The webhook answer time (p99, fresh connections) while one client ties
// up the web server, behind lighttpd and nginx: long-polls opened and
// dropped at once (pages that left), and slowloris connections; against
// the same stack with no attack.
export async function floodRow(size) {
	const figures = [];
	const cap = (n) => Math.min(n, hardFileLimit() - FLOOD_FD_SPARE);
	const attacks = [
		['polls', cap(size.floodPolls), (n) => `${n.toLocaleString('en')} long-polls dropped`],
		['slowloris', cap(size.floodSlowloris), (n) => `${n.toLocaleString('en')} slowloris connections`],
	];
	for (const server of ['lighttpd', 'nginx']) {
		for (const [kind, count, what] of attacks) {
			const r = await underAttack(server, kind, count, size.floodSeconds);
			const l = r.loud;
			figures.push({
				name: `webhook answer p99, ${what(count)}, ${server}`, value: r1(l.p99), unit: 'ms',
				base: { label: 'no attack', value: r1(r.quiet.p99) },
				target: { text: '< 100 ms', ok: l.p99 < 100 && l.failed === 0 },
				note: `${l.n} webhooks, one every ${FLOOD_PROBE_MS} ms on a fresh connection, p50 ${r1(l.p50)} ms, ` +
				    `max ${r1(l.max)} ms, ${l.failed} not answered 200; ${r.opened} of ${count} attack connections made; ` +
				    `no attack: p50 ${r1(r.quiet.p50)} ms, max ${r1(r.quiet.max)} ms`,
			});
		}
	}
	return figures;
}

// --- list scale ----------------------------------------------------------

// The instance and version of a full /events answer, read from its ends:
// parsing a million rows to learn two fields would cost more than the
// figures measured around it.
function answerHead(body) {
	const ends = body.subarray(0, 4096).toString() + body.subarray(Math.max(0, body.length - 4096)).toString();
	const instance = /"instance":\s*"([^"]*)"/.exec(ends)?.[1];
	const version = /"version":\s*(\d+)/.exec(ends)?.[1];
	if (instance !== undefined && version !== undefined) return { instance, version: Number(version) };
	return JSON.parse(body.toString());
}

// The program with a list of n numbers behind its own lighttpd, on the API
// at apiUrl, with env added to its settings: startLighttpd's server.
async function listLighttpd(s, apiUrl, n, env = {}) {
	const file = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(n));
	return startLighttpd({ fcgi: FCGI, rundir: await s.tmpdir(),
	    env: { NUMDIALER_API: apiUrl, NUMDIALER_NUMBERS: file, NUMDIALER_SIM: 'off', ...env } });
}

// One program with an n-number list behind its own lighttpd: start-up to the
// first full /events answer, memory, the full answer again, and the answer
// to ?since=V after one webhook.
async function listProbe(s, n) {
	const api = await standInApi();
	const lt = await listLighttpd(s, api.url, n);
	try {
		await untilProgramAnswers(lt);
		const pid = await lt.fcgiPid();
		const memReady = memory(pid);
		const first = await exchange(`${lt.base}/events`);
		const startup = performance.now() - lt.spawnedAt;
		if (first.status !== 200) throw new Error(`GET /events answered ${first.status}`);
		const mem = memory(pid);
		const full = await exchange(`${lt.base}/events`, { headers: { 'Accept-Encoding': 'gzip' } });
		const head = answerHead(first.body);

		await post(`${lt.base}/call`);
		const [h] = await recordedHooks(api, Math.min(3, n));
		await sleep(LIST_SETTLE_MS);
		const q = (v) => `${lt.base}/events?since=${v}&instance=${encodeURIComponent(head.instance)}`;
		const v1 = JSON.parse((await exchange(q(head.version))).body.toString()).version;
		await post(`${lt.base}${h.path}`, { id: h.id, status: 'ringing' });
		const one = await exchange(q(v1));
		const oneRows = JSON.parse(one.body.toString()).calls.length;
		const encoding = full.headers['content-encoding'] || 'none';
		const unpack = { none: (b) => b, gzip: zlib.gunzipSync, deflate: zlib.inflateSync }[encoding];
		return { n, startup, memReady, mem, fullBytes: unpack ? unpack(full.body).length : NaN,
		    wireBytes: full.body.length, fullMs: full.ms, encoding, oneBytes: one.body.length, oneRows };
	} finally {
		await lt.stop();
		await api.close();
	}
}

// n numbers against one: start-up time, memory per number, the full /events
// answer, and the answer for one change, which must not grow with the list.
export async function listRow(size) {
	return withStack(async (s) => {
		const small = await listProbe(s, 1);
		const big = await listProbe(s, size.listNumbers);
		const per = (big.mem.dirty - small.mem.dirty) / (big.n - small.n);
		const perReady = (big.memReady.dirty - small.memReady.dirty) / (big.n - small.n);
		const perRss = (big.mem.rss - small.mem.rss) / (big.n - small.n);
		const N = big.n.toLocaleString('en');
		return [
			{ name: `start-up to the first /events, ${N} numbers`, value: Math.round(big.startup), unit: 'ms',
			    base: { label: '1 number', value: Math.round(small.startup) }, target: { text: '', ok: null },
			    note: 'lighttpd spawned -> the first full GET /events answer read' },
			{ name: 'memory per number', value: r1(per), unit: 'B', base: null,
			    target: { text: '<= 128 B', ok: per <= 128 },
			    note: `the FastCGI process's private dirty memory with ${N} numbers minus with 1 ` +
			    `(${r1(small.mem.dirty / 1048576)} MiB), after the first full /events; before it: ` +
			    `${r1(perReady)} B; RSS: ${r1(perRss)} B` },
			{ name: `full /events answer, ${N} numbers`, value: big.fullBytes, unit: 'bytes',
			    base: { label: '1 number', value: small.fullBytes },
			    target: { text: '', ok: null },
			    note: `${r1(big.fullBytes / big.n)} bytes per row; sent as ${big.encoding === 'none' ? 'is' :
			    `${big.encoding}: ${big.wireBytes.toLocaleString('en')} bytes`} to a client that accepts gzip` },
			{ name: `full /events answer time, ${N} numbers`, value: Math.round(big.fullMs), unit: 'ms',
			    base: { label: '1 number', value: r1(small.fullMs) }, target: { text: '', ok: null },
			    note: 'request sent (accepting gzip) -> last byte read, a fresh connection' },
			{ name: 'answer for one change', value: big.oneBytes, unit: 'bytes',
			    base: { label: '1 number', value: small.oneBytes },
			    target: { text: 'does not grow with the list', ok: big.oneRows === 1 && big.oneBytes <= small.oneBytes + 64 },
			    note: `${big.oneRows} row in it` },
		];
	});
}

// --- history -----------------------------------------------------------

// GET path read to its end and thrown away, counting bytes and lines: a
// report of a million rows is not held here either.
function download(base, path) {
	return new Promise((resolve, reject) => {
		http.get(`${base}${path}`, (res) => {
			let bytes = 0;
			let lines = 0;
			res.on('data', (d) => {
				bytes += d.length;
				for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
			});
			res.on('end', () => resolve({ status: res.statusCode, bytes, lines }));
			res.on('error', reject);
		}).on('error', reject);
	});
}

// n numbers dialed to their end on the simulator's answer path (the API's
// answer, ringing, answered, completed: four events a call), then each
// report downloaded: the program's memory once finished, and its peak
// while each report is written.
async function historyProbe(s, n) {
	const sim = await s.apisim({ delayMaxMs: 0, seed: 9, acceptAny: true, paths: 'answer' });
	const lt = await listLighttpd(s, sim.url, n, { NUMDIALER_CONCURRENCY: String(HISTORY_LIMIT) });
	try {
		await untilProgramAnswers(lt);
		const pid = await lt.fcgiPid();
		await post(`${lt.base}/call`);
		// /metrics, not /events: a full list of a million rows would be
		// the biggest thing in the program's memory.
		const t0 = performance.now();
		for (;;) {
			const m = (await exchange(`${lt.base}/metrics`)).body.toString();
			if (/^numdialer_campaign_state\{state="finished"\} 1$/m.test(m)) break;
			if (performance.now() - t0 > CAMPAIGN_WAIT_MS) throw new Error(`${n} numbers not finished in time`);
			await sleep(HISTORY_POLL_MS);
		}
		const secs = (performance.now() - t0) / 1000;
		await waitSimSettled(sim, HISTORY_SETTLE_MS, CAMPAIGN_WAIT_MS);
		const first = JSON.parse((await exchange(`${lt.base}/calls/0`)).body.toString());
		const mem = memory(pid);
		const reports = [];
		for (const path of ['/report.csv', '/report/events.csv']) {
			resetPeakMemory(pid);
			const before = residentMemory(pid);
			const got = await download(lt.base, path);
			if (got.status !== 200) throw new Error(`GET ${path} answered ${got.status}`);
			reports.push({ path, ...got, before: before.now, peak: residentMemory(pid).peak });
		}
		return { n, secs, mem, events: first.events.length, reports };
	} finally {
		await lt.stop();
	}
}

// A finished campaign's memory per number with every call's history, and
// the reports of its n rows streamed: the program's peak while each is
// written, against the report's size.
export async function historyRow(size) {
	return withStack(async (s) => {
		const small = await historyProbe(s, 1);
		const big = await historyProbe(s, size.historyNumbers);
		const per = (big.mem.dirty - small.mem.dirty) / (big.n - small.n);
		const N = big.n.toLocaleString('en');
		const mib = (x) => `${r1(x / 1048576)} MiB`;
		return [
			{ name: `memory per number, ${N} numbers finished, their histories kept`, value: r1(per), unit: 'B',
			    base: null, target: { text: '<= 128 B', ok: per <= 128 },
			    note: `private dirty memory once every call ended, minus with 1 number; ${big.events} events ` +
			    `in row 0's history; RSS ${mib(big.mem.rss)}; dialed in ${r1(big.secs)} s, ${HISTORY_LIMIT} at once` },
			...big.reports.map((r) => ({
				name: `growth while GET ${r.path} is written, ${N} rows`, value: Math.max(0, r.peak - r.before),
				unit: 'bytes', base: { label: 'the report', value: r.bytes },
				target: { text: 'far below the report', ok: r.peak - r.before < r.bytes / 10 },
				note: `${r.lines.toLocaleString('en')} lines; VmRSS ${mib(r.before)} before, VmHWM ${mib(r.peak)} ` +
				    'while it was written (reset just before)' })),
		];
	});
}

// --- the full list ------------------------------------------------------

// The counters of GET /metrics named by name (unlabeled), as numbers.
async function counters(base, ...names) {
	const text = (await exchange(`${base}/metrics`)).body.toString();
	return names.map((name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN));
}

// A list of n numbers dialed against the simulator behind lighttpd (the
// POST /calls recorded on their way, for a webhook to replay), and for each
// count of clients: webhooks timed while that many clients ask for the full
// /events again and again, the program's memory meanwhile, and the full
// lists made and answered.
async function fullProbe(s, n, clientCounts, seconds) {
	const sim = await s.apisim({ delayMaxMs: FULL_DELAY_MAX_MS, seed: 11, acceptAny: true });
	const api = await standInApi({ forward: sim.url, keep: FULL_HOOKS_KEPT });
	const lt = await listLighttpd(s, api.url, n);
	try {
		await untilProgramAnswers(lt);
		const pid = await lt.fcgiPid();
		await post(`${lt.base}/call`);
		// A valid webhook that goes through the campaign's lock: a late
		// 'ringing' of a call the simulator ends, kept in its history.
		const [h] = await recordedHooks(api, 1);
		const hook = `${lt.base}${h.path}`;
		const body = JSON.stringify({ id: h.id, status: 'ringing' });
		const phases = [];
		for (const clients of [0, ...clientCounts]) {
			const [renders0, answers0] = await counters(lt.base, 'numdialer_events_full_renders_total',
			    'numdialer_events_full_answers_total');
			resetPeakMemory(pid);
			const loop = clients > 0 ? flood('loop', lt.port, clients, '/events', seconds) : null;
			try {
				const stop = loop ? loop.ready.then(() => sleep(seconds * 1000)) : sleep(seconds * 1000);
				const timed = probe(hook, body, { intervalMs: FLOOD_PROBE_MS, stop });
				await stop;
				const mem = memory(pid);
				const samples = await timed;
				const done = loop ? await loop.done : { answered: {}, bytes: 0 };
				const [renders1, answers1] = await counters(lt.base, 'numdialer_events_full_renders_total',
				    'numdialer_events_full_answers_total');
				phases.push({ clients, hooks: latency(samples), mem, peak: residentMemory(pid).peak,
				    renders: renders1 - renders0, answers: answers1 - answers0,
				    got: done.answered['200'] || 0, failed: Object.entries(done.answered)
				        .filter(([k]) => k !== '200').reduce((a, [, v]) => a + v, 0), bytes: done.bytes });
			} finally {
				if (loop) await loop.stop();
			}
		}
		const [dialed] = await counters(lt.base, 'numdialer_calls_total');
		return { n, phases, dialed };
	} finally {
		await lt.stop();
		await api.close();
	}
}

// Webhook answer times behind lighttpd while clients loop on the full
// /events of a list being dialed, against the same webhooks with no such
// client; the program's memory with 1, 10 and 30 clients; lists made
// against lists answered.
export async function fullListRow(size) {
	return withStack(async (s) => {
		const r = await fullProbe(s, size.fullNumbers, size.fullClients, size.fullSeconds);
		const N = r.n.toLocaleString('en');
		const mib = (x) => r1(x / 1048576);
		const [quiet, ...loud] = r.phases;
		const most = loud.at(-1);
		const fewest = loud[0];
		const bodyBytes = most.got > 0 ? most.bytes / most.got : 0;
		const hooks = (p) => `${p.hooks.n} webhooks, one every ${FLOOD_PROBE_MS} ms on a fresh connection, ` +
		    `p50 ${r1(p.hooks.p50)} ms, max ${r1(p.hooks.max)} ms, ${p.hooks.failed} not answered 200`;
		const clientsNote = (p) => `${p.got} full answers read in ${size.fullSeconds} s ` +
		    `(${p.failed} failed), ${p.renders} lists made for ${p.answers} answers`;
		return [
			{ name: `webhook answer p99, ${most.clients} clients looping on the full /events of ${N} rows being dialed`,
			    value: r1(most.hooks.p99), unit: 'ms', base: { label: 'no such client', value: r1(quiet.hooks.p99) },
			    target: { text: '<= 2x and <= 10 ms', ok: most.hooks.failed === 0 &&
			        most.hooks.p99 <= 2 * quiet.hooks.p99 && most.hooks.p99 <= 10 },
			    note: `lighttpd, clients sending no Accept-Encoding; ${hooks(most)}; ${clientsNote(most)}; ` +
			    `no client: ${hooks(quiet)}; ${loud.slice(0, -1).map((p) => `${p.clients} clients: p99 ` +
			    `${r1(p.hooks.p99)} ms`).join(', ')}; ${r.dialed.toLocaleString('en')} rows dialed by the end` },
			{ name: `memory, ${most.clients} clients looping on the full /events of ${N} rows`,
			    value: most.peak, unit: 'bytes', base: { label: `${fewest.clients} client`, value: fewest.peak },
			    target: { text: `<= ${FULL_LISTS} answers over no client, whatever the clients`,
			        ok: loud.every((p) => p.peak - quiet.peak <= FULL_LISTS * bodyBytes * 1.05) },
			    note: `the FastCGI process's peak VmRSS while they looped (VmHWM, reset before); private dirty at the end: ` +
			    `${r.phases.map((p) => `${p.clients} clients ${mib(p.mem.dirty)} MiB (peak ${mib(p.peak)})`).join(', ')}; ` +
			    `one answer ${mib(bodyBytes)} MiB` },
			{ name: `full lists made for ${most.clients} clients looping`, value: most.renders, unit: 'count',
			    base: { label: 'answers', value: most.answers },
			    target: { text: 'fewer than the answers', ok: most.renders < most.answers },
			    note: loud.map((p) => `${p.clients} clients: ${clientsNote(p)}`).join('; ') },
		];
	});
}

// --- the page ----------------------------------------------------------

// Headless Chromium over the real stack (scripts/bench/page.mjs): first
// render and one change's cost with n numbers, against 9 numbers.
export async function pageRow(size) {
	const args = [path.join(ROOT, 'scripts', 'bench', 'page.mjs'), '--numbers', `9,${size.pageNumbers}`, ...size.pageArgs];
	const child = spawn(process.execPath, args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	child.stdout.on('data', (d) => { out += d; });
	child.stderr.on('data', (d) => { err += d; });
	const [code] = await once(child, 'exit');
	const line = out.split('\n').reverse().find((l) => l.startsWith('{"bench":"page"'));
	if (!line) throw new Error(`page.mjs exited ${code} with no figures:\n${out.slice(-2000)}${err.slice(-2000)}`);
	const { results } = JSON.parse(line);
	const small = results.find((r) => r.numbers === 9);
	const big = results.find((r) => r.numbers === size.pageNumbers);
	const N = size.pageNumbers.toLocaleString('en');
	const trouble = code === 0 ? '' : `; page.mjs exited ${code} (${results.map((r) =>
	    `${r.numbers} numbers: ${r.problems} problems, ${r.changes} changes seen`).join('; ')})`;
	return [
		{ name: `page: first render, ${N} numbers`, value: big.first_render_ms, unit: 'ms',
		    base: { label: '9 numbers', value: small.first_render_ms },
		    target: { text: '<= 1000 ms', ok: big.first_render_ms <= 1000 },
		    note: `headless Chromium, median of ${big.runs} loads; painted at ${big.first_paint_ms} ms; ` +
		    `${big.dom_rows} rows in the DOM${trouble}` },
		{ name: `page: one change, ${N} numbers`, value: big.change_ms_median, unit: 'ms',
		    base: { label: '9 numbers', value: small.change_ms_median },
		    target: { text: '<= 16 ms', ok: big.change_ms_median <= 16 },
		    note: `median of ${big.changes} answers after Call, mean ${big.change_ms_mean} ms, max ${big.change_ms_max} ms${trouble}` },
	];
}

// --- slow peers ----------------------------------------------------------

// Webhooks one after another for ms, each on a fresh connection: their
// answer times (a webhook not answered within SLOW_HOOK_WAIT_MS counts at
// that, as a failure) and the failures.
async function hookTimes(st, hooks, ms) {
	const times = [];
	let failed = 0;
	let turn = 0;
	const end = performance.now() + ms;
	while (performance.now() < end) {
		const h = hooks[turn++ % hooks.length];
		const t0 = performance.now();
		const r = await Promise.race([
			exchange(`${st.base}${h.path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
			    body: JSON.stringify({ id: h.id, status: 'ringing' }) }).catch(() => null),
			sleep(SLOW_HOOK_WAIT_MS).then(() => null),
		]);
		times.push(r === null ? SLOW_HOOK_WAIT_MS : performance.now() - t0);
		if (r === null || r.status !== 200) failed++;
	}
	return { times, failed, p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times) };
}

// Webhook answer times behind nginx (which passes answers on as its client
// reads them) with no attack, then while 6 clients ask for the full
// /events and never read it, then while 4 connections drip a request into
// the program's FastCGI socket a byte every 3 s.
export async function slowRow(size) {
	const api = await standInApi();
	try {
		return await withStack(async (s) => {
			const file = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(size.slowNumbers));
			const st = await s.stack({ server: 'nginx', api: api.url, numbers: file });
			await post(`${st.base}/call`);
			const hooks = await recordedHooks(api, 3);
			for (const h of hooks) await post(`${st.base}${h.path}`, { id: h.id, status: 'ringing' });
			const ms = size.slowSeconds * 1000;
			const calm = await hookTimes(st, hooks, ms);

			const readers = await stalledReaders(st.port, '/events', SLOW_READERS);
			let stalled;
			try {
				await sleep(SLOW_SETTLE_MS);
				stalled = await hookTimes(st, hooks, ms);
			} finally {
				readers.close();
			}
			const drips = await drippers(fcgiSocket(st), SLOW_DRIPPERS, SLOW_DRIP_EVERY_MS);
			let dripped;
			try {
				dripped = await hookTimes(st, hooks, ms);
			} finally {
				drips.close();
			}
			const N = size.slowNumbers.toLocaleString('en');
			const base = { label: 'no attack', value: r1(calm.p99) };
			const note = (m) => `webhooks one after another for ${size.slowSeconds} s behind nginx, a fresh ` +
			    `connection each: ${m.times.length - m.failed} answered 200, p50 ${r1(m.p50)} ms, max ` +
			    `${r1(m.max)} ms, ${m.failed} failed or not answered within ${SLOW_HOOK_WAIT_MS} ms; no attack: ` +
			    `${calm.times.length - calm.failed} answered, p50 ${r1(calm.p50)} ms, max ${r1(calm.max)} ms`;
			return [
				{ name: `webhook answer p99, ${SLOW_READERS} clients not reading a ${N}-row /events`,
				    value: r1(stalled.p99), unit: 'ms', base,
				    target: { text: '<= 100 ms', ok: stalled.failed === 0 && stalled.p99 <= 100 }, note: note(stalled) },
				{ name: `webhook answer p99, ${SLOW_DRIPPERS} requests dripped into the FastCGI socket`,
				    value: r1(dripped.p99), unit: 'ms', base,
				    target: { text: '<= 100 ms', ok: dripped.failed === 0 && dripped.p99 <= 100 }, note: note(dripped) },
			];
		});
	} finally {
		await api.close();
	}
}
