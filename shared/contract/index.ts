export * from './define-service';
export * from './call-context';
export * from './service-handler';
