export * from './json-http';
export * from './json-log';
