/**
 * Text every part can store and send: well-formed Unicode without NUL. PostgreSQL refuses NUL in text
 * and jsonb; Temporal's core cannot encode a lone surrogate. Shared by the API's input guard, the
 * import decoder and the failure converter of workflows and activities.
 */

// Node 20 has String.prototype.isWellFormed/toWellFormed (also inside workflows); the ES2022 lib does not declare them.
type Es2024String = { isWellFormed(): boolean; toWellFormed(): string };

/** Whether every surrogate in the text is half of a pair. */
export const isWellFormed = (text: string): boolean => (text as unknown as Es2024String).isWellFormed();

/** The text with each lone surrogate replaced by U+FFFD: safe to echo in a message or hand to Temporal. */
export const wellFormed = (text: string): string => (text as unknown as Es2024String).toWellFormed();

/** What is wrong with a text, or undefined when it may go on. */
export function textProblem(text: string): string | undefined {
  if (!isWellFormed(text)) return 'must be well-formed Unicode (it contains a lone surrogate)';
  if (text.includes('\0')) return 'must not contain the NUL character (\\u0000)';
  return undefined;
}
