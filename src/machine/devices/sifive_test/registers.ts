/** The finisher's one register: the status word a guest stores to end the run. */
export const STATUS = 0;

/** The finisher decodes one word, so every access to it is named for that word. */
export function finisherRegisterName(_offset: number, _write: boolean): string {
  return "status";
}
