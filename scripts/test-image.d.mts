/** The label scripts/docker-engine.sh stamps on the test image, and the value it stamps. */
export declare const TEST_IMAGE_LABEL: string;
export declare const TEST_IMAGE_VERSION: string;

/** Where the engine is, as @berth/driver-docker's `engineAddress()` gives it. */
export interface EngineAddress {
  socketPath?: string;
  host?: string;
  port?: number;
}

/**
 * Resolves when `image` on the engine at `address` is the one scripts/docker-engine.sh builds;
 * rejects with what it found and the command that fixes it otherwise.
 */
export declare function assertTestImage(image: string, address: EngineAddress): Promise<void>;
