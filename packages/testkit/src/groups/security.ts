import type { GroupDefinition } from '../conformance.js';
import { defineHostTests } from './security-host.js';
import { defineNetworkTests } from './security-network.js';
import { defineProcessTests } from './security-processes.js';

/**
 * What a sandbox must guarantee, tested the way an attacker whose code runs inside a container
 * would: through the contract only, with shell probes that report what they reached.
 */
export const securityGroup: GroupDefinition = {
  name: 'security',
  define(test) {
    defineProcessTests(test);
    defineHostTests(test);
    defineNetworkTests(test);
  },
};
