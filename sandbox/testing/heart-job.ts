/**
 * The threshold e2e's job on the demo's heart records (test/threshold-e2e.test.ts), shared with the
 * unit test of its stated errors (node/sdk/threshold-result.test.ts): a count, the mean of a
 * nullable column whose data sit off the centre of its declared range, and a variance.
 */
export const HEART_JOB_SPEC = {
  version: 1,
  outputs: {
    records: { op: 'count' },
    mean_hr: { op: 'mean', of: 'resting_hr' },
    var_sbp: { op: 'variance', of: 'systolic_bp' },
  },
  expect: { minRecords: 300, maxMissingRate: 0.05, ranges: { mean_hr: [55, 95] } },
}
