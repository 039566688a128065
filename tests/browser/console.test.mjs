// The web console in headless Chromium against a running local network (started, and the licence
// anchored, by node/tests/cluster/console_tests.rs, which runs this script twice):
//
//   node console.test.mjs active    # verify (verified), tampered answer (refused), explorer, …
//   node console.test.mjs revoked   # after the revocation: explorer history and verify show it
//
// Environment: YRD_RPC_URL (the node whose /console is opened), YRD_LICENCE_ID, YRD_SALT,
// YRD_ISSUER_USCC, YRD_COMMITMENT, YRD_TYPE, YRD_ISSUER_DID, YRD_GENESIS_FILE, YRD_OUTPUT_DIR
// (screenshots), CHROMIUM (default /usr/bin/chromium). Exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const phase = process.argv[2] || 'active';
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const RPC = env('YRD_RPC_URL').replace(/\/$/, '');
const LICENCE_ID = env('YRD_LICENCE_ID');
const SALT = env('YRD_SALT');
const ISSUER = env('YRD_ISSUER_USCC');
const COMMITMENT = env('YRD_COMMITMENT');
const TYPE = env('YRD_TYPE');
const ISSUER_DID = env('YRD_ISSUER_DID');
const GENESIS_FILE = env('YRD_GENESIS_FILE');
const CRYPTO_SUITE = env('YRD_CRYPTO_SUITE');
const OUT = resolve(env('YRD_OUTPUT_DIR'));
const TIMEOUT = 30_000;

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

mkdirSync(OUT, { recursive: true });
const screenshots = [];
async function shot(page, name) {
  const path = join(OUT, `${phase}-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  screenshots.push(path);
}

const profile = mkdtempSync(join(tmpdir(), 'yrd-console-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// Every request the page makes: none may carry the identifier or the salt, none may leave the node.
const requests = [];
context.on('request', (request) => requests.push({ url: request.url(), body: request.postData() || '' }));
const consoleErrors = [];

const page = context.pages()[0] || (await context.newPage());
try {
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (error) => { consoleErrors.push(String(error)); console.log(`page error: ${error}`); });
  page.on('console', (message) => { if (message.type() === 'error') console.log(`page console: ${message.text()}`); });
  const response = await page.goto(`${RPC}/console`);
  check(response.status() === 200, 'GET /console answers 200');
  const csp = response.headers()['content-security-policy'] || '';
  check(csp.startsWith("default-src 'self'") && csp.includes("'wasm-unsafe-eval'"),
    `the page's CSP is self-only with wasm-unsafe-eval (${csp})`);

  // Network tab: the node's status, live.
  await page.waitForFunction(() => document.querySelector('#net-facts dd') !== null);
  const facts = await page.textContent('#net-facts');
  check(/Head height/.test(facts) && /Round/.test(facts) && /Epoch/.test(facts), 'Network shows head height, round and epoch');
  const validators = await page.locator('#net-validators tbody tr').count();
  check(validators >= 4, `Network lists the validator set (${validators} rows)`);
  // Live: the heads subscription over the page's own WebSocket delivers new heads.
  await page.waitForFunction(() => document.getElementById('panel-network').dataset.live === 'true');
  const firstHeight = Number(await page.textContent('#net-facts dd:nth-of-type(3)'));
  await page.waitForFunction((h) => Number(document.querySelector('#net-facts dd:nth-of-type(3)').textContent) > h, firstHeight);
  check(true, `the head height moves live over the WebSocket subscription (from ${firstHeight})`);
  // The provinces: every row names one, and each other validator's reported round shows.
  await page.waitForFunction(() => [...document.querySelectorAll('#net-validators tbody tr')]
    .filter((row) => row.cells[2].textContent === 'validator')
    .every((row) => /^\d+$/.test(row.cells[4].textContent)));
  const provinceNames = await page.$$eval('#net-validators tbody tr td:first-child', (cells) => cells.map((c) => c.textContent));
  check(['Shanghai', 'Jiangsu', 'Zhejiang', 'Anhui'].every((p) => provinceNames.includes(p)),
    `the validator table names the four provinces (${provinceNames.join(', ')})`);
  await shot(page, 'network');

  // Keyboard: arrow keys move between tabs; the selected tab's panel is shown.
  await page.focus('#tab-network');
  await page.keyboard.press('ArrowRight');
  check(await page.getAttribute('#tab-explorer', 'aria-selected') === 'true', 'ArrowRight selects the Explorer tab');
  check(await page.isVisible('#panel-explorer') && !(await page.isVisible('#panel-network')), 'the Explorer panel shows alone');
  await page.keyboard.press('End');
  check(await page.getAttribute('#tab-resolve', 'aria-selected') === 'true', 'End selects the last tab');

  // Explorer: the licence by issuer and commitment.
  await page.click('#tab-explorer');
  await page.fill('#lic-issuer', ISSUER);
  await page.fill('#lic-commitment', COMMITMENT);
  await page.click('#form-licence button[type=submit]');
  if (phase === 'active') {
    await page.waitForSelector('#licence-out td.event-anchored');
    const text = await page.textContent('#licence-out');
    check(/active/.test(text) && !/revoked/.test(text), 'Explorer shows the licence active, history anchored');
  } else {
    await page.waitForSelector('#licence-out td.event-revoked');
    const text = await page.textContent('#licence-out');
    check(/revoked/.test(text) && /fraud/.test(text), 'Explorer shows the revocation (status revoked, event revoked, reason fraud)');
  }
  await shot(page, 'explorer-licence');

  if (phase === 'active') {
    // The licence type and the 4×4 recognition matrix: Jiangsu recognises Shanghai's licences.
    await page.click('#ex-types summary');
    await page.fill('#type-code', TYPE);
    await page.click('#form-type button[type=submit]');
    await page.waitForSelector('#type-out table.matrix');
    const jiangsuFromShanghai = await page.textContent('#type-out table.matrix tbody tr:nth-child(2) td:nth-of-type(1)');
    check(/active/.test(jiangsuFromShanghai), `policy matrix: Jiangsu recognises Shanghai (${jiangsuFromShanghai.trim()})`);
    const anhuiFromShanghai = await page.textContent('#type-out table.matrix tbody tr:nth-child(4) td:nth-of-type(1)');
    check(/no policy/.test(anhuiFromShanghai), 'policy matrix: Anhui has no policy');
    // Blocks: the latest ten, one opened, a transaction with its receipt.
    await page.click('#block-recent');
    await page.waitForSelector('#block-out table');
    await shot(page, 'explorer-types-blocks');
  }

  // Verify: the identifier and salt stay in the page; the answer is checked by the WASM verifier.
  await page.click('#tab-verify');
  await page.waitForFunction(() => document.querySelector('#g-hash').textContent.length === 64);
  check((await page.textContent('#g-chain')).includes(CRYPTO_SUITE), `the page names the chain's suite, ${CRYPTO_SUITE}`);
  await page.fill('#v-id', LICENCE_ID);
  await page.fill('#v-salt', SALT);
  await page.selectOption('#v-region', '320000');
  await page.click('#v-submit');
  await page.waitForSelector('#verdict');
  check(await page.getAttribute('#verdict', 'data-verified') === 'true', 'the honest answer verifies in the browser');
  const verdict = await page.textContent('#verdict');
  check(verdict.includes('Verified against the genesis file'), 'the page says "Verified against the genesis file"');
  check(await page.textContent('#derived-commitment') === COMMITMENT, 'the page derives the same commitment as yrd tx commitment');
  if (phase === 'active') {
    check(/Status: active/.test(verdict) && /recognised in/.test(verdict), 'verdict: active, recognised in Jiangsu');
  } else {
    check(/Status: revoked/.test(verdict) && /licence not valid/.test(verdict), 'verdict: revoked, not valid');
  }
  await shot(page, 'verify-verified');

  if (phase === 'active') {
    // The same in Chinese.
    await page.click('#lang-toggle');
    check(await page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'the toggle switches to Chinese');
    await page.click('#v-submit');
    await page.waitForFunction(() => (document.querySelector('#verdict') || {}).textContent?.includes('已依据创世文件校验通过'));
    await shot(page, 'verify-verified-zh');
    await page.click('#lang-toggle');

    // A node serving a tampered answer: one byte of the commit certificate flipped in transit.
    await page.route(`${RPC}/`, async (route) => {
      const request = route.request();
      if (request.method() !== 'POST' || !(request.postData() || '').includes('licence_verify')) return route.continue();
      const real = await route.fetch();
      const body = await real.json();
      const cert = body.result.proof.certificate;
      const at = cert.length - 2;
      const flipped = (parseInt(cert.slice(at), 16) ^ 0x01).toString(16).padStart(2, '0');
      body.result.proof.certificate = cert.slice(0, at) + flipped;
      return route.fulfill({ response: real, json: body });
    });
    await page.click('#v-submit');
    await page.waitForFunction(() => document.querySelector('#verdict')?.dataset.verified === 'false');
    const failed = await page.textContent('#failed-check');
    check(failed.length > 0, `the tampered answer is refused by the WASM check (failed check: ${failed})`);
    check((await page.textContent('#verdict')).includes('NOT verified'), 'the page says NOT verified');
    await shot(page, 'verify-tampered');
    await page.unroute(`${RPC}/`);

    // Own genesis file, pinned: a wrong pin stops the check; the right one passes.
    const genesisText = readFileSync(GENESIS_FILE, 'utf8');
    await page.check('#g-own');
    await page.fill('#g-text', genesisText);
    await page.fill('#g-pin', '00'.repeat(32));
    await page.click('#v-submit');
    await page.waitForSelector('#verify-out [role=alert]');
    check(/differs from the pinned one/.test(await page.textContent('#verify-out')), 'a wrong pinned hash stops the check');
    const hash = await page.textContent('#g-hash');
    await page.fill('#g-pin', hash);
    await page.click('#v-submit');
    await page.waitForFunction(() => document.querySelector('#verdict')?.dataset.verified === 'true');
    check(true, 'the own genesis file, pinned, verifies the answer');

    // Resolve: the issuer's DID, its answer verified too.
    await page.click('#tab-resolve');
    await page.fill('#r-did', ISSUER_DID);
    await page.click('#form-resolve button[type=submit]');
    await page.waitForSelector('#resolve-checked');
    check(/verified against the genesis file/.test(await page.textContent('#resolve-checked')), 'the DID resolution answer verifies');
    check((await page.textContent('#resolve-out')).includes(ISSUER_DID), 'the DID document is shown');
    await shot(page, 'resolve');
  }

  // Privacy and origin: nothing but this node was asked, and never with the identifier or salt.
  const origin = new URL(RPC).origin;
  const offOrigin = requests.filter((r) => new URL(r.url).origin !== origin);
  check(offOrigin.length === 0, `every request went to the node itself (${requests.length} requests)`);
  const secrets = [LICENCE_ID, SALT, SALT.toUpperCase(), encodeURIComponent(LICENCE_ID)];
  const leaks = requests.filter((r) => secrets.some((s) => r.url.includes(s) || r.body.includes(s)));
  check(leaks.length === 0, 'no request URL or body carries the licence identifier or the salt');
  check(requests.some((r) => r.body.includes(COMMITMENT)), 'the node was asked by commitment');
  check(consoleErrors.length === 0, `no uncaught page errors (${consoleErrors.join('; ')})`);
} catch (error) {
  // What the page showed when a check failed.
  console.log(`page text at the failure:\n${await page.innerText('main').catch(() => '(none)')}`);
  await shot(page, 'failure').catch(() => {});
  throw error;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  for (const path of screenshots) console.log(`screenshot: ${path}`);
}
