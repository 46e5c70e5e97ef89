import * as net from "node:net";
import type { ServeGdb } from "../debug/gdb_server";
import type { Target, TargetStop } from "../target/target";
import type { GdbAddress } from "./address";
import { GdbSession, type RunControl } from "./session";

/** Who runs the machine: the server's client (the CLI), or someone else (VS Code), the client only looking on. */
export type GdbControl = { wait: boolean } | "read-only";

/**
 * A GDB remote-serial-protocol server for one target, on TCP, one client at a time (a second one is
 * turned away). Whoever runs the machine asks `held()` before each slice of instructions and
 * reports the stops a client waits for (`stopped`) and the end of the run (`ended`).
 */
export class GdbServer implements RunControl {
  private session: GdbSession | undefined;
  private wake: (() => void) | undefined;
  /** The client sent `k`: the run should end. */
  killed = false;

  private readonly sockets = new Set<net.Socket>();
  /** Before the first client continues the guest (`--wait`), it does not run. */
  private waitForClient: boolean;
  private readonly readOnly: boolean;

  private constructor(
    private readonly target: Target,
    private readonly server: net.Server,
    control: GdbControl,
  ) {
    this.readOnly = control === "read-only";
    this.waitForClient = control !== "read-only" && control.wait;
    server.on("connection", (socket) => this.accept(socket));
  }

  /** Listens at the address; resolves with the server, or with why it cannot listen. */
  static listen(target: Target, address: GdbAddress, control: GdbControl): Promise<GdbServer | string> {
    return new Promise((resolve) => {
      const server = net.createServer();
      server.once("error", (e: NodeJS.ErrnoException) => {
        resolve(e.code === "EADDRINUSE" ? `port ${address.port} on ${address.host} is in use; choose another, or 0 for any free port` : `cannot listen on ${address.host}:${address.port}: ${e.message}`);
      });
      server.listen(address.port, address.host, () => resolve(new GdbServer(target, server, control)));
    });
  }

  /** The port it listens on (the one the system chose, for port 0). */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** A client holds the machine (stopped in the debugger), or `--wait` holds it until one continues. */
  held(): boolean {
    return this.session ? !this.session.running : this.waitForClient;
  }

  /** Resolves when the client lets the machine run, or after `ms`. */
  released(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Hands a stop to the client waiting for one; false when no client is attached. */
  stopped(stop: TargetStop): boolean {
    if (!this.session) return false;
    this.session.stopped(stop);
    return true;
  }

  /** The run is over with this exit status: tell the client and stop listening. */
  ended(code: number): void {
    this.session?.ended(code);
    this.server.close();
  }

  /** Drops the client and stops listening; resolves once the port is free again. */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  resumed(): void {
    this.waitForClient = false;
    this.wake?.();
  }

  kill(): void {
    this.killed = true;
    this.resumed();
  }

  private accept(socket: net.Socket): void {
    if (this.session) {
      socket.end();
      return;
    }
    socket.setNoDelay(true);
    const session = new GdbSession(this.target, { send: (wire) => socket.write(wire, "latin1"), close: () => socket.end() }, this, this.readOnly);
    this.session = session;
    this.sockets.add(socket);
    socket.on("data", (chunk) => session.receive(chunk));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.sockets.delete(socket);
      if (this.session !== session) return;
      this.session = undefined;
      session.disconnected();
    });
  }
}

/**
 * The `gdbServer` launch attribute's server: beside VS Code, which keeps control of the guest, a GDB
 * client reads registers, memory and the target description and runs `monitor` commands, and is
 * refused anything that would change the guest or run it.
 */
export const serveReadOnly: ServeGdb = (target, port) => GdbServer.listen(target, { host: "127.0.0.1", port }, "read-only");
