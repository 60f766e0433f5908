export { createPrng, gaussian } from './prng';
export type { Prng } from './prng';
