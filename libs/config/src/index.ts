export { childEnvironment, envVarFor, loadConfig, settingsEnv } from './config';
export type { ConfigKey, FramewatchConfig, LoadConfigOptions } from './config';
