import { parentPort, type Transferable } from 'node:worker_threads'
import { SandboxError } from '../errors.ts'
import { errorReply, type TaskReply } from './worker-pool.ts'

/** Runs in a worker: handles one request at a time, replying with a TaskReply. */
export function serveTasks<Req, Res>(
  handler: (request: Req) => Promise<Res> | Res,
  transferOf: (result: Res) => Transferable[] = () => [],
): void {
  const port = parentPort
  if (!port) throw new SandboxError('NOT_IN_WORKER', 'serveTasks must run in a worker thread')
  port.on('message', async (request: Req) => {
    let reply: TaskReply<Res>
    let transfer: Transferable[] = []
    try {
      const result = await handler(request)
      reply = { ok: true, result }
      transfer = transferOf(result)
    } catch (e) {
      reply = errorReply(e)
    }
    port.postMessage(reply, transfer)
  })
}
