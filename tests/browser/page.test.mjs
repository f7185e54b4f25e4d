// The real page in chromium over the real stack: the default list's rows
// idle, one click on Call, statuses moving without a reload, all completed,
// the same after a reload, no console errors; a long list rendered
// windowed; the notice after the FastCGI program restarts without a
// journal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
	withSession, getJSON, waitSimSettled, writeNumbers, DEFAULT_ROWS, TERMINAL, ARTIFACTS,
} from '../system/harness.mjs';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-quic', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run'];

// Problems a page reports: console errors, page errors, failed requests
// (aborted ones excepted: a reload or a restart cuts a parked long-poll),
// HTTP errors; those matching a pattern of allow are expected.
function watch(page, problems, allow = []) {
	const t0 = Date.now();
	const add = (what) => { if (!allow.some((re) => re.test(what))) problems.push(`${Date.now() - t0} ms: ${what}`); };
	page.on('console', (m) => { if (m.type() === 'error') add(`console error: ${m.text()} ${JSON.stringify(m.location())}`); });
	page.on('pageerror', (e) => add(`page error: ${e.message}`));
	page.on('requestfailed', (r) => {
		const why = r.failure()?.errorText || '';
		if (why !== 'net::ERR_ABORTED') add(`request failed: ${r.url()} ${why}`);
	});
	page.on('response', (r) => { if (r.status() >= 400) add(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`); });
}

// What a restart test expects while the program is killed and back: the
// long-poll the dead program held fails (500), and while lighttpd brings
// the program back /events may answer 503 or not at all. The page must
// ride that out, which is what is tested.
const RESTART_ALLOW = [/^HTTP 50[03] for GET .*\/events/, /^console error: .*status of 50[03]/,
	/^request failed: .*\/events\?.* net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE)$/,
	/^console error: Failed to load resource: net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE) .*\/events\?/];

// Opens the page at base and waits for the default list's rows.
async function openDefault(page, base) {
	await page.goto(base + '/', { waitUntil: 'load' });
	await page.waitForFunction((n) => document.querySelectorAll('tr[data-row]').length === n, DEFAULT_ROWS,
	    { timeout: 10000 });
}

// Clicks Call and waits until row 0 has left idle: dialing is under way.
async function dialFirstRow(page) {
	await page.click('button#call');
	await page.waitForFunction(() => document.querySelector('tr[data-row="0"] td.status')?.textContent.trim() !== 'idle',
	    null, { timeout: 10000 });
}

const statuses = (page) => page.$$eval('tr[data-row] td.status', (tds) => tds.map((td) => td.textContent.trim()));

test('the page dials the list and shows it live', { timeout: 90000 }, async (t) => {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	let browser;
	// Also closed when the test ends by its timeout.
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		const sim = await s.apisim({ delayMaxMs: 400, seed: 5 });
		const st = await s.stack({ api: sim.url });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		try {
			const page = await browser.newPage();
			const problems = [];
			watch(page, problems);
			let loads = 0;
			page.on('load', () => { loads++; });

			const res = await page.goto(st.base + '/', { waitUntil: 'load' });
			assert.equal(res.status(), 200);
			await page.waitForFunction((n) => document.querySelectorAll('tr[data-row]').length === n, DEFAULT_ROWS,
			    { timeout: 10000 });
			await page.waitForFunction(() => [...document.querySelectorAll('tr[data-row] td.status')]
			    .every((td) => td.textContent.trim() === 'idle'), null, { timeout: 10000 });
			assert.deepEqual(await statuses(page), Array(DEFAULT_ROWS).fill('idle'));
			const button = page.locator('button#call');
			assert.equal(await button.isEnabled(), true, 'Call is enabled before dialing');
			assert.equal(await page.locator('#summary').count(), 1, 'the page has #summary');
			assert.equal(await page.locator('#notice').count(), 1, 'the page has #notice');
			await page.screenshot({ path: path.join(ARTIFACTS, 'page-idle.png'), fullPage: true });
			const url0 = page.url();
			assert.equal(loads, 1);

			// Every status text the rows show from now on.
			await page.evaluate(() => {
				window.__seen = new Set();
				const grab = () => {
					for (const td of document.querySelectorAll('tr[data-row] td.status')) window.__seen.add(td.textContent.trim());
				};
				new MutationObserver(grab).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
				window.__marker = 'same document';
			});

			await button.click();
			await page.waitForFunction(() => document.querySelector('button#call').disabled, null, { timeout: 5000 });
			await page.screenshot({ path: path.join(ARTIFACTS, 'page-dialing.png'), fullPage: true });
			await page.waitForFunction(({ term, n }) => {
				const s = [...document.querySelectorAll('tr[data-row] td.status')].map((td) => td.textContent.trim());
				return s.length === n && s.every((x) => term.includes(x));
			}, { term: [...TERMINAL], n: DEFAULT_ROWS }, { timeout: 40000 });
			await page.screenshot({ path: path.join(ARTIFACTS, 'page-done.png'), fullPage: true });

			assert.deepEqual(await statuses(page), Array(DEFAULT_ROWS).fill('completed'));
			const seen = await page.evaluate(() => [...window.__seen]);
			t.diagnostic(`statuses seen in the DOM: ${seen.join(', ')}`);
			assert.ok(seen.some((x) => x !== 'idle' && !TERMINAL.has(x)),
			    `at least one row showed an in-between status, saw ${seen.join(', ')}`);
			assert.equal(await page.evaluate(() => window.__marker), 'same document', 'no reload while dialing');
			assert.equal(loads, 1, 'no page load after the first');
			assert.equal(page.url(), url0);
			assert.equal(await button.isDisabled(), true);

			const ev = (await getJSON(`${st.base}/events`)).json;
			assert.deepEqual(ev.calls.map((c) => c.status), Array(DEFAULT_ROWS).fill('completed'));
			const stats = await waitSimSettled(sim, 700);
			assert.equal(stats.calls_placed, DEFAULT_ROWS, 'one click, each row dialed once');
			assert.equal(stats.max_in_flight, 3);

			await page.reload({ waitUntil: 'load' });
			await page.waitForFunction((n) => [...document.querySelectorAll('tr[data-row] td.status')]
			    .filter((td) => td.textContent.trim() === 'completed').length === n, DEFAULT_ROWS, { timeout: 10000 });
			assert.deepEqual(await statuses(page), Array(DEFAULT_ROWS).fill('completed'));
			await page.waitForFunction(() => document.querySelector('button#call').disabled, null, { timeout: 5000 });
			await page.screenshot({ path: path.join(ARTIFACTS, 'page-reloaded.png'), fullPage: true });
			assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
		} finally {
			await browser.close();
		}
	});
});

test('a list of 2,000 numbers is rendered windowed and scrolls to its last row', { timeout: 60000 }, async (t) => {
	const N = 2000;
	let browser;
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = Array.from({ length: N }, (_, i) => `1301804${String(i).padStart(4, '0')}`);
		const file = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ acceptAny: true, delayMaxMs: 300, seed: 9 });
		const st = await s.stack({ api: sim.url, numbers: file });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
		const problems = [];
		watch(page, problems);
		await page.goto(st.base + '/', { waitUntil: 'load' });
		await page.waitForSelector('tr[data-row="0"] td.status', { timeout: 10000 });
		assert.equal((await page.textContent('tr[data-row="0"] td.status')).trim(), 'idle');
		assert.equal((await page.textContent('tr[data-row="0"] td.phone')).trim(), list[0]);
		const dom = await page.evaluate(() => ({
			rows: document.querySelectorAll('tr[data-row]').length,
			rowcount: document.querySelector('table#numbers').getAttribute('aria-rowcount'),
			rowindex: document.querySelector('tr[data-row="0"]').getAttribute('aria-rowindex'),
			height: document.documentElement.scrollHeight,
		}));
		t.diagnostic(`rows in the DOM at the top: ${dom.rows}, page height ${dom.height} px`);
		assert.ok(dom.rows > 0 && dom.rows < 200, `only the rows near the viewport are in the DOM (${dom.rows})`);
		assert.equal(dom.rowcount, String(N + 1), 'aria-rowcount counts every row and the header');
		assert.equal(dom.rowindex, '2', 'row 0 is the table\'s second row (the header is the first)');
		assert.ok(dom.height > N * 30, `the page is as tall as the whole list (${dom.height} px)`);
		assert.match(await page.textContent('#summary'), /of\s+2,000/);

		// Dialing changes row 0 while it is off screen; the model keeps it.
		await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
		const last = `tr[data-row="${N - 1}"]`;
		await page.waitForSelector(`${last} td.status`, { timeout: 5000 });
		assert.equal((await page.textContent(`${last} td.status`)).trim(), 'idle');
		assert.equal((await page.textContent(`${last} td.phone`)).trim(), list[N - 1]);
		assert.equal((await page.textContent(`${last} th.index`)).trim(), String(N));
		assert.equal(await page.getAttribute(last, 'aria-rowindex'), String(N + 1));
		const box = await page.locator(last).boundingBox();
		assert.ok(box && box.y >= 0 && box.y + box.height <= 800, `the last row is on screen (${JSON.stringify(box)})`);
		assert.equal(await page.locator('tr[data-row="0"]').count(), 0, 'row 0 left the DOM');
		// Rows just above the last one are there, in order, with no gap.
		const shown = await page.$$eval('tr[data-row]', (trs) => trs.map((tr) => Number(tr.dataset.row)));
		assert.deepEqual(shown, Array.from({ length: shown.length }, (_, i) => N - shown.length + i));
		await page.screenshot({ path: path.join(ARTIFACTS, 'page-2000-end.png') });

		await page.click('button#call');
		await page.waitForFunction(() => /^[1-9]/.test(document.querySelector('#summary strong')?.textContent || ''),
		    null, { timeout: 10000 });
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.waitForFunction(() => {
			const td = document.querySelector('tr[data-row="0"] td.status');
			return td && td.textContent.trim() !== 'idle';
		}, null, { timeout: 10000 });
		t.diagnostic(`row 0 after scrolling back: ${(await page.textContent('tr[data-row="0"] td.status')).trim()}`);
		assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
		await browser.close();
	});
});

test('a restart without a journal is said plainly, and the page follows the new run', { timeout: 60000 }, async (t) => {
	let browser;
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		// Slow calls: dialing is still under way when the program dies.
		const sim = await s.apisim({ delayMaxMs: 5000, seed: 13, paths: 'answer,noanswer' });
		const st = await s.stack({ api: sim.url });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		const page = await browser.newPage();
		const problems = [];
		watch(page, problems, RESTART_ALLOW);
		await openDefault(page, st.base);
		assert.equal(await page.isHidden('#restarted'), true, 'no restart notice at first');
		await dialFirstRow(page);
		assert.equal(await page.isDisabled('button#call'), true);
		const before = (await getJSON(`${st.base}/events`)).json;
		assert.equal(before.started, true);

		const pid = await st.fcgiPid();
		process.kill(pid, 'SIGKILL');
		t.diagnostic(`killed the FastCGI program, pid ${pid}`);
		await page.waitForSelector('#restarted', { state: 'visible', timeout: 20000 });
		const after = (await getJSON(`${st.base}/events`)).json;
		assert.notEqual(after.instance, before.instance, 'a new process answers');
		assert.notEqual(after.journal, true, 'the stack runs without a journal');
		const text = (await page.textContent('#restarted')).trim();
		t.diagnostic(`notice: ${text}`);
		assert.match(text, /restarted/i);
		assert.match(text, /earlier state is gone/i);
		assert.equal(await page.getAttribute('#restarted', 'role'), 'alert');
		// The new run has not started: every row idle, Call enabled again.
		await page.waitForFunction(() => [...document.querySelectorAll('tr[data-row] td.status')]
		    .every((td) => td.textContent.trim() === 'idle'), null, { timeout: 5000 });
		assert.equal(await page.locator('tr[data-row]').count(), DEFAULT_ROWS);
		assert.equal(await page.isEnabled('button#call'), true, 'Call follows the new run: not started');
		await page.waitForSelector('#notice', { state: 'hidden', timeout: 10000 });
		await page.screenshot({ path: path.join(ARTIFACTS, 'page-restarted.png'), fullPage: true });

		// The notice stays while the page keeps polling, until dismissed.
		await page.waitForTimeout(1500);
		assert.equal(await page.isVisible('#restarted'), true, 'the notice stays');
		await page.click('button#dismiss');
		assert.equal(await page.isHidden('#restarted'), true);
		assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
		await browser.close();
	});
});

test('a restart with a journal resyncs silently', { timeout: 60000 }, async (t) => {
	let browser;
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const sim = await s.apisim({ delayMaxMs: 5000, seed: 17, paths: 'answer,noanswer' });
		const st = await s.stack({ api: sim.url, env: { NUMDIALER_JOURNAL: path.join(dir, 'journal') } });
		const before = (await getJSON(`${st.base}/events`)).json;
		assert.equal(before.journal, true, 'GET /events says the state is journaled');
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		const page = await browser.newPage();
		const problems = [];
		watch(page, problems, RESTART_ALLOW);
		const asked = [];
		page.on('request', (r) => asked.push(r.url()));
		await openDefault(page, st.base);
		await dialFirstRow(page);

		process.kill(await st.fcgiPid(), 'SIGKILL');
		let after;
		for (const deadline = Date.now() + 15000; Date.now() < deadline;) {
			try {
				const r = await getJSON(`${st.base}/events`, { timeoutMs: 2000 });
				if (r.status === 200 && r.json.instance !== before.instance) { after = r.json; break; }
			} catch { /* coming back */ }
			await page.waitForTimeout(100);
		}
		assert.ok(after, 'a new process answers');
		assert.equal(after.journal, true);
		assert.equal(after.started, true, 'the journal kept the run started');
		// The page asks with the new instance once it has taken its list.
		for (const deadline = Date.now() + 15000; !asked.some((u) => u.includes(`instance=${after.instance}`));) {
			assert.ok(Date.now() < deadline, 'the page follows the new process');
			await page.waitForTimeout(100);
		}
		assert.equal(await page.isHidden('#restarted'), true, 'no restart notice: nothing was lost');
		assert.equal(await page.isDisabled('button#call'), true, 'Call stays disabled: the run goes on');
		const rows = await statuses(page);
		assert.notEqual(rows[0], 'idle', `row 0 keeps its call (${rows.join(', ')})`);
		assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
		await browser.close();
	});
});

test('a pause is shown with its reason and a Resume button that goes on', { timeout: 60000 }, async (t) => {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	let browser;
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = Array.from({ length: 12 }, (_, i) => `1301810${String(i).padStart(4, '0')}`);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 50, seed: 7, numbers });
		// A wrong path on a live API: every POST /call is a 404.
		const st = await s.stack({ api: `${sim.url}/wrong`, numbers });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		const page = await browser.newPage();
		const problems = [];
		watch(page, problems);
		await page.goto(st.base + '/', { waitUntil: 'load' });
		await page.waitForFunction((n) => document.querySelectorAll('tr[data-row]').length === n, list.length,
		    { timeout: 10000 });
		assert.equal(await page.locator('#paused').isVisible(), false);
		await page.click('button#call');
		await page.locator('#paused').waitFor({ state: 'visible', timeout: 15000 });
		const text = await page.locator('#paused-text').textContent();
		t.diagnostic(`notice: ${text}`);
		assert.match(text, /Dialing is paused: 5 calls in a row could not be placed; the last: api answered HTTP 404/);
		await page.screenshot({ path: path.join(ARTIFACTS, 'paused.png'), fullPage: true });
		const failed = () => page.$$eval('tr[data-row] td.status',
		    (tds) => tds.filter((td) => td.textContent.trim() === 'failed').length);
		assert.equal(await failed(), 5);

		await page.click('button#resume');
		await page.waitForFunction(() => [...document.querySelectorAll('tr[data-row] td.status')]
		    .filter((td) => td.textContent.trim() === 'failed').length === 10, null, { timeout: 15000 });
		await page.locator('#paused').waitFor({ state: 'visible', timeout: 15000 });
		await page.waitForFunction(() => !document.querySelector('#resume').disabled, null, { timeout: 5000 });
		await page.click('button#resume');
		await page.waitForFunction((n) => [...document.querySelectorAll('tr[data-row] td.status')]
		    .filter((td) => td.textContent.trim() === 'failed').length === n, list.length, { timeout: 15000 });
		await page.locator('#paused').waitFor({ state: 'hidden', timeout: 15000 });
		assert.deepEqual(problems, []);
	});
});
