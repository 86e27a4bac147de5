export * from './qubesd-client';
export * from './qubesd-config';
export * from './qubesd-errors';
export * from './qubesd-event';
export * from './qubesd-inventory-backend';
export * from './qubesd-request';
export * from './socket-qubesd-client';
