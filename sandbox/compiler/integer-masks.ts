/**
 * Masks that cost no level: weights over the residue classes of slots whose
 * plaintext polynomials have integer coefficients, so they are encoded at
 * scale 1 and a multiplication by one needs no rescale.
 *
 * SEAL's slot j of a CKKS plaintext m is m(ζ^(3^j)) with ζ = e^(iπ/N). For
 * B classes (a power of two) and s = N / (2B), the B real polynomials
 * M_0 = 1 and M_k = X^(ks) − X^((2B−k)s) (k = 1 … B−1) take in slot j the
 * value 2·cos(π·k·(3^j mod 4B) / (2B)): a function of j mod B alone, since
 * 3 has order B modulo 4B. A pack weights its k-th stat's window sums by M_k,
 * so after the rotate-and-sum every slot j holds Σ_k M_k(j)·S_k, a fixed
 * combination of finished totals (never a partial sum), and the polynomial
 * of the result is Σ_k S_k·M_k: S_k is the coefficient of X^(ks). The
 * columns of the B × B matrix V[r][k] = M_k(r) are orthogonal (Σ_r V[r][k]²
 * is B for k = 0 and 2B otherwise), so the class means give each total by
 * one dot product.
 */

/** M_k's value in slot j (of any ring degree with at least B slots). */
export function integerMaskValue(classes: number, k: number, slot: number): number {
  if (k === 0) return 1
  const g = powMod(3, slot % classes, 4 * classes)
  return 2 * Math.cos((Math.PI * k * g) / (2 * classes))
}

/** The largest |Σ_k M_k(j)·S_k| over slots when every |S_k| ≤ 1: how much headroom B classes take. */
export function integerMaskGain(classes: number): number {
  const known = gains.get(classes)
  if (known !== undefined) return known
  let worst = 0
  for (let r = 0; r < classes; r++) {
    let row = 0
    for (let k = 0; k < classes; k++) row += Math.abs(integerMaskValue(classes, k, r))
    worst = Math.max(worst, row)
  }
  gains.set(classes, worst)
  return worst
}

// O(B²) per class count, and the planner asks for each power of two down from the stats' count:
// a spec with a 2,000-cell heatmap must not cost every validator seconds per compile.
const gains = new Map<number, number>()

/** The totals S_0 … S_(count−1) from the mean of each class r of slots (the slots j with j mod B = r). */
export function integerMaskTotals(classMeans: ArrayLike<number>, count: number): number[] {
  const classes = classMeans.length
  return Array.from({ length: count }, (_, k) => {
    let dot = 0
    for (let r = 0; r < classes; r++) dot += integerMaskValue(classes, k, r) * classMeans[r]!
    return dot / (k === 0 ? classes : 2 * classes)
  })
}

// Square and multiply: the exponent is a slot index, up to the ring's slot count.
function powMod(base: number, exp: number, mod: number): number {
  let out = 1
  let b = base % mod
  for (let e = exp; e > 0; e >>= 1) {
    if (e & 1) out = (out * b) % mod
    b = (b * b) % mod
  }
  return out
}
