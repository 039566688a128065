// The console: tabs, the node's status, the explorer, in-browser verification, DID resolution.
import { applyLabels, t, toggleLang } from './i18n.js';
import { call, callRaw } from './rpc.js';
import { L, PROVINCES, errorBox, facts, fmt, fmtTime, h, pre, provinceName, show, table } from './views.js';
import init, { genesisInfo, licenceCommitment, verifyAnswer, verifyLicenceAnswer } from './pkg/yrd_verifier.js';

const verifier = init().then(() => true, (error) => { console.error(error); return false; });

// ---- tabs (WAI-ARIA tabs: arrow keys move between tabs, Tab enters the panel) ----
const tabs = [...document.querySelectorAll('[role=tab]')];
function selectTab(tab, focus = true) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
    document.getElementById(other.getAttribute('aria-controls')).hidden = !selected;
  }
  if (focus) tab.focus();
  history.replaceState(null, '', `#${tab.id.replace('tab-', '')}`);
}
for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (event) => {
    const i = tabs.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    selectTab(tabs[(next + tabs.length) % tabs.length]);
  });
}
const initial = tabs.find((tab) => `#${tab.id.replace('tab-', '')}` === location.hash);
if (initial) selectTab(initial, false);

document.getElementById('lang-toggle').addEventListener('click', toggleLang);
applyLabels();

// ---- network ----
// The node's status and its peers are polled; new heads arrive over a WebSocket subscription
// (`chain_subscribeHeads`, same origin) as soon as the node commits them. If the socket cannot
// open or closes, polling alone keeps the view current and the socket is tried again later.
let lastStatus = null;
let liveHead = null;

function newestHead() {
  const polled = lastStatus && lastStatus.head;
  if (!liveHead) return polled;
  if (!polled) return liveHead;
  return liveHead.height >= polled.height ? liveHead : polled;
}

function renderFacts() {
  if (!lastStatus) return;
  const status = lastStatus;
  const head = newestHead();
  document.getElementById('chain-id').textContent = status.chainId;
  show('net-facts', ...facts([
    ['chainId', status.chainId], ['nodeRole', status.role], ['headHeight', head.height], ['round', head.round],
    ['epoch', head.epoch], ['lastCommit', fmtTime(head.blockTimeMs)], ['headBlock', head.blockId],
    ['stateRoot', head.stateRoot], ['peers', status.peerCount], ['syncing', status.syncing],
    ['mempool', `${status.mempoolTxs} tx / ${status.mempoolBytes} B`], ['version', status.version],
  ]).childNodes);
}

function heardAgo(ms) {
  if (typeof ms !== 'number') return '—';
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return h('span', {}, `${seconds} `, L('secondsAgo'));
}

function provinceCell(code) {
  return typeof code === 'number' ? provinceName(code) : L('unknownProvince');
}

// One row per member, this node included, ordered by province then key.
function memberRows(status, peers) {
  const head = newestHead();
  const me = { nodeKey: status.nodeKey, validator: status.role === 'validator', province: status.province,
    self: true, reported: { round: head.round, height: head.height } };
  const members = [me, ...peers];
  members.sort((a, b) => (a.province ?? 1e9) - (b.province ?? 1e9) || String(a.nodeKey).localeCompare(String(b.nodeKey)));
  return members.map((m) => h('tr', { class: m.self ? 'self' : undefined },
    h('td', {}, provinceCell(m.province)),
    h('td', { class: 'mono' }, m.nodeKey),
    h('td', {}, L(m.validator ? 'validator' : 'observer')),
    h('td', {}, m.self ? L('thisNode') : fmt(m.connected)),
    h('td', {}, fmt(m.reported ? m.reported.round : null)),
    h('td', {}, fmt(m.reported ? m.reported.height : null)),
    h('td', {}, m.self ? '—' : heardAgo(m.reported && m.reported.atMs)),
    h('td', {}, m.self ? '—' : (m.address || '—'))));
}

async function refreshNetwork() {
  try {
    const [status, peers] = await Promise.all([call('node_getStatus'), call('net_getPeers')]);
    lastStatus = status;
    renderFacts();
    document.querySelector('#net-validators tbody').replaceChildren(...memberRows(status, peers));
    show('net-updated', L('updated'), ' ', new Date().toLocaleTimeString());
    show('net-error');
  } catch (error) {
    show('net-error', errorBox(error));
  }
}

function setLive(live) {
  const label = document.getElementById('net-live');
  label.dataset.i18n = live ? 'networkLive' : 'networkPolling';
  label.textContent = t(label.dataset.i18n);
  document.getElementById('panel-network').dataset.live = String(live);
}

function subscribeHeads() {
  let socket;
  try {
    socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}:${'//'}${location.host}/`);
  } catch (_) {
    setTimeout(subscribeHeads, 10000);
    return;
  }
  socket.addEventListener('open', () => {
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_subscribeHeads', params: [] }));
  });
  socket.addEventListener('message', (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (_) { return; }
    if (message.id === 1 && message.result !== undefined) setLive(true);
    if (message.method === 'chain_heads' && message.params && message.params.result) {
      liveHead = message.params.result;
      setLive(true);
      if (!document.getElementById('panel-network').hidden) renderFacts();
    }
  });
  socket.addEventListener('close', () => {
    setLive(false);
    setTimeout(subscribeHeads, 10000);
  });
}

refreshNetwork();
subscribeHeads();
setInterval(() => { if (!document.getElementById('panel-network').hidden) refreshNetwork(); }, 2000);

// ---- explorer ----
function onSubmit(id, handler) {
  document.getElementById(id).addEventListener('submit', async (event) => {
    event.preventDefault();
    try { await handler(); } catch (error) { show(handler.out, errorBox(error)); }
  });
}
function value(id) { return document.getElementById(id).value.trim(); }

function receipt(r) {
  if (!r) return '—';
  return h('span', { class: r.code === 0 ? 'yes' : 'no' }, `${r.code} ${r.name}${r.message ? `: ${r.message}` : ''}`);
}

function txLink(hash) {
  return h('button', { type: 'button', class: 'link', onclick: () => showTx(hash) }, hash);
}

async function showBlock(ref) {
  const block = await call('chain_getBlock', [ref]);
  show('block-out', h('h4', {}, L('height'), ` ${block.head.height}`), facts([
    ['blockId', block.head.blockId], ['time', fmtTime(block.head.blockTimeMs)], ['epoch', block.head.epoch],
    ['round', block.head.round], ['proposer', block.proposer], ['stateRoot', block.head.stateRoot],
    ['certificate', block.commitCertificate ? `${block.commitCertificate.signerCount} ${t('signers')}` : t('none')],
  ]), h('h4', { i18n: 'txs' }), block.txHashes.length ? h('ul', {}, block.txHashes.map((x) => h('li', {}, txLink(x)))) : L('none'));
}
showBlock.out = 'block-out';

async function showTx(hash) {
  const [tx, status] = await Promise.all([call('chain_getTx', [hash]).catch(() => null), call('tx_getStatus', [hash])]);
  const rows = [['txHash', hash], ['txStatus', status.status]];
  if (tx) {
    rows.push(['height', tx.height], ['index', tx.index], ['kind', tx.kind], ['signer', tx.signer], ['nonce', tx.nonce]);
  }
  const out = [h('h4', { i18n: 'txHash' }), facts(rows), h('p', {}, L('receipt'), ': ', receipt((tx || status).receipt))];
  if (tx && tx.payloadWithheld) out.push(h('p', { class: 'hint', i18n: 'withheld' }));
  show('block-out', ...out);
}

async function recentBlocks() {
  const head = await call('chain_getHead');
  const heights = [];
  for (let height = head.height; height >= 0 && heights.length < 10; height -= 1) heights.push(height);
  const blocks = await Promise.all(heights.map((height) => call('chain_getBlock', [height]).catch(() => null)));
  show('block-out', table(['height', 'time', 'txs', 'blockId'], blocks.filter(Boolean).map((b) => [
    h('td', {}, h('button', { type: 'button', onclick: () => showBlock(b.head.height).catch((e) => show('block-out', errorBox(e))) }, String(b.head.height))),
    fmtTime(b.head.blockTimeMs), b.txHashes.length, h('td', { class: 'mono' }, b.head.blockId)])));
}
document.getElementById('block-recent').addEventListener('click', () => recentBlocks().catch((e) => show('block-out', errorBox(e))));
const blockHandler = async () => {
  const ref = value('block-ref');
  await showBlock(/^\d+$/.test(ref) ? Number(ref) : ref);
};
blockHandler.out = 'block-out';
onSubmit('form-block', blockHandler);
const txHandler = async () => showTx(value('tx-hash'));
txHandler.out = 'block-out';
onSubmit('form-tx', txHandler);

function issuerLine(i) {
  return [i.uscc, i.did, i.province, i.status || 'not accredited', i.key].filter((x) => x !== undefined && x !== null).join(' · ');
}

async function showLicence(issuer, commitment) {
  const licence = await call('licence_get', { issuer, commitment });
  const out = [h('h4', { i18n: 'licence' }), facts([
    ['commitment', licence.commitment], ['status', licence.status], ['valid', licence.valid], ['disclosure', licence.disclosure],
    ['licenceType', licence.details && licence.details.licenceType], ['dataClass', licence.details && licence.details.dataClass],
    ['validFrom', licence.details && fmtTime(licence.details.validFromMs)], ['validUntil', licence.details && fmtTime(licence.details.validUntilMs)],
    ['anchoredHeight', licence.details && licence.details.anchoredHeight], ['issuer', licence.details && issuerLine(licence.details.issuer)],
  ])];
  try {
    const events = await call('licence_getHistory', { issuer, commitment });
    out.push(h('h4', { i18n: 'history' }), table(['seq', 'kind', 'reason', 'height', 'time', 'txHash'], events.map((e) => [
      e.seq, h('td', { class: `event-${e.kind}` }, e.kind), e.reason, e.height, fmtTime(e.blockTimeMs), h('td', { class: 'mono' }, txLink(e.txHash))])));
  } catch (error) {
    out.push(h('h4', { i18n: 'history' }), errorBox(error));
  }
  show('licence-out', ...out);
}
const licenceHandler = async () => showLicence(value('lic-issuer'), value('lic-commitment'));
licenceHandler.out = 'licence-out';
onSubmit('form-licence', licenceHandler);

const issuerHandler = async () => {
  const issuer = await call('issuer_get', [value('issuer-key')]);
  show('issuer-out', facts([
    ['issuerKey', issuer.key], ['DID', issuer.did], ['province', issuer.province], ['status', `${issuer.status} (${issuer.reason})`],
    ['accreditedTypes', issuer.licenceTypes.join(', ')], ['accreditedHeight', issuer.accreditedHeight], ['updatedHeight', issuer.updatedHeight],
  ]));
};
issuerHandler.out = 'issuer-out';
onSubmit('form-issuer', issuerHandler);

async function policyCell(recognising, issuing, code) {
  if (recognising === issuing) return h('td', { class: 'home', i18n: 'home' });
  try {
    const policy = await call('policy_get', [recognising, issuing, code]);
    const cond = policy.condition ? ` (${t('condition')}: ${JSON.stringify(policy.condition)})` : '';
    return h('td', { class: policy.active ? 'yes' : 'no' }, L(policy.active ? 'active' : 'withdrawn'), ` r${policy.revision}${cond}`);
  } catch (error) {
    if (error.code === -33001) return h('td', { class: 'no', i18n: 'noPolicy' });
    return h('td', { class: 'error' }, error.message);
  }
}

const typeHandler = async () => {
  const code = value('type-code');
  const type = await call('licenceType_get', [code]);
  const rows = await Promise.all(PROVINCES.map(async (recognising) => h('tr', {}, h('th', { scope: 'row' }, provinceName(recognising)),
    await Promise.all(PROVINCES.map((issuing) => policyCell(recognising, issuing, code))))));
  show('type-out', facts([
    ['code', type.code], ['name', type.name], ['dataClass', type.dataClass], ['owner', type.owner],
    ['schemaDigest', type.schemaDigest], ['updatedHeight', type.updatedHeight],
  ]), h('h4', { i18n: 'policyMatrix' }), h('table', { class: 'matrix' },
    h('thead', {}, h('tr', {}, h('th', { i18n: 'recognising' }), PROVINCES.map((p) => h('th', { scope: 'col' }, provinceName(p))))),
    h('tbody', {}, rows)));
};
typeHandler.out = 'type-out';
onSubmit('form-type', typeHandler);

const didHistoryHandler = async () => {
  const did = value('did-history-did');
  const history = await call('did_getHistory', [did]);
  show('did-history-out', facts([['latestVersion', history.latestVersion]]), table(['version', 'created', 'updated2', 'deactivated'],
    history.versions.map((v) => [v.didDocumentMetadata.versionId, v.didDocumentMetadata.created, v.didDocumentMetadata.updated,
      v.didDocumentMetadata.deactivated])));
};
didHistoryHandler.out = 'did-history-out';
onSubmit('form-did-history', didHistoryHandler);

// ---- genesis (for verification) ----
let genesis = null; // { text, info }
const genesisSource = () => document.querySelector('input[name=genesis-source]:checked').value;
function setGenesis(text) {
  genesis = null;
  document.getElementById('g-hash').textContent = '—';
  document.getElementById('g-chain').textContent = '';
  if (!text) return;
  const info = JSON.parse(genesisInfo(text));
  if (!info.ok) {
    document.getElementById('g-chain').textContent = `${info.check}: ${info.error}`;
    return;
  }
  genesis = { text, info };
  document.getElementById('g-hash').textContent = info.genesisHash;
  document.getElementById('g-chain').textContent = `(${info.chainId}, ${info.cryptoSuite})`;
}
async function loadGenesis() {
  await verifier;
  if (genesisSource() === 'node') {
    const response = await fetch('/console/genesis.json', { cache: 'no-store' });
    setGenesis(response.ok ? await response.text() : '');
  } else {
    setGenesis(document.getElementById('g-text').value.trim());
  }
}
for (const radio of document.querySelectorAll('input[name=genesis-source]')) {
  radio.addEventListener('change', () => {
    document.getElementById('g-own-inputs').hidden = genesisSource() !== 'own';
    loadGenesis().catch(() => setGenesis(''));
  });
}
document.getElementById('g-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  document.getElementById('g-text').value = await file.text();
  loadGenesis().catch(() => setGenesis(''));
});
document.getElementById('g-text').addEventListener('input', () => loadGenesis().catch(() => setGenesis('')));
loadGenesis().catch(() => setGenesis(''));

function genesisReady() {
  if (!genesis) return [false, h('p', { class: 'error', role: 'alert', i18n: 'noGenesis' })];
  const pin = value('g-pin').toLowerCase();
  if (pin && pin !== genesis.info.genesisHash) return [false, h('p', { class: 'error', role: 'alert', i18n: 'pinMismatch' })];
  return [true, null];
}

function verdictBox(result) {
  if (!result.verified) {
    return h('div', { class: 'verdict bad', id: 'verdict', 'data-verified': 'false', role: 'alert' },
      h('strong', { i18n: 'notVerified' }), h('p', {}, L('failedCheck'), ': ', h('code', { id: 'failed-check' }, result.check)),
      h('p', {}, result.error));
  }
  const lines = [h('li', {}, L('provenAt'), ` ${result.version} (block ${result.blockId.slice(0, 16)}…, ${t('epoch')} ${result.epoch}, ${fmtTime(result.headerTimeMs)})`)];
  const v = result.value;
  if (result.method === 'licence_verify' && v) {
    if (v.disclosure === 'notFound') lines.push(h('li', { i18n: 'neverAnchored' }));
    else {
      lines.push(h('li', {}, L('status'), ': ', v.status ? L(`st_${v.status}`) : '—', '; ', L(v.valid ? 'licenceValid' : 'licenceNotValid')));
      if (v.recognition) {
        lines.push(h('li', {}, L(v.recognition.recognised ? 'recognisedIn' : 'notRecognisedIn'), ' ', provinceName(v.recognition.region),
          ' (', L(`b_${v.recognition.basis}`), ')'));
      }
    }
  }
  return h('div', { class: 'verdict ok', id: 'verdict', 'data-verified': 'true', role: 'status' },
    h('strong', { i18n: 'verified' }), ` (${result.chainId}, ${t('genesisHash')} ${result.genesisHash.slice(0, 16)}…)`,
    h('ul', {}, lines), h('h4', {}, L('summary'), ' ', h('small', { i18n: 'summaryNote' })), h('ul', {}, result.summary.map((line) => h('li', {}, line))));
}

// ---- verify ----
document.getElementById('form-verify').addEventListener('submit', async (event) => {
  event.preventDefault();
  const out = [];
  try {
    if (!(await verifier)) throw new Error('the WebAssembly verifier did not load');
    await loadGenesis();
    const [ready, why] = genesisReady();
    if (!ready) { show('verify-out', why); return; }
    // Derived here: the identifier and the salt never leave the page.
    const derived = JSON.parse(licenceCommitment(document.getElementById('v-id').value, document.getElementById('v-salt').value));
    if (!derived.ok) { show('verify-out', h('p', { class: 'error', role: 'alert' }, `${derived.check}: ${derived.error}`)); return; }
    const region = Number(document.getElementById('v-region').value);
    out.push(h('p', {}, L('derived'), ': ', h('code', { id: 'derived-commitment' }, derived.commitment), ` (${t('issuer')} ${derived.issuer})`));
    show('verify-out', ...out, h('p', { i18n: 'asking' }));
    const raw = await callRaw('licence_verify', { issuer: derived.issuer, commitment: derived.commitment, region, proof: true });
    const result = JSON.parse(verifyLicenceAnswer(genesis.text, raw, derived.issuer, derived.commitment, region));
    out.push(verdictBox(result));
    let parsed = null;
    try { parsed = JSON.parse(raw); } catch (_) { /* shown raw below */ }
    out.push(h('details', {}, h('summary', { i18n: 'answerRaw' }), parsed ? pre(parsed) : h('pre', {}, raw)));
    show('verify-out', ...out);
  } catch (error) {
    show('verify-out', ...out, errorBox(error));
  }
});

// ---- resolve ----
document.getElementById('form-resolve').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const did = value('r-did');
    const version = value('r-version');
    const params = { did, proof: true };
    if (version) params.versionId = Number(version);
    const raw = await callRaw('did_resolve', params);
    const body = JSON.parse(raw);
    if (body.error) throw Object.assign(new Error(body.error.message), body.error);
    const resolution = body.result.value;
    const out = [];
    await loadGenesis().catch(() => {});
    if (genesis && (await verifier)) {
      const result = JSON.parse(verifyAnswer(genesis.text, raw));
      out.push(h('p', { class: result.verified ? 'yes' : 'error', id: 'resolve-checked' }, L(result.verified ? 'proofChecked' : 'proofNotChecked'),
        result.verified ? ` (${t('genesisHash')} ${genesis.info.genesisHash.slice(0, 16)}…)` : `: ${result.check}: ${result.error}`));
    }
    if (!resolution) out.push(h('p', { class: 'error', i18n: 'notFound' }));
    else {
      out.push(h('h3', { i18n: 'didDocument' }), pre(resolution.didDocument), h('h3', { i18n: 'didMetadata' }),
        pre(resolution.didDocumentMetadata), h('h3', { i18n: 'resolutionMetadata' }), pre(resolution.didResolutionMetadata));
    }
    show('resolve-out', ...out);
  } catch (error) {
    show('resolve-out', errorBox(error));
  }
});
