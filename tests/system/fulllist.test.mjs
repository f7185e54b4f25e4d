// The full list of GET /events, behind lighttpd and nginx: clients asking
// for it at once, nothing changing, share the lists made (GET /metrics
// counts more answers than lists); while dialing goes on, rounds of clients
// asking at once each get well-formed JSON with every row in order, and
// the rows changed after its version (?since=V), applied to it, give the
// campaign's final list. Every full answer is counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
	withSession, request, getJSON, postJSON, waitAllTerminal, waitSimSettled,
	writeNumbers, TERMINAL,
} from './harness.mjs';

const N = 10000;
const CLIENTS = 10;      // asking at once, each round
const ROUNDS = 5;        // while dialing
const IDLE_ROUNDS = 2;   // before
const STATUSES = new Set([...TERMINAL, 'idle', 'dialing', 'ringing', 'answered']);

// The value of an unlabeled sample of GET /metrics.
async function metric(base, name) {
	const r = await request(`${base}/metrics`);
	assert.equal(r.status, 200);
	const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(r.text);
	assert.ok(m, `${name} on GET /metrics`);
	return Number(m[1]);
}

// Checks a full answer: every row, in order, each its phone and a status.
function checkFull(r, list) {
	assert.equal(r.status, 200, r.text.slice(0, 300));
	assert.ok(r.json, `well-formed JSON (${r.text.length} bytes)`);
	const ev = r.json;
	assert.equal(ev.full, true);
	assert.equal(ev.total, list.length);
	assert.ok(Number.isInteger(ev.version));
	assert.equal(ev.calls.length, list.length);
	for (let i = 0; i < list.length; i++) {
		const c = ev.calls[i];
		if (c.row !== i || c.phone !== list[i] || !STATUSES.has(c.status))
			assert.fail(`row ${i}: ${JSON.stringify(c)}`);
	}
	return ev;
}

for (const server of ['lighttpd', 'nginx']) {
	test(`the full list while dialing is whole, shared, and caught up by since, behind ${server}`,
	    { timeout: 240000 }, async (t) => {
		await withSession(t, async (s) => {
			const dir = await s.tmpdir();
			const list = Array.from({ length: N }, (_, i) => `1301805${String(i).padStart(4, '0')}`);
			const file = await writeNumbers(dir, 'numbers.txt', list);
			const sim = await s.apisim({ delayMaxMs: 2, seed: 7, numbers: file });
			const st = await s.stack({ server, api: sim.url, numbers: file });

			const counted = async () => [
				await metric(st.base, 'numdialer_events_full_renders_total'),
				await metric(st.base, 'numdialer_events_full_answers_total')];
			// Rounds of clients asking at once; each answer checked.
			const fulls = [];
			const rounds = async (n) => {
				const [renders0, answers0] = await counted();
				for (let round = 0; round < n; round++) {
					const rs = await Promise.all(Array.from({ length: CLIENTS },
					    () => getJSON(`${st.base}/events`, { timeoutMs: 60000 })));
					for (const r of rs) {
						// The web server compresses it as any JSON answer.
						assert.equal(r.headers.get('content-encoding'), 'gzip');
						fulls.push(checkFull(r, list));
					}
				}
				const [renders1, answers1] = await counted();
				return { renders: renders1 - renders0, answers: answers1 - answers0 };
			};

			const idle = await rounds(IDLE_ROUNDS);
			t.diagnostic(`nothing changing: ${idle.answers} full answers from ${idle.renders} lists made`);
			assert.equal(idle.answers, IDLE_ROUNDS * CLIENTS, 'every full answer is counted');
			assert.ok(idle.renders >= 1 && idle.renders < idle.answers,
			    `clients asking at once share a list: ${idle.renders} made for ${idle.answers}`);
			assert.ok(fulls.every((ev) => ev.version === fulls[0].version));

			assert.equal((await postJSON(`${st.base}/call`)).status, 202);
			fulls.length = 0;
			const busy = await rounds(ROUNDS);
			t.diagnostic(`dialing: ${busy.answers} full answers from ${busy.renders} lists made; versions ` +
			    `${fulls[0].version}..${fulls.at(-1).version}, ${fulls.at(-1).dialed} dialed`);
			assert.equal(busy.answers, ROUNDS * CLIENTS, 'every full answer is counted');
			assert.ok(busy.renders >= 1 && busy.renders <= busy.answers);

			// A full answer from the second half of the dialing (the change
			// log holds some four changes a row: it reaches that far back),
			// then the rows changed after its version, are the campaign's
			// final list.
			let base = fulls.at(-1);
			while (base.dialed < N / 2)
				base = checkFull(await getJSON(`${st.base}/events`, { timeoutMs: 60000 }), list);
			t.diagnostic(`the base: version ${base.version}, ${base.dialed} dialed, ${base.done} done`);
			const fin = await waitAllTerminal(st.base, 200000);
			await waitSimSettled(sim, 300);
			const model = base.calls.slice();
			const diff = await getJSON(`${st.base}/events?since=${base.version}&instance=${base.instance}`);
			assert.equal(diff.status, 200);
			assert.equal(diff.json.full, false, 'the change log still reaches the full answer');
			for (const c of diff.json.calls)
				model[c.row] = c;
			const final = checkFull(await getJSON(`${st.base}/events`), list);
			assert.equal(final.version, diff.json.version, 'nothing moved after the end');
			assert.equal(final.done, N);
			assert.deepEqual(model, final.calls);
			assert.equal(fin.rows.length, N);
		});
	});
}
