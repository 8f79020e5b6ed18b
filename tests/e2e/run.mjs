// Browser tests of the built web app: `node tests/e2e/run.mjs <dist dir>`.
// Run by `cargo xtask ci` after `trunk build`; each test loads the app in headless chromium.
import { resolve } from 'node:path';
import { assert, assertEqual, launchBrowser, openApp, runTests, serveDir } from './harness.mjs';

const dist = resolve(process.argv[2] ?? 'dist');
const { server, url } = await serveDir(dist);
const browser = await launchBrowser();

const tests = [
  ['the wasm app renders (Yew-rendered title and privacy note; the HTML body is empty)', async () => {
    const { page, observed } = await openApp(browser, url);
    await page.waitForSelector('#title', { timeout: 15000 });
    assertEqual(await page.textContent('#title'), 'regauth', 'title');
    assert((await page.textContent('#privacy-note')).includes('Nothing leaves your browser'), 'privacy note missing');
    assertEqual(await page.textContent('#result'), 'No capture loaded yet.', 'initial result');
    assertEqual(observed.pageErrors.length, 0, `page errors ${observed.pageErrors}`);
    await page.close();
  }],
  ['a file chosen with the picker is summarised by the core (name, size, format)', async () => {
    const { page, observed } = await openApp(browser, url);
    await page.waitForSelector('#picker');
    const har = Buffer.from('{"log":{"version":"1.2","entries":[]},"note":"h\u00e9llo"}');
    await page.setInputFiles('#picker', { name: 'session.har', mimeType: 'application/json', buffer: har });
    await page.waitForFunction(() => document.querySelector('#result').textContent.startsWith('session.har'));
    // Byte length, not character count: the é is two bytes.
    assertEqual(await page.textContent('#result'), `session.har: ${har.length} bytes (${har.length} B), HAR`, 'result');
    assertEqual(observed.foreignRequests.length, 0, `requests left the page: ${observed.foreignRequests}`);
    await page.close();
  }],
  ['a file dropped on the drop zone is read (synthetic DataTransfer)', async () => {
    const { page, observed } = await openApp(browser, url);
    await page.waitForSelector('#dropzone');
    const dataTransfer = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['x'.repeat(3000)], 'dropped.bin', { type: 'application/octet-stream' }));
      return transfer;
    });
    await page.dispatchEvent('#dropzone', 'dragover', { dataTransfer });
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
    await page.waitForFunction(() => document.querySelector('#result').textContent.startsWith('dropped.bin'));
    assertEqual(await page.textContent('#result'), 'dropped.bin: 3000 bytes (2.9 KiB), unknown format', 'result');
    assertEqual(observed.foreignRequests.length, 0, `requests left the page: ${observed.foreignRequests}`);
    assertEqual(observed.pageErrors.length, 0, `page errors ${observed.pageErrors}`);
    await page.close();
  }],
  ['the page forbids outgoing connections (Content-Security-Policy)', async () => {
    const { page } = await openApp(browser, url);
    await page.waitForSelector('#title');
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert(csp && csp.includes("connect-src 'self'") && csp.includes("default-src 'self'"), `CSP too weak: ${csp}`);
    const blocked = await page.evaluate(async () => {
      try { await fetch('https://example.com/'); return false; } catch { return true; }
    });
    assert(blocked, 'a cross-origin fetch was not blocked');
    await page.close();
  }],
];

const failed = await runTests(tests);
await browser.close();
server.close();
process.exit(failed === 0 ? 0 : 1);
