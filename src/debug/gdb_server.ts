import type { Target } from "../target/target";

/** A GDB server beside a debug session (the launch attribute `gdbServer`). */
export interface GdbListener {
  /** The port it listens on (the system's choice for port 0). */
  readonly port: number;
  /** Drops its client and frees the port. */
  close(): Promise<void>;
}

/**
 * Starts a read-only GDB server on 127.0.0.1:port for a session's target, or says why it cannot.
 * The session is handed one by whoever creates it: src/gdb sits above src/debug (its `monitor` is
 * the Debug Console), so the adapter cannot import it.
 */
export type ServeGdb = (target: Target, port: number) => Promise<GdbListener | string>;
