// Every workflow the worker registers.
export { deploy } from './deploy.ts';
export { notifier } from './notifier.ts';
