// The run dir is the admin script's own: a directory it did not make is
// refused and left exactly as it was (mode, files, the processes its pid
// files name), a symbolic link is never followed, stop signals only the
// processes start started for that run dir, and of two starts at once one
// wins and the other says why it did not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withSession, getJSON, runScript, standInApi, freePort } from './harness.mjs';

const SERVERS = ['lighttpd', 'nginx'];
// Each pid file start writes, and the command name its process has.
const PID_FILES = { lighttpd: 'lighttpd', nginx: 'nginx', supervisor: 'numdialer-watch',
	numdialer: 'numdialer.fcgi', apisim: 'apisim' };
const REFUSED = /refused as a run dir, and left as it is/;

// A directory's mode and every entry with its content (or what it is): what
// "left as it is" compares.
async function snapshot(dir) {
	const st = await fsp.lstat(dir);
	const entries = {};
	for (const name of (await fsp.readdir(dir)).sort()) {
		const p = path.join(dir, name);
		const e = await fsp.lstat(p);
		entries[name] = e.isSymbolicLink() ? `link to ${await fsp.readlink(p)}`
		    : e.isFile() ? `${(e.mode & 0o7777).toString(8)} ${await fsp.readFile(p, 'utf8')}`
		    : `${e.isDirectory() ? 'dir' : 'other'} ${(e.mode & 0o7777).toString(8)}`;
	}
	return { link: st.isSymbolicLink(), mode: (st.mode & 0o7777).toString(8), entries };
}

const procState = (pid) => {
	try {
		const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return s.slice(s.lastIndexOf(')') + 2)[0];
	} catch {
		return null;
	}
};
const running = (pid) => { const st = procState(pid); return st !== null && st !== 'Z'; };

// A process that is not the script's but has the name of one of its own: a
// sleep run through a link of that name (the kernel names a process after
// the file it ran). kill() ends it.
async function impostor(dir, name) {
	const bin = path.join(dir, name);
	await fsp.symlink(fs.realpathSync('/bin/sleep'), bin);
	const child = spawn(bin, ['120'], { stdio: 'ignore' });
	const deadline = Date.now() + 5000;
	for (;;) {
		let comm = '';
		try { comm = fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim(); } catch { /* not yet */ }
		if (comm === name.slice(0, 15)) break;
		if (Date.now() > deadline) throw new Error(`impostor ${name}: comm is "${comm}"`);
		await sleep(10);
	}
	return { name, pid: child.pid, kill: () => { try { child.kill('SIGKILL'); } catch { /* gone */ } } };
}

const pidFile = (dir, name) => path.join(dir, `${name}.pid`);
const readPid = (dir, name) => Number(fs.readFileSync(pidFile(dir, name), 'utf8').trim());

test('a run dir the script did not make is refused and left as it is', { timeout: 60000 }, async (t) => {
	const cases = [
		['a shared directory', 0o777, (pid) => ({ 'other.pid': `${pid}\n`, 'lighttpd.pid': `${pid}\n`,
			'notes.txt': 'not numdialer\'s\n' })],
		['a directory of yours with files of its own', 0o700, (pid) => ({ 'other.pid': `${pid}\n`,
			'notes.txt': 'not numdialer\'s\n' })],
	];
	await withSession(t, async (s) => {
		const bin = await s.tmpdir();
		const victim = await impostor(bin, 'lighttpd');
		const started = [];
		try {
			for (const [what, mode, files] of cases) {
				const dir = path.join(await s.tmpdir(), 'shared');
				await fsp.mkdir(dir);
				await fsp.chmod(dir, mode);
				for (const [n, text] of Object.entries(files(victim.pid))) await fsp.writeFile(path.join(dir, n), text);
				const before = await snapshot(dir);
				const st = await s.prepare({ api: `http://127.0.0.1:${await freePort()}`, rundir: dir, track: false });
				for (const cmd of ['start', 'stop', 'status']) {
					const r = await runScript(cmd, st.env, { logDir: st.logDir });
					if (cmd === 'start' && r.code === 0) started.push(st);
					assert.notEqual(r.code, 0, `${what}: ${cmd} refused it:\n${r.output}`);
					assert.match(r.output, REFUSED, `${what}: ${cmd} says why`);
					assert.deepEqual(await snapshot(dir), before, `${what}: untouched after ${cmd}`);
					assert.ok(running(victim.pid), `${what}: the process its pid files name still runs after ${cmd}`);
				}
				await assert.rejects(getJSON(`${st.base}/events`, { timeoutMs: 1000 }), `${what}: nothing started`);
			}
		} finally {
			victim.kill();
			for (const st of started) await runScript('stop', st.env, { logDir: st.logDir });
		}
	});
});

test('a run dir that is a symbolic link, or holds one, is refused', { timeout: 60000 }, async (t) => {
	await withSession(t, async (s) => {
		// The run dir itself: a link to an empty directory of this user's,
		// which the script would take were it named directly.
		const target = await s.tmpdir();
		const link = path.join(await s.tmpdir(), 'run');
		await fsp.symlink(target, link);
		const viaLink = await s.prepare({ api: `http://127.0.0.1:${await freePort()}`, rundir: link });
		viaLink.startFailedOk = true;
		let r = await runScript('start', viaLink.env, { logDir: viaLink.logDir });
		assert.notEqual(r.code, 0, `start through a link refused:\n${r.output}`);
		assert.match(r.output, /symbolic link/);
		assert.deepEqual(await fsp.readdir(target), [], 'nothing written where the link points');
		assert.ok((await fsp.lstat(link)).isSymbolicLink(), 'the link left as it is');

		// A link in a run dir the script made: it would write through it.
		const api = await standInApi();
		try {
			const st = await s.stack({ api: api.url });
			assert.equal((await runScript('stop', st.env, { logDir: st.logDir })).code, 0);
			const out = path.join(await s.tmpdir(), 'elsewhere.log');
			const planted = path.join(st.rundir, 'lighttpd-error.log');
			await fsp.rm(planted, { force: true });
			await fsp.symlink(out, planted);
			r = await runScript('start', st.env, { logDir: st.logDir });
			const wrote = fs.existsSync(out);
			await fsp.rm(planted);
			assert.notEqual(r.code, 0, `start with a link in the run dir refused:\n${r.output}`);
			assert.match(r.output, /lighttpd-error\.log: a symbolic link in the run dir/);
			assert.ok(!wrote, 'nothing written through the link');
		} finally {
			await api.close();
		}
	});
});

for (const server of SERVERS) {
	test(`stop signals only what start started for its run dir, behind ${server}`, { timeout: 90000 }, async (t) => {
		await withSession(t, async (s) => {
			const sim = { NUMDIALER_SIM: 'on' };
			const a = await s.stack({ server, api: `http://127.0.0.1:${await freePort()}`, env: sim });
			const b = await s.stack({ server, api: `http://127.0.0.1:${await freePort()}`, env: sim });
			assert.equal((await runScript('stop', a.env, { logDir: a.logDir })).code, 0);

			// Another instance's processes: lighttpd's command line is the
			// same in both; only the run dir tells them apart.
			const theirs = {};
			for (const n of Object.keys(PID_FILES)) {
				if (!fs.existsSync(pidFile(b.rundir, n))) continue;
				theirs[n] = readPid(b.rundir, n);
				await fsp.writeFile(pidFile(a.rundir, n), `${theirs[n]}\n`);
			}
			assert.ok(theirs[server] && theirs.numdialer && theirs.apisim, JSON.stringify(theirs));
			let r = await runScript('stop', a.env, { logDir: a.logDir });
			assert.equal(r.code, 0, r.output);
			for (const [n, pid] of Object.entries(theirs))
				assert.ok(running(pid), `the other run's ${n} (pid ${pid}) survives the stop:\n${r.output}`);
			assert.match(r.output, /left alone/);
			assert.equal((await getJSON(`${b.base}/events`)).status, 200, 'the other run still answers');

			// Processes of the right names that no start started.
			const bin = await s.tmpdir();
			const fakes = [];
			try {
				for (const [n, comm] of Object.entries(PID_FILES)) {
					const f = await impostor(bin, comm);
					fakes.push(f);
					await fsp.writeFile(pidFile(a.rundir, n), `${f.pid}\n`);
				}
				r = await runScript('stop', a.env, { logDir: a.logDir });
				assert.equal(r.code, 0, r.output);
				for (const f of fakes) assert.ok(running(f.pid), `${f.name} (pid ${f.pid}) survives the stop:\n${r.output}`);
				// Nor do they pass for a running instance: start goes ahead.
				for (const [n] of Object.entries(PID_FILES))
					await fsp.writeFile(pidFile(a.rundir, n), `${fakes.find((f) => f.name === PID_FILES[n]).pid}\n`);
				r = await runScript('start', a.env, { logDir: a.logDir });
				assert.equal(r.code, 0, `start over pid files naming other processes:\n${r.output}`);
				await s.ready(a);
				for (const f of fakes) assert.ok(running(f.pid), `${f.name} survives the start`);
			} finally {
				for (const f of fakes) f.kill();
			}
		});
	});

	test(`two starts at once on one run dir: one wins, the other fails clearly, behind ${server}`,
	    { timeout: 90000 }, async (t) => {
		const api = await standInApi();
		try {
			await withSession(t, async (s) => {
				// A run dir neither has made yet: both race to make it too.
				const st = await s.prepare({ server, api: api.url, rundir: path.join(await s.tmpdir(), 'run') });
				const logDirs = [st.logDir, await s.tmpdir()];
				const results = await Promise.all(logDirs.map((logDir) => runScript('start', st.env, { logDir })));
				const won = results.filter((r) => r.code === 0);
				const lost = results.filter((r) => r.code !== 0);
				const outputs = results.map((r, i) => `--- start ${i + 1} (exit ${r.code}):\n${r.output}`).join('\n');
				assert.equal(won.length, 1, `one start wins:\n${outputs}`);
				assert.equal(lost.length, 1, outputs);
				assert.match(lost[0].output, /holds .*numdialer\.lock|already running in/, `the other says why:\n${outputs}`);
				st.startResult = won[0];
				await s.ready(st);
				const status = await runScript('status', st.env, { logDir: st.logDir });
				assert.equal(status.code, 0, status.output);
				for (const n of [server, 'numdialer']) {
					const pid = readPid(st.rundir, n);
					assert.ok(running(pid), `${n}.pid names a live process (pid ${pid}):\n${outputs}\n${status.output}`);
				}
				assert.equal((await getJSON(`${st.base}/events`)).status, 200, 'the winner answers');
			});
		} finally {
			await api.close();
		}
	});
}
