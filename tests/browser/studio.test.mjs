// The browser suite: the real Elsa Studio 3.8.2, served by elsa-server, driven in headless
// Chromium through the whole authoring loop. Run by scripts/browser.sh (from scripts/test.sh).
//
// Each flow is one test whose steps are subtests; after a step fails, the later ones are
// skipped (they depend on it), and a screenshot of the failure goes to ARTIFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, createWorkflowButton, launchBrowser, signIn, startServer } from './harness.mjs';

const TEXT = 'Hello from the browser suite';
// The designer's Publish and Run buttons carry only an icon (no label, no title): they are
// found by the start of their Material icon's SVG path (cloud-upload, play-arrow).
const ICON_PUBLISH = 'M19.35 10.04';
const ICON_RUN = 'M8 5v14l11-7z';

function toolbarButton(page, icon) {
    return page.locator(`elsa-workflow-definition-editor button:has(path[d^="${icon}"]):visible`).first();
}
const STEP_TIMEOUT = 60_000;

let server;
before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServer();
});
after(async () => {
    await server?.stop();
});

/** Runs `name` unless an earlier step of the flow failed. */
function stepper(t, flow, page) {
    return (name, body) => t.test(name, { timeout: STEP_TIMEOUT * 2 }, async (s) => {
        if (flow.failed) {
            s.skip(`needs "${flow.failed}"`);
            return;
        }
        try {
            await body();
        } catch (error) {
            flow.failed = name;
            const file = join(ARTIFACTS, `${flow.name}-${name.replace(/\W+/g, '-')}.png`);
            await page.screenshot({ path: file }).catch(() => {});
            const apiErrors = flow.apiErrors.length ? flow.apiErrors.join(', ') : 'none';
            throw new Error(
                `${String(error.message).split('\n')[0]}\n  failed API calls so far: ${apiErrors}\n  screenshot: ${file}`,
                { cause: error },
            );
        }
    });
}

/** Records what the Studio hit that it should not have: failed API calls and .NET crashes. */
function watch(page, flow) {
    page.on('console', (message) => {
        if (message.text().includes('crit:')) flow.crits.push(message.text().split('\n').slice(0, 3).join(' | '));
    });
    page.on('pageerror', (error) => flow.crits.push(`page error: ${error.message}`));
    page.on('response', (response) => {
        const url = new URL(response.url());
        if (url.pathname.startsWith('/elsa/api') && response.status() >= 400) {
            flow.apiErrors.push(`${response.status()} ${response.request().method()} ${url.pathname}`);
        }
    });
}

async function authoringLoop(t, name, apiOrigin) {
    const browser = await launchBrowser();
    const { page } = browser;
    const flow = { name, failed: null, crits: [], apiErrors: [] };
    watch(page, flow);
    const step = stepper(t, flow, page);
    const workflowName = `Browser suite ${name} ${Date.now()}`;
    let definitionId;
    let instanceId;

    try {
        await step('log in', async () => {
            await page.goto(`${server.ui}/`);
            const how = await signIn(page, server, apiOrigin);
            t.diagnostic(`${name}: signed in with ${how}`);
            await page.locator('#shell-bar').waitFor({ state: 'visible' });
        });

        await step('definitions list', async () => {
            await createWorkflowButton(page).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
            assert.ok(await createWorkflowButton(page).isEnabled(), 'the list is read-only (no bulk-publish link?)');
        });

        await step('create a workflow', async () => {
            await createWorkflowButton(page).click();
            const dialog = page.locator('.mud-dialog');
            await dialog.getByLabel('Name').fill(workflowName);
            await dialog.getByRole('button', { name: /^ok$/i }).click();
            await page.waitForFunction(() => /^#\/definitions\/[^/]+$/.test(location.hash), null, { timeout: STEP_TIMEOUT });
            definitionId = decodeURIComponent(page.url().split('/').pop());
            await page.locator('elsa-workflow-definition-editor .x6-graph-svg').first()
                .waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
            const stored = await server.api(`/workflow-definitions/by-definition-id/${definitionId}?versionOptions=Latest`);
            assert.equal(stored.status, 200);
            assert.equal(stored.body.name, workflowName);
        });

        await step('drag a WriteLine from the palette and set its Text', async () => {
            const editor = page.locator('elsa-workflow-definition-editor');
            await editor.getByPlaceholder(/^Search/).fill('Write Line');
            await editor.locator('.mud-expand-panel').filter({ hasText: 'Console' }).locator('.mud-expand-panel-header').click();
            const item = editor.locator('[draggable=true]').filter({ hasText: 'Write Line' }).first();
            await item.waitFor({ state: 'visible' });
            const canvas = editor.locator('.x6-graph-svg').first();
            const box = await canvas.boundingBox();
            await item.dragTo(canvas, { targetPosition: { x: box.width / 2, y: box.height / 2 } });
            // The node is an HTML card inside the X6 SVG; the Studio selects a dropped activity.
            const node = editor.getByText(/^WriteLine\d+$/).first();
            await node.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
            const text = editor.locator('.mud-input-control').filter({ has: page.locator('label', { hasText: /^Text$/ }) })
                .locator('input, textarea').first();
            if (!(await text.isVisible())) await node.click();
            await text.fill(TEXT);
            await text.press('Tab');
        });

        await step('auto-save round-trips', async () => {
            const deadline = Date.now() + STEP_TIMEOUT;
            let written;
            while (Date.now() < deadline) {
                const stored = await server.api(`/workflow-definitions/by-definition-id/${definitionId}?versionOptions=Latest`);
                const activities = stored.body?.root?.activities ?? [];
                written = activities.find((a) => a.type === 'Elsa.WriteLine');
                if (written?.text?.expression?.value === TEXT) return;
                await new Promise((ok) => setTimeout(ok, 500));
            }
            assert.fail(`the saved WriteLine is ${JSON.stringify(written)}; expected its text to be "${TEXT}"`);
        });

        await step('publish', async () => {
            await toolbarButton(page, ICON_PUBLISH).click();
            await page.getByText('Workflow published').first().waitFor({ timeout: STEP_TIMEOUT });
            const published = await server.api(`/workflow-definitions/by-definition-id/${definitionId}?versionOptions=Published`);
            assert.equal(published.status, 200);
            assert.equal(published.body.isPublished, true);
        });

        await step('run', async () => {
            const executed = page.waitForResponse((r) => r.url().includes(`/workflow-definitions/${definitionId}/execute`));
            await toolbarButton(page, ICON_RUN).click();
            const response = await executed;
            assert.ok(response.ok(), `execute answered ${response.status()}`);
            instanceId = response.headers()['x-elsa-workflow-instance-id'];
            assert.ok(instanceId, 'no x-elsa-workflow-instance-id header');
            // The Studio reads the header: across origins only when the server exposes it.
            await page.getByText('Successfully started workflow').first().waitFor({ timeout: STEP_TIMEOUT });
        });

        await step('the instance appears in the instance list', async () => {
            await page.locator('#shell-bar a[data-section=instances]').click();
            const list = page.locator('elsa-workflow-instance-list');
            await list.locator('tr').filter({ hasText: instanceId }).first()
                .or(list.locator('tr').filter({ hasText: workflowName }).first())
                .waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
        });

        await step('the instance viewer shows its journal', async () => {
            const journal = page.waitForResponse((r) => r.url().includes(`/workflow-instances/${instanceId}/journal`));
            await page.goto(`${server.ui}/#/instances/${encodeURIComponent(instanceId)}`);
            const response = await journal;
            assert.ok(response.ok(), `journal answered ${response.status()}`);
            const body = await response.json();
            assert.ok(body.items?.some((r) => r.activityType === 'Elsa.WriteLine'), 'the journal has no WriteLine record');
            const viewer = page.locator('elsa-workflow-instance-viewer');
            await viewer.getByText(/Write ?Line/).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
        });

        // Always checked, also after a failed step: did the Studio itself break?
        await t.test('no unhandled error in the page', async () => {
            const errorBar = await page.locator('#blazor-error-ui').isVisible();
            assert.equal(errorBar, false, `#blazor-error-ui is showing; crit: lines: ${flow.crits.join(' || ') || 'none'}`);
            assert.deepEqual(flow.crits, [], 'the Studio logged crit: lines');
        });
    } finally {
        await browser.close();
    }
}

test('same origin: log in, author, publish, run, inspect', { concurrency: 1 }, async (t) => {
    await authoringLoop(t, 'same-origin', server.ui);
});

test('cross origin (CORS): the same loop with the API on another origin', { concurrency: 1 }, async (t) => {
    await authoringLoop(t, 'cross-origin', server.other);
});
