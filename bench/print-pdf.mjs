// The alternative to kvalitet's typeset reports: the municipality page's print view printed to
// PDF by headless Chromium (what "Skriv ut / Spara som PDF" gives a resident or an official).
// One browser for the whole run; prints BASE/kommun/ID?ar=YEAR&utskrift=1 for each id given
// and says the seconds it took. Usage: node bench/print-pdf.mjs BASE YEAR OUTDIR ID...
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
const require = createRequire(new URL("../tests/e2e/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const [base, year, outdir, ...ids] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const context = await browser.newContext();
const page = await context.newPage();
const start = process.hrtime.bigint();
for (const id of ids) {
  await page.goto(`${base}/kommun/${id}?ar=${year}&utskrift=1`, { waitUntil: "load" });
  writeFileSync(`${outdir}/${id}.pdf`, await page.pdf({ format: "A4", tagged: true }));
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
await browser.close();
console.log(seconds.toFixed(3));
