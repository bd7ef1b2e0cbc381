/**
 * Reads a V8 CPU profile (.cpuprofile, as node --cpu-prof or the inspector
 * writes it) and says where the time went: self time by area (our source
 * files by module, libraries by package, the engine's own entries) and by
 * function, and inclusive time of Sotto's functions (a sample counts once
 * for every distinct function on its stack). Async functions only count
 * their synchronous stretches; time waiting on I/O shows as (idle).
 */
import { readFile } from 'node:fs/promises';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly samples: number;
  readonly byArea: readonly ProfileEntry[];
  readonly selfByFunction: readonly ProfileEntry[];
  readonly inclusiveSotto: readonly ProfileEntry[];
}

/** Where a frame's code lives, coarsely. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName.startsWith('(')) return functionName; // (garbage collector), (program), (idle), (root)
    return '(native)';
  }
  const src = /\/(src\/(?:crypto|node|app)\/(?:[^/]+\/)*[^/]+?)\.ts/.exec(url);
  if (src) return src[1]!;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/.*$/, 'node:internal');
  return url.replace(/^.*\//, '');
}

function label(frame: CallFrame): string {
  const where = frame.url === '' ? '' : ` (${areaOf(frame)})`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

/** Native code (a binding such as sodium-native) is named by the JavaScript that called it. */
function areaWithCaller(id: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): string {
  const frame = byId.get(id)!.callFrame;
  const area = areaOf(frame);
  if (area !== '(native)') return area;
  for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
    const caller = areaOf(byId.get(at)!.callFrame);
    if (!caller.startsWith('(')) return `native, called from ${caller}`;
  }
  return area;
}

function top(map: Map<string, number>, total: number, n: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
}

export async function summariseProfile(path: string, topN = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfByNode = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute it to sample i (as DevTools does, roughly).
  profile.samples.forEach((id, i) => selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  let total = 0;
  const byArea = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfByNode) {
    const node = byId.get(id)!;
    total += us;
    const area = areaWithCaller(id, byId, parent);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    selfByFunction.set(label(node.callFrame), (selfByFunction.get(label(node.callFrame)) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (!/src\/(crypto|node)\//.test(frame.url)) continue;
      const name = label(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }
  return {
    totalMs: total / 1000,
    samples: profile.samples.length,
    byArea: top(byArea, total, topN),
    selfByFunction: top(selfByFunction, total, topN),
    inclusiveSotto: top(inclusive, total, topN),
  };
}
