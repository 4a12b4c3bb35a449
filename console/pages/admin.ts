import type { ApiDeps } from '../../api/deps';
import type { ConsolePages } from '../pages';

export function registerAdmin(_pages: ConsolePages, _deps: ApiDeps): void {}
