// Measures the web app on big captures, in headless chromium (not part of the CI run):
//
//   node tests/e2e/bench.mjs <dist dir> [sizes in MB, default "200,1024"]
//
// For each size it writes a generated HAR to target/bench/ (token-auth pulls: a /v2/ ping,
// the challenge, a token request, a manifest and layer blobs with base64 bodies), chooses it
// in the page's file input, and reports: time from choosing the file to the overview
// ([data-testid=overview]), the longest main-thread task in that time (`longtask`
// PerformanceObserver), when parsing started (worker progress), and whether the page or the
// worker crashed; then how long the page took from the overview to the selected session's
// details and the findings list (both drawn after the overview) and the longest main-thread
// task in that time. With REGAUTH_BIN=<release regauth> it also times the native CLI on the same
// file (best of three runs) for the wasm/native throughput ratio: native time against the
// browser's time from the worker's "Parsing" message to the overview (parse, analysis, report,
// the message to the page and the first paint; reading the File into the worker excluded).
// BENCH_SHAPE=headers writes the other shape of big capture instead: a busy CI's pulls, tens of
// thousands of small exchanges with 30 headers each way, a session per repository (thousands).
// Browser and CLI read a copy of the file in /dev/shm. BENCH_GENERATE_ONLY=1 only writes the files;
// BENCH_VERBOSE=1 also prints the long tasks and the progress messages with their times.
import { copyFileSync, createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, openApp, serveDir } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = resolve(process.argv[2] ?? 'dist');
const sizes = (process.argv[3] ?? '200,1024').split(',').map(Number);
const out = join(root, 'target', 'bench');
mkdirSync(out, { recursive: true });

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const SHAPE = process.env.BENCH_SHAPE === 'headers' ? 'headers' : 'bodies';

/// Writes a HAR of about `megabytes` MB: sessions of six steps plus layer downloads (body-heavy),
/// or with BENCH_SHAPE=headers, many sessions of small exchanges with 30 headers each way.
async function generate(megabytes) {
  const headerHeavy = SHAPE === 'headers';
  const path = join(out, `generated-${megabytes}mb${headerHeavy ? '-headers' : ''}.har`);
  if (existsSync(path) && Math.abs(statSync(path).size / 1e6 - megabytes) < megabytes * 0.05) return path;
  const file = createWriteStream(path);
  const write = (text) => (file.write(text) ? Promise.resolve() : new Promise((resolveDrain) => file.once('drain', resolveDrain)));
  const layer = Buffer.alloc(768 * 1024, 7).toString('base64'); // ~1 MB of base64 per blob
  const start = Date.parse('2026-11-23T10:00:00Z');
  let clock = 0;
  const at = () => new Date(start + (clock += 40)).toISOString();
  const entry = (method, url, status, requestHeaders, responseHeaders, text, encoding) => JSON.stringify({
    startedDateTime: at(), time: 30,
    request: { method, url, httpVersion: 'HTTP/1.1', headers: requestHeaders.map(([name, value]) => ({ name, value })), queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
    response: { status, statusText: '', httpVersion: 'HTTP/1.1', headers: responseHeaders.map(([name, value]) => ({ name, value })), cookies: [],
      content: { size: text.length, mimeType: 'application/octet-stream', text, ...(encoding ? { encoding } : {}) }, redirectURL: '', headersSize: -1, bodySize: text.length },
    cache: {}, timings: { send: 1, wait: 28, receive: 1 },
  });
  await write('{"log":{"version":"1.2","creator":{"name":"regauth bench generator","version":"1"},"entries":[\n');
  let first = true;
  let written = 0;
  const add = async (text) => { await write((first ? '' : ',\n') + text); first = false; written += text.length + 2; };
  const registry = 'https://registry.bench.test';
  // Header-heavy: proxies, tracing and CDN headers as a busy CI's captures carry them.
  const filler = headerHeavy
    ? Array.from({ length: 29 }, (_, n) => [`X-Bench-Header-${n}`, `value-${n}-${'v'.repeat(24)}`])
    : [];
  const ua = [['User-Agent', 'containers/5.24.1 (github.com/containers/image)'], ...filler];
  let bytes = 0;
  for (let session = 0; (headerHeavy ? written : bytes) < megabytes * 1e6; session += 1) {
    const repo = `team/app-${session}`;
    const now = Math.floor((start + clock) / 1000);
    const jwt = `${b64url({ alg: 'ES256', typ: 'JWT' })}.${b64url({ iss: 'bench-issuer', sub: 'reader', aud: 'registry.bench.test', exp: now + 300, nbf: now, iat: now, access: [{ type: 'repository', name: repo, actions: ['pull'] }] })}.${b64url('signature-signature-signature')}`;
    const challenge = `Bearer realm="https://auth.bench.test/token",service="registry.bench.test",scope="repository:${repo}:pull"`;
    await add(entry('GET', `${registry}/v2/`, 401, ua, [['WWW-Authenticate', challenge], ['Date', new Date(start + clock).toUTCString()]], '{"errors":[{"code":"UNAUTHORIZED"}]}'));
    await add(entry('GET', `https://auth.bench.test/token?scope=repository%3A${encodeURIComponent(repo)}%3Apull&service=registry.bench.test`, 200,
      [...ua, ['Authorization', `Basic ${Buffer.from('reader:secret-password').toString('base64')}`]], [['Content-Type', 'application/json']],
      JSON.stringify({ token: jwt, access_token: jwt, expires_in: 300, issued_at: new Date(now * 1000).toISOString() })));
    await add(entry('GET', `${registry}/v2/${repo}/manifests/1.0`, 200, [...ua, ['Authorization', `Bearer ${jwt}`]], [['Content-Type', 'application/vnd.oci.image.manifest.v1+json']], '{"schemaVersion":2}'));
    if (headerHeavy) {
      // Blobs already present: HEAD requests, no bodies; every answer with its 30 headers.
      for (let blob = 0; blob < 3; blob += 1) {
        await add(entry('HEAD', `${registry}/v2/${repo}/blobs/sha256:${(session * 10 + blob).toString(16).padStart(64, '0')}`, 200, [...ua, ['Authorization', `Bearer ${jwt}`]], filler, ''));
      }
      continue;
    }
    for (let blob = 0; blob < 5; blob += 1) {
      await add(entry('GET', `${registry}/v2/${repo}/blobs/sha256:${(session * 10 + blob).toString(16).padStart(64, '0')}`, 200, [...ua, ['Authorization', `Bearer ${jwt}`]], [], layer, 'base64'));
      bytes += layer.length;
    }
  }
  await write('\n]}}\n');
  await new Promise((resolveEnd) => file.end(resolveEnd));
  return path;
}

const INIT = `
  window.__bench = { longTasks: [], change: null, parsing: null, overview: null, details: null, statuses: [] };
  new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.__bench.longTasks.push([entry.startTime, entry.duration]); })
    .observe({ type: 'longtask', buffered: true });
  document.addEventListener('change', () => { window.__bench.change = performance.now(); }, true);
  new MutationObserver(() => {
    const status = document.querySelector('#load-status')?.textContent ?? '';
    const last = window.__bench.statuses[window.__bench.statuses.length - 1];
    if (status && (!last || last[1] !== status)) window.__bench.statuses.push([performance.now(), status]);
    if (!window.__bench.parsing && /Parsing|Analysing/.test(status)) window.__bench.parsing = performance.now();
    if (!window.__bench.overview && document.querySelector('[data-testid=overview], #error')) window.__bench.overview = performance.now();
    if (window.__bench.overview && !window.__bench.details && (document.querySelector('#error') || (document.querySelector('#findings') && document.querySelector('#session-view[aria-busy="false"], #analysis:not(:has(#session-view))')))) window.__bench.details = performance.now();
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

if (process.env.BENCH_GENERATE_ONLY) {
  for (const megabytes of sizes) console.log(await generate(megabytes));
  process.exit(0);
}
const { server, url } = await serveDir(dist);
const browser = await launchBrowser();
for (const megabytes of sizes) {
  const generated = await generate(megabytes);
  const size = statSync(generated).size;
  // Browser and CLI read a copy in /dev/shm: on this VM the page cache does not keep a 200 MB
  // file, so reading it from disk would measure the disk, not regauth.
  const inMemory = existsSync('/dev/shm') ? join('/dev/shm', `${megabytes}mb-${SHAPE}-${process.pid}.har`) : generated;
  if (inMemory !== generated) copyFileSync(generated, inMemory);
  const path = inMemory;
  const { page, observed, close } = await openApp(browser, url);
  await page.addInitScript(INIT);
  await page.reload();
  await page.waitForSelector('#picker', { timeout: 20000 });
  await page.waitForTimeout(1500); // let the worker module compile, as it would while a person picks a file
  await page.setInputFiles('#picker', path);
  const done = await page.waitForFunction(() => window.__bench.overview, null, { timeout: 600000, polling: 200 }).then(() => true, () => false);
  if (done) await page.waitForFunction(() => window.__bench.details, null, { timeout: 60000, polling: 200 }).catch(() => {});
  // Let a long task that is still running end and be reported.
  await page.waitForTimeout(500);
  const result = await page.evaluate(() => {
    const b = window.__bench;
    const within = b.longTasks.filter(([startTime]) => startTime >= b.change && startTime <= (b.overview ?? Infinity));
    const after = b.longTasks.filter(([startTime]) => startTime > (b.overview ?? Infinity) && startTime <= (b.details ?? Infinity));
    return {
      detailsMs: b.details && b.overview ? Math.round(b.details - b.overview) : null,
      longestAfterMs: Math.round(Math.max(0, ...after.map(([, duration]) => duration))),
      tasksAfter: after.map(([startTime, duration]) => `${Math.round(startTime - b.change)}+${Math.round(duration)}`).join(' '),
      overviewMs: b.overview && b.change ? Math.round(b.overview - b.change) : null,
      parsingStartedMs: b.parsing && b.change ? Math.round(b.parsing - b.change) : null,
      longestTaskMs: Math.round(Math.max(0, ...within.map(([, duration]) => duration))),
      longTasks: within.length,
      tasks: within.map(([startTime, duration]) => `${Math.round(startTime - b.change)}+${Math.round(duration)}`).join(' '),
      statuses: b.statuses.filter((_, n, all) => n < 3 || n > all.length - 4).map(([time, text]) => `${Math.round(time - b.change)} ${text}`),
      error: document.querySelector('#error')?.textContent ?? null,
      sessions: document.querySelectorAll('[data-testid=session]').length,
      summary: document.querySelector('#result')?.textContent,
      heapMb: Math.round((performance.memory?.usedJSHeapSize ?? 0) / 1e6),
    };
  });
  const crashed = observed.pageErrors.length > 0 || (result.error ?? '').includes('stopped unexpectedly');
  console.log(`${megabytes} MB (${size} bytes): ${done ? 'done' : 'TIMED OUT'}; overview after ${result.overviewMs} ms (parsing from ${result.parsingStartedMs} ms); longest main-thread task ${result.longestTaskMs} ms (${result.longTasks} over 50 ms); ${result.sessions} session cards; crashed: ${crashed}`);
  console.log(`  then the session's details and the findings after ${result.detailsMs} ms more; longest main-thread task in that time ${result.longestAfterMs} ms`);
  if (result.error) console.log(`  error shown: ${result.error.slice(0, 300)}`);
  if (process.env.BENCH_VERBOSE) console.log(`  long tasks (ms after choosing: start+duration): ${result.tasks}; after the overview: ${result.tasksAfter}\n  ${result.statuses.join('\n  ')}`);
  console.log(`  ${result.summary}`);
  if (process.env.REGAUTH_BIN && done && !result.error) {
    // Best of three runs (the file is in the page cache after the first; other work on the
    // machine only ever adds time).
    const runs = [];
    for (let run = 0; run < 3; run += 1) {
      const started = process.hrtime.bigint();
      execFileSync(process.env.REGAUTH_BIN, ['analyze', '--format', 'json', inMemory], { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, REGAUTH_NO_PROGRESS: '1' } });
      runs.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const nativeMs = Math.min(...runs);
    const wasmMs = result.overviewMs - (result.parsingStartedMs ?? 0);
    console.log(`  native CLI analyze --format json (best of ${runs.map(Math.round).join(', ')} ms): ${Math.round(nativeMs)} ms (${(size / nativeMs / 1e3).toFixed(0)} MB/s); browser from parsing start to overview: ${wasmMs} ms (${(size / wasmMs / 1e3).toFixed(0)} MB/s); wasm throughput = ${(nativeMs / wasmMs).toFixed(2)} × native`);
  }
  await close();
  if (inMemory !== generated) rmSync(inMemory, { force: true });
}
await browser.close();
server.close();
