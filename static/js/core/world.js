/**
 * world.js: the simulated mail world's public facts, as the pages use them (pure, no DOM).
 *
 * The server describes its world at GET /api/world (docs/api.md): `{domain,
 * hostname, users: [{login, address, name}], lists: [{..., members}], moved:
 * [{..., forward}], left: [{..., forward}]}`. The console completes those
 * addresses after "<" and drafts a message from the first users; nothing on
 * the page hard-codes them. Anything missing or malformed counts as empty.
 */

const GROUPS = ["users", "lists", "moved", "left"];

function addressesOf(world, group) {
  const list = world && typeof world === "object" && Array.isArray(world[group]) ? world[group] : [];
  return list.map((item) => (item && typeof item.address === "string" ? item.address.trim().toLowerCase() : ""))
    .filter(Boolean);
}

/** Every address of the world (users, lists, moved and departed users, in that order), once each. */
export function worldAddresses(world) {
  return [...new Set(GROUPS.flatMap((group) => addressesOf(world, group)))];
}

/** A draft message's sender and recipient when the envelope names none: the world's first two users. */
export function draftParties(world) {
  const users = addressesOf(world, "users");
  return { from: users[0] || "", to: users[1] || users[0] || "" };
}
