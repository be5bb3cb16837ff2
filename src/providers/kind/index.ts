export * from './preflight';
export * from './config';
