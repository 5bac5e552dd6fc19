/**
 * A minimal Reflect metadata API (the subset TypeScript's emitted decorator
 * metadata and tsyringe use), installed only when no polyfill is loaded.
 * `reflect-metadata` costs several milliseconds to load on every start; this
 * costs next to nothing. Loading `reflect-metadata` later is safe: it adopts
 * metadata defined here through its fallback for older polyfills.
 */
type Key = string | symbol | undefined;
type Store = Map<Key, Map<unknown, unknown>>;

interface MetadataReflect {
  defineMetadata?(key: unknown, value: unknown, target: object, property?: Key): void;
}

const reflect = Reflect as unknown as MetadataReflect & Record<string, unknown>;

if (typeof reflect.defineMetadata !== 'function') {
  const stores = new WeakMap<object, Store>();
  const own = (target: object, property: Key, create: boolean): Map<unknown, unknown> | undefined => {
    let store = stores.get(target);
    if (!store) {
      if (!create) return undefined;
      store = new Map();
      stores.set(target, store);
    }
    let entries = store.get(property);
    if (!entries && create) {
      entries = new Map();
      store.set(property, entries);
    }
    return entries;
  };
  const chain = function* (target: object): Generator<object> {
    for (let current: object | null = target; current !== null; current = Object.getPrototypeOf(current)) yield current;
  };
  const api = {
    defineMetadata(key: unknown, value: unknown, target: object, property?: Key): void {
      own(target, property, true)!.set(key, value);
    },
    hasOwnMetadata(key: unknown, target: object, property?: Key): boolean {
      return own(target, property, false)?.has(key) ?? false;
    },
    getOwnMetadata(key: unknown, target: object, property?: Key): unknown {
      return own(target, property, false)?.get(key);
    },
    getOwnMetadataKeys(target: object, property?: Key): unknown[] {
      return [...(own(target, property, false)?.keys() ?? [])];
    },
    deleteMetadata(key: unknown, target: object, property?: Key): boolean {
      return own(target, property, false)?.delete(key) ?? false;
    },
    hasMetadata(key: unknown, target: object, property?: Key): boolean {
      for (const object of chain(target)) if (api.hasOwnMetadata(key, object, property)) return true;
      return false;
    },
    getMetadata(key: unknown, target: object, property?: Key): unknown {
      for (const object of chain(target)) {
        const entries = own(object, property, false);
        if (entries?.has(key)) return entries.get(key);
      }
      return undefined;
    },
    getMetadataKeys(target: object, property?: Key): unknown[] {
      const keys = new Set<unknown>();
      for (const object of chain(target)) for (const key of api.getOwnMetadataKeys(object, property)) keys.add(key);
      return [...keys];
    },
    metadata(key: unknown, value: unknown) {
      return (target: object, property?: Key): void => api.defineMetadata(key, value, target, property);
    },
  };
  for (const [name, fn] of Object.entries(api)) {
    Object.defineProperty(Reflect, name, { value: fn, writable: true, configurable: true });
  }
}

export {};
