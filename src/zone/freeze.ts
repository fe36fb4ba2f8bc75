// Read-only containers. Object.freeze does not stop Map.set/Set.add (their data lives in
// internal slots), so the mutators are shadowed by throwing ones before freezing.

function refuse(): never {
  throw new TypeError('this collection is frozen');
}

export function freezeMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  for (const method of ['set', 'delete', 'clear']) Object.defineProperty(map, method, { value: refuse });
  return Object.freeze(map);
}

export function freezeSet<T>(set: Set<T>): ReadonlySet<T> {
  for (const method of ['add', 'delete', 'clear']) Object.defineProperty(set, method, { value: refuse });
  return Object.freeze(set);
}
