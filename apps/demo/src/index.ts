export * from './pipeline/index.js';
