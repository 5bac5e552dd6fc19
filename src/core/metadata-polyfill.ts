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
  // What a class's decorators write is kept as a flat list (property, key, value, ...) and sorted into
  // maps only when the class is first read: tsc emits three entries per decorated method, and an app
  // with a thousand commands would otherwise build a thousand maps at start that nothing reads.
  const stores = new WeakMap<object, Store | unknown[]>();
  const storeOf = (target: object, create: boolean): Store | undefined => {
    const found = stores.get(target);
    if (found === undefined && !create) return undefined;
    if (found instanceof Map) return found;
    const store: Store = new Map();
    stores.set(target, store);
    for (let i = 0; found !== undefined && i < found.length; i += 3) {
      own(target, found[i] as Key, true)!.set(found[i + 1], found[i + 2]);
    }
    return store;
  };
  const own = (target: object, property: Key, create: boolean): Map<unknown, unknown> | undefined => {
    const store = storeOf(target, create);
    if (!store) return undefined;
    let entries = store.get(property);
    if (!entries && create) {
      entries = new Map();
      store.set(property, entries);
    }
    return entries;
  };
  const BUILT_INS = new Set<unknown>([Function, Object, String, Number, Boolean, Array]);
  const decorators = new Map<unknown, Map<unknown, (target: object, property?: Key) => void>>();
  const chain = function* (target: object): Generator<object> {
    for (let current: object | null = target; current !== null; current = Object.getPrototypeOf(current)) yield current;
  };
  const api = {
    defineMetadata(key: unknown, value: unknown, target: object, property?: Key): void {
      const found = stores.get(target);
      if (found === undefined) stores.set(target, [property, key, value]);
      else if (Array.isArray(found)) found.push(property, key, value);
      else own(target, property, true)!.set(key, value);
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
      // A decorator for a value that is not an object or a built-in class (tsc's 'design:type' Function,
      // 'design:returntype' undefined) is made once and reused.
      const shared =
        value === null || (typeof value !== 'object' && typeof value !== 'function') || BUILT_INS.has(value);
      let decorator = shared ? decorators.get(key)?.get(value) : undefined;
      if (!decorator) {
        decorator = (target: object, property?: Key): void => api.defineMetadata(key, value, target, property);
        if (shared) {
          if (!decorators.has(key)) decorators.set(key, new Map());
          decorators.get(key)!.set(value, decorator);
        }
      }
      return decorator;
    },
  };
  for (const [name, fn] of Object.entries(api)) {
    Object.defineProperty(Reflect, name, { value: fn, writable: true, configurable: true });
  }
}

export {};
