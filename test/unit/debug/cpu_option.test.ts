import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, parseLaunchConfig } from "../../../src/debug/launch_config";
import { CpuError, DEFAULT_CPU, formatCpu, parseCpu } from "../../../src/target/cpu";

const h = (text: string): boolean => {
  const cpu = parseCpu(text);
  if (cpu instanceof CpuError) assert.fail(`${text}: ${cpu.message}`);
  return cpu.h;
};

const error = (text: string): string => {
  const cpu = parseCpu(text);
  assert.ok(cpu instanceof CpuError, `${text} should be rejected`);
  return cpu.message;
};

test("cpu takes QEMU's -cpu syntax: rv64 without H, h=true with it, in every boolean spelling QEMU 7.2 accepts", () => {
  assert.equal(h("rv64"), false);
  assert.equal(h("rv64,h=true"), true);
  for (const yes of ["on", "yes", "y"]) assert.equal(h(`rv64,h=${yes}`), true, yes);
  for (const no of ["false", "off", "no", "n"]) assert.equal(h(`rv64,h=${no}`), false, no);
  assert.equal(h("rv64,h=true,h=false"), false, "the last setting wins, as on QEMU");
  assert.equal(h("rv64,,h=on"), true, "empty items are skipped, as on QEMU");
  assert.equal(formatCpu({ model: "rv64", h: true, f: true, d: true }), "rv64,h=true");
  assert.equal(formatCpu({ model: "rv64", h: false, f: true, d: true }), "rv64");
});

test("cpu f and d: on by default as in QEMU's rv64, off together for RV64IMAC; D needs F", () => {
  const parsed = (text: string) => {
    const cpu = parseCpu(text);
    if (cpu instanceof CpuError) assert.fail(`${text}: ${cpu.message}`);
    return [cpu.f, cpu.d];
  };
  assert.deepEqual(parsed("rv64"), [true, true]);
  assert.deepEqual(parsed("rv64,f=false,d=false"), [false, false]);
  assert.deepEqual(parsed("rv64,d=off"), [true, false]);
  assert.match(error("rv64,f=false"), /^cpu: d=true needs f=true/);
  assert.match(error("rv64,f=maybe"), /^cpu: 'f' must be true or false/);
  assert.equal(formatCpu({ model: "rv64", h: true, f: false, d: false }), "rv64,h=true,f=false,d=false");
  assert.equal(formatCpu({ model: "rv64", h: false, f: true, d: false }), "rv64,d=false");
});

test("a bad cpu names the model or the property that is wrong", () => {
  assert.match(error("rv32"), /^cpu: unknown model 'rv32'/);
  assert.match(error("RV64"), /^cpu: unknown model 'RV64'/);
  assert.match(error("rv64,x=true"), /^cpu: unknown property 'x'; .*h \(the H extension\), f and d \(floating point\)/);
  assert.match(error("rv64,H=true"), /^cpu: unknown property 'H'/, "QEMU's property names are case-sensitive");
  assert.match(error("rv64,h=maybe"), /^cpu: 'h' must be true or false .*not 'maybe'/);
  assert.match(error("rv64,h=TRUE"), /^cpu: 'h' must be true or false/, "QEMU's boolean spellings are case-sensitive");
  assert.match(error("rv64,h"), /^cpu: 'h' must be true or false .*not missing/);
});

function configError(raw: Record<string, unknown>): ConfigError {
  try {
    parseLaunchConfig({ program: "a.S", ...raw });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e;
  }
  assert.fail("the configuration should be rejected");
}

test("the launch attribute cpu defaults to rv64 and turns the H extension on", () => {
  assert.deepEqual(parseLaunchConfig({ program: "a.S" }).cpu, { model: "rv64", h: false, f: true, d: true });
  assert.deepEqual(parseLaunchConfig({ program: "a.S", cpu: "rv64,h=true" }).cpu, { model: "rv64", h: true, f: true, d: true });
  assert.deepEqual(parseLaunchConfig({ program: "a.S", cpu: "rv64,h=false", technique: "trap-and-emulate" }).cpu, { model: "rv64", h: false, f: true, d: true });
});

test("a bad launch attribute cpu fails the launch naming 'cpu' and what is wrong", () => {
  const unknown = configError({ cpu: "rv64,x=1" });
  assert.equal(unknown.field, "cpu");
  assert.match(unknown.message, /^launch configuration: 'cpu' is "rv64,x=1": unknown property 'x'/);
  assert.match(configError({ cpu: "rv64,h=2" }).message, /'cpu' is "rv64,h=2": 'h' must be true or false/);
  assert.match(configError({ cpu: "rv32" }).message, /'cpu' is "rv32": unknown model 'rv32'/);
  assert.match(configError({ cpu: 64 }).message, /'cpu' must be a string/);
});

test("cpu with h=true under a VMM technique says the guest's vCPU has no H extension", () => {
  for (const technique of ["trap-and-emulate", "hardware-assisted"]) {
    const e = configError({ cpu: "rv64,h=true", technique });
    assert.equal(e.field, "cpu");
    assert.match(e.message, new RegExp(`needs technique "native": under "${technique}" the guest runs on the VMM's vCPU, which has no H extension .*nested virtualization`));
  }
});

test("package.json documents cpu with the adapter's default, and examples the adapter accepts", () => {
  const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../../../package.json"), "utf8"));
  const cpu = pkg.contributes.debuggers[0].configurationAttributes.launch.properties.cpu;
  assert.equal(cpu.type, "string");
  assert.equal(cpu.default, DEFAULT_CPU);
  assert.match(cpu.description, /h=true needs technique "native"/);
  for (const example of cpu.examples as string[]) {
    const model = parseCpu(example);
    assert.ok(!(model instanceof CpuError), example);
    assert.equal(formatCpu(model), example);
  }
});
