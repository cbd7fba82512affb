// Visits the citizen site's pages in headless Chromium (Debian's), runs axe-core with the
// WCAG 2.1 A and AA rules on each, and walks each page with the Tab key to check that every
// link and form control can be reached from the keyboard. Exits 1 on any failure.
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";
import { execFileSync } from "node:child_process";

const base = process.env.KVALITET_E2E_URL;
const kommun = process.env.KVALITET_E2E_KOMMUN;
const other = process.env.KVALITET_E2E_OTHER;
const kpi = process.env.KVALITET_E2E_KPI;
const expectMap = process.env.KVALITET_E2E_MAP === "1";
if (!base) throw new Error("KVALITET_E2E_URL is not set");
// Where to write screenshots of every page at both widths (optional).
const shots = process.env.KVALITET_E2E_SHOTS;

const pages = [];
for (const prefix of ["", "/en"]) {
  pages.push(
    { path: `${prefix}/`, what: "start page" },
    { path: `${prefix}/?q=sk`, what: "search result" },
    { path: `${prefix}/kommun/${kommun}`, what: "municipality page" },
    { path: `${prefix}/kommun/${kommun}/matt/${kpi}`, what: "measure page", map: expectMap },
    { path: `${prefix}/kommun/${kommun}/mal`, what: "goals page" },
    { path: `${prefix}/jamfor?matt=${kpi}&kommun=${kommun}&kommun=${other}`, what: "compare page" },
    { path: `${prefix}/om`, what: "method page" },
    { path: `${prefix}/tillganglighet`, what: "accessibility statement" },
    { path: `${prefix}/inbaddning/kommun/${kommun}/matt/${kpi}`, what: "embed widget" },
    { path: `${prefix}/inbaddning/kommun/${kommun}/mal`, what: "goals widget" },
    { path: `${prefix}/inbaddning/kommun/${kommun}/mal/kf1`, what: "a goal's widget" },
    { path: `${prefix}/kommun/9999`, what: "not-found page", status: 404 },
    { path: `${prefix}/logga-in`, what: "login page" },
    { path: `${prefix}/ramverk`, what: "assessment frameworks" },
    { path: `${prefix}/oppna-data`, what: "open data page" },
  );
  // The screening needs the shipped set's figures in the catalogue: the real data has them,
  // the small fixtures do not.
  if (expectMap) {
    pages.push(
      { path: `${prefix}/kvalitetskommun`, what: "Kvalitetskommun screening" },
      { path: `${prefix}/kvalitetskommun/kommun/${kommun}`, what: "a kommun's screening" },
    );
  }
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
  ],
});
let failures = 0;
const fail = (msg) => { failures += 1; console.log(`FAIL ${msg}`); };
// The staff flows' shared steps: axe on a page (its violations listed with where they are),
// logging in as one of run.sh's users, and sending a form found by the end of its action.
const axeCheck = async (page, what) => {
  const r = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  for (const v of r.violations) {
    fail(`${what}: axe ${v.id} (${v.impact}): ${v.help}`);
    for (const n of v.nodes.slice(0, 3)) console.log(`     ${n.target.join(" ")}: ${n.failureSummary.split("\n").join(" ")}`);
  }
  console.log(`ok   ${what}: ${r.passes.length} axe rules pass`);
};
const loggedIn = async (email) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/logga-in`);
  await page.fill("#email", email);
  await page.fill("#password", process.env.KVALITET_E2E_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("form.login button[type=submit]")]);
  return { context, page };
};
const submit = (page, action) =>
  Promise.all([page.waitForNavigation(), page.click(`form[action$='${action}'] button[type=submit]`)]);
// A screenshot is a picture for a reviewer, not a check: a capture that hangs on a loaded
// machine (Chromium's full-page capture has timed out in CI) is noted and the run goes on.
const screenshot = async (target, path, fullPage) => {
  try {
    await target.screenshot({ path, fullPage, timeout: 15000, animations: "disabled" });
  } catch (e) {
    console.log(`note: no screenshot ${path}: ${e.message.split("\n")[0]}`);
  }
};
// A staff page at a phone's and a desktop's width: no sideways scroll, and a screenshot of
// each for a reviewer (the viewport is put back to the desktop's).
const staffWidths = async (page, name) => {
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    if (scroll > inner) {
      // Name the outermost elements that stick out, so that the fix is easy to find.
      const wide = await page.evaluate(() => [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1
          && !(e.parentElement && e.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
        .slice(0, 3)
        .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + String(e.className).split(" ").join(".") : ""}`));
      fail(`staff page ${name} is ${scroll} px wide at ${inner} px: ${wide.join(", ")}`);
    }
    if (shots) await screenshot(page, `${shots}/staff-${name}-${width}.png`, true);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
};

for (const p of pages) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(base + p.path);
  const status = response ? response.status() : 0;
  if (status !== (p.status ?? 200)) fail(`${p.path}: HTTP ${status}`);
  const lang = await page.getAttribute("html", "lang");
  if (lang !== (p.path.startsWith("/en") ? "en" : "sv")) fail(`${p.path}: lang="${lang}"`);

  const axe = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  for (const v of axe.violations) {
    fail(`${p.path}: axe ${v.id} (${v.impact}): ${v.help}`);
    for (const n of v.nodes.slice(0, 3)) console.log(`     ${n.target.join(" ")}: ${n.failureSummary.split("\n").join(" ")}`);
  }
  if (p.map && (await page.locator("svg.map path").count()) < 200) fail(`${p.path}: the map has no municipalities`);

  // Keyboard: Tab through the page and collect what receives focus.
  const focusable = await page.evaluate(() => {
    const sel = "a[href], button, select, input:not([type=hidden]), textarea, [tabindex]:not([tabindex='-1'])";
    // What a closed <details> holds is reached by opening it from its summary, not by Tab.
    const folded = (e) => {
      const d = e.closest("details:not([open])");
      return d && !d.querySelector("summary")?.contains(e);
    };
    const els = [...document.querySelectorAll(sel)].filter((e) => !e.disabled && !folded(e));
    els.forEach((e, i) => e.setAttribute("data-kb", String(i)));
    return els.length;
  });
  const reached = new Set();
  for (let i = 0; i < focusable + 3; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => document.activeElement?.getAttribute("data-kb"));
    if (id !== null && id !== undefined) reached.add(id);
  }
  if (reached.size < focusable) fail(`${p.path}: keyboard reached ${reached.size} of ${focusable} links and controls`);
  // The first Tab lands on the skip link, and it leads to the main content.
  await page.keyboard.press("Home");
  await page.goto(base + p.path);
  await page.keyboard.press("Tab");
  const first = await page.evaluate(() => document.activeElement?.getAttribute("href"));
  if (!p.path.includes("/inbaddning/") && first !== "#main") fail(`${p.path}: first Tab goes to ${first}, not the skip link`);
  console.log(`ok   ${p.what} ${p.path}: ${axe.passes.length} axe rules pass, ${focusable} focusable reached by keyboard`);
  await context.close();

  // Phone first: at a phone's and a desktop's width the page never scrolls sideways (a wide
  // table scrolls inside its own region). Screenshots of both are kept for a reviewer.
  for (const [width, height] of [[360, 800], [1280, 900]]) {
    const sized = await browser.newContext({ viewport: { width, height } });
    const view = await sized.newPage();
    await view.goto(base + p.path);
    const { scroll, inner } = await view.evaluate(() => ({
      scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    if (scroll > inner) fail(`${p.path}: ${scroll} px wide at a ${inner} px screen`);
    // Chart text is drawn at 12 px or more at this width, and the value axis counts in nice
    // steps (1, 2, 2.5 or 5 × 10ⁿ) at equal distances.
    const charts = await view.evaluate(() => {
      const small = [], axes = [];
      const en = document.documentElement.lang === "en";
      for (const svg of document.querySelectorAll("svg.chart")) {
        if (svg.getClientRects().length === 0) continue; // the drawing for the other width
        for (const t of svg.querySelectorAll("text")) {
          const m = t.getScreenCTM();
          const px = parseFloat(getComputedStyle(t).fontSize) * (m ? Math.hypot(m.a, m.b) : 1);
          if (px < 11.95) small.push(`"${t.textContent}" at ${px.toFixed(1)} px`);
        }
        const ticks = [...svg.querySelectorAll('text.tick[text-anchor="end"]')].map((t) => {
          let s = t.textContent.replace(/[\s\u00a0]/g, "").replace("\u2212", "-");
          s = en ? s.replace(/,/g, "") : s.replace(",", ".");
          return Number(s);
        });
        if (ticks.length > 0) axes.push(ticks);
      }
      return { small, axes };
    });
    for (const s of charts.small) fail(`${p.path} at ${width} px: chart text ${s}`);
    for (const ticks of charts.axes) {
      const steps = ticks.slice(1).map((t, i) => Math.abs(t - ticks[i]));
      const step = steps[0];
      const mantissa = step / 10 ** Math.floor(Math.log10(step));
      const nice = [1, 2, 2.5, 5, 10].some((n) => Math.abs(mantissa - n) < 1e-6);
      if (ticks.some(Number.isNaN) || ticks.length < 2 || !nice || steps.some((s) => Math.abs(s - step) > step * 1e-6))
        fail(`${p.path} at ${width} px: axis ticks ${ticks.join(", ")} are not nice`);
    }
    if (shots) {
      const name = `${p.path.replace(/[^a-z0-9]+/gi, "_").replace(/^_|_$/g, "") || "start"}-${width}.png`;
      await screenshot(view, `${shots}/${name}`, false);
    }
    await sized.close();
  }
}
// Print: a municipality's page and a measure page fit a few A4 pages (they were 10 and 16).
{
  const context = await browser.newContext();
  const page = await context.newPage();
  for (const [path, most] of [[`/kommun/${kommun}`, 5], [`/kommun/${kommun}/matt/${kpi}`, 6]]) {
    await page.goto(base + path);
    const pdf = await page.pdf({ format: "A4" });
    const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
    if (pages < 1 || pages > most) fail(`${path} prints on ${pages} A4 pages (at most ${most})`);
    else console.log(`ok   ${path} prints on ${pages} A4 pages`);
  }
  await context.close();
}
// The municipality's own measurement, from login to the citizen page.
{
  const context = await browser.newContext();
  const page = await context.newPage();
  const axeCheck = async (what) => {
    const r = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    for (const v of r.violations) fail(`${what}: axe ${v.id} (${v.impact}): ${v.help}`);
    console.log(`ok   ${what}: ${r.passes.length} axe rules pass`);
  };
  await page.goto(`${base}/logga-in`);
  await page.fill("#email", "e2e@kommun.se");
  await page.fill("#password", process.env.KVALITET_E2E_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("form.login button[type=submit]")]);
  if (!page.url().endsWith("/att-gora")) fail(`login went to ${page.url()}`);
  await axeCheck("staff start page (Att göra)");
  await staffWidths(page, "todo");
  await page.goto(`${base}/konto`);
  await axeCheck("account page");
  await page.goto(`${base}/admin/kommun/${kommun}`);
  await axeCheck("administration page");
  const id = `X${kommun}-E2E`;
  await page.fill("#m-id", id);
  await page.fill("#m-title", "Nöjda besökare, andel (%)");
  await page.fill("#m-question", "Hur nöjda är besökarna i simhallen?");
  await page.fill("#m-unit", "procent");
  // A mistake sends the form back as typed, the problem beside its field and in a summary.
  await page.fill("#m-decimals", "9");
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/matt'] button")]);
  if (!(await page.locator(".error-summary a[href='#m-decimals']").count())) fail("no error summary linking to the field");
  if ((await page.inputValue("#m-title")) !== "Nöjda besökare, andel (%)") fail("the typed title was lost");
  await axeCheck("administration page with a form sent back");
  {
    await page.setViewportSize({ width: 360, height: 800 });
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    if (scroll > inner) fail(`the administration page is ${scroll} px wide at ${inner} px`);
    await page.setViewportSize({ width: 1280, height: 900 });
  }
  await page.fill("#m-decimals", "1");
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/matt'] button")]);
  // The values as Swedish Excel saves them: semicolons, decimal commas, no municipality column.
  await page.setInputFiles("#u-file", {
    name: "values.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`\ufeffkpi;year;value\n${id};2022;91,5\n${id};2021;88\n`),
  });
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/fil'] button")]);
  // First a preview of what the file changes; nothing is saved until the second click.
  if (!(await page.content()).includes("Spara 2 värden som utkast")) fail("the upload was not previewed");
  await axeCheck("preview of an upload");
  await staffWidths(page, "upload-preview");
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/fil/spara'] button")]);
  if (!(await page.content()).includes(`${id}</th>`)) fail("the uploaded drafts are not listed");
  await axeCheck("administration page with drafts");
  await staffWidths(page, "admin-drafts");
  // A draft is taken back alone; the other stays.
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/utkast/ta-bort']:has(input[name=year][value='2021']) button")]);
  if ((await page.locator("form[action$='/utkast/ta-bort']").count()) !== 1) fail("taking back one draft did not leave the other");
  else console.log("ok   one draft taken back, the other kept");
  // Publishing asks first: what becomes public, what it replaces.
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/publicera'] button")]);
  if (!(await page.content()).includes("Det här blir offentligt")) fail("publishing the drafts did not ask first");
  await axeCheck("confirmation before publishing drafts");
  await staffWidths(page, "confirm-drafts");
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/publicera'] button")]);
  await page.goto(`${base}/kommun/${kommun}/matt/${id}`);
  const published = await page.content();
  if (!published.includes("Hur nöjda är besökarna i simhallen?") || !published.includes("91,5")) {
    fail("the published value is not on the citizen page");
  } else {
    console.log("ok   login, define, upload, publish: the value is on the citizen page");
  }
  await page.goto(`${base}/kommun/${kommun}/logg`);
  await axeCheck("audit trail page");
  await staffWidths(page, "audit");
  // Typed work is not lost by a stray tap: leaving asks first.
  await page.goto(`${base}/admin/kommun/${kommun}`);
  await page.click("#c-comment");
  await page.keyboard.type("Ett utkast till kommentar");
  const asked = new Promise((resolve) => {
    const timer = setTimeout(() => resolve("none"), 5000);
    page.once("dialog", async (d) => { clearTimeout(timer); resolve(d.type()); await d.dismiss(); });
  });
  await page.click("a.brand", { noWaitAfter: true });
  if ((await asked) !== "beforeunload") fail("leaving a page with unsaved changes did not ask first");
  else console.log("ok   leaving unsaved changes asks first");
  page.once("dialog", (d) => d.accept());
  await Promise.all([page.waitForNavigation(), page.click("a.brand")]);
  await context.close();
}

// Goals for the municipality's people: the plans, a goal judged (a refusal first), a period
// closed into its snapshot, which residents read.
{
  const context = await browser.newContext();
  const page = await context.newPage();
  const axeCheck = async (what) => {
    const r = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    for (const v of r.violations) {
      fail(`${what}: axe ${v.id} (${v.impact}): ${v.help}`);
      for (const n of v.nodes.slice(0, 3)) console.log(`     ${n.target.join(" ")}: ${n.failureSummary.split("\n").join(" ")}`);
    }
    console.log(`ok   ${what}: ${r.passes.length} axe rules pass`);
  };
  const submit = (action) =>
    Promise.all([page.waitForNavigation(), page.click(`form[action$='${action}'] button[type=submit]`)]);
  await page.goto(`${base}/logga-in`);
  await page.fill("#email", "e2e@kommun.se");
  await page.fill("#password", process.env.KVALITET_E2E_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("form.login button[type=submit]")]);
  await page.goto(`${base}/admin/kommun/${kommun}/mal`);
  await axeCheck("goals staff page");
  await staffWidths(page, "goals");
  await page.goto(`${base}/admin/kommun/${kommun}/mal/kf1`);
  await page.check("#s-status-partly");
  // Blanks pass the browser's own check of a required field; the server's check refuses them.
  await page.fill("#s-motivation", "   ");
  await submit("/kf1/status");
  if (!(await page.locator(".error-summary a[href='#s-motivation']").count())) fail("a judgement without a motivation was not sent back");
  await axeCheck("a goal's page with the judgement sent back");
  await page.fill("#s-motivation", "Fler elever når målen, men inte på alla skolor.");
  await submit("/kf1/status");
  if (!(await page.content()).includes("inte på alla skolor")) fail("the judgement is not on the goal's page");
  await axeCheck("a goal's page with its judgement");
  await staffWidths(page, "goal");
  await page.goto(`${base}/admin/kommun/${kommun}/mal`);
  await page.selectOption("#c-kind", "annual");
  await page.fill("#c-year", "2022");
  await submit("/mal/period");
  if (!(await page.content()).includes("helar-2022")) fail("the closed period is not listed");
  for (const prefix of ["", "/en"]) {
    await page.goto(`${base}${prefix}/kommun/${kommun}/mal/uppfoljning/helar-2022`);
    await axeCheck(`closed period page ${prefix || "/"}`);
  }
  await staffWidths(page, "goal-period");
  if (!(await page.content()).includes("inte på alla skolor")) {
    fail("the period page does not show the motivation");
  } else {
    console.log("ok   goals: judged with a motivation, a period closed, its snapshot on the residents' page");
  }
  // The goal-by-goal editor: a new goal in the draft, then an indicator on its page, sent
  // back once for a target path that does not read.
  await page.goto(`${base}/admin/kommun/${kommun}/mal`);
  await page.fill("#n-id", "kf9");
  await page.fill("#n-title", "Tryggare gator");
  await page.selectOption("#n-level", "kf");
  await page.selectOption("#n-parent", "vision");
  await submit("/malplan/nytt-mal");
  if (!page.url().includes("/mal/kf9")) fail(`a new goal did not lead to its page: ${page.url()}`);
  await axeCheck("a new goal's page with its editor");
  await page.fill("#in-measure", kpi);
  await page.fill("#in-baseline_year", "2015");
  await page.fill("#in-targets", "2024: tjugo");
  await submit("/kf9/indikator");
  if (!(await page.locator(".error-summary a[href='#in-targets']").count())) fail("a target path that does not read was not sent back");
  if ((await page.inputValue("#in-targets")) !== "2024: tjugo") fail("the target path typed was lost");
  await axeCheck("an indicator sent back");
  await page.fill("#in-targets", "2024: 90");
  await submit("/kf9/indikator");
  if (!(await page.locator("#i0-measure").count())) fail("the indicator was not saved");
  await staffWidths(page, "goal-editor");
  await context.close();
}

// A survey: built from a template, previewed and opened by the administrator, answered by a
// resident on a phone through its open address (an empty page sent back first), and its
// results read by staff.
{
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/logga-in`);
  await page.fill("#email", "e2e@kommun.se");
  await page.fill("#password", process.env.KVALITET_E2E_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("form.login button[type=submit]")]);
  await page.goto(`${base}/admin/kommun/${kommun}/enkater`);
  await axeCheck(page, "surveys page");
  await staffWidths(page, "surveys");
  await page.fill("#n-code", "bibliotek-e2e");
  await page.selectOption("#n-template", "brukarundersokning");
  await page.check("#n-open_link");
  await submit(page, "/enkater");
  const surveyUrl = page.url().split("?")[0];
  if (!/\/enkater\/\d+$/.test(surveyUrl)) fail(`a new survey did not lead to its page: ${page.url()}`);
  await axeCheck(page, "a survey's page");
  await staffWidths(page, "survey");
  await page.goto(`${surveyUrl}/forhandsvisning`);
  await axeCheck(page, "a survey's preview");
  await page.goto(surveyUrl);
  await submit(page, "/status");
  const resident = await browser.newContext({ viewport: { width: 360, height: 800 } });
  const phone = await resident.newPage();
  for (const prefix of ["", "/en"]) {
    await phone.goto(`${base}${prefix}/kommun/${kommun}/enkat/bibliotek-e2e`);
    await axeCheck(phone, `survey answer page ${prefix || "/"}`);
  }
  await staffWidths(phone, "survey-answer");
  await phone.setViewportSize({ width: 360, height: 800 });
  await phone.goto(`${base}/kommun/${kommun}/enkat/bibliotek-e2e`);
  await submit(phone, "/enkat/bibliotek-e2e");
  if (!(await phone.locator(".error-summary").count())) fail("an empty answer page was not sent back");
  await axeCheck(phone, "survey answer page sent back");
  await phone.check("input[name=bemotande][value='4']");
  await phone.check("input[name=helhet][value='5']");
  await submit(phone, "/enkat/bibliotek-e2e");
  if (!(await phone.content()).includes("Tack!")) fail("the answers were not taken");
  await axeCheck(phone, "survey thank-you page");
  await resident.close();
  await page.goto(`${surveyUrl}/resultat`);
  await axeCheck(page, "survey results");
  await staffWidths(page, "survey-results");
  if (!(await page.content()).includes("Inte statistiskt representativt")) fail("open-link results are not labelled");
  else console.log("ok   survey: built, opened, answered on a phone, results labelled self-selected");
  // A panel: members and the population from files, the panel beside the population.
  await page.goto(`${base}/admin/kommun/${kommun}/paneler`);
  await axeCheck(page, "panels page");
  await page.fill("#n-title", "Medborgarpanelen E2E");
  await page.fill("#n-code", "panel-e2e");
  await submit(page, "/paneler");
  const members = "email,recruitment,age_band,sex\n" + Array.from({ length: 20 }, (_, i) =>
    `m${i}@example.se,${i % 4 ? "probability" : "self"},${i % 3 ? "40-" : "18-39"},${i % 2 ? "K" : "M"}`).join("\n");
  await page.setInputFiles("#a-file", { name: "members.csv", mimeType: "text/csv", buffer: Buffer.from(members) });
  await submit(page, "/medlemmar");
  await page.fill("#b-reference_date", "2025-12-31");
  await page.setInputFiles("#b-file", { name: "pop.csv", mimeType: "text/csv",
    buffer: Buffer.from("variable,level,share\nage_band,18-39,0.4\nage_band,40-,0.6\nsex,K,0.5\nsex,M,0.5\n") });
  await submit(page, "/befolkning");
  if (!(await page.content()).includes("2025-12-31")) fail("the population margins were not imported");
  await axeCheck(page, "a panel's page");
  await staffWidths(page, "panel");
  // A citizen budget: a round set up with its rules, projects added and judged, voting
  // opened; the ballot page on a phone (an empty ballot sent back); and a counted round read
  // from a .pb file, whose public page explains the result.
  const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
  await page.goto(`${base}/admin/kommun/${kommun}/medborgarbudget`);
  await axeCheck(page, "citizen budgets page");
  await staffWidths(page, "budgets");
  await page.fill("#n-title", "Medborgarbudget E2E");
  await page.fill("#n-code", "mb-e2e");
  await page.fill("#n-description", "Förslag för parker och lekplatser i hela kommunen.");
  await page.fill("#n-amount", "500000");
  await page.fill("#n-max_projects", "2");
  await page.fill("#n-first_day", day(-1));
  await page.fill("#n-last_day", day(14));
  await page.fill("#n-areas", "Norr\nSöder");
  await submit(page, "/medborgarbudget");
  const budgetUrl = page.url().split("?")[0];
  if (!/\/medborgarbudget\/\d+$/.test(budgetUrl)) fail(`a new round did not lead to its page: ${page.url()}`);
  for (const [code, title, cost] of [["lek", "Ny lekplats i Norrparken", "250000"], ["bank", "Parkbänkar längs ån", "120000"], ["ljus", "Belysning på gångvägen", "200000"]]) {
    await page.fill("#p-title", title);
    await page.fill("#p-code", code);
    await page.fill("#p-cost", cost);
    await submit(page, "/projekt");
  }
  for (let i = 0; i < 3; i++) {
    const form = page.locator("form[action*='/projekt/']").nth(i);
    await form.locator("input[value=yes]").check();
    await Promise.all([page.waitForNavigation(), form.locator("button[type=submit]").click()]);
  }
  await axeCheck(page, "a citizen budget's page");
  await staffWidths(page, "budget");
  await submit(page, "/oppna");
  if (!(await page.content()).includes("lotten dragen")) fail("voting was not opened");
  const voter = await browser.newContext({ viewport: { width: 360, height: 800 } });
  const ballot = await voter.newPage();
  for (const prefix of ["", "/en"]) {
    await ballot.goto(`${base}${prefix}/kommun/${kommun}/medborgarbudget/mb-e2e`);
    await axeCheck(ballot, `ballot page ${prefix || "/"}`);
  }
  await staffWidths(ballot, "budget-ballot");
  await ballot.goto(`${base}/kommun/${kommun}/medborgarbudget/mb-e2e`);
  await submit(ballot, "/medborgarbudget/mb-e2e");
  if (!(await ballot.locator(".error-summary").count())) fail("an empty ballot was not sent back");
  await axeCheck(ballot, "ballot page sent back");
  const pb = "META\nkey;value\nnum_projects;3\nnum_votes;5\nbudget;300000\nvote_type;approval\n" +
    "PROJECTS\nproject_id;cost;votes;name\nlek;200000;4;Ny lekplats\nbank;100000;2;Parkbänkar\nljus;150000;2;Belysning\n" +
    "VOTES\nvoter_id;vote\n1;lek\n2;lek,bank\n3;lek,ljus\n4;lek\n5;ljus,bank\n";
  await page.goto(`${base}/admin/kommun/${kommun}/medborgarbudget`);
  await page.setInputFiles("#i-file", { name: "park.pb", mimeType: "text/plain", buffer: Buffer.from(pb) });
  await page.fill("#i-code", "park-e2e");
  await page.fill("#i-first_day", day(-30));
  await page.fill("#i-last_day", day(-16));
  await submit(page, "/medborgarbudget/fil");
  for (const prefix of ["", "/en"]) {
    await ballot.goto(`${base}${prefix}/kommun/${kommun}/medborgarbudget/park-e2e`);
    await axeCheck(ballot, `citizen budget result ${prefix || "/"}`);
  }
  await staffWidths(ballot, "budget-result");
  if (!(await ballot.content()).includes("What each rule would have chosen")) fail("the result page does not compare the rules");
  else console.log("ok   citizen budget: set up, opened, ballot on a phone, a counted round explained");
  // A round by e-mail: the ballot asks for an address; an empty ballot comes back with both
  // problems beside their fields.
  await page.goto(`${base}/admin/kommun/${kommun}/medborgarbudget`);
  await page.fill("#n-title", "Skolgårdar E2E");
  await page.fill("#n-code", "mb-epost");
  await page.fill("#n-amount", "300000");
  await page.selectOption("#n-identification", "email");
  await page.fill("#n-first_day", day(-1));
  await page.fill("#n-last_day", day(14));
  await submit(page, "/medborgarbudget");
  await page.fill("#p-title", "Klätterställning på skolgården");
  await page.fill("#p-code", "klatter");
  await page.fill("#p-cost", "150000");
  await submit(page, "/projekt");
  {
    const form = page.locator("form[action*='/projekt/']").first();
    await form.locator("input[value=yes]").check();
    await Promise.all([page.waitForNavigation(), form.locator("button[type=submit]").click()]);
  }
  await submit(page, "/oppna");
  await axeCheck(page, "a citizen budget by e-mail, staff page");
  for (const prefix of ["", "/en"]) {
    await ballot.goto(`${base}${prefix}/kommun/${kommun}/medborgarbudget/mb-epost`);
    await axeCheck(ballot, `ballot page by e-mail ${prefix || "/"}`);
  }
  if (!(await ballot.locator("input[name=email]").count())) fail("a round by e-mail does not ask for an address");
  await submit(ballot, "/medborgarbudget/mb-epost");
  if (!(await ballot.locator("#v-email-error").count())) fail("a ballot without an address was not sent back");
  await axeCheck(ballot, "ballot page by e-mail sent back");
  await staffWidths(ballot, "budget-ballot-email");
  // E-förslag: the rules set by staff; a resident on a resident2 writes a proposal (an empty one
  // sent back first) and confirms it from the mailed link, read from the outbox as a mailbox;
  // staff publish it; a signature reaches the threshold; the nämnd's decision is published.
  const mailedLink = (to) => {
    const sql = "SELECT body FROM outbox WHERE recipient = ? ORDER BY id DESC LIMIT 1";
    const body = execFileSync("python3", ["-c",
      "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2], (sys.argv[3],)).fetchone()[0])",
      process.env.KVALITET_E2E_DB, sql, to]).toString();
    const m = body.match(/\/kommun\/\d{4}\/e-forslag\/bekrafta\/[0-9a-f]+/);
    if (!m) fail(`no confirmation link in the mail to ${to}`);
    return m ? m[0] : "/";
  };
  await page.goto(`${base}/admin/kommun/${kommun}/e-forslag`);
  await axeCheck(page, "e-proposals staff page");
  await page.fill("#r-threshold_value", "1");
  await page.fill("#r-answer_working_days", "20");
  await page.fill("#r-areas", "Skola\nMiljö\nTrafik");
  // Only residents take part: each says the area where they live.
  await page.fill("#r-residence_areas", "Centrum\nNorra\nSödra");
  await page.fill("#r-rules", "Förslaget ska gälla något kommunen ansvarar för och hålla god ton.");
  await submit(page, "/e-forslag");
  const resident2 = await voter.newPage();
  await resident2.setViewportSize({ width: 360, height: 800 });
  for (const prefix of ["", "/en"]) {
    await resident2.goto(`${base}${prefix}/kommun/${kommun}/e-forslag`);
    await axeCheck(resident2, `e-proposals ${prefix || "/"}`);
    await resident2.goto(`${base}${prefix}/kommun/${kommun}/e-forslag/nytt`);
    await axeCheck(resident2, `new e-proposal ${prefix || "/"}`);
  }
  await resident2.goto(`${base}/kommun/${kommun}/e-forslag/nytt`);
  await submit(resident2, "/e-forslag/nytt");
  if (!(await resident2.locator(".error-summary").count())) fail("an empty proposal was not sent back");
  if (!(await resident2.locator("#p-residence-error").count())) fail("a proposal without the area where its proposer lives was not sent back");
  await axeCheck(resident2, "new e-proposal sent back");
  await resident2.fill("#p-title", "Fler cykelställ vid stationen");
  await resident2.fill("#p-body", "Det saknas platser på morgonen.\nFler ställ skulle få fler att cykla.");
  await resident2.selectOption("#p-area", "Trafik");
  await resident2.fill("#p-email", "boende@exempel.se");
  await resident2.fill("#p-name", "Kim Boende");
  await resident2.selectOption("#p-residence", "Norra");
  // A place clicked on the map (without script: the image button sends the pixel), when the
  // municipality's boundary is loaded; a photo attached last.
  const map = resident2.locator("input.map-pick");
  const hadMap = (await map.count()) > 0;
  if (hadMap) {
    const box = await map.boundingBox();
    if (!box || box.width > 300 || box.height > 300) fail(`the map to click is not drawn at its own size: ${JSON.stringify(box)}`);
    await Promise.all([resident2.waitForNavigation(), map.click({ position: { x: box.width / 2, y: box.height / 2 } })]);
    if (!((await resident2.locator("p.notice").textContent()) || "").includes("Platsen är vald")) fail("a click on the map set no place");
    if ((await resident2.inputValue("#p-title")) !== "Fler cykelställ vid stationen") fail("a click on the map lost the title");
    await axeCheck(resident2, "new e-proposal with a place clicked on the map");
    await staffWidths(resident2, "proposal-place");
    await resident2.setViewportSize({ width: 360, height: 800 });
  }
  await resident2.setInputFiles("#p-files", "crates/kvalitet-formats/tests/fixtures/attachments/lekplats.png");
  await submit(resident2, "/e-forslag/nytt");
  if (!(await resident2.content()).includes("boende@exempel.se")) fail(`the proposal with a place and a file was not sent: ${(await resident2.locator(".error-summary").textContent()) || ""}`);
  await axeCheck(resident2, "e-proposal: check your mail");
  await resident2.goto(base + mailedLink("boende@exempel.se"));
  await axeCheck(resident2, "e-proposal: confirm");
  await staffWidths(resident2, "proposal-confirm");
  await resident2.setViewportSize({ width: 360, height: 800 });
  await Promise.all([resident2.waitForNavigation(), resident2.click("form[action*='/bekrafta/'] button[type=submit]")]);
  if (!(await resident2.content()).includes("Ditt förslag har kommit in")) fail("the proposal was not confirmed");
  await page.goto(`${base}/admin/kommun/${kommun}/e-forslag`);
  const proposalUrl = await page.locator("a[href*='/e-forslag/']").filter({ hasText: "cykelställ" }).first().getAttribute("href");
  await page.goto(base + proposalUrl.replace(/^https?:\/\/[^/]+/, ""));
  await axeCheck(page, "an e-proposal awaiting moderation");
  await staffWidths(page, "proposal-moderation");
  await page.fill("#g-committee", "Trafiknämnden");
  await submit(page, "/granska");
  const number = proposalUrl.split("/").pop();
  await resident2.goto(`${base}/kommun/${kommun}/e-forslag/${number}`);
  await resident2.fill("#s-email", "granne@exempel.se");
  await resident2.selectOption("#s-residence", "Centrum");
  await submit(resident2, `/e-forslag/${number}`);
  await resident2.goto(base + mailedLink("granne@exempel.se"));
  await Promise.all([resident2.waitForNavigation(), resident2.click("form[action*='/bekrafta/'] button[type=submit]")]);
  if (!(await resident2.content()).includes("nått gränsen")) fail("the signature did not reach the threshold");
  await page.reload();
  await axeCheck(page, "an e-proposal with the committee");
  await page.selectOption("#b-decision", "approved");
  await page.fill("#b-answer", "Trettio nya platser byggs under våren.");
  await submit(page, "/beslut");
  // Followed up under a goal of the published plan, linked from the public page.
  if (!(await page.locator("#g-goal").count())) fail("a decided proposal offers no goal to follow it up under");
  await page.selectOption("#g-goal", "kf1");
  await submit(page, `/e-forslag/${number}/mal`);
  await axeCheck(page, "an e-proposal linked to a goal");
  for (const prefix of ["", "/en"]) {
    await resident2.goto(`${base}${prefix}/kommun/${kommun}/e-forslag/${number}`);
    await axeCheck(resident2, `a decided e-proposal ${prefix || "/"}`);
  }
  if (!(await resident2.locator(`a[href$='/mal#goal-kf1']`).count())) fail("the decided proposal does not link to its goal");
  if (!(await resident2.locator("a[href$='/bilaga/1']").count())) fail("the decided proposal does not list its file");
  if (!((await resident2.content()).includes("Signatures by residence area"))) fail("the decided proposal does not count its signers by area");
  if (hadMap && !(await resident2.locator("img.place-map").count())) fail("the decided proposal does not show its place on the map");
  await staffWidths(resident2, "proposal-decided");
  await resident2.goto(`${base}/kommun/${kommun}/e-forslag`);
  await staffWidths(resident2, "proposals");
  if (!(await resident2.content()).includes("Hålls löftet?")) fail("the e-proposals page does not say how promises were kept");
  else console.log("ok   e-proposals: rules, written and confirmed on a phone, published, signed, decided");
  // The year's participation as measures: the figures seen first, then published.
  await page.goto(`${base}/admin/kommun/${kommun}/delaktighet?ar=${new Date().getFullYear()}`);
  await axeCheck(page, "participation before publishing");
  await staffWidths(page, "participation");
  await submit(page, "/delaktighet");
  if (!(await page.content()).includes("Deltagandet är publicerat")) fail("participation was not published");
  await resident2.goto(`${base}/kommun/${kommun}/matt/DIAL-LOFTE`);
  await axeCheck(resident2, "the participation measure's page");
  // E-dialogue: staff set one up; a resident joins on a phone from the mailed link, which
  // becomes their page, and writes a statement; staff publish it; another answers it.
  await page.goto(`${base}/admin/kommun/${kommun}/dialog`);
  await axeCheck(page, "e-dialogues staff page");
  await submit(page, "/dialog");
  if (!(await page.locator(".error-summary").count())) fail("an empty dialogue was not sent back");
  await axeCheck(page, "e-dialogue set-up sent back");
  await page.fill("#n-question", "Hur ska torget bli bättre?");
  await page.fill("#n-description", "Torget byggs om nästa år. Svaren styr vad som prioriteras.");
  await page.fill("#n-opens_on", day(-1));
  await page.fill("#n-closes_on", day(30));
  await page.fill("#n-areas", "Norr\nSöder");
  await submit(page, "/dialog");
  const dialogueNumber = page.url().split("?")[0].split("/").pop();
  await axeCheck(page, "an e-dialogue for staff");
  const dialoguePath = `/kommun/${kommun}/dialog/${dialogueNumber}`;
  const joinDialogue = async (who, email) => {
    await who.goto(base + dialoguePath);
    await who.fill("#j-email", email);
    await who.selectOption("#j-area", "Norr");
    await who.selectOption("#j-age_band", "30-44");
    await submit(who, dialoguePath);
    await who.goto(base + mailedLink(email));
    await Promise.all([who.waitForNavigation(), who.click("form[action*='/bekrafta/'] button[type=submit]")]);
    if (!who.url().includes("/deltagare/")) fail(`${email} did not land on their dialogue page`);
  };
  for (const prefix of ["", "/en"]) {
    await resident2.goto(`${base}${prefix}${dialoguePath}`);
    await axeCheck(resident2, `an open e-dialogue ${prefix || "/"}`);
  }
  await joinDialogue(resident2, "deltagare@exempel.se");
  await axeCheck(resident2, "a participant's dialogue page");
  await resident2.fill("#w-statement", "Fler träd och bänkar i skuggan");
  await submit(resident2, "/skriv");
  await axeCheck(resident2, "a participant's page after writing");
  await staffWidths(resident2, "dialogue-participant");
  await page.goto(`${base}/admin/kommun/${kommun}/dialog/${dialogueNumber}`);
  await axeCheck(page, "an e-dialogue with a statement to moderate");
  await staffWidths(page, "dialogue-moderation");
  await submit(page, "/pastaende/1");
  const other = await voter.newPage();
  await other.setViewportSize({ width: 360, height: 800 });
  await joinDialogue(other, "granne2@exempel.se");
  if (!(await other.content()).includes("Fler träd")) fail("the published statement is not offered");
  await Promise.all([other.waitForNavigation(), other.click("form[action$='/rosta'] button[value=agree]")]);
  await axeCheck(other, "a participant's page after answering");
  for (const prefix of ["", "/en"]) {
    await other.goto(`${base}${prefix}${dialoguePath}`);
    await axeCheck(other, `an e-dialogue's result ${prefix || "/"}`);
  }
  await staffWidths(other, "dialogue-result");
  await other.goto(`${base}/kommun/${kommun}/dialog`);
  await axeCheck(other, "the e-dialogues list");
  if (!(await other.content()).includes("Deltagare: 2. Svar på påståenden: 1.")) fail("the dialogue list does not count participation");
  else console.log("ok   e-dialogue: set up, joined and written on a phone, moderated, answered, result shown");
  await voter.close();
  await context.close();
}

// An assessment round: the administrator leads a self-assessment, the coordinator reviews
// and publishes it, and residents read the report.
{
  const lead = await loggedIn("e2e@kommun.se");
  let page = lead.page;
  await page.goto(`${base}/admin/kommun/${kommun}/bedomningar`);
  await axeCheck(page, "assessment rounds page");
  await staffWidths(page, "rounds");
  await page.fill("#n-title", "Delaktighetsindex E2E");
  await page.selectOption("#n-framework", "delaktighetsindex|B");
  await page.selectOption("#n-kind", "self_assessment");
  await page.fill("#n-year", "2022");
  await submit(page, "/bedomningar");
  const roundUrl = page.url();
  await page.fill("#p-email", "e2e@kommun.se");
  await page.selectOption("#p-role", "lead");
  await submit(page, "/bedomare");
  await axeCheck(page, "assessment work page with the answer form");
  await staffWidths(page, "round");
  const selects = await page.locator("select[name^='a.']").all();
  for (const [i, s] of selects.entries()) await s.selectOption(i % 2 === 0 ? "Ja" : "Delvis");
  await page.fill("textarea[name='e.d1']", "Medborgardialog hölls i mars");
  await submit(page, "/svar");
  await page.fill("textarea[name='r.d1']", "Dialog i mars med 40 deltagare");
  await submit(page, "/konsensus");
  await axeCheck(page, "assessment work page after consensus");
  await submit(page, "/steg");
  if (!(await page.content()).includes("Inlämnad")) fail("the round was not submitted");
  const coordinator = await loggedIn("samordnare@skr.se");
  page = coordinator.page;
  await page.goto(roundUrl);
  const step = (name) =>
    Promise.all([page.waitForNavigation(), page.click(`form[action$='/steg']:has(input[value=${name}]) button`)]);
  await step("review");
  await step("publish");
  await axeCheck(page, "confirmation before publishing an assessment round");
  await step("publish");
  if (!(await page.content()).includes("Publicerad")) fail("the round was not published");
  await page.goto(`${base}/admin/ramverk?id=delaktighetsindex&version=B`);
  await axeCheck(page, "framework editor");
  await coordinator.context.close();
  await lead.context.close();

  const resident = await browser.newContext();
  page = await resident.newPage();
  const id = roundUrl.split("/").pop();
  for (const prefix of ["", "/en"]) {
    const r = await page.goto(`${base}${prefix}/kommun/${kommun}/bedomning/${id}`);
    if (r.status() !== 200) fail(`assessment report: HTTP ${r.status()}`);
    await axeCheck(page, `assessment report ${prefix || "/"}`);
  }
  const report = await page.content();
  if (!report.includes("Dialog i mars med 40 deltagare")) fail("the report does not show the agreed reason");
  if (report.includes("Medborgardialog hölls i mars")) fail("the report shows an assessor's internal evidence");
  else console.log("ok   assessment round: created, answered, agreed, submitted, reviewed, published, reported");
  // The published round is reopened to be corrected: residents are told why.
  const corrector = await loggedIn("samordnare@skr.se");
  await corrector.page.goto(roundUrl);
  await corrector.page.fill("#ratta-reason", "Fråga 1 bedömdes på fel underlag.");
  await Promise.all([corrector.page.waitForNavigation(), corrector.page.click("form[action$='/ratta'] button")]);
  if (!(await corrector.page.content()).includes("öppnad för rättelse")) fail("the round was not reopened");
  await corrector.context.close();
  const away = await page.goto(`${base}/kommun/${kommun}/bedomning/${id}`);
  const awayText = await page.content();
  if (away.status() !== 404 || !awayText.includes("Fråga 1 bedömdes på fel underlag.")) fail("residents are not told why the round is away");
  else console.log("ok   a published round reopened for correction, with its reason for residents");
  await axeCheck(page, "report of a round being corrected");
  await resident.close();
}

// A national service round: the coordinator sets it up and uploads contacts, the planned
// tester registers a call on the phone form, and residents read the published figures.
{
  const coordinator = await loggedIn("samordnare@skr.se");
  let page = coordinator.page;
  await page.goto(`${base}/admin/service`);
  await axeCheck(page, "service rounds page");
  await page.fill("#s-title", "Servicemätning E2E");
  await page.fill("#s-year", "2022");
  await submit(page, "/admin/service");
  const roundUrl = page.url().split("?")[0];
  await page.fill("#medlemmar-text", `${kommun}, ${other}`);
  await submit(page, "/medlemmar");
  await page.fill("#fragor-text", "id;area;text\nq1;bygglov;Behöver jag bygglov för en altan?\nq2;förskola;Hur söker jag förskoleplats?");
  await submit(page, "/fragor");
  // A refused plan comes back as typed, its problems beside it and summed up above.
  await page.fill("#plan-text", "municipality_id;question_id;channel;planned_on;tester\n9999;q9;fax;;");
  await submit(page, "/plan");
  if (!(await page.content()).includes("error-summary") || !(await page.inputValue("#plan-text")).includes("9999;q9;fax")) fail("a refused plan did not come back as typed with its problems");
  else console.log("ok   a refused plan comes back as typed");
  await axeCheck(page, "service round page with a refused plan");
  await page.fill("#plan-text", `municipality_id;question_id;channel;planned_on;tester\n${other};q2;phone;2022-03-07;e2e@kommun.se\n${kommun};q2;phone;2022-03-08;ny.testare@skr.se`);
  await submit(page, "/plan");
  await page.fill("#sista-dag-text", "2022-03-31");
  await submit(page, "/sista-dag");
  if (!(await page.content()).includes("Sista dagen är sparad")) fail("the round's deadline was not saved");
  // A planned tester without an account is invited from the round's page.
  await submit(page, "/testare");
  if (!(await page.content()).includes("invitation-link")) fail("the tester's invitation link is not shown");
  await axeCheck(page, "service round page with a tester's invitation");
  await page.setInputFiles("#kontakter-file", {
    name: "kontakter.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`municipality_id,question_id,channel,tester,sent_at,answered_at,relevance,direct_answer,wait_seconds,reception\n${kommun},q1,email,t@skr.se,2022-03-07T09:00:00+01:00,2022-03-08T09:00:00+01:00,yes,,,\n${kommun},q1,phone,t@skr.se,2022-03-07T10:00:00+01:00,,,ja,40,3\n`),
  });
  await submit(page, "/fil/kontakter");
  await axeCheck(page, "service round page with figures");
  await staffWidths(page, "service-round");
  // The tester's day: Att göra (with the deadline), the round's contact form, a tap on the
  // planned test fills it in.
  const tester = await loggedIn("e2e@kommun.se");
  if (!tester.page.url().endsWith("/att-gora")) fail(`the tester landed on ${tester.page.url()}`);
  if (!(await tester.page.content()).includes("Sista dagen 31 mars har passerat")) fail("Att göra does not show the round's deadline");
  await Promise.all([tester.page.waitForNavigation(), tester.page.click(`a[href$='${new URL(roundUrl).pathname}/kontakt']`)]);
  await axeCheck(tester.page, "phone-friendly contact form");
  await staffWidths(tester.page, "contact");
  await Promise.all([tester.page.waitForNavigation(), tester.page.click("a[href*='kanal=phone']")]);
  if ((await tester.page.inputValue("#c-question")) !== "q2" || (await tester.page.inputValue("#c-municipality")) !== other) fail("tapping the planned test did not fill the form");
  else console.log("ok   the tester's day: Att göra, the round, a tap fills the form");
  await tester.page.fill("#c-sent_at", "2022-03-07T10:15");
  if (await tester.page.isVisible("#c-relevance")) fail("the e-mail fields show for a call");
  await tester.page.selectOption("#c-direct_answer", "nej");
  await tester.page.selectOption("#c-reception", "2");
  await submit(tester.page, "/kontakt");
  if (!(await tester.page.content()).includes("Kontakten är sparad")) fail("the tester's contact was not saved");
  await tester.context.close();
  await page.goto(roundUrl);
  await submit(page, "/publicera");
  await axeCheck(page, "confirmation before publishing a service round");
  if (!(await page.content()).includes("Det här blir offentligt")) fail("publishing the service round did not ask first");
  await submit(page, "/publicera");
  await page.goto(`${base}/admin/epost`);
  await axeCheck(page, "the e-mail outbox");
  await staffWidths(page, "outbox");
  await coordinator.context.close();
  const resident = await browser.newContext();
  page = await resident.newPage();
  const id = roundUrl.split("/").pop();
  for (const prefix of ["", "/en"]) {
    const r = await page.goto(`${base}${prefix}/servicematning/${id}`);
    if (r.status() !== 200) fail(`service results: HTTP ${r.status()}`);
    await axeCheck(page, `service results ${prefix || "/"}`);
  }
  const r = await page.goto(`${base}/kommun/${kommun}/matt/SERV-BEMOT`);
  if (r.status() !== 200 || !(await page.content()).includes("100")) fail("the published reception figure is not on the citizen page");
  else console.log("ok   service round: set up, contacts uploaded and registered, published, on the citizen page");
  await resident.close();
}

// Sveriges Kvalitetskommun, step 2 and the jury: the kommun's editor writes a description
// (a bad evidence link sent back beside its field), the dossier is read, the national
// coordinator nominates, scores and publishes, and residents read the published result.
{
  const year = 2026;
  const editor = await loggedIn("e2e@kommun.se");
  let page = editor.page;
  const write = `/admin/kommun/${kommun}/kvalitetskommun/${year}`;
  await page.goto(base + write);
  await axeCheck(page, "the award descriptions form");
  await page.fill("#digitalisering-body", "Alla e-tjänster är samlade på en plats sedan 2024.");
  await page.fill("#digitalisering-evidence", "E-tjänster | ftp://exempel.se/tjanster");
  await Promise.all([page.waitForNavigation(), page.click("section#digitalisering button[type=submit]")]);
  if (!(await page.locator(".error-summary a[href='#digitalisering-evidence']").count())) fail("a bad evidence link was not sent back beside its field");
  if ((await page.inputValue("#digitalisering-body")) !== "Alla e-tjänster är samlade på en plats sedan 2024.") fail("the typed description was lost");
  await axeCheck(page, "the award descriptions form sent back");
  await page.fill("#digitalisering-evidence", `Kommunens sida | /kommun/${kommun}`);
  await Promise.all([page.waitForNavigation(), page.click("section#digitalisering button[type=submit]")]);
  await staffWidths(page, "award-descriptions");
  await page.goto(`${base}/kvalitetskommun/underlag/${year}/${kommun}`);
  if (!(await page.content()).includes("Alla e-tjänster är samlade")) fail("the dossier does not hold the description");
  await axeCheck(page, "the award dossier");
  await staffWidths(page, "award-dossier");
  await editor.context.close();

  const jury = await loggedIn("samordnare@skr.se");
  page = jury.page;
  await page.goto(`${base}/admin/kvalitetskommun/${year}`);
  await axeCheck(page, "the jury's page");
  await page.fill("#n-nominees", `${kommun} ${other}`);
  await submit(page, "/nominerade");
  await page.selectOption(`#s-${kommun}-hme-score`, "4");
  await page.fill(`#s-${kommun}-hme-note`, "Stark utveckling.");
  await Promise.all([page.waitForNavigation(), page.click(`form:has(#s-${kommun}-hme-score) button[type=submit]`)]);
  await axeCheck(page, "the jury's page with nominees and a score");
  await staffWidths(page, "award-jury");
  await submit(page, "/publicera");
  await jury.context.close();

  const resident = await browser.newContext();
  page = await resident.newPage();
  for (const prefix of ["", "/en"]) {
    const r = await page.goto(`${base}${prefix}/kvalitetskommun/jury/${year}`);
    if (r.status() !== 200) fail(`the published jury result: HTTP ${r.status()}`);
    await axeCheck(page, `the published jury result ${prefix || "/"}`);
  }
  if (!(await page.content()).includes("Juror 1: 4")) fail("the published result does not show the score");
  await staffWidths(page, "award-result");
  const dossier = await page.goto(`${base}/en/kvalitetskommun/underlag/${year}/${kommun}`);
  if (dossier.status() !== 200) fail(`the published dossier: HTTP ${dossier.status()}`);
  await axeCheck(page, "the published dossier /en");
  console.log("ok   Sveriges Kvalitetskommun: described, sent back, dossier read, nominated, scored, published");
  await resident.close();
}

// Background jobs: the operator queues one (a mistake sent back first) and sees the list.
{
  const ops = await loggedIn("samordnare@skr.se");
  const page = ops.page;
  await page.goto(`${base}/admin/jobb`);
  await axeCheck(page, "the background jobs page");
  await page.selectOption("#j-kind", "upkeep");
  await submit(page, "/admin/jobb");
  if (!(await page.content()).includes("Jobbet ligger i kön.")) fail("the job was not queued");
  await axeCheck(page, "the background jobs page with a queued job");
  await staffWidths(page, "jobs");
  await ops.context.close();
}

await browser.close();
if (failures > 0) {
  console.log(`${failures} accessibility failure(s)`);
  process.exit(1);
}
console.log(`all ${pages.length} pages: zero axe violations (WCAG 2.1 AA), everything reachable by keyboard`);
