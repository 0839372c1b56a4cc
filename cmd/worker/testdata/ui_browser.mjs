// Drives River's UI in headless Chromium for TestUIInBrowser: first without
// credentials (the server must answer 401), then with them, to the completed
// job's page, whose output must be on screen. Prints one JSON line.
//
// Environment: PLAYWRIGHT_DIR (where playwright-core is installed), CHROMIUM,
// UI_URL, UI_USER, UI_PASSWORD, JOB_ID, EXPECT (text of the job's output),
// SCREENSHOT (PNG path), PROFILE (a fresh, empty folder).
import { createRequire } from "node:module";

const env = process.env;
const require = createRequire(env.PLAYWRIGHT_DIR + "/");
const { chromium } = require("playwright-core");

const result = {};
const context = await chromium.launchPersistentContext(env.PROFILE, {
  executablePath: env.CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);

  // Chromium answers a Basic challenge it has no credentials for by
  // failing the navigation; the 401 itself is seen as a response.
  const responses = [];
  const seen = (r) => { if (r.url().startsWith(env.UI_URL + "/jobs")) responses.push(r); };
  page.on("response", seen);
  const refused = await page.goto(env.UI_URL + "/jobs").catch(() => null);
  page.off("response", seen);
  const first = refused ?? responses[0];
  result.without_credentials = first ? first.status() : 0;
  const body = first ? await first.text().catch(() => "") : "";
  result.without_credentials_shows_job = body.includes("test_sleep") || body.includes(env.EXPECT);
  await page.goto("about:blank");

  const token = Buffer.from(env.UI_USER + ":" + env.UI_PASSWORD).toString("base64");
  await page.setExtraHTTPHeaders({ Authorization: "Basic " + token });

  const list = await page.goto(env.UI_URL + "/jobs?state=completed");
  result.list_status = list.status();
  const row = page.getByText("test_sleep").first();
  await row.waitFor();
  result.list_shows_kind = true;

  await page.goto(env.UI_URL + "/jobs/" + env.JOB_ID);
  // The metadata viewer shows "output" folded: unfold it.
  await page.getByText(/keys?$/).first().click();
  await page.getByText(env.EXPECT).first().waitFor();
  result.output_shown = true;
  result.title = await page.title();
  await page.screenshot({ path: env.SCREENSHOT, fullPage: false });
} catch (err) {
  result.error = String(err && err.message ? err.message : err).split("\n")[0];
  const page = context.pages()[0];
  if (page) {
    result.page_text = (await page.innerText("body").catch(() => "")).slice(0, 2000);
    await page.screenshot({ path: env.SCREENSHOT }).catch(() => {});
  }
} finally {
  await context.close();
}
console.log(JSON.stringify(result));
