import type { Target, TargetStop } from "../target/target";
import { Monitor } from "./monitor";
import { escapeBinary, frame, fromHex, hexText, PacketReader, textFromHex, toHex, unescapeBinary } from "./packet";
import { decodeValue, encodeValue, G_PACKET_REGNUMS, readRegister, targetRegisters, writeRegister } from "./registers";
import { StopPoints, type StopPointType } from "./stop_points";
import { targetXml } from "./target_xml";

/** What a session tells whoever runs the machine. */
export interface RunControl {
  /** The client continued: the machine may run until it stops or the client interrupts it. */
  resumed(): void;
  /** The client asked to kill the target: end the run. */
  kill(): void;
}

/** The connection, as the session sees it: whole wire strings out, and the end of it. */
export interface SessionLink {
  send(wire: string): void;
  close(): void;
}

/** What we accept in one packet; GDB sizes its `M`/`X` packets and `m` requests by it. */
export const PACKET_SIZE = 0x4000;
const SIGINT = "02";
/** Hart n is thread n + 1 (GDB's thread ids start at 1), in hex. */
const threadId = (hart: number) => (hart + 1).toString(16).padStart(2, "0");
const SIGTRAP = "05";

/**
 * What a read-only client may not send: register and memory writes, breakpoints and watchpoints,
 * and anything that runs or ends the guest.
 */
const CHANGES_THE_GUEST = /^(?:[GPMXZzcsk]|vCont;)/;

/**
 * One GDB client on one target: the packets of the remote serial protocol turned into target
 * operations. Each hart is a thread (hart n is thread n + 1); `Hg`/`Hc` select the one whose
 * registers are read and that `s` steps (the others stay where they are), and a stop reply names
 * the hart the stop concerns. A `c` leaves the machine to whoever runs it
 * (the CLI's run loop), which reports the stop with `stopped`; a step runs here, at once.
 * A read-only session (beside a VS Code session, which keeps control) only reads: registers,
 * memory, the target description and `monitor`.
 */
export class GdbSession {
  private readonly reader = new PacketReader();
  private readonly points: StopPoints;
  private readonly monitor: Monitor;
  private readonly xml: string;
  private acks = true;
  private lastSent = "";
  private lastStop = `T${SIGTRAP}thread:01;`;
  private runs = false;

  constructor(
    private readonly target: Target,
    private readonly link: SessionLink,
    private readonly control: RunControl,
    private readonly readOnly = false,
  ) {
    this.points = new StopPoints(target);
    this.monitor = new Monitor(target);
    this.xml = targetXml(targetRegisters(target));
  }

  /** The machine is the run loop's until it stops: the client is owed a stop reply. */
  get running(): boolean {
    return this.runs;
  }

  receive(chunk: Uint8Array): void {
    for (const event of this.reader.push(chunk)) {
      switch (event.kind) {
        case "packet":
          if (this.acks) this.link.send("+");
          this.handle(event.payload);
          break;
        case "corrupt":
          if (this.acks) this.link.send("-");
          break;
        case "nak":
          if (this.lastSent) this.link.send(this.lastSent);
          break;
        case "interrupt":
          if (this.runs) this.report(`T${SIGINT}${this.thread()}`);
          break;
        case "ack":
          break;
      }
    }
  }

  /** The run stopped while the client waited for it (a breakpoint, a watchpoint, a sleeping or stuck guest). */
  stopped(stop: TargetStop): void {
    if (this.runs) this.report(this.stopReply(stop));
  }

  /** The run is over: the guest halted, or the runner stopped it; `code` is the process's exit status. */
  ended(code: number): void {
    this.reply(`W${(code & 0xff).toString(16).padStart(2, "0")}`);
    this.runs = false;
    this.link.close();
  }

  /** The client detached or went away: its stop points go, and the guest runs on without it. */
  disconnected(): void {
    if (this.readOnly) return;
    this.points.clear();
    this.resume();
  }

  private handle(payload: string): void {
    const reply = this.readOnly && CHANGES_THE_GUEST.test(payload) ? "E01" : this.dispatch(payload);
    if (reply !== undefined) this.reply(reply);
    // Both sides stop acknowledging once the reply to QStartNoAckMode is out.
    if (payload === "QStartNoAckMode") this.acks = false;
  }

  /** The reply to a packet; undefined when the reply comes later (a stop) or never (`k`). */
  private dispatch(p: string): string | undefined {
    const t = this.target;
    switch (p[0]) {
      case "?":
        return this.lastStop;
      case "g":
        return G_PACKET_REGNUMS.map((n) => encodeValue(readRegister(t, n)!)).join("");
      case "G":
        return this.writeAllRegisters(p.slice(1));
      case "p": {
        const v = readRegister(t, parseInt(p.slice(1), 16));
        return v === undefined ? "E01" : encodeValue(v);
      }
      case "P": {
        const m = /^P([0-9a-fA-F]+)=([0-9a-fA-F]+)$/.exec(p);
        const v = m ? decodeValue(m[2]) : undefined;
        return v !== undefined && writeRegister(t, parseInt(m![1], 16), v) ? "OK" : "E01";
      }
      case "m":
        return this.readMemory(p.slice(1));
      case "M":
      case "X":
        return this.writeMemory(p);
      case "c":
        return this.resume();
      case "s":
        return this.step();
      case "Z":
      case "z":
        return this.stopPoint(p);
      case "H":
        return this.selectThread(p.slice(2));
      case "T":
        return this.hartOf(p.slice(1)) === undefined ? "E01" : "OK";
      case "D":
        this.disconnected();
        this.reply("OK");
        this.link.close();
        return undefined;
      case "k":
        this.control.kill();
        this.link.close();
        return undefined;
      case "q":
      case "Q":
        return this.query(p);
      case "v":
        return this.vPacket(p);
      default:
        return "";
    }
  }

  private query(p: string): string {
    if (p.startsWith("qSupported")) return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;QStartNoAckMode+;vContSupported+`;
    if (p === "QStartNoAckMode") return "OK";
    if (p.startsWith("qXfer:features:read:")) return this.features(p.slice("qXfer:features:read:".length));
    if (p.startsWith("qRcmd,")) return hexText(this.monitor.run(textFromHex(p.slice(6))));
    if (p === "qC") return `QC${threadId(this.target.selectedHart)}`;
    if (p === "qfThreadInfo") return `m${Array.from({ length: this.target.harts }, (_, n) => threadId(n)).join(",")}`;
    if (p.startsWith("qThreadExtraInfo,")) {
      const n = this.hartOf(p.slice("qThreadExtraInfo,".length));
      return n === undefined ? "E01" : hexText(`hart ${n}`);
    }
    if (p === "qsThreadInfo") return "l";
    if (p === "qAttached") return "1";
    return "";
  }

  private vPacket(p: string): string | undefined {
    if (p === "vCont?") return this.readOnly ? "" : "vCont;c;C;s;S";
    if (!p.startsWith("vCont;")) return "";
    // A step of one thread (or of the selected one) is a step of that hart alone; otherwise a continue runs them all.
    const actions = p.slice(6).split(";").map((a) => a.split(":"));
    const step = actions.find(([verb]) => verb[0] === "s" || verb[0] === "S");
    if (step) {
      if (step[1] !== undefined && step[1] !== "-1") {
        const n = this.hartOf(step[1]);
        if (n === undefined) return "E01";
        this.target.selectedHart = n;
      }
      return this.step();
    }
    if (actions.some(([verb]) => verb[0] === "c" || verb[0] === "C")) return this.resume();
    return "E01";
  }

  private features(rest: string): string {
    const m = /^target\.xml:([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(rest);
    if (!m) return "E00";
    const offset = parseInt(m[1], 16);
    const chunk = this.xml.slice(offset, offset + parseInt(m[2], 16));
    return (offset + chunk.length >= this.xml.length ? "l" : "m") + escapeBinary(Uint8Array.from(chunk, (c) => c.charCodeAt(0)));
  }

  private resume(): undefined {
    this.runs = true;
    this.control.resumed();
    return undefined;
  }

  private step(): string | undefined {
    const stop = this.target.step();
    // A guest that halts in this step ends the run: the run loop finds it halted and reports the exit.
    if (stop.kind === "halt") return this.resume();
    this.lastStop = this.stopReply(stop);
    return this.lastStop;
  }

  private stopReply(stop: TargetStop): string {
    switch (stop.kind) {
      case "watchpoint":
        return `T${SIGTRAP}${this.points.watchHit(stop)}${this.thread()}`;
      case "idle":
        this.console("hyperstep: the guest sleeps in WFI and nothing is left that could wake it\n");
        break;
      case "trap-loop":
        this.console(`hyperstep: the guest is stuck in a trap loop at pc 0x${stop.pc.toString(16)}: its trap handler faults\n`);
        break;
    }
    return `T${SIGTRAP}${this.thread()}`;
  }

  /** The stop reply's thread: the hart the stop concerns, which the target has selected. */
  private thread(): string {
    return `thread:${threadId(this.target.selectedHart)};`;
  }

  /** The hart of a thread id in hex, or undefined when there is none. */
  private hartOf(id: string): number | undefined {
    const n = /^[0-9a-fA-F]+$/.test(id) ? parseInt(id, 16) - 1 : -1;
    return n >= 0 && n < this.target.harts ? n : undefined;
  }

  /** `Hg`/`Hc` with a thread: that hart is the one registers and steps concern; 0 and -1 (any, all) keep it. */
  private selectThread(id: string): string {
    if (id === "0" || id === "-1") return "OK";
    const n = this.hartOf(id);
    if (n === undefined) return "E01";
    this.target.selectedHart = n;
    return "OK";
  }

  private stopPoint(p: string): string {
    const m = /^([Zz])([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(p);
    if (!m) return "E01";
    const type = Number(m[2]) as StopPointType;
    const addr = BigInt("0x" + m[3]);
    const length = parseInt(m[4], 16);
    if (m[1] === "z") return this.points.remove(type, addr, length) ? "OK" : "E01";
    // GDB reports a refused watchpoint itself ("Could not insert hardware watchpoint").
    return this.points.insert(type, addr, length) === undefined ? "OK" : "E01";
  }

  private readMemory(args: string): string {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
    if (!m) return "E01";
    const length = Math.min(parseInt(m[2], 16), PACKET_SIZE / 2);
    const bytes = this.target.readMemory("va", BigInt("0x" + m[1]), length);
    return bytes ? toHex(bytes) : "E14";
  }

  private writeMemory(p: string): string {
    const colon = p.indexOf(":");
    const m = /^[MX]([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p.slice(0, colon));
    if (colon < 0 || !m) return "E01";
    const data = p[0] === "X" ? unescapeBinary(p.slice(colon + 1)) : fromHex(p.slice(colon + 1));
    if (!data || data.length !== parseInt(m[2], 16)) return "E01";
    return this.target.writeMemory("va", BigInt("0x" + m[1]), data) ? "OK" : "E14";
  }

  private writeAllRegisters(hex: string): string {
    const values = G_PACKET_REGNUMS.map((_, i) => decodeValue(hex.slice(16 * i, 16 * i + 16)));
    if (values.some((v) => v === undefined)) return "E01";
    G_PACKET_REGNUMS.forEach((n, i) => writeRegister(this.target, n, values[i]!));
    return "OK";
  }

  /** Text GDB prints on its console (an `O` packet), while the client waits for a stop. */
  private console(text: string): void {
    this.send(frame("O" + hexText(text)));
  }

  private report(stopReply: string): void {
    this.runs = false;
    this.lastStop = stopReply;
    this.reply(stopReply);
  }

  private reply(payload: string): void {
    this.send(frame(payload));
  }

  private send(wire: string): void {
    this.lastSent = wire;
    this.link.send(wire);
  }
}
