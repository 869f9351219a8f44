// Writes the installed isbot's pattern list, with the package's name and version, as the JSON
// file the web tier embeds (Web/Bots/BotList.targets runs this after `npm ci`). It goes through
// the package's public `list` export, so nothing depends on how the package lays out its files.
import { list } from "isbot";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { name, version } = JSON.parse(readFileSync(require.resolve("isbot/package.json"), "utf8"));
if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === "string")) {
  console.error("export-patterns: isbot's `list` is not a non-empty array of strings");
  process.exit(1);
}

writeFileSync(process.argv[2], JSON.stringify({ package: name, version, patterns: list }, null, 1) + "\n");
