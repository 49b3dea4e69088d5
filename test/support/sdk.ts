import { StreamClient } from '@stream-io/node-sdk';
import { expect } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';

/** The official SDK pointed at an emulator. */
export const sdkClient = (emu: RunningEmulator) => new StreamClient(emu.apiKey, emu.apiSecret, { basePath: emu.url });

/** The SDK's StreamError (not exported by the package): Stream's code, and the HTTP status in metadata. */
export interface SdkError {
  code?: number;
  metadata: { responseCode?: number };
}

/** The error of a call that must fail. */
export async function failure(call: Promise<unknown>): Promise<SdkError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  expect(err).toHaveProperty('metadata');
  return err as SdkError;
}

/** Polls GetTask through the SDK until the task completes or fails (bounded, no timing assertion). */
export async function completed(client: StreamClient, taskId: string) {
  for (let i = 0; i < 200; i++) {
    const task = await client.getTask({ id: taskId });
    if (task.status === 'completed' || task.status === 'failed') return task;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`task ${taskId} did not complete`);
}
