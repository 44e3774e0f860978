import { randomBytes } from 'node:crypto'
import { ContractFactory, Signature, Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import type { Eip712Domain } from '../eip712/domain.ts'
import { addressOfPrivateKey } from '../eip712/ecdsa.ts'
import { signCommitteeKey, verifyCommitteeKeySignature } from '../eip712/messageSigning.ts'
import { type Address, type Hex32, toHex } from '../hex.ts'
import { generatePrivateKey } from '../keys/keystore.ts'
import type { ValidatorSignature } from '../messages/attestation.ts'
import { expectRevert, revertEachTest, useTestChain } from '../testing/test-chain.ts'
import { loadArtifact } from './artifacts.ts'
import { connectCommitteeKeys } from './committeeKey.ts'

const randomHash = (): Hex32 => toHex(randomBytes(32))

const test = useTestChain({ validators: 4 })
revertEachTest(test)
const anchorDomain = (anchor: Address = test.net.addresses.anchor): Eip712Domain => ({
  chainId: test.chain.chainId,
  verifyingContract: anchor,
})
const keys = () => connectCommitteeKeys(test.net.addresses.anchor, test.chain.wallet(3))
const validator = (i: number) => new Wallet(test.net.validatorKeys[i]!, test.chain.provider)

/** CommitteeKey signatures by `signers` (all members by default) over (epoch, setHash, keyHash). */
async function sign(
  keyHash: Hex32,
  opts: { signers?: readonly Hex32[]; epoch?: number; domain?: Eip712Domain } = {},
): Promise<ValidatorSignature[]> {
  const epoch = opts.epoch ?? test.net.epoch
  const setHash = (await test.net.connect(test.chain.wallet(0)).validators.epochSetHash(epoch)) as Hex32
  return (opts.signers ?? test.net.validatorKeys).map((k) => ({
    validator: addressOfPrivateKey(k),
    signature: signCommitteeKey(opts.domain ?? anchorDomain(), k, { epoch, setHash, keyHash }),
  }))
}

const compact = (s: ValidatorSignature) => {
  const sig = Signature.from(s.signature)
  return { r: sig.r, vs: sig.yParityAndS }
}

describe('Anchor.registerCommitteeKey', () => {
  it('records the key hash once 2f+1 of the stake signed it, and emits it', async () => {
    const keyHash = randomHash()
    const signatures = await sign(keyHash, { signers: test.net.validatorKeys.slice(1) })
    const setHash = await test.net.connect(test.chain.wallet(0)).validators.epochSetHash(test.net.epoch)
    expect(
      verifyCommitteeKeySignature(
        anchorDomain(),
        { epoch: test.net.epoch, setHash, keyHash },
        signatures[0]!.signature,
        signatures[0]!.validator,
      ),
    ).toBe(true)
    expect(await keys().keyHash(test.net.epoch)).toBeUndefined()
    const receipt = await keys().register({
      epoch: test.net.epoch,
      keyHash,
      validatorSet: test.net.validatorSet,
      signatures,
    })
    expect(await keys().keyHash(test.net.epoch)).toBe(keyHash)
    const [log] = receipt.logs.map((l) => keys().contract.interface.parseLog(l)).filter((l) => l !== null)
    expect(log?.name).toBe('CommitteeKeyRegistered')
    expect(log?.args.keyHash).toBe(keyHash)
    expect(log?.args.signers).toBe(0b1110n)
    console.log(`registerCommitteeKey, 3 of 4 signatures: ${receipt.gasUsed} gas`)
  })

  it('refuses registration below quorum (2 of 4 equal stakes)', async () => {
    const keyHash = randomHash()
    const signatures = await sign(keyHash, { signers: test.net.validatorKeys.slice(0, 2) })
    const call = { epoch: test.net.epoch, keyHash, validatorSet: test.net.validatorSet, signatures }
    await expectRevert(keys().register(call), 'InsufficientStake')
    expect(await keys().keyHash(test.net.epoch)).toBeUndefined()
  })

  it('refuses a non-member signature put in a member slot', async () => {
    const keyHash = randomHash()
    const members = await sign(keyHash, { signers: test.net.validatorKeys.slice(0, 2) })
    const [outsider] = await sign(keyHash, { signers: [generatePrivateKey()] })
    expect(() =>
      keys().register({
        epoch: test.net.epoch,
        keyHash,
        validatorSet: test.net.validatorSet,
        signatures: [...members, outsider!],
      }),
    ).toThrow('not in the epoch')
    const raw = { epoch: test.net.epoch, keyHash, validatorSet: test.net.validatorSet, signers: 0b111n }
    await expectRevert(
      keys().registerRaw({ ...raw, signatures: [...members, outsider!].map(compact) }),
      'WrongSigner',
    )
  })

  it('counts one signature once, however often it is submitted', async () => {
    const keyHash = randomHash()
    const [first] = await sign(keyHash, { signers: test.net.validatorKeys.slice(0, 1) })
    const [second] = await sign(keyHash, { signers: test.net.validatorKeys.slice(1, 2) })
    const raw = { epoch: test.net.epoch, keyHash, validatorSet: test.net.validatorSet, signers: 0b111n }
    await expectRevert(
      keys().registerRaw({ ...raw, signatures: [first!, second!, second!].map(compact) }),
      'WrongSigner',
    )
    // the client folds repeats by member: two distinct signers of four is below quorum
    const call = { epoch: test.net.epoch, keyHash, validatorSet: test.net.validatorSet }
    await expectRevert(
      keys().register({ ...call, signatures: [first!, second!, second!, first!] }),
      'InsufficientStake',
    )
  })

  it("refuses a previous epoch's set and signatures made for another epoch", async () => {
    // a fifth validator joins, so epoch 2's set differs from epoch 1's
    const newcomerKey = generatePrivateKey()
    const newcomer = new Wallet(newcomerKey, test.chain.provider)
    await (
      await test.chain.wallet(0).sendTransaction({ to: newcomer.address, value: 2n * 10n ** 18n })
    ).wait()
    await test.net.connect(newcomer).validators.register(10n ** 18n)
    const registry = test.net.connect(validator(0)).validators
    await registry.advanceEpoch()
    const epoch = await registry.currentEpoch()
    const newSet = await registry.epochSetWords(epoch)
    const keyHash = randomHash()
    // the old set, all four signing for the new epoch: its words do not hash to epoch 2's snapshot
    const oldSetSigs = await sign(keyHash, { epoch })
    await expectRevert(
      keys().register({ epoch, keyHash, validatorSet: test.net.validatorSet, signatures: oldSetSigs }),
      'WrongValidatorSet',
    )
    // signatures made for epoch 1 replayed for epoch 2 (4 of the 5 members would be a quorum)
    const epoch1Sigs = await sign(keyHash, { epoch: test.net.epoch })
    await expectRevert(
      keys().register({ epoch, keyHash, validatorSet: newSet, signatures: epoch1Sigs }),
      'WrongSigner',
    )
    // epoch 1 leaves the window once the grace period passes: its set can no longer register anything
    await test.chain.provider.send('evm_increaseTime', [Number(await registry.anchorGracePeriod()) + 1])
    await expectRevert(
      keys().register({
        epoch: test.net.epoch,
        keyHash,
        validatorSet: test.net.validatorSet,
        signatures: epoch1Sigs,
      }),
      'StaleEpoch',
    )
    // and the genuine epoch-2 quorum registers
    await keys().register({
      epoch,
      keyHash,
      validatorSet: newSet,
      signatures: await sign(keyHash, {
        epoch,
        signers: [...test.net.validatorKeys.slice(0, 3), newcomerKey],
      }),
    })
    expect(await keys().keyHash(epoch)).toBe(keyHash)
  })

  it('refuses signatures made for another Anchor or another key hash', async () => {
    const { abi, bytecode } = loadArtifact('Anchor')
    const other = await new ContractFactory(abi, bytecode, test.chain.wallet(0)).deploy(
      test.net.addresses.validatorRegistry,
    )
    await other.waitForDeployment()
    const otherAddress = (await other.getAddress()).toLowerCase() as Address
    const keyHash = randomHash()
    const forOther = await sign(keyHash, { domain: anchorDomain(otherAddress) })
    const call = { epoch: test.net.epoch, keyHash, validatorSet: test.net.validatorSet }
    await expectRevert(keys().register({ ...call, signatures: forOther }), 'WrongSigner')
    await connectCommitteeKeys(otherAddress, test.chain.wallet(3)).register({ ...call, signatures: forOther })
    const forAnotherKey = await sign(randomHash())
    await expectRevert(keys().register({ ...call, signatures: forAnotherKey }), 'WrongSigner')
    // nor under the network's message domain (the registry), which members use for everything else
    await expectRevert(
      keys().register({ ...call, signatures: await sign(keyHash, { domain: test.net.domain }) }),
      'WrongSigner',
    )
  })

  it('refuses re-registering an epoch, even with a quorum for a different key', async () => {
    const [first, second] = [randomHash(), randomHash()]
    const call = { epoch: test.net.epoch, validatorSet: test.net.validatorSet }
    await keys().register({ ...call, keyHash: first, signatures: await sign(first) })
    await expectRevert(
      keys().register({ ...call, keyHash: second, signatures: await sign(second) }),
      'CommitteeKeyAlreadyRegistered',
    )
    await expectRevert(
      keys().register({ ...call, keyHash: first, signatures: await sign(first) }),
      'CommitteeKeyAlreadyRegistered',
    )
    expect(await keys().keyHash(test.net.epoch)).toBe(first)
  })

  it('refuses the zero key hash', async () => {
    const zero = toHex(new Uint8Array(32))
    const call = { epoch: test.net.epoch, keyHash: zero, validatorSet: test.net.validatorSet }
    await expectRevert(keys().register({ ...call, signatures: await sign(zero) }), 'EmptyKeyHash')
  })
})
