import type { ByteSink, ByteSource } from "../../machine/device";

/**
 * One input byte, the history position at which the call that read it (a run, a poll) began, and
 * the instructions retired then: where the byte reached the guest.
 */
export interface InputEvent {
  at: number;
  instret: number;
  byte: number;
}

/**
 * The guest's UART as history sees it: the only input that does not follow from the machine's state.
 *
 * Input bytes reach the source between the debugger's calls (JavaScript runs one thing at a time),
 * so within one call to run or pollInput the source holds the same bytes throughout. Each byte read
 * is recorded with the position where its call began; re-execution starts a call at each such
 * position and hands the bytes back in order, to the same reads. Reads beyond the record take the
 * live source. Output already shown is not shown again while the guest re-executes its past.
 */
/** What a target's history is given besides the machine: its console, its budget, and host objects the machine reaches that are not state. */
export interface Recording {
  console: RecordedConsole;
  /** The history's budget in bytes (0: none; absent: the default). */
  budgetBytes?: number;
  /** The host's ends of devices (an image file): kept by identity, never rewound. */
  outside?: readonly object[];
}

export class RecordedConsole {
  private events: InputEvent[];
  /** Events consumed so far on this timeline (part of each snapshot). */
  cursor = 0;
  /** Where the current call began, and the instructions retired then. */
  callStart = 0;
  callInstret = 0;
  /** True while the guest re-executes what it has already done: its output was shown the first time. */
  muted = false;

  readonly source: ByteSource = { read: () => this.read() };
  readonly sink: ByteSink = { write: (b) => { if (!this.muted) this.out?.write(b); } };

  /** @param recorded input of an earlier run to hand back first, as the past's is (a replayed run) */
  constructor(private readonly live: ByteSource | undefined, private readonly out: ByteSink | undefined, recorded: readonly InputEvent[] = []) {
    this.events = [...recorded];
  }

  /** The input read so far on this timeline, and any recorded input still to replay. */
  get input(): readonly InputEvent[] {
    return this.events;
  }

  /** Whether recorded input still to replay was read by a call that began at `position`. */
  inputAt(position: number): boolean {
    return this.events[this.cursor]?.at === position;
  }

  /** Where the first call began that read recorded input still to replay, after `position`. */
  nextInputAfter(position: number): number | undefined {
    for (let i = this.cursor; i < this.events.length; i++) if (this.events[i].at > position) return this.events[i].at;
    return undefined;
  }

  /** Forgets the recorded input after the cursor: the timeline forks here. */
  truncate(): void {
    this.events.length = this.cursor;
  }

  private read(): number {
    const next = this.events[this.cursor];
    if (next) {
      if (next.at !== this.callStart) return -1;
      this.cursor++;
      return next.byte;
    }
    const b = this.live?.read() ?? -1;
    if (b >= 0) {
      this.events.push({ at: this.callStart, instret: this.callInstret, byte: b });
      this.cursor++;
    }
    return b;
  }
}
