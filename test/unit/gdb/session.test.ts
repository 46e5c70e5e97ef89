/**
 * The GDB stub's command handling against a real target (the timer-interrupts sample guest), with
 * the run loop played by the test: what GDB sends, what comes back, and what it did to the guest.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { frame, hexText, PacketReader, textFromHex, toHex } from "../../../src/gdb/packet";
import { GdbSession } from "../../../src/gdb/session";
import { createTarget } from "../../../src/target/create_target";
import type { CpuModel } from "../../../src/target/cpu";
import type { Target, Technique } from "../../../src/target/target";
import { loadGuest, ROOT } from "../hypervisor/equivalence";

const program = loadGuest(join(ROOT, "sample-guests/timer-interrupts/timer_interrupts.S"));
const symbol = (name: string) => program.symbols.find((s) => s.name === name)!.address;
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const le64 = (v: bigint) => toHex(Uint8Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn)));

function connect(opts: { technique?: Technique; cpu?: CpuModel; readOnly?: boolean; smp?: number } = {}) {
  const created = createTarget(program, { technique: opts.technique ?? "native", memoryBytes: 16 << 20, cpu: opts.cpu, smp: opts.smp });
  if (!created.ok) assert.fail(created.error);
  const target: Target = created.target;
  let wire = "";
  const link = { closed: false, resumed: 0, killed: false };
  const session = new GdbSession(target, { send: (w) => (wire += w), close: () => (link.closed = true) }, {
    resumed: () => link.resumed++,
    kill: () => (link.killed = true),
  }, opts.readOnly);
  /** Everything the session sent since the last call, decoded (checksums checked). */
  const out = () => {
    const events = new PacketReader().push(bytes(wire));
    wire = "";
    return events;
  };
  /** Sends one packet; returns the replies (payloads), after checking that the packet was acknowledged. */
  const request = (payload: string): string[] => {
    session.receive(bytes(frame(payload)));
    const events = out();
    assert.deepEqual(events[0], { kind: "ack" }, `${payload} is acknowledged`);
    return events.slice(1).map((e) => (e.kind === "packet" ? e.payload : assert.fail(`unexpected ${e.kind}`)));
  };
  const reply = (payload: string): string => {
    const replies = request(payload);
    assert.equal(replies.length, 1, `one reply to ${payload}: ${JSON.stringify(replies)}`);
    return replies[0];
  };
  /** The run loop's part after a continue: run until a stop, and hand it to the session. */
  const runToStop = () => {
    assert.ok(session.running);
    let stop = target.run(100_000);
    while (stop.kind === "budget") stop = target.run(100_000);
    session.stopped(stop);
    return { stop, replies: out().map((e) => (e.kind === "packet" ? e.payload : e.kind)) };
  };
  const reg = (n: number) => BigInt("0x" + (reply(`p${n.toString(16)}`).match(/../g) ?? []).reverse().join(""));
  return { target, session, link, request, reply, runToStop, reg, out };
}

describe("GDB stub: harts as threads", () => {
  it("lists a thread per hart; Hg selects whose registers are read, Hc whose a step is; the others stay", () => {
    const { target, reply, reg } = connect({ smp: 2 });
    assert.equal(reply("qfThreadInfo"), "m01,02");
    assert.equal(reply("qsThreadInfo"), "l");
    assert.equal(textFromHex(reply("qThreadExtraInfo,2")), "hart 1");
    assert.deepEqual([reply("T2"), reply("T3")], ["OK", "E01"]);
    assert.equal(reply("Hg2"), "OK");
    assert.equal(reply("qC"), "QC02");
    assert.equal(reg(10), 1n, "a0 = mhartid at entry");
    assert.equal(reply("Hg1"), "OK");
    assert.equal(reg(10), 0n);
    assert.equal(reply("Hg5"), "E01");
    const entry = target.pc;
    assert.equal(reply("vCont;s:2;c"), "T05thread:02;");
    target.selectedHart = 1;
    assert.notEqual(target.pc, entry);
    target.selectedHart = 0;
    assert.equal(target.pc, entry, "hart 0 stayed");
    assert.equal(reply("Hc1"), "OK");
    assert.equal(reply("s"), "T05thread:01;");
    assert.notEqual(target.pc, entry);
  });
});

describe("GDB stub: queries and the target description", () => {
  it("qSupported announces the packet size, the target description and vCont; every packet is acknowledged", () => {
    const { reply } = connect();
    const features = reply("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;xmlRegisters=i386").split(";");
    assert.ok(features.includes("qXfer:features:read+"));
    assert.ok(features.includes("vContSupported+"));
    assert.match(features.find((f) => f.startsWith("PacketSize="))!, /^PacketSize=[0-9a-f]+$/);
    assert.equal(reply("vCont?"), "vCont;c;C;s;S");
    assert.equal(reply("qfThreadInfo"), "m01");
    assert.equal(reply("qsThreadInfo"), "l");
    assert.equal(reply("qAttached"), "1");
    assert.equal(reply("qSomethingNew"), "", "an unknown packet gets the empty reply");
  });

  function readXml(reply: (p: string) => string): string {
    let xml = "";
    for (;;) {
      const part = reply(`qXfer:features:read:target.xml:${xml.length.toString(16)},80`);
      assert.ok(part.length <= 0x81);
      xml += part.slice(1);
      if (part[0] === "l") return xml;
      assert.equal(part[0], "m");
    }
  }

  it("target.xml, read in pieces, is an RV64 description: x0–x31, pc, the hart's CSRs at 65 + number, and priv", () => {
    const { reply } = connect();
    const xml = readXml(reply);
    assert.match(xml, /<architecture>riscv:rv64<\/architecture>/);
    assert.match(xml, /<feature name="org\.gnu\.gdb\.riscv\.cpu">/);
    assert.match(xml, /<reg name="zero" bitsize="64" regnum="0"/);
    assert.match(xml, /<reg name="t6" bitsize="64" regnum="31"/);
    assert.match(xml, /<reg name="pc" bitsize="64" regnum="32" type="code_ptr"/);
    assert.match(xml, new RegExp(`<reg name="mstatus" bitsize="64" regnum="${65 + 0x300}"`));
    assert.match(xml, new RegExp(`<reg name="satp" bitsize="64" regnum="${65 + 0x180}"`));
    assert.match(xml, /<reg name="priv" bitsize="64" regnum="4161"/);
    assert.doesNotMatch(xml, /name="hgatp"|name="vsatp"/, "no H extension, no H CSRs");
    assert.doesNotMatch(xml, /name="mstatush"|name="cycleh"/, "no RV32-only CSRs on RV64");
    assert.equal(reply("qXfer:features:read:other.xml:0,100"), "E00");
  });

  it("with F and D the fpu feature lists f0–f31 at 33–64 and fflags, frm, fcsr; without them it is absent", () => {
    const { reply, reg, target } = connect();
    const xml = readXml(reply);
    assert.match(xml, /<feature name="org\.gnu\.gdb\.riscv\.fpu">\n {4}<union id="riscv_double">/);
    assert.match(xml, /<reg name="ft0" bitsize="64" regnum="33" type="riscv_double" group="float"\/>/);
    assert.match(xml, /<reg name="ft11" bitsize="64" regnum="64" type="riscv_double" group="float"\/>/);
    assert.match(xml, /<reg name="fcsr" bitsize="64" regnum="68" type="int" group="float"\/>/);
    assert.equal(xml.match(/name="fflags"/g)?.length, 1, "fflags only in the fpu feature");
    assert.equal(reply(`P${(33 + 10).toString(16)}=000000000000f83f`), "OK");
    assert.equal(target.getFpReg(10), 0x3ff8000000000000n, "P writes fa0");
    assert.equal(reg(33 + 10), 0x3ff8000000000000n);
    const none = connect({ cpu: { model: "rv64", h: false, f: false, d: false } });
    assert.doesNotMatch(readXml(none.reply), /riscv\.fpu|name="ft0"|name="fcsr"/);
  });

  it("on a hart with the H extension the description lists the H and VS CSRs", () => {
    const { reply } = connect({ cpu: { model: "rv64", h: true, f: true, d: true } });
    const xml = readXml(reply);
    assert.match(xml, new RegExp(`<reg name="hgatp" bitsize="64" regnum="${65 + 0x680}"`));
    assert.match(xml, new RegExp(`<reg name="vsatp" bitsize="64" regnum="${65 + 0x280}"`));
  });
});

describe("GDB stub: registers and memory", () => {
  it("g gives x0–x31 and pc; p and P read and write one register, CSRs and priv included", () => {
    const { target, reply, reg } = connect();
    target.step();
    target.step();
    const g = reply("g");
    assert.equal(g.length, 33 * 16);
    assert.equal(g.slice(2 * 16, 3 * 16), le64(target.getReg(2)), "sp");
    assert.equal(g.slice(32 * 16), le64(target.pc), "pc");
    assert.equal(reply(`P${(10).toString(16)}=${le64(0x1234_5678_9abc_def0n)}`), "OK");
    assert.equal(target.getReg(10), 0x1234_5678_9abc_def0n);
    assert.equal(reg(10), 0x1234_5678_9abc_def0n);
    assert.equal(reg(65 + 0x300), target.readCsr(0x300));
    assert.equal(reply(`P${(65 + 0x340).toString(16)}=${le64(0xabcn)}`), "OK", "mscratch");
    assert.equal(target.readCsr(0x340), 0xabcn);
    assert.equal(reg(4161), 3n, "priv: M-mode");
    assert.equal(reply(`P${(4161).toString(16)}=${le64(0n)}`), "E01", "priv is read-only");
    assert.equal(reply(`p${(65 + 0x680).toString(16)}`), "E01", "no hgatp on this hart");
  });

  it("G writes x0–x31 and pc at once", () => {
    const { target, reply } = connect();
    const values = Array.from({ length: 33 }, (_, i) => (i === 32 ? symbol("puts") : BigInt(i * 0x1111)));
    assert.equal(reply("G" + values.map(le64).join("")), "OK");
    for (let i = 1; i < 32; i++) assert.equal(target.getReg(i), values[i]);
    assert.equal(target.pc, symbol("puts"));
  });

  it("m reads guest memory, M and X write it (X in escaped binary), and unmapped memory is an error", () => {
    const { target, reply } = connect();
    const at = symbol("msg_tick");
    assert.equal(textFromHex(reply(`m${at.toString(16)},5`)), "tick ");
    assert.equal(reply(`M${at.toString(16)},2:4142`), "OK");
    assert.deepEqual(target.readMemory("va", at, 2), bytes("AB"));
    // '#', '}' and '*' must travel escaped.
    assert.equal(reply(`X${at.toString(16)},3:}\x03}]}\x0a`), "OK");
    assert.deepEqual(target.readMemory("va", at, 3), bytes("#}*"));
    assert.equal(reply("m0,4"), "E14");
  });
});

describe("GDB stub: running", () => {
  it("a breakpoint (Z0) stops a continue there; z0 removes it and the guest runs to its end", () => {
    const { target, request, reply, runToStop, link } = connect();
    const handler = symbol("timer_handler");
    assert.equal(reply(`Z0,${handler.toString(16)},2`), "OK");
    assert.deepEqual(request("c"), [], "the reply comes with the stop");
    assert.equal(link.resumed, 1);
    const { replies } = runToStop();
    assert.deepEqual(replies, ["T05thread:01;"]);
    assert.equal(target.pc, handler);
    assert.equal(reply("?"), "T05thread:01;");
    assert.equal(reply(`z0,${handler.toString(16)},2`), "OK");
    assert.equal(reply(`z0,${handler.toString(16)},2`), "E01", "no longer there");
    request("vCont;c");
    assert.equal(runToStop().stop.kind, "halt");
  });

  it("a hardware breakpoint (Z1) stops as well", () => {
    const { target, request, reply, runToStop } = connect();
    assert.equal(reply(`Z1,${symbol("arm_timer").toString(16)},2`), "OK");
    request("c");
    runToStop();
    assert.equal(target.pc, symbol("arm_timer"));
  });

  it("s and vCont;s step one instruction and report it at once", () => {
    const { target, reply } = connect();
    const entry = target.pc;
    assert.equal(reply("s"), "T05thread:01;");
    assert.equal(target.pc, entry + 4n, "auipc of la sp");
    assert.equal(reply("vCont;s:1;c"), "T05thread:01;");
    assert.equal(target.pc, entry + 8n);
    assert.equal(target.instret, 2n);
  });

  it("a write watchpoint (Z2) stops after the store with watch:ADDR; a read watchpoint (Z3) with rwatch:", () => {
    const { target, request, reply, runToStop } = connect();
    const digit = symbol("tick_digit");
    assert.equal(reply(`Z2,${digit.toString(16)},1`), "OK");
    request("c");
    assert.deepEqual(runToStop().replies, [`T05watch:${digit.toString(16)};thread:01;`]);
    assert.deepEqual(target.readMemory("va", digit, 1), bytes("1"), "the store has happened");
    assert.equal(reply(`z2,${digit.toString(16)},1`), "OK");
    const msg = symbol("msg_tick");
    assert.equal(reply(`Z3,${msg.toString(16)},1`), "OK");
    request("c");
    assert.deepEqual(runToStop().replies, [`T05rwatch:${msg.toString(16)};thread:01;`]);
    assert.equal(reply(`z3,${msg.toString(16)},1`), "OK");
    assert.equal(reply(`Z4,${msg.toString(16)},1`), "OK");
    request("c");
    assert.deepEqual(runToStop().replies, [`T05awatch:${msg.toString(16)};thread:01;`]);
  });

  it("a watchpoint on memory that is not mapped is refused", () => {
    const { reply } = connect();
    assert.equal(reply("Z2,ffffffc000000000,8"), "E01");
  });

  it("Ctrl-C (0x03) while the guest runs stops it with SIGINT; while it is stopped it does nothing", () => {
    const { session, request, out } = connect();
    session.receive(Uint8Array.of(0x03));
    assert.deepEqual(out(), []);
    request("c");
    assert.ok(session.running);
    session.receive(Uint8Array.of(0x03));
    assert.deepEqual(out(), [{ kind: "packet", payload: "T02thread:01;" }]);
    assert.equal(session.running, false);
  });

  it("a guest asleep in WFI with nothing left to wake it is reported, with a line for GDB's console", () => {
    const { session, request, out } = connect();
    request("c");
    session.stopped({ kind: "idle" });
    const events = out();
    assert.equal(events.length, 2);
    assert.equal(events[0].kind === "packet" && events[0].payload[0], "O");
    assert.match(textFromHex(events[0].kind === "packet" ? events[0].payload.slice(1) : ""), /sleeps in WFI/);
    assert.deepEqual(events[1], { kind: "packet", payload: "T05thread:01;" });
  });

  it("the end of the run is reported with the exit status, and the connection closed", () => {
    const { session, request, out, link } = connect();
    request("c");
    session.ended(3);
    assert.deepEqual(out(), [{ kind: "packet", payload: "W03" }]);
    assert.ok(link.closed);
  });

  it("D detaches: the client's breakpoints are gone and the guest runs free", () => {
    const { target, reply, link, session } = connect();
    assert.equal(reply(`Z0,${symbol("timer_handler").toString(16)},2`), "OK");
    assert.equal(reply("D"), "OK");
    assert.ok(link.closed);
    assert.equal(link.resumed, 1);
    assert.ok(session.running);
    let stop = target.run(1_000_000);
    while (stop.kind === "budget") stop = target.run(1_000_000);
    assert.equal(stop.kind, "halt");
  });

  it("k asks the runner to end the run", () => {
    const { request, link } = connect();
    assert.deepEqual(request("k"), []);
    assert.ok(link.killed);
  });
});

describe("GDB stub: read-only, beside VS Code (launch attribute gdbServer)", () => {
  it("reads registers, memory, the description and monitor, and refuses whatever would change or run the guest", () => {
    const { target, session, request, reply, link } = connect({ readOnly: true });
    target.step();
    const pc = target.pc;
    const ra = target.getReg(1);
    const memory = target.readMemory("va", symbol("msg_tick"), 4);
    assert.equal(reply("?"), "T05thread:01;");
    assert.equal(reply("g").slice(32 * 16), le64(pc));
    assert.equal(textFromHex(reply(`m${symbol("msg_tick").toString(16)},4`)), "tick");
    assert.match(reply("qXfer:features:read:target.xml:0,40"), /^m<\?xml/);
    assert.match(textFromHex(reply(`qRcmd,${hexText("info registers pc")}`)), /^pc\s/);
    assert.equal(reply("vCont?"), "", "no vCont to offer");
    for (const p of ["P1=0500000000000000", "G" + "00".repeat(33 * 8), `M${symbol("msg_tick").toString(16)},1:41`, `X${symbol("msg_tick").toString(16)},1:A`, "Z0,80000000,2", "Z2,80001000,8", "z0,80000000,2", "c", "s", "vCont;c", "vCont;s:1", "k"]) {
      assert.equal(reply(p), "E01", p);
    }
    session.receive(Uint8Array.of(0x03));
    assert.equal(target.pc, pc);
    assert.equal(target.getReg(1), ra);
    assert.deepEqual(target.readMemory("va", symbol("msg_tick"), 4), memory);
    assert.equal(link.resumed, 0);
    assert.equal(link.killed, false);
    assert.deepEqual(request("D"), ["OK"]);
    assert.ok(link.closed);
    assert.equal(link.resumed, 0, "detaching does not run a guest that VS Code holds");
  });
});

describe("GDB stub: the protocol's acknowledgements", () => {
  it("a corrupt packet is answered with -, a - from GDB resends the last packet", () => {
    const { session, reply, out } = connect();
    session.receive(bytes("$g#00"));
    assert.deepEqual(out(), [{ kind: "nak" }]);
    const answer = reply("qAttached");
    session.receive(bytes("-"));
    assert.deepEqual(out(), [{ kind: "packet", payload: answer }]);
  });

  it("after QStartNoAckMode nothing is acknowledged any more", () => {
    const { session, reply, out } = connect();
    assert.equal(reply("QStartNoAckMode"), "OK");
    session.receive(bytes(frame("qAttached")));
    assert.deepEqual(out(), [{ kind: "packet", payload: "1" }]);
  });
});

describe("GDB stub: monitor commands are the Debug Console's", () => {
  const monitor = (reply: (p: string) => string, command: string) => textFromHex(reply(`qRcmd,${hexText(command)}`));

  it("monitor help lists the console's commands; monitor info registers shows the hart's", () => {
    const { target, reply } = connect();
    assert.match(monitor(reply, "help"), /walk2 GVA/);
    target.step();
    assert.match(monitor(reply, "info registers pc"), new RegExp(`^pc\\s+0x0*${target.pc.toString(16)}\\b`));
    assert.match(monitor(reply, "walk2 0x80000000"), /use `walk <va>` for its page-table walk/, "natively there is one stage");
    assert.match(monitor(reply, "bogus_name"), /^error: /);
  });

  it("under a VMM, monitor exits, stats, shadow and walk2 show the VMM's views", () => {
    const { target, reply } = connect({ technique: "trap-and-emulate" });
    for (let i = 0; i < 50 && target.run(100_000).kind === "budget"; i++);
    assert.match(monitor(reply, "exits 2"), /^\(the last 2 of \d+\)/);
    const stats = monitor(reply, "stats");
    assert.match(stats, /exits per million instructions: \d/);
    assert.match(stats, /slowdown ×\d/);
    assert.match(monitor(reply, `shadow 0x${symbol("msg_tick").toString(16)}`), /^gva 0x[0-9a-f]+ in context/);
    assert.match(monitor(reply, "walk2 0x80000000"), /runs trap-and-emulate/);
  });

  it("under hardware assistance monitor walk2 shows the two-stage walk", () => {
    const { target, reply } = connect({ technique: "hardware-assisted" });
    target.step();
    const walk = monitor(reply, "walk2 pc");
    assert.match(walk, /^walk2 gva 0x80000004: read from VS-mode/m);
    assert.match(walk, /^result: gva 0x80000004 → gpa 0x80000004 → hpa 0x[0-9a-f]+; 3 memory references$/m);
  });
});
