/**
 * The state of an object graph (the machine, or a VM with its VMM), captured and put back in place.
 *
 * Rather than a serializer per class, which every new field of the hart, a device or the VMM would
 * have to remember, a capture walks everything reachable from the root and keeps each object's own
 * property values, array elements, Map and Set entries and typed-array contents. A restore writes
 * them back into the same objects, so references held elsewhere (closures the devices were built
 * with, the debugger's target) stay valid and objects made since the capture simply become
 * unreachable. Functions are kept by identity and not entered: their captured variables must not be
 * state (the classes in src/machine and src/hypervisor keep state in fields, never in closures).
 */

type TypedArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** What a capture leaves alone. */
export interface StatePolicy {
  /** Kept by identity, contents not state: caches, the host's ends of devices, the debugger's hooks. */
  readonly opaque: ReadonlySet<object>;
  /** Property names whose values belong to the debugger, not to the machine (trap hooks, exit filters). */
  readonly ignoredKeys: ReadonlySet<string>;
  /** Objects that never change once made (exit records): kept by identity. */
  readonly immutable: (o: object) => boolean;
}

type Saved =
  | { kind: 0; obj: Record<string, unknown>; keys: string[]; values: unknown[] }
  | { kind: 1; obj: unknown[]; values: unknown[] }
  | { kind: 2; obj: Map<unknown, unknown>; entries: [unknown, unknown][] }
  | { kind: 3; obj: Set<unknown>; values: unknown[] }
  | { kind: 4; obj: TypedArray; copy: TypedArray };

/** A captured graph: every object's values at the moment of capture, in walk order. */
export interface ObjectState {
  readonly saved: readonly Saved[];
  /** Roughly what the capture occupies, in bytes (8 per value kept). */
  readonly bytes: number;
  readonly ignoredKeys: ReadonlySet<string>;
}

/** Walks the graph from `root` and keeps every object's values (see the header). */
export function captureState(root: object, policy: StatePolicy): ObjectState {
  const seen = new Set<object>();
  const saved: Saved[] = [];
  const stack: unknown[] = [root];
  let bytes = 0;
  const visit = (v: unknown) => {
    if (typeof v === "object" && v !== null && !seen.has(v)) stack.push(v);
  };
  while (stack.length > 0) {
    const o = stack.pop() as object;
    if (seen.has(o)) continue;
    seen.add(o);
    if (policy.opaque.has(o) || o instanceof ArrayBuffer || o instanceof DataView || policy.immutable(o)) continue;
    if (ArrayBuffer.isView(o)) {
      // A view into opaque memory (a window onto RAM) is no more state than the memory.
      if (policy.opaque.has(o.buffer)) continue;
      const t = o as TypedArray;
      saved.push({ kind: 4, obj: t, copy: t.slice() });
      bytes += t.byteLength;
    } else if (Array.isArray(o)) {
      const values = o.slice();
      saved.push({ kind: 1, obj: o, values });
      values.forEach(visit);
      bytes += 8 * values.length;
    } else if (o instanceof Map) {
      const entries = [...o.entries()];
      saved.push({ kind: 2, obj: o, entries });
      for (const [k, v] of entries) {
        visit(k);
        visit(v);
      }
      bytes += 16 * entries.length;
    } else if (o instanceof Set) {
      const values = [...o];
      saved.push({ kind: 3, obj: o, values });
      values.forEach(visit);
      bytes += 8 * values.length;
    } else {
      const rec = o as Record<string, unknown>;
      const keys = Object.keys(rec).filter((k) => !policy.ignoredKeys.has(k));
      const values = keys.map((k) => rec[k]);
      saved.push({ kind: 0, obj: rec, keys, values });
      values.forEach(visit);
      bytes += 8 * values.length;
    }
  }
  return { saved, bytes, ignoredKeys: policy.ignoredKeys };
}

/** Puts every captured object back as it was at the capture. */
export function restoreState(state: ObjectState): void {
  for (const s of state.saved) {
    switch (s.kind) {
      case 0: {
        // A property made since the capture goes (classes make theirs in the constructor, so this is rare).
        if (Object.keys(s.obj).length !== s.keys.length + countIgnored(s.obj, state.ignoredKeys)) {
          const keep = new Set(s.keys);
          for (const k of Object.keys(s.obj)) if (!keep.has(k) && !state.ignoredKeys.has(k)) delete s.obj[k];
        }
        s.keys.forEach((k, i) => (s.obj[k] = s.values[i]));
        break;
      }
      case 1:
        s.obj.length = s.values.length;
        for (let i = 0; i < s.values.length; i++) s.obj[i] = s.values[i];
        break;
      case 2:
        s.obj.clear();
        for (const [k, v] of s.entries) s.obj.set(k, v);
        break;
      case 3:
        s.obj.clear();
        for (const v of s.values) s.obj.add(v);
        break;
      case 4:
        s.obj.set(s.copy as never);
        break;
    }
  }
}

function countIgnored(o: object, ignored: ReadonlySet<string>): number {
  let n = 0;
  for (const k of ignored) if (Object.hasOwn(o, k)) n++;
  return n;
}
