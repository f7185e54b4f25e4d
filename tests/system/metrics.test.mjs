// GET /metrics behind lighttpd and nginx: a whole campaign dialed against
// the simulator, then the metrics read with a Prometheus text-format parser
// and held against the simulator's GET /stats and the rows of GET /events.
// And the web servers' rule that serves /metrics to this machine only: a
// request from 127.0.0.2 (another loopback address, which a client socket
// can bind on Linux; the server still listens on 127.0.0.1) gets 403, while
// the same request from 127.0.0.1 gets the metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import {
	withSession, request, postJSON, waitAllTerminal, waitSimSettled,
	DEFAULT_ROWS, TERMINAL,
} from './harness.mjs';

const DELAY_MAX_MS = 300;
const LIMIT = 3;
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const FORGED_KEY = '0'.repeat(32);

// GET path from a client socket bound to localAddress; resolves
// { status, type, text }.
function getFrom(port, urlPath, localAddress) {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port, path: urlPath, localAddress,
		    headers: { Host: `127.0.0.1:${port}` }, timeout: 10000 }, (res) => {
			let text = '';
			res.setEncoding('utf8');
			res.on('data', (d) => { text += d; });
			res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], text }));
		});
		req.on('timeout', () => req.destroy(new Error(`GET ${urlPath} from ${localAddress}: no answer in 10 s`)));
		req.on('error', reject);
		req.end();
	});
}

// The metrics as a map name -> { type, help, samples }, each sample
// { labels, value } (a histogram's: { buckets, count, sum }), numbers parsed.
// Checks what the parser lets through: every family has its HELP and TYPE
// and the numdialer_ prefix, counters end in _total, values are numbers.
function parseMetrics(text) {
	const families = parsePrometheusTextFormat(text);
	const out = new Map();
	for (const f of families) {
		assert.ok(f.name.startsWith('numdialer_'), `${f.name}: the numdialer_ prefix`);
		assert.ok(f.help.length > 0, `${f.name}: a HELP line`);
		assert.ok(['COUNTER', 'GAUGE', 'HISTOGRAM'].includes(f.type), `${f.name}: TYPE ${f.type}`);
		assert.equal(f.name.endsWith('_total'), f.type === 'COUNTER', `${f.name}: _total if and only if a counter`);
		assert.ok(!out.has(f.name), `${f.name} once`);
		const num = (v, what) => {
			const n = Number(v);
			assert.ok(v !== undefined && Number.isFinite(n), `${f.name}${what}: a number, not ${v}`);
			return n;
		};
		const samples = f.metrics.map((m) => (f.type === 'HISTOGRAM'
		    ? { buckets: Object.fromEntries(Object.entries(m.buckets).map(([le, v]) => [le, num(v, `{le="${le}"}`)])),
		        count: num(m.count, '_count'), sum: num(m.sum, '_sum') }
		    : { labels: m.labels ?? {}, value: num(m.value, '') }));
		out.set(f.name, { type: f.type, help: f.help, samples });
	}
	return out;
}

// The value of the sample of name whose labels include labels.
function value(metrics, name, labels = {}) {
	const f = metrics.get(name);
	assert.ok(f, `${name} is there`);
	const s = f.samples.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
	assert.equal(s.length, 1, `${name}${JSON.stringify(labels)}: one sample (found ${s.length})`);
	return s[0].value;
}

// A histogram's buckets: cumulative, their +Inf is the count.
function checkHistogram(metrics, name) {
	const f = metrics.get(name);
	assert.ok(f && f.type === 'HISTOGRAM', `${name} is a histogram`);
	const h = f.samples[0];
	// In the order of their bounds (an object puts "1" and "10" first).
	const bounds = Object.keys(h.buckets).sort((a, b) => Number(a) - Number(b));
	assert.equal(bounds.at(-1), '+Inf', `${name}: a +Inf bucket`);
	assert.ok(bounds.length > 10, `${name}: ${bounds.length} buckets`);
	let prev = 0;
	for (const le of bounds) {
		const n = h.buckets[le];
		assert.ok(n >= prev, `${name}: buckets are cumulative (${le}: ${n} after ${prev})`);
		prev = n;
	}
	assert.equal(h.buckets['+Inf'], h.count, `${name}: the +Inf bucket is the count`);
	assert.ok(h.sum >= 0);
	return h;
}

async function readMetrics(base) {
	const r = await request(`${base}/metrics`);
	assert.equal(r.status, 200, r.text.slice(0, 300));
	assert.equal(r.headers.get('content-type'), CONTENT_TYPE);
	return { text: r.text, metrics: parseMetrics(r.text) };
}

for (const server of ['lighttpd', 'nginx']) {
	test(`GET /metrics tells a whole campaign as the simulator saw it, behind ${server}`,
	    { timeout: 120000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const sim = await s.apisim({ delayMaxMs: DELAY_MAX_MS, seed: 42 });
			const startedAfter = Date.now();
			const st = await s.stack({ server, api: sim.url,
			    env: { NUMDIALER_JOURNAL: path.join(dir, 'journal') } });

			// Before the start: ready, nothing dialed.
			let { metrics: m } = await readMetrics(st.base);
			assert.equal(value(m, 'numdialer_campaign_state', { state: 'ready' }), 1);
			assert.equal(m.get('numdialer_campaign_state').samples.length, 1, 'one state at a time');
			assert.equal(value(m, 'numdialer_list_rows'), DEFAULT_ROWS);
			assert.equal(value(m, 'numdialer_rows', { status: 'idle' }), DEFAULT_ROWS);
			assert.equal(value(m, 'numdialer_calls_total'), 0);
			assert.equal(value(m, 'numdialer_calls_in_flight_limit'), LIMIT);

			const go = await postJSON(`${st.base}/call`);
			assert.equal(go.status, 202, go.text);
			const fin = await waitAllTerminal(st.base, 60000);
			const stats = await waitSimSettled(sim, DELAY_MAX_MS + 300);
			assert.equal(stats.webhooks_failed, 0, 'every webhook answered 2xx');
			// A forged webhook: refused, and counted under its 403.
			const forged = await postJSON(`${st.base}/webhook/0/${FORGED_KEY}`, { id: 1, status: 'completed' });
			assert.equal(forged.status, 403, forged.text);

			const { text, metrics } = await readMetrics(st.base);
			m = metrics;
			const readAt = Date.now();
			t.diagnostic(`GET /metrics: ${text.length} bytes, ${m.size} metrics`);

			// Calls begun are the calls the API saw; each ended as its row.
			assert.equal(value(m, 'numdialer_calls_total'), stats.calls_placed);
			assert.equal(stats.calls_placed, DEFAULT_ROWS);
			const rows = {};
			for (const r of fin.rows) rows[r.status] = (rows[r.status] || 0) + 1;
			const ended = m.get('numdialer_calls_ended_total').samples;
			for (const sample of ended) {
				assert.ok(TERMINAL.has(sample.labels.status), `ended as ${sample.labels.status}: an end status`);
				assert.equal(sample.value, rows[sample.labels.status] ?? 0,
				    `calls ended ${sample.labels.status}: as many as rows (${JSON.stringify(rows)})`);
			}
			for (const status of Object.keys(rows))
				assert.ok(ended.some((e) => e.labels.status === status), `an ended counter for ${status}`);
			for (const sample of m.get('numdialer_rows').samples)
				assert.equal(sample.value, rows[sample.labels.status] ?? 0, `rows ${sample.labels.status}`);
			assert.equal(value(m, 'numdialer_calls_in_flight'), 0);
			assert.equal(value(m, 'numdialer_rows_awaiting_redial'), 0);
			assert.equal(value(m, 'numdialer_campaign_state', { state: 'finished' }), 1);

			// Each webhook the simulator sent got 200; the forged one 403.
			assert.equal(value(m, 'numdialer_webhooks_total', { code: '200' }),
			    stats.webhooks_sent - stats.webhooks_failed);
			assert.equal(value(m, 'numdialer_webhooks_total', { code: '403' }), 1);
			for (const sample of m.get('numdialer_webhooks_total').samples)
				if (!['200', '403'].includes(sample.labels.code))
					assert.equal(sample.value, 0, `webhooks answered ${sample.labels.code}`);

			// Every POST /call placed its call, and each took some time.
			assert.equal(value(m, 'numdialer_api_requests_total', { result: 'placed' }), stats.calls_placed);
			for (const result of ['unknown', 'retry', 'failed'])
				assert.equal(value(m, 'numdialer_api_requests_total', { result }), 0, result);
			const api = checkHistogram(m, 'numdialer_api_request_duration_seconds');
			assert.equal(api.count, stats.calls_placed);
			assert.ok(api.sum > 0);
			// A refill is timed from the webhook that ended a call to the
			// next POST /call, as the simulator pairs them (its refill
			// samples). The first calls fill slots no call freed: the
			// simulator may pair one of them with an end the dialer has
			// not heard yet, so it may count up to the limit more.
			const refill = checkHistogram(m, 'numdialer_refill_latency_seconds');
			t.diagnostic(`refill: ${refill.count} samples, mean ${(refill.sum / refill.count * 1000).toFixed(3)} ms; ` +
			    `the simulator's: ${JSON.stringify(stats.refill)}`);
			assert.ok(refill.count > 0, 'refills were timed');
			assert.ok(refill.count <= stats.refill.samples && refill.count >= stats.refill.samples - LIMIT,
			    `refills timed ${refill.count}, the simulator's ${stats.refill.samples}`);
			assert.ok(refill.count <= DEFAULT_ROWS - LIMIT);

			// The journal was written at each change, never failing.
			assert.ok(value(m, 'numdialer_journal_writes_total') >= DEFAULT_ROWS,
			    `journal writes: ${value(m, 'numdialer_journal_writes_total')}`);
			assert.equal(value(m, 'numdialer_journal_write_failures_total'), 0);

			// The process started within the test.
			const startedAt = value(m, 'numdialer_process_start_time_seconds') * 1000;
			assert.ok(startedAt >= startedAfter - 1000 && startedAt <= readAt,
			    `process start ${new Date(startedAt).toISOString()} within the test ` +
			    `(${new Date(startedAfter).toISOString()} .. ${new Date(readAt).toISOString()})`);

			// A parked long-poll is counted while it waits.
			assert.equal(value(m, 'numdialer_events_watchers'), 0);
			const poll = new AbortController();
			const parked = fetch(`${st.base}/events?since=${fin.version}&instance=${fin.instance}`,
			    { signal: poll.signal }).catch(() => {});
			let watchers = 0;
			for (const deadline = Date.now() + 5000; watchers !== 1 && Date.now() < deadline;) {
				await sleep(50);
				watchers = value((await readMetrics(st.base)).metrics, 'numdialer_events_watchers');
			}
			poll.abort();
			await parked;
			assert.equal(watchers, 1, 'one watcher parked');
		});
	});

	test(`GET /metrics is refused to another address, behind ${server}`, { timeout: 60000 }, async (t) => {
		await withSession(t, async (s) => {
			const sim = await s.apisim({ delayMaxMs: 0 });
			const st = await s.stack({ server, api: sim.url });
			const local = await getFrom(st.port, '/metrics', '127.0.0.1');
			assert.equal(local.status, 200, local.text.slice(0, 200));
			assert.equal(local.type, CONTENT_TYPE);
			assert.match(local.text, /^numdialer_calls_total 0$/m);

			const other = await getFrom(st.port, '/metrics', '127.0.0.2');
			assert.equal(other.status, 403, `from 127.0.0.2: ${other.status} ${other.text.slice(0, 200)}`);
			assert.doesNotMatch(other.text, /numdialer_/, 'no metric in the refusal');
			assert.equal(typeof JSON.parse(other.text).error, 'string', 'a JSON error, like the others');
			// Only /metrics is kept to this machine: the page's routes answer.
			const events = await getFrom(st.port, '/events', '127.0.0.2');
			assert.equal(events.status, 200, `GET /events from 127.0.0.2: ${events.status}`);

			// Another method: the program's 405, from here only.
			const post = await request(`${st.base}/metrics`, { method: 'POST' });
			assert.equal(post.status, 405, post.text);
			assert.equal(post.headers.get('allow'), 'GET');
		});
	});
}
