// The dialer as installed, away from the source tree: `make install
// DESTDIR=... PREFIX=/usr` into a fresh root, whose own `numdialer start`
// (run from elsewhere, with a HOME of its own) dials the list against the
// simulator it starts; the systemd unit, checked by systemd-analyze and its
// command run as the unit says behind the nginx site, as a system nginx
// would; the logrotate snippet on a running stack's logs; and `make deb`:
// lintian, then a campaign from the package's files, unpacked with dpkg -x.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	withSession, getJSON, postJSON, request, waitAllTerminal, runScript, freePort, alivePid,
	ROOT, BUILD, DEFAULT_ROWS,
} from './harness.mjs';

const VERSION = fs.readFileSync(path.join(ROOT, 'VERSION'), 'utf8').trim();
const UNIT = 'numdialer.service';

// Runs a command; resolves { code, out } (stdout and stderr together).
function run(cmd, args, { cwd = ROOT, env = process.env, timeoutMs = 300000 } = {}) {
	return new Promise((resolve) => {
		execFile(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
			resolve({ code: err ? (err.code ?? err.signal) : 0, out: `${stdout}${stderr}` });
		});
	});
}

async function mustRun(cmd, args, opts) {
	const r = await run(cmd, args, opts);
	assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited ${r.code}:\n${r.out}`);
	return r.out;
}

// The make arguments that build into the harness's build directory, as
// the admin script's build does: the sanitizer build is SAN=1.
function makeBuildArgs() {
	const rel = path.relative(ROOT, BUILD);
	if (rel === 'build') return [];
	if (rel === path.join('build', 'san')) return ['SAN=1'];
	return [`BUILD=${rel}`];
}

let installRoot;	// make install's DESTDIR, shared by the tests of this file
let installSeconds;

// A fresh directory outside the tree, readable by other users (a system
// nginx's www-data reads the page from it).
async function freshDir(name) {
	const d = await fsp.mkdtemp(path.join(os.tmpdir(), `nd-test-${name}-`));
	await fsp.chmod(d, 0o755);
	return d;
}

before(async () => {
	installRoot = await freshDir('install');
	const t0 = Date.now();
	await mustRun('make', ['-s', ...makeBuildArgs(), 'install', `DESTDIR=${installRoot}`, 'PREFIX=/usr']);
	installSeconds = (Date.now() - t0) / 1000;
});

process.on('exit', () => {
	if (installRoot && !process.env.NUMDIALER_KEEP) fs.rmSync(installRoot, { recursive: true, force: true });
});

// The environment an installed stack runs with: the harness's own, less
// everything that names the source tree, with HOME in a directory of its
// own (the run dir's default is under it).
function installedEnv(st, home) {
	const env = { ...st.env, HOME: home, PWD: home };
	for (const k of ['NUMDIALER_BUILD', 'NUMDIALER_NUMBERS', 'NUMDIALER_RUNDIR', 'NUMDIALER_CONF', 'OLDPWD',
	    'XDG_STATE_HOME', 'INIT_CWD'])
		delete env[k];
	return env;
}

// Starts the copy of the admin script under root (root/usr/bin/numdialer)
// from a directory outside the tree, its run dir by default; the harness
// stops it with the same script and checks by pid that all is gone.
async function installedStack(s, root, { server = 'lighttpd' } = {}) {
	const home = await s.tmpdir();
	const rundir = path.join(home, '.local', 'state', 'numdialer', 'run');
	const api = `http://127.0.0.1:${await freePort()}`;
	const st = await s.prepare({ server, api, rundir, script: path.join(root, 'usr', 'bin', 'numdialer'), cwd: home,
	    env: { NUMDIALER_SIM: 'auto', NUMDIALER_SIM_ARGS: '--delay-max-ms 100 --seed 5' } });
	st.env = installedEnv(st, home);
	const started = await runScriptAs(s, st, 'start');
	st.startResult = started;
	await s.record(st);
	assert.equal(started.code, 0, `installed numdialer start:\n${started.output}`);
	assert.match(started.output, new RegExp(`run dir ${rundir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
	    'the run dir is under the HOME given');
	await s.ready(st);
	return st;
}

function runScriptAs(s, st, cmd) {
	return runScript(cmd, st.env, { logDir: st.logDir, script: st.script, cwd: st.cwd });
}

// What runs for the stack must come from the installed root, never from
// the source tree: each process's program and command line.
async function assertNothingFromTheTree(s, st, root) {
	await s.record(st);
	assert.ok(st.procs.size >= 3, `the stack's processes: ${[...st.procs.values()].map((p) => p.comm)}`);
	for (const p of st.procs.values()) {
		let exe = '';
		let cmd = '';
		try { exe = fs.readlinkSync(`/proc/${p.pid}/exe`); } catch { continue; }
		try { cmd = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').join(' '); } catch { continue; }
		assert.ok(!exe.startsWith(ROOT + path.sep) && !cmd.includes(ROOT + path.sep),
		    `pid ${p.pid} (${p.comm}) runs from the source tree: ${exe} ${cmd}`);
		if (p.comm === 'numdialer.fcgi' || p.comm === 'apisim')
			assert.ok(exe.startsWith(path.join(root, 'usr', 'lib', 'numdialer') + path.sep), `${p.comm}: ${exe}`);
	}
}

// One whole campaign of the default list against the simulator the
// script started, and the release on the page's footer and in /events.
async function dialAll(st) {
	assert.equal((await postJSON(`${st.base}/call`)).status, 202);
	const fin = await waitAllTerminal(st.base, 60000);
	assert.equal(fin.rows.length, DEFAULT_ROWS);
	assert.deepEqual(fin.rows.map((r) => r.status), fin.rows.map(() => 'completed'), 'every row completed');
	assert.equal(fin.last.program_version, VERSION, 'GET /events names the release');
	const page = await request(`${st.base}/`);
	assert.equal(page.status, 200);
	assert.match(page.text, /<footer[^>]*>[\s\S]*id="program-version"[\s\S]*<\/footer>/, 'the page has its footer');
	const app = await request(`${st.base}/app.js`);
	assert.match(app.text, /ev\.program_version/, 'the page fills the footer from GET /events');
}

test('make install lays out a dialer that runs with no source tree: a campaign against the simulator',
    { timeout: 120000 }, async (t) => {
	const root = installRoot;
	const has = (p) => fs.existsSync(path.join(root, p));
	for (const p of ['usr/bin/numdialer', 'usr/lib/numdialer/numdialer.fcgi', 'usr/lib/numdialer/apisim',
	    'usr/share/numdialer/htdocs/index.html', 'usr/share/numdialer/conf/lighttpd.conf',
	    'usr/share/numdialer/conf/nginx.conf', 'usr/share/numdialer/conf/nginx-routes.conf',
	    'usr/share/numdialer/conf/numbers.txt',
	    'usr/share/numdialer/conf/numdialer-nginx.conf', 'etc/numdialer/numdialer.conf',
	    `usr/lib/systemd/system/${UNIT}`, 'usr/share/doc/numdialer/examples/numdialer.logrotate',
	    'usr/share/man/man1/numdialer.1'])
		assert.ok(has(p), `installed: ${p}`);
	assert.ok(!has('usr/lib/numdialer/scripts') && !has('usr/lib/numdialer/conf'), 'no copy of the source tree');
	for (const f of ['usr/share/numdialer/conf/numdialer-nginx.conf', `usr/lib/systemd/system/${UNIT}`])
		assert.doesNotMatch(fs.readFileSync(path.join(root, f), 'utf8'), /@[A-Z]+@/, `${f}: its paths filled in`);
	const v = await mustRun(path.join(root, 'usr/lib/numdialer/numdialer.fcgi'), ['--version']);
	assert.equal(v.trim(), `numdialer ${VERSION}`);
	console.log(`make install: ${installSeconds.toFixed(1)} s`);

	await withSession(t, async (s) => {
		const t0 = Date.now();
		const st = await installedStack(s, root);
		assert.ok(fs.existsSync(path.join(st.rundir, 'apisim.pid')), 'the installed script started the simulator');
		await assertNothingFromTheTree(s, st, root);
		await dialAll(st);
		console.log(`installed start and a whole campaign: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
		const status = await runScriptAs(s, st, 'status');
		assert.equal(status.code, 0, status.output);
		assert.match(status.output, /the simulator, started here/);
	});
});

// A copy of root with the machine's own targets beside the unit, which
// systemd-analyze --root loads as the unit's dependencies.
async function verifyRoot(s, root, unitDir) {
	const vroot = await s.tmpdir();
	await mustRun('cp', ['-a', `${root}/.`, vroot]);
	const hostUnits = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) =>
	    fs.existsSync(path.join(d, 'multi-user.target')));
	assert.ok(hostUnits, 'systemd\'s targets (the systemd package) are installed');
	const dir = path.join(vroot, unitDir);
	await fsp.mkdir(dir, { recursive: true });
	for (const f of await fsp.readdir(hostUnits))
		if (f.endsWith('.target') && !fs.existsSync(path.join(dir, f)))
			await fsp.copyFile(path.join(hostUnits, f), path.join(dir, f));
	return vroot;
}

// systemd-analyze verify on the unit as installed under root: no error and
// no warning at all (an unknown key or a bad value is only a warning), its
// command and man page found in that root; and its exposure (systemd-analyze
// security) stays low.
async function verifyUnit(s, root, unitDir) {
	const vroot = await verifyRoot(s, root, unitDir);
	const env = { ...process.env, MANPATH: path.join(vroot, 'usr', 'share', 'man'), SYSTEMD_LOG_COLOR: '0' };
	const unit = path.join('/', unitDir, UNIT);
	const r = await run('systemd-analyze', ['verify', `--root=${vroot}`, unit], { cwd: vroot, env });
	assert.equal(r.code, 0, `systemd-analyze verify: ${r.out}`);
	assert.equal(r.out.trim(), '', `systemd-analyze verify says: ${r.out}`);
	const sec = await run('systemd-analyze', ['security', '--offline=yes', `--root=${vroot}`, unit],
	    { cwd: vroot, env });
	const m = /Overall exposure level for numdialer\.service: ([0-9.]+)/.exec(sec.out);
	assert.ok(m, `systemd-analyze security: ${sec.out.slice(-500)}`);
	assert.ok(Number(m[1]) <= 2.5, `exposure ${m[1]}: the sandbox is looser than it was made`);
}

// The unit's settings: ExecStart, WorkingDirectory and Environment.
function unitSettings(text) {
	const env = {};
	let exec;
	let cwd;
	for (const line of text.split('\n')) {
		let m;
		if ((m = /^ExecStart=(\S+)\s*$/.exec(line))) exec = m[1];
		else if ((m = /^WorkingDirectory=(\S+)\s*$/.exec(line))) cwd = m[1];
		else if ((m = /^Environment=([A-Z_]+)=(.*)$/.exec(line))) env[m[1]] = m[2];
	}
	return { exec, cwd, env };
}

const www = (() => {
	try {
		const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('www-data:'));
		return line ? { uid: Number(line.split(':')[2]), gid: Number(line.split(':')[3]) } : null;
	} catch {
		return null;
	}
})();

test('the systemd unit passes systemd-analyze verify, and runs the program the way the nginx site expects',
    { timeout: 120000 }, async (t) => {
	const root = installRoot;
	await withSession(t, async (s) => {
		await verifyUnit(s, root, 'usr/lib/systemd/system');

		// The unit's command, run as it says (its settings file, working
		// directory, socket, socket group and journal), with what lives in
		// /run and /var/lib moved to a directory of the test's: then the
		// site behind an nginx that runs its workers as www-data, the way
		// Debian's does, and a whole campaign through it.
		assert.ok(www, 'Debian has the www-data user');
		const unit = unitSettings(fs.readFileSync(path.join(root, 'usr/lib/systemd/system', UNIT), 'utf8'));
		assert.equal(unit.env.NUMDIALER_SOCKET_GROUP, 'www-data');
		assert.equal(unit.env.NUMDIALER_SOCKET, '/run/numdialer/numdialer.sock');
		assert.equal(unit.env.NUMDIALER_JOURNAL, '/var/lib/numdialer/journal');
		const state = await freshDir('service');
		const runDir = path.join(state, 'run');	// /run/numdialer: numdialer:www-data 0750
		await fsp.mkdir(runDir);
		await fsp.chown(runDir, 0, www.gid);
		await fsp.chmod(runDir, 0o750);
		const socket = path.join(runDir, 'numdialer.sock');
		const port = await freePort();
		const sim = await s.apisim({ delayMaxMs: 100, seed: 6,
		    numbers: path.join(root, 'usr/share/numdialer/conf/numbers.txt') });
		const inRoot = (p) => path.join(root, p);
		const env = { PATH: process.env.PATH, ...unit.env,
			NUMDIALER_CONF: inRoot(unit.env.NUMDIALER_CONF),
			NUMDIALER_SOCKET: socket,
			NUMDIALER_JOURNAL: path.join(state, 'journal'),
			NUMDIALER_API: sim.url, NUMDIALER_PORT: String(port) };
		const log = path.join(state, 'numdialer.log');
		const procs = [];
		const startLogged = (cmd, args, opts) => {
			const fd = fs.openSync(log, 'a');
			const child = spawn(cmd, args, { ...opts, stdio: ['ignore', fd, fd] });
			fs.closeSync(fd);
			procs.push(child);
			return child;
		};
		try {
			const prog = startLogged(inRoot(unit.exec), [], { cwd: inRoot(unit.cwd), env });
			for (let i = 0; !fs.existsSync(socket); i++) {
				assert.ok(i < 100 && alivePid(prog.pid), `no socket: ${fs.readFileSync(log, 'utf8')}`);
				await sleep(50);
			}
			const st = fs.statSync(socket);
			assert.equal(st.mode & 0o777, 0o660, 'the socket is its owner\'s and its group\'s');
			assert.equal(st.gid, www.gid, 'the socket is www-data\'s');

			// The site as installed, with its address, socket and logs
			// moved to the test's; nginx as Debian's nginx.conf runs it.
			const site = fs.readFileSync(inRoot('usr/share/numdialer/conf/numdialer-nginx.conf'), 'utf8')
			    .replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${port};`)
			    .replaceAll('/run/numdialer/numdialer.sock', socket)
			    .replaceAll('/var/log/nginx/', `${state}/`)
			    .replaceAll('"/usr/share/numdialer/', `"${inRoot('usr/share/numdialer')}/`);
			assert.ok(site.includes(`listen 127.0.0.1:${port};`) && site.includes(socket) && site.includes(`root "${root}`));
			const nginxDir = path.join(state, 'nginx');
			await fsp.mkdir(path.join(nginxDir, 'tmp'), { recursive: true });
			await fsp.writeFile(path.join(nginxDir, 'site.conf'), site);
			await fsp.writeFile(path.join(nginxDir, 'nginx.conf'), [
				'user www-data www-data;', 'worker_processes 1;', `pid ${nginxDir}/nginx.pid;`,
				`error_log ${nginxDir}/error.log;`, 'events { worker_connections 256; }',
				'http {', '\tinclude /etc/nginx/mime.types;', '\tdefault_type application/octet-stream;',
				`\tclient_body_temp_path ${nginxDir}/tmp/body;`, `\tfastcgi_temp_path ${nginxDir}/tmp/fastcgi;`,
				`\tproxy_temp_path ${nginxDir}/tmp/proxy;`, `\tscgi_temp_path ${nginxDir}/tmp/scgi;`,
				`\tuwsgi_temp_path ${nginxDir}/tmp/uwsgi;`, `\tinclude ${nginxDir}/site.conf;`, '}', ''].join('\n'));
			await fsp.copyFile('/etc/nginx/fastcgi_params', path.join(nginxDir, 'fastcgi_params'));
			const conf = path.join(nginxDir, 'nginx.conf');
			await mustRun('nginx', ['-q', '-t', '-p', nginxDir, '-c', conf]);
			const nginx = startLogged('nginx', ['-p', nginxDir, '-c', conf, '-g', 'daemon off;'], { cwd: nginxDir });
			const base = `http://127.0.0.1:${port}`;
			for (let i = 0; ; i++) {
				try {
					if ((await getJSON(`${base}/events`, { timeoutMs: 2000 })).status === 200) break;
				} catch { /* not yet */ }
				assert.ok(i < 100 && alivePid(nginx.pid), `nginx: ${fs.readFileSync(log, 'utf8')}`);
				await sleep(50);
			}
			const page = await request(`${base}/`);
			assert.equal(page.status, 200);
			assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
			assert.equal((await postJSON(`${base}/call`)).status, 202);
			const fin = await waitAllTerminal(base, 60000);
			assert.deepEqual(fin.rows.map((r) => r.status), fin.rows.map(() => 'completed'));
			assert.equal(fin.last.journal, true, 'the service journals the campaign');
			assert.equal(fin.last.program_version, VERSION);
			assert.equal((await getJSON(`${base}/metrics`)).status, 200, '/metrics from this machine');
			const access = fs.readFileSync(path.join(state, 'numdialer-access.log'), 'utf8');
			assert.match(access, /GET \/events/);
			assert.doesNotMatch(access, /webhook/, 'webhooks (their keys) are not logged');
		} finally {
			for (const c of procs.reverse()) {
				try { c.kill('SIGTERM'); } catch { /* gone */ }
				for (let i = 0; i < 100 && alivePid(c.pid); i++) await sleep(50);
				if (alivePid(c.pid)) c.kill('SIGKILL');
			}
			if (!process.env.NUMDIALER_KEEP) await fsp.rm(state, { recursive: true, force: true });
		}
	});
});

test('the logrotate snippet rotates a running stack\'s logs, and the servers write on', { timeout: 90000 },
    async (t) => {
	const root = installRoot;
	await withSession(t, async (s) => {
		const st = await installedStack(s, root);
		const fcgi = await st.fcgiPid();
		for (let i = 0; i < 5; i++) assert.equal((await getJSON(`${st.base}/events?before=${i}`)).status, 200);
		// lighttpd writes its access log a second or so late, what it
		// holds at once and in order: once the last line is in, every
		// line before it is.
		const access = path.join(st.rundir, 'lighttpd-access.log');
		const logged = async (re) => {
			let text = '';
			for (let i = 0; i < 100 && !re.test(text); i++) {
				await sleep(50);
				text = fs.readFileSync(access, 'utf8');
			}
			assert.match(text, re);
			return text;
		};
		const before = await logged(/GET \/events\?before=4 HTTP/);

		// The example, pointed at this stack's run dir.
		const dir = await s.tmpdir();
		const snippet = fs.readFileSync(path.join(root, 'usr/share/doc/numdialer/examples/numdialer.logrotate'), 'utf8');
		assert.match(snippet, /^\/root\/\.local\/state\/numdialer\/run\/\*\.log \{$/m);
		const conf = path.join(dir, 'numdialer');
		await fsp.writeFile(conf, snippet.replace('/root/.local/state/numdialer/run/', `${st.rundir}/`));
		await fsp.chmod(conf, 0o644);
		const stateFile = path.join(dir, 'status');
		const dry = await run('logrotate', ['-d', '-s', stateFile, conf]);
		assert.equal(dry.code, 0, `logrotate -d: ${dry.out}`);
		assert.deepEqual(fs.readdirSync(st.rundir).filter((n) => /\.log\.\d/.test(n)), [], '-d moves nothing');

		await mustRun('logrotate', ['-f', '-s', stateFile, conf]);
		const rotated = fs.readdirSync(st.rundir).filter((n) => /^lighttpd-access\.log\.\d{8}-\d+$/.test(n));
		assert.equal(rotated.length, 1, `the access log's copy: ${fs.readdirSync(st.rundir)}`);
		assert.equal(fs.readFileSync(path.join(st.rundir, rotated[0]), 'utf8'), before, 'the copy holds the log');
		assert.ok(fs.readdirSync(st.rundir).some((n) => /^numdialer\.log\.\d{8}-\d+$/.test(n)),
		    'the program\'s log is rotated too');

		// lighttpd writes on at the cut log's new end (no hole of NULs
		// where the old lines were), and the program was not restarted.
		assert.equal((await getJSON(`${st.base}/events?rotated=1`)).status, 200);
		const after = await logged(/rotated=1/);
		assert.ok(!after.includes('\0'), 'no hole where the old lines were');
		assert.doesNotMatch(after, /GET \/events(\?before=\d)? HTTP/, `only what came after the cut: ${after}`);
		assert.equal(await st.fcgiPid(), fcgi, 'the FastCGI program goes on');
		await dialAll(st);
	});
});

test('make deb builds a package lintian passes; its files, unpacked, run a campaign', { timeout: 300000 },
    async (t) => {
	await withSession(t, async (s) => {
		const out = await mustRun('make', ['-s', 'deb']);
		assert.match(out, /lintian: no error/);
		const arch = (await mustRun('dpkg', ['--print-architecture'])).trim();
		const deb = path.join(ROOT, 'build', `numdialer_${VERSION}_${arch}.deb`);
		assert.ok(fs.existsSync(deb), `${deb} built`);
		console.log(`${path.basename(deb)}: ${fs.statSync(deb).size} bytes`);
		const lint = await run('lintian', ['--fail-on', 'error', deb]);
		assert.equal(lint.code, 0, `lintian: ${lint.out}`);
		assert.doesNotMatch(lint.out, /^E: /m);

		const field = async (f) => (await mustRun('dpkg-deb', ['-f', deb, f])).trim();
		assert.equal(await field('Version'), VERSION);
		const depends = await field('Depends');
		for (const p of ['libfcgi0ldbl', 'libcurl4', 'libjson-c5', 'libmicrohttpd12', 'tzdata', 'adduser'])
			assert.match(depends, new RegExp(`(^|, )${p}( |,|$)`), `Depends names ${p}: ${depends}`);
		assert.match(depends, /lighttpd-mod-deflate \| nginx/);
		const ctrl = await s.tmpdir();
		await mustRun('dpkg-deb', ['-e', deb, ctrl]);
		assert.equal(fs.readFileSync(path.join(ctrl, 'conffiles'), 'utf8'), '/etc/numdialer/numdialer.conf\n');
		const postinst = fs.readFileSync(path.join(ctrl, 'postinst'), 'utf8').replace(/^\s*#.*$/gm, '');
		assert.doesNotMatch(postinst, /systemctl (enable|start)|deb-systemd-(helper enable|invoke start)/,
		    'the unit is left disabled');

		// Unpacked into a fresh root, never installed on this machine.
		const root = await freshDir('deb');
		t.after(() => fsp.rm(root, { recursive: true, force: true }));
		await mustRun('dpkg', ['-x', deb, root]);
		assert.ok(fs.existsSync(path.join(root, 'lib/systemd/system', UNIT)));
		await verifyUnit(s, root, 'lib/systemd/system');
		const st = await installedStack(s, root, { server: 'nginx' });
		await assertNothingFromTheTree(s, st, root);
		await dialAll(st);
	});
});
