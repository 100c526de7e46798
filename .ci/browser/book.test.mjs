// Drives the rendered book in a real headless browser (Debian's Chromium, through
// playwright-core) and fails on anything a reader would trip over:
//
// - a page listed in book/src/SUMMARY.md that does not load (HTTP error, missing file);
// - a JavaScript error or console error on any page, or a page asset (script, style, image,
//   font) that fails to load;
// - an mdBook directive left in the HTML (`{{#include ...}}` that did not resolve);
// - an internal link, from the text or the sidebar, to a page that does not load, or to an
//   `#anchor` that the target page does not have;
// - previous/next navigation that does not follow the summary's order;
// - Rust code blocks that highlight.js did not highlight;
// - a search for a term the book certainly contains ("grpc-timeout") that finds nothing.
//
// It saves a full-page screenshot of every chapter in .ci/browser/screenshots/ (ignored by
// git), for a human to look at.
//
// Usage: BOOK_URL=http://127.0.0.1:PORT/ node book.test.mjs   (.ci/browser-test does it all)

import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const BOOK_URL = new URL(process.env.BOOK_URL ?? "http://127.0.0.1:3000/");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOTS = path.join(here, "screenshots");
const SEARCH_TERM = "grpc-timeout";
// The chapter whose Rust code must be highlighted (it includes the lab's code).
const HIGHLIGHT_PAGE = "ch03-unary-rpc.html";

const problems = [];
const problem = (page, text) => problems.push(`${page}: ${text}`);

/** The pages of book/src/SUMMARY.md that have a file, in order, as `.html` paths. */
async function summaryPages() {
  const summary = await readFile(path.join(repo, "book/src/SUMMARY.md"), "utf8");
  const pages = [];
  for (const match of summary.matchAll(/\[([^\]]+)\]\(([^)]*)\)/g)) {
    const [, title, file] = match;
    if (file.trim() === "") continue; // a draft chapter: listed, not written yet
    pages.push({ title, page: file.replace(/\.md$/, ".html") });
  }
  return pages;
}

/** Waits until the static server answers, for up to 15 s. */
async function waitForServer() {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const response = await fetch(BOOK_URL);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`nothing answers at ${BOOK_URL}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const isLocal = (url) => url.origin === BOOK_URL.origin;
const pageName = (url) => decodeURIComponent(url.pathname.replace(/^\//, "")) || "index.html";

/**
 * Loads one page with every check that needs the live page: status, script and console
 * errors, failed assets, leftover directives, images, highlighting. Returns what the link
 * check needs: the page's element ids and the local links it contains.
 */
async function visit(context, name, { screenshot } = {}) {
  const page = await context.newPage();
  const url = new URL(name, BOOK_URL);
  page.on("pageerror", (error) => problem(name, `JavaScript error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // Chromium asks every page without a <link rel="icon"> (mdBook's toc.html, a fragment
    // for the sidebar's iframe) for /favicon.ico on its own; that is not the book's request.
    if (message.location()?.url?.endsWith("/favicon.ico")) return;
    problem(name, `console error: ${message.text()} (${message.location()?.url ?? "?"})`);
  });
  page.on("requestfailed", (request) => {
    if (isLocal(new URL(request.url()))) {
      problem(name, `request failed: ${request.url()} (${request.failure()?.errorText})`);
    }
  });
  page.on("response", (response) => {
    if (isLocal(new URL(response.url())) && response.status() >= 400) {
      problem(name, `HTTP ${response.status()} for ${response.url()}`);
    }
  });

  const response = await page.goto(url.href, { waitUntil: "load", timeout: 30_000 });
  if (!response || !response.ok()) {
    problem(name, `the page does not load: HTTP ${response?.status()}`);
    await page.close();
    return { loaded: false, ids: new Set(), links: [], nav: {} };
  }

  const facts = await page.evaluate(() => {
    const main = document.querySelector("main") ?? document.body;
    const images = [...main.querySelectorAll("img")].map((img) => ({
      src: img.getAttribute("src"),
      ok: img.complete && img.naturalWidth > 0,
    }));
    const rust = [...document.querySelectorAll("pre code.language-rust")].map((code) => ({
      highlighted: code.classList.contains("hljs"),
      keywords: code.querySelectorAll(".hljs-keyword").length,
    }));
    return {
      html: document.documentElement.outerHTML,
      heading: main.querySelector("h1")?.textContent?.trim() ?? "",
      ids: [...document.querySelectorAll("[id]")].map((element) => element.id),
      links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
      images,
      rust,
      next: document.querySelector("a.nav-chapters.next")?.href ?? null,
      previous: document.querySelector("a.nav-chapters.previous")?.href ?? null,
    };
  });

  for (const directive of facts.html.match(/\{\{#[a-z_]+[^}]*\}\}/g) ?? []) {
    problem(name, `an mdBook directive was not expanded: ${directive}`);
  }
  if (name !== "print.html" && name !== "toc.html" && facts.heading === "") {
    problem(name, "the page has no <h1>: is its content missing?");
  }
  for (const image of facts.images) {
    if (!image.ok) problem(name, `image does not render: ${image.src}`);
  }
  facts.rust.forEach((block, index) => {
    if (!block.highlighted) problem(name, `Rust code block ${index + 1} is not highlighted`);
  });
  if (name === HIGHLIGHT_PAGE) {
    const keywords = facts.rust.reduce((sum, block) => sum + block.keywords, 0);
    if (facts.rust.length === 0) problem(name, "no Rust code block found");
    else if (keywords === 0) problem(name, "Rust code has no highlighted keyword (.hljs-keyword)");
    else console.log(`   ${name}: ${facts.rust.length} Rust blocks, ${keywords} highlighted keywords`);
  }

  if (screenshot) {
    await page.screenshot({ path: path.join(SCREENSHOTS, screenshot), fullPage: true });
  }
  await page.close();
  return {
    loaded: true,
    ids: new Set(facts.ids),
    links: facts.links.map((href) => new URL(href)).filter(isLocal),
    nav: { next: facts.next, previous: facts.previous },
  };
}

/** Types the term into mdBook's search and expects results that link to a page using it. */
async function search(context) {
  const page = await context.newPage();
  page.on("pageerror", (error) => problem("search", `JavaScript error: ${error.message}`));
  await page.goto(new URL("ch00-start-here.html", BOOK_URL).href, { waitUntil: "load" });
  await page.click("#mdbook-search-toggle");
  // Typed key by key, as a reader does: the search runs on keyboard events.
  await page.locator("#mdbook-searchbar").pressSequentially(SEARCH_TERM, { delay: 20 });
  const results = page.locator("#mdbook-searchresults li");
  try {
    await results.first().waitFor({ timeout: 10_000 });
  } catch {
    problem("search", `searching for "${SEARCH_TERM}" shows no result`);
    await page.close();
    return;
  }
  const count = await results.count();
  const header = (await page.textContent("#mdbook-searchresults-header"))?.trim();
  console.log(`   search "${SEARCH_TERM}": ${count} results (${header})`);
  await page.screenshot({ path: path.join(SCREENSHOTS, "search-grpc-timeout.png") });

  // The first result opens a page that really contains the term.
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), results.first().locator("a").click()]);
  const text = await page.textContent("main");
  if (!text?.includes(SEARCH_TERM)) {
    problem("search", `the first result for "${SEARCH_TERM}" opens ${page.url()}, which lacks it`);
  }

  await page.goto(new URL("ch00-start-here.html", BOOK_URL).href, { waitUntil: "load" });
  await page.click("#mdbook-search-toggle");
  await page.locator("#mdbook-searchbar").pressSequentially("xyzzyplugh", { delay: 20 });
  await page.waitForTimeout(500);
  const none = (await page.textContent("#mdbook-searchresults-header"))?.trim();
  if ((await results.count()) !== 0) problem("search", `a nonsense term finds results: ${none}`);
  await page.close();
}

async function main() {
  await rm(SCREENSHOTS, { recursive: true, force: true });
  await mkdir(SCREENSHOTS, { recursive: true });
  await waitForServer();

  const chapters = await summaryPages();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });

  const seen = new Map(); // page name -> result of visit()
  for (const [index, { title, page }] of chapters.entries()) {
    const result = await visit(context, page, { screenshot: page.replace(/\.html$/, ".png") });
    seen.set(page, result);
    if (!result.loaded) continue;
    console.log(`ok ${page} (${title})`);
    // Previous/next follow the summary.
    const expected = { previous: chapters[index - 1]?.page, next: chapters[index + 1]?.page };
    for (const direction of ["previous", "next"]) {
      const href = result.nav[direction];
      const actual = href ? pageName(new URL(href)) : undefined;
      if (actual !== expected[direction]) {
        problem(page, `${direction} link goes to ${actual ?? "nothing"}, expected ${expected[direction] ?? "nothing"}`);
      }
    }
  }
  for (const page of ["index.html", "print.html", "toc.html"]) {
    seen.set(page, await visit(context, page));
    console.log(`ok ${page}`);
  }

  // Every local link, from every page, to a page that loads and an anchor that exists.
  const checked = new Set();
  for (const [from, result] of [...seen]) {
    for (const link of result.links) {
      const target = pageName(link);
      const key = `${target}#${link.hash}`;
      if (checked.has(key)) continue;
      checked.add(key);
      if (!seen.has(target)) {
        if (!target.endsWith(".html")) {
          const response = await fetch(new URL(target, BOOK_URL));
          if (!response.ok) problem(from, `links ${link.href}: HTTP ${response.status}`);
          continue;
        }
        seen.set(target, await visit(context, target));
      }
      const anchor = decodeURIComponent(link.hash.replace(/^#/, ""));
      if (anchor && !seen.get(target).ids.has(anchor)) {
        problem(from, `links ${target}#${anchor}, but that page has no element with id "${anchor}"`);
      }
    }
  }
  console.log(`ok ${checked.size} distinct internal links`);

  await search(context);
  await browser.close();

  if (problems.length > 0) {
    console.error(`\nFAILED: ${problems.length} problem(s) in the rendered book:`);
    for (const text of problems) console.error(`  - ${text}`);
    process.exit(1);
  }
  console.log(`\nbook: ${seen.size} pages loaded, 0 failed; screenshots in ${path.relative(repo, SCREENSHOTS)}/`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
