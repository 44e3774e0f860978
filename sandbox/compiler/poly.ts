/**
 * Polynomials over stored value columns, as the finisher needs them: a term
 * like `age*bmi` is, for a record where both are present,
 * (c_age + h_age s_age)(c_bmi + h_bmi s_bmi), a polynomial in the stored
 * normalized values s. Monomials are keyed by their sorted factor names
 * joined with `*`; the constant monomial is ''.
 */
export type Poly = Map<string, number>

export const CONSTANT = ''

export function monomialFactors(key: string): string[] {
  return key === CONSTANT ? [] : key.split('*')
}

function monomialKey(factors: readonly string[]): string {
  return [...factors].sort().join('*')
}

export function affine(column: string, center: number, halfWidth: number): Poly {
  const p: Poly = new Map([[column, halfWidth]])
  if (center !== 0) p.set(CONSTANT, center)
  return p
}

export function constant(c: number): Poly {
  return new Map([[CONSTANT, c]])
}

export function add(a: Poly, b: Poly, scaleB = 1): Poly {
  const out = new Map(a)
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + scaleB * v)
  return prune(out)
}

export function multiply(a: Poly, b: Poly): Poly {
  const out: Poly = new Map()
  for (const [ka, va] of a) {
    for (const [kb, vb] of b) {
      const k = monomialKey([...monomialFactors(ka), ...monomialFactors(kb)])
      out.set(k, (out.get(k) ?? 0) + va * vb)
    }
  }
  return prune(out)
}

/** The polynomial less its constant: same variance, far better conditioned sums. */
export function withoutConstant(p: Poly): Poly {
  const out = new Map(p)
  out.delete(CONSTANT)
  return out
}

function prune(p: Poly): Poly {
  for (const [k, v] of p) if (v === 0) p.delete(k)
  return p
}

export function degree(p: Poly): number {
  let d = 0
  for (const k of p.keys()) d = Math.max(d, monomialFactors(k).length)
  return d
}
