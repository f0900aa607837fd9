// Studio time-to-list: from navigating to `/` (signed in) until the definition list is usable.
// Cold = a fresh browser profile (empty HTTP cache); warm = a new page in the same profile.
//   node tests/browser/time-to-list.mjs [runs]        (ELSA_SERVER_BIN, ELSA_STUDIO_DIR as in the suite)
import { createWorkflowButton, launchBrowser, startServer } from './harness.mjs';

const runs = Number(process.argv[2] || 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Puts an API-key session where the shell keeps it, so `/` opens straight on the list. */
async function seedSession(page, server) {
    await page.goto(`${server.ui}/appsettings.json`);
    await page.evaluate(([server, apiKey]) => {
        localStorage.setItem('elsa-studio-session', JSON.stringify({ server, apiKey }));
    }, [server.ui, server.apiKey]);
}

async function timeToList(page, server) {
    let bytes = 0;
    let requests = 0;
    const count = (response) => {
        requests += 1;
        bytes += Number(response.headers()['content-length'] || 0);
    };
    page.on('response', count);
    const started = performance.now();
    await page.goto(`${server.ui}/`);
    await createWorkflowButton(page).waitFor({ state: 'visible', timeout: 60_000 });
    const ms = performance.now() - started;
    page.off('response', count);
    return { ms, requests, bytes };
}

const server = await startServer();
const cold = [];
const warm = [];
try {
    for (let i = 0; i < runs; i++) {
        const browser = await launchBrowser();
        try {
            await seedSession(browser.page, server);
            cold.push(await timeToList(browser.page, server));
            const page = await browser.context.newPage();
            warm.push(await timeToList(page, server));
        } finally {
            await browser.close();
        }
    }
} finally {
    await server.stop();
}
const report = (name, xs) => {
    const ms = xs.map((x) => x.ms);
    console.log(`${name}: median ${median(ms).toFixed(0)} ms (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)}, ${xs.length} runs); `
        + `${xs[0].requests} responses, ${(xs[0].bytes / 1e6).toFixed(1)} MB on the wire`);
};
report('cold', cold);
report('warm', warm);
