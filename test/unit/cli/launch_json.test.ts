import assert from "node:assert/strict";
import { homedir } from "node:os";
import { sep } from "node:path";
import { describe, it } from "node:test";
import { parseJsonc, pickConfiguration, readLaunchFile, resolveVariables, workspaceFolderOf } from "../../../src/cli/launch_json";

describe("launch.json outside VS Code", () => {
  it("reads JSON with comments and trailing commas, as VS Code writes launch.json, and leaves strings alone", () => {
    const text = `{
      // the version VS Code puts there
      "version": "0.2.0", /* a block
      comment */ "configurations": [
        { "name": "a // not a comment", "program": "x/*y*/.S", "quote": "say \\"hi\\", ]", },
      ],
    }`;
    assert.deepEqual(parseJsonc(text), {
      version: "0.2.0",
      configurations: [{ name: "a // not a comment", program: "x/*y*/.S", quote: 'say "hi", ]' }],
    });
  });

  it("names the line of a syntax error, counting the lines comments took", () => {
    assert.throws(() => parseJsonc('{\n  /* one\n  two */\n  "a": 1\n  "b": 2\n}'), /^SyntaxError: line 5: /);
  });

  it("resolves the variables a headless run can know, and refuses those that need the editor", () => {
    assert.equal(resolveVariables("${workspaceFolder}/hello/hello.S", "/w"), "/w/hello/hello.S");
    assert.equal(resolveVariables("${workspaceFolderBasename}${pathSeparator}${/}", "/w/lessons"), `lessons${sep}${sep}`);
    assert.equal(resolveVariables("${userHome}", "/w"), homedir());
    assert.equal(resolveVariables("${env:DISK}.img", "/w", { DISK: "fs" }), "fs.img");
    assert.equal(resolveVariables("${env:NOT_SET}x", "/w", {}), "x", "an unset variable is empty, as in VS Code");
    assert.throws(() => resolveVariables("${file}", "/w"), /^Error: \$\{file\} names what is open in VS Code, which a headless run does not have: write the path itself$/);
    assert.throws(() => resolveVariables("${input:disk}", "/w"), /names what is open in VS Code/);
    assert.throws(() => resolveVariables("${workspacefolder}", "/w"), /^Error: \$\{workspacefolder\} is not a variable VS Code knows$/);
  });

  it("takes ${workspaceFolder} to be the folder holding .vscode/, or else the file's own folder", () => {
    assert.equal(workspaceFolderOf("/w/lessons/.vscode/launch.json"), "/w/lessons");
    assert.equal(workspaceFolderOf("/w/configs/hyperstep.json"), "/w/configs");
  });

  const file = "/w/.vscode/launch.json";
  const launch = readLaunchFile(file, JSON.stringify({
    configurations: [
      { type: "hyperstep", request: "launch", name: "hello", program: "${workspaceFolder}/hello.S", disk: { path: "${env:IMG}" } },
      { type: "node", request: "launch", name: "tool", program: "${file}" },
      { type: "hyperstep", request: "attach", name: "attached" },
      { type: "hyperstep", request: "launch", name: "editor", program: "${file}" },
    ],
  }));

  it("picks a Hyperstep launch configuration by name, with its variables resolved, nested ones too", () => {
    assert.deepEqual(pickConfiguration(launch, file, "hello", { IMG: "/d/fs.img" }), {
      type: "hyperstep", request: "launch", name: "hello", program: "/w/hello.S", disk: { path: "/d/fs.img" },
    });
  });

  it("says which names there are when the name is missing or wrong, counting only Hyperstep's launch configurations", () => {
    assert.throws(() => pickConfiguration(launch, file, undefined), { message: `${file} has 2 Hyperstep configurations: choose one with --name:\n  "hello"\n  "editor"` });
    assert.throws(() => pickConfiguration(launch, file, "tool"), { message: `${file} has no Hyperstep configuration named "tool"; it has:\n  "hello"\n  "editor"` });
    assert.throws(() => pickConfiguration(launch, file, "editor"), { message: `${file}: "editor": \${file} names what is open in VS Code, which a headless run does not have: write the path itself` });
    const one = readLaunchFile(file, '{ "configurations": [{ "type": "hyperstep", "request": "launch", "name": "only", "program": "a.S" }] }');
    assert.equal(pickConfiguration(one, file, undefined).name, "only", "the only one needs no name");
  });

  it("says what is wrong with a file that is not a launch.json", () => {
    assert.throws(() => readLaunchFile(file, "{ nope }"), /^Error: \/w\/\.vscode\/launch\.json is not valid JSON: line 1: /);
    assert.throws(() => readLaunchFile(file, "{}"), { message: `${file} has no "configurations" array` });
    assert.throws(() => pickConfiguration(readLaunchFile(file, '{ "configurations": [] }'), file, undefined), { message: `${file} has no Hyperstep launch configuration ("type": "hyperstep", "request": "launch")` });
  });
});
