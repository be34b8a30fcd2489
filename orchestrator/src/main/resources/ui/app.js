// tokenledger usage page: reads the JSON report endpoints (answered from llm_usage_daily), draws them
// with ECharts, and keeps the filters in the URL so a view can be shared. Amounts stay exact: costs are
// added as scaled BigInts; floats are used only to size the bars.
'use strict';

const SCALE = 12n;
const ONE = 10n ** SCALE;

/** "12.345" -> 12345000000000n (12 decimals), exactly. */
function toUnits(amount) {
  const s = String(amount);
  const negative = s.startsWith('-');
  const [whole, frac = ''] = (negative ? s.slice(1) : s).split('.');
  const units = BigInt(whole || '0') * ONE + BigInt((frac + '0'.repeat(12)).slice(0, 12) || '0');
  return negative ? -units : units;
}

/** 12345000000000n -> "12.345000000000" */
function unitsToString(units) {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / ONE;
  const frac = (abs % ONE).toString().padStart(12, '0');
  return (negative ? '-' : '') + whole.toString() + '.' + frac;
}

/** Money for people: cents from a dollar up, otherwise enough digits that a sub-cent cost is not $0.00. */
function money(exact) {
  const units = toUnits(exact);
  if (units === 0n) return '$0.00';
  const value = Number(units) / 1e12;
  if (Math.abs(value) >= 1) {
    return value.toLocaleString('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  let digits = value.toPrecision(4).replace(/0+$/, '');
  if (/\.\d$/.test(digits)) digits += '0'; // $0.50, not $0.5
  return '$' + digits.replace(/\.$/, '.00');
}

const count = n => Number(n).toLocaleString('en-US');

/** The API sends amounts as exact decimal strings ("0.012500000000"); they are never parsed into floats here. */
async function getJson(path) {
  // location.origin, not a relative URL: a page opened as http://user:key@host carries those credentials
  // in its own URL, and fetch refuses URLs that include credentials.
  const response = await fetch(new URL(path, location.origin), { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok && response.status !== 503) {
    throw new Error(path + ': HTTP ' + response.status + ' ' + (body && body.error ? body.error : text.slice(0, 200)));
  }
  return body;
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function readFilters() {
  const p = new URLSearchParams(location.search);
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 30 * 86400000);
  return {
    from: p.get('from') || isoDay(monthAgo),
    to: p.get('to') || isoDay(today),
    workspace: p.get('workspace') || '',
    user: p.get('user') || '',
    model: p.get('model') || '',
    stack: p.get('stack') === 'provider' ? 'provider' : 'model',
  };
}

function query(filters, extra = {}) {
  const p = new URLSearchParams();
  for (const key of ['from', 'to', 'workspace', 'user', 'model']) {
    if (filters[key]) p.set(key, filters[key]);
  }
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p.toString();
}

const charts = {};
function chart(id) {
  if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, { renderer: 'svg' });
  return charts[id];
}

function topBars(id, report) {
  const lines = report.lines.slice(0, 10).reverse();
  chart(id).setOption({
    grid: { left: 8, right: 70, top: 4, bottom: 4, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: v => money(v.toFixed(12)) },
    xAxis: { type: 'value', axisLabel: { show: false }, splitLine: { show: false } },
    yAxis: { type: 'category', data: lines.map(l => l.key || '(none)') },
    series: [{
      type: 'bar', barMaxWidth: 26, data: lines.map(l => Number(toUnits(l.cost_usd)) / 1e12), itemStyle: { color: '#3559e0' },
      label: {
        show: true, position: 'right',
        formatter: p => (lines[p.dataIndex].unpriced_events === lines[p.dataIndex].events ? 'unpriced' : money(lines[p.dataIndex].cost_usd)),
      },
    }],
  }, true);
}

function costPerDay(series, filters) {
  const days = [];
  for (let d = new Date(filters.from + 'T00:00:00Z'); isoDay(d) <= filters.to; d = new Date(d.getTime() + 86400000)) {
    days.push(isoDay(d));
  }
  const totals = new Map();
  for (const p of series.points) totals.set(p.series, (totals.get(p.series) || 0n) + toUnits(p.cost_usd));
  const ranked = [...totals.entries()].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0)).map(e => e[0]);
  const shown = ranked.slice(0, 8);
  const name = s => (shown.includes(s) ? s : 'other');
  const names = ranked.length > 8 ? [...shown, 'other'] : shown;
  const cells = new Map(names.map(n => [n, new Map()]));
  for (const p of series.points) {
    const row = cells.get(name(p.series));
    row.set(p.day, (row.get(p.day) || 0n) + toUnits(p.cost_usd));
  }
  chart('chart-days').setOption({
    grid: { left: 8, right: 8, top: 30, bottom: 4, containLabel: true },
    legend: { type: 'scroll', top: 0 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: v => money(v.toFixed(12)) },
    xAxis: { type: 'category', data: days },
    yAxis: { type: 'value', axisLabel: { formatter: v => money(v.toFixed(12)) } },
    series: names.map(n => ({
      name: n, type: 'bar', stack: 'cost', emphasis: { focus: 'series' },
      data: days.map(d => Number(cells.get(n).get(d) || 0n) / 1e12),
    })),
  }, true);
}

function tokenMix(lines) {
  const sum = f => lines.reduce((a, l) => a + Number(l[f] || 0), 0);
  const cached = sum('cached_tokens');
  const cacheWrite = sum('cache_creation_tokens');
  const reasoning = sum('thoughts_tokens');
  const parts = [
    { name: 'input (uncached)', value: Math.max(0, sum('prompt_tokens') - cached - cacheWrite) },
    { name: 'cached input', value: cached },
    { name: 'cache write', value: cacheWrite },
    { name: 'output', value: Math.max(0, sum('completion_tokens') - reasoning) },
    { name: 'reasoning', value: reasoning },
  ];
  chart('chart-tokens').setOption({
    tooltip: { trigger: 'item', valueFormatter: v => count(v) + ' tokens' },
    legend: { bottom: 0 },
    series: [{ type: 'pie', radius: ['35%', '60%'], center: ['50%', '42%'], data: parts, label: { formatter: '{d}%' } }],
  }, true);
}

function modelTable(report) {
  const rows = report.lines.map(l => `<tr><td>${escapeHtml(l.key || '(none)')}</td><td>${count(l.events)}</td>` +
    `<td>${count(l.total_tokens)}</td><td title="${l.cost_usd}">${l.unpriced_events === l.events ? 'unpriced' : money(l.cost_usd)}</td></tr>`);
  document.getElementById('table-model').innerHTML =
    '<tr><th>model</th><th>calls</th><th>tokens</th><th>cost</th></tr>' + rows.join('');
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function kpis(report) {
  let total = 0n;
  let calls = 0;
  let tokens = 0;
  let unpriced = 0;
  for (const l of report.lines) {
    total += toUnits(l.cost_usd);
    calls += Number(l.events);
    tokens += Number(l.total_tokens);
    unpriced += Number(l.unpriced_events);
  }
  const exact = unitsToString(total);
  document.getElementById('total-cost').textContent = money(exact);
  document.getElementById('total-cost-exact').textContent = exact + ' USD';
  document.getElementById('total-calls').textContent = count(calls);
  document.getElementById('total-tokens').textContent = count(tokens);
  document.getElementById('unpriced-share').textContent =
    calls === 0 ? '–' : (100 * unpriced / calls).toFixed(1) + '% (' + count(unpriced) + ')';
  document.body.dataset.totalCost = exact;
  document.body.dataset.totalCalls = String(calls);
}

/** Under the unpriced share: why those calls are unpriced, and how many priced calls carry a flag. */
function pricingQuality(q) {
  const sub = document.getElementById('unpriced-why');
  if (!q) {
    sub.textContent = 'cost unknown, not zero';
    return;
  }
  const reasons = Object.entries(q.unpriced_by_reason).map(([r, n]) => `${r.replaceAll('_', ' ')} ${count(n)}`);
  const flagged = Object.entries(q.flagged_by_flag).map(([f, n]) => `${f.replaceAll('_', ' ')} ${count(n)}`);
  sub.textContent = (reasons.length ? reasons.join(' · ') : 'cost unknown, not zero')
    + (flagged.length ? ' — flagged: ' + flagged.join(' · ') : '');
  document.body.dataset.flaggedCalls = String(q.flagged_events);
}

/** "0.12" of "0.5" as "24.0%", from the exact amounts. */
function percentOf(amount, limit) {
  const l = toUnits(limit);
  if (l === 0n) return '–';
  const tenths = (toUnits(amount) * 1000n) / l;
  return (Number(tenths) / 10).toFixed(1) + '%';
}

function budgetScope(b) {
  if (b.user) return 'user ' + b.user + ' in ' + b.workspace;
  if (b.agent) return 'agent ' + b.agent + ' in ' + b.workspace;
  if (b.model) return b.model + '* in ' + b.workspace;
  return b.workspace;
}

const utcMinute = s => new Date(s).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

/** One card per budget (of the chosen workspace, if any): its burn-down so far and the forecast to the reset. */
function budgetCards(burnDowns, filters) {
  const section = document.getElementById('budgets');
  const shown = (burnDowns || []).filter(b => !filters.workspace || b.budget.workspace === filters.workspace);
  for (const id of Object.keys(charts)) {
    if (id.startsWith('budget-chart-')) {
      charts[id].dispose();
      delete charts[id];
    }
  }
  section.hidden = shown.length === 0;
  document.getElementById('budget-cards').innerHTML = shown.map((b, i) => {
    const d = b.budget;
    const when = !b.exhausted_at ? ''
      : (toUnits(b.spend_usd) >= toUnits(d.limit_usd) ? ' · limit reached ' : ' · at this pace the limit is reached ')
        + utcMinute(b.exhausted_at);
    const unpriced = b.unpriced_events > 0 ? ` · ${count(b.unpriced_events)} unpriced calls, not counted` : '';
    return `<div class="card budget${b.forecast_over ? ' hot' : ''}" data-budget="${escapeHtml(d.name)}"`
      + ` data-spend="${b.spend_usd}" data-forecast="${b.forecast_usd}">`
      + `<h3>${escapeHtml(d.name)} <span>${escapeHtml(budgetScope(d))} · ${d.period}${d.hard ? ' · hard' : ''}</span></h3>`
      + `<div class="figures" title="${b.spend_usd} of ${d.limit_usd} USD">spent <b>${money(b.spend_usd)}</b> of `
      + `${money(d.limit_usd)} (${percentOf(b.spend_usd, d.limit_usd)}) · forecast <b>${money(b.forecast_usd)}</b> `
      + `(${percentOf(b.forecast_usd, d.limit_usd)}) at the reset, ${utcMinute(b.resets_at)}${when}${escapeHtml(unpriced)}</div>`
      + `<div class="chart" id="budget-chart-${i}"></div></div>`;
  }).join('');
  shown.forEach((b, i) => burnDownChart('budget-chart-' + i, b));
}

function burnDownChart(id, b) {
  const t = s => new Date(s).getTime();
  const usd = s => Number(toUnits(s)) / 1e12;
  const limit = usd(b.budget.limit_usd);
  const thresholds = b.budget.thresholds.filter(x => toUnits(x) !== ONE).map(x => ({
    yAxis: limit * Number(x), lineStyle: { color: '#98a2b3', type: 'dotted' }, label: { formatter: percentOf(x, '1') },
  }));
  chart(id).setOption({
    animation: false, // drawn with the rest of the page, so a screenshot or a glance shows the whole line
    grid: { left: 8, right: 50, top: 12, bottom: 4, containLabel: true },
    tooltip: { trigger: 'axis', valueFormatter: v => money(v.toFixed(12)) },
    xAxis: { type: 'time', min: t(b.period_start), max: t(b.resets_at) },
    yAxis: {
      type: 'value', max: v => Math.max(v.max, limit) * 1.05,
      axisLabel: { showMaxLabel: false, formatter: v => money(v.toFixed(12)) },
    },
    series: [
      {
        name: 'spent', type: 'line', showSymbol: false, color: '#3559e0', areaStyle: { opacity: 0.12 },
        data: b.points.map(p => [t(p.at), usd(p.spend_usd)]),
        markLine: {
          symbol: 'none', silent: true,
          data: [{ yAxis: limit, lineStyle: { color: '#b42318' }, label: { formatter: 'limit' } }, ...thresholds],
        },
      },
      {
        name: 'forecast', type: 'line', showSymbol: false, color: b.forecast_over ? '#b42318' : '#667085',
        lineStyle: { type: 'dashed' },
        data: [[t(b.as_of), usd(b.spend_usd)], [t(b.resets_at), usd(b.forecast_usd)]],
      },
    ],
  }, true);
}

/** What the strip shows of a check: its detail, or for dead letters just how many wait ("3 unresolved"). */
function checkText(c) {
  if (c.name === 'dead_letters') {
    const n = /^(\d+) /.exec(c.detail);
    return n ? n[1] + ' unresolved' : c.detail;
  }
  return c.detail;
}

function health(ready, meta) {
  const byName = Object.fromEntries((ready && ready.checks || []).map(c => [c.name, c]));
  const titles = {
    oldest_unwritten_event: 'backlog', failed_usage_writes: 'failed jobs', dead_letters: 'dead letters', price_book_age: 'price book',
  };
  for (const el of document.querySelectorAll('#health [data-check]')) {
    const c = byName[el.dataset.check];
    const title = titles[el.dataset.check];
    el.textContent = c ? title + ': ' + checkText(c) : title + ': unknown';
    el.title = c ? c.detail : '';
    el.className = c ? { UP: 'ok', DEGRADED: 'degraded', DOWN: 'down' }[c.status] : 'degraded';
  }
  const link = document.getElementById('dashboard-link');
  if (meta && meta.dashboard_port) {
    link.href = location.protocol + '//' + location.hostname + ':' + meta.dashboard_port + '/dashboard';
  }
}

async function fillChoices(filters) {
  const range = { from: filters.from, to: filters.to };
  const [ws, users, models] = await Promise.all([
    getJson('/v1/reports/workspace?' + query(range, { limit: 500 })),
    getJson('/v1/reports/user?' + query(range, { limit: 500 })),
    getJson('/v1/reports/model?' + query(range, { limit: 500 })),
  ]);
  for (const [name, report] of [['workspace', ws], ['user', users], ['model', models]]) {
    const select = document.querySelector(`select[name=${name}]`);
    select.innerHTML = '<option value="">all</option>' + report.lines.map(l => l.key).sort()
      .map(k => `<option>${escapeHtml(k)}</option>`).join('');
    select.value = filters[name];
    if (select.value !== filters[name]) {
      select.insertAdjacentHTML('beforeend', `<option>${escapeHtml(filters[name])}</option>`);
      select.value = filters[name];
    }
  }
}

async function render() {
  const filters = readFilters();
  const form = document.getElementById('filters');
  for (const key of ['from', 'to', 'stack']) form.elements[key].value = filters[key];
  document.body.dataset.rendered = 'false';
  const status = document.getElementById('status');
  status.textContent = 'loading…';
  const started = performance.now();
  try {
    await fillChoices(filters);
    const [byModel, byUser, byWorkspace, byAgent, series, ready, meta, pricing, burnDowns] = await Promise.all([
      getJson('/v1/reports/model?' + query(filters, { limit: 1000 })),
      getJson('/v1/reports/user?' + query(filters, { limit: 10 })),
      getJson('/v1/reports/workspace?' + query(filters, { limit: 10 })),
      getJson('/v1/reports/agent?' + query(filters, { limit: 10 })),
      getJson('/v1/reports/timeseries?' + query(filters, { series: filters.stack })),
      getJson('/readyz').catch(() => null),
      getJson('/v1/meta').catch(() => null),
      // Reasons and flags are kept per event, not per user or model: asked for only without those filters.
      filters.user || filters.model ? Promise.resolve(null)
        : getJson('/v1/reports/pricing?' + query({ from: filters.from, to: filters.to, workspace: filters.workspace }))
          .catch(() => null),
      // Budgets follow the period, not the chosen dates; a key without reports:read on them sees none.
      getJson('/v1/reports/budgets').catch(() => null),
    ]);
    kpis(byModel);
    pricingQuality(pricing);
    costPerDay(series, filters);
    topBars('chart-model', byModel);
    topBars('chart-user', byUser);
    topBars('chart-workspace', byWorkspace);
    topBars('chart-agent', byAgent);
    tokenMix(byModel.lines);
    modelTable(byModel);
    health(ready, meta);
    budgetCards(burnDowns, filters);
    status.textContent = `answered from ${byModel.source} in ` +
      `${Math.round(performance.now() - started)} ms · ${filters.from} … ${filters.to} UTC`;
    document.body.dataset.rendered = 'true';
  } catch (e) {
    status.textContent = 'could not load the reports: ' + e.message;
    document.body.dataset.rendered = 'error';
  }
}

document.getElementById('filters').addEventListener('submit', event => {
  event.preventDefault();
  const data = new FormData(event.target);
  const p = new URLSearchParams();
  for (const [k, v] of data.entries()) if (v) p.set(k, v);
  history.pushState(null, '', '?' + p.toString());
  render();
});
window.addEventListener('popstate', render);
window.addEventListener('resize', () => Object.values(charts).forEach(c => c.resize()));
render();
