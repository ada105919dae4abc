import type { Lifetime } from '../schemas.js';
import type { ContainerInstance, ContainerLifetime } from '../types.js';
import type { LifetimeRecord, LifetimeStore } from './lifetime-store.js';

/** The label a container's lifetime is stamped in at create: what a store record falls back to. */
export const LIFETIME_LABEL = 'berth.lifetime';

interface LabelValue extends LifetimeRecord {
  createdAt: number;
}

/** The label value for a container made at `now` with `lifetime`. */
export function lifetimeLabel(lifetime: Lifetime, now: number): string {
  const value: LabelValue = {
    expiresAt: lifetime.ttlMs === undefined ? null : now + lifetime.ttlMs,
    idleTimeoutMs: lifetime.idleTimeoutMs ?? null,
    onExpiry: lifetime.onExpiry,
    createdAt: now,
  };
  return JSON.stringify(value);
}

export function recordFromLabel(label: string): LifetimeRecord | undefined {
  try {
    const value = JSON.parse(label) as Partial<LabelValue> | null;
    if (value === null || typeof value !== 'object') return undefined;
    if (value.onExpiry !== 'stop' && value.onExpiry !== 'remove') return undefined;
    const time = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    return {
      expiresAt: time(value.expiresAt),
      idleTimeoutMs: time(value.idleTimeoutMs),
      onExpiry: value.onExpiry,
    };
  } catch {
    return undefined;
  }
}

export interface LifetimeState extends ContainerLifetime {
  /** Epoch ms at which the keeper acts; Infinity when nothing is due without further use. */
  deadline: number;
  reason: 'ttl' | 'idle';
  /** Whether the keeper still has something to do for it. */
  armed: boolean;
}

const ACTIVE = new Set(['running', 'paused']);
const time = (date: Date | undefined) => date?.getTime() ?? 0;

/**
 * Where a container's lifetime stands: the later of the label's and the store's end of time to
 * live (an extension only ever moves it later, and a lost record falls back to the label, the
 * earlier, so never to a longer life), and the idle deadline from its last use.
 */
export function lifetimeState(
  instance: ContainerInstance,
  store: LifetimeStore | undefined,
): LifetimeState | undefined {
  const label = instance.labels[LIFETIME_LABEL];
  const base = label === undefined ? undefined : recordFromLabel(label);
  if (!base) return undefined;
  const stored = store?.get(instance.id);
  const expiresAt =
    base.expiresAt === null ? null : Math.max(base.expiresAt, stored?.expiresAt ?? 0);
  const lastActivity = Math.max(
    time(instance.createdAt),
    time(instance.startedAt),
    store?.lastActivity(instance.id) ?? 0,
  );
  const active = ACTIVE.has(instance.status);
  const idleAt =
    base.idleTimeoutMs !== null && active ? lastActivity + base.idleTimeoutMs : Infinity;
  const ttlAt = expiresAt ?? Infinity;
  const removable = base.onExpiry === 'remove' && instance.status !== 'removing';
  const deadline = Math.min(ttlAt, idleAt);
  return {
    expiresAt: expiresAt === null ? null : new Date(expiresAt),
    idleTimeoutMs: base.idleTimeoutMs,
    lastActivityAt: new Date(lastActivity),
    onExpiry: base.onExpiry,
    deadline,
    reason: ttlAt <= idleAt ? 'ttl' : 'idle',
    armed: deadline !== Infinity && (active || removable),
  };
}

/** The instance with its lifetime as it stands now (unchanged without one). */
export function withLifetime(
  instance: ContainerInstance,
  store: LifetimeStore | undefined,
): ContainerInstance {
  const state = lifetimeState(instance, store);
  if (!state) return instance;
  const { expiresAt, idleTimeoutMs, lastActivityAt, onExpiry } = state;
  return { ...instance, lifetime: { expiresAt, idleTimeoutMs, lastActivityAt, onExpiry } };
}
