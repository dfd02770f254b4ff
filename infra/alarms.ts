import { ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";

/** How every alarm of the registry judges its metric: one period at or over the threshold; no data is no trouble. */
export const ALARM_DEFAULTS = {
  evaluationPeriods: 1,
  comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  treatMissingData: TreatMissingData.NOT_BREACHING,
} as const;
