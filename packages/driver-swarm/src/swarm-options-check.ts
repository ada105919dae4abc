import { ConfigurationError } from '@berth/core';
import type { SwarmDriverOptions } from './swarm-options.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The driver's own options, checked once when it is made, every problem in one
 * ConfigurationError. (The endpoints' fields are the Docker driver's, checked where it uses them;
 * TLS material may be Buffers, so they are not copied here.)
 */
export function checkSwarmOptions(input: unknown): SwarmDriverOptions {
  const options = input ?? {};
  const problems: string[] = [];
  if (!isObject(options)) throw new ConfigurationError('swarm driver options must be an object');
  if (options.manager !== undefined && !isObject(options.manager)) {
    problems.push(
      'manager must be an endpoint object, e.g. { socketPath: "/var/run/docker.sock" }',
    );
  }
  if (options.nodes !== undefined) {
    if (!Array.isArray(options.nodes)) problems.push('nodes must be an array of endpoint objects');
    else {
      options.nodes.forEach((node, i) => {
        if (!isObject(node)) problems.push(`nodes[${i}] must be an endpoint object`);
      });
    }
  }
  if (
    options.allowNetworks !== undefined &&
    (!Array.isArray(options.allowNetworks) ||
      options.allowNetworks.some((n) => typeof n !== 'string' || n === ''))
  ) {
    problems.push('allowNetworks must be an array of network names');
  }
  const timeout = options.startTimeoutMs;
  if (
    timeout !== undefined &&
    (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1000)
  ) {
    problems.push('startTimeoutMs must be a whole number of ms, at least 1000');
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`swarm driver options: ${problems.join('; ')}`);
  }
  return options as SwarmDriverOptions;
}
