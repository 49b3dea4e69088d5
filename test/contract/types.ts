import type { RunningEmulator } from '../../src/emulator/server.js';
import type { TestApi } from '../support/api.js';

export interface ContractEnv {
  emu: RunningEmulator;
  /** Validates every response against the spec and records `${op} ${status}`. */
  api: TestApi;
}

/**
 * One case per operation: it must send the operation at least once successfully and at least once with an
 * error answer (4xx), each through `api`, so that both paths are validated against the spec.
 */
export type ContractCase = (env: ContractEnv) => Promise<void>;
export type ContractCases = Record<string, ContractCase>;
