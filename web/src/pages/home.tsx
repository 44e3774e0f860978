import { jobsNewestFirst } from '../chain-data.ts'
import { Hash, Loaded, Section, Table } from '../components/ui.tsx'
import { client, usePoll } from '../node.ts'
import { href } from '../router.ts'
import { BlocksPage } from './blocks.tsx'
import { HealthPanel } from './network.tsx'

/** The explorer's front page: health, the latest blocks and jobs. */
export function HomePage() {
  return (
    <div class="columns">
      <HealthPanel />
      <BlocksPage count={12} />
      <JobsPanel limit={10} />
    </div>
  )
}

export function JobsPanel({ limit }: { limit?: number }) {
  const polled = usePoll(async () => jobsNewestFirst(await client().jobs()), 2000, [])
  return (
    <Section title="Jobs">
      <Loaded polled={polled}>
        {(jobs) => (
          <Table
            caption="jobs, newest first"
            head={['job', 'vault', 'stage', 'admitted at', 'released at']}
            rows={jobs
              .slice(0, limit)
              .map((j) => [
                <Hash value={j.jobId} href={href.job(j.jobId)} key="j" />,
                <Hash
                  value={j.request.request.vaultId}
                  href={href.vault(j.request.request.vaultId)}
                  key="v"
                />,
                j.stage,
                j.admittedHeight ?? '',
                j.releasedHeight ?? '',
              ])}
          />
        )}
      </Loaded>
    </Section>
  )
}
