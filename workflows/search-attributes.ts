import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes, so `temporal workflow list --query 'ContractStage="Delivery"'` works. */
export const CONTRACT_STAGE = defineSearchAttributeKey('ContractStage', SearchAttributeType.KEYWORD);
export const CUSTOMER_CODE = defineSearchAttributeKey('CustomerCode', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_FLAGS = [
  '--search-attribute',
  'ContractStage=Keyword',
  '--search-attribute',
  'CustomerCode=Keyword',
];
