// Runs in the chromium-swiftshader project's page before each test file ([harness.browser.1]): it asks the page's
// host (vitest's Playwright provider) to collect what the browser itself prints, so a WebGPU that does not come up
// fails with the browser's own words ("No available adapters.") rather than only a null adapter.
import { commands } from 'vitest/browser';
import { setBrowserMessages, setHostSink } from './runtime.js';

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** Starts collecting the page's console warnings and errors (idempotent). */
    wgfuseWatchBrowser(): Promise<void>;
    /** The warnings and errors collected so far. */
    wgfuseBrowserMessages(): Promise<string[]>;
    /** Appends one line to the run's gate ledger ([harness.ledger.1]). */
    wgfuseLedger(line: string): Promise<void>;
  }
}

await commands.wgfuseWatchBrowser();
// Gate decisions go to the host's ledger file; a lost line is a decision missing from the ledger, never a verdict.
setHostSink((line) => void commands.wgfuseLedger(line).catch(() => undefined));
// Asked only once something failed; the browser's message reaches the host a moment after the call returned.
setBrowserMessages(async () => {
  for (let wait = 0; wait < 10; wait++) {
    const said = await commands.wgfuseBrowserMessages();
    if (said.length > 0) return said;
    await new Promise((r) => setTimeout(r, 100));
  }
  return [];
});
