// Browser tests of the built web app: `node tests/e2e/run.mjs <dist dir>`.
// Run by `cargo xtask ci` after `trunk build`; each test loads the app in headless chromium.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, assertEqual, launchBrowser, openApp, runTests, serveDir } from './harness.mjs';

const dist = resolve(process.argv[2] ?? 'dist');
const samplesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'samples');
const readSample = (name) => readFileSync(join(samplesDir, name));
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

  ['a bundled sample is analysed: clock-ahead fails at step 6 with token-not-yet-valid', async () => {
    const { page, observed } = await openApp(browser, url);
    await page.waitForSelector('button.sample[data-sample="clock-ahead.flow"]', { timeout: 15000 });
    const started = Date.now();
    await page.click('button.sample[data-sample="clock-ahead.flow"]');
    await page.waitForSelector('#outcome');
    const elapsed = Date.now() - started;
    assert(elapsed < 3000, `analysis of a 16 KiB sample took ${elapsed} ms`);
    assertEqual(await page.getAttribute('#outcome', 'data-outcome'), 'failure', 'outcome');
    const headline = await page.textContent('#outcome .headline');
    assert(headline.startsWith('Failure: 1 of') && headline.includes('at step 6: token-not-yet-valid'), `headline: ${headline}`);
    assert((await page.textContent('#result')).startsWith('clock-ahead.flow: 16514 bytes'), 'file summary');
    // Exactly one arrow is red, it is step 6 of the failed session, and it carries its finding.
    const failed = await page.$$eval('.step.failed', (steps) => steps.map((step) => ({
      step: step.dataset.step,
      session: step.closest('.session').dataset.outcome,
      code: step.querySelector('.step-finding')?.dataset.code,
      arrowColumns: step.querySelector('.arrow').style.gridColumn,
    })));
    assertEqual(JSON.stringify(failed), JSON.stringify([{ step: '6', session: 'failure', code: 'token-not-yet-valid', arrowColumns: '2 / 4' }]), 'failed steps');
    const steps = await page.$$eval('.session.failure .step', (all) => all.map((step) => `${step.dataset.step}:${step.dataset.status}`));
    assertEqual(steps.join(' '), '1:done 2:done 3:done 4:done 5:done 6:failed', 'steps of the failed session');
    const lanes = await page.$$eval('.session.failure .lane', (all) => all.map((lane) => lane.textContent));
    assertEqual(lanes.join(','), 'client,registry,token service', 'lanes');
    // Findings list: severity, code, message and fix.
    const finding = await page.$eval('#findings li.finding[data-code="token-not-yet-valid"]', (item) => ({
      severity: item.dataset.severity, message: item.querySelector('.message').textContent,
      fix: item.querySelector('.fix')?.textContent ?? '',
    }));
    assertEqual(finding.severity, 'error', 'finding severity');
    assert(finding.message.length > 10 && finding.fix.startsWith('Fix: '), `finding: ${JSON.stringify(finding)}`);
    assert(await page.$('#findings li.finding[data-code="clock-skew"]'), 'clock-skew finding missing');
    // Clock table: the token issuer runs about two hours ahead.
    const issuer = await page.$eval('#clocks tr.clock[data-role="token-issuer"]', (row) => row.cells[2].textContent);
    assert(issuer.startsWith('+71') || issuer.startsWith('+72'), `issuer offset ${issuer}`);
    // Token inspector: claims and the access table are there.
    assert(await page.$('#tokens .token .access tbody tr'), 'access table missing');
    assertEqual((await page.$$eval('#tokens .validity tr', (rows) => rows.map((row) => row.dataset.claim))).join(','), 'iat,nbf,exp', 'validity rows');
    assertEqual(observed.foreignRequests.length, 0, `requests left the page: ${observed.foreignRequests}`);
    assertEqual(observed.pageErrors.length, 0, `page errors ${observed.pageErrors}`);
    assertEqual(observed.consoleErrors.length, 0, `console errors ${observed.consoleErrors}`);
    await page.close();
  }],
  ['every bundled sample is analysed with its recorded outcome, without errors', async () => {
    const { page, observed } = await openApp(browser, url);
    await page.waitForSelector('button.sample', { timeout: 15000 });
    const expected = {
      'pull-success.flow': 'success', 'wrong-password.har': 'failure', 'clock-ahead.flow': 'failure',
      'push-insufficient-scope.flow': 'failure', 'token-expired-mid-push-recovered.flow': 'success',
      'basic-plain-http.har': 'success',
    };
    const names = await page.$$eval('button.sample', (buttons) => buttons.map((button) => button.dataset.sample));
    assertEqual(names.join(','), Object.keys(expected).join(','), 'gallery');
    for (const [name, outcome] of Object.entries(expected)) {
      await page.click(`button.sample[data-sample="${name}"]`);
      await page.waitForFunction((n) => document.querySelector('#result').textContent.startsWith(`${n}:`), name);
      assertEqual(await page.getAttribute('#outcome', 'data-outcome'), outcome, `${name} outcome`);
      assert((await page.$$('.session')).length > 0, `${name}: no session drawn`);
      assertEqual((await page.$$('.step.failed')).length > 0, outcome === 'failure', `${name}: failed arrow shown`);
    }
    assertEqual(observed.pageErrors.length, 0, `page errors ${observed.pageErrors}`);
    assertEqual(observed.foreignRequests.length, 0, `requests left the page: ${observed.foreignRequests}`);
    await page.close();
  }],
  ['a real capture dropped from samples/ shows its sessions (anonymous pull of a private image)', async () => {
    const { page, observed } = await openApp(browser, url);
    await page.waitForSelector('#dropzone', { timeout: 15000 });
    const name = 'anonymous-pull-private.har';
    const bytes = readSample(name);
    const dataTransfer = await page.evaluateHandle(([fileName, base64]) => {
      const data = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], fileName, { type: 'application/json' }));
      return transfer;
    }, [name, bytes.toString('base64')]);
    await page.dispatchEvent('#dropzone', 'dragover', { dataTransfer });
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
    await page.waitForSelector('#outcome');
    assertEqual(await page.textContent('#result'), `${name}: ${bytes.length} bytes (${(bytes.length / 1024).toFixed(1)} KiB), HAR`, 'file summary');
    assertEqual(await page.getAttribute('#outcome', 'data-outcome'), 'failure', 'outcome');
    assert((await page.$$('.session')).length >= 1, 'no session');
    const code = await page.getAttribute('.session.failure .step.failed[data-step="6"] .step-finding', 'data-code');
    assertEqual(code, 'anonymous-denied', 'finding on the failed arrow');
    assertEqual(observed.foreignRequests.length, 0, `requests left the page: ${observed.foreignRequests}`);
    assertEqual(observed.pageErrors.length, 0, `page errors ${observed.pageErrors}`);
    await page.close();
  }],
  ['token signatures stay out of the DOM until "reveal" is clicked, and leave again on "mask"', async () => {
    const { page, observed } = await openApp(browser, url);
    await page.waitForSelector('#picker', { timeout: 15000 });
    const name = 'clock-ahead.flow';
    const bytes = readSample(name);
    const jwt = bytes.toString('latin1').match(/eyJ[\w-]+\.eyJ[\w-]+\.([\w-]{20,})/);
    assert(jwt, 'no JWT found in the sample');
    const [token, signature] = [jwt[0], jwt[1]];
    await page.setInputFiles('#picker', { name, mimeType: 'application/octet-stream', buffer: bytes });
    await page.waitForSelector('#tokens .token');
    const masked = await page.evaluate(() => document.body.innerHTML);
    assert(!masked.includes(signature), 'the token signature is in the DOM before reveal');
    assert(masked.includes(token.slice(0, token.length - signature.length - 1)), 'masked token (header.claims) not shown');
    assertEqual(await page.getAttribute('#reveal-secrets', 'aria-pressed'), 'false', 'toggle state');
    await page.click('#reveal-secrets');
    await page.waitForSelector('#tokens code.secret.revealed');
    assert((await page.evaluate(() => document.body.innerHTML)).includes(token), 'revealed token missing');
    await page.click('#reveal-secrets');
    await page.waitForSelector('#tokens code.secret.masked');
    assert(!(await page.evaluate(() => document.body.innerHTML)).includes(signature), 'signature still in the DOM after masking again');
    assertEqual(observed.pageErrors.length, 0, `page errors ${observed.pageErrors}`);
    await page.close();
  }],
  ['unreadable or damaged input shows the error state, never a crash', async () => {
    const { page, observed } = await openApp(browser, url);
    await page.waitForSelector('#picker', { timeout: 15000 });
    await page.setInputFiles('#picker', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just some text\n') });
    await page.waitForSelector('#error');
    assertEqual(await page.textContent('#error .error-headline'), 'Not a capture regauth can read', 'error headline');
    assert((await page.textContent('#error .error-details')).startsWith('notes.txt: not a capture'), 'core message shown');
    assertEqual(await page.$('#outcome'), null, 'no analysis next to the error');
    await page.setInputFiles('#picker', { name: 'empty.har', mimeType: 'application/json', buffer: Buffer.alloc(0) });
    await page.waitForFunction(() => document.querySelector('#error .error-headline')?.textContent === 'The file is empty');
    // A capture cut in half: analysed as far as it goes, or refused; either way the page lives on.
    const flow = readSample('pull-success.flow');
    await page.setInputFiles('#picker', { name: 'cut.flow', mimeType: 'application/octet-stream', buffer: flow.subarray(0, flow.length >> 1) });
    await page.waitForFunction(() => document.querySelector('#result').textContent.startsWith('cut.flow'));
    assert(await page.$('#outcome, #error'), 'neither analysis nor error for a truncated capture');
    assertEqual(observed.pageErrors.length, 0, `page errors ${observed.pageErrors}`);
    await page.close();
  }],
  ['the release wasm stays within its size budget (every visitor downloads it)', async () => {
    const wasm = readdirSync(dist).filter((name) => name.endsWith('_bg.wasm'));
    assertEqual(wasm.length, 1, `wasm files in ${dist}`);
    const bytes = readFileSync(join(dist, wasm[0]));
    const gzipped = gzipSync(bytes, { level: 9 }).length;
    console.log(`     wasm ${bytes.length} bytes raw, ${gzipped} bytes gzip -9 (${wasm[0]})`);
    // Nov 23: 1,415,117 raw / 534,671 gzip, of which ≈230 KiB raw are the bundled samples and
    // ≈130 KiB the brotli dictionary (Content-Encoding: br). A jump past the budget needs a reason.
    assert(bytes.length < 1_600_000, `wasm grew to ${bytes.length} bytes (budget 1,600,000)`);
  }],
];

const failed = await runTests(tests);
await browser.close();
server.close();
process.exit(failed === 0 ? 0 : 1);
