/**
 * What the debugger and the CLI need to read the records of the VMM view (vmm_view.ts): every exit
 * reason with its label and description (the exception-breakpoint filters, the REPL's `exits REASON`),
 * and how an exit is named. They live beside the VMM code that produces the records; the debugger and
 * the CLI drive guests through src/target only (eslint.config.mjs), so they reach them here.
 */
export { EXIT_REASONS, EXIT_REASON_IDS, exitName, type ExitReason, type VmExit } from "../hypervisor/exits";
