// Logs into Cockpit and Tasklist with headless Chromium and takes two screenshots:
//   OUTDIR/cockpit.png              Cockpit, Processes -> "Storage migration" (the diagram)
//   OUTDIR/tasklist-start-form.png  Tasklist, Start process -> "Storage migration" (the start form)
//
//   node cockpit-check.mjs BASE_URL USER PASSWORD OUTDIR
//
// Exits 0 when every page and element was found, 1 (naming the step) otherwise, 2 on bad usage.
// Uses the system's Chromium (CHROMIUM, default /usr/bin/chromium): playwright-core downloads no
// browser. CHECK_TIMEOUT_MS bounds each wait (default 60000); on
// failure the page as it was is saved as OUTDIR/failure.png. run.sh beside this file installs
// what is missing and then runs this script.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [baseUrl, user, password, outDir] = process.argv.slice(2);
if (!baseUrl || !user || !password || !outDir) {
  console.error('usage: node cockpit-check.mjs BASE_URL USER PASSWORD OUTDIR');
  process.exit(2);
}
const base = baseUrl.replace(/\/+$/, '');
const PROCESS_NAME = 'Storage migration';
const TIMEOUT = Number(process.env.CHECK_TIMEOUT_MS || 60_000);

let step = 'start';
const problems = [];
const pending = new Set();
let moduleTimeout = false;
function log(message) {
  step = message;
  console.log(`cockpit-check: ${message}`);
}

// Opens a web app and logs in if it asks (the apps share one session below /camunda). The apps
// load their plugins with RequireJS, which gives up on a module after a few seconds; on a busy
// machine the server's first answer can take longer, so such a page is loaded again (3 tries).
async function openApp(page, url) {
  for (let attempt = 1; ; attempt++) {
    moduleTimeout = false;
    await page.goto(url);
    const state = await appState(page);
    if (state === 'login') {
      log(`log in as ${user}`);
      const username = page.getByPlaceholder('Username');
      await username.fill(user);
      await page.getByPlaceholder('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await username.waitFor({ state: 'detached', timeout: TIMEOUT });
      return;
    }
    if (state === 'in') {
      return;
    }
    if (attempt === 3) {
      throw new Error('the app did not load its modules in 3 tries');
    }
    console.log(`cockpit-check: the app did not load its modules; loading it again (try ${attempt + 1})`);
  }
}

// 'login' (the login form shows), 'in' (the header's logged-in part shows) or 'reload'.
async function appState(page) {
  const deadline = Date.now() + TIMEOUT;
  while (Date.now() < deadline) {
    const state = await page.evaluate(() => {
      const visible = (selector) => [...document.querySelectorAll(selector)].some((e) => e.checkVisibility());
      return visible('input[placeholder="Username"]') ? 'login' : visible('[cam-if-logged-in]') ? 'in' : null;
    }).catch(() => null); // the page may be navigating
    if (state) {
      return state;
    }
    if (moduleTimeout) {
      return 'reload';
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`neither the login form nor a logged-in page within ${TIMEOUT} ms`);
}

// Waits until the app has loaded what it shows: no request in flight, no "Loading..." left.
async function settle(page) {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => ![...document.querySelectorAll('body *')].some((e) =>
    e.children.length === 0 && /loading/i.test(e.textContent || '') && e.checkVisibility()), null,
  { timeout: TIMEOUT });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // no sandbox: the tests run as root; the rest keeps Chromium quiet and offline
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  mkdirSync(outDir, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1440, height: 1050 } });
  page.setDefaultTimeout(TIMEOUT);
  // what went wrong in the page, printed if a step fails
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => {
    problems.push(`page error: ${e.message}`);
    moduleTimeout ||= e.message.includes('Load timeout for modules');
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', (r) => pending.add(r.url()));
  page.on('requestfinished', (r) => pending.delete(r.url()));
  page.on('requestfailed', (r) => pending.delete(r.url()));

  log('open Cockpit');
  await openApp(page, `${base}/camunda/app/cockpit/default/`);

  log('open Processes');
  await page.locator('.Header').getByRole('link', { name: 'Processes', exact: true }).click();
  await page.waitForURL(/#\/processes/);

  log(`find "${PROCESS_NAME}" among the processes`);
  await page.getByRole('link', { name: PROCESS_NAME, exact: true }).first().click();
  await page.waitForURL(/#\/process-definition\//);
  log('wait for the diagram');
  // bpmn-js draws the process into .djs-container; the task labels are SVG text
  await page.locator('.djs-container').first().waitFor();
  await page.locator('.djs-container text', { hasText: 'Mirror disks' }).first().waitFor();
  await page.getByText(PROCESS_NAME).first().waitFor();
  await settle(page);
  await page.screenshot({ path: join(outDir, 'cockpit.png') });
  log(`saved ${join(outDir, 'cockpit.png')}`);

  log('open Tasklist');
  await openApp(page, `${base}/camunda/app/tasklist/default/`);

  log('open "Start process"');
  await page.getByRole('link', { name: /Start process/ }).or(page.getByRole('button', { name: /Start process/ }))
    .first().click();
  const dialog = page.locator('.modal-dialog, .modal-content').first();
  await dialog.waitFor();
  log(`choose "${PROCESS_NAME}"`);
  await dialog.getByText(PROCESS_NAME, { exact: true }).first().click();
  log('wait for the start form');
  // a Camunda Form (form-js): its fields have labels; "domain" and "destinationHost" are the required ones
  await dialog.locator('.fjs-container').waitFor();
  for (const label of ['Domain', 'Destination host']) {
    await dialog.locator('label.fjs-form-field-label', { hasText: label }).first().waitFor();
  }
  const fields = await dialog.locator('label.fjs-form-field-label').allInnerTexts();
  console.log(`cockpit-check: start form fields: ${fields.map((f) => f.replace('*', '').trim()).join(' | ')}`);
  await settle(page);
  await page.screenshot({ path: join(outDir, 'tasklist-start-form.png') });
  log(`saved ${join(outDir, 'tasklist-start-form.png')}`);
  console.log('cockpit-check: OK');
} catch (e) {
  console.error(`cockpit-check: FAILED at "${step}": ${e.message}`);
  for (const p of problems.slice(-20)) console.error(`  ${p}`);
  for (const url of pending) console.error(`  still loading: ${url}`);
  process.exitCode = 1;
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      await page.screenshot({ path: join(outDir, 'failure.png') }).catch(() => {});
    }
  }
} finally {
  await browser.close();
}
