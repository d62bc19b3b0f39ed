export * from './types';
export * from './parsers';
export * from './jst';
export * from './recovery';
export { EgovError } from './egov-error';
