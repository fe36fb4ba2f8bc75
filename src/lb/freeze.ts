// Deep immutability for the loaded config: plain objects and arrays are frozen, and maps
// refuse writes once built (Object.freeze alone does not stop Map.set).

const sealed = new WeakSet<object>();

class ReadonlyMapImpl<K, V> extends Map<K, V> {
  override set(key: K, value: V): this {
    if (sealed.has(this)) throw new TypeError('this map is read-only');
    return super.set(key, value);
  }
  override delete(key: K): boolean {
    if (sealed.has(this)) throw new TypeError('this map is read-only');
    return super.delete(key);
  }
  override clear(): void {
    if (sealed.has(this)) throw new TypeError('this map is read-only');
    super.clear();
  }
}

/** A Map that throws on set/delete/clear; its values are deep-frozen. */
export function frozenMap<K, V>(entries: Iterable<readonly [K, V]>): ReadonlyMap<K, V> {
  const map = new ReadonlyMapImpl<K, V>();
  for (const [k, v] of entries) map.set(k, deepFreeze(v));
  sealed.add(map);
  return Object.freeze(map);
}

/** Freezes plain objects and arrays recursively; returns its argument. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value) || value instanceof Map || value instanceof Set) return value;
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return Object.freeze(value);
}
