import type { DeviceNode, DeviceState } from "../../device";
import { hex, yes } from "../format";
import type { IommuFaultRecord, IommuState, IommuTranslation } from "./model";
import * as R from "./registers";

function ttyp(t: number): string {
  return t === R.TTYP_WRITE ? "untranslated write" : t === R.TTYP_READ ? "untranslated read" : `TTYP ${t}`;
}

function faultNode(f: IommuFaultRecord): DeviceNode {
  return {
    label: `fault ${f.n}`,
    value: `${R.CAUSE_NAMES[f.cause] ?? "cause"} (${f.cause}), device ${f.deviceId}, IOVA ${hex(f.iotval, 8)}`,
    tooltip: `${ttyp(f.ttyp)}; iotval2 ${hex(f.iotval2, 8)}; ${f.at < 0 ? "not written to the fault queue (queue off, full, or unreachable)" : `record at HPA ${hex(f.at, 8)}`}`,
  };
}

function translationNode(t: IommuTranslation): DeviceNode {
  return {
    label: `device ${t.deviceId} ${t.write ? "write" : "read"}`,
    value: `IOVA ${hex(t.iova, 8)} → HPA ${hex(t.hpa, 8)} (${t.length} B)`,
  };
}

/** The IOMMU in the Devices view: its registers decoded, its latest faults and translations. */
export function iommuView(s: IommuState): DeviceState {
  const mode = Number(s.ddtp & 0xfn);
  const fqEntries = 2 ** (Number(s.fqb & 0x1fn) + 1);
  return {
    id: "iommu",
    label: "RISC-V IOMMU",
    base: BigInt(R.IOMMU_BASE),
    nodes: [
      { label: "ddtp", value: `${hex(s.ddtp, 8)} (${R.DDTP_MODE_NAMES[mode] ?? "?"}, table at ${hex((s.ddtp >> 10n) << 12n, 8)})` },
      {
        label: "fault queue",
        value: `head ${s.fqh}, tail ${s.fqt} of ${fqEntries}, at ${hex((s.fqb >> 10n) << 12n, 8)}`,
        children: [
          { label: "fqcsr", value: `${hex(s.fqcsr)} (on ${yes((s.fqcsr & R.FQCSR_FQON) !== 0)}, interrupt ${yes((s.fqcsr & R.FQCSR_FIE) !== 0)}, overflow ${yes((s.fqcsr & R.FQCSR_FQOF) !== 0)}, memory fault ${yes((s.fqcsr & R.FQCSR_FQMF) !== 0)})` },
          { label: "ipsr", value: `${hex(s.ipsr)} (fault pending ${yes((s.ipsr & R.IPSR_FIP) !== 0)})` },
        ],
      },
      { label: "faults", value: `${s.faults.length}`, children: s.faults.map(faultNode) },
      { label: "translations", value: `latest ${s.translations.length}`, children: s.translations.map(translationNode) },
    ],
  };
}
