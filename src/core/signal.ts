/** A promise and the function that resolves it: something to wait for until another part of the code says so. */
export interface Signal {
  promise: Promise<void>;
  resolve: () => void;
}

export function signal(): Signal {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
