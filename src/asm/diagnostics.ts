/** Where a piece of source text came from: the file and 1-based line, and the 1-based column range. */
export interface SourceLoc {
  file: string;
  line: number;
  column: number;
  endColumn?: number;
}

/** One problem found in the source. Every message says what was expected. */
export interface AsmDiagnostic extends SourceLoc {
  message: string;
  /** Text that fixes the error in place of the columns it points at (the editor offers it as a quick fix). */
  suggestion?: string;
}

/** Enough for any real file; past it the assembler stops collecting so a garbage input stays cheap. */
const MAX_ERRORS = 500;

export class Diagnostics {
  readonly errors: AsmDiagnostic[] = [];
  private truncated = false;

  error(loc: SourceLoc, message: string, suggestion?: string): void {
    if (this.errors.length >= MAX_ERRORS) {
      if (!this.truncated) {
        this.truncated = true;
        this.errors.push({ ...loc, message: `too many errors (more than ${MAX_ERRORS}); stopped reporting` });
      }
      return;
    }
    this.errors.push({ file: loc.file, line: loc.line, column: loc.column, endColumn: loc.endColumn, message, ...(suggestion !== undefined && { suggestion }) });
  }

  get full(): boolean {
    return this.errors.length >= MAX_ERRORS;
  }
}
