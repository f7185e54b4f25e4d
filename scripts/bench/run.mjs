#!/usr/bin/env node
// make bench: runs every benchmark row, prints each figure as it comes,
// then the whole table, and writes it to BUILD/bench/results.md and .json.
// BENCH_SMOKE=1 runs each row at a tiny size in seconds (CI: it checks the
// bench runs and prints its table, never its speed). Exits 1 only when a
// row crashed; a figure that misses its target is reported, not failed.
// BENCH_ROWS=webhook,page runs only the rows named (webhook,
// webhook-nginx, refill, campaign, watchers, list, history, page, slow,
// events).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD } from '../../tests/system/harness.mjs';
import {
	campaignRow, floodRow, fullListRow, historyRow, listRow, pageRow, refillRow, slowRow, watchersRow,
	webhookNginxRow, webhookRow,
} from './rows.mjs';

const SMOKE = process.env.BENCH_SMOKE === '1';

const SIZES = SMOKE ? {
	webhookSeconds: 1, webhookRounds: 1, refillCalls: 500, campaignCalls: 500, directCalls: 100, watchers: 50, watchersMost: 100,
	floodPolls: 300, floodSlowloris: 300, floodSeconds: 1,
	listNumbers: 10000, historyNumbers: 2000, pageNumbers: 200,
	pageArgs: ['--runs', '1', '--changes', '3', '--delay-max-ms', '200'],
	slowNumbers: 2000, slowSeconds: 1,
	fullNumbers: 2000, fullClients: [1, 3], fullSeconds: 1,
} : {
	webhookSeconds: 5, webhookRounds: 3, refillCalls: 20000, campaignCalls: 100000, directCalls: 2000, watchers: 5000, watchersMost: 15000,
	floodPolls: 8400, floodSlowloris: 9000, floodSeconds: 5,
	listNumbers: 1000000, historyNumbers: 1000000, pageNumbers: 100000, pageArgs: [],
	slowNumbers: 100000, slowSeconds: 8,
	fullNumbers: 1000000, fullClients: [1, 10, 30], fullSeconds: 8,
};

const ROWS = [
	['webhook', 'webhook throughput', webhookRow],
	['webhook-nginx', 'webhook throughput behind nginx', webhookNginxRow],
	['refill', 'refill latency', refillRow],
	['campaign', 'campaign throughput', campaignRow],
	['watchers', 'watchers', watchersRow],
	['flood', 'webhooks under attack', floodRow],
	['list', 'list scale', listRow],
	['history', 'histories and reports', historyRow],
	['page', 'the page', pageRow],
	['slow', 'slow peers', slowRow],
	['events', 'the full list', fullListRow],
];

// --- formatting ----------------------------------------------------------

const group = (x) => x.toLocaleString('en');
const UNITS = {
	'req/s': (x) => `${group(x)} req/s`,
	'calls/s': (x) => `${group(x)} calls/s`,
	ms: (x) => `${group(x)} ms`,
	KiB: (x) => `${x} KiB`,
	B: (x) => `${x} B`,
	count: (x) => group(x),
	bytes: (x) => (x >= 1048576 ? `${group(x)} B (${(x / 1048576).toFixed(1)} MiB)` : `${group(x)} B`),
};
const show = (x, unit) => (x === null || x === undefined || Number.isNaN(x) ? 'not measured' : UNITS[unit](x));

function cells(f) {
	const ratio = f.base && f.value !== null && f.base.value > 0 ? (f.value / f.base.value).toFixed(2) : '';
	return {
		row: f.row,
		figure: f.name,
		measured: show(f.value, f.unit),
		base: f.base ? `${show(f.base.value, f.unit)} (${f.base.label})` : '',
		ratio,
		target: f.target?.text || '',
		met: f.target?.ok === true ? 'yes' : f.target?.ok === false ? 'NO' : '',
	};
}

const COLUMNS = [['figure', 'figure'], ['measured', 'measured'], ['base', 'baseline / ceiling'],
	['ratio', 'ratio'], ['target', 'target'], ['met', 'met']];

function textTable(rows) {
	const all = [Object.fromEntries(COLUMNS.map(([k, h]) => [k, h])), ...rows];
	const w = COLUMNS.map(([k]) => Math.max(...all.map((r) => r[k].length)));
	const line = (r) => COLUMNS.map(([k], i) => r[k].padEnd(w[i])).join('  ').trimEnd();
	return [line(all[0]), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

const mdEscape = (s) => s.replace(/\|/g, '\\|');

function markdown(rows, figures, machine) {
	const out = [`| ${COLUMNS.map(([, h]) => h).join(' | ')} |`, `|${COLUMNS.map(() => ' --- |').join('')}`];
	for (const r of rows) out.push(`| ${COLUMNS.map(([k]) => mdEscape(r[k])).join(' | ')} |`);
	out.push('', 'Notes:', '');
	// Figures of one measurement share its note: said once.
	let said = '';
	for (const f of figures) {
		if (!f.note || f.note === said) continue;
		out.push(`- ${mdEscape(f.name)}: ${f.note}`);
		said = f.note;
	}
	out.push('', `Machine: ${machine.cpus} x ${machine.model}, ${machine.memGiB} GiB, load average ` +
	    `${machine.load} at the start; ${machine.when}; ` +
	    `${SMOKE ? 'BENCH_SMOKE=1 (tiny sizes: not a measurement)' : 'full sizes'}.`);
	return out.join('\n') + '\n';
}

// --- the run -------------------------------------------------------------

async function main() {
	const only = process.env.BENCH_ROWS ? new Set(process.env.BENCH_ROWS.split(',')) : null;
	const machine = {
		cpus: os.cpus().length, model: os.cpus()[0]?.model.trim() || 'unknown',
		memGiB: (os.totalmem() / 2 ** 30).toFixed(1), when: new Date().toISOString(), node: process.version,
		load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
	};
	const figures = [];
	let crashed = 0;
	console.log(`bench: ${SMOKE ? 'smoke (tiny sizes)' : 'full'}; ${machine.cpus} x ${machine.model}, ` +
	    `load average ${machine.load}`);
	for (const [key, title, fn] of ROWS) {
		if (only && !only.has(key)) continue;
		const t0 = Date.now();
		console.log(`\n== ${title}`);
		try {
			for (const f of await fn(SIZES)) {
				figures.push({ row: title, ...f });
				const c = cells(f);
				console.log(`${c.figure}: ${c.measured}` + (c.base ? `; baseline ${c.base}, ratio ${c.ratio}` : '') +
				    (c.target ? `; target ${c.target}: ${c.met || '?'}` : ''));
				if (f.note) console.log(`  ${f.note}`);
			}
		} catch (e) {
			crashed++;
			figures.push({ row: title, name: `${title}: crashed`, value: null, unit: 'ms', base: null,
			    target: { text: '', ok: null }, note: String(e.message).split('\n')[0] });
			console.error(`${title}: crashed: ${e.stack || e}`);
		}
		console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
	}
	const rows = figures.map(cells);
	console.log(`\n${textTable(rows)}`);
	const dir = path.join(BUILD, 'bench');
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, 'results.md'), markdown(rows, figures, machine));
	fs.writeFileSync(path.join(dir, 'results.json'),
	    JSON.stringify({ smoke: SMOKE, machine, sizes: SIZES, figures }, null, 1) + '\n');
	console.log(`\nwritten: ${path.join(dir, 'results.md')}, results.json`);
	if (crashed) {
		console.error(`bench: ${crashed} row(s) crashed`);
		process.exitCode = 1;
	}
}

main().catch((e) => {
	console.error(e.stack || String(e));
	process.exit(1);
});
