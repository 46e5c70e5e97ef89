/** The process exit statuses of `hyperstep`, besides the guest's own exit code. */

/** The program could not be read, parsed or loaded. */
export const EXIT_LOAD_ERROR = 1;
/** Bad command-line arguments. */
export const EXIT_USAGE = 2;
/**
 * `compare`: a technique's run differed from the baseline's (output, exit code or final registers);
 * `replay`: the replay ended in another state than the recorded run.
 */
export const EXIT_NOT_EQUIVALENT = 3;
/** The guest did not halt: instruction limit, timeout, or asleep in WFI with nothing left to wake it. Same as timeout(1). */
export const EXIT_NO_HALT = 124;
/** Stopped by Ctrl-C: 128 + SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130;
