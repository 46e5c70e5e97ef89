import type { DeviceModel } from "../target/target_options";
import { AVAILABLE_TECHNIQUES, VMM_TECHNIQUES, type Technique } from "../target/techniques";

/**
 * `hyperstep compare --device-model emulated,split`: every VMM technique runs the guest once per
 * device model, so that the table shows the same I/O workload's exits and modelled cycles under
 * each model side by side; native, which has no VMM, runs once.
 */
export interface TechniqueRunSpec {
  technique: Technique;
  /** Undefined: the default model, and no model in the row's name. */
  deviceModel?: DeviceModel;
}

export function techniqueRuns(models: readonly DeviceModel[] | undefined): TechniqueRunSpec[] {
  return AVAILABLE_TECHNIQUES.flatMap((technique) =>
    models && VMM_TECHNIQUES.includes(technique) ? models.map((deviceModel) => ({ technique, deviceModel })) : [{ technique }]);
}

/** A run's name in the tables: the technique, and its device model when the report compares several. */
export function runLabel(r: TechniqueRunSpec): string {
  return r.deviceModel === undefined ? r.technique : `${r.technique} (${r.deviceModel})`;
}
