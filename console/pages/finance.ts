import type { ApiDeps } from '../../api/deps';
import type { ConsolePages } from '../pages';

export function registerFinance(_pages: ConsolePages, _deps: ApiDeps): void {}
