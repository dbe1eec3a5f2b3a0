export * from './material.exception';
export * from './material-inspection';
