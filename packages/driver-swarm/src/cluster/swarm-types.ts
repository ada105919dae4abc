/* The parts of the Engine API's swarm objects the driver reads. */

export interface SwarmVersion {
  Index: number;
}

export interface ServiceSpec {
  Name?: string;
  Labels?: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: Record<string, unknown> & { Labels?: Record<string, string> };
    Resources?: { Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number } };
    RestartPolicy?: { Condition?: string; Delay?: number; MaxAttempts?: number };
    Placement?: { Constraints?: string[]; Preferences?: unknown[] };
    Networks?: { Target: string; Aliases?: string[] }[];
    ForceUpdate?: number;
    [key: string]: unknown;
  };
  Mode: { Replicated?: { Replicas?: number } };
  EndpointSpec?: { Mode?: string };
  [key: string]: unknown;
}

export interface Service {
  ID: string;
  Version: SwarmVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ServiceSpec;
}

export type TaskState =
  | 'new'
  | 'allocated'
  | 'pending'
  | 'assigned'
  | 'accepted'
  | 'preparing'
  | 'ready'
  | 'starting'
  | 'running'
  | 'complete'
  | 'shutdown'
  | 'failed'
  | 'rejected'
  | 'remove'
  | 'orphaned';

export interface Task {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  CreatedAt: string;
  UpdatedAt: string;
  Version: SwarmVersion;
  DesiredState: TaskState;
  Status: {
    Timestamp: string;
    State: TaskState;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  };
  NetworksAttachments?: { Network: { ID: string; Spec: { Name: string } }; Addresses?: string[] }[];
}

export interface SwarmNode {
  ID: string;
  Spec: {
    Role: 'manager' | 'worker';
    Availability: 'active' | 'pause' | 'drain';
    Labels?: Record<string, string>;
  };
  Description: {
    Hostname: string;
    Platform?: { OS?: string; Architecture?: string };
    Resources?: { NanoCPUs?: number; MemoryBytes?: number };
    Engine?: { EngineVersion?: string; Labels?: Record<string, string> };
  };
  Status: { State: 'unknown' | 'down' | 'ready' | 'disconnected'; Addr?: string; Message?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

/** The terminal states: the task's container ran and ended, or never will run. */
export const ENDED: ReadonlySet<TaskState> = new Set([
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
]);

/** Before running: scheduled or being prepared. */
export const STARTING: ReadonlySet<TaskState> = new Set([
  'new',
  'allocated',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
]);
