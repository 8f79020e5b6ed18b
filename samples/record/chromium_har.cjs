// Browser-flavoured capture: Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core with recordHar. Walks the token flow by hand like a person
// poking at a registry from a browser:
//   1. GET /v2/ on the registry                 -> 401 Bearer challenge
//   2. GET realm?account=&service=&scope=: the token service challenges (an
//      account but no credentials), Chromium answers with httpCredentials
//   3. navigate to the manifest with Authorization: Bearer (extraHTTPHeaders):
//      404, the navigation's Accept does not allow OCI manifests
//   4. fetch() the manifest with an Accept header, then fetch() the config blob
// usage: NODE_PATH=.../node_modules node chromium_har.cjs OUT.har
// REGAUTH_PROXY=http://127.0.0.1:8080 sends the browser through mitmproxy too.
const { chromium } = require('playwright-core');

const REG = 'https://registry.regauth.test:5000';
const AUTH = 'https://auth.regauth.test:5001';

(async () => {
  const out = process.argv[2];
  const launch = {
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      '--disable-extensions', '--disable-default-apps', '--disable-domain-reliability', '--no-pings',
      '--disable-client-side-phishing-detection', '--safebrowsing-disable-auto-update',
      '--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication'],
  };
  if (process.env.REGAUTH_PROXY) launch.proxy = { server: process.env.REGAUTH_PROXY };
  const browser = await chromium.launch(launch);
  const ctx = await browser.newContext({
    ignoreHTTPSErrors: true,
    recordHar: { path: out, content: 'embed' },
    httpCredentials: { username: 'reader', password: 'reader-pass-1', origin: AUTH },
  });
  const page = await ctx.newPage();
  let r = await page.goto(`${REG}/v2/`);
  console.log('ping', r.status(), r.headers()['www-authenticate']);
  r = await page.goto(`${AUTH}/token?account=reader&service=registry.regauth.test&scope=repository:private/app:pull`);
  console.log('token', r.status());
  const tok = JSON.parse(await r.text());
  await page.setExtraHTTPHeaders({ Authorization: `Bearer ${tok.token}` });
  // A navigation sends the browser's own Accept (text/html...), so distribution
  // answers 404 MANIFEST_UNKNOWN for an OCI manifest; a fetch() with Accept works.
  r = await page.goto(`${REG}/v2/private/app/manifests/1.0`);
  console.log('manifest (navigation)', r.status());
  const res = await page.evaluate(async () => {
    const m = await fetch('/v2/private/app/manifests/1.0', {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
    });
    const manifest = await m.json();
    const b = await fetch(`/v2/private/app/blobs/${manifest.config.digest}`);
    await b.arrayBuffer();
    return [m.status, b.status];
  });
  console.log('manifest (fetch), blob', res);
  await ctx.close();
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
