export { childEnvironment, envVarFor, loadConfig } from './config';
export type { ConfigKey, FramewatchConfig, LoadConfigOptions } from './config';
