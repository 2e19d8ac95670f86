/**
 * The one place a remedy becomes words lives beside the hints themselves (src/hint.ts), so the pure
 * verdict can fill a default remedy; render/ and the commands import it from here.
 */
export { flagText, type RemedyContext, remedyText, type ServerRef, serverArgs } from '../hint.js';
