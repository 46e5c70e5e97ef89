import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { firstGuest } from "./guest";

describe("the extension", () => {
  it("activates", async () => {
    const extension = vscode.extensions.getExtension("hyperstep.hyperstep");
    assert.ok(extension, "extension hyperstep.hyperstep is not installed");
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it("gives .S files the riscv-asm language", async () => {
    const { guest } = await firstGuest();
    const document = await vscode.workspace.openTextDocument(guest);
    await vscode.window.showTextDocument(document);
    assert.equal(document.languageId, "riscv-asm");
  });
});
