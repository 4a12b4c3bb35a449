export { contractWorkflow } from './contract';
export { invoiceCollectionWorkflow } from './collection';
export { taskEscalationWorkflow } from './task-escalation';
export { creditReviewWorkflow } from './credit-review';
export { portalConfirmationWorkflow } from './portal-confirmation';
export { taskNotificationsWorkflow } from './task-notifications';
export { blockedLettersWorkflow } from './blocked-letters';
export { receivableSnapshotsWorkflow } from './receivable-snapshots';
