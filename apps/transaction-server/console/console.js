/**
 * The trx operator console: one module, no framework, no build step. It keeps the operator's
 * token in sessionStorage only, sends it with every call to /v1/console, polls the list (and
 * the open detail) every 2 s, and writes every value with textContent — never as HTML.
 */

const TOKEN_KEY = 'trx-operator-token';
const POLL_MS = 2000;
const API = '/v1/console/transactions';

const $ = (selector) => document.querySelector(selector);
const state = { filters: {}, items: [], next: null, selected: null, timer: null };

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, method = 'GET') {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const res = await fetch(path, { method, headers: { authorization: `Bearer ${token}` } });
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function say(text) {
  const p = $('#message');
  p.textContent = text ?? '';
  p.hidden = !text;
}

/** 401/403 end the session: the page says why and asks for a token again. */
function failed(err) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(
      err.status === 401
        ? 'The token was not accepted (401): sign in with the operator token.'
        : 'This token is not the operator’s (403): the console is for the operator only.',
    );
    return;
  }
  say(err instanceof ApiError ? `${err.body?.error ?? err.status}: ${err.message}` : String(err));
}

function showLogin(reason) {
  clearInterval(state.timer);
  state.timer = null;
  $('#console').hidden = true;
  $('#sign-out').hidden = true;
  $('#login').hidden = false;
  $('#live').textContent = '';
  say(reason);
}

function showConsole() {
  $('#login').hidden = true;
  $('#console').hidden = false;
  $('#sign-out').hidden = false;
  say();
  refresh();
  clearInterval(state.timer);
  state.timer = setInterval(refresh, POLL_MS);
}

function query(cursor, limit) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(state.filters)) if (v !== '') params.set(k, v);
  if (cursor) params.set('cursor', cursor);
  if (limit) params.set('limit', String(limit));
  return `${API}?${params}`;
}

/** The first pages again, as many rows as are shown (live), and the open detail. */
async function refresh() {
  try {
    const page = await api(query(undefined, Math.min(Math.max(state.items.length, 20), 100)));
    state.items = page.items;
    state.next = page.next;
    renderList();
    if (state.selected) await refreshDetail();
    $('#live').textContent = `live · updated ${new Date().toLocaleTimeString()}`;
    if (!$('#message').hidden && $('#message').dataset.sticky !== '1') say();
  } catch (err) {
    failed(err);
  }
}

/** The open detail again; a transaction retention deleted meanwhile closes it. */
async function refreshDetail() {
  try {
    renderDetail(await api(`${API}/${state.selected}`));
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
    state.selected = null;
    $('#detail').hidden = true;
  }
}

async function more() {
  try {
    const page = await api(query(state.next));
    state.items = state.items.concat(page.items);
    state.next = page.next;
    renderList();
  } catch (err) {
    failed(err);
  }
}

/** The coordinator's count of seconds (its clock decides deadlines, not the browser's). */
function age(s) {
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

function cell(tr, text, className) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (className) td.className = className;
  tr.append(td);
  return td;
}

function renderList() {
  const tbody = $('#transactions tbody');
  tbody.replaceChildren(
    ...state.items.map((t) => {
      const tr = document.createElement('tr');
      tr.dataset.id = t.id;
      if (t.stuck) tr.classList.add('is-stuck');
      if (t.id === state.selected) tr.classList.add('selected');
      cell(tr, t.id, 'id');
      cell(tr, t.status);
      cell(tr, t.services.join(', '));
      cell(tr, age(t.ageS));
      cell(tr, t.stuck?.reason, 'stuck');
      tr.addEventListener('click', () => open(t.id));
      return tr;
    }),
  );
  if (state.items.length === 0) {
    const tr = document.createElement('tr');
    cell(tr, 'no transactions match').colSpan = 5;
    tbody.append(tr);
  }
  $('#more').hidden = !state.next;
}

async function open(id) {
  state.selected = id;
  try {
    renderDetail(await api(`${API}/${id}`));
    renderList();
  } catch (err) {
    failed(err);
  }
}

function renderDetail(d) {
  $('#detail').hidden = false;
  $('#detail-title').textContent = d.id;
  const stuck = $('#detail-stuck');
  stuck.textContent = d.stuck ? d.stuck.reason : '';
  stuck.hidden = !d.stuck;
  const facts = [
    ['status', d.status],
    ['decision', d.decision ? `${d.decision}${d.reason ? ` (${d.reason})` : ''}` : '—'],
    ['initiator', d.initiator],
    ['begun', d.createdAt],
    ['deadline', d.deadline],
    ['decided', d.decidedAt ?? '—'],
    ['re-published', `${d.republishCount} times`],
    ['next re-publish', d.nextRepublishAt ?? '—'],
    ['in doubt since', d.inDoubtSince ?? '—'],
  ];
  $('#detail-facts').replaceChildren(
    ...facts.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = k;
      dd.textContent = v ?? '';
      return [dt, dd];
    }),
  );
  $('#act-republish').disabled = d.status !== 'committing' && d.status !== 'rolling-back';
  // Past its deadline by the coordinator's clock: what the stuck reason says.
  $('#act-rollback').disabled = d.stuck?.kind !== 'timed-out';
  $('#timeline').replaceChildren(
    ...d.timeline.map((e) => {
      const li = document.createElement('li');
      const parts = [e.at, e.event, e.service, e.detail].filter(Boolean);
      li.textContent = parts.join(' · ');
      return li;
    }),
  );
  $('#branches tbody').replaceChildren(
    ...d.branchList.map((b) => {
      const tr = document.createElement('tr');
      [b.service, b.status, b.createdAt, b.updatedAt].forEach((v) => cell(tr, v));
      cell(tr, b.gid, 'id');
      return tr;
    }),
  );
  $('#messages tbody').replaceChildren(
    ...d.messages.map((m) => {
      const tr = document.createElement('tr');
      [m.routingKey, m.createdAt, m.publishedAt ?? 'not yet', String(m.attempts)].forEach((v) => cell(tr, v));
      return tr;
    }),
  );
}

async function act(action) {
  const id = state.selected;
  if (!id) return;
  const what = action === 'republish' ? 're-publish the decision of' : 'roll back';
  if (!window.confirm(`${what} transaction ${id}?`)) return;
  try {
    renderDetail(await api(`${API}/${id}/${action}`, 'POST'));
    say(`done: ${what} ${id}`);
    $('#message').dataset.sticky = '1';
    await refresh();
  } catch (err) {
    failed(err);
  }
}

function start() {
  $('#login').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('#token').value.trim());
    $('#token').value = '';
    showConsole();
  });
  $('#sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin();
  });
  $('#filters').addEventListener('submit', (event) => {
    event.preventDefault();
    state.filters = Object.fromEntries(new FormData(event.target));
    state.items = [];
    refresh();
  });
  $('#more').addEventListener('click', more);
  $('#act-republish').addEventListener('click', () => act('republish'));
  $('#act-rollback').addEventListener('click', () => act('rollback'));
  $('#message').addEventListener('click', () => {
    delete $('#message').dataset.sticky;
    say();
  });
  if (sessionStorage.getItem(TOKEN_KEY)) showConsole();
  else showLogin();
}

start();
