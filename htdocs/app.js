/*
 * NumDialer's page: the number list with each call's status, kept current by
 * a long-poll on GET /events; the campaign's state in words, and the
 * operator's commands (POST /call, /pause, /resume, /stop), each button shown
 * only in the states where its command applies. Plain DOM, no framework.
 * Every row lives in a JS array (the model); a long list puts in the DOM only
 * the rows near the viewport, so 100,000 numbers render and update as fast
 * as nine. A row's history (GET /calls/ROW) opens below it on request, and
 * is fetched again while open whenever its row changes.
 */
'use strict';

(function () {
	/* The server answers a parked poll within ~10 s; give it room, and
	 * the full list of a long one the time to come. */
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
	/* Lists up to this many rows are rendered whole; longer ones only near
	 * the viewport (the browser's layout cost grows with the rows in the
	 * DOM: seconds for 100,000). */
	const WINDOW_MIN_ROWS = 500;
	/* Rows rendered beyond each edge of the viewport, so a short scroll
	 * needs no DOM work. */
	const OVERSCAN_ROWS = 30;
	/* A windowed row's height until one is measured; style.css sets it. */
	const ROW_PX_GUESS = 40;
	/* An open history is fetched again this long after its row changed,
	 * so a burst of changes costs one fetch; a fetch that takes longer
	 * than TIMEOUT is given up. */
	const HISTORY_COALESCE_MS = 250;
	const HISTORY_TIMEOUT_MS = 10000;
	/* Timing entries kept for measurement (see scripts/bench/page.mjs)
	 * before they are cleared, so a page left open does not grow. */
	const MEASURES_MAX = 1000;

	/* The summary's rates: calls per hour over the calls ended in the
	 * last RATE_WINDOW_MS, figured again every RATES_EVERY_MS (never per
	 * row or per answer). A campaign younger than the window is measured
	 * over its age, RATE_SPAN_MIN_MS at least. */
	const RATE_WINDOW_MS = 10 * 60 * 1000;
	const RATE_SPAN_MIN_MS = 60 * 1000;
	const RATES_EVERY_MS = 1000;
	const HOUR_MS = 3600 * 1000;
	const NONE = '\u2014';
	/* A command's refusal or failure is shown this long. */
	const MESSAGE_MS = 5000;
	/* After a command's answer its buttons wait for GET /events to show
	 * what it did, at most this long. */
	const HOLD_MS = 3000;

	const IN_FLIGHT = new Set(['dialing', 'ringing', 'answered']);
	const TERMINAL = new Set(['completed', 'busy', 'no-answer', 'failed',
		'canceled', 'skipped']);
	/* The operator's commands: the route, and the words while it is sent
	 * and when it is refused. */
	const COMMANDS = {
		call: { path: '/call', doing: 'Starting\u2026',
		    failed: 'Could not start' },
		pause: { path: '/pause', doing: 'Pausing\u2026',
		    failed: 'Could not pause' },
		resume: { path: '/resume', doing: 'Resuming\u2026',
		    failed: 'Could not resume' },
		stop: { path: '/stop', doing: 'Stopping\u2026',
		    failed: 'Could not stop' },
	};
	/* The commands that apply in each state /events names. */
	const APPLIES = {
		unknown: [],
		ready: ['call', 'stop'],
		dialing: ['pause', 'stop'],
		waiting: ['pause', 'stop'],
		paused: ['resume', 'stop'],
		stopped: [],
		finished: [],
	};
	/* Where focus goes when the button pressed leaves: its counterpart,
	 * else the state line. */
	const FOCUS_NEXT = { call: 'pause', pause: 'resume', resume: 'pause',
		stop: null };
	const STOP_QUESTION = 'Stop dialing for good? Every number not ' +
	    'dialed yet will be skipped and no new call placed; calls in ' +
	    'flight go on to their end. This cannot be undone.';
	const RESTARTED = 'The dialer restarted: its earlier state is gone. ' +
	    'The list below is the new run\u2019s.';

	const $ = (id) => document.getElementById(id);
	const ui = {
		call: $('call'),
		pause: $('pause'),
		resume: $('resume'),
		stop: $('stop'),
		callStatus: $('call-status'),
		state: $('state'),
		notice: $('notice'),
		noticeText: $('notice-text'),
		retry: $('retry'),
		restarted: $('restarted'),
		restartedText: $('restarted-text'),
		dismiss: $('dismiss'),
		summary: $('summary'),
		answerRate: $('answer-rate'),
		callRate: $('call-rate'),
		endsAt: $('ends-at'),
		progress: $('progress'),
		table: $('numbers'),
		headRow: $('head-row'),
		tbody: $('rows'),
		live: $('live'),
		programVersion: $('program-version'),
	};

	/* What the page knows: calls[i] is row i's latest call as the server
	 * sent it, whether or not the row is in the DOM. */
	const state = {
		instance: null,
		version: null,
		calls: [],
		counts: new Map(),	/* status word -> rows in it */
		totals: null,		/* the server's total/dialed/in_flight/done */
		/* The campaign's state as /events last named it: 'unknown'
		 * until the first answer, then a key of APPLIES. */
		phase: 'unknown',
	};

	/* What the rates are figured from, kept as rows change: rows whose
	 * call ended (a skipped row had none), those of them answered, and
	 * the calls ended per second of the window (seconds before since are
	 * forgotten). */
	const tally = {
		ended: 0,
		answered: 0,
		ends: new Map(),	/* epoch second -> calls ended in it */
		since: 0,
		first: Infinity,	/* the earliest dialed_at: dialing began */
	};

	/* The operator's command under way, and what follows it. */
	const cmd = {
		busy: null,		/* the command sent, until its answer */
		since: null,		/* the version known when it was sent */
		holdUntil: 0,		/* until then, or a newer version, the
					 * buttons wait for /events */
		pressed: null,		/* its button, for focus to follow */
		messageTimer: null,
	};

	/* What the DOM shows: rows [first, end) of the model, each through a
	 * row object that remembers the values written into its cells. */
	const view = {
		windowed: false,
		first: 0,
		end: 0,
		rowPx: ROW_PX_GUESS,
		shown: new Map(),	/* row index -> row object in the DOM */
		spare: [],		/* row objects out of the DOM, for reuse */
		top: null,		/* spacer rows standing for the rows not */
		bottom: null,		/* rendered, so the scrollbar is true */
		frame: 0,		/* a pending placement, or 0 */
		measure: false,		/* the pending one measures rows again */
	};

	/* The histories open, row index -> history (newHistory): kept while
	 * their rows scroll out of the DOM, and put back with them. Several
	 * may be open; each is fetched only while open. */
	const histories = new Map();

	/* ---- the model ---- */

	function statusOf(call) {
		return call && typeof call.status === 'string' ? call.status : 'idle';
	}

	function countStatus(status, delta) {
		state.counts.set(status, (state.counts.get(status) || 0) + delta);
	}

	/* Counts call in the rates' figures (delta +1), or takes it out (-1).
	 * Answered: completed (answered and ended), or marked answered. */
	function tallyCall(call, delta) {
		if (!call)
			return;
		if (delta > 0 && typeof call.dialed_at === 'number' &&
		    call.dialed_at < tally.first)
			tally.first = call.dialed_at;
		const status = statusOf(call);
		if (!TERMINAL.has(status) || status === 'skipped')
			return;
		tally.ended += delta;
		if (status === 'completed' || typeof call.answered_at === 'number')
			tally.answered += delta;
		if (typeof call.ended_at !== 'number')
			return;
		const second = Math.floor(call.ended_at / 1000);
		if (second < tally.since)
			return;
		const n = (tally.ends.get(second) || 0) + delta;
		if (n > 0)
			tally.ends.set(second, n);
		else
			tally.ends.delete(second);
	}

	/* Takes a full list as the model. */
	function setModel(calls) {
		state.calls = new Array(calls.length);
		state.counts = new Map();
		tally.ended = tally.answered = tally.since = 0;
		tally.ends = new Map();
		tally.first = Infinity;
		for (let i = 0; i < calls.length; i++) {
			const c = calls[i];
			const index = Number.isInteger(c.row) ? c.row : i;
			state.calls[index] = c;
			countStatus(statusOf(c), +1);
			tallyCall(c, +1);
		}
	}

	/* Applies calls to the model and to the rows in the DOM. Returns the
	 * indexes whose status changed, or null when a call names a row the
	 * page does not have. */
	function update(calls) {
		const changed = [];
		for (const c of calls) {
			if (!Number.isInteger(c.row) || c.row < 0 ||
			    c.row >= state.calls.length)
				return null;
			const old = state.calls[c.row];
			if (c.phone == null && old)
				c.phone = old.phone;
			const before = statusOf(old);
			const after = statusOf(c);
			state.calls[c.row] = c;
			tallyCall(old, -1);
			tallyCall(c, +1);
			if (before !== after) {
				countStatus(before, -1);
				countStatus(after, +1);
				changed.push(c.row);
			}
			const row = view.shown.get(c.row);
			if (row)
				paint(row, c);
		}
		return changed;
	}

	/* ---- rows ---- */

	function cell(tr, tag, className) {
		const c = document.createElement(tag);
		c.className = className;
		tr.appendChild(c);
		return c;
	}

	/* A row: its number is the button that opens and closes its history
	 * (a disclosure: aria-expanded, aria-controls), so the keyboard
	 * reaches each row with Tab and opens it with Enter or Space. */
	function newRow() {
		const tr = document.createElement('tr');
		const indexCell = cell(tr, 'th', 'index');
		indexCell.scope = 'row';
		const toggle = document.createElement('button');
		toggle.type = 'button';
		toggle.className = 'toggle';
		toggle.setAttribute('aria-expanded', 'false');
		const number = document.createTextNode('');
		toggle.appendChild(number);
		indexCell.appendChild(toggle);
		const row = {
			index: -1,
			tr: tr,
			toggle: toggle,
			number: number,
			phoneCell: cell(tr, 'td', 'phone'),
			statusCell: cell(tr, 'td', 'status'),
			badge: document.createElement('span'),
			answeredByTag: document.createElement('span'),
			callsCell: cell(tr, 'td', 'calls'),
			idCell: cell(tr, 'td', 'id'),
			timeCell: cell(tr, 'td', 'time'),
			reasonCell: cell(tr, 'td', 'reason'),
			phone: '',
			status: '',
			calls: '',
			id: '',
			at: 0,
			reason: '',
			answeredBy: '',
		};
		row.badge.className = 'badge';
		row.answeredByTag.className = 'answered-by';
		row.statusCell.append(row.badge, row.answeredByTag);
		return row;
	}

	function setIndex(row, index) {
		if (row.index === index)
			return;
		row.index = index;
		row.tr.dataset.row = String(index);
		row.number.data = String(index + 1);
		row.toggle.setAttribute('aria-label', 'History of row ' + (index + 1));
		if (view.windowed)
			row.tr.setAttribute('aria-rowindex', String(index + 2));
		else
			row.tr.removeAttribute('aria-rowindex');
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

	/* Who answered, in a word beside the status: the provider's
	 * machine_start, machine_end_beep... are all a machine. */
	function answeredWord(by) {
		return by.startsWith('machine') ? 'machine' : by.replace(/_/g, ' ');
	}

	/* Which call of its row this is (redials counted) when not the first,
	 * and whether another will follow. */
	function callsOf(call) {
		const calls = Number.isInteger(call.calls) && call.calls > 1 ?
		    'call ' + call.calls : '';
		if (call.redial !== true)
			return calls;
		const next = Number.isFinite(call.redial_at) ?
		    'next call at ' + clock(call.redial_at) : 'redial pending';
		return calls === '' ? next : calls + ', ' + next;
	}

	/* Writes call's fields into row's cells, touching only what differs. */
	function paint(row, call) {
		const phone = call.phone == null ? '' : String(call.phone);
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
		const calls = callsOf(call);
		if (calls !== row.calls) {
			row.calls = calls;
			row.callsCell.textContent = calls;
		}
		const reason = call.reason == null ? '' : String(call.reason);
		if (reason !== row.reason) {
			row.reason = reason;
			row.reasonCell.textContent = reason;
		}
		const status = statusOf(call);
		if (status !== row.status) {
			row.status = status;
			row.tr.dataset.status = status;
			row.badge.textContent = status;
		}
		const by = typeof call.answered_by === 'string' ? call.answered_by : '';
		if (by !== row.answeredBy) {
			row.answeredBy = by;
			row.answeredByTag.textContent = by ? '\u00b7 ' + answeredWord(by) :
			    '';
			row.answeredByTag.title = by ? 'Answered by ' + by : '';
		}
	}

	function spacer() {
		const tr = document.createElement('tr');
		tr.className = 'spacer';
		tr.setAttribute('aria-hidden', 'true');
		tr.appendChild(document.createElement('td'));
		return tr;
	}

	/* A spacer or a history spans the columns shown: spanning columns a
	 * narrow screen hides would make the fixed layout give them width. */
	function spanWideRows() {
		let shown = 0;
		for (const th of ui.headRow.cells)
			if (window.getComputedStyle(th).display !== 'none')
				shown++;
		const span = Math.max(shown, 1);
		if (view.top !== null) {
			view.top.firstChild.colSpan = span;
			view.bottom.firstChild.colSpan = span;
		}
		for (const h of histories.values())
			if (h.cell.colSpan !== span)
				h.cell.colSpan = span;
	}

	/* The open histories in the order of their rows. */
	function historiesInOrder() {
		return Array.from(histories.values()).sort((a, b) => a.row - b.row);
	}

	/* Where row index begins, in px from the top of the rows: the rows
	 * above it, and the histories open below them, as last measured. */
	function offsetOf(index) {
		let px = index * view.rowPx;
		for (const h of histories.values())
			if (h.row < index)
				px += h.px;
		return px;
	}

	/* The row at y px from the top of the rows (a history counts as its
	 * row's); may be out of the list, below or above. */
	function rowAt(y) {
		let above = 0;
		for (const h of historiesInOrder()) {
			const rowEnd = (h.row + 1) * view.rowPx + above;
			if (y < rowEnd)
				break;
			if (y < rowEnd + h.px)
				return h.row;
			above += h.px;
		}
		return Math.floor((y - above) / view.rowPx);
	}

	/* Makes trs the rows of the table, in order, taking out only those
	 * that go and putting in only those that come: a row that stays is
	 * never taken out, so the keyboard's focus on its button stays. */
	function setRows(trs) {
		const stay = new Set(trs);
		for (let tr = ui.tbody.firstChild; tr !== null;) {
			const next = tr.nextSibling;
			if (!stay.has(tr))
				tr.remove();
			tr = next;
		}
		let at = ui.tbody.firstChild;
		for (const tr of trs) {
			if (tr === at)
				at = at.nextSibling;
			else
				ui.tbody.insertBefore(tr, at);
		}
	}

	/* Puts rows [first, end) in the DOM, reusing the row objects already
	 * there (a row that stays is not written at all), each open history
	 * below its row, with spacers for the rows above and below. No
	 * layout is read in between the DOM's changes. */
	function renderRange(first, end) {
		const keep = new Map();
		for (let i = first; i < end; i++) {
			const row = view.shown.get(i);
			if (row) {
				keep.set(i, row);
				view.shown.delete(i);
			}
		}
		for (const row of view.shown.values())
			view.spare.push(row);
		view.shown = keep;
		const trs = [];
		if (first > 0) {
			view.top.firstChild.style.height = offsetOf(first) + 'px';
			trs.push(view.top);
		}
		for (let i = first; i < end; i++) {
			let row = keep.get(i);
			if (!row) {
				row = view.spare.pop() || newRow();
				setIndex(row, i);
				paint(row, state.calls[i]);
				markExpanded(row);
				view.shown.set(i, row);
			}
			trs.push(row.tr);
			const h = histories.size > 0 ? histories.get(i) : undefined;
			if (h !== undefined)
				trs.push(h.tr);
		}
		const n = state.calls.length;
		if (end < n) {
			view.bottom.firstChild.style.height =
			    offsetOf(n) - offsetOf(end) + 'px';
			trs.push(view.bottom);
		}
		setRows(trs);
		view.first = first;
		view.end = end;
	}

	/* The rows the viewport shows now, from the table's place on screen
	 * (reading it lays the page out). */
	function visibleRange() {
		const n = state.calls.length;
		const top = ui.tbody.getBoundingClientRect().top;
		const first = Math.min(n, Math.max(0, rowAt(-top)));
		const end = Math.min(n, Math.max(first,
		    rowAt(window.innerHeight - top) + 1));
		return [first, end];
	}

	/* Renders rows [first, end) and OVERSCAN_ROWS beyond each edge. */
	function renderAround(first, end) {
		renderRange(Math.max(0, first - OVERSCAN_ROWS),
		    Math.min(state.calls.length, end + OVERSCAN_ROWS));
	}

	/* Reads the height of each history in the DOM; true when one is not
	 * the one assumed. A history that begins above the viewport moved
	 * the rows on screen by as much as it grew: scrolling by as much
	 * puts them back where they were. */
	function measureHistories() {
		let changed = false;
		let shift = 0;
		for (const h of histories.values()) {
			if (!h.tr.isConnected)
				continue;
			const box = h.tr.getBoundingClientRect();
			if (Math.abs(box.height - h.px) <= 0.01)
				continue;
			if (box.top < 0)
				shift += box.height - h.px;
			h.px = box.height;
			changed = true;
		}
		if (shift !== 0)
			window.scrollBy(0, shift);
		return changed;
	}

	/* Reads the rows' real height (fonts, zoom) from those in the DOM,
	 * the histories between them left out; true when it is not the one
	 * assumed. */
	function measureRows() {
		const count = view.end - view.first;
		if (count < 2)
			return false;
		const a = view.shown.get(view.first).tr.getBoundingClientRect();
		const b = view.shown.get(view.end - 1).tr.getBoundingClientRect();
		let between = 0;
		for (const h of histories.values())
			if (h.row >= view.first && h.row < view.end - 1)
				between += h.px;
		const px = (b.bottom - a.top - between) / count;
		if (px > 0 && Math.abs(px - view.rowPx) > 0.01) {
			view.rowPx = px;
			return true;
		}
		return false;
	}

	/* Renders the rows around the viewport unless they are in the DOM
	 * already; force renders even so. */
	function place(force) {
		if (!view.windowed)
			return;
		let [first, end] = visibleRange();
		if (!force && first >= view.first && end <= view.end)
			return;
		if (force)
			spanWideRows();
		renderAround(first, end);
		/* Where each row is follows from the heights measured; when
		 * they are not the ones assumed, place the rows again. */
		const historiesMoved = measureHistories();
		if (measureRows() || historiesMoved) {
			[first, end] = visibleRange();
			renderAround(first, end);
		}
	}

	/* remeasure: the rows' height may have changed (a resize). */
	function schedulePlace(remeasure) {
		if (!view.windowed)
			return;
		view.measure = view.measure || remeasure === true;
		if (view.frame === 0)
			view.frame = window.requestAnimationFrame(() => {
				view.frame = 0;
				const force = view.measure;
				view.measure = false;
				place(force);
			});
	}

	/* Shows the model from scratch: every row of a short list, the rows
	 * near the viewport of a long one. */
	function rebuild() {
		const n = state.calls.length;
		/* A history stays open over a new list (a restart) if its row
		 * is still there; the answer applied fetches it again. */
		for (const index of Array.from(histories.keys()))
			if (index >= n)
				closeHistory(index);
		view.windowed = n > WINDOW_MIN_ROWS;
		view.shown = new Map();
		view.spare = [];
		view.first = 0;
		view.end = 0;
		ui.table.classList.toggle('windowed', view.windowed);
		if (!view.windowed) {
			ui.table.removeAttribute('aria-rowcount');
			ui.headRow.removeAttribute('aria-rowindex');
			renderRange(0, n);
			return;
		}
		/* The header is row 1 for assistive technology. */
		ui.table.setAttribute('aria-rowcount', String(n + 1));
		ui.headRow.setAttribute('aria-rowindex', '1');
		if (view.top === null) {
			view.top = spacer();
			view.bottom = spacer();
		}
		/* Spacers for the whole list first, so the table has its full
		 * height and the viewport's rows can be found. */
		renderRange(0, 0);
		place(true);
	}

	/* ---- a row's history ---- */

	function element(tag, className, text) {
		const e = document.createElement(tag);
		if (className)
			e.className = className;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	/* Says on row's button whether its history is open, and which it
	 * is while it is. */
	function markExpanded(row) {
		const open = histories.has(row.index);
		const word = open ? 'true' : 'false';
		if (row.toggle.getAttribute('aria-expanded') !== word)
			row.toggle.setAttribute('aria-expanded', word);
		const controls = open ? 'history-' + row.index : null;
		if (row.toggle.getAttribute('aria-controls') !== controls) {
			if (open)
				row.toggle.setAttribute('aria-controls', controls);
			else
				row.toggle.removeAttribute('aria-controls');
		}
		row.tr.classList.toggle('open', open);
	}

	/* The history of row index, out of the DOM and empty: a table row
	 * spanning the list's, holding who answered and how long the call
	 * was (when known), the status reports as a table, and a note
	 * (loading, none yet, an error). */
	function newHistory(index) {
		const tr = element('tr', 'history');
		tr.id = 'history-' + index;
		tr.dataset.historyOf = String(index);
		const td = element('td');
		const box = element('div', 'history-box');
		box.setAttribute('role', 'region');
		box.setAttribute('aria-label', 'History of row ' + (index + 1));
		const facts = element('dl', 'history-facts');
		facts.hidden = true;
		const table = element('table', 'events');
		table.hidden = true;
		table.appendChild(element('caption', 'visually-hidden',
		    'Status reports of row ' + (index + 1) + ', oldest first'));
		const head = element('tr');
		for (const [word, className] of [['Time', 'ev-time'],
		    ['Status', 'ev-status'], ['Source', 'ev-source'],
		    ['Provider', 'ev-provider'], ['Applied', 'ev-applied']]) {
			const th = element('th', className, word);
			th.scope = 'col';
			head.appendChild(th);
		}
		table.appendChild(element('thead')).appendChild(head);
		const body = table.appendChild(element('tbody'));
		const note = element('p', 'history-note', 'Loading the history\u2026');
		note.setAttribute('role', 'status');
		box.append(note, facts, table);
		td.appendChild(box);
		tr.appendChild(td);
		return { row: index, tr: tr, cell: td, facts: facts, table: table,
		    body: body, note: note,
		    px: 0,		/* its height, as last measured */
		    timer: 0,		/* a fetch to come, or 0 */
		    abort: null,	/* ends the fetch in flight, or null */
		    again: false };	/* its row changed during that fetch */
	}

	/* A moment of a history on the local clock, to the millisecond. */
	function clockMs(ms) {
		const d = new Date(ms);
		return clock(ms) + '.' + String(d.getMilliseconds()).padStart(3, '0');
	}

	/* A <time> for an ISO instant the server gave, shown by show on the
	 * local clock with the ISO in its title; the text as it came when it
	 * is not a time. */
	function timeOf(iso, show) {
		const t = element('time');
		const ms = typeof iso === 'string' ? Date.parse(iso) : NaN;
		if (Number.isNaN(ms)) {
			t.textContent = iso == null ? NONE : String(iso);
			return t;
		}
		t.dateTime = iso;
		t.title = iso;
		t.textContent = show(ms);
		return t;
	}

	/* What the provider said with a report: its sequence number and its
	 * time, when it gave them. */
	function providerOf(ev) {
		const parts = [];
		if (Number.isInteger(ev.seq))
			parts.push('#' + ev.seq);
		if (typeof ev.provider_time === 'string') {
			if (parts.length > 0)
				parts.push(' ');
			parts.push(timeOf(ev.provider_time, clock));
		}
		return parts.length > 0 ? parts : [NONE];
	}

	/* One status report as a table row; one that did not change the call
	 * (a duplicate, a late one) is marked not applied, in words and
	 * muted. */
	function eventRow(ev) {
		const tr = element('tr');
		const status = typeof ev.status === 'string' ? ev.status : 'unknown';
		const applied = ev.applied === true;
		tr.dataset.status = status;
		if (!applied)
			tr.className = 'not-applied';
		cell(tr, 'td', 'ev-time').appendChild(timeOf(ev.at, clockMs));
		cell(tr, 'td', 'ev-status').appendChild(element('span', 'badge',
		    status));
		cell(tr, 'td', 'ev-source').textContent =
		    typeof ev.source === 'string' ? ev.source : NONE;
		cell(tr, 'td', 'ev-provider').append(...providerOf(ev));
		cell(tr, 'td', 'ev-applied').textContent = applied ? 'applied' :
		    'not applied';
		return tr;
	}

	/* A call's length: seconds, then minutes and seconds. */
	function duration(s) {
		const whole = Math.max(0, Math.round(s));
		if (whole < 60)
			return whole + ' s';
		const m = Math.floor(whole / 60);
		return m + ' min ' + pad(whole % 60) + ' s';
	}

	/* Who answered and how long the call was, when the provider said. */
	function renderFacts(h, call) {
		const facts = [];
		if (typeof call.answered_by === 'string' && call.answered_by !== '')
			facts.push(['Answered by', call.answered_by.replace(/_/g, ' ')]);
		if (Number.isFinite(call.duration_s))
			facts.push(['Duration', duration(call.duration_s)]);
		h.facts.replaceChildren(...facts.map(([name, value]) => {
			const div = element('div');
			div.append(element('dt', '', name), element('dd', '', value));
			return div;
		}));
		h.facts.hidden = facts.length === 0;
	}

	/* Shows call, as GET /calls/ROW gives it, in its history. */
	function renderHistory(h, call) {
		renderFacts(h, call);
		h.body.replaceChildren(...call.events.map(eventRow));
		h.table.hidden = call.events.length === 0;
		setText(h.note, call.events.length === 0 ?
		    'No status reported yet.' : '');
		h.note.hidden = h.note.textContent === '';
	}

	/* Says in the history why it could not be fetched; what it showed
	 * before stays, under the note. */
	function showHistoryProblem(h, text) {
		setText(h.note, text);
		h.note.hidden = false;
	}

	/* GET /calls/ROW: the row with its events. Rejects with an Error that
	 * says, in the operator's words, why there is none. */
	async function fetchCall(row, signal) {
		const gone = () => new Error(signal.aborted ?
		    'the server did not answer in time' :
		    'the server could not be reached');
		let res;
		try {
			res = await fetch('/calls/' + row, { cache: 'no-store',
			    headers: { Accept: 'application/json' }, signal: signal });
		} catch (err) {
			throw gone();
		}
		if (res.status === 404)
			throw new Error('this row is not in the list');
		if (!res.ok)
			throw new Error('the server answered ' + res.status);
		let call;
		try {
			call = await res.json();
		} catch (err) {
			if (signal.aborted)
				throw gone();
			call = null;
		}
		if (call === null || typeof call !== 'object' ||
		    !Array.isArray(call.events))
			throw new Error('the server sent an unexpected answer');
		return call;
	}

	/* Fetches h's row and shows it: one fetch in flight per history; a
	 * change meanwhile fetches once more after. */
	async function loadHistory(h) {
		if (h.abort !== null) {
			h.again = true;
			return;
		}
		const abort = new AbortController();
		h.abort = abort;
		const timer = window.setTimeout(() => abort.abort(),
		    HISTORY_TIMEOUT_MS);
		let call = null;
		let problem = '';
		try {
			call = await fetchCall(h.row, abort.signal);
		} catch (err) {
			problem = 'Could not fetch the history: ' + err.message + '.';
		} finally {
			window.clearTimeout(timer);
		}
		/* Closed meanwhile: its fetch was called off, nothing to show. */
		if (histories.get(h.row) !== h)
			return;
		h.abort = null;
		if (call !== null)
			renderHistory(h, call);
		else
			showHistoryProblem(h, problem);
		schedulePlace(true);
		if (h.again) {
			h.again = false;
			refreshHistory(h);
		}
	}

	/* Fetches h again shortly: changes that come together cost one
	 * fetch. */
	function refreshHistory(h) {
		if (h.timer !== 0)
			return;
		h.timer = window.setTimeout(() => {
			h.timer = 0;
			if (histories.get(h.row) === h)
				loadHistory(h);
		}, HISTORY_COALESCE_MS);
	}

	/* The open histories of the rows an answer of /events changed (every
	 * row, for a full one) are fetched again. */
	function refreshHistoriesOf(ev, calls) {
		if (histories.size === 0)
			return;
		if (ev.full) {
			for (const h of histories.values())
				refreshHistory(h);
			return;
		}
		for (const c of calls) {
			const h = histories.get(c.row);
			if (h !== undefined)
				refreshHistory(h);
		}
	}

	function openHistory(index) {
		const h = newHistory(index);
		histories.set(index, h);
		spanWideRows();
		const row = view.shown.get(index);
		if (row) {
			row.tr.after(h.tr);
			markExpanded(row);
		}
		loadHistory(h);
		schedulePlace(true);
	}

	function closeHistory(index) {
		const h = histories.get(index);
		if (h === undefined)
			return;
		histories.delete(index);
		window.clearTimeout(h.timer);
		if (h.abort !== null)
			h.abort.abort();
		h.tr.remove();
		const row = view.shown.get(index);
		if (row)
			markExpanded(row);
		schedulePlace(true);
	}

	function toggleHistory(index) {
		if (histories.has(index))
			closeHistory(index);
		else
			openHistory(index);
	}

	/* Whether the operator is selecting text (a phone number to copy):
	 * the click that ends it opens nothing. */
	function selecting() {
		const sel = window.getSelection();
		return sel !== null && !sel.isCollapsed && sel.toString() !== '';
	}

	/* A click on a row, or its button pressed (Enter, Space), opens or
	 * closes its history; the keyboard is left on the row's button. */
	function onRowsClick(e) {
		const tr = e.target.closest('tr[data-row]');
		if (tr === null)
			return;
		const row = view.shown.get(Number(tr.dataset.row));
		if (row === undefined || row.tr !== tr)
			return;
		if (!row.toggle.contains(e.target) && selecting())
			return;
		toggleHistory(row.index);
		if (document.activeElement !== row.toggle)
			row.toggle.focus({ preventScroll: true });
	}

	/* Escape on a row or in its history closes the history, and the
	 * keyboard goes back to the row's button. */
	function onRowsKey(e) {
		if (e.key !== 'Escape')
			return;
		const tr = e.target.closest('tr[data-row], tr.history');
		if (tr === null)
			return;
		const index = Number(tr.dataset.row ?? tr.dataset.historyOf);
		if (!histories.has(index))
			return;
		e.preventDefault();
		closeHistory(index);
		const row = view.shown.get(index);
		if (row)
			row.toggle.focus();
	}

	/* A resize may hide or show columns, and change the rows' height. */
	function onResize() {
		if (view.windowed)
			schedulePlace(true);
		else if (histories.size > 0)
			spanWideRows();
	}

	/* ---- summary, button, notices, announcements ---- */

	function localTotals() {
		let inFlight = 0;
		let done = 0;
		for (const [status, n] of state.counts) {
			if (IN_FLIGHT.has(status))
				inFlight += n;
			else if (TERMINAL.has(status))
				done += n;
		}
		const skipped = state.counts.get('skipped') || 0;
		return { total: state.calls.length,
		    dialed: inFlight + done - skipped, in_flight: inFlight,
		    done: done };
	}

	function num(n) {
		const s = document.createElement('strong');
		s.textContent = Number(n).toLocaleString('en-US');
		return s;
	}

	/* The server's totals, else the page's own count. */
	function totals() {
		const local = localTotals();
		const t = {};
		for (const k of ['total', 'dialed', 'in_flight', 'done']) {
			const v = state.totals && state.totals[k];
			t[k] = Number.isInteger(v) ? v : local[k];
		}
		const redials = state.totals && state.totals.redials;
		t.redials = Number.isInteger(redials) ? redials : 0;
		return t;
	}

	function renderSummary() {
		const t = totals();
		const skipped = state.counts.get('skipped') || 0;
		const parts = [num(t.dialed), ' dialed, ', num(t.in_flight),
		    ' in flight, ', num(t.done), ' done'];
		if (skipped > 0)
			parts.push(' (', num(skipped), ' skipped)');
		if (t.redials > 0)
			parts.push(', ', num(t.redials), ' waiting for a redial');
		parts.push(', of ', num(t.total));
		ui.summary.replaceChildren(...parts);
		ui.progress.max = Math.max(t.total, 1);
		ui.progress.value = t.done;
	}

	function setText(el, text) {
		if (el.textContent !== text)
			el.textContent = text;
	}

	/* Calls per hour over the window, or null before any call ended. */
	function callsPerHour(now) {
		const since = Math.floor((now - RATE_WINDOW_MS) / 1000);
		if (since > tally.since) {
			for (const second of tally.ends.keys())
				if (second < since)
					tally.ends.delete(second);
			tally.since = since;
		}
		if (tally.ended === 0)
			return null;
		let recent = 0;
		for (const n of tally.ends.values())
			recent += n;
		const age = tally.first < Infinity ? now - tally.first :
		    RATE_WINDOW_MS;
		const span = Math.min(RATE_WINDOW_MS, Math.max(RATE_SPAN_MIN_MS,
		    age));
		return recent * HOUR_MS / span;
	}

	/* When dialing goes on: now, or once the wait is over. */
	function resumesAt(now) {
		const until = state.totals && state.totals.waiting_until;
		return state.phase === 'waiting' && typeof until === 'number' &&
		    until > now ? until : now;
	}

	/* The answer rate, calls per hour and the time the list should end
	 * at that rate (while dialing goes on, counted from the end of a
	 * wait); a dash when unknown. */
	function renderRates() {
		const now = Date.now();
		setText(ui.answerRate, tally.ended === 0 ? NONE :
		    Math.round(100 * tally.answered / tally.ended) + '% (' +
		    tally.answered.toLocaleString('en-US') + ' of ' +
		    tally.ended.toLocaleString('en-US') + ')');
		const perHour = callsPerHour(now);
		setText(ui.callRate, perHour === null ? NONE :
		    Math.round(perHour).toLocaleString('en-US'));
		const t = totals();
		const left = t.total - t.done;
		const going = state.phase === 'dialing' || state.phase === 'waiting';
		setText(ui.endsAt, going && left > 0 && perHour > 0 ?
		    'about ' + when(resumesAt(now) + left / perHour * HOUR_MS) :
		    NONE);
	}

	function capital(text) {
		return text.charAt(0).toUpperCase() + text.slice(1);
	}

	/* A moment to come, on the local clock: its time of day, with its day
	 * when it is not today. */
	function when(ms) {
		const d = new Date(ms);
		const hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
		const now = new Date();
		if (d.toDateString() === now.toDateString())
			return hm;
		const days = (ms - now.getTime()) / 86400000;
		const day = days > -1 && days < 6 ? { weekday: 'short' } :
		    { month: 'short', day: 'numeric' };
		return d.toLocaleDateString('en-US', day) + ' ' + hm;
	}

	/* The campaign's state as /events names it (an older server names
	 * none: started or not). */
	function phaseOf(ev) {
		if (typeof ev.state === 'string' && APPLIES[ev.state])
			return ev.state;
		return ev.started === true ? 'dialing' : 'ready';
	}

	/* A reason the server gives, as the end of a sentence. */
	function reasonOf(value, none) {
		const text = value == null ? '' : String(value).replace(/\.+$/, '');
		return text === '' ? none : text;
	}

	function pausedWords(ev) {
		const why = reasonOf(ev.pause_reason, 'no reason given');
		return [/^paused\b/i.test(why) ? capital(why) : 'Paused: ' + why,
		    'Calls in flight go on; no new call is placed.'];
	}

	function waitingWords(ev) {
		const why = capital(reasonOf(ev.waiting_reason, 'waiting'));
		const until = ev.waiting_until;
		return [why + (typeof until === 'number' && until > 0 ?
		    ', until ' + when(until) : ''), ''];
	}

	/* The state in words: what it is, then what it means, if anything. */
	function stateWords(ev) {
		switch (state.phase) {
		case 'ready':
			return ['Ready', 'Press Call to start dialing.'];
		case 'dialing':
			return ['Dialing', Number.isInteger(ev.limit) && ev.limit > 0 ?
			    'Up to ' + ev.limit + ' calls at a time.' : ''];
		case 'paused':
			return pausedWords(ev);
		case 'waiting':
			return waitingWords(ev);
		case 'stopped':
			return ev.started === true ? ['Stopped by the operator',
			    'No new call is placed; every number not dialed is ' +
			    'skipped.'] : ['Stopped by the operator before dialing ' +
			    'began', 'Every number is skipped.'];
		case 'finished':
			return ['Finished', 'No number is left to dial.'];
		}
		return ['Connecting to the dialer', ''];
	}

	/* The state line, a polite live region: written only when its words
	 * change, so a state is announced once. */
	function renderState(ev) {
		state.phase = phaseOf(ev);
		const [head, detail] = stateWords(ev);
		const text = head + '.' + (detail ? ' ' + detail : '');
		if (ui.state.dataset.state !== state.phase)
			ui.state.dataset.state = state.phase;
		if (ui.state.textContent !== text) {
			const strong = document.createElement('strong');
			strong.textContent = head + '.';
			ui.state.replaceChildren(...(detail ? [strong, ' ' + detail] :
			    [strong]));
		}
		renderControls();
	}

	/* Whether a command answered lately waits for /events to show what
	 * it did. */
	function held() {
		return cmd.holdUntil > Date.now() && state.version !== null &&
		    cmd.since !== null && state.version <= cmd.since;
	}

	function applies(name) {
		return APPLIES[state.phase].includes(name);
	}

	/* Call is always there, enabled only while it applies; the other
	 * buttons are there only while theirs applies. While a command is
	 * under way every button waits. */
	function renderControls() {
		const wait = cmd.busy !== null || held();
		for (const name of ['pause', 'resume', 'stop']) {
			const hide = !applies(name);
			if (ui[name].hidden !== hide)
				ui[name].hidden = hide;
			ui[name].disabled = wait;
		}
		ui.call.disabled = wait || !applies('call');
		if (!wait)
			followFocus();
	}

	/* Once a command has had its effect, keeps the keyboard where it was:
	 * on the button pressed if it is still there, else its counterpart
	 * (Pause and Resume take turns), else the state line. Unless the
	 * operator has moved on meanwhile. */
	function followFocus() {
		const pressed = cmd.pressed;
		cmd.pressed = null;
		if (pressed === null)
			return;
		const at = document.activeElement;
		if (at !== null && at !== document.body && at !== ui[pressed])
			return;
		const usable = (name) => name !== null && !ui[name].hidden &&
		    !ui[name].disabled;
		const next = FOCUS_NEXT[pressed];
		const to = usable(pressed) ? ui[pressed] :
		    usable(next) ? ui[next] : ui.state;
		if (to !== at)
			to.focus();
	}

	/* Shows text beside the buttons; a brief one goes after MESSAGE_MS. */
	function showMessage(text, brief) {
		window.clearTimeout(cmd.messageTimer);
		cmd.messageTimer = null;
		ui.callStatus.textContent = text;
		if (brief && text !== '')
			cmd.messageTimer = window.setTimeout(() => {
				cmd.messageTimer = null;
				if (ui.callStatus.textContent === text)
					ui.callStatus.textContent = '';
			}, MESSAGE_MS);
	}

	/* Stays until the operator dismisses it: the earlier run's calls are
	 * not on the page any more, and nothing else would say so. */
	function showRestarted() {
		ui.restartedText.textContent = RESTARTED + ' (' + clock(Date.now()) +
		    ')';
		ui.restarted.hidden = false;
	}

	let pending = new Set();	/* row indexes waiting to be announced */
	let announceTimer = null;

	function say(text) {
		/* Clearing first makes a repeated message announced again. */
		ui.live.textContent = '';
		window.setTimeout(() => { ui.live.textContent = text; }, 50);
	}

	function flushAnnouncements() {
		announceTimer = null;
		const rows = Array.from(pending, (i) => ({ index: i,
		    phone: state.calls[i] ? String(state.calls[i].phone) : '',
		    status: statusOf(state.calls[i]) }));
		pending = new Set();
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

	function announce(indexes) {
		for (const i of indexes)
			pending.add(i);
		if (pending.size > 0 && announceTimer === null)
			announceTimer = window.setTimeout(flushAnnouncements,
			    ANNOUNCE_DELAY_MS);
	}

	/* ---- applying an answer of GET /events ---- */

	/* Applies ev; returns false when the page is out of step and must ask
	 * for the full list. */
	function apply(ev) {
		const calls = Array.isArray(ev.calls) ? ev.calls : [];
		const instance = ev.instance == null ? null : String(ev.instance);
		const first = state.version === null && state.instance === null;
		/* Another process answers: the one the page knew is gone. */
		const restarted = state.instance !== null && instance !== null &&
		    instance !== state.instance;
		let changed = [];
		if (restarted) {
			if (!ev.full) {
				state.version = null;
				return false;
			}
			/* With a journal the new process carries on the old run
			 * and the page simply catches up; without one the
			 * operator must know the earlier calls are gone. */
			if (ev.journal !== true)
				showRestarted();
			pending = new Set();
			cmd.since = null;
			cmd.holdUntil = 0;
			showMessage('', false);
		}
		if (ev.full) {
			const same = !restarted && instance === state.instance &&
			    calls.length === state.calls.length;
			const upd = same ? update(calls) : null;
			if (upd === null) {
				setModel(calls);
				rebuild();
			} else {
				changed = upd;
			}
		} else {
			const upd = update(calls);
			if (upd === null) {
				state.version = null;
				return false;
			}
			changed = upd;
		}
		refreshHistoriesOf(ev, calls);
		state.instance = instance;
		state.version = ev.version;
		state.totals = ev;
		/* The footer: the release of the program that answers. */
		if (typeof ev.program_version === 'string')
			ui.programVersion.textContent = ev.program_version;
		renderSummary();
		renderState(ev);
		if (ev.full)
			renderRates();
		if (!first && !restarted)
			announce(changed);
		return true;
	}

	/* ---- timing, for scripts/bench/page.mjs ---- */

	/* On only when the bench sets window.numdialerTiming before this
	 * script runs: an operator's page keeps no marks and forces no layout
	 * per answer. */
	const TIMING = window.numdialerTiming === true;
	let measures = 0;
	let firstRendered = false;

	/* Records how long applying ev took, from its arrival to the DOM
	 * updated and laid out (the layout read makes the browser do now the
	 * work it would do before the next frame). */
	function timeApply(ev, arrived) {
		if (!TIMING || !window.performance || !performance.measure)
			return;
		void ui.tbody.offsetHeight;
		if (++measures > MEASURES_MAX) {
			performance.clearMeasures('numdialer:apply');
			measures = 1;
		}
		performance.measure('numdialer:apply', { start: arrived,
		    end: performance.now(), detail: { full: ev.full === true,
		    calls: Array.isArray(ev.calls) ? ev.calls.length : 0,
		    rows: ui.tbody.rows.length } });
		if (firstRendered)
			return;
		firstRendered = true;
		performance.mark('numdialer:first-render');
		/* A task queued from the next frame runs once it is painted. */
		window.requestAnimationFrame(() => window.setTimeout(() =>
		    performance.mark('numdialer:first-paint'), 0));
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

	/* Resolves to { ev, arrived } (arrived: when the answer began to
	 * come, on the performance clock), or null when the page must ask
	 * again for everything; rejects when the server could not be read. */
	async function fetchEvents() {
		const abort = new AbortController();
		const timer = window.setTimeout(() => abort.abort(), POLL_TIMEOUT_MS);
		try {
			const res = await fetch(eventsURL(), { cache: 'no-store',
			    headers: { Accept: 'application/json' },
			    signal: abort.signal });
			const arrived = performance.now();
			if (res.status === 400 && state.version !== null) {
				state.version = null;
				return null;
			}
			if (!res.ok) {
				/* An error the program explains (its journal cannot
				 * be written, say) is shown as it says it. */
				const err = new Error('the server answered ' + res.status);
				try {
					const body = await res.json();
					if (body && typeof body.error === 'string')
						err.said = body.error;
				} catch (e) { /* no explanation: unreachable */ }
				throw err;
			}
			const ev = await res.json();
			if (ev === null || typeof ev !== 'object' ||
			    ev.version === undefined)
				throw new Error('the server sent an unexpected answer');
			return { ev: ev, arrived: arrived };
		} finally {
			window.clearTimeout(timer);
		}
	}

	function backoff(failures) {
		const base = Math.min(BACKOFF_MAX_MS,
		    BACKOFF_MIN_MS * Math.pow(2, Math.min(failures - 1, 16)));
		return Math.round(base * (0.8 + Math.random() * 0.4));
	}

	function showNotice(delay, said) {
		const again = 'Retrying in ' + Math.max(1, Math.round(delay / 1000)) +
		    ' s.';
		ui.notice.hidden = false;
		ui.noticeText.textContent = said ?
		    'The server says: ' + said + '. ' + again :
		    'Cannot reach the server. ' + again;
	}

	async function poll() {
		let failures = 0;
		for (;;) {
			const asked = Date.now();
			let got;
			try {
				got = await fetchEvents();
			} catch (err) {
				failures++;
				const delay = backoff(failures);
				showNotice(delay, err && err.said);
				await pause(delay);
				continue;
			}
			if (failures > 0) {
				failures = 0;
				ui.notice.hidden = true;
				ui.noticeText.textContent = '';
				say('Connection restored.');
			}
			if (got === null)
				continue;
			const ev = got.ev;
			if (!apply(ev))
				continue;
			timeApply(ev, got.arrived);
			const empty = !ev.full &&
			    (!Array.isArray(ev.calls) || ev.calls.length === 0);
			if (empty && Date.now() - asked < EMPTY_ANSWER_MIN_MS)
				await pause(EMPTY_ANSWER_PAUSE_MS);
		}
	}

	/* ---- the operator's commands ---- */

	/* After an answer: the buttons wait for /events to show what the
	 * command did (a newer version), HOLD_MS at most. */
	function hold() {
		cmd.holdUntil = Date.now() + HOLD_MS;
		window.setTimeout(renderControls, HOLD_MS + 50);
	}

	/* What the server said when it refused. */
	async function errorOf(res) {
		try {
			const body = await res.json();
			if (body && typeof body.error === 'string')
				return body.error;
		} catch (e) { /* no explanation */ }
		return '';
	}

	/* Sends a command (a key of COMMANDS) if it applies now; Stop only
	 * once the operator confirms it. A refusal (409) is shown briefly;
	 * either way the buttons then follow /events. */
	async function send(name) {
		if (cmd.busy !== null || !applies(name))
			return;
		if (name === 'stop' && !window.confirm(STOP_QUESTION))
			return;
		const c = COMMANDS[name];
		cmd.busy = name;
		cmd.since = state.version;
		cmd.pressed = name;
		showMessage(c.doing, false);
		renderControls();
		let res = null;
		let said = '';
		try {
			res = await fetch(c.path, { method: 'POST', cache: 'no-store',
			    headers: { Accept: 'application/json' } });
			if (res.status !== 202)
				said = await errorOf(res);
		} catch (err) {
			res = null;
		}
		cmd.busy = null;
		if (res === null) {
			/* Nothing reached the server: nothing changed. */
			showMessage(c.failed + ': the server could not be ' +
			    'reached. Try again.', true);
		} else {
			hold();
			if (res.status === 202)
				showMessage('', false);
			else if (res.status === 409)
				showMessage(c.failed + ': ' + reasonOf(said,
				    'the dialer is not in a state for it') + '.', true);
			else
				showMessage(c.failed + ': the server answered ' +
				    res.status + (said ? ' (' + said + ')' : '') + '.',
				    true);
		}
		renderControls();
		if (wake)
			wake();
	}

	for (const name of Object.keys(COMMANDS))
		ui[name].addEventListener('click', () => send(name));
	ui.retry.addEventListener('click', () => { if (wake) wake(); });
	ui.dismiss.addEventListener('click', () => {
		ui.restarted.hidden = true;
		(ui.call.disabled ? ui.state : ui.call).focus();
	});
	window.addEventListener('online', () => { if (wake) wake(); });
	window.addEventListener('scroll', () => schedulePlace(false),
	    { passive: true });
	window.addEventListener('resize', onResize);
	ui.tbody.addEventListener('click', onRowsClick);
	ui.tbody.addEventListener('keydown', onRowsKey);
	window.setInterval(renderRates, RATES_EVERY_MS);
	poll();
})();
