import { useEffect, useState } from 'preact/hooks'

/**
 * Hash routing: every page has a URL to share (#/job/0x…, #/block/12, #/vault/0x…), and the node
 * serves one file, index.html, whatever the page.
 */
export interface Route {
  /** the path's segments after #/, e.g. ['job', '0x…'] */
  readonly parts: readonly string[]
  readonly query: URLSearchParams
}

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?')
  return {
    parts: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(search),
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash))
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash))
    addEventListener('hashchange', onChange)
    return () => removeEventListener('hashchange', onChange)
  }, [])
  return route
}

export const href = {
  home: () => '#/',
  blocks: () => '#/blocks',
  block: (height: number) => `#/block/${height}`,
  jobs: () => '#/jobs',
  job: (id: string) => `#/job/${id}`,
  vaults: () => '#/vaults',
  vault: (id: string) => `#/vault/${id}`,
  validators: () => '#/validators',
  buyer: (vault?: string) => (vault ? `#/buyer?vault=${vault}` : '#/buyer'),
  seller: (owner?: string) => (owner ? `#/seller?owner=${owner}` : '#/seller'),
  operator: () => '#/operator',
  contribute: () => '#/contribute',
}
