// The browser-test API. A test file under e2e/tests/ calls `test(name, fn)`; e2e/runner.ts opens a fresh
// browser profile per test and hands `fn` an `E2E` with the page and the helpers below.
import { join } from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";

export const artifactsDir = join(import.meta.dirname, "artifacts");

export type E2E = {
  page: Page;
  context: BrowserContext;
  /** e.g. http://127.0.0.1:41234 — the server e2e/run.mjs started on a fresh data dir. */
  baseUrl: string;
  /** The platform admin the server was started with (SIYU_ADMIN_EMAIL / SIYU_ADMIN_PASSWORD). */
  admin: { email: string; password: string };
  /** Opens a console path such as `/settings/users`. */
  goto: (path: string) => Promise<void>;
  /** Logs in through the real login form and waits for the main menu. Defaults to the admin. */
  login: (email?: string, password?: string) => Promise<void>;
  /** Shortcut for `page.getByTestId(id)`. */
  byTestId: (id: string) => Locator;
  /** Saves e2e/artifacts/<name>.png (full page) and returns its path. */
  screenshot: (name: string) => Promise<string>;
  /**
   * The open antd Select dropdown: the newest one, last in the page (an earlier Select's dropdown
   * may still be closing and hold the same options).
   */
  openDropdown: () => Locator;
  /** Presses OK in the open Popconfirm and waits for it to close (a click during its opening animation is retried). */
  confirmPopconfirm: () => Promise<void>;
};

export type TestCase = {
  name: string;
  file: string;
  fn: (t: E2E) => Promise<void>;
  /** Overrides the runner's per-test limit (long journeys such as a full sync). */
  timeoutMs?: number;
};

export const registry: TestCase[] = [];
let currentFile = "";

/** Set by the runner while it imports a test file, so each case knows where it came from. */
export function setCurrentFile(file: string): void {
  currentFile = file;
}

export function test(
  name: string,
  fn: (t: E2E) => Promise<void>,
  options: { timeoutMs?: number } = {},
): void {
  registry.push({ name, file: currentFile, fn, ...options });
}

export function makeE2E(page: Page, context: BrowserContext, baseUrl: string, admin: E2E["admin"]): E2E {
  const byTestId = (id: string) => page.getByTestId(id);
  const goto = async (path: string) => {
    await page.goto(new URL(path, baseUrl).toString(), { waitUntil: "domcontentloaded" });
  };
  return {
    page,
    context,
    baseUrl,
    admin,
    goto,
    byTestId,
    login: async (email = admin.email, password = admin.password) => {
      await goto("/login");
      await byTestId("login-email").fill(email);
      await byTestId("login-password").fill(password);
      await byTestId("login-submit").click();
      await byTestId("main-menu").waitFor({ state: "visible" });
    },
    openDropdown: () => page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)").last(),
    confirmPopconfirm: async () => {
      // antd keeps closed popovers in the DOM (hidden); only the open one counts.
      const open = page.locator(".ant-popconfirm:not(.ant-popover-hidden)");
      await open.first().waitFor({ state: "visible" });
      for (let i = 0; i < 5; i++) {
        await open
          .locator(".ant-btn-primary")
          .first()
          .click({ timeout: 5000 })
          .catch(() => undefined);
        const closed = await open
          .first()
          .waitFor({ state: "hidden", timeout: 3000 })
          .then(() => true)
          .catch(() => false);
        if (closed) return;
      }
      throw new Error("the Popconfirm did not close after pressing OK");
    },
    screenshot: async (name: string) => {
      const path = join(artifactsDir, `${name.replace(/[^\w.-]+/g, "-")}.png`);
      // Let fonts and antd's enter animations settle so pictures are stable between runs.
      await page.evaluate(() => document.fonts.ready).catch(() => undefined);
      await page.waitForTimeout(300);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
}

/** Fails with `message` unless `condition` holds; keeps test files free of an assertion library. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
