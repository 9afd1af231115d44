/**
 * Lua scripts kept as `.lua` files beside this module (`./lua/`), named BullMQ's way:
 * `verbNoun-<numberOfKeys>.lua`, or `verbNoun-n.lua` for a script that takes any number of
 * keys (the count is then sent before them, as EVALSHA wants it). A script is read from disk once per process, registered
 * on a connection with ioredis `defineCommand` (EVALSHA, EVAL on NOSCRIPT), and called
 * through a typed wrapper whose `build` turns named fields into KEYS and ARGV in one
 * place (scripts.ts), so no caller ever counts positions.
 *
 * The files are read relative to `import.meta.url`, so the same code finds them in src/
 * (tsx, vitest) and in dist/ (the build copies them, scripts/copy-assets.mjs).
 *
 * A line `--- @include "name"` is replaced by `./lua/includes/name.lua` (BullMQ's include
 * convention, one level deep): helpers shared by several scripts live in one file.
 */
import { readFileSync } from "node:fs";
import type { ChainableCommander } from "ioredis";
import type { RedisConnection } from "./redis-connection.js";

/** The directory holding the `.lua` files, next to this module in src/ or dist/. */
export const LUA_DIR = new URL("./lua/", import.meta.url);

const FILE_NAME = /^([a-z][A-Za-z]*)-(\d+|n)\.lua$/;
const INCLUDE = /^--- @include "([A-Za-z0-9_-]+)"$/gm;

/** A script's KEYS and ARGV, in the order its header documents. */
export interface ScriptCall {
  keys: readonly string[];
  argv: readonly string[];
}

/** The text of `lua/<file>` with its includes spliced in. */
export function loadLuaSource(file: string): string {
  const text = readFileSync(new URL(file, LUA_DIR), "utf8");
  return text.replace(INCLUDE, (_line, name: string) =>
    readFileSync(new URL(`includes/${name}.lua`, LUA_DIR), "utf8"),
  );
}

type ScriptFn<Raw> = (...keysAndArgs: string[]) => Promise<Raw>;
/** On a pipeline a script command queues and returns the pipeline. */
type QueueFn = (...keysAndArgs: string[]) => unknown;

/**
 * One Lua script: its file, the ioredis command it is registered as (`gpr` + verbNoun,
 * clear of BullMQ's own commands on a shared connection), how named input becomes KEYS
 * and ARGV, and how the raw reply becomes a typed result.
 */
export class LuaScript<Input, Reply, Raw = unknown> {
  readonly file: string;
  readonly command: string;
  /** From the file name; every call is checked against it. Undefined: any number (`-n`). */
  readonly numberOfKeys: number | undefined;
  readonly #build: (input: Input) => ScriptCall;
  readonly #parse: (raw: Raw) => Reply;
  #source: string | undefined;

  constructor(file: string, build: (input: Input) => ScriptCall, parse: (raw: Raw) => Reply) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`Lua script file ${file} is not named verbNoun-<numberOfKeys>.lua`);
    const verbNoun = match[1]!;
    this.file = file;
    this.command = `gpr${verbNoun[0]!.toUpperCase()}${verbNoun.slice(1)}`;
    this.numberOfKeys = match[2] === "n" ? undefined : Number(match[2]);
    this.#build = build;
    this.#parse = parse;
  }

  /** The script's text, read on first use. */
  get source(): string {
    return (this.#source ??= loadLuaSource(this.file));
  }

  /**
   * KEYS then ARGV for `input` (a variadic script: their count first); throws when the key
   * count differs from the file name's.
   */
  args(input: Input): string[] {
    const { keys, argv } = this.#build(input);
    if (this.numberOfKeys === undefined) return [String(keys.length), ...keys, ...argv];
    if (keys.length !== this.numberOfKeys) {
      throw new Error(`${this.file} takes ${this.numberOfKeys} keys, was given ${keys.length}`);
    }
    // concat, not two spreads: one copy without the iterator protocol (every script call).
    return keys.concat(argv);
  }

  /**
   * Registers the script on `redis` (once per connection). A pipeline knows only the
   * scripts its connection had when the pipeline was created, so call this first.
   */
  define(redis: RedisConnection): void {
    if (this.command in redis) return;
    redis.defineCommand(this.command, {
      ...(this.numberOfKeys !== undefined && { numberOfKeys: this.numberOfKeys }),
      lua: this.source,
    });
  }

  /** Runs the script and parses its reply. */
  async run(redis: RedisConnection, input: Input): Promise<Reply> {
    this.define(redis);
    const fn = (redis as unknown as Record<string, ScriptFn<Raw>>)[this.command]!;
    return this.#parse(await fn.apply(redis, this.args(input)));
  }

  /**
   * Queues the script on `pipeline` (created after {@link define}); parse the reply from
   * `exec()` with {@link parse}.
   */
  queue(pipeline: ChainableCommander, input: Input): void {
    this.queueArgs(pipeline, this.args(input));
  }

  /** {@link queue} with arguments built ahead by {@link args}. */
  queueArgs(pipeline: ChainableCommander, args: readonly string[]): void {
    const fn = (pipeline as unknown as Record<string, QueueFn | undefined>)[this.command];
    if (!fn) throw new Error(`${this.file}: define the script before creating the pipeline`);
    fn.apply(pipeline, args as string[]);
  }

  /** The typed result of a raw reply (from a pipeline). */
  parse(raw: Raw): Reply {
    return this.#parse(raw);
  }
}
