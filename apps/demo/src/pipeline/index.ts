// The discovery loop, browser-safe: the command (src/cli) and the web page (src/web) both use this.
export { DEFAULT_SETTINGS, resolveSettings, resolveStages } from './settings.js';
export * from './types.js';
