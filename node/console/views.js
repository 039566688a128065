// DOM helpers: every value from the node is inserted as text, never as HTML.
import { t } from './i18n.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'i18n') { el.dataset.i18n = value; el.textContent = t(value); }
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// A label element that follows the language toggle.
export function L(key) { return h('span', { i18n: key }); }

export function fmtTime(ms) {
  if (typeof ms !== 'number') return '—';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function fmt(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return h('span', { i18n: value ? 'yes' : 'no' });
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// A two-column table of label keys and values.
export function facts(rows) {
  return h('dl', { class: 'facts' }, rows.map(([key, value]) => [h('dt', { i18n: key }), h('dd', {}, fmt(value))]));
}

export function table(headKeys, rows) {
  return h('table', {},
    h('thead', {}, h('tr', {}, headKeys.map((key) => h('th', { i18n: key })))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) =>
      cell instanceof Node ? (cell.tagName === 'TD' ? cell : h('td', {}, cell)) : h('td', {}, fmt(cell)))))));
}

export function pre(value) { return h('pre', {}, JSON.stringify(value, null, 2)); }

export function errorBox(error) {
  const parts = [h('strong', { i18n: 'error' }), ': ', error.message || String(error)];
  if (error.code !== undefined) parts.push(` (${error.code})`);
  if (error.data && error.data.name) parts.push(` ${error.data.name}`);
  return h('p', { class: 'error', role: 'alert' }, parts);
}

export function show(id, ...nodes) {
  const out = document.getElementById(id);
  out.replaceChildren(...nodes);
  return out;
}

export const PROVINCES = [310000, 320000, 330000, 340000];

export function provinceName(code) {
  return PROVINCES.includes(code) ? h('span', { i18n: `p${code}` }) : String(code);
}
