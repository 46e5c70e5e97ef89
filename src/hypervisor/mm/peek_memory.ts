import type { GuestMemory } from "./guest_walk";
import type { P2m } from "./p2m";

/**
 * Guest memory as the debugger looks at it, for a walk of the guest's page table (guest_walk.ts):
 * each PTE is read as the debugger reads memory (`read`, the Vm's readGuestPhysical), so a page the
 * guest never touched reads as zeros and a page swapped out reads from the swap area; neither gets a
 * host frame. The walker reads a PTE right after asking where it is, so one 8-byte scratch will do.
 */
export class PeekMemory implements GuestMemory {
  readonly ramView = new DataView(new ArrayBuffer(8));
  private readonly scratch = new Uint8Array(this.ramView.buffer);

  constructor(
    private readonly p2m: P2m,
    private readonly read: (gpa: number, len: number) => Uint8Array | null,
  ) {}

  pteOffset(gpa: number): number {
    const bytes = this.p2m.isRam(gpa, 8) ? this.read(gpa, 8) : null;
    if (!bytes) return -1;
    this.scratch.set(bytes);
    return 0;
  }

  writePte(): void {
    throw new Error("the debugger's look at guest memory never writes a PTE (walk with setAccessed false)");
  }
}
