// The benchmark's rows, one function each. A row starts what it measures on
// free ports, measures, stops it all, and returns its figures: [{name,
// value, unit, base: {label, value} or null, target: {text, ok}, note}].
// A figure's base is measured in the same run; a target is judged, never
// enforced. Sizes come from run.mjs (full or smoke).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	Session, BUILD, ROOT, getJSON, postJSON, residentMemory, resetPeakMemory, standInApi, waitAllTerminal,
	waitSimSettled, writeNumbers,
} from '../../tests/system/harness.mjs';
import { flood, hardFileLimit, probe } from '../../tests/system/flood.mjs';
import {
	directClient, exchange, longPoll, memory, openFiles, percentile, phones, recordedHooks,
	startLighttpd, startNginx, untilProgramAnswers, wrk,
} from './tools.mjs';
import { cpuMs, drippers, fcgiSocket, stalledReaders } from '../../tests/system/slow.mjs';

const RESPONDER = path.join(BUILD, 'bench', 'empty_responder');
const FCGI = path.join(BUILD, 'numdialer.fcgi');
const WRK_CONNECTIONS = 8;          // both servers get the same load
// The empty responder behind nginx: each idle kept connection holds one of
// its threads (libfcgi's blocking accept), so it gets more than nginx
// holds at most, the upstream's keepalive (16) and the requests at once.
const NGINX_KEEPALIVE = 16;         // conf/nginx.conf
const RESPONDER_NGINX_THREADS = NGINX_KEEPALIVE + WRK_CONNECTIONS;
const WATCH_BATCH = 250;            // long-polls opened at once
const WATCH_BACKLOG = 1000;         // most opened but not yet parked (lighttpd's backlog to the program is 4096)
const WATCH_PARK_WAIT_MS = 6000;    // well inside the program's 10 s long-poll
const WATCH_SETTLE_MS = 300;        // after the last one parks, before memory is read
const WATCH_ANSWER_WAIT_MS = 15000; // a watcher with no news is answered after 10 s
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

// A zero-delay campaign of n numbers to its end; the rate and the
// simulator's /stats.
async function campaign(s, n, seed) {
	const file = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(n));
	const sim = await s.apisim({ delayMaxMs: 0, seed, numbers: file });
	const st = await s.stack({ api: sim.url, numbers: file });
	const t0 = performance.now();
	await post(`${st.base}/call`);
	const fin = await waitAllTerminal(st.base, CAMPAIGN_WAIT_MS);
	const secs = (performance.now() - t0) / 1000;
	const stats = await sim.stats();
	const done = fin.rows.filter((r) => r.status === 'completed').length;
	return { rate: n / secs, secs, stats, done };
}

// --- refill latency ------------------------------------------------------

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
				target: { text: p === 'p99' ? '<= 1 ms' : '', ok: null },
				note: 'not measured: the simulator\'s /stats has no "refill" figures',
			}));
		}
		const base = d.refill?.samples > 0 ? d.refill : null;
		const note = `${rf.samples} refills in ${size.refillCalls} calls, max ${r3(rf.max_us / 1000)} ms` +
		    (base ? `; direct client: ${base.samples} refills` : '');
		return [
			{ name: 'refill latency p50', value: r3(rf.p50_us / 1000), unit: 'ms',
			    base: base && { label: 'direct client', value: r3(base.p50_us / 1000) },
			    target: { text: '', ok: null }, note },
			{ name: 'refill latency p99', value: r3(rf.p99_us / 1000), unit: 'ms',
			    base: base && { label: 'direct client', value: r3(base.p99_us / 1000) },
			    target: { text: '<= 1 ms', ok: rf.p99_us <= 1000 }, note },
		];
	});
}

// --- campaign throughput -------------------------------------------------

// Calls per second over a whole zero-delay campaign (followed to its end the
// way the page does), against 3 / the direct client's cycle.
export async function campaignRow(size) {
	return withStack(async (s) => {
		const d = await directFigures(s, size);
		const c = await campaign(s, size.campaignCalls, 3);
		const ceiling = 3000 / d.cycleMs;
		return [{
			name: `calls/s, ${size.campaignCalls.toLocaleString('en')} numbers, zero delay`,
			value: Math.round(c.rate), unit: 'calls/s',
			base: { label: '3 / direct cycle', value: Math.round(ceiling) },
			target: { text: 'ratio >= 0.8', ok: c.rate / ceiling >= 0.8 },
			note: `${c.secs.toFixed(1)} s, ${c.done} completed, ${c.stats.calls_placed} placed, ` +
			    `${c.stats.webhooks_failed} webhooks failed; direct client (${d.calls} calls): POST /call ` +
			    `${r3(d.postMs)} ms, cycle to the terminal webhook ${r3(d.cycleMs)} ms mean, ${r3(d.cycleP99Ms)} ms p99`,
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

// Parks n long-polls on the current version, reads the program's memory,
// makes change() and times each watcher's answer from just before it.
// warm() first sends a webhook that changes nothing: the first request
// after a quiet spell is slower, and that is not what is measured.
async function wake(st, pid, n, warm, change) {
	const ev = (await getJSON(`${st.base}/events`)).json;
	const q = `/events?since=${ev.version}&instance=${encodeURIComponent(ev.instance)}`;
	await sleep(WATCH_SETTLE_MS);
	const fd0 = openFiles(pid);
	const mem0 = memory(pid);
	const polls = [];
	try {
		while (polls.length < n) {
			const batch = [];
			for (let i = 0; i < WATCH_BATCH && polls.length < n; i++) {
				const p = longPoll(st.port, q);
				polls.push(p);
				batch.push(p.connected);
			}
			await Promise.all(batch);
			await until(() => openFiles(pid) >= fd0 + polls.length - WATCH_BACKLOG, WATCH_PARK_WAIT_MS);
		}
		const allParked = await until(() => openFiles(pid) >= fd0 + n, WATCH_PARK_WAIT_MS);
		await sleep(WATCH_SETTLE_MS);
		const parked = openFiles(pid) - fd0;
		const mem1 = memory(pid);
		await warm();
		const t0 = performance.now();
		await change();
		const timeout = sleep(WATCH_ANSWER_WAIT_MS).then(() => null);
		const answers = await Promise.race([Promise.all(polls.map((p) => p.answered)), timeout]);
		if (!answers) throw new Error(`not every watcher was answered within ${WATCH_ANSWER_WAIT_MS} ms`);
		const news = (a) => {
			try { return a.status === 200 && JSON.parse(a.body).version > ev.version; } catch { return false; }
		};
		const ms = answers.filter(news).map((a) => a.first - t0);
		return { n, parked, allParked, answered: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99),
		    max: Math.max(...ms), mem0, perWatcher: (mem1.dirty - mem0.dirty) / n, rssPerWatcher: (mem1.rss - mem0.rss) / n,
		    statuses: [...new Set(answers.map((a) => a.status))] };
	} finally {
		for (const p of polls) p.close();
	}
}

// n parked long-polls through lighttpd, then one status change (a webhook):
// when each watcher has it, against one watcher alone (the median of 3);
// and the FastCGI process's memory per parked watcher.
export async function watchersRow(size) {
	const api = await standInApi();
	try {
		return await withStack(async (s) => {
			const file = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(100));
			const st = await s.stack({ api: api.url, numbers: file });
			const pid = await st.fcgiPid();
			await post(`${st.base}/call`);
			const hooks = await recordedHooks(api, 3);
			// The change: a webhook on a fresh connection (node's http, whose
			// cost per request is the least of node's clients).
			const hook = (h, status) => async () => {
				const r = await exchange(`${st.base}${h.path}`, { method: 'POST',
				    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: h.id, status }) });
				if (r.status !== 200) throw new Error(`the webhook answered ${r.status}: ${r.body}`);
			};
			await sleep(WATCH_SETTLE_MS);
			const ones = [];
			// 'queued' ranks as 'dialing': below or equal to every row's status.
			const warm = hook(hooks[2], 'queued');
			for (const h of hooks) ones.push((await wake(st, pid, 1, warm, hook(h, 'ringing'))).p50);
			const one = { p50: percentile(ones, 50) };
			const many = await wake(st, pid, size.watchers, warm, hook(hooks[0], 'answered'));
			const note = `${many.parked} parked of ${many.n}${many.allParked ? '' : ' (not all parked in time)'}, ` +
			    `${many.answered} answered with the change (HTTP ${many.statuses.join(', ')}), max ${r1(many.max)} ms`;
			const kib = (b) => r3(b / 1024);
			return [
				{ name: `watchers: ${size.watchers.toLocaleString('en')} answered, p50`, value: r1(many.p50), unit: 'ms',
				    base: { label: '1 watcher', value: r1(one.p50) }, target: { text: '', ok: null }, note },
				{ name: `watchers: ${size.watchers.toLocaleString('en')} answered, p99`, value: r1(many.p99), unit: 'ms',
				    base: { label: '1 watcher', value: r1(one.p50) },
				    target: { text: '<= 250 ms', ok: many.answered === many.n && many.p99 <= 250 }, note },
				{ name: 'memory per parked watcher', value: kib(many.perWatcher), unit: 'KiB',
				    base: null, target: { text: '<= 4 KiB', ok: many.perWatcher <= 4096 },
				    note: `growth of the FastCGI process's private dirty memory (${r1(many.mem0.dirty / 1048576)} MiB ` +
				    `before) over ${many.n} watchers; RSS: ${kib(many.rssPerWatcher)} KiB each` },
			];
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

// One program with an n-number list behind its own lighttpd: start-up to the
// first full /events answer, memory, the full answer again, and the answer
// to ?since=V after one webhook.
async function listProbe(s, n) {
	const api = await standInApi();
	const file = await writeNumbers(await s.tmpdir(), 'numbers.txt', phones(n));
	const lt = await startLighttpd({ fcgi: FCGI, rundir: await s.tmpdir(),
	    env: { NUMDIALER_API: api.url, NUMDIALER_NUMBERS: file, NUMDIALER_SIM: 'off' } });
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
	const dir = await s.tmpdir();
	const sim = await s.apisim({ delayMaxMs: 0, seed: 9, acceptAny: true, paths: 'answer' });
	const file = await writeNumbers(dir, 'numbers.txt', phones(n));
	const lt = await startLighttpd({ fcgi: FCGI, rundir: await s.tmpdir(),
	    env: { NUMDIALER_API: sim.url, NUMDIALER_NUMBERS: file, NUMDIALER_SIM: 'off',
	        NUMDIALER_CONCURRENCY: String(HISTORY_LIMIT) } });
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
