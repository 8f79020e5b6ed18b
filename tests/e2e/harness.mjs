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

/// Opens the app in a fresh page and records everything that could be a leak or a crash.
export async function openApp(browser, url) {
  const page = await browser.newPage();
  const observed = { foreignRequests: [], consoleErrors: [], pageErrors: [] };
  page.on('request', (request) => {
    const target = new URL(request.url());
    if (!['127.0.0.1', 'localhost'].includes(target.hostname) && target.protocol !== 'data:' && target.protocol !== 'blob:') {
      observed.foreignRequests.push(request.url());
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('favicon')) observed.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => observed.pageErrors.push(String(error)));
  await page.goto(url);
  return { page, observed };
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

export function assertEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export async function runTests(tests) {
  let passed = 0;
  let failed = 0;
  for (const [name, test] of tests) {
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
