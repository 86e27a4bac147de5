import type { PushResult, PushStatus, PushTarget, QnetdEvent } from '../../services/admin/admin-schemas';

export type { PushResult, PushStatus, PushTarget };

/** What the reconciler tells listeners (the admin event log, the SDK in-process). */
export type ReconcilerEvent = Omit<QnetdEvent, 'seq'>;
export type ReconcilerListener = (event: ReconcilerEvent) => void;
