/** A class, as controllers and injectables are given. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- so a class whose constructor takes (app: App) is one: unknown[] would refuse it
export type Class<T = unknown> = abstract new (...args: any[]) => T;
