/** Limits every request meets, in one place: the body parser enforces them and the document states them. */

/** Bodies larger than this are refused with 413 before they are parsed. */
export const BODY_LIMIT_BYTES = 256 * 1024;
export const BODY_LIMIT_TEXT = `${BODY_LIMIT_BYTES / 1024} KB`;

/** Deeper than this, a body is refused: no route takes more than a few levels, and deep nesting costs stack. */
export const MAX_BODY_DEPTH = 32;
