/*
 * NumDialer's page: the number list with each call's status, kept current by
 * a long-poll on GET /events, and the Call button (POST /call). Plain DOM, no
 * framework; rows are built once and then only their changed cells touched,
 * so a list of 100,000 numbers stays cheap to update.
 */
'use strict';

(function () {
	/* The server answers a parked poll after ~25 s; give it room. */
	const POLL_TIMEOUT_MS = 40000;
	/* Retry delays after failures: doubling from MIN up to MAX, +-20 %. */
	const BACKOFF_MIN_MS = 1000;
	const BACKOFF_MAX_MS = 30000;
	/* An empty answer sooner than this is followed by a short pause, so a
	 * misbehaving server cannot make the page spin. */
	const EMPTY_ANSWER_MIN_MS = 1000;
	const EMPTY_ANSWER_PAUSE_MS = 1000;
	/* Status changes are announced in batches, at most one per delay; more
	 * rows than ROWS_MAX in a batch are announced as a count per status. */
	const ANNOUNCE_DELAY_MS = 1500;
	const ANNOUNCE_ROWS_MAX = 3;

	const IN_FLIGHT = new Set(['dialing', 'ringing', 'answered']);
	const TERMINAL = new Set(['completed', 'busy', 'no-answer', 'failed',
		'canceled']);
	const ALL_DONE = 'Every number has been dialed.';

	const $ = (id) => document.getElementById(id);
	const ui = {
		call: $('call'),
		callStatus: $('call-status'),
		notice: $('notice'),
		noticeText: $('notice-text'),
		retry: $('retry'),
		summary: $('summary'),
		progress: $('progress'),
		tbody: $('rows'),
		live: $('live'),
	};

	/*
	 * What the page knows. rows[i] holds row i's elements and the values
	 * shown in them, so an update compares before it writes.
	 */
	const state = {
		instance: null,
		version: null,
		rows: [],
		counts: new Map(),	/* status word -> rows in it */
		totals: null,		/* the server's total/dialed/in_flight/done */
		/* 'unknown' until the first answer, then 'ready', 'sending' or
		 * 'started'; only 'ready' enables the button. */
		call: 'unknown',
	};

	/* ---- rows ---- */

	function cell(tr, tag, className) {
		const c = document.createElement(tag);
		c.className = className;
		tr.appendChild(c);
		return c;
	}

	function newRow(index) {
		const tr = document.createElement('tr');
		tr.dataset.row = String(index);
		const num = cell(tr, 'th', 'index');
		num.scope = 'row';
		num.textContent = String(index + 1);
		const row = {
			index: index,
			tr: tr,
			phoneCell: cell(tr, 'td', 'phone'),
			statusCell: cell(tr, 'td', 'status'),
			badge: document.createElement('span'),
			idCell: cell(tr, 'td', 'id'),
			timeCell: cell(tr, 'td', 'time'),
			reasonCell: cell(tr, 'td', 'reason'),
			phone: '',
			status: '',
			id: '',
			at: 0,
			reason: '',
		};
		row.badge.className = 'badge';
		row.statusCell.appendChild(row.badge);
		return row;
	}

	function lastChange(call) {
		let at = 0;
		for (const k of ['dialed_at', 'ringing_at', 'answered_at', 'ended_at']) {
			if (typeof call[k] === 'number' && call[k] > at)
				at = call[k];
		}
		return at;
	}

	function pad(n) {
		return n < 10 ? '0' + n : String(n);
	}

	function clock(ms) {
		const d = new Date(ms);
		return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' +
		    pad(d.getSeconds());
	}

	function countStatus(status, delta) {
		if (status)
			state.counts.set(status, (state.counts.get(status) || 0) + delta);
	}

	/*
	 * Writes call's fields into row, touching only what differs. Returns
	 * true when the status changed.
	 */
	function fillRow(row, call) {
		const phone = call.phone == null ? row.phone : String(call.phone);
		if (phone !== row.phone) {
			row.phone = phone;
			row.phoneCell.textContent = phone;
		}
		const id = call.id == null ? '' : String(call.id);
		if (id !== row.id) {
			row.id = id;
			row.idCell.textContent = id;
		}
		const at = lastChange(call);
		if (at !== row.at) {
			row.at = at;
			if (at) {
				const t = document.createElement('time');
				t.dateTime = new Date(at).toISOString();
				t.textContent = clock(at);
				row.timeCell.replaceChildren(t);
			} else {
				row.timeCell.replaceChildren();
			}
		}
		const reason = call.reason == null ? '' : String(call.reason);
		if (reason !== row.reason) {
			row.reason = reason;
			row.reasonCell.textContent = reason;
		}
		const status = typeof call.status === 'string' ? call.status : 'idle';
		if (status === row.status)
			return false;
		countStatus(row.status, -1);
		countStatus(status, +1);
		row.status = status;
		row.tr.dataset.status = status;
		row.badge.textContent = status;
		return true;
	}

	/* Builds the table from a full answer, in one DOM write. */
	function rebuild(calls) {
		state.rows = [];
		state.counts = new Map();
		const frag = document.createDocumentFragment();
		for (let i = 0; i < calls.length; i++) {
			const c = calls[i];
			const index = Number.isInteger(c.row) ? c.row : i;
			const row = newRow(index);
			fillRow(row, c);
			state.rows[index] = row;
			frag.appendChild(row.tr);
		}
		ui.tbody.replaceChildren(frag);
	}

	/* Applies calls to the existing rows; returns the rows whose status
	 * changed, or null when a call names a row the page does not have. */
	function update(calls) {
		const changed = [];
		for (const c of calls) {
			const row = state.rows[c.row];
			if (!row)
				return null;
			if (fillRow(row, c))
				changed.push(row);
		}
		return changed;
	}

	/* ---- summary, button, announcements ---- */

	function localTotals() {
		let inFlight = 0;
		let done = 0;
		for (const [status, n] of state.counts) {
			if (IN_FLIGHT.has(status))
				inFlight += n;
			else if (TERMINAL.has(status))
				done += n;
		}
		return { total: state.rows.length, dialed: inFlight + done,
		    in_flight: inFlight, done: done };
	}

	function num(n) {
		const s = document.createElement('strong');
		s.textContent = Number(n).toLocaleString('en-US');
		return s;
	}

	function renderSummary() {
		const local = localTotals();
		const t = {};
		for (const k of ['total', 'dialed', 'in_flight', 'done']) {
			const v = state.totals && state.totals[k];
			t[k] = Number.isInteger(v) ? v : local[k];
		}
		ui.summary.replaceChildren(num(t.dialed), ' dialed, ',
		    num(t.in_flight), ' in flight, ', num(t.done), ' done, of ',
		    num(t.total));
		ui.progress.max = Math.max(t.total, 1);
		ui.progress.value = t.done;
	}

	function setCall(next, message) {
		state.call = next;
		ui.call.disabled = next !== 'ready';
		if (message !== undefined)
			ui.callStatus.textContent = message;
	}

	let pending = new Map();	/* row index -> row, waiting to be announced */
	let announceTimer = null;

	function say(text) {
		/* Clearing first makes a repeated message announced again. */
		ui.live.textContent = '';
		window.setTimeout(() => { ui.live.textContent = text; }, 50);
	}

	function flushAnnouncements() {
		announceTimer = null;
		const rows = Array.from(pending.values());
		pending = new Map();
		if (rows.length === 0)
			return;
		if (rows.length <= ANNOUNCE_ROWS_MAX) {
			say(rows.map((r) => 'Row ' + (r.index + 1) + ', ' + r.phone +
			    ': ' + r.status).join('. ') + '.');
			return;
		}
		const by = new Map();
		for (const r of rows)
			by.set(r.status, (by.get(r.status) || 0) + 1);
		const parts = Array.from(by, ([s, n]) => n + ' ' + s);
		say(rows.length + ' numbers changed: ' + parts.join(', ') + '.');
	}

	function announce(rows) {
		for (const r of rows)
			pending.set(r.index, r);
		if (pending.size > 0 && announceTimer === null)
			announceTimer = window.setTimeout(flushAnnouncements,
			    ANNOUNCE_DELAY_MS);
	}

	/* ---- applying an answer of GET /events ---- */

	function apply(ev) {
		const calls = Array.isArray(ev.calls) ? ev.calls : [];
		const first = state.version === null;
		let changed = [];
		if (ev.full) {
			const same = ev.instance === state.instance &&
			    calls.length === state.rows.length;
			const upd = same ? update(calls) : null;
			if (upd === null)
				rebuild(calls);
			else
				changed = upd;
		} else {
			const upd = update(calls);
			if (upd === null) {
				/* Out of step with the server: ask for everything. */
				state.version = null;
				return;
			}
			changed = upd;
		}
		state.instance = ev.instance == null ? null : String(ev.instance);
		state.version = ev.version;
		state.totals = ev;
		renderSummary();
		if (!first)
			announce(changed);
		if (ev.started === true && state.call !== 'started')
			setCall('started', ui.callStatus.textContent ||
			    'Dialing is under way.');
		else if (ev.started === false && state.call === 'unknown')
			setCall('ready');
		if (ev.started === true && state.rows.length > 0 &&
		    localTotals().done === state.rows.length &&
		    ui.callStatus.textContent !== ALL_DONE)
			ui.callStatus.textContent = ALL_DONE;
	}

	/* ---- the long-poll loop ---- */

	let wake = null;	/* ends the current retry wait early */

	function pause(ms) {
		return new Promise((resolve) => {
			const t = window.setTimeout(done, ms);
			function done() {
				window.clearTimeout(t);
				wake = null;
				resolve();
			}
			wake = done;
		});
	}

	function eventsURL() {
		if (state.version === null || state.instance === null)
			return '/events';
		return '/events?since=' + encodeURIComponent(state.version) +
		    '&instance=' + encodeURIComponent(state.instance);
	}

	/* Resolves to the parsed answer, or null when the page must ask again
	 * for everything; rejects when the server could not be read. */
	async function fetchEvents() {
		const abort = new AbortController();
		const timer = window.setTimeout(() => abort.abort(), POLL_TIMEOUT_MS);
		try {
			const res = await fetch(eventsURL(), { cache: 'no-store',
			    headers: { Accept: 'application/json' },
			    signal: abort.signal });
			if (res.status === 400 && state.version !== null) {
				state.version = null;
				return null;
			}
			if (!res.ok)
				throw new Error('the server answered ' + res.status);
			const ev = await res.json();
			if (ev === null || typeof ev !== 'object' ||
			    ev.version === undefined)
				throw new Error('the server sent an unexpected answer');
			return ev;
		} finally {
			window.clearTimeout(timer);
		}
	}

	function backoff(failures) {
		const base = Math.min(BACKOFF_MAX_MS,
		    BACKOFF_MIN_MS * Math.pow(2, Math.min(failures - 1, 16)));
		return Math.round(base * (0.8 + Math.random() * 0.4));
	}

	function showNotice(delay) {
		ui.notice.hidden = false;
		ui.noticeText.textContent = 'Cannot reach the server. Retrying in ' +
		    Math.max(1, Math.round(delay / 1000)) + ' s.';
	}

	async function poll() {
		let failures = 0;
		for (;;) {
			const asked = Date.now();
			let ev;
			try {
				ev = await fetchEvents();
			} catch (err) {
				failures++;
				const delay = backoff(failures);
				showNotice(delay);
				await pause(delay);
				continue;
			}
			if (failures > 0) {
				failures = 0;
				ui.notice.hidden = true;
				ui.noticeText.textContent = '';
				say('Connection restored.');
			}
			if (ev === null)
				continue;
			apply(ev);
			const empty = !ev.full &&
			    (!Array.isArray(ev.calls) || ev.calls.length === 0);
			if (empty && Date.now() - asked < EMPTY_ANSWER_MIN_MS)
				await pause(EMPTY_ANSWER_PAUSE_MS);
		}
	}

	/* ---- the Call button ---- */

	async function onCall() {
		if (state.call !== 'ready')
			return;
		setCall('sending', 'Starting\u2026');
		let res;
		try {
			res = await fetch('/call', { method: 'POST', cache: 'no-store',
			    headers: { Accept: 'application/json' } });
		} catch (err) {
			/* Nothing reached the server: nothing started, try again. */
			setCall('ready', 'Could not reach the server. Try again.');
			return;
		}
		/* The server heard the request: the button stays disabled. */
		if (res.status === 202)
			setCall('started', 'Dialing started.');
		else if (res.status === 409)
			setCall('started', 'Dialing had already started.');
		else
			setCall('started', 'The server answered ' + res.status +
			    '. Reload the page to try again.');
	}

	ui.call.addEventListener('click', onCall);
	ui.retry.addEventListener('click', () => { if (wake) wake(); });
	window.addEventListener('online', () => { if (wake) wake(); });
	poll();
})();
