// The Fleet dashboard webview: plain DOM, no framework. The extension posts every row once
// ({ type: 'rows', rows, message }) and then small updates ({ type: 'update', updates }: a new row, the fields
// of one row that changed, or a removal); only the touched cells are redrawn and only a row whose sort key changed
// moves. Rows come from src/fleet/dashboard.ts (DashboardRow). Enter or a click on a row posts { type: 'reveal', id }.
// Everything from the extension goes in as textContent or attributes, never as HTML.
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const SVG = 'http://www.w3.org/2000/svg';
  const HEALTH = { down: 0, degraded: 1, unknown: 2, healthy: 3 };
  const STATUS = { error: 0, warning: 1, progress: 2, unknown: 3, ok: 4 };

  const ratio = (a, b) => (b ? a / b : -1);
  // Each column: what it sorts on, which row fields it shows, how it draws a cell.
  const COLUMNS = [
    { key: 'name', label: 'Cluster', fields: ['id'], sort: (r) => r.id, draw: drawName },
    { key: 'phase', label: 'Phase', fields: ['phase', 'status'], sort: (r) => STATUS[r.status] * 100 + r.phase.length, draw: drawPhase },
    { key: 'version', label: 'Version', fields: ['version', 'target'], sort: (r) => r.version, draw: drawVersion },
    { key: 'cp', label: 'Control plane', fields: ['cpReady', 'cpTotal'], sort: (r) => ratio(r.cpReady, r.cpTotal), draw: drawCp },
    {
      key: 'etcd',
      label: 'etcd',
      fields: ['etcd', 'etcdHealth', 'etcdReady', 'etcdTotal'],
      sort: (r) => HEALTH[r.etcdHealth],
      draw: drawEtcd,
    },
    { key: 'db', label: 'etcd DB (1 h)', fields: ['dbSize', 'spark'], sort: (r) => (r.dbSize === undefined ? -1 : r.dbSize), draw: drawDb },
    {
      key: 'api',
      label: 'API req/s (1 h)',
      fields: ['apiRate', 'apiSpark', 'apiError'],
      sort: (r) => (r.apiRate === undefined ? -1 : r.apiRate),
      draw: drawApi,
    },
    {
      key: 'machines',
      label: 'Machines',
      fields: ['machinesReady', 'machinesTotal'],
      sort: (r) => ratio(r.machinesReady, r.machinesTotal),
      draw: drawMachines,
    },
    { key: 'last', label: 'Last event', fields: ['lastMessage', 'lastTime', 'lastWarning'], sort: (r) => r.lastTime || '', draw: drawLast },
  ];

  const table = document.getElementById('fleet');
  const headRow = table.tHead.rows[0];
  const body = table.tBodies[0];
  const filterInput = document.getElementById('filter');
  const count = document.getElementById('count');
  const empty = document.getElementById('empty');

  /** id → { row, tr, cells }; tr and cells exist once the row was in the window. */
  const entries = new Map();
  /** ids in display order */
  let order = [];
  const saved = vscode.getState() || {};
  let sortKey = saved.sortKey || 'phase';
  let sortDir = saved.sortDir || 1;
  let filter = saved.filter || '';
  filterInput.value = filter;

  // ---- cells ----
  function text(parent, tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    parent.appendChild(el);
    return el;
  }
  function drawName(td, r) {
    text(td, 'span', r.name, 'name');
    text(td, 'span', r.namespace, 'ns');
  }
  function drawPhase(td, r) {
    text(td, 'span', r.phase, 'pill status-' + r.status);
  }
  function drawVersion(td, r) {
    td.append(r.version);
    if (r.target) text(td, 'span', '→ ' + r.target, 'target');
  }
  function drawCp(td, r) {
    text(td, 'span', r.cpTotal ? r.cpReady + '/' + r.cpTotal : '–', r.cpTotal && r.cpReady === r.cpTotal ? 'ok' : 'warn');
  }
  function drawEtcd(td, r) {
    text(td, 'span', r.etcdHealth, 'pill health-' + r.etcdHealth);
    if (r.etcdTotal) text(td, 'span', ' ' + r.etcdReady + '/' + r.etcdTotal, 'dim');
    td.title = r.etcd;
  }
  function drawDb(td, r) {
    text(td, 'span', humanBytes(r.dbSize), 'size');
    spark(td, r.spark, 'etcd DB size over the last hour');
  }
  // Rates come only for the rows in the window (the extension reads their apiserver's /metrics while shown).
  function drawApi(td, r) {
    if (r.apiError) {
      text(td, 'span', '–', 'dim');
      td.title = r.apiError;
      return;
    }
    text(td, 'span', r.apiRate === undefined ? '…' : r.apiRate.toFixed(r.apiRate < 10 ? 1 : 0), 'size');
    spark(td, r.apiSpark, 'API requests per second over the last hour');
  }
  function spark(td, points, label) {
    if (!points) return;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 60 16');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points);
    svg.appendChild(line);
    td.appendChild(svg);
  }
  function drawMachines(td, r) {
    if (!r.machinesTotal) text(td, 'span', '–', 'dim');
    else text(td, 'span', r.machinesReady + '/' + r.machinesTotal, r.machinesReady === r.machinesTotal ? 'ok' : 'warn');
  }
  function drawLast(td, r) {
    if (r.lastTime) {
      const t = text(td, 'time', shortTime(r.lastTime), 'dim');
      t.dateTime = r.lastTime;
    }
    if (r.lastMessage) text(td, 'span', ' ' + r.lastMessage, r.lastWarning ? 'msg warn' : 'msg');
    td.title = r.lastMessage || '';
  }
  function humanBytes(n) {
    if (n === undefined || n === null) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return n.toFixed(i === 0 ? 0 : 1) + ' ' + units[i];
  }
  function shortTime(iso) {
    const d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  // ---- rows ----
  // Only the rows in (and near) the viewport are in the DOM: 1,000 laid-out rows cost a second on a busy machine,
  // 60 cost nothing. Spacer rows keep the scroll height; aria-rowcount/aria-rowindex tell assistive technology
  // where a row is. Rows have a fixed height (ROW_H, the same in dashboard.css).
  const ROW_H = 24;
  const BUFFER = 20;
  const topPad = padRow();
  const bottomPad = padRow();
  let shown = { start: -1, end: -1 };
  /** The id of the row Tab lands on. */
  let current;

  function padRow() {
    const tr = document.createElement('tr');
    tr.className = 'pad';
    tr.setAttribute('aria-hidden', 'true');
    const td = document.createElement('td');
    td.colSpan = COLUMNS.length;
    tr.appendChild(td);
    return tr;
  }
  function buildRow(e) {
    const tr = document.createElement('tr');
    tr.tabIndex = -1;
    tr.dataset.id = e.row.id;
    e.cells = COLUMNS.map((c, i) => {
      const td = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) td.scope = 'row';
      c.draw(td, e.row);
      tr.appendChild(td);
      return td;
    });
    tr.className = 'row-' + e.row.status;
    e.tr = tr;
  }
  function redraw(e, fields) {
    if (!e.tr) return;
    COLUMNS.forEach((c, i) => {
      if (!c.fields.some((f) => f in fields)) return;
      const td = e.cells[i];
      td.textContent = '';
      td.removeAttribute('title');
      c.draw(td, e.row);
    });
    e.tr.className = 'row-' + e.row.status;
  }
  function matches(r) {
    if (!filter) return true;
    const hay = (r.id + ' ' + r.phase + ' ' + r.version + ' ' + (r.target || '') + ' ' + r.etcdHealth + ' ' + (r.lastMessage || '')).toLowerCase();
    return filter
      .toLowerCase()
      .split(/\s+/)
      .every((w) => hay.includes(w));
  }
  function compare(a, b) {
    const col = COLUMNS.find((c) => c.key === sortKey);
    const x = col.sort(a);
    const y = col.sort(b);
    const d = x < y ? -1 : x > y ? 1 : 0;
    return d * sortDir || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  }

  /** The rows near the viewport, between two spacers; `force` when the order or the set changed. */
  function renderWindow(force) {
    const bodyTop = body.getBoundingClientRect().top + window.scrollY;
    const first = Math.floor((window.scrollY - bodyTop) / ROW_H);
    const start = Math.max(0, Math.min(first, order.length) - BUFFER);
    const end = Math.min(order.length, Math.max(0, first) + Math.ceil(window.innerHeight / ROW_H) + BUFFER);
    if (!force && start === shown.start && end === shown.end) return;
    shown = { start, end };
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('tbody tr');
    const frag = document.createDocumentFragment();
    topPad.style.height = start * ROW_H + 'px';
    frag.appendChild(topPad);
    for (let i = start; i < end; i++) {
      const e = entries.get(order[i]);
      if (!e.tr) buildRow(e);
      e.tr.setAttribute('aria-rowindex', String(i + 2));
      frag.appendChild(e.tr);
    }
    bottomPad.style.height = (order.length - end) * ROW_H + 'px';
    frag.appendChild(bottomPad);
    body.replaceChildren(frag);
    table.setAttribute('aria-rowcount', String(order.length + 1));
    postVisible(order.slice(start, end));
    keepTabStop();
    if (focused && focused.isConnected) focused.focus({ preventScroll: true });
  }
  /** Tells the extension which rows are in the window (it reads their request rates), once they stop moving. */
  let visibleTimer;
  let visibleSent = '';
  function postVisible(ids) {
    clearTimeout(visibleTimer);
    visibleTimer = setTimeout(() => {
      const key = ids.join('\n');
      if (key === visibleSent) return;
      visibleSent = key;
      vscode.postMessage({ type: 'visible', ids });
    }, 300);
  }
  let scrollQueued = false;
  window.addEventListener(
    'scroll',
    () => {
      if (scrollQueued) return;
      scrollQueued = true;
      requestAnimationFrame(() => {
        scrollQueued = false;
        renderWindow(false);
      });
    },
    { passive: true },
  );
  window.addEventListener('resize', () => renderWindow(false));

  // ---- whole table ----
  /** `order`: the ids that pass the filter, sorted. */
  function reorder() {
    order = [...entries.values()]
      .map((e) => e.row)
      .filter(matches)
      .sort(compare)
      .map((r) => r.id);
    renderWindow(true);
    showCount();
  }
  function renderAll(rows, message) {
    entries.clear();
    for (const r of rows) entries.set(r.id, { row: r, tr: undefined, cells: undefined });
    empty.hidden = rows.length > 0;
    empty.textContent = message || 'No business clusters in this meta cluster.';
    reorder();
  }
  function showCount() {
    count.textContent = order.length === entries.size ? entries.size + ' clusters' : order.length + ' of ' + entries.size + ' clusters';
  }

  // ---- one row at a time ----
  /** Where `row` belongs in `order` (which does not hold it), by binary search. */
  function slot(row) {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(entries.get(order[mid]).row, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  function unplace(id) {
    const i = order.indexOf(id);
    if (i >= 0) order.splice(i, 1);
    return i >= 0;
  }
  /** Applies one update; returns whether the rows in the window must be laid out again. */
  function applyUpdate(u) {
    const e = entries.get(u.id);
    if (u.removed || u.row) {
      const moved = e ? unplace(u.id) : false;
      entries.delete(u.id);
      if (u.removed) return moved;
      const n = { row: u.row, tr: undefined, cells: undefined };
      entries.set(u.id, n);
      if (matches(n.row)) order.splice(slot(n.row), 0, u.id);
      return true;
    }
    if (!e) return false;
    const col = COLUMNS.find((c) => c.key === sortKey);
    const before = col.sort(e.row);
    const wasIn = matches(e.row);
    e.row = Object.assign({}, e.row, u.set);
    redraw(e, u.set);
    const isIn = matches(e.row);
    if (wasIn === isIn && (!isIn || col.sort(e.row) === before)) return false;
    unplace(u.id);
    if (isIn) order.splice(slot(e.row), 0, u.id);
    return true;
  }

  // ---- header, filter, keyboard ----
  function buildHeader() {
    for (const c of COLUMNS) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.className = 'col-' + c.key;
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.key = c.key;
      b.textContent = c.label;
      th.appendChild(b);
      headRow.appendChild(th);
    }
    showSort();
  }
  function showSort() {
    for (const th of headRow.cells) {
      const key = th.firstChild.dataset.key;
      th.setAttribute('aria-sort', key === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    }
  }
  function save() {
    vscode.setState({ sortKey, sortDir, filter });
  }
  headRow.addEventListener('click', (ev) => {
    const b = ev.target.closest('button');
    if (!b) return;
    if (b.dataset.key === sortKey) sortDir = -sortDir;
    else {
      sortKey = b.dataset.key;
      sortDir = 1;
    }
    showSort();
    reorder();
    save();
  });
  filterInput.addEventListener('input', () => {
    filter = filterInput.value.trim();
    reorder();
    save();
  });

  // Rows use a roving tabindex: Tab enters the table at the current row, arrows (and Home/End/PageUp/PageDown) move.
  function reveal(tr) {
    if (tr && tr.dataset.id) vscode.postMessage({ type: 'reveal', id: tr.dataset.id });
  }
  function focusRow(index) {
    if (!order.length) return;
    const i = Math.max(0, Math.min(order.length - 1, index));
    const bodyTop = body.getBoundingClientRect().top + window.scrollY;
    const y = bodyTop + i * ROW_H;
    // The header cells are sticky (the <thead> box itself scrolls away): what they cover is up to their bottom.
    const headH = headRow.cells[0].getBoundingClientRect().bottom;
    if (y < window.scrollY + headH) window.scrollTo(0, y - headH);
    else if (y + ROW_H > window.scrollY + window.innerHeight) window.scrollTo(0, y + ROW_H - window.innerHeight);
    renderWindow(true);
    const tr = entries.get(order[i]).tr;
    if (tr) tr.focus({ preventScroll: true });
  }
  body.addEventListener('focusin', (ev) => {
    const tr = ev.target.closest('tr');
    if (!tr || !tr.dataset.id) return;
    for (const other of body.querySelectorAll('tr[tabindex="0"]')) if (other !== tr) other.tabIndex = -1;
    tr.tabIndex = 0;
    current = tr.dataset.id;
  });
  body.addEventListener('click', (ev) => reveal(ev.target.closest('tr')));
  const MOVES = { ArrowDown: 1, ArrowUp: -1, PageDown: 20, PageUp: -20, Home: -Infinity, End: Infinity };
  body.addEventListener('keydown', (ev) => {
    const tr = ev.target.closest('tr');
    if (!tr) return;
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      reveal(tr);
    } else if (ev.key in MOVES) {
      ev.preventDefault();
      const at = order.indexOf(tr.dataset.id);
      const by = MOVES[ev.key];
      focusRow(by === -Infinity ? 0 : by === Infinity ? order.length - 1 : at + by);
    }
  });
  /** Keeps exactly one rendered row reachable by Tab: the current one when it is rendered, else the first. */
  function keepTabStop() {
    const e = current && entries.get(current);
    const stop = e && e.tr && e.tr.isConnected ? e.tr : body.querySelector('tr[data-id]');
    for (const tr of body.querySelectorAll('tr[tabindex="0"]')) if (tr !== stop) tr.tabIndex = -1;
    if (stop) stop.tabIndex = 0;
  }

  // ---- User Timing marks (read by bench/dashboard-code-server.ts) ----
  // The first 'rows' message on arrival, and its table rendered: in the DOM, then a frame (rAF and a task); the same
  // for the latest update (the marks of the one before are cleared; `seq` tells a rendered mark whose update it is).
  const afterFrame = (f) => requestAnimationFrame(() => setTimeout(f));
  let snapshotMarked = false;
  let updateSeq = 0;

  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (m.type === 'rows') {
      const first = !snapshotMarked;
      const detail = { rows: m.rows.length };
      if (first) performance.mark('kokpit:snapshot-received', { detail });
      snapshotMarked = true;
      renderAll(m.rows, m.message);
      if (first) afterFrame(() => performance.mark('kokpit:first-render', { detail }));
    } else if (m.type === 'update') {
      const detail = { seq: ++updateSeq, ids: m.updates.map((u) => u.id) };
      performance.clearMarks('kokpit:update-received');
      performance.clearMarks('kokpit:update-rendered');
      performance.mark('kokpit:update-received', { detail });
      let moved = false;
      for (const u of m.updates) moved = applyUpdate(u) || moved;
      if (moved) renderWindow(true);
      empty.hidden = entries.size > 0;
      showCount();
      afterFrame(() => detail.seq === updateSeq && performance.mark('kokpit:update-rendered', { detail }));
    }
  });

  buildHeader();
  vscode.postMessage({ type: 'ready' });
})();
