/**
 * A letter's HTML asks for the reader's sans-serif; on a machine without a CJK font (this console's often)
 * its Chinese would be boxes. Noto Sans SC, served by the app, comes after the letter's own font for the
 * glyphs it lacks; the frame shares the console's origin to load it (`sandbox="allow-same-origin"`, never
 * allow-scripts: nothing in it runs). The invoice page and the mailbox show letters this way.
 */
const LETTER_FONT =
  '<link rel="stylesheet" href="/assets/fonts/noto-sans-sc/400.css">' +
  '<link rel="stylesheet" href="/assets/fonts/noto-sans-sc/700.css">' +
  "<style>body { font-family: sans-serif, 'Noto Sans SC' !important; }</style>";

export function withChineseFont(html: string): string {
  return html.includes('<head>') ? html.replace('<head>', `<head>${LETTER_FONT}`) : `${LETTER_FONT}${html}`;
}
