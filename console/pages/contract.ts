import type { ApiDeps } from '../../api/deps';
import type { ConsolePages } from '../pages';

export function registerContract(_pages: ConsolePages, _deps: ApiDeps): void {}
