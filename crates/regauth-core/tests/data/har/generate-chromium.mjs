// Regenerates chromium-playwright.har: headless Chromium (Debian package, 156) driven by
// playwright-core's recordHar against a throwaway `python3 -m http.server` on 127.0.0.1.
//
//   mkdir /tmp/pw && cd /tmp/pw && npm install playwright-core
//   NODE_PATH=/tmp/pw/node_modules node generate-chromium.mjs [out.har]
//
// The page fetches a JSON document, a small binary file, a missing path (404) and POSTs a
// binary body (http.server answers 501), so the HAR holds text, base64 and error responses.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(join(process.env.NODE_PATH ?? process.cwd(), 'x.js'));
const { chromium } = require('playwright-core');

const out = resolve(process.argv[2] ?? 'chromium-playwright.har');
const port = 18000 + Math.floor(Math.random() * 2000);
const root = mkdtempSync(join(tmpdir(), 'regauth-har-'));
mkdirSync(join(root, 'v2'));
writeFileSync(join(root, 'v2', 'token.json'), '{"token":"opaque-test-token","expires_in":300}\n');
writeFileSync(join(root, 'v2', 'blob.bin'), Buffer.from([0x1f, 0x8b, 0, 1, 2, 3, 0xfe, 0xff]));
writeFileSync(join(root, 'index.html'), `<!doctype html><title>regauth</title><script>
(async () => {
  await fetch('/v2/token.json').then(r => r.text());
  await fetch('/v2/blob.bin').then(r => r.arrayBuffer());
  await fetch('/v2/library/alpine/manifests/latest').then(r => r.text());
  await fetch('/v2/upload?digest=sha256:00', { method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array([0, 1, 2, 255, 254]) }).catch(() => {});
  document.title = 'done';
})();
</script>`);

const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', root],
  { stdio: 'ignore' });
try {
  await new Promise((ok) => setTimeout(ok, 1000));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ recordHar: { path: out, content: 'embed' } });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${port}/index.html`);
  await page.waitForFunction(() => document.title === 'done');
  await context.close();
  await browser.close();
} finally {
  server.kill();
}
