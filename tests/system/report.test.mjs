// Each call's history and the two CSV reports, behind each web server: a
// finished campaign's GET /report.csv matches /events and GET /calls/ROW
// row by row, GET /report/events.csv matches each row's events, both come
// as downloads; GET /calls/ROW refuses what is not a row. Then a 10,000-
// number report downloads whole while the program's memory does not grow
// by its size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, getJSON, postJSON, request, waitAllTerminal, waitSimSettled, writeNumbers, residentMemory, resetPeakMemory,
} from './harness.mjs';
import { fcgiAnswer, fcgiConnect, fcgiRecords, fcgiSocket } from './slow.mjs';

const ROWS = 40;
const BIG = 10000;
const ROWS_HEADER = ['row', 'phone', 'status', 'call_id', 'attempts', 'dialed_at', 'ringing_at', 'answered_at',
	'ended_at', 'duration_s', 'answered_by', 'reason'];
const EVENTS_HEADER = ['row', 'phone', 'call_id', 'at', 'status', 'source', 'seq', 'provider_time', 'applied'];
const MARKS = ['dialed_at', 'ringing_at', 'answered_at', 'ended_at'];
const FORMULA = /^[=+\-@\t\r]/;
const phones = (n, prefix) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);

// RFC 4180: records end in CRLF; a field is quoted when it holds a comma, a
// quote, a CR or a LF, its quotes doubled. Throws on anything else (a bare
// LF, a quote inside an unquoted field, text after a closing quote).
function parseCSV(text) {
	const records = [];
	let record = [];
	let i = 0;
	for (;;) {
		let field = '';
		if (text[i] === '"') {
			i++;
			for (;;) {
				const q = text.indexOf('"', i);
				if (q < 0) throw new Error(`unterminated quoted field at ${i}`);
				field += text.slice(i, q);
				if (text[q + 1] === '"') {
					field += '"';
					i = q + 2;
				} else {
					i = q + 1;
					break;
				}
			}
		} else {
			const m = /[,\r\n"]/g;
			m.lastIndex = i;
			const hit = m.exec(text);
			const end = hit ? hit.index : text.length;
			if (hit && hit[0] === '"') throw new Error(`a quote inside an unquoted field at ${end}`);
			field = text.slice(i, end);
			i = end;
		}
		record.push(field);
		if (text[i] === ',') {
			i++;
			continue;
		}
		if (text.startsWith('\r\n', i)) {
			records.push(record);
			record = [];
			i += 2;
			if (i === text.length) return records;
			continue;
		}
		throw new Error(`a record not ended by CRLF at ${i}: ${JSON.stringify(text.slice(i, i + 20))}`);
	}
}

// A free-text field as the program writes it: guarded against formulas.
const guarded = (s) => (s === undefined || s === null ? '' : FORMULA.test(s) ? `'${s}` : s);
const iso = (ms) => (ms === undefined || ms === null ? '' : new Date(ms).toISOString());

// What /report.csv must say of a row, from /events and /calls/ROW.
function expectedLine(ev, call) {
	const a = ev.answered_at;
	const e = ev.ended_at;
	const duration = call.duration_s ?? (a !== undefined && e !== undefined ? Math.floor((e - a) / 1000) : null);
	return [String(ev.row), ev.phone, ev.status, guarded(ev.id), String(ev.attempts), ...MARKS.map((m) => iso(ev[m])),
		duration === null ? '' : String(duration), guarded(call.answered_by), guarded(ev.reason)];
}

// GET a report: the answer and its records, checked for the download's
// headers and RFC 4180's line ends.
async function getReport(st, path, instance, file) {
	const r = await request(`${st.base}${path}`, { timeoutMs: 120000 });
	assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 200)}`);
	assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
	assert.equal(r.headers.get('content-disposition'), `attachment; filename="numdialer-${instance}${file}.csv"`);
	assert.equal(r.headers.get('x-accel-buffering'), null, 'the program\'s word to nginx stays between them');
	assert.notEqual(r.text.charCodeAt(0), 0xfeff, 'no byte order mark');
	return parseCSV(r.text);
}

// Every row's /calls/ROW.
async function callsOf(st, n) {
	const calls = [];
	for (let row = 0; row < n; row++) {
		const r = await getJSON(`${st.base}/calls/${row}`);
		assert.equal(r.status, 200, `/calls/${row}: ${r.text}`);
		calls.push(r.json);
	}
	return calls;
}

// A reader of a report straight from the program's FastCGI socket that
// takes nothing until read() is called: then, once the program has closed,
// the bytes of the answer that came and whether FCGI_END_REQUEST (the
// request ended whole) was among them.
async function stalledReport(st, uri) {
	const { sock, got, closed } = await fcgiConnect(fcgiSocket(st));
	sock.pause();
	sock.write(fcgiRecords({ REQUEST_METHOD: 'GET', REQUEST_URI: uri, SCRIPT_NAME: uri,
		QUERY_STRING: '', SERVER_PROTOCOL: 'HTTP/1.1', HTTP_HOST: `127.0.0.1:${st.port}` }));
	return {
		read: async () => {
			sock.resume();
			await closed;
			const { stdout, ended } = fcgiAnswer(got);
			return { bytes: stdout.length, ended };
		},
		close: () => sock.destroy(),
	};
}

for (const server of ['lighttpd', 'nginx']) {
	test(`a finished campaign's history and reports behind ${server}`, { timeout: 120000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const list = phones(ROWS, '1301806');
			const numbers = await writeNumbers(dir, 'numbers.txt', list);
			// Every path, and webhooks sent twice and out of order: histories
			// with duplicates, late ringings and unapplied events.
			const sim = await s.apisim({ delayMaxMs: 40, seed: 11, numbers,
			    paths: 'answer,noanswer,early,busy,unanswered',
			    extra: ['--fault', 'hook-duplicate=0.2', '--fault', 'hook-reorder=0.2'] });
			const st = await s.stack({ server, api: sim.url, numbers });
			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			await waitAllTerminal(st.base, 60000);
			await waitSimSettled(sim, 200);
			const ev = (await getJSON(`${st.base}/events`)).json;
			assert.equal(ev.state, 'finished');
			const calls = await callsOf(st, ROWS);

			// GET /calls/ROW is the row of /events, with its history.
			let events = 0;
			let unapplied = 0;
			for (const [i, call] of calls.entries()) {
				for (const [k, v] of Object.entries(ev.calls[i]))
					assert.deepEqual(call[k], v, `/calls/${i} ${k} as /events has it`);
				assert.ok(call.answered_by === null || typeof call.answered_by === 'string');
				assert.ok(call.duration_s === null || Number.isInteger(call.duration_s));
				// The API's answer may come after a webhook (the early path).
				assert.ok(call.events.some((e) => e.source === 'api' && e.status === 'dialing'),
				    `row ${i}: the API's answer`);
				assert.ok(call.events.some((e) => e.source === 'webhook' && e.applied && e.status === call.status),
				    `row ${i}: the webhook that ended it`);
				for (const e of call.events) {
					assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
					assert.ok(Date.parse(e.at) >= call.dialed_at - 1000);
					assert.ok(e.seq === null || Number.isInteger(e.seq));
					assert.ok(e.provider_time === null || typeof e.provider_time === 'string');
					assert.equal(typeof e.applied, 'boolean');
					unapplied += e.applied ? 0 : 1;
				}
				events += call.events.length;
			}
			t.diagnostic(`${ROWS} rows, ${events} events, ${unapplied} not applied`);
			assert.ok(unapplied > 0, 'duplicates and late webhooks are in the histories, not applied');

			// GET /report.csv: a line per row, as /events and /calls/ROW say.
			const rows = await getReport(st, '/report.csv', ev.instance, '');
			assert.deepEqual(rows[0], ROWS_HEADER);
			assert.equal(rows.length, ROWS + 1);
			for (const [i, line] of rows.slice(1).entries())
				assert.deepEqual(line, expectedLine(ev.calls[i], calls[i]), `report.csv row ${i}`);

			// GET /report/events.csv: a line per event, rows in order.
			const lines = await getReport(st, '/report/events.csv', ev.instance, '-events');
			assert.deepEqual(lines[0], EVENTS_HEADER);
			const want = [];
			for (const [i, call] of calls.entries())
				for (const e of call.events)
					want.push([String(i), call.phone, guarded(call.id), e.at, e.status, e.source,
						e.seq === null ? '' : String(e.seq), e.provider_time ?? '', String(e.applied)]);
			assert.deepEqual(lines.slice(1), want, 'events.csv is every row\'s history, oldest first');

			// What is not a row.
			for (const path of ['/calls/-1', '/calls/1x', '/calls/', `/calls/${ROWS}`, '/calls/99999999999999999999',
				'/calls/0/1', '/calls/+1']) {
				const r = await getJSON(`${st.base}${path}`);
				assert.equal(r.status, 404, `${path} answered ${r.status}`);
			}
			const post = await postJSON(`${st.base}/calls/0`);
			assert.equal(post.status, 405);
			assert.equal((await postJSON(`${st.base}/report.csv`)).status, 405);
		});
	});
}

test(`a ${BIG.toLocaleString('en')}-number report downloads whole, the program's memory not growing by its size`,
    { timeout: 300000 }, async (t) => {
	await withSession(t, async (s) => {
		const dir = await s.tmpdir();
		const list = phones(BIG, '130180');
		const numbers = await writeNumbers(dir, 'numbers.txt', list);
		const sim = await s.apisim({ delayMaxMs: 0, seed: 5, numbers, paths: 'answer' });
		const st = await s.stack({ server: 'nginx', api: sim.url, numbers });
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		await waitAllTerminal(st.base, 240000);
		await waitSimSettled(sim, 200);
		const ev = (await getJSON(`${st.base}/events`)).json;
		const pid = await st.fcgiPid();

		resetPeakMemory(pid);
		const before = residentMemory(pid);
		const rows = await getReport(st, '/report.csv', ev.instance, '');
		const mid = residentMemory(pid);
		resetPeakMemory(pid);
		const r = await request(`${st.base}/report/events.csv`, { timeoutMs: 120000 });
		const after = residentMemory(pid);
		assert.equal(r.status, 200);
		const lines = parseCSV(r.text);

		assert.equal(rows.length, BIG + 1, 'every row, and the header');
		for (const [i, line] of rows.slice(1).entries()) {
			const c = ev.calls[i];
			assert.deepEqual(line.slice(0, 9), [String(i), c.phone, 'completed', c.id, '1',
				...MARKS.map((m) => iso(c[m]))], `row ${i}`);
		}
		// The answer path: the API's answer, ringing, answered, completed.
		assert.equal(lines.length, 4 * BIG + 1, 'four events a call');
		const rowsBytes = rows.reduce((n, l) => n + l.join(',').length + 2, 0);
		const growth = Math.max(mid.peak - before.now, after.peak - mid.now);
		const msg = `RSS ${(before.now / 1048576).toFixed(1)} MiB before; peak during /report.csv ` +
		    `(${(rowsBytes / 1048576).toFixed(1)} MiB) ${(mid.peak / 1048576).toFixed(1)} MiB, during ` +
		    `/report/events.csv (${(r.text.length / 1048576).toFixed(1)} MiB) ${(after.peak / 1048576).toFixed(1)} MiB`;
		console.log(msg);
		t.diagnostic(msg);
		assert.ok(growth < r.text.length / 2, `the program grew ${growth} bytes for a ${r.text.length}-byte report`);

		// Two readers that take nothing hold the two reports allowed: a
		// third is refused at once, other routes go on, and after 5 s
		// without a byte taken each is dropped, cut (no end of request,
		// so no web server could pass it on as whole).
		const stalled = [await stalledReport(st, '/report/events.csv'), await stalledReport(st, '/report/events.csv')];
		try {
			await sleep(1000);
			const third = await getJSON(`${st.base}/report.csv`);
			assert.equal(third.status, 503, `a third report at once: ${third.status}`);
			assert.match(third.json?.error ?? '', /reports are being written/);
			assert.equal((await getJSON(`${st.base}/calls/0`)).status, 200, 'other routes are served meanwhile');
			await sleep(6000);
			for (const r of stalled) {
				const { bytes, ended } = await r.read();
				assert.equal(ended, false, 'a report cut short does not end its request');
				assert.ok(bytes > 0 && bytes < lines.length * 40, `part of it came (${bytes} bytes)`);
			}
		} finally {
			for (const r of stalled) r.close();
		}
		const again = await request(`${st.base}/report.csv`, { timeoutMs: 60000 });
		assert.equal(again.status, 200, 'reports are served again once the stalled ones are dropped');
		assert.equal(parseCSV(again.text).length, BIG + 1);
	});
});
