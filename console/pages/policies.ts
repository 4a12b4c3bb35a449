import type { ApiDeps } from '../../api/deps';
import type { ConsolePages } from '../pages';

export function registerPolicies(_pages: ConsolePages, _deps: ApiDeps): void {}
