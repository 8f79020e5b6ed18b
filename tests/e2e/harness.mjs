// Minimal harness for the browser tests: a static server for the built app on 127.0.0.1, headless
// Debian chromium through playwright-core, and a "N passed, N failed" line CI can count.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};

export async function serveDir(root) {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      let path = normalize(join(root, decodeURIComponent(url.pathname)));
      if (!path.startsWith(normalize(root))) { res.writeHead(403).end(); return; }
      if ((await stat(path).catch(() => null))?.isDirectory()) path = join(path, 'index.html');
      const body = await readFile(path);
      res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/// Opens the app in a fresh context and page and records everything that could be a leak or a
/// crash: requests to another origin (from the page or its worker), console errors, page
/// errors, and answers that were not 200 (a 404 for a missing favicon counts).
export async function openApp(browser, url, { viewport = { width: 1280, height: 800 }, fragment = '' } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const origin = new URL(url).origin;
  const observed = { requests: [], foreignRequests: [], consoleErrors: [], pageErrors: [], failedResponses: [] };
  context.on('request', (request) => {
    observed.requests.push(request.url());
    const target = new URL(request.url());
    if (target.protocol !== 'data:' && target.protocol !== 'blob:' && target.origin !== origin) {
      observed.foreignRequests.push(request.url());
    }
  });
  context.on('response', (response) => {
    if (response.status() >= 400) observed.failedResponses.push(`${response.status()} ${response.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') observed.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => observed.pageErrors.push(String(error)));
  page.on('worker', (worker) => worker.on('console', (message) => {
    if (message.type() === 'error') observed.consoleErrors.push(`worker: ${message.text()}`);
  }));
  await page.goto(url + fragment);
  const close = () => context.close();
  return { page, observed, close };
}

/// Everything that must be empty after any test: no leak, no crash, no error, no 404.
export function assertClean(observed) {
  assertEqual(observed.foreignRequests.length, 0, `requests left the page's origin: ${observed.foreignRequests}`);
  assertEqual(observed.pageErrors.length, 0, `page errors: ${observed.pageErrors}`);
  assertEqual(observed.consoleErrors.length, 0, `console errors: ${observed.consoleErrors}`);
  assertEqual(observed.failedResponses.length, 0, `failed responses: ${observed.failedResponses}`);
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

export function assertEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export async function runTests(tests, only = process.env.E2E_ONLY) {
  let passed = 0;
  let failed = 0;
  for (const [name, test] of tests) {
    if (only && !name.includes(only)) continue;
    const started = Date.now();
    try {
      await test();
      passed += 1;
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed += 1;
      console.log(`FAIL ${name}: ${error.stack ?? error}`);
    }
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  return failed;
}
