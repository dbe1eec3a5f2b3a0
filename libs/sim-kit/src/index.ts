export * from './json-http';
export * from './json-log';
export * from './control-plane';
export * from './sim-config';
