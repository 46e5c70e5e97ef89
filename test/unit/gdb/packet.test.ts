import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checksum, escapeBinary, frame, fromHex, hexText, PacketReader, textFromHex, toHex, unescapeBinary } from "../../../src/gdb/packet";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("GDB packet framing", () => {
  it("the checksum is the payload's byte sum modulo 256, in two hex digits", () => {
    // Packets as GDB itself sends them (its `set debug remote 1` log).
    assert.equal(frame("g"), "$g#67");
    assert.equal(frame("vCont?"), "$vCont?#49");
    assert.equal(frame("m80001109,1"), "$m80001109,1#5d");
    assert.equal(frame(""), "$#00");
    assert.equal(checksum("\xff\x02"), 0x01);
  });

  it("binary data escapes $ # } * as } and the byte XOR 0x20, and unescapes back", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const escaped = escapeBinary(all);
    assert.equal(escaped.length, 256 + 4);
    for (const special of "$#}*") assert.ok(escaped.includes("}" + String.fromCharCode(special.charCodeAt(0) ^ 0x20)));
    assert.doesNotMatch(escaped.replace(/}[\s\S]/g, ""), /[$#}*]/);
    assert.deepEqual(unescapeBinary(escaped), all);
    assert.equal(escapeBinary(bytes("a}b")), "a}]b");
  });

  it("hex both ways; text travels as UTF-8", () => {
    assert.equal(toHex(Uint8Array.of(0, 0x7f, 0xff)), "007fff");
    assert.deepEqual(fromHex("007fFF"), Uint8Array.of(0, 0x7f, 0xff));
    assert.equal(fromHex("abc"), undefined);
    assert.equal(fromHex("zz"), undefined);
    assert.equal(hexText("→"), "e28692");
    assert.equal(textFromHex(hexText("walk2 sp → ×")), "walk2 sp → ×");
  });

  it("the reader splits a stream in any chunking into packets, acks, naks and interrupts", () => {
    const wire = "+$qSupported:multiprocess+#c6-\x03$m0,4#fd+";
    const whole = new PacketReader().push(bytes(wire));
    const reader = new PacketReader();
    const byteByByte = [...wire].flatMap((c) => reader.push(bytes(c)));
    assert.deepEqual(byteByByte, whole);
    assert.deepEqual(whole, [
      { kind: "ack" },
      { kind: "packet", payload: "qSupported:multiprocess+" },
      { kind: "nak" },
      { kind: "interrupt" },
      { kind: "packet", payload: "m0,4" },
      { kind: "ack" },
    ]);
  });

  it("a packet with a wrong checksum is reported as corrupt, and the stream goes on after it", () => {
    const events = new PacketReader().push(bytes("$g#00$g#67"));
    assert.deepEqual(events, [{ kind: "corrupt" }, { kind: "packet", payload: "g" }]);
  });

  it("a packet split before its checksum waits for the rest", () => {
    const reader = new PacketReader();
    assert.deepEqual(reader.push(bytes("$g#6")), []);
    assert.deepEqual(reader.push(bytes("7")), [{ kind: "packet", payload: "g" }]);
  });
});
