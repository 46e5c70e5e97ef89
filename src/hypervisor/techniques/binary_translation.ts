import { PRIV_NAMES } from "../../isa/privilege";
import { signedNumber } from "../../isa/u64";
import type { Hart } from "../../machine/hart/hart";
import { PmpAccess } from "../../machine/hart/pmp";
import { MSTATUS_FS } from "../../isa/csr_bits";
import { encB, encJ, immB, immJ, rs1Of, rs2Of } from "../../isa/fields";
import { decodeBits, insn } from "../decode";
import { emulateAccess } from "../emulate/access";
import { emulateCsr } from "../emulate/csr";
import { emulateEcall, emulateInstruction } from "../emulate/insn";
import type { ExitDetails } from "../exits";
import { Acc, guestDataPriv, type GuestTranslated, type GuestTranslation } from "../mm/guest_walk";
import { PTE_X } from "../mm/shadow_paging";
import type { Vm } from "../vm";
import { runInlineCsr } from "./bt_inline_csr";
import { MAX_BLOCK, translateBlock, type Callout, type TranslatedBlock } from "./bt_translator";
import { PcTable } from "./bt_pc_table";
import { TcSpace } from "./tc_space";
import type { TcBlockView, TcRow, TcStats } from "./tc_view";
import type { Technique, TechniqueSpec } from "./technique";
import { TrapAndEmulate } from "./trap_and_emulate";

/**
 * Binary translation (VMware's VMM on x86 before VT-x, Adams and Agesen, ASPLOS 2006): the guest's
 * privileged code (virtual M- and S-mode) never runs as it is. The VMM scans it one basic block at a
 * time (bt_translator.ts), copies it into a translation cache (TC) in host memory outside guest RAM,
 * rewrites what is sensitive or pc-relative into callouts, and runs the copy on the host hart in
 * host U-mode on the shadow page tables, as trap-and-emulate runs its guest. A callout is a call
 * into the VMM's emulation (emulate/), not a guest trap, and is recorded as a `bt-callout` exit at
 * the callout cost (cost_model.ts). A CSR access whose only effect is the value it moves is
 * *inline* instead (bt_inline_csr.ts: why its TC word is still an ecall): the VMM does it on the
 * vCPU's CSR file with no exit and the hart goes on at the next TC word. Guest U-mode code runs
 * directly, exactly as under trap-and-emulate (an instance of that class does it).
 *
 * Because the translator sees every sensitive instruction before it runs, the non-standard
 * `nonTrappingSensitive` option (vm.ts) cannot hide one from it: a non-trapping `csrr sstatus` in
 * the guest kernel is still rewritten (into an inline read), and the guest reads its virtual sstatus.
 *
 * The TC is mapped for the hart at a guest-virtual range (TC_PLACES[0] to begin with), execute-only,
 * in the shadow roots of the guest's privileged contexts only (installed on the hart's first fetch
 * fault there), so guest U-mode cannot reach it and guest loads and stores there fault like any
 * unmapped address. When such a fault shows that the guest's own table maps that range, the VMM
 * relocates the TC to the next place the guest's current context leaves unmapped: TC code jumps
 * only by pc-relative offsets, so moving it means taking its shadow entries down and fetching from
 * the new range; the guest then gets its own mapping of the old range, as natively.
 * Chaining: once the target of a direct transfer has a translation, the transfer goes straight to
 * it without an exit. Where one TC instruction can do that, the TC is patched: a `jal x0` callout
 * becomes a host `jal` to the target's TC word and a branch to a `taken` stub is pointed at the
 * target's TC word (within a branch's ±4 KiB), so the hart never leaves the TC. Where it cannot (a
 * call's link register must get a guest address, a stub's jump would retire a host instruction the
 * guest never ran and make minstret wrong), the ecall stays and the VMM follows the chain at it
 * without recording an exit, standing in for the few inline instructions a real TC holds there; so
 * does `auipc`, whose guest value a real TC loads as a constant. An indirect jump (`jalr`) looks its
 * guest target up in the TC's guest pc → TC word table, and only a miss is an exit
 * (`bt-lookup-miss`). These unrecorded callouts, and the inline CSR accesses, are answered at the
 * hart's ecall gate (Hart.ecallGate, `gate` below): inside the hart's run, with no trap, no VM exit
 * and no re-entry. Taken as traps, each cost a trap entry, the VMM's exit handling and a new run of
 * the hart, and capped xv6 under binary translation at a few million instructions a second.
 *
 * Coherence: the guest pages the VMM translated code from are write-protected in every shadow root
 * (ShadowMmu.protect), so a guest store to one exits (`bt-invalidate`); the VMM emulates it and
 * every write that reaches guest RAM another way (its own emulated stores, the debugger, device DMA)
 * is seen on the board's bus. Either way the blocks whose guest bytes it touched are invalidated,
 * alone: their entry points go and the chains into them are undone, so the next transfer there
 * exits and translates the new code. The TC is thus always coherent with guest memory, which is
 * more than RISC-V asks (a hart need see its own code stores only after a `fence.i`), and `fence.i`
 * has nothing left to do. A page that is also busy data, which takes HOT_PAGE_WRITES stores in a
 * row that invalidate no block, would cost an exit per store: the VMM drops its blocks, stops
 * protecting it and runs the guest's code there directly from then on, as trap-and-emulate does
 * (its sensitive instructions trap; the hart sees its stores at once). An emulated `sfence.vma`
 * has the blocks whose guest translation it fences (as it would their TLB entries: by page and
 * ASID, global pages kept for an ASID fence) checked before they run again (`fenced`): a walk of
 * the guest's table keeps a block if its page still translates to the same guest-physical page,
 * and drops it otherwise. Kernels fence their whole
 * address space on every switch of it (xv6 twice per system call, its kernel mapped without the G
 * bit), and dropping every block there made each system call translate the kernel's path anew: so
 * does a real VMM's TC, keyed by where the code is rather than by the mapping it was reached
 * through (as QEMU's is by physical address). A change of the guest's PMP flushes the whole TC.
 *
 * Runs: the hart counts the executions of each block's first TC word (its execution counters,
 * exec_counts.ts: invisible to the guest, no instruction, no cycle), so a block's runs include the
 * ones that chains and the hart alone make. A block runs when control enters it at its start;
 * entering it past its start (resuming after an exit) is no run of it. A transfer (a chain, a jump
 * or a block's end) whose target lies inside a longer block (a loop's head translated as part of
 * the code before it) gets its target word counted too, from that transfer on: that is where such
 * a loop's rounds show. A re-entry after
 * the VMM serviced a fault of a counted instruction unseen by the guest (a hidden page fault) is the
 * same execution, and is taken back.
 *
 * The TC is bounded: when a new block does not fit, the least recently used blocks are evicted one
 * at a time (their space freed, the chains into them undone) until it does. A block is used when
 * the VMM translates it, dispatches to it or follows a chain to it; code that runs from chain to
 * chain without the VMM ages, and is translated again if it was evicted.
 */
/** Where the TC may sit in the guest-virtual space, in order: in Sv39's positive half, above where kernels map RAM. */
const TC_PLACES = [0x20_0000_0000, 0x30_0000_0000, 0x10_0000_0000, 0x38_0000_0000, 0x08_0000_0000];
export const TC_BYTES = 256 * 1024;
/** Stores in a row to a page of translated code that invalidate nothing, after which its code runs directly instead. */
export const HOT_PAGE_WRITES = 32;
/** entryFor: the guest pc is on such a page, and runs directly. */
const DIRECT = -2;
/** A guest leaf PTE's A (accessed) bit. */
const PTE_A = 0x40;

interface Block {
  id: number;
  rootKey: string;
  guestPc: number;
  /** Where the guest code came from (host-physical), and a copy of it for the views. */
  hpa: number;
  gpaPage: number;
  code: Uint8Array;
  first: number;
  /** The TC words as translated (before any chaining patched them). */
  tc: number[];
  /** The guest pcs of the block's instructions (its entry points). */
  entries: number[];
  /** The guest translation it was read through, for sfence.vma: its VPN, leaf level (−1: none), ASID and G bit. */
  vpn: number;
  level: number;
  asid: number;
  global: boolean;
  /** An sfence.vma fenced that translation: the next lookup checks it before the block runs again. */
  fenced: boolean;
  /** When the VMM last translated it, dispatched to it or followed a chain to it, for LRU eviction. */
  used: number;
}

/** What a block keeps of the guest translation it was read through. */
type Through = Pick<Block, "vpn" | "level" | "asid" | "global">;

/** A guest page's translation now, as fenced blocks on it are checked against: its host page (−1: none) and what a block keeps of it. */
interface PageCheck {
  t: GuestTranslation;
  hpa: number;
  through?: Through;
}

export class BinaryTranslation implements Technique {
  private readonly direct: TrapAndEmulate;
  private readonly space: TcSpace;
  /** Per TC word: the guest pc the guest is at when the hart is about to run it; its block (−1: free). */
  private readonly guestPcAt: Float64Array;
  private readonly blockAt: (Block | undefined)[];
  /** Per TC word: the callout it is, if it is one; whether the hart counts its executions (1). */
  private readonly callouts: (Callout | undefined)[];
  private readonly counted: Uint8Array;
  /** The blocks by id. */
  private readonly blocks = new Map<number, Block>();
  private nextId = 0;
  /**
   * Counts uses, to stamp a block with its last. A stamp rather than moving the block to the end of
   * an ordered map: a lookup is made at every call and return in translated code, and the map's
   * delete and re-insert was a sixth of xv6's time under binary translation.
   */
  private clock = 0;
  /** Per shadow root key: guest pc → TC word of that guest instruction. */
  private readonly entries = new Map<string, PcTable>();
  /** Host page of guest RAM → the blocks translated from it (the page is write-protected while any are). */
  private readonly codePages = new Map<number, Set<number>>();
  /** Host pages of guest RAM: stores in a row there that invalidated nothing, and the pages whose code runs directly since. */
  private readonly idleWrites = new Map<number, number>();
  private readonly directPages = new Set<number>();
  /** The last entry ran translated code (else guest U-mode, or one instruction directly). */
  private inTc = false;
  /** Where the TC is mapped for the hart now (guest-virtual), and how many times the guest's own mappings moved it. */
  private tcVa = TC_PLACES[0];
  private relocations = 0;
  private translated = 0;
  private flushes = 0;
  private invalidated = 0;
  private evicted = 0;
  private fencedOut = 0;
  private refenced = 0;
  private lookups = 0;
  private hits = 0;
  /** Inline CSR accesses run (bt_inline_csr.ts): no exit each. */
  private inlined = 0;
  /** Patched TC words, by the block they jump to: undone when that block goes. */
  private chains = new Map<number, { word: number; original: number }[]>();
  /** The current context's guest pc → TC word map when the hart last entered the TC, for the callout gate. */
  private here: PcTable | undefined;
  /** Per shadow root key: its blocks fenced in another context, to be checked when the hart next enters the TC in theirs. */
  private readonly unchecked = new Map<string, Set<Block>>();
  /** Where the last callout's lookup found the guest's next pc, so that the entry after it need not look again. */
  private found: { key: string; pc: number; at: number } | undefined;
  /** While the VMM emulates a guest store to a code page: that exit's details, to name the blocks it invalidates. */
  private invalidating: ExitDetails | undefined;

  constructor(private readonly vm: Vm, private readonly tcHpa: number, private readonly tcBytes: number, private readonly hotPageWrites = HOT_PAGE_WRITES) {
    this.direct = new TrapAndEmulate(vm);
    this.space = new TcSpace(tcBytes / 4);
    this.guestPcAt = new Float64Array(this.space.words);
    this.blockAt = new Array<Block | undefined>(this.space.words).fill(undefined);
    this.callouts = new Array<Callout | undefined>(this.space.words).fill(undefined);
    this.counted = new Uint8Array(this.space.words);
    // Every write to RAM that is not the hart's own store comes past the board's bus (the hart's own
    // stores to translated code fault on the write protection and are emulated, so they come past too).
    const bus = vm.board.bus;
    const hart = bus.ramWriteListener;
    bus.ramWriteListener = (pa, len) => {
      hart?.(pa, len);
      if (this.codePages.size > 0) this.ramWritten(pa, len);
    };
    vm.board.hart.ecallGate = (h) => this.gate(h);
  }

  get trappedHow(): string {
    return this.inTc ? "a callout from the translation cache" : this.direct.trappedHow;
  }

  reset(): void {
    this.direct.reset();
    this.inTc = false;
    this.flush();
    this.tcVa = TC_PLACES[0];
    this.relocations = 0;
    this.translated = this.flushes = this.invalidated = this.evicted = this.fencedOut = this.refenced = this.lookups = this.hits = this.inlined = 0;
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
    this.checkFenced(vm.currentRoot().key);
    const found = this.found;
    this.found = undefined;
    const at = found?.pc === v.pcNum && found.key === vm.currentRoot().key ? found.at : this.entryFor(v.pcNum);
    if (at === DIRECT) return this.direct.enter();
    if (at < 0) {
      this.direct.enter();
      return 1;
    }
    const steps = this.direct.enter();
    const hart = vm.board.hart;
    hart.pcNum = this.tcVa + at * 4;
    hart.wildPc = undefined;
    this.inTc = true;
    this.here = this.entries.get(vm.currentRoot().key);
    // A bt-translate exit the debugger stops at: the guest has not run the block yet.
    if (vm.stoppedExit) return 0;
    // Breakpoints are on guest pcs, which the hart never runs here: one guest step per entry lets
    // the run loop check each one, when one of them has been translated.
    return hart.breakpoints.size > 0 && this.breakpointTranslated() ? 1 : steps;
  }

  /**
   * Whether a breakpoint's guest pc has a TC word in the current context. The TC runs (and chains
   * to) translated code only; anything else leaves it and comes back through `enter`, which
   * translates. With none of them translated, the TC cannot reach a breakpoint and runs freely:
   * one breakpoint set on code not yet run made xv6's boot 13 times slower.
   */
  private breakpointTranslated(): boolean {
    const map = this.entries.get(this.vm.currentRoot().key);
    if (!map) return false;
    for (const pc of this.vm.board.hart.breakpoints.numbers()) if (map.get(pc) >= 0) return true;
    return false;
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
    if (word < 0) return this.handle(cause, tval, word);
    v.pcNum = this.guestPcAt[word];
    // The hart counted this instruction (a block's first, or a transfer's target) when it began it
    // (an interrupt or a fetch fault comes before that): a trap the guest never sees, after which
    // that instruction runs again from the start, is no second run.
    const begun = cause < 1n << 63n && cause !== 1n && cause !== 12n;
    if (!begun || vm.board.hart.execCounts.count(this.countAt(word)) === undefined) return this.handle(cause, tval, word);
    const pc = v.pcNum, prv = v.prv, retired = vm.emulatedRetired;
    const steps = this.handle(cause, tval, word);
    if (v.pcNum === pc && v.prv === prv && vm.emulatedRetired === retired) vm.board.hart.execCounts.takeBack(this.countAt(word));
    return steps;
  }

  /** An exit from the TC at `word` (−1: from code run directly), with the vCPU at its guest pc. */
  private handle(cause: bigint, tval: bigint, word: number): number {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const c = Number(cause);
    if (c === 15 && this.codePages.size > 0) {
      const steps = this.codeWrite(tval);
      if (steps >= 0) return steps;
    }
    const va = signedNumber(tval);
    if ((c === 13 || c === 15) && va >= this.tcVa && va < this.tcVa + this.space.words * 4) this.relocateFrom(va);
    if (word < 0) return this.direct.handleExit(cause, tval);
    if (c === 12 && this.wordAt(Number(BigInt.asIntN(64, tval))) >= 0) {
      this.mapTcPage(Number(BigInt.asIntN(64, tval)));
      return 0;
    }
    const callout = c === 8 ? this.callouts[word] : undefined;
    if (callout) return this.callout(callout, word);
    // Anything else is the guest instruction's own fault (a hidden page fault, MMIO, a true fault),
    // handled as under trap-and-emulate at the guest pc, with what the guest's hart would put in
    // tval: an illegal instruction's own bits, not the TC's expansion of them.
    const guestTval = c === 2 ? BigInt(vm.fetchGuestInstruction(v.pc) ?? 0) : tval;
    return this.direct.handleExit(cause, guestTval);
  }

  stepped(): void {}

  /** The preempted vCPU's one-instruction retry after a hidden fault goes, as under trap-and-emulate: it faults again when it runs next. */
  preempted(): void {
    this.direct.preempted();
  }

  /**
   * Another vCPU is on the host hart. The TC, its chains and its per-context entry tables are the
   * VM's, as guest code is, and every vCPU runs from them; what the last entry bound for the vCPU
   * that made it goes: whether it ran from the TC, the entry table the callout gate follows, and
   * where its last callout found its next pc. The next entry binds them for this vCPU.
   */
  vcpuLoaded(): void {
    this.inTc = false;
    this.here = undefined;
    this.found = undefined;
  }

  deliversInterrupt(): boolean {
    return false;
  }

  trappedInstruction(): number | undefined {
    return this.inTc ? this.vm.fetchGuestInstruction(this.vm.vcpu.state.pc) : this.direct.trappedInstruction();
  }

  /**
   * The guest fenced its address translation: the blocks read through a translation the fence
   * selects, as their TLB entries would be (a translation of the guest's M-mode or Bare mode is no
   * translation, and stays), are checked before they run again, by a walk of the guest's table per
   * page (`check`). Those of the current context are checked now. Those of another context (whose
   * table is not the current one) are checked when the hart next enters the TC in their context
   * (`checkFenced`): chains into them lead only from code of that context, which runs only after
   * that entry, so they can stay until then. Checking each fenced block only at its next lookup,
   * with the chains into it undone at the fence, undid and redid those chains and made every
   * kernel block's next run an exit at every xv6 system call (it fences its whole address space
   * twice per call, its kernel mapped without the G bit): a million exits in usertests's first 700
   * million instructions.
   */
  fenced(vpn: number, asid: number): string | undefined {
    const key = this.vm.currentRoot().key;
    const pages = new Map<number, PageCheck>();
    const tally = { kept: 0, dropped: 0, later: 0 };
    let uncheckedKey: string | undefined, unchecked: Set<Block> | undefined;
    for (const b of this.blocks.values()) {
      if (b.fenced || b.level < 0 || (asid >= 0 && (b.global || b.asid !== asid)) || (vpn >= 0 && b.vpn >>> (9 * b.level) !== vpn >>> (9 * b.level))) continue;
      if (b.rootKey === key) {
        tally[this.check(b, this.pageCheck(b.guestPc, pages))]++;
        continue;
      }
      b.fenced = true;
      // Blocks come in the order they were translated, a context's mostly together.
      if (b.rootKey !== uncheckedKey || !unchecked) {
        uncheckedKey = b.rootKey;
        unchecked = this.uncheckedOf(b.rootKey);
      }
      unchecked.add(b);
      tally.later++;
    }
    const n = tally.kept + tally.dropped + tally.later;
    if (n === 0) return undefined;
    const told = [
      tally.kept > 0 && `${tally.kept} kept, their pages translating as when they were read`,
      tally.dropped > 0 && `${tally.dropped} dropped, their pages translating otherwise now`,
      tally.later > 0 && `${tally.later} to be checked before they run again`,
    ].filter((x) => x);
    return `sfence.vma: ${plural(n, "translated block")} read through the fenced translations: ${told.join(", ")}`;
  }

  /** The blocks of context `key` fenced in another, to be checked when the hart enters the TC in theirs. */
  private uncheckedOf(key: string): Set<Block> {
    let set = this.unchecked.get(key);
    if (!set) this.unchecked.set(key, (set = new Set()));
    return set;
  }

  /** The hart is about to enter the TC in context `key`: the blocks of that context fenced in another are checked first. */
  private checkFenced(key: string): void {
    const blocks = this.unchecked.get(key);
    if (!blocks) return;
    this.unchecked.delete(key);
    const pages = new Map<number, PageCheck>();
    for (const b of blocks) this.check(b, this.pageCheck(b.guestPc, pages));
  }

  /**
   * Checks fenced block `b` by `c`, its page's guest translation in its context now, read without
   * setting the A bit: it stays if its page translates as when it was read, else it goes. A page
   * whose A bit the guest cleared is left to the block's next lookup, whose walk sets it as the
   * fetch would: the chains into the block are undone, so that nothing jumps to it before that.
   */
  private check(b: Block, c: PageCheck): "kept" | "dropped" | "later" {
    if (!this.samePage(b, c)) {
      this.drop(b);
      return "dropped";
    }
    if ((c.t.flags & PTE_A) !== 0) {
      this.keep(b, c.through);
      return "kept";
    }
    b.fenced = true;
    this.unchecked.get(b.rootKey)?.delete(b);
    this.unchainInto(b);
    return "later";
  }

  /** Block `b`, fenced, is looked up: it stays if its page still translates as when it was read (the walk sets A, as the fetch would), else it goes. */
  private stillTranslates(b: Block): boolean {
    const c = this.checkPage(pageOf(b.guestPc), true);
    if (!this.samePage(b, c)) return this.drop(b);
    this.unchecked.get(b.rootKey)?.delete(b);
    this.keep(b, c.through);
    return true;
  }

  /** The guest's translation of guest page `page` now, for execution, and what a block on it keeps of it. */
  private checkPage(page: number, setAccessed: boolean): PageCheck {
    const t = this.vm.translate(page, Acc.X, setAccessed);
    return t.ok ? { t, hpa: this.vm.p2m.toHpa(t.gpa), through: this.readThrough(page, t) } : { t, hpa: -1 };
  }

  /** checkPage for the page of `pc`, without setting A, once per page in `pages` (by page number: a small integer, quick to hash). */
  private pageCheck(pc: number, pages: Map<number, PageCheck>): PageCheck {
    const n = Math.floor(pc / 4096);
    let c = pages.get(n);
    if (!c) pages.set(n, (c = this.checkPage(n * 4096, false)));
    return c;
  }

  /**
   * Whether `c`, the guest's translation of block `b`'s page now, is the one the block was read
   * through: to the same guest-physical and host page, and so to the same code, which write
   * protection keeps coherent.
   */
  private samePage(b: Block, c: PageCheck): c is PageCheck & { t: GuestTranslated; through: Through } {
    return c.t.ok && c.t.gpa / 4096 === b.gpaPage && c.hpa + (b.guestPc & 4095) === b.hpa;
  }

  /** Fenced block `b` stays, with `through` as the translation it was read through. */
  private keep(b: Block, through: Through): void {
    b.vpn = through.vpn;
    b.level = through.level;
    b.asid = through.asid;
    b.global = through.global;
    b.fenced = false;
    this.refenced++;
  }

  /** Fenced block `b` goes: its page translates otherwise now. */
  private drop(b: Block): false {
    this.fencedOut++;
    this.remove(b);
    return false;
  }

  pmpChanged(): string | undefined {
    const n = this.blocks.size;
    this.flush();
    return n > 0 ? `the guest's PMP changed: flushed the translation cache (${plural(n, "block")})` : undefined;
  }

  tcStats(): TcStats {
    return {
      blocks: this.blocks.size, bytesUsed: this.space.used * 4, bytes: this.space.words * 4,
      translated: this.translated, flushes: this.flushes, invalidated: this.invalidated, evicted: this.evicted, fenced: this.fencedOut, refenced: this.refenced,
      protectedPages: this.codePages.size, directPages: this.directPages.size, va: this.tcVa, relocations: this.relocations,
      chains: [...this.chains.values()].reduce((n, c) => n + c.length, 0), lookups: this.lookups, hits: this.hits, inlineCsr: this.inlined,
    };
  }

  /** The block whose translation covers guest `pc`, in the current context or, failing that, any. */
  tcBlock(pc: number): TcBlockView | undefined {
    const key = this.vm.currentRoot().key;
    const all = [...this.blocks.values()];
    const covers = (b: Block) => pc >= b.guestPc && pc < b.guestPc + b.code.length;
    const b = all.find((x) => covers(x) && x.rootKey === key) ?? all.find(covers);
    return b && this.view(b);
  }

  /** Every block in the TC, least recently used first. */
  tcBlocks(): TcBlockView[] {
    return [...this.blocks.values()].sort((a, b) => a.used - b.used).map((b) => this.view(b));
  }

  private view(b: Block): TcBlockView {
    const patched = new Map<number, number>();
    for (const list of this.chains.values()) for (const c of list) patched.set(c.word, c.original);
    const rows = b.tc.map((bits, i): TcRow => {
      const word = b.first + i;
      const callout = this.callouts[word];
      const now = patched.has(word) ? this.chainedBits(word, bits) : bits;
      const off = this.guestPcAt[word] - b.guestPc;
      const stub = callout?.kind === "fallthrough" || callout?.kind === "taken";
      const low = stub ? 0 : b.code[off] | (b.code[off + 1] << 8);
      const length: 2 | 4 = (low & 3) === 3 ? 4 : 2;
      const guestBits = length === 4 ? (low | (b.code[off + 2] << 16) | (b.code[off + 3] << 24)) >>> 0 : low;
      return {
        tcVa: this.tcVa + word * 4, tcBits: now, guestPc: this.guestPcAt[word],
        guest: stub ? undefined : { bits: guestBits, length },
        how: callout?.kind ?? ((bits & 0x7f) === 0x63 ? "branch" : "copied"),
        chainedTo: patched.has(word) ? this.tcVa + word * 4 + jumpOffset(now) : undefined,
        runs: this.vm.board.hart.execCounts.count(this.countAt(word)),
      };
    });
    return { guestPc: b.guestPc, context: b.rootKey, runs: rows[0].runs ?? 0, rows };
  }

  // ---- the translation cache ----

  /**
   * The TC word of guest instruction `pc` in the current context, translating its block if needed;
   * −1 if it cannot be (it runs directly for one instruction), DIRECT on a page whose code runs directly.
   */
  private entryFor(pc: number): number {
    const at = this.lookup(pc);
    return at >= 0 ? at : this.translate(this.vm.currentRoot().key, pc);
  }

  /** The TC word of guest instruction `pc` in the current context if it has a translation, else −1; a hit makes its block the most recently used. */
  private lookup(pc: number): number {
    this.lookups++;
    this.found = undefined;
    const key = this.vm.currentRoot().key;
    const at = this.entries.get(key)?.get(pc) ?? -1;
    if (at < 0) return -1;
    const b = this.blockAt[at]!;
    if (b.fenced && !this.stillTranslates(b)) return -1;
    b.used = ++this.clock;
    this.hits++;
    this.found = { key, pc, at };
    return at;
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
    if (this.directPages.has(Math.floor(hpa / 4096))) return DIRECT;
    const ram = vm.board.ram;
    const left = 4096 - pageOffset;
    const block = translateBlock(pc, (off) => (off + 2 <= left ? ram.view.getUint16(hpa - ram.base + off, true) : undefined));
    if (!block) return -1;
    this.translated++;
    const first = this.place(key, block, hpa, t.gpa, this.readThrough(pc, t));
    this.recordTranslation(block);
    return first;
  }

  /** The guest translation `t` of `pc`, in the current context, as a block keeps it for sfence.vma. */
  private readThrough(pc: number, t: GuestTranslated): Through {
    const context = this.vm.currentRoot().context;
    return {
      vpn: Math.floor(pc / 4096) & 0x7ffffff, level: t.level,
      asid: context.kind === "sv39" ? context.guestAsid : -1, global: t.level >= 0 && (t.flags & 0x20) !== 0,
    };
  }

  private place(key: string, block: TranslatedBlock, hpa: number, gpa: number, through: Through): number {
    const n = block.words.length;
    const first = this.allocate(n);
    const id = this.nextId++;
    const bytes = new Uint8Array(n * 4);
    const view = new DataView(bytes.buffer);
    const ram = this.vm.board.ram;
    let map = this.entries.get(key);
    if (!map) this.entries.set(key, (map = new PcTable()));
    const entries: number[] = [];
    const code = ram.bytes.slice(hpa - ram.base, hpa - ram.base + block.guestBytes);
    const b: Block = { id, rootKey: key, guestPc: block.guestPc, hpa, gpaPage: Math.floor(gpa / 4096), code, first, tc: block.words, entries, ...through, fenced: false, used: ++this.clock };
    block.words.forEach((w, i) => {
      view.setUint32(i * 4, w, true);
      this.guestPcAt[first + i] = block.guestPcs[i];
      this.blockAt[first + i] = b;
      const c = block.callouts.get(i);
      if (c) this.callouts[first + i] = c;
      if (c?.kind !== "fallthrough" && c?.kind !== "taken") {
        map.set(block.guestPcs[i], first + i);
        entries.push(block.guestPcs[i]);
      }
    });
    this.writeTc(first, bytes);
    this.countEntry(first);
    this.blocks.set(id, b);
    const page = Math.floor(hpa / 4096);
    let onPage = this.codePages.get(page);
    if (!onPage) {
      this.codePages.set(page, (onPage = new Set()));
      this.vm.shadow.protect(b.gpaPage);
    }
    onPage.add(id);
    return first;
  }

  /** `n` TC words for a new block, evicting the least recently used blocks until they fit. */
  private allocate(n: number): number {
    for (;;) {
      const first = this.space.alloc(n);
      if (first >= 0) return first;
      let oldest = this.blocks.values().next().value!;
      for (const b of this.blocks.values()) if (b.used < oldest.used) oldest = b;
      this.evicted++;
      this.remove(oldest);
    }
  }

  private recordTranslation(block: TranslatedBlock): void {
    const vm = this.vm;
    const n = block.instructions;
    const details: ExitDetails = { length: block.guestBytes, count: n, rewritten: block.rewritten };
    vm.record("bt-translate", undefined, details, () => ({
      action: `translated ${plural(n, "guest instruction")} (${block.guestBytes} bytes) into the translation cache: ${n - block.rewritten} copied as they are, ${block.rewritten} rewritten`,
      steps: [
        { phase: "decode", text: `scanned the guest block at 0x${this.hex(block.guestPc)} up to its end (a jump, a sensitive instruction, the page's end or ${MAX_BLOCK} instructions)` },
        { phase: "shadow", text: "its guest page is write-protected, so that a write to this code exits (bt-invalidate)" },
        { phase: "resume", text: "the hart runs the translation", after: BigInt.asUintN(64, BigInt(block.guestPc)) },
      ],
    }), BigInt.asUintN(64, BigInt(block.guestPc)), vm.vcpu.state.prv, false, n);
  }

  /**
   * A guest store that faulted on the write protection of a page of translated code (`tval` where):
   * emulated, invalidating the blocks it touches (ramWritten). −1 when the store is no such write
   * (the guest's own table or PMP forbids it, or another emulation owns it), for the shadow fault
   * handling to take.
   */
  private codeWrite(tval: bigint): number {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const t = vm.translate(signedNumber(tval), Acc.W, false);
    if (!t.ok || guestDataPriv(v, Acc.W) !== v.prv) return -1;
    const page = Math.floor(t.gpa / 4096);
    const hpaPage = Math.floor(vm.p2m.toHpa(t.gpa) / 4096);
    if (hpaPage < 0 || !this.codePages.has(hpaPage) || vm.shadow.isPageTable(page)) return -1;
    if (!v.pmp.check(page * 4096, 4096, PmpAccess.W, v.prv)) return -1;
    const details: ExitDetails = { gva: tval, gpa: BigInt(t.gpa), access: "write", count: 0 };
    this.invalidating = details;
    let steps: number;
    try {
      steps = emulateAccess(vm, "bt-invalidate", tval, t.gpa, details, t);
    } finally {
      this.invalidating = undefined;
    }
    const idle = details.count === 0 ? (this.idleWrites.get(hpaPage) ?? 0) + 1 : 0;
    this.idleWrites.set(hpaPage, idle);
    if (idle >= this.hotPageWrites) this.runDirectly(hpaPage, page);
    return steps;
  }

  /** Host page `hpaPage` (guest page `gpaPage`) is also busy data: its blocks go, and its code runs directly from now on. */
  private runDirectly(hpaPage: number, gpaPage: number): void {
    this.directPages.add(hpaPage);
    for (const id of [...this.codePages.get(hpaPage) ?? []]) this.remove(this.blocks.get(id)!);
    this.vm.shadow.unprotect(gpaPage);
  }

  /** Guest RAM at host-physical [pa, pa + len) was written: the blocks translated from those bytes go. */
  private ramWritten(pa: number, len: number): void {
    const end = pa + len;
    for (let page = Math.floor(pa / 4096); page * 4096 < end; page++) {
      const ids = this.codePages.get(page);
      if (!ids) continue;
      for (const id of [...ids]) {
        const b = this.blocks.get(id)!;
        if (b.hpa >= end || pa >= b.hpa + b.code.length) continue;
        this.invalidated++;
        const d = this.invalidating;
        if (d) {
          d.count = (d.count ?? 0) + 1;
          d.blocks = `${d.blocks ? `${d.blocks} ` : ""}0x${this.hex(b.guestPc)}`;
        }
        this.remove(b);
      }
    }
  }

  /**
   * Forgets block `b`: its entry points lead nowhere any more, the chains into it are undone, its
   * chains out of it forgotten, its TC words freed, and its guest page unprotected if it was the last there.
   */
  private remove(b: Block): void {
    this.unchainInto(b);
    const n = b.tc.length;
    for (const [target, list] of this.chains) {
      const kept = list.filter((c) => c.word < b.first || c.word >= b.first + n);
      if (kept.length === 0) this.chains.delete(target);
      else if (kept.length < list.length) this.chains.set(target, kept);
    }
    const map = this.entries.get(b.rootKey);
    for (const pc of b.entries) if (map && map.get(pc) >= 0 && this.blockAt[map.get(pc)] === b) map.delete(pc);
    for (let w = b.first; w < b.first + n; w++) {
      this.blockAt[w] = undefined;
      this.callouts[w] = undefined;
    }
    this.space.release(b.first, n);
    this.uncount(b);
    this.unchecked.get(b.rootKey)?.delete(b);
    this.blocks.delete(b.id);
    const page = Math.floor(b.hpa / 4096);
    const onPage = this.codePages.get(page);
    onPage?.delete(b.id);
    if (onPage?.size === 0) {
      this.codePages.delete(page);
      this.vm.shadow.unprotect(b.gpaPage);
    }
    this.found = undefined;
  }

  /** Undoes the chains into block `b`: a transfer there exits to the VMM again. */
  private unchainInto(b: Block): void {
    for (const c of this.chains.get(b.id) ?? []) this.writeWord(c.word, c.original);
    this.chains.delete(b.id);
  }

  private flush(): void {
    if (this.blocks.size > 0) this.flushes++;
    for (const b of this.blocks.values()) {
      this.vm.shadow.unprotect(b.gpaPage);
      this.uncount(b);
    }
    this.found = undefined;
    this.unchecked.clear();
    this.callouts.fill(undefined);
    this.entries.clear();
    this.chains.clear();
    this.blocks.clear();
    this.codePages.clear();
    this.idleWrites.clear();
    this.directPages.clear();
    this.space.reset();
    this.blockAt.fill(undefined);
  }

  /**
   * Patches TC word `word` into `patched`, a jump to TC word `to` (of another block or its own), and
   * remembers how to undo it.
   */
  private chain(word: number, to: number, patched: number): void {
    const target = this.blockAt[to]!.id;
    const b = this.blockAt[word]!;
    const list = this.chains.get(target) ?? [];
    this.chains.set(target, list);
    list.push({ word, original: b.tc[word - b.first] });
    this.writeWord(word, patched);
  }

  /** The bits of patched TC word `word` as they are in the TC now. */
  private chainedBits(word: number, fallback: number): number {
    const bytes = this.vm.board.bus.readBytes(this.tcHpa + word * 4, 4);
    return bytes ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) : fallback;
  }

  /** Through the bus, so that the hart drops any decoded code it held for these TC bytes. */
  private writeWord(word: number, bits: number): void {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, bits, true);
    this.writeTc(word, bytes);
  }

  /**
   * Writes TC words from `word` through the bus, so that the hart drops any decoded or compiled code
   * it held for them. The hart backs off from compiling a page whose code keeps being written
   * (run.ts: its threshold doubles each time), which is right for self-modifying guest code but not
   * for the TC, whose writes are new translations and chains, few once the guest's code is warm:
   * so its count of such writes is kept at zero for the TC's pages, and translated code is compiled
   * again once it is hot, as the guest's own code would be natively.
   */
  private writeTc(word: number, bytes: Uint8Array): void {
    const hart = this.vm.board.hart;
    const at = this.tcHpa + word * 4;
    this.vm.board.bus.writeBytes(at, bytes);
    const base = this.vm.board.bus.ram.base;
    for (let p = Math.floor((at - base) / 4096); p <= Math.floor((at + bytes.length - 1 - base) / 4096); p++) hart.invalidations[p] = 0;
  }

  /**
   * Control goes on at TC word `to` by a transfer (not a resumption): the hart counts its runs from
   * now on, if it did not already (a block's first word always is; a transfer into the middle of a
   * block, where a loop's head was translated inside the code before it, makes that word counted too).
   */
  private countEntry(to: number): void {
    if (this.counted[to]) return;
    this.vm.board.hart.execCounts.arm(this.countAt(to));
    this.counted[to] = 1;
  }

  /** Stops counting the words of block `b` (its first, and any a transfer entered it at). */
  private uncount(b: Block): void {
    for (let w = b.first; w < b.first + b.tc.length; w++) {
      if (!this.counted[w]) continue;
      this.vm.board.hart.execCounts.disarm(this.countAt(w));
      this.counted[w] = 0;
    }
  }

  /** Where TC word `word` sits in RAM, for the hart's execution counters. */
  private countAt(word: number): number {
    return this.tcHpa - this.vm.board.ram.base + word * 4;
  }

  /** The TC word at host-virtual `va`, or −1 where no block is. */
  private wordAt(va: number): number {
    const off = va - this.tcVa;
    if (!(off >= 0 && off < this.tcBytes && (off & 3) === 0)) return -1;
    return this.blockAt[off / 4] !== undefined ? off / 4 : -1;
  }

  /**
   * A guest load or store faulted in the TC's range: if the guest's own table maps `va`, the TC
   * moves to the first place the guest's current context leaves unmapped. If every place is
   * mapped, it stays, and the guest's mapping and the TC contend for the range (not handled: a
   * limit the README names).
   */
  private relocateFrom(va: number): void {
    const vm = this.vm;
    const mapped = (at: number) => vm.translate(at, Acc.R, false).ok || vm.translate(at, Acc.W, false).ok || vm.translate(at, Acc.X, false).ok;
    if (vm.currentRoot().context.kind !== "sv39" || !mapped(va)) return;
    const bytes = this.space.words * 4;
    const free = (base: number) => {
      for (let at = base; at < base + bytes; at += 4096) if (mapped(at)) return false;
      return true;
    };
    const place = TC_PLACES.find((p) => p !== this.tcVa && free(p));
    if (place === undefined) return;
    vm.shadow.removeOwnPages();
    this.tcVa = place;
    this.relocations++;
  }

  /** The hart's first fetch from a TC page in this shadow root: map it there, execute-only. */
  private mapTcPage(va: number): void {
    const vm = this.vm;
    const page = Math.floor((va - this.tcVa) / 4096);
    vm.shadow.install(vm.currentRoot(), Math.floor(va / 4096) & 0x7ffffff, -1, Math.floor(this.tcHpa / 4096) + page, PTE_X, [], 0, false);
  }

  // ---- the callout gate ----

  /**
   * The hart is about to trap on the ecall at TC address `h.pcNum` (Hart.ecallGate). The callouts the
   * VMM answers without recording an exit (the class comment says why they record none) are answered
   * here instead, inside the hart's run, as the few inline instructions a real TC holds there would
   * be: no trap, no VM exit, no re-entry. The hart retires the guest instruction itself, so the
   * slice's budget and the timer deadline that ends it count it exactly as a guest instruction the
   * hart ran (and the VMM's retired count, which is the hart's plus its own emulation's, is the
   * same). They are: `auipc`; an inline CSR access; a call or return (`jal` with a link, `jalr`) and
   * a block's fall-through or branch stub whose target is ready to run at once (gateTarget). No
   * trap is taken, so an LR reservation is kept as natively. Anything else traps and exits as
   * before: a target with no translation yet (recorded), a chain to patch, a fenced block to check,
   * a breakpoint at the target, a sensitive instruction.
   */
  private gate(h: Hart): boolean {
    if (!this.inTc || this.vm.shadow.oneShot !== undefined) return false;
    const word = this.wordAt(h.pcNum);
    const c = word >= 0 ? this.callouts[word] : undefined;
    switch (c?.kind) {
      case "auipc": {
        setRegNumber(h, c.rd!, c.guestPc + c.imm!);
        break;
      }
      case "csr": {
        const vm = this.vm;
        const v = vm.vcpu.state;
        // The FS the hart marked since the entry, which leave() would bring back before an exit's emulation.
        if (vm.fpu.isLoaded) v.mstatus = (v.mstatus & ~MSTATUS_FS) | (h.mstatus & MSTATUS_FS);
        if (!runInlineCsr(vm, c.bits)) return false;
        this.inlined++;
        break;
      }
      case "jal": case "jalr": {
        const rd = c.rd!, rs1 = c.rs1!, imm = c.imm!;
        // A jal x0 to a translation is chained at its exit, for good.
        if (c.kind === "jal" && rd === 0) return false;
        let target = c.guestPc + imm;
        if (c.kind === "jalr") {
          const lo = h.x[2 * rs1], hi = h.x[2 * rs1 + 1];
          if (hi < -(1 << 20) || hi >= 1 << 20) return false;
          target = hi * 4294967296 + (lo >>> 0) + imm;
          target -= target & 1;
        }
        const to = this.gateTarget(h, target);
        if (to < 0) return false;
        setRegNumber(h, rd, c.guestPc + c.length);
        this.follow(to);
        h.pcNum = this.tcVa + to * 4;
        h.retired++;
        return true;
      }
      case "fallthrough": case "taken": {
        const to = this.gateTarget(h, c.guestPc);
        if (to < 0 || (c.kind === "taken" && this.branchReaches(c, word, to))) return false;
        this.follow(to);
        h.pcNum = this.tcVa + to * 4;
        return true;
      }
      default:
        return false;
    }
    h.pcNum += 4;
    h.retired++;
    return true;
  }

  /**
   * The TC word of guest `pc` in the context the hart entered the TC in, if the hart can go there
   * at once: its block needs no check after a fence, its runs are counted already (arming a counter
   * changes the hart's compiled code under it), and no breakpoint is at `pc` (a run of one step, as
   * enter() gives when a breakpoint is translated, would otherwise go on past a stub into it); else −1.
   */
  private gateTarget(h: Hart, pc: number): number {
    const at = this.here?.get(pc) ?? -1;
    if (at < 0 || this.blockAt[at]!.fenced || !this.counted[at]) return -1;
    return h.breakpoints.size > 0 && h.breakpoints.hasNum(pc) ? -1 : at;
  }

  /** The gate follows a transfer to TC word `to`: a lookup that hit, and a use of its block. */
  private follow(to: number): void {
    this.lookups++;
    this.hits++;
    this.blockAt[to]!.used = ++this.clock;
  }

  // ---- callouts ----

  /** A callout from the TC: emulates the guest instruction it stands for; returns the guest steps used. */
  private callout(c: Callout, word: number): number {
    const hart = this.vm.board.hart;
    const v = this.vm.vcpu.state;
    const reservation = hart.resAddrBeforeTrap;
    // The vCPU's trap entry and xRET clear its (otherwise unused) reservation: that tells whether
    // the emulation entered a guest trap or returned from one.
    v.resAddr = 0;
    const steps = this.calloutBody(c, word);
    // The callout is no trap for the guest: its LR reservation, which the hart's ecall took away,
    // survives it, unless the guest's own hart would have trapped or returned here too.
    if (!Number.isNaN(v.resAddr)) hart.resAddr = reservation;
    return steps;
  }

  private calloutBody(c: Callout, word: number): number {
    const vm = this.vm;
    switch (c.kind) {
      case "fallthrough": case "taken":
        this.dispatch(c, word);
        return 0;
      case "csr":
        return this.inlineCsr(c, word);
      case "sensitive":
        return this.emulated(c);
      case "fence.i":
        vm.retire(c.length);
        this.record(c, "fence.i: nothing to drop, since write protection keeps the translation cache coherent with guest memory");
        return 1;
      default:
        return this.pcRelativeCallout(c, word);
    }
  }

  /** A block's end: chained if the guest's next pc has a translation, else the VMM's dispatcher translates it. */
  private dispatch(c: Callout, word: number): void {
    const to = this.lookup(c.guestPc);
    if (to < 0) {
      this.record(c, `dispatch: the block ended; the guest goes on at 0x${this.hex(c.guestPc)}, which has no translation yet`);
      return;
    }
    this.countEntry(to);
    if (c.kind !== "taken" || !this.branchReaches(c, word, to)) return;
    // The branch that came here can go to the target itself.
    const b = this.blockAt[word]!;
    const branch = b.first + c.branchAt!;
    const original = b.tc[c.branchAt!];
    this.chain(branch, to, encB(original & 0x707f, rs1Of(original), rs2Of(original), (to - branch) * 4));
  }

  /** Whether the branch that goes to `taken` stub `c` at TC word `word` reaches TC word `to` itself (±4 KiB). */
  private branchReaches(c: Callout, word: number, to: number): boolean {
    const offset = (to - this.blockAt[word]!.first - c.branchAt!) * 4;
    return offset >= -4096 && offset < 4096;
  }

  /**
   * An inline CSR access: done on the vCPU with no exit, and the hart goes on at the next TC word
   * (the next guest instruction, or the block's fall-through stub). One the guest's privilege
   * forbids here is the callout it would otherwise be.
   */
  private inlineCsr(c: Callout, word: number): number {
    if (!runInlineCsr(this.vm, c.bits)) return this.emulated(c);
    this.vm.retire(4);
    this.inlined++;
    this.found = { key: this.vm.currentRoot().key, pc: this.vm.vcpu.state.pcNum, at: word + 1 };
    return 1;
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

  /**
   * auipc, jal, jalr: what they compute, with the guest's pc (the TC's would be wrong). `auipc` and a
   * jump whose target has a translation record no exit (see the class comment); a `jal x0` to one is
   * chained for good.
   */
  private pcRelativeCallout(c: Callout, word: number): number {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const hart = vm.board.hart;
    const rd = c.rd!, rs1 = c.rs1!, imm = c.imm!;
    const pc = BigInt(c.guestPc);
    const link = BigInt.asUintN(64, pc + BigInt(c.length));
    const target = c.kind === "auipc" ? undefined
      : c.kind === "jal" ? BigInt.asUintN(64, pc + BigInt(imm))
      : BigInt.asUintN(64, hart.getReg(rs1) + BigInt(imm)) & ~1n;
    vm.retire(c.length);
    if (rd !== 0) hart.setReg(rd, c.kind === "auipc" ? BigInt.asUintN(64, pc + BigInt(imm)) : link);
    if (target === undefined) return 1;
    v.pc = target;
    const to = this.lookup(v.pcNum);
    if (to >= 0) this.countEntry(to);
    if (to >= 0 && c.kind === "jal" && rd === 0) this.chain(word, to, encJ(0x6f, 0, (to - word) * 4));
    if (to >= 0) return 1;
    const action = `emulated ${c.kind} with guest addresses: ${rd !== 0 ? `x${rd} ← 0x${link.toString(16)}, ` : ""}the guest goes on at 0x${v.pc.toString(16)}, which has no translation yet`;
    this.record(c, action, c.kind === "jalr" ? "bt-lookup-miss" : "bt-callout");
    return 1;
  }

  private record(c: Callout, action: string, reason: "bt-callout" | "bt-lookup-miss" = "bt-callout"): void {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const priv = v.prv;
    const d = c.length === 0 ? undefined : decodeBits(c.bits);
    const pc = BigInt.asUintN(64, BigInt(c.guestPc));
    const toPc = v.pc;
    vm.record(reason, d && insn(d), { callout: c.kind, toPc }, () => ({
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

/** Sets register `rd` of `h` to `value`, a 64-bit value as a signed number (as the hart keeps pcs). */
function setRegNumber(h: Hart, rd: number, value: number): void {
  if (rd === 0) return;
  h.x[2 * rd] = value | 0;
  h.x[2 * rd + 1] = Math.floor(value / 4294967296) | 0;
}

/** The start of the 4 KiB page of guest address `pc` (a signed number, as the hart keeps pcs). */
function pageOf(pc: number): number {
  return pc - (pc & 4095);
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** The offset a patched jump (jal) or branch goes to. */
function jumpOffset(bits: number): number {
  return (bits & 0x7f) === 0x6f ? immJ(bits | 0) : immB(bits | 0);
}

/**
 * Binary translation with a translation cache of `tcBytes`, a multiple of 4 no smaller than a
 * block's largest translation (2 × MAX_BLOCK + 1 words: each instruction, a stub per branch, a
 * fall-through). `hotPageWrites` (default HOT_PAGE_WRITES; Infinity: never) is the hot-page policy's
 * threshold: the benchmark turns it off to measure a guest whose code shares its page with busy data
 * running from the TC all the same.
 */
export function binaryTranslation(tcBytes: number, hotPageWrites = HOT_PAGE_WRITES): TechniqueSpec {
  return {
    description: "Guest kernel code is translated into a translation cache with its sensitive instructions rewritten into VMM callouts; user code runs directly; shadow page tables.",
    nonTrappingSensitive: true,
    hypervisorExtension: false,
    poolBytes: () => Math.ceil(tcBytes / 4096) * 4096,
    create: (vm, poolBase) => new BinaryTranslation(vm, poolBase, tcBytes, hotPageWrites),
  };
}

export const BINARY_TRANSLATION: TechniqueSpec = binaryTranslation(TC_BYTES);
