export { envVarFor, loadConfig } from './config';
export type { ConfigKey, FramewatchConfig } from './config';
