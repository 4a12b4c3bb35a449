import type { Db } from '../db/connect';
import type { SendTime } from '../domain/collection';
import { recordContractEvent } from './contract-records';
import { createInvoice } from './invoices';
import { type MailSettings, sendLetter } from './letters';
import type { ContractEvent, IssueInvoiceRequest, SendLetterRequest } from './types';

export interface ActivityDeps {
  db: Db;
  mail: MailSettings;
  sendTime: SendTime;
}

/** Activities are built from their dependencies so tests and processes wire real or local parts alike. */
export function createActivities(deps: ActivityDeps) {
  return {
    recordContractEvent: (event: ContractEvent) => recordContractEvent(deps.db, event),
    createInvoice: (request: IssueInvoiceRequest) => createInvoice(deps.db, deps.sendTime, request),
    sendLetter: (request: SendLetterRequest) => sendLetter(deps.db, deps.mail, request),
  };
}

export type Activities = ReturnType<typeof createActivities>;
