export { classifyAddress, validateSource } from './source';
export type {
  AddressClass,
  LookupAddress,
  LookupFunction,
  SourceRules,
  ValidatedFileSource,
  ValidatedSource,
  ValidatedUrlSource,
} from './source';
