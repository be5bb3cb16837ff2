export * from './preflight';
export * from './config';
export * from './cluster';
