import { type Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";

/** How every alarm of the registry judges its metric: one period at or over the threshold; no data is no trouble. */
export const ALARM_DEFAULTS = {
  evaluationPeriods: 1,
  comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  treatMissingData: TreatMissingData.NOT_BREACHING,
} as const;

/** Notifies when the alarm fires and again when it clears, so the incident it opened in on-call tooling resolves itself. */
export function notifyOnChange(alarm: Alarm, notify: IAlarmAction): void {
  alarm.addAlarmAction(notify);
  alarm.addOkAction(notify);
}
