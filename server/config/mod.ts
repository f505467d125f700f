/**
 * The configuration layer: `data/config.json` and `groups/**.json`, with
 * Galène's semantics.
 *
 * @module
 */

export * from "./codec_names.ts";
export * from "./description_store.ts";
export * from "./file_cache.ts";
export * from "./group_description.ts";
export * from "./group_name.ts";
export * from "./password.ts";
export * from "./permissions.ts";
export * from "./semaphore.ts";
export * from "./server_config.ts";
export * from "./user_description.ts";
