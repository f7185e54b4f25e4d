// `scripts/numdialer status` says what runs, as it was started: run with
// an environment that differs from the start's (another API, port, list,
// no journal), it still shows the running page, API and journal, taken
// from the settings the start recorded in the run dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { withSession, runScript, standInApi } from './harness.mjs';

for (const server of ['lighttpd', 'nginx']) {
	test(`status shows the settings the run was started with, behind ${server}`, { timeout: 60000 }, async (t) => {
		const api = await standInApi();
		try {
			await withSession(t, async (s) => {
				const dir = await s.tmpdir();
				const journal = path.join(dir, 'journal');
				const st = await s.stack({ server, api: api.url, env: { NUMDIALER_JOURNAL: journal } });
				// The operator's shell: the run dir is known, the rest is not.
				const env = { ...st.env };
				for (const k of ['NUMDIALER_API', 'NUMDIALER_PORT', 'NUMDIALER_JOURNAL', 'NUMDIALER_SERVER'])
					delete env[k];
				const res = await runScript('status', env, { logDir: st.logDir });
				assert.equal(res.code, 0, res.output);
				assert.match(res.output, new RegExp(`^page: +http://127\\.0\\.0\\.1:${st.port}/$`, 'm'), res.output);
				assert.match(res.output, new RegExp(`^API: +${api.url.replace(/\./g, '\\.')} \\(not started here\\)$`, 'm'), res.output);
				assert.match(res.output, new RegExp(`^journal: +${journal.replace(/\./g, '\\.')}$`, 'm'), res.output);
				assert.match(res.output, /^settings: +.*\/settings \(as started\)$/m, res.output);
				assert.doesNotMatch(res.output, /localhost:4830|:8080\//, res.output);
			});
		} finally {
			await api.close();
		}
	});
}
