/** A class, as controllers and injectables are given. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Class<T = unknown> = abstract new (...args: any[]) => T;
