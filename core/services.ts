/**
 * The service registry: typed services that one plugin offers to others.
 *
 * @module
 */

import { PluginConflictError, PluginMissingError } from "./plugin.ts";
import type { ServiceToken } from "./plugin.ts";

/** Registry of services keyed by token id. */
export class ServiceRegistry {
  readonly #impls = new Map<string, { provider: string; impl: unknown }>();

  /** Offer `impl` under `token` on behalf of `provider`. */
  provide<T>(provider: string, token: ServiceToken<T>, impl: T): void {
    const prev = this.#impls.get(token.id);
    if (prev) {
      throw new PluginConflictError(
        `service "${token.id}" is provided by both "${prev.provider}" and "${provider}"`,
      );
    }
    this.#impls.set(token.id, { provider, impl });
  }

  /** Look a service up; undefined if absent. */
  find<T>(token: ServiceToken<T>): T | undefined {
    return this.#impls.get(token.id)?.impl as T | undefined;
  }

  /** Look a service up; throws naming the requester when absent. */
  get<T>(token: ServiceToken<T>, requester: string): T {
    const s = this.#impls.get(token.id);
    if (!s) {
      throw new PluginMissingError(
        `plugin "${requester}" needs service "${token.id}", which no loaded plugin provides`,
      );
    }
    return s.impl as T;
  }

  /** True if a service with this id exists. */
  has(id: string): boolean {
    return this.#impls.has(id);
  }
}
