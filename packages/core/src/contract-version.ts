/**
 * Version of the driver contract. A driver reports the version it was built against as
 * `contractVersion`; the registry refuses drivers of another version rather than guess.
 */
export const CONTRACT_VERSION = 'berth.v1' as const;
export type ContractVersion = typeof CONTRACT_VERSION;
