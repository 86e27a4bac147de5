export * from './codes';
export * from './qnet-error';
export * from './client-errors';
export * from './to-wire-error';
export * from './describe-issue';
export * from './errno-error';
