// The admin script's own decisions, as an operator on a fresh machine meets
// them: with NUMDIALER_SIM=auto (the default) it starts the simulator when
// nothing answers on the API's port, and leaves a running API alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	withSession, getJSON, postJSON, waitAllTerminal, readNumbers, runScript, freePort,
	DEFAULT_NUMBERS, DEFAULT_ROWS,
} from './harness.mjs';

test('start with NUMDIALER_SIM=auto starts the simulator when no API answers, and the list is dialed',
    { timeout: 90000 }, async (t) => {
	await withSession(t, async (s) => {
		const api = `http://127.0.0.1:${await freePort()}`;
		const st = await s.stack({ api, env: {
			NUMDIALER_SIM: 'auto', NUMDIALER_SIM_ARGS: '--delay-max-ms 200 --seed 3' } });
		assert.ok(fs.existsSync(path.join(st.rundir, 'apisim.pid')), 'the script started the simulator');
		const status = await runScript('status', st.env, { logDir: st.logDir });
		assert.match(status.output, /the simulator, started here/);

		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		const fin = await waitAllTerminal(st.base, 60000);
		const list = readNumbers(DEFAULT_NUMBERS);
		assert.deepEqual(fin.rows.map((r) => r.status), list.map(() => 'completed'));
		const stats = (await getJSON(`${api}/stats`)).json;
		assert.deepEqual(stats.dialed, list, 'the simulator saw the list in order');
		assert.equal(stats.max_in_flight, 3);
	});
});

test('start with NUMDIALER_SIM=auto leaves an API that answers alone', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		const sim = await s.apisim({ delayMaxMs: 100, seed: 4 });
		const st = await s.stack({ api: sim.url, env: { NUMDIALER_SIM: 'auto' } });
		assert.ok(!fs.existsSync(path.join(st.rundir, 'apisim.pid')), 'no simulator of its own');
		assert.equal((await postJSON(`${st.base}/call`)).status, 202);
		await waitAllTerminal(st.base, 30000);
		assert.equal((await sim.stats()).calls_placed, DEFAULT_ROWS, 'the running API took the calls');
	});
});
