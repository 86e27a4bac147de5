import { QnetError } from '../../shared/errors/qnet-error';

/** A compare-and-set replace named a revision that is no longer current: read again, edit, retry. */
export class RevisionConflictError extends QnetError {
  readonly code = 'REVISION_CONFLICT';
}
