import { PRIV_NAMES } from "../../isa/privilege";
import { PmpAccess } from "../../machine/hart/pmp";
import { decodeBits, insn } from "../decode";
import { emulateCsr } from "../emulate/csr";
import { emulateEcall, emulateInstruction } from "../emulate/insn";
import { Acc } from "../mm/guest_walk";
import { PTE_X } from "../mm/shadow_paging";
import type { Vm } from "../vm";
import { pcRelative, translateBlock, type Callout, type TranslatedBlock } from "./bt_translator";
import type { Technique, TechniqueSpec, VmmTable } from "./technique";
import { TrapAndEmulate } from "./trap_and_emulate";

/**
 * Binary translation (VMware's VMM on x86 before VT-x, Adams and Agesen, ASPLOS 2006): the guest's
 * privileged code (virtual M- and S-mode) never runs as it is. The VMM scans it one basic block at a
 * time (bt_translator.ts), copies it into a translation cache (TC) in host memory outside guest RAM,
 * rewrites what is sensitive or pc-relative into callouts, and runs the copy on the host hart in
 * host U-mode on the shadow page tables, as trap-and-emulate runs its guest. A callout is a call
 * into the VMM's emulation (emulate/), not a guest trap, and is recorded as a `bt-callout` exit at
 * the callout cost (cost_model.ts). Guest U-mode code runs directly, exactly as under
 * trap-and-emulate (an instance of that class does it).
 *
 * Because the translator sees every sensitive instruction before it runs, the non-standard
 * `nonTrappingSensitive` option (vm.ts) cannot hide one from it: a non-trapping `csrr sstatus` in
 * the guest kernel is still rewritten into a callout, and the guest reads its virtual sstatus.
 *
 * The TC is mapped for the hart at guest-virtual TC_VA, execute-only, in the shadow roots of the
 * guest's privileged contexts only (installed on the hart's first fetch fault there), so guest
 * U-mode cannot reach it and guest loads and stores there fault like any unmapped address.
 * Coherence: each block keeps a copy of the guest bytes it was made from and is checked against
 * guest memory each time the VMM dispatches to it (self-modifying code is retranslated); `fence.i`,
 * an emulated `sfence.vma` and a change of the guest's PMP flush the whole TC, and so does a full
 * TC (the eviction policy is flush-all).
 */
const TC_VA = 0x20_0000_0000;
const TC_BYTES = 256 * 1024;

interface Block {
  rootKey: string;
  /** Where the guest code came from (host-physical) and a copy of it, to detect writes to it. */
  hpa: number;
  code: Uint8Array;
  first: number;
  words: number;
  /** The guest pcs of the block's instructions (its entry points). */
  entries: number[];
}

export interface TcStats {
  blocks: number;
  bytesUsed: number;
  bytes: number;
  translated: number;
  flushes: number;
  retranslated: number;
}

export class BinaryTranslation implements Technique {
  private readonly direct: TrapAndEmulate;
  private readonly words: number;
  /** Per TC word: the guest pc the guest is at when the hart is about to run it; its block. */
  private readonly guestPcAt: Float64Array;
  private readonly blockAt: Int32Array;
  private readonly callouts = new Map<number, Callout>();
  private blocks: (Block | undefined)[] = [];
  /** Per shadow root key: guest pc → TC word of that guest instruction. */
  private readonly entries = new Map<string, Map<number, number>>();
  private used = 0;
  /** The last entry ran translated code (else guest U-mode, or one instruction directly). */
  private inTc = false;
  private translated = 0;
  private flushes = 0;
  private retranslated = 0;

  constructor(private readonly vm: Vm, private readonly tcHpa: number, tcBytes: number) {
    this.direct = new TrapAndEmulate(vm);
    this.words = tcBytes / 4;
    this.guestPcAt = new Float64Array(this.words);
    this.blockAt = new Int32Array(this.words);
  }

  get trappedHow(): string {
    return this.inTc ? "a callout from the translation cache" : this.direct.trappedHow;
  }

  reset(): void {
    this.direct.reset();
    this.inTc = false;
    this.flush();
    this.translated = this.flushes = this.retranslated = 0;
  }

  /**
   * Guest U-mode runs directly; privileged code runs from the TC at the translation of the guest
   * pc. Code the translator cannot take (an instruction across a page end, a page the guest may
   * not execute from, or only in part by its PMP) runs directly for one instruction, whose fetch
   * then faults or is checked as under trap-and-emulate.
   */
  enter(): number {
    const vm = this.vm;
    const v = vm.vcpu.state;
    this.inTc = false;
    if (v.prv === 0 || v.wildPc !== undefined) return this.direct.enter();
    const at = this.entryFor(v.pcNum);
    if (at < 0) {
      this.direct.enter();
      return 1;
    }
    const steps = this.direct.enter();
    const hart = vm.board.hart;
    hart.pcNum = TC_VA + at * 4;
    hart.wildPc = undefined;
    this.inTc = true;
    // Breakpoints are on guest pcs, which the hart never runs here: one guest step per entry lets
    // the run loop check each one.
    return hart.breakpoints.size > 0 ? 1 : steps;
  }

  /** The hart stopped in the TC: the guest is at the guest pc of that TC instruction. */
  leave(): void {
    this.direct.leave();
    const hart = this.vm.board.hart;
    const word = this.wordAt(hart.pcNum);
    if (this.inTc && word >= 0) hart.pcNum = this.guestPcAt[word];
  }

  handleExit(cause: bigint, tval: bigint): number {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const word = this.inTc ? this.wordAt(v.pcNum) : -1;
    if (word < 0) return this.direct.handleExit(cause, tval);
    v.pcNum = this.guestPcAt[word];
    const c = Number(cause);
    if (c === 12 && this.wordAt(Number(BigInt.asIntN(64, tval))) >= 0) {
      this.mapTcPage(Number(BigInt.asIntN(64, tval)));
      return 0;
    }
    const callout = c === 8 ? this.callouts.get(word) : undefined;
    if (callout) return this.callout(callout);
    // Anything else is the guest instruction's own fault (a hidden page fault, MMIO, a true fault),
    // handled as under trap-and-emulate at the guest pc, with what the guest's hart would put in
    // tval: an illegal instruction's own bits, not the TC's expansion of them.
    const guestTval = c === 2 ? BigInt(vm.fetchGuestInstruction(v.pc) ?? 0) : tval;
    return this.direct.handleExit(cause, guestTval);
  }

  stepped(): void {}

  deliversInterrupt(): boolean {
    return false;
  }

  trappedInstruction(): number | undefined {
    return this.inTc ? this.vm.fetchGuestInstruction(this.vm.vcpu.state.pc) : this.direct.trappedInstruction();
  }

  /** The guest's mappings may have changed: translations were made through the old ones. */
  fenced(): string | undefined {
    return this.flushFor("sfence.vma");
  }

  pmpChanged(): string | undefined {
    return this.flushFor("the guest's PMP changed");
  }

  tables(): VmmTable[] {
    return [];
  }

  stats(): TcStats {
    return {
      blocks: this.blocks.filter((b) => b !== undefined).length, bytesUsed: this.used * 4, bytes: this.words * 4,
      translated: this.translated, flushes: this.flushes, retranslated: this.retranslated,
    };
  }

  // ---- the translation cache ----

  /** The TC word of guest instruction `pc` in the current context, translating its block if needed; −1 if it cannot be. */
  private entryFor(pc: number): number {
    const vm = this.vm;
    const key = vm.currentRoot().key;
    const at = this.entries.get(key)?.get(pc);
    if (at !== undefined) {
      const b = this.blocks[this.blockAt[at]]!;
      if (this.unchanged(b)) return at;
      this.retranslated++;
      this.drop(this.blockAt[at]);
    }
    return this.translate(key, pc);
  }

  private translate(key: string, pc: number): number {
    const vm = this.vm;
    const v = vm.vcpu.state;
    // The guest's own fetch rules: its translation (setting A, as its hardware's walk would) and its PMP, for the whole page.
    const t = vm.translate(pc, Acc.X, true);
    if (!t.ok) return -1;
    const hpa = vm.p2m.toHpa(t.gpa, 2);
    const pageOffset = t.gpa & 4095;
    if (hpa < 0 || !v.pmp.check(t.gpa - pageOffset, 4096, PmpAccess.X, v.prv)) return -1;
    const ram = vm.board.ram;
    const left = 4096 - pageOffset;
    const block = translateBlock(pc, (off) => (off + 2 <= left ? ram.view.getUint16(hpa - ram.base + off, true) : undefined));
    if (!block) return -1;
    if (this.used + block.words.length > this.words) this.flush();
    this.translated++;
    return this.place(key, block, hpa);
  }

  private place(key: string, block: TranslatedBlock, hpa: number): number {
    const first = this.used;
    const id = this.blocks.length;
    const n = block.words.length;
    const bytes = new Uint8Array(n * 4);
    const view = new DataView(bytes.buffer);
    const ram = this.vm.board.ram;
    let map = this.entries.get(key);
    if (!map) this.entries.set(key, (map = new Map()));
    const entries: number[] = [];
    block.words.forEach((w, i) => {
      view.setUint32(i * 4, w, true);
      this.guestPcAt[first + i] = block.guestPcs[i];
      this.blockAt[first + i] = id;
      const c = block.callouts.get(i);
      if (c) this.callouts.set(first + i, c);
      if (c?.kind !== "fallthrough" && c?.kind !== "taken") {
        map.set(block.guestPcs[i], first + i);
        entries.push(block.guestPcs[i]);
      }
    });
    // Through the bus, so that the hart drops any decoded code it held for these TC bytes.
    this.vm.board.bus.writeBytes(this.tcHpa + first * 4, bytes);
    const code = ram.bytes.slice(hpa - ram.base, hpa - ram.base + block.guestBytes);
    this.blocks.push({ rootKey: key, hpa, code, first, words: n, entries });
    this.used += n;
    return first;
  }

  private unchanged(b: Block): boolean {
    const bytes = this.vm.board.ram.bytes;
    const at = b.hpa - this.vm.board.ram.base;
    for (let i = 0; i < b.code.length; i++) if (bytes[at + i] !== b.code[i]) return false;
    return true;
  }

  /** Forgets block `id`: its entry points lead nowhere any more (its TC words stay until the next flush). */
  private drop(id: number): void {
    const b = this.blocks[id];
    if (!b) return;
    const map = this.entries.get(b.rootKey);
    for (const pc of b.entries) if (map?.get(pc) !== undefined && this.blockAt[map.get(pc)!] === id) map.delete(pc);
    this.blocks[id] = undefined;
  }

  private flush(): void {
    if (this.used > 0) this.flushes++;
    this.callouts.clear();
    this.entries.clear();
    this.blocks = [];
    this.used = 0;
  }

  private flushFor(why: string): string | undefined {
    const n = this.blocks.filter((b) => b !== undefined).length;
    this.flush();
    return n > 0 ? `${why}: flushed the translation cache (${n} block${n === 1 ? "" : "s"})` : undefined;
  }

  /** The TC word at host-virtual `va`, or −1 outside the TC's used part. */
  private wordAt(va: number): number {
    const off = va - TC_VA;
    return off >= 0 && off < this.used * 4 && off % 4 === 0 ? off / 4 : -1;
  }

  /** The hart's first fetch from a TC page in this shadow root: map it there, execute-only. */
  private mapTcPage(va: number): void {
    const vm = this.vm;
    const page = Math.floor((va - TC_VA) / 4096);
    vm.shadow.install(vm.currentRoot(), Math.floor(va / 4096) & 0x7ffffff, -1, Math.floor(this.tcHpa / 4096) + page, PTE_X, [], 0, false);
  }

  // ---- callouts ----

  /** A callout from the TC: emulates the guest instruction it stands for; returns the guest steps used. */
  private callout(c: Callout): number {
    const hart = this.vm.board.hart;
    const v = this.vm.vcpu.state;
    const reservation = hart.resAddrBeforeTrap;
    // The vCPU's trap entry and xRET clear its (otherwise unused) reservation: that tells whether
    // the emulation entered a guest trap or returned from one.
    v.resAddr = 0;
    const steps = this.calloutBody(c);
    // The callout is no trap for the guest: its LR reservation, which the hart's ecall took away,
    // survives it, unless the guest's own hart would have trapped or returned here too.
    if (!Number.isNaN(v.resAddr)) hart.resAddr = reservation;
    return steps;
  }

  private calloutBody(c: Callout): number {
    const vm = this.vm;
    switch (c.kind) {
      case "fallthrough": case "taken":
        this.record(c, `dispatch: the block ended; the guest goes on at 0x${this.hex(c.guestPc)}`);
        return 0;
      case "sensitive":
        return this.emulated(c);
      case "fence.i": {
        const how = this.flushFor("fence.i") ?? "fence.i: the translation cache was empty";
        vm.retire(c.length);
        this.record(c, how);
        return 1;
      }
      default:
        return this.pcRelativeCallout(c);
    }
  }

  /** A sensitive instruction: the VMM's emulation, as trap-and-emulate's, records it as a callout. */
  private emulated(c: Callout): number {
    const vm = this.vm;
    const d = decodeBits(c.bits);
    vm.inCallout = true;
    try {
      if (d.mnemonic.startsWith("csrr")) return emulateCsr(vm, d);
      if (d.mnemonic === "ecall") return emulateEcall(vm);
      return emulateInstruction(vm, c.bits);
    } finally {
      vm.inCallout = false;
    }
  }

  /** auipc, jal, jalr: what they compute, with the guest's pc (the TC's would be wrong). */
  private pcRelativeCallout(c: Callout): number {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const hart = vm.board.hart;
    const { rd, rs1, imm } = pcRelative(c);
    const pc = BigInt(c.guestPc);
    const link = BigInt.asUintN(64, pc + BigInt(c.length));
    const target = c.kind === "auipc" ? undefined
      : c.kind === "jal" ? BigInt.asUintN(64, pc + BigInt(imm))
      : BigInt.asUintN(64, hart.getReg(rs1) + BigInt(imm)) & ~1n;
    vm.retire(c.length);
    if (rd !== 0) hart.setReg(rd, c.kind === "auipc" ? BigInt.asUintN(64, pc + BigInt(imm)) : link);
    if (target !== undefined) v.pc = target;
    this.record(c, c.kind === "auipc"
      ? `emulated auipc with the guest pc: x${rd} ← 0x${hart.getReg(rd).toString(16)}`
      : `emulated ${c.kind} with guest addresses: ${rd !== 0 ? `x${rd} ← 0x${link.toString(16)}, ` : ""}the guest goes on at 0x${v.pc.toString(16)}`);
    return 1;
  }

  private record(c: Callout, action: string): void {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const priv = v.prv;
    const d = c.length === 0 ? undefined : decodeBits(c.bits);
    const pc = BigInt.asUintN(64, BigInt(c.guestPc));
    const toPc = v.pc;
    vm.record("bt-callout", d && insn(d), { callout: c.kind, toPc }, () => ({
      action,
      steps: [
        { phase: "decode", text: `a callout from the translation cache (${c.kind}) in virtual ${PRIV_NAMES[priv]}-mode, no guest trap` },
        { phase: "resume", text: "the VMM dispatches to the translation of the guest's next pc", after: toPc },
      ],
    }), pc, priv);
  }

  private hex(pc: number): string {
    return BigInt.asUintN(64, BigInt(pc)).toString(16);
  }
}

export const BINARY_TRANSLATION: TechniqueSpec = {
  description: "Guest kernel code is translated into a translation cache with its sensitive instructions rewritten into VMM callouts; user code runs directly; shadow page tables.",
  nonTrappingSensitive: true,
  hypervisorExtension: false,
  poolBytes: () => TC_BYTES,
  create: (vm, poolBase, poolBytes) => new BinaryTranslation(vm, poolBase, poolBytes),
};
