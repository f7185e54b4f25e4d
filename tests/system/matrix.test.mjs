// The fault matrix: each fault of the simulator alone, then all together,
// under several seeds; the simulator's /stats and the dialer's /events are
// the referees: list order, each row placed once, never more than 3 in
// flight (and 3 while numbers remain), every row terminal, a reason on
// every failure, the same FastCGI process from start to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
	withSession, getJSON, postJSON, waitAllTerminal, waitSimSettled, writeNumbers, TERMINAL,
} from './harness.mjs';

const N = 16;                 // rows per run: small, the matrix has many runs
const LIMIT = 3;
const DELAY_MAX_MS = 50;      // the simulator's webhook delays
const CALL_SLOW_MS = 800;     // call-slow: below every call timeout used here
const HOOK_SLOW_MS = 400;     // hook-slow: a call's 3 webhooks stay below it too
const DIAL_ATTEMPTS = 4;      // the dialer's default tries of one POST /call
const SEEDS = [11, 12];
const ALL_SEEDS = [21, 22, 23];
// A slot freed is filled again within this, from the dialer's own clock
// (generous: two shared cores); a slow POST /call delays those after it,
// since the dialer sends one at a time.
const REFILL_SLACK_MS = 1000;
const CASE_TIMEOUT_MS = 45000;

// Distinct valid numbers, so a phone names its row.
const phones = (n) => Array.from({ length: n }, (_, i) => `1301805${String(i).padStart(4, '0')}`);

// kind says what a fault alone must lead to:
//   refuse  the POST /call is refused, the call not placed, and the row
//           ends failed with a reason; no retry (the API may not say why)
//   retry   503/429: the dialer tries the row again, which is then placed
//           once and completes; first:N per seed, N below the dialer's
//           attempts, so that even N refusals of one row leave it a try
//   slow    every call placed and completed
//   hook    every call placed; webhooks odd, every row completed
//   drop    every call placed; a row whose terminal webhook was dropped
//           ends failed by timeout
const FAULTS = [
	{ name: 'call-500', kind: 'refuse', when: () => '0.4' },
	{ name: 'call-error', kind: 'refuse', when: () => '0.4' },
	{ name: 'call-bad-id', kind: 'refuse', when: () => '0.4' },
	{ name: 'call-drop', kind: 'refuse', when: () => '0.4' },
	{ name: 'call-503', kind: 'retry', when: (i) => `first:${[2, 3, 1][i % 3]}` },
	{ name: 'call-429', kind: 'retry', when: (i) => `first:${[3, 1, 2][i % 3]}` },
	{ name: 'call-slow', kind: 'slow', when: () => '0.4' },
	{ name: 'hook-drop', kind: 'drop', when: () => '0.3' },
	{ name: 'hook-duplicate', kind: 'hook', when: () => '0.4' },
	{ name: 'hook-reorder', kind: 'hook', when: () => '0.4' },
	{ name: 'hook-slow', kind: 'hook', when: () => '0.4' },
];

// All together: lower odds, so that most calls still go through and a row
// rarely meets several retry faults in a row.
const ALL = [
	'call-500=0.08', 'call-error=0.08', 'call-bad-id=0.08', 'call-drop=0.08',
	'call-503=0.06', 'call-429=0.06', 'call-slow=0.1',
	'hook-drop=0.08', 'hook-duplicate=0.15', 'hook-reorder=0.15', 'hook-slow=0.15',
];

const SLOW_FLAGS = ['--call-slow-ms', String(CALL_SLOW_MS), '--hook-slow-ms', String(HOOK_SLOW_MS)];

// The call timeout of a run: short where dropped terminal webhooks must end
// by timeout, long enough elsewhere that no live call is timed out (the API
// would still count it in flight while the dialer placed the next).
function callTimeoutFor(kind) {
	if (kind === 'drop') return 2;
	if (kind === 'all') return 6;
	// Retries wait Retry-After (1 s) or the dialer's doubling delay, and the
	// timeout counts from a row's first try: 3 refusals take about 3 s.
	if (kind === 'retry') return 8;
	return 4;
}

// One run: a fresh simulator with the faults and a fresh stack; dials the
// list to the end and returns what both sides saw.
async function run(t, s, { faults, seed, callTimeout }) {
	const dir = await s.tmpdir();
	const list = phones(N);
	const file = await writeNumbers(dir, 'numbers.txt', list);
	const extra = [...SLOW_FLAGS];
	for (const f of faults) extra.push('--fault', f);
	const sim = await s.apisim({ delayMaxMs: DELAY_MAX_MS, seed, numbers: file, extra });
	// Faults fail rows on purpose, sometimes five in a row: the pause that
	// guards against a failing API has a test of its own (pause.test.mjs).
	const st = await s.stack({ api: sim.url, numbers: file, callTimeout,
	    env: { NUMDIALER_FAILURE_PAUSE: '0' } });
	const pid = await st.fcgiPid();
	assert.equal((await postJSON(`${st.base}/call`)).status, 202);
	let maxInFlight = 0;
	const fin = await waitAllTerminal(st.base, 30000, {
		onResponse: (ev) => { maxInFlight = Math.max(maxInFlight, ev.in_flight); },
	});
	// hook-slow and duplicates may still be on their way: let them land.
	const stats = await waitSimSettled(sim, HOOK_SLOW_MS + DELAY_MAX_MS + 200, 20000);
	const after = await getJSON(`${st.base}/events`);
	assert.equal(after.status, 200, 'the dialer still answers after the run');
	assert.equal(await st.fcgiPid(), pid, 'the same FastCGI process from start to end');
	t.diagnostic(`faults ${JSON.stringify(stats.faults)}; refused ${stats.calls_refused}; ` +
	    `placed ${stats.calls_placed}; statuses ${JSON.stringify(countBy(fin.rows, (r) => r.status))}; ` +
	    `reasons ${JSON.stringify(countBy(fin.rows.filter((r) => r.reason), (r) => r.reason))}`);
	return { list, rows: after.json.calls, final: after.json, stats, maxInFlight };
}

// How soon a freed slot must be filled again; null: not checked, as
// retries hold back the rows after them.
function slackFor(kind) {
	if (kind === 'retry' || kind === 'all') return null;
	// The dialer sends one POST /call at a time: a slow one delays the next.
	if (kind === 'slow') return REFILL_SLACK_MS + LIMIT * CALL_SLOW_MS;
	return REFILL_SLACK_MS;
}

function countBy(xs, key) {
	const out = {};
	for (const x of xs) out[key(x)] = (out[key(x)] || 0) + 1;
	return out;
}

// What holds whatever the faults: the rows are the list; the API saw a
// subsequence of it, in list order, each row at most once; never more than
// 3 in flight on either side, and a freed slot refilled while rows remain;
// every row terminal, a failure with a reason, a completion placed.
function assertInvariants({ list, rows, final, stats, maxInFlight }, { slackMs }) {
	assert.equal(rows.length, list.length);
	assert.deepEqual(rows.map((r) => r.phone), list, 'the rows are the list, in order');
	assert.equal(final.started, true);
	assert.equal(final.in_flight, 0, 'nothing left in flight');
	assert.equal(final.done, list.length, 'every row done');

	const index = new Map(list.map((p, i) => [p, i]));
	let prev = -1;
	for (const [k, p] of stats.dialed.entries()) {
		const i = index.get(p);
		assert.notEqual(i, undefined, `the API saw ${p}, not on the list`);
		assert.ok(i > prev, `list order: the API's call ${k} is row ${i}, after row ${prev}` +
		    (i === prev ? ' (placed twice)' : ''));
		prev = i;
	}
	assert.equal(stats.calls_placed, stats.dialed.length);
	assert.ok(stats.max_in_flight <= LIMIT, `the API saw ${stats.max_in_flight} calls in flight`);
	assert.ok(maxInFlight <= LIMIT, `the dialer reported ${maxInFlight} in flight`);
	assert.equal(stats.in_flight, 0);

	const placed = new Set(stats.dialed);
	for (const [i, r] of rows.entries()) {
		assert.ok(TERMINAL.has(r.status), `row ${i} terminal, is ${r.status}`);
		assert.ok(r.attempts >= 1 && r.attempts <= DIAL_ATTEMPTS, `row ${i} attempts ${r.attempts}`);
		assert.equal(typeof r.dialed_at, 'number', `row ${i} has dialed_at`);
		assert.equal(typeof r.ended_at, 'number', `row ${i} has ended_at`);
		if (r.status === 'failed')
			assert.ok(typeof r.reason === 'string' && r.reason.length > 0, `row ${i} failed without a reason`);
		if (r.status === 'completed')
			assert.ok(placed.has(r.phone), `row ${i} completed but the API never placed its call`);
	}

	// The dialer's timeline: row i dialed in order, with at most 3 in flight
	// (i - 2 earlier rows ended), and, unless slackMs is null (a retry holds
	// the rows after it back), within slackMs of its slot freeing.
	for (let i = 1; i < rows.length; i++) {
		const r = rows[i];
		assert.ok(r.dialed_at >= rows[i - 1].dialed_at, `row ${i} dialed before row ${i - 1}`);
		if (i < LIMIT) continue;
		const ends = rows.slice(0, i).map((p) => p.ended_at).sort((a, b) => a - b);
		const endedBefore = ends.filter((e) => e <= r.dialed_at + 5).length;
		assert.ok(endedBefore >= i - LIMIT + 1,
		    `row ${i} dialed at ${r.dialed_at} with only ${endedBefore} of ${i} earlier rows ended`);
		if (slackMs === null) continue;
		const freed = ends[i - LIMIT];
		assert.ok(r.dialed_at - freed <= slackMs,
		    `row ${i} dialed ${r.dialed_at - freed} ms after its slot freed (slack ${slackMs} ms)`);
	}
}

for (const f of FAULTS) {
	for (const [si, seed] of SEEDS.entries()) {
		const when = f.when(si);
		test(`fault ${f.name}=${when}, seed ${seed}`, { timeout: CASE_TIMEOUT_MS }, async (t) => {
			await withSession(t, async (s) => {
				const r = await run(t, s, { faults: [`${f.name}=${when}`], seed, callTimeout: callTimeoutFor(f.kind) });
				assertInvariants(r, { slackMs: slackFor(f.kind) });
				const { rows, stats, list } = r;
				const hits = stats.faults?.[f.name];
				assert.ok(hits > 0, `the simulator reports hits of ${f.name}: ${JSON.stringify(stats.faults)}`);
				const failed = rows.filter((x) => x.status === 'failed');
				switch (f.kind) {
				case 'refuse':
					// One POST per row: refused or placed, and no row retried.
					assert.equal(stats.calls_refused, hits, 'every refused POST is a hit of the fault');
					assert.equal(stats.calls_placed + stats.calls_refused, N, 'one POST /call per row');
					assert.equal(failed.length, hits, 'a refused call fails its row');
					for (const [i, x] of rows.entries()) {
						assert.equal(x.attempts, 1, `row ${i} tried once`);
						assert.equal(x.status, stats.dialed.includes(x.phone) ? 'completed' : 'failed',
						    `row ${i}: completed when placed, else failed`);
					}
					break;
				case 'retry': {
					// first:N: the first N POSTs refused, each retried; every
					// row placed once, in order, and completed.
					const n = Number(when.split(':')[1]);
					assert.equal(hits, n);
					assert.equal(stats.calls_refused, n);
					assert.deepEqual(stats.dialed, list, 'every row placed once, in list order');
					for (const [i, x] of rows.entries())
						assert.equal(x.status, 'completed', `row ${i} completed after its retries (${x.reason ?? ''})`);
					const retries = rows.reduce((a, x) => a + x.attempts - 1, 0);
					assert.equal(retries, n, 'one more attempt per refused POST');
					break;
				}
				case 'slow':
				case 'hook':
					assert.deepEqual(stats.dialed, list, 'every row placed once, in list order');
					assert.equal(stats.calls_refused, 0);
					for (const [i, x] of rows.entries()) {
						assert.equal(x.status, 'completed', `row ${i} completed (${x.reason ?? ''})`);
						assert.equal(x.attempts, 1);
					}
					break;
				case 'drop':
					assert.deepEqual(stats.dialed, list, 'every row placed once, in list order');
					assert.ok(failed.length <= hits, `${failed.length} rows failed, only ${hits} webhooks dropped`);
					for (const x of failed)
						assert.equal(x.reason, 'timeout', `failed row ${x.row}: a dropped end is a timeout`);
					for (const x of rows) assert.ok(x.status === 'completed' || x.status === 'failed');
					break;
				default:
					assert.fail(`unknown kind ${f.kind}`);
				}
			});
		});
	}
}

for (const seed of ALL_SEEDS) {
	test(`all faults together, seed ${seed}`, { timeout: CASE_TIMEOUT_MS }, async (t) => {
		await withSession(t, async (s) => {
			const r = await run(t, s, { faults: ALL, seed, callTimeout: callTimeoutFor('all') });
			assertInvariants(r, { slackMs: slackFor('all') });
			const { stats } = r;
			for (const f of ALL) {
				const name = f.split('=')[0];
				assert.equal(typeof stats.faults?.[name], 'number', `the simulator counts ${name}`);
			}
			assert.ok(Object.values(stats.faults).reduce((a, b) => a + b, 0) > 0, 'some fault hit');
		});
	});
}
