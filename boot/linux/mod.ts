/**
 * The Linux x86 boot protocol (bzImage, protocol 2.06+): setup-header
 * parsing, the e820 map, boot_params, and the loader with 32- or 64-bit
 * entry.
 *
 * @module
 */

export * from "./setup_header.ts";
export * from "./e820.ts";
export * from "./boot_params.ts";
export * from "./load.ts";
export * from "./pvh.ts";
