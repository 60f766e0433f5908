export { classifyAddress, displaySource, validateSource } from './source';
export type {
  AddressClass,
  LookupAddress,
  LookupFunction,
  SourceRules,
  SrtCallerOptions,
  ValidatedFileSource,
  ValidatedLiveSource,
  ValidatedSource,
  ValidatedSrtSource,
  ValidatedUdpSource,
  ValidatedUrlSource,
} from './source';
