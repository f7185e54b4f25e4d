#!/usr/bin/env node
// The page's speed in headless Chromium over the real stack: time to first
// render and the cost of applying one change, for 9 and 100,000 numbers.
//
// Usage: node scripts/bench/page.mjs [--numbers 9,100000] [--changes 20]
//        [--runs 3] [--delay-max-ms 1500] [--screenshots DIR]
//
// For each list size it starts apisim (--accept-any) and the dialer stack
// (scripts/numdialer, lighttpd) on free ports with a generated list of
// distinct numbers, and opens the page. The figures come from the page's
// own performance marks (htdocs/app.js), which it records only when
// window.numdialerTiming is true before its script runs (set here for every
// page of the bench), on the clock of the page, whose zero is navigation
// start:
//   first render  navigation start -> the first full GET /events answer
//                 applied to the DOM and laid out (a forced layout read):
//                 mark "numdialer:first-render";
//   painted       navigation start -> the first task after the next
//                 animation frame, once that frame is painted: mark
//                 "numdialer:first-paint";
//   one change    a long-poll answer's arrival (fetch resolved) -> its rows
//                 in the model and, when shown, in the DOM, the summary
//                 updated, laid out: measure "numdialer:apply", over the
//                 first --changes answers that carry changes after Call.
// The webhooks wait up to --delay-max-ms each, so the calls move slowly and
// a long list is nowhere near done while it is measured; changes hit the
// first rows, which are on screen (the costly case).
// Prints a table, then one JSON line for the benchmark table.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session, ROOT, writeNumbers } from '../../tests/system/harness.mjs';

const require = createRequire(path.join(ROOT, 'tests', 'package.json'));
const { chromium } = require('playwright-core');

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-quic', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run'];
const FIRST_RENDER_TIMEOUT_MS = 120000;
const CHANGES_TIMEOUT_MS = 90000;
const VIEWPORT = { width: 1280, height: 900 };

function parseArgs(argv) {
	const opts = { numbers: [9, 100000], changes: 20, runs: 3, delayMaxMs: 1500, screenshots: null };
	const table = {
		'--numbers': (v) => { opts.numbers = v.split(',').map(Number); },
		'--changes': (v) => { opts.changes = Number(v); },
		'--runs': (v) => { opts.runs = Number(v); },
		'--delay-max-ms': (v) => { opts.delayMaxMs = Number(v); },
		'--screenshots': (v) => { opts.screenshots = path.resolve(v); },
	};
	for (let i = 0; i < argv.length; i += 2) {
		const set = table[argv[i]];
		if (!set || argv[i + 1] === undefined) {
			console.error(`usage: page.mjs [--numbers 9,100000] [--changes N] [--runs N] ` +
			    `[--delay-max-ms N] [--screenshots DIR] (bad: ${argv[i]})`);
			process.exit(2);
		}
		set(argv[i + 1]);
	}
	const ok = (n) => Number.isInteger(n) && n > 0;
	if (!opts.numbers.every(ok) || !ok(opts.changes) || !ok(opts.runs) || !(opts.delayMaxMs >= 0)) {
		console.error('page.mjs: --numbers, --changes and --runs take positive integers');
		process.exit(2);
	}
	return opts;
}

// n distinct 11-digit numbers.
const phones = (n) => Array.from({ length: n }, (_, i) => `1301${String(i).padStart(7, '0')}`);

const median = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const r1 = (x) => Math.round(x * 10) / 10;

function watchProblems(page, problems) {
	page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
	page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

// One cold load of the page: its marks and the /events resource timing.
async function firstRender(context, base, problems) {
	const page = await context.newPage();
	watchProblems(page, problems);
	await page.goto(base + '/', { waitUntil: 'load' });
	await page.waitForFunction(() => performance.getEntriesByName('numdialer:first-paint').length > 0,
	    null, { timeout: FIRST_RENDER_TIMEOUT_MS, polling: 100 });
	const m = await page.evaluate(() => {
		const one = (name) => performance.getEntriesByName(name)[0];
		const ev = performance.getEntriesByType('resource').find((e) => /\/events$/.test(e.name));
		const apply = performance.getEntriesByName('numdialer:apply').find((e) => e.detail.full);
		return {
			render: one('numdialer:first-render').startTime,
			paint: one('numdialer:first-paint').startTime,
			eventsAsked: ev ? ev.requestStart : NaN,
			eventsFirstByte: ev ? ev.responseStart : NaN,
			eventsEnd: ev ? ev.responseEnd : NaN,
			eventsBytes: ev ? ev.encodedBodySize : NaN,
			apply: apply ? apply.duration : NaN,
			domRows: document.querySelectorAll('#rows tr[data-row]').length,
		};
	});
	return { page, m };
}

// Clicks Call and collects the apply cost of the next `want` answers that
// carry changes.
async function changeCosts(page, want) {
	await page.click('button#call');
	const deadline = Date.now() + CHANGES_TIMEOUT_MS;
	let got = [];
	while (Date.now() < deadline) {
		got = await page.evaluate(() => performance.getEntriesByName('numdialer:apply')
		    .filter((e) => !e.detail.full && e.detail.calls > 0)
		    .map((e) => ({ ms: e.duration, calls: e.detail.calls, rows: e.detail.rows })));
		if (got.length >= want) break;
		await sleep(250);
	}
	return got.slice(0, want);
}

async function benchOne(browser, n, opts) {
	const s = new Session(null);
	const problems = [];
	try {
		const dir = await s.tmpdir();
		const file = await writeNumbers(dir, 'numbers.txt', phones(n));
		const sim = await s.apisim({ acceptAny: true, delayMaxMs: opts.delayMaxMs, seed: 1, paths: 'answer,noanswer' });
		const st = await s.stack({ api: sim.url, numbers: file });
		const context = await browser.newContext({ viewport: VIEWPORT });
		try {
			await context.addInitScript(() => { window.numdialerTiming = true; });
			const loads = [];
			let page = null;
			for (let i = 0; i < opts.runs; i++) {
				if (page) await page.close();
				const r = await firstRender(context, st.base, problems);
				page = r.page;
				loads.push(r.m);
			}
			if (opts.screenshots) {
				fs.mkdirSync(opts.screenshots, { recursive: true });
				await page.screenshot({ path: path.join(opts.screenshots, `page-${n}-idle.png`) });
			}
			const changes = await changeCosts(page, opts.changes);
			if (opts.screenshots)
				await page.screenshot({ path: path.join(opts.screenshots, `page-${n}-dialing.png`) });
			await page.close();
			const ms = changes.map((c) => c.ms);
			return {
				numbers: n,
				runs: loads.length,
				first_render_ms: r1(median(loads.map((l) => l.render))),
				first_paint_ms: r1(median(loads.map((l) => l.paint))),
				events_first_byte_ms: r1(median(loads.map((l) => l.eventsFirstByte - l.eventsAsked))),
				events_download_ms: r1(median(loads.map((l) => l.eventsEnd - l.eventsFirstByte))),
				events_bytes: loads[0].eventsBytes,
				full_apply_ms: r1(median(loads.map((l) => l.apply))),
				dom_rows: loads[0].domRows,
				changes: changes.length,
				change_ms_mean: r1(mean(ms)),
				change_ms_median: r1(median(ms)),
				change_ms_max: r1(Math.max(...ms)),
				rows_per_change: r1(mean(changes.map((c) => c.calls))),
				problems,
			};
		} finally {
			await context.close();
		}
	} finally {
		await s.close();
	}
}

function printTable(results) {
	const cols = [
		['numbers', 'numbers'], ['first_render_ms', 'first render ms'], ['first_paint_ms', 'painted ms'],
		['events_first_byte_ms', '/events 1st byte ms'], ['events_download_ms', 'download ms'],
		['full_apply_ms', 'apply full ms'], ['dom_rows', 'rows in DOM'], ['changes', 'changes'],
		['change_ms_mean', 'change mean ms'], ['change_ms_median', 'median ms'], ['change_ms_max', 'max ms'],
	];
	const cells = [cols.map(([, h]) => h), ...results.map((r) => cols.map(([k]) => String(r[k])))];
	const w = cols.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
	for (const row of cells) console.log(row.map((c, i) => c.padStart(w[i])).join('  '));
}

async function main() {
	const opts = parseArgs(process.argv.slice(2));
	const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
	const results = [];
	try {
		for (const n of opts.numbers) results.push(await benchOne(browser, n, opts));
	} finally {
		await browser.close();
	}
	console.log(`page in headless Chromium, ${opts.runs} loads each (medians), ${opts.changes} changes after Call; ` +
	    'ms from navigation start / from an answer\'s arrival');
	printTable(results);
	for (const r of results)
		for (const p of r.problems) console.log(`${r.numbers} numbers: ${p}`);
	console.log(JSON.stringify({ bench: 'page', results: results.map(({ problems, ...r }) => ({ ...r, problems: problems.length })) }));
	if (results.some((r) => r.problems.length > 0 || r.changes < opts.changes)) process.exitCode = 1;
}

main().catch((e) => {
	console.error(e.stack || String(e));
	process.exit(1);
});
