// Loaded by mocha before any test: decorators run at module load and need the metadata polyfill.
import 'reflect-metadata';
