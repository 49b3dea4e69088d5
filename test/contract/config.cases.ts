import type { ContractCases } from './types.js';

export const cases: ContractCases = {};
