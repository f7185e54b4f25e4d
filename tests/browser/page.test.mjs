// The real page in chromium over the real stack: 9 idle rows, one click on
// Call, statuses moving without a reload, all completed, the same after a
// reload, no console errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { withSession, getJSON, waitSimSettled, TERMINAL, ARTIFACTS } from '../system/harness.mjs';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-quic', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run'];

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
			page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()} ${JSON.stringify(m.location())}`); });
			page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
			page.on('requestfailed', (r) => {
				// A request the reload cuts short (the parked long-poll, a body
				// the page never read) is aborted, not failed.
				const why = r.failure()?.errorText || '';
				if (why !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${why}`);
			});
			page.on('response', (r) => {
				if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
			});
			let loads = 0;
			page.on('load', () => { loads++; });

			const res = await page.goto(st.base + '/', { waitUntil: 'load' });
			assert.equal(res.status(), 200);
			await page.waitForFunction(() => document.querySelectorAll('tr[data-row]').length === 9, null, { timeout: 10000 });
			await page.waitForFunction(() => [...document.querySelectorAll('tr[data-row] td.status')]
			    .every((td) => td.textContent.trim() === 'idle'), null, { timeout: 10000 });
			assert.deepEqual(await statuses(page), Array(9).fill('idle'));
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
			await page.waitForFunction((term) => {
				const s = [...document.querySelectorAll('tr[data-row] td.status')].map((td) => td.textContent.trim());
				return s.length === 9 && s.every((x) => term.includes(x));
			}, [...TERMINAL], { timeout: 40000 });
			await page.screenshot({ path: path.join(ARTIFACTS, 'page-done.png'), fullPage: true });

			assert.deepEqual(await statuses(page), Array(9).fill('completed'));
			const seen = await page.evaluate(() => [...window.__seen]);
			t.diagnostic(`statuses seen in the DOM: ${seen.join(', ')}`);
			assert.ok(seen.some((x) => x !== 'idle' && !TERMINAL.has(x)),
			    `at least one row showed an in-between status, saw ${seen.join(', ')}`);
			assert.equal(await page.evaluate(() => window.__marker), 'same document', 'no reload while dialing');
			assert.equal(loads, 1, 'no page load after the first');
			assert.equal(page.url(), url0);
			assert.equal(await button.isDisabled(), true);

			const ev = (await getJSON(`${st.base}/events`)).json;
			assert.deepEqual(ev.calls.map((c) => c.status), Array(9).fill('completed'));
			const stats = await waitSimSettled(sim, 700);
			assert.equal(stats.calls_placed, 9, 'one click, each row dialed once');
			assert.equal(stats.max_in_flight, 3);

			await page.reload({ waitUntil: 'load' });
			await page.waitForFunction(() => [...document.querySelectorAll('tr[data-row] td.status')]
			    .filter((td) => td.textContent.trim() === 'completed').length === 9, null, { timeout: 10000 });
			assert.deepEqual(await statuses(page), Array(9).fill('completed'));
			await page.waitForFunction(() => document.querySelector('button#call').disabled, null, { timeout: 5000 });
			await page.screenshot({ path: path.join(ARTIFACTS, 'page-reloaded.png'), fullPage: true });
			assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
		} finally {
			await browser.close();
		}
	});
});
