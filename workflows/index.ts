export { contractWorkflow } from './contract';
export { invoiceCollectionWorkflow } from './collection';
