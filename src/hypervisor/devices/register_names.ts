/** Names of the emulated devices' registers, for exit records and filters (`register == "THR"`). */
const UART_READ = ["RBR", "IER", "IIR", "LCR", "MCR", "LSR", "MSR", "SCR"];
const UART_WRITE = ["THR", "IER", "FCR", "LCR", "MCR", "LSR", "MSR", "SCR"];

export function registerName(device: string, offset: number, write: boolean): string {
  switch (device) {
    case "uart":
      return offset < 8 ? (write ? UART_WRITE : UART_READ)[offset] : `+0x${offset.toString(16)}`;
    case "clint":
      if (offset < 4) return "msip";
      if (offset >= 0x4000 && offset < 0x4008) return offset === 0x4000 ? "mtimecmp" : "mtimecmp+4";
      if (offset >= 0xbff8) return offset === 0xbff8 ? "mtime" : "mtime+4";
      return `+0x${offset.toString(16)}`;
    case "plic":
      if (offset < 0x1000) return `priority[${offset >> 2}]`;
      if (offset < 0x2000) return `pending[${(offset - 0x1000) >> 2}]`;
      if (offset < 0x20_0000) return `enable[ctx ${Math.floor((offset - 0x2000) / 0x80)}]`;
      return (offset & 0xfff) === 0 ? `threshold[ctx ${(offset - 0x20_0000) >> 12}]` : `claim/complete[ctx ${(offset - 0x20_0000) >> 12}]`;
    case "finisher":
      return "status";
    default:
      return `+0x${offset.toString(16)}`;
  }
}
