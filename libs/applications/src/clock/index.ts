export * from './application-clock';
export * from './working-calendar';
