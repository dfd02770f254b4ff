/** What a model's audit trail records: every committed change is one or more entries of these actions. */
export const HISTORY_ACTIONS = [
  "MODEL_CREATED",
  "MODEL_UPDATED",
  "VERSION_REGISTERED",
  "VERSION_UPDATED",
  "VERSION_READY",
  "VERSION_FAILED",
  /** An Archived version removed by an admin (its artifact object goes when no other version shares it). */
  "VERSION_DELETED",
  "STAGE_CHANGED",
  "ALIAS_CHANGED",
  "POLICY_CHANGED",
  /** An approver's decision on a version entering a stage, or a protected alias moving to it; the latest one of each approver stands. */
  "APPROVAL_RECORDED",
  /** The model removed by an admin, with every version; its history stays, and the name's next model numbers on after this entry. */
  "MODEL_DELETED",
] as const;
export type HistoryAction = (typeof HISTORY_ACTIONS)[number];

/** What a change says about itself; the commit adds who, when, the request and the sequence. */
export interface HistoryDraft {
  readonly action: HistoryAction;
  readonly version?: number;
  readonly semver?: string;
  readonly fromStage?: string;
  readonly toStage?: string;
  readonly previousVersion?: number;
  readonly alias?: string;
  readonly reason?: string;
  /** The bytes a registration, verification or failure is about (events carry it). */
  readonly artifact?: { readonly uri: string; readonly sha256: string; readonly sizeBytes: number };
  readonly changes?: Record<string, unknown>;
  /** A promotion past a gate that requires approvals: the approvers whose approvals counted. */
  readonly approvers?: readonly string[];
}

/** A committed entry: the draft, numbered in the model's sequence and stamped with who, when and the request. */
export interface HistoryEntry extends HistoryDraft {
  readonly model: string;
  readonly sequence: number;
  readonly eventId: string;
  readonly actor: string;
  readonly requestId: string;
  readonly occurredAt: string;
}
