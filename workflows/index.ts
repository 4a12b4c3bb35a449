export { contractWorkflow } from './contract';
export { invoiceCollectionWorkflow } from './collection';
export { taskEscalationWorkflow } from './task-escalation';
export { creditReviewWorkflow } from './credit-review';
export { blockedLettersWorkflow } from './blocked-letters';
