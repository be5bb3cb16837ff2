// Driving the VS Code workbench in code-server through playwright-core: every step waits on a selector or a
// condition with a deadline (no fixed sleeps), and failures say what was expected and what was on screen.
import type { Locator, Page } from 'playwright-core';

export const STEP_MS = 30_000;

export class Workbench {
  constructor(
    readonly page: Page,
    private readonly screenshots: string,
  ) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    // The status bar is the last part the workbench renders.
    await this.page.locator('#workbench\\.parts\\.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  }

  async screenshot(name: string): Promise<string> {
    const file = `${this.screenshots}/${name}.png`;
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Runs a command by its palette title (e.g. "Kokpit: Refresh Fleet"), picking the exact entry. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: STEP_MS });
    await input.fill(`>${title}`);
    const entry = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    await entry.waitFor({ state: 'visible', timeout: STEP_MS });
    await entry.click();
  }

  /** Answers an open quick pick by the label of one of its entries. */
  async pick(label: string): Promise<void> {
    const entry = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
    await entry.waitFor({ state: 'visible', timeout: STEP_MS });
    await entry.click();
  }

  /** Opens a workspace file through Quick Open. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: STEP_MS });
    await input.fill(name);
    await this.page
      .locator('.quick-input-widget .monaco-list-row', { hasText: name })
      .first()
      .waitFor({ state: 'visible', timeout: STEP_MS });
    await this.page.keyboard.press('Enter');
    await this.page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ state: 'visible', timeout: STEP_MS });
  }

  /** A row of the sidebar's tree whose label is exactly `label`. */
  treeRow(label: string): Locator {
    return this.page
      .locator('#workbench\\.parts\\.sidebar .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escape(label)}$`) }) });
  }

  /** Waits until the row labelled `label` shows a description matching `description`. */
  async waitForRow(label: string, description: RegExp, timeout = STEP_MS): Promise<Locator> {
    const row = this.treeRow(label)
      .filter({ has: this.page.locator('.label-description', { hasText: description }) })
      .first();
    try {
      await row.waitFor({ state: 'visible', timeout });
    } catch {
      const rows = await this.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row').allTextContents();
      throw new Error(
        `tree row "${label}" with description ${description} not shown within ${timeout / 1000} s; rows: ${JSON.stringify(rows)}`,
      );
    }
    return row;
  }

  /**
   * Drags the sash at the sidebar's right edge `px` to the right, so screenshots show whole descriptions (cosmetic:
   * assertions read the DOM's text).
   */
  async widenSidebar(px: number): Promise<void> {
    const side = await this.page.locator('#workbench\\.parts\\.sidebar').boundingBox();
    for (const sash of await this.page.locator('.monaco-sash.vertical').all()) {
      const box = await sash.boundingBox();
      if (!side || !box || Math.abs(box.x + box.width / 2 - (side.x + side.width)) > 6) continue;
      await this.page.mouse.move(box.x + box.width / 2, side.y + side.height / 2);
      await this.page.mouse.down();
      await this.page.mouse.move(box.x + px, side.y + side.height / 2, { steps: 8 });
      await this.page.mouse.up();
      // Off the sash, so it is not drawn highlighted.
      await this.page.mouse.move(side.x + side.width + px + 260, side.y + side.height / 2);
      return;
    }
  }

  /** A screenshot of the window's left `width` pixels (activity bar, sidebar): the size docs/images/ takes. */
  async sidebarScreenshot(name: string, width = 700): Promise<string> {
    const file = `${this.screenshots}/${name}.png`;
    await this.page.screenshot({ path: file, clip: { x: 0, y: 0, width, height: this.page.viewportSize()!.height } });
    return file;
  }

  /**
   * Chooses the entry `label` of the open context menu. A click that lands while the menu is still fading in only
   * highlights the entry (seen in pod-logs and, on CI, in rollouts): click again until the menu closes, which it does
   * when the action runs. A menu still open after five clicks fails the step.
   */
  async chooseMenuItem(label: string | RegExp): Promise<void> {
    const menu = this.page.locator('.context-view .monaco-menu');
    const item = menu.locator('.action-item', { has: this.page.locator('.action-label', { hasText: label }) }).first();
    await item.waitFor({ state: 'visible', timeout: STEP_MS });
    for (let attempt = 0; attempt < 5 && (await menu.first().isVisible()); attempt++) {
      if (await item.isVisible()) await item.click();
      await menu
        .first()
        .waitFor({ state: 'hidden', timeout: 5000 })
        .catch(() => undefined);
    }
    if (await menu.first().isVisible()) {
      const shown = await menu.locator('.action-label').allTextContents();
      throw new Error(`the context menu stayed open after 5 clicks on "${label}"; entries: ${JSON.stringify(shown)}`);
    }
  }

  /** A visible notification toast containing `text`. */
  notification(text: string | RegExp): Locator {
    return this.page.locator('.notification-toast-container .notification-list-item', { hasText: text });
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
