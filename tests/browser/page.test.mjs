// The real page in chromium over the real stack: the default list's rows
// idle, one click on Call, statuses moving without a reload, all completed,
// the same after a reload, no console errors; a long list rendered
// windowed; the notice after the FastCGI program restarts without a
// journal; the state line and the Pause, Resume and Stop buttons; a row's
// history, live, and the report's download.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import {
	withSession, getJSON, postJSON, eventsUntil, waitSimSettled, writeNumbers, DEFAULT_ROWS, TERMINAL, ARTIFACTS,
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
	await page.waitForFunction(() => document.querySelector('tr[data-row="0"] td.status .badge')?.textContent.trim() !== 'idle',
	    null, { timeout: 10000 });
}

// The state line's words, and waits for words matching re. A command
// the page says it could not send ends the wait at once, unless refused
// is true (a refusal expected); a timeout says what the page shows.
const stateWords = async (page) => (await page.textContent('#state')).trim();
async function waitState(page, re, { timeout = 15000, refused = false } = {}) {
	const shown = () => page.evaluate(() => [document.querySelector('#state')?.textContent.trim(),
		document.querySelector('#call-status')?.textContent.trim()]).catch(() => []);
	try {
		await page.waitForFunction(({ src, refused }) => {
			const said = document.querySelector('#call-status')?.textContent || '';
			return new RegExp(src).test(document.querySelector('#state')?.textContent.trim() || '') ||
			    (!refused && /^Could not /.test(said));
		}, { src: re.source, refused }, { timeout });
	} catch (e) {
		const [words, said] = await shown();
		e.message += ` (waiting for ${re}; the state line says ${JSON.stringify(words)}, ` +
		    `beside the buttons ${JSON.stringify(said)})`;
		throw e;
	}
	const [words, said] = await shown();
	assert.match(words, re, `the state line, while beside the buttons the page says ${JSON.stringify(said)}`);
}

// Each command button: hidden, disabled or enabled.
const buttons = (page) => page.evaluate(() => Object.fromEntries(['call', 'pause', 'resume', 'stop'].map((id) => {
	const b = document.getElementById(id);
	return [id, b.hidden || !b.checkVisibility() ? 'hidden' : b.disabled ? 'disabled' : 'enabled'];
})));
async function waitButtons(page, want, timeout = 10000) {
	for (const deadline = Date.now() + timeout; ;) {
		const got = await buttons(page);
		if (JSON.stringify(got) === JSON.stringify(want)) return;
		if (Date.now() > deadline) assert.deepEqual(got, want, 'the buttons shown');
		await sleep(50);
	}
}

// The summary's rates as shown.
const rates = (page) => page.evaluate(() => ({ answer: document.getElementById('answer-rate').textContent,
	perHour: document.getElementById('call-rate').textContent, endsAt: document.getElementById('ends-at').textContent }));
const NONE = '\u2014';

const statuses = (page) => page.$$eval('tr[data-row] td.status .badge', (tds) => tds.map((td) => td.textContent.trim()));

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
			await page.waitForFunction(() => [...document.querySelectorAll('tr[data-row] td.status .badge')]
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
					for (const td of document.querySelectorAll('tr[data-row] td.status .badge')) window.__seen.add(td.textContent.trim());
				};
				new MutationObserver(grab).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
				window.__marker = 'same document';
			});

			await button.click();
			await page.waitForFunction(() => document.querySelector('button#call').disabled, null, { timeout: 5000 });
			await page.screenshot({ path: path.join(ARTIFACTS, 'page-dialing.png'), fullPage: true });
			await page.waitForFunction(({ term, n }) => {
				const s = [...document.querySelectorAll('tr[data-row] td.status .badge')].map((td) => td.textContent.trim());
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
			await page.waitForFunction((n) => [...document.querySelectorAll('tr[data-row] td.status .badge')]
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
		await page.waitForSelector('tr[data-row="0"] td.status .badge', { timeout: 10000 });
		assert.equal((await page.textContent('tr[data-row="0"] td.status .badge')).trim(), 'idle');
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
		await page.waitForSelector(`${last} td.status .badge`, { timeout: 5000 });
		assert.equal((await page.textContent(`${last} td.status .badge`)).trim(), 'idle');
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
			const td = document.querySelector('tr[data-row="0"] td.status .badge');
			return td && td.textContent.trim() !== 'idle';
		}, null, { timeout: 10000 });
		t.diagnostic(`row 0 after scrolling back: ${(await page.textContent('tr[data-row="0"] td.status .badge')).trim()}`);
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
		await page.waitForFunction(() => [...document.querySelectorAll('tr[data-row] td.status .badge')]
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

test('an automatic pause is said in the state line, with the one Resume button that goes on', { timeout: 60000 }, async (t) => {
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
		await waitState(page, /^Ready/);
		assert.deepEqual(await buttons(page), { call: 'enabled', pause: 'hidden', resume: 'hidden', stop: 'enabled' });
		await page.click('button#call');
		await waitState(page, /^Paused: /);
		const text = await stateWords(page);
		t.diagnostic(`state: ${text}`);
		assert.match(text, /^Paused: 5 calls in a row could not be placed; the last: api answered HTTP 404/);
		assert.equal(await page.getAttribute('#state', 'role'), 'status', 'the state line is a polite live region');
		assert.deepEqual(await buttons(page), { call: 'disabled', pause: 'hidden', resume: 'enabled', stop: 'enabled' });
		assert.equal(await page.locator('button:has-text("Resume")').count(), 1, 'one way to resume');
		await page.screenshot({ path: path.join(ARTIFACTS, 'paused.png'), fullPage: true });
		const failed = () => page.$$eval('tr[data-row] td.status .badge',
		    (tds) => tds.filter((td) => td.textContent.trim() === 'failed').length);
		assert.equal(await failed(), 5);

		await page.click('button#resume');
		await page.waitForFunction(() => [...document.querySelectorAll('tr[data-row] td.status .badge')]
		    .filter((td) => td.textContent.trim() === 'failed').length === 10, null, { timeout: 15000 });
		await waitState(page, /^Paused: /);
		await page.waitForFunction(() => !document.querySelector('#resume').disabled, null, { timeout: 5000 });
		await page.click('button#resume');
		await page.waitForFunction((n) => [...document.querySelectorAll('tr[data-row] td.status .badge')]
		    .filter((td) => td.textContent.trim() === 'failed').length === n, list.length, { timeout: 15000 });
		await waitState(page, /^Finished/);
		assert.deepEqual(await buttons(page), { call: 'disabled', pause: 'hidden', resume: 'hidden', stop: 'hidden' });
		assert.deepEqual(problems, []);
	});
});

// A list long enough, and webhooks slow enough (up to 1.5 s each, a call
// 2 to 3 of them), that the operator's commands land mid-list.
test('Pause holds new calls, Resume goes on, Stop skips every number not dialed', { timeout: 120000 }, async (t) => {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	const N = 80;
	let browser;
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = Array.from({ length: N }, (_, i) => `1301820${String(i).padStart(4, '0')}`);
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 1500, seed: 23, numbers });
		const st = await s.stack({ api: sim.url, numbers });
		const events = async () => (await getJSON(`${st.base}/events`)).json;
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		const page = await browser.newPage();
		const problems = [];
		watch(page, problems);
		const dialogs = [];
		page.on('dialog', (d) => { dialogs.push(d.message()); d.accept(); });
		await page.goto(st.base + '/', { waitUntil: 'load' });
		await page.waitForFunction((n) => document.querySelectorAll('tr[data-row]').length === n, N, { timeout: 10000 });
		await waitState(page, /^Ready/);
		assert.deepEqual(await buttons(page), { call: 'enabled', pause: 'hidden', resume: 'hidden', stop: 'enabled' });
		assert.deepEqual(await rates(page), { answer: NONE, perHour: NONE, endsAt: NONE }, 'no figures before a call ends');

		await page.click('button#call');
		await waitState(page, /^Dialing/);
		await waitButtons(page, { call: 'disabled', pause: 'enabled', resume: 'hidden', stop: 'enabled' });
		await eventsUntil(st.base, (ev) => ev.dialed >= 4, 20000, 'four rows dialed');

		// Pause: Resume takes Pause's place (and the keyboard's focus),
		// the calls in flight end, and no row is dialed after them.
		await page.click('button#pause');
		await waitState(page, /^Paused by the operator/);
		await waitButtons(page, { call: 'disabled', pause: 'hidden', resume: 'enabled', stop: 'enabled' });
		t.diagnostic(`paused: ${await stateWords(page)}`);
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'resume', 'focus follows to Resume');
		assert.equal(dialogs.length, 0, 'Pause asks nothing');
		const calm = await eventsUntil(st.base, (ev) => ev.state === 'paused' && ev.in_flight === 0, 20000,
		    'the calls in flight at the pause ended');
		t.diagnostic(`paused with ${calm.dialed} rows dialed`);
		assert.ok(calm.dialed < N, `the pause lands mid-list (${calm.dialed} of ${N} dialed)`);
		await sleep(2000);
		const still = await events();
		assert.equal(still.state, 'paused');
		assert.equal(still.dialed, calm.dialed, 'no row dialed while paused');
		assert.equal(still.in_flight, 0);
		await page.waitForFunction((n) => [...document.querySelectorAll('tr[data-row] td.status .badge')]
		    .filter((td) => td.textContent.trim() !== 'idle').length === n, calm.dialed, { timeout: 5000 });

		await page.click('button#resume');
		await waitState(page, /^Dialing/);
		await waitButtons(page, { call: 'disabled', pause: 'enabled', resume: 'hidden', stop: 'enabled' });
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'pause', 'focus follows to Pause');
		await eventsUntil(st.base, (ev) => ev.dialed >= calm.dialed + 3, 20000, 'dialing going on after Resume');
		await page.waitForFunction(() => /^about /.test(document.getElementById('ends-at').textContent), null,
		    { timeout: 5000 });
		t.diagnostic(`dialing again: ${JSON.stringify(await rates(page))}`);

		// Stop, confirmed: every row not dialed is skipped, for good.
		await page.click('button#stop');
		await waitState(page, /^Stopped by the operator/);
		assert.equal(dialogs.length, 1, 'Stop asks first');
		assert.match(dialogs[0], /Stop dialing for good\?/);
		await waitButtons(page, { call: 'disabled', pause: 'hidden', resume: 'hidden', stop: 'hidden' });
		const stopped = await eventsUntil(st.base, (ev) => ev.state === 'stopped' && ev.in_flight === 0, 20000,
		    'the calls in flight at the stop ended');
		t.diagnostic(`stopped with ${stopped.dialed} rows dialed; state: ${await stateWords(page)}`);
		assert.equal(stopped.started, true);
		assert.ok(stopped.dialed > calm.dialed && stopped.dialed < N,
		    `the stop lands mid-list (${stopped.dialed} of ${N} dialed)`);
		assert.equal(stopped.done, N, 'every row is done');
		const expected = stopped.calls.map((c) => c.status);
		for (const c of stopped.calls) {
			if (c.dialed_at === undefined) {
				assert.equal(c.status, 'skipped', `row ${c.row}, never dialed, is skipped`);
				assert.equal(c.reason, 'stopped by the operator');
			} else {
				assert.ok(TERMINAL.has(c.status) && c.status !== 'skipped', `row ${c.row} keeps its call (${c.status})`);
			}
		}
		assert.equal(expected.filter((x) => x === 'skipped').length, N - stopped.dialed);
		await page.waitForFunction((want) => {
			const got = [...document.querySelectorAll('tr[data-row] td.status .badge')].map((td) => td.textContent.trim());
			return JSON.stringify(got) === JSON.stringify(want);
		}, expected, { timeout: 10000 });
		const skippedRows = await page.$$eval('tr[data-status="skipped"] td.reason', (tds) => tds.map((td) => td.textContent));
		assert.equal(skippedRows.length, N - stopped.dialed);
		assert.ok(skippedRows.every((r) => r === 'stopped by the operator'));
		// The figures of the calls made; no end to foresee.
		const ended = stopped.calls.filter((c) => c.dialed_at !== undefined);
		const answered = ended.filter((c) => c.status === 'completed' || c.answered_at !== undefined);
		await page.waitForFunction((want) => document.getElementById('answer-rate').textContent === want,
		    `${Math.round(100 * answered.length / ended.length)}% (${answered.length} of ${ended.length})`, { timeout: 5000 });
		await page.waitForFunction((none) => document.getElementById('ends-at').textContent === none, NONE, { timeout: 5000 });
		const r = await rates(page);
		t.diagnostic(`stopped: ${JSON.stringify(r)}`);
		assert.match(r.perHour, /^[1-9][\d,]*$/, 'calls per hour, from the calls just ended');
		const settled = await waitSimSettled(sim, 1600);
		assert.equal(settled.calls_placed, stopped.dialed, 'no call placed after the stop');
		await page.screenshot({ path: path.join(ARTIFACTS, 'page-stopped.png'), fullPage: true });

		await page.reload({ waitUntil: 'load' });
		await waitState(page, /^Stopped by the operator/);
		await waitButtons(page, { call: 'disabled', pause: 'hidden', resume: 'hidden', stop: 'hidden' });
		await page.waitForFunction((n) => document.querySelectorAll('tr[data-row]').length === n, N, { timeout: 10000 });
		assert.deepEqual(await statuses(page), expected, 'the same after a reload');
		assert.equal(dialogs.length, 1);
		assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
	});
});

test('Stop before Call skips every row and leaves Call disabled for good', { timeout: 60000 }, async (t) => {
	let browser;
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		const sim = await s.apisim({ delayMaxMs: 100, seed: 29 });
		const st = await s.stack({ api: sim.url });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		const page = await browser.newPage();
		const problems = [];
		watch(page, problems);
		const posts = [];
		page.on('request', (r) => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
		await openDefault(page, st.base);
		await waitState(page, /^Ready/);

		// Said no to: nothing is sent, nothing changes.
		page.once('dialog', (d) => d.dismiss());
		await page.click('button#stop');
		await sleep(500);
		assert.deepEqual(posts, [], 'a Stop not confirmed sends nothing');
		assert.match(await stateWords(page), /^Ready/);
		assert.deepEqual(await buttons(page), { call: 'enabled', pause: 'hidden', resume: 'hidden', stop: 'enabled' });

		page.once('dialog', (d) => d.accept());
		await page.click('button#stop');
		await waitState(page, /^Stopped by the operator before dialing began/);
		await waitButtons(page, { call: 'disabled', pause: 'hidden', resume: 'hidden', stop: 'hidden' });
		await page.waitForFunction(() => [...document.querySelectorAll('tr[data-row] td.status .badge')]
		    .every((td) => td.textContent.trim() === 'skipped'), null, { timeout: 5000 });
		assert.deepEqual(posts, ['/stop']);
		const ev = (await getJSON(`${st.base}/events`)).json;
		assert.equal(ev.state, 'stopped');
		assert.equal(ev.started, false);
		assert.deepEqual(ev.calls.map((c) => c.status), Array(DEFAULT_ROWS).fill('skipped'));

		await page.reload({ waitUntil: 'load' });
		await waitState(page, /^Stopped by the operator before dialing began/);
		await waitButtons(page, { call: 'disabled', pause: 'hidden', resume: 'hidden', stop: 'hidden' });
		assert.deepEqual(await statuses(page), Array(DEFAULT_ROWS).fill('skipped'));
		assert.equal((await sim.stats()).calls_placed, 0);
		assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
	});
});

test('a refused command says why for a moment, and the page follows /events', { timeout: 60000 }, async (t) => {
	let browser;
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		const sim = await s.apisim({ delayMaxMs: 100, seed: 31 });
		const st = await s.stack({ api: sim.url });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		const page = await browser.newPage();
		const problems = [];
		watch(page, problems, [/^HTTP 409 for POST .*\/call$/, /^console error: .*status of 409/]);
		// The page's long-polls go through here; while held, their
		// answers wait, so the page does not know what another did.
		let release = null;
		let held = Promise.resolve();
		await page.route('**/events*', async (route) => {
			try {
				const res = await route.fetch({ timeout: 40000 });
				await held;
				await route.fulfill({ response: res });
			} catch {
				// The stack or the page went away at the end.
				await route.abort().catch(() => {});
			}
		});
		await openDefault(page, st.base);
		await waitState(page, /^Ready/);
		held = new Promise((r) => { release = r; });
		// Someone else stops the campaign; the page still says Ready.
		const stop = await postJSON(`${st.base}/stop`);
		assert.equal(stop.status, 202, `POST /stop through the web server: ${stop.status} ${stop.text.trim()}`);
		await sleep(300);
		assert.match(await stateWords(page), /^Ready/);
		await page.click('button#call');
		await page.waitForFunction(() => /^Could not start: /.test(document.querySelector('#call-status').textContent),
		    null, { timeout: 5000 });
		const said = (await page.textContent('#call-status')).trim();
		t.diagnostic(`said: ${said}`);
		assert.match(said, /^Could not start: dialing has already started, or was stopped\.$/);
		assert.equal(await page.isDisabled('button#call'), true, 'Call waits for /events');
		release();
		await waitState(page, /^Stopped by the operator before dialing began/, { refused: true });
		await waitButtons(page, { call: 'disabled', pause: 'hidden', resume: 'hidden', stop: 'hidden' });
		// Said for a moment, then gone.
		await page.waitForFunction(() => document.querySelector('#call-status').textContent === '', null,
		    { timeout: 10000 });
		assert.equal((await sim.stats()).calls_placed, 0);
		assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
	});
});

// The real page on a real stack whose settings hold rows back: a number on
// the do-not-call list, one in a time zone whose calling hours are closed
// now, and busy and unanswered calls redialed once after 3 s. The page
// shows the wait for the redial with the next call's time, each row's
// second call, the skipped row, the wait for the calling hours, and the
// rates: of the four rows whose calls ended, two were answered.
test('the waiting state, a row\'s later call, a pending redial, skipped rows and the rates are shown', { timeout: 90000 }, async (t) => {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	let browser;
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = Array.from({ length: 6 }, (_, i) => `1301830${String(i).padStart(4, '0')}`);
		const hhmm = (d) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
		const now = Date.now();
		const numbers = path.join(dir, 'numbers.txt');
		fs.writeFileSync(numbers, list.map((p, i) => (i === 2 ? `${p} Etc/GMT+6` : p)).join('\n') + '\n');
		const dnc = path.join(dir, 'dnc.txt');
		fs.writeFileSync(dnc, `${list[3]}\n`);
		const sim = await s.apisim({ delayMaxMs: 100, seed: 37, numbers: await writeNumbers(dir, 'sim.txt', list),
		    paths: 'answer', extra: ['--path-for', `${list[1]}=busy`, '--path-for', `${list[4]}=unanswered`] });
		const st = await s.stack({ api: sim.url, numbers, env: {
			NUMDIALER_DNC: dnc, NUMDIALER_TIMEZONE: 'UTC',
			NUMDIALER_CALL_HOURS: `${hhmm(new Date(now - 3600000))}-${hhmm(new Date(now + 3600000))}`,
			NUMDIALER_REDIAL: 'busy,no-answer', NUMDIALER_REDIAL_ATTEMPTS: '2', NUMDIALER_REDIAL_DELAY: '3',
		} });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		const page = await browser.newPage();
		const problems = [];
		watch(page, problems);
		await page.goto(st.base + '/', { waitUntil: 'load' });
		await page.waitForFunction(() => document.querySelectorAll('tr[data-row]').length === 6, null, { timeout: 10000 });
		const cellsOf = (sel) => page.$$eval(`tr[data-row] ${sel}`, (tds) => tds.map((td) => td.textContent.trim()));
		assert.deepEqual(await statuses(page), ['idle', 'idle', 'idle', 'skipped', 'idle', 'idle'], 'skipped from the start');
		assert.equal((await cellsOf('td.reason'))[3], 'do not call');
		// A skipped row looks ended, not like an idle one.
		const look = (row) => page.$eval(`tr[data-row="${row}"] .badge`, (b) => getComputedStyle(b).backgroundColor);
		assert.notEqual(await look(3), await look(4), 'skipped and idle differ');

		await page.click('button#call');
		await waitState(page, /^Waiting for a redial/);
		const pending = await cellsOf('td.calls');
		t.diagnostic(`calls column while waiting: ${JSON.stringify(pending)}`);
		assert.match(pending[1], /^next call at \d\d:\d\d:\d\d$/);
		assert.match(pending[4], /^next call at \d\d:\d\d:\d\d$/);
		assert.deepEqual(await buttons(page), { call: 'disabled', pause: 'enabled', resume: 'hidden', stop: 'enabled' });

		// The redials come and end as before; only the closed zone's row is
		// left, and the campaign waits for its hours (the page says so as
		// soon as no row is ready, the last calls still in flight).
		await page.waitForFunction(() => document.querySelector('tr[data-row="4"] td.calls')?.textContent.trim() === 'call 2' &&
		    ['1', '4'].every((r) => /^(busy|no-answer)$/.test(document.querySelector(`tr[data-row="${r}"] td.status .badge`)?.textContent.trim())),
		    null, { timeout: 30000 });
		await waitState(page, /^Waiting for calling hours \(\d\d:\d\d Etc\/GMT\+6\), until /, { timeout: 30000 });
		assert.deepEqual(await statuses(page), ['completed', 'busy', 'idle', 'skipped', 'no-answer', 'completed']);
		assert.deepEqual(await cellsOf('td.calls'), ['', 'call 2', '', '', 'call 2', '']);
		assert.match(await page.textContent('#summary'), /^5 dialed|^4 dialed/);
		// One row left, at the rate of the calls so far, once the hours
		// open: the list ends within a few minutes of that (the figures
		// are redrawn once a second).
		const { waiting_until: until } = (await getJSON(`${st.base}/events`)).json;
		const near = (text) => {
			const m = /^about (?:[A-Z][a-z]{2} )?(\d\d):(\d\d)$/.exec(text);
			const u = new Date(until);
			const off = m && (Number(m[1]) * 60 + Number(m[2]) - (u.getHours() * 60 + u.getMinutes()) + 1440) % 1440;
			return m !== null && off <= 5;
		};
		const settled = (x) => near(x.endsAt) && x.answer === '50% (2 of 4)';
		let r;
		for (const deadline = Date.now() + 3000; !settled(r = await rates(page)) && Date.now() < deadline;)
			await sleep(100);
		t.diagnostic(`rates: ${JSON.stringify(r)}; state: ${await stateWords(page)}`);
		assert.equal(r.answer, '50% (2 of 4)', 'answered over ended, the skipped row left out');
		assert.match(r.perHour, /^\d[\d,]*$/);
		assert.ok(near(r.endsAt), `the list ends once the hours open (${r.endsAt}, open at ${new Date(until)})`);
		await page.screenshot({ path: path.join(ARTIFACTS, 'page-waiting.png'), fullPage: true });
		await waitSimSettled(sim, 150);
		assert.deepEqual((await sim.stats()).dialed, [list[0], list[1], list[4], list[5], list[1], list[4]]);
		assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
	});
});

// A row's history, as the page shows it: each report's status, from the
// rows of its table, and the ISO time each carries in its title.
const historyShown = (page, row) => page.$$eval(`#history-${row} table.events tbody tr`, (trs) => trs.map((tr) => ({
	status: tr.dataset.status, at: tr.querySelector('td.ev-time time')?.title,
	time: tr.querySelector('td.ev-time')?.textContent, applied: tr.querySelector('td.ev-applied')?.textContent,
})));

// Waits until row's open history shows the reports GET /calls/ROW gives
// (their count and statuses, in order), and returns that answer.
async function waitHistory(page, base, row) {
	let want;
	for (const deadline = Date.now() + 10000; ;) {
		want = (await getJSON(`${base}/calls/${row}`)).json;
		assert.ok(want && Array.isArray(want.events), `GET /calls/${row} gives the row's events`);
		const shown = await historyShown(page, row);
		if (JSON.stringify(shown.map((e) => e.status)) === JSON.stringify(want.events.map((e) => e.status))) break;
		if (Date.now() > deadline)
			assert.deepEqual(shown.map((e) => e.status), want.events.map((e) => e.status), `row ${row}'s history as shown`);
		await sleep(100);
	}
	const shown = await historyShown(page, row);
	assert.deepEqual(shown.map((e) => e.at), want.events.map((e) => e.at), 'each report\'s ISO time in its title');
	assert.deepEqual(shown.map((e) => e.applied), want.events.map((e) => (e.applied ? 'applied' : 'not applied')));
	for (const e of shown) assert.match(e.time, /^\d\d:\d\d:\d\d\.\d{3}$/, 'a local time to the millisecond');
	return want;
}

const REPORT_HEADER = 'row,phone,status,call_id,attempts,dialed_at,ringing_at,answered_at,ended_at,duration_s,answered_by,reason';

// The lines of a download, empty ones left out.
async function downloadLines(page, selector) {
	const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.click(selector)]);
	assert.match(download.suggestedFilename(), /\.csv$/, `${selector} downloads a CSV file`);
	const file = await download.path();
	assert.ok(file, `${selector}: the download completed (${await download.failure()})`);
	return fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((line) => line !== '');
}

// On the real stack: a row's history opened before Call fills as its call
// goes on; after the campaign's end, row 0's opens from the keyboard (Tab
// to its button, Enter) and closes with Escape, the keyboard back on the
// row; row 1's opens by a click on the row; each lists the reports GET
// /calls/ROW gives. The report downloads, a line per row. Only the rows
// opened are fetched.
test('a row\'s history opens by keyboard or click and follows its call; the report downloads', { timeout: 90000 }, async (t) => {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	let browser;
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		const sim = await s.apisim({ delayMaxMs: 400, seed: 41 });
		const st = await s.stack({ api: sim.url });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
		const problems = [];
		watch(page, problems);
		const fetched = [];
		page.on('request', (r) => {
			const m = /^\/calls\/(\d+)$/.exec(new URL(r.url()).pathname);
			if (m) fetched.push(Number(m[1]));
		});
		await openDefault(page, st.base);
		await waitState(page, /^Ready/);
		// The report is offered before any call: a ready campaign's lists
		// its rows, idle.
		assert.equal(await page.getAttribute('a#report', 'href'), 'report.csv');
		assert.equal(await page.getAttribute('a#report', 'download'), '');
		assert.equal(await page.getAttribute('a#report-events', 'href'), 'report/events.csv');
		assert.equal(await page.isVisible('a#report'), true);
		assert.equal(await page.isVisible('a#report-events'), true);

		// Row 2's history, opened by a click while idle, follows its call.
		const toggle = (row) => `tr[data-row="${row}"] button.toggle`;
		await page.click('tr[data-row="2"] td.phone');
		assert.equal(await page.getAttribute(toggle(2), 'aria-expanded'), 'true');
		assert.equal(await page.getAttribute(toggle(2), 'aria-controls'), 'history-2');
		await waitHistory(page, st.base, 2);
		await page.click('button#call');
		await page.waitForFunction(({ term, n }) => {
			const s = [...document.querySelectorAll('tr[data-row] td.status .badge')].map((b) => b.textContent.trim());
			return s.length === n && s.every((x) => term.includes(x));
		}, { term: [...TERMINAL], n: DEFAULT_ROWS }, { timeout: 40000 });
		const row2 = await waitHistory(page, st.base, 2);
		t.diagnostic(`row 2's history: ${row2.events.map((e) => `${e.status} (${e.source})`).join(', ')}`);
		assert.ok(row2.events.length >= 2, 'a call ended has reports');
		// The last report that changed the row is its end (a late ringing
		// may come after it, kept as not applied).
		assert.equal(row2.events.filter((e) => e.applied).at(-1).status, 'completed');
		assert.ok(fetched.filter((r) => r === 2).length >= 2, 'fetched again as its row changed, not reopened');
		// A second click closes it.
		await page.click('tr[data-row="2"] td.phone');
		assert.equal(await page.locator('#history-2').count(), 0);
		assert.equal(await page.getAttribute(toggle(2), 'aria-expanded'), 'false');

		// Row 0 from the keyboard: from the state line, past the report's
		// links, to the row's button.
		await page.focus('#state');
		const visited = [];
		for (let i = 0; i < 5 && visited.at(-1) !== 'History of row 1'; i++) {
			await page.keyboard.press('Tab');
			visited.push(await page.evaluate(() => document.activeElement.getAttribute('aria-label') ||
			    document.activeElement.textContent.trim()));
		}
		assert.deepEqual(visited, ['Download report', 'Download the events report', 'History of row 1'], 'the Tab order');
		await page.keyboard.press('Enter');
		assert.equal(await page.getAttribute(toggle(0), 'aria-expanded'), 'true');
		const row0 = await waitHistory(page, st.base, 0);
		assert.equal(row0.events.length, (await historyShown(page, 0)).length);
		if (typeof row0.answered_by === 'string')
			assert.match(await page.textContent('#history-0 .history-facts'), /Answered by/);
		await page.keyboard.press('Escape');
		assert.equal(await page.locator('#history-0').count(), 0, 'Escape closes it');
		assert.equal(await page.getAttribute(toggle(0), 'aria-expanded'), 'false');
		assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'History of row 1',
		    'the keyboard is back on the row');

		// Row 1 by a click on the row.
		await page.click('tr[data-row="1"] td.status');
		assert.equal(await page.getAttribute(toggle(1), 'aria-expanded'), 'true');
		await waitHistory(page, st.base, 1);
		await page.screenshot({ path: path.join(ARTIFACTS, 'page-history.png'), fullPage: true });
		await page.setViewportSize({ width: 400, height: 900 });
		await page.waitForTimeout(200);
		await page.screenshot({ path: path.join(ARTIFACTS, 'page-history-narrow.png'), fullPage: true });
		await page.setViewportSize({ width: 1280, height: 900 });

		// The report: its header, then a line per row.
		const report = await downloadLines(page, 'a#report');
		t.diagnostic(`report: ${report.length} lines; row 0: ${report[1]}`);
		assert.equal(report[0], REPORT_HEADER);
		assert.equal(report.length, DEFAULT_ROWS + 1, 'a line per row');
		const events = await downloadLines(page, 'a#report-events');
		t.diagnostic(`events report: ${events.length} lines; header: ${events[0]}`);
		assert.ok(events.length > DEFAULT_ROWS, 'the events report has the rows\' reports');
		assert.deepEqual([...new Set(fetched)].sort(), [0, 1, 2], 'only the rows opened are fetched');
		assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
	});
});

// A long list, windowed: a history opened stays open while its row scrolls
// out of the DOM and back, and the rows after it are placed below it.
test('an open history in a windowed list survives scrolling away and back', { timeout: 60000 }, async (t) => {
	const N = 2000;
	let browser;
	t.after(() => browser?.close());
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = Array.from({ length: N }, (_, i) => `1301806${String(i).padStart(4, '0')}`);
		const file = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ acceptAny: true, delayMaxMs: 100, seed: 43 });
		const st = await s.stack({ api: sim.url, numbers: file });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
		const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
		const problems = [];
		watch(page, problems);
		const fetched = new Set();
		page.on('request', (r) => {
			const m = /^\/calls\/(\d+)$/.exec(new URL(r.url()).pathname);
			if (m) fetched.add(Number(m[1]));
		});
		await page.goto(st.base + '/', { waitUntil: 'load' });
		await page.waitForSelector('tr[data-row="0"] td.status', { timeout: 10000 });
		await page.click('button#call');
		await eventsUntil(st.base, (ev) => TERMINAL.has(ev.calls[3].status), 20000, 'row 3 ended');
		await page.click('tr[data-row="3"] td.phone');
		const want = await waitHistory(page, st.base, 3);
		assert.ok(want.events.length >= 2);
		// Where row 4 begins: right below row 3's history.
		const joint = () => page.evaluate(() => [document.querySelector('#history-3').getBoundingClientRect().bottom,
			document.querySelector('tr[data-row="4"]').getBoundingClientRect().top]);
		const [bottom, top] = await joint();
		assert.ok(Math.abs(bottom - top) < 1, `row 4 follows the history (${bottom}, ${top})`);

		await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
		const last = `tr[data-row="${N - 1}"]`;
		await page.waitForSelector(last, { timeout: 5000 });
		const box = await page.locator(last).boundingBox();
		assert.ok(box && box.y >= 0 && box.y + box.height <= 800, `the last row is on screen (${JSON.stringify(box)})`);
		assert.equal(await page.locator('#history-3').count(), 0, 'the history left the DOM with its row');
		const shown = await page.$$eval('tr[data-row]', (trs) => trs.map((tr) => Number(tr.dataset.row)));
		assert.ok(shown.length < 200, `only the rows near the viewport are in the DOM (${shown.length})`);
		assert.deepEqual(shown, Array.from({ length: shown.length }, (_, i) => N - shown.length + i));

		await page.evaluate(() => window.scrollTo(0, 0));
		await page.waitForSelector('#history-3', { timeout: 5000 });
		assert.equal(await page.getAttribute('tr[data-row="3"] button.toggle', 'aria-expanded'), 'true');
		await waitHistory(page, st.base, 3);
		const [bottom2, top2] = await joint();
		assert.ok(Math.abs(bottom2 - top2) < 1, `row 4 follows the history again (${bottom2}, ${top2})`);
		assert.deepEqual([...fetched], [3], 'only the row opened is fetched');
		assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
		await browser.close();
	});
});
