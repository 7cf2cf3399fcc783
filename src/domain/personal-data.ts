/**
 * What is personal in the example domain, declared once; `eraseUser` works from it (src/engine/erasure.ts).
 * README ("Erasure") explains each choice.
 */
import type { PersonalDataDeclaration } from "../engine/erasure.js";

export const ERASED_USER_NAME = "Erased user";
export const ERASED_COMMENT_BODY = "[erased]";

export const PERSONAL_DATA: PersonalDataDeclaration = {
  person: "User",
  // The email stays unique among live rows, so the live-unique key keeps working.
  identifying: { name: () => ERASED_USER_NAME, email: (id) => `erased-${id}@invalid` },
  // A token subject names a user by email or by id (see ensureActor).
  subjects: ["email", "id"],
  // A comment stays in its thread (replies keep their parent), without its words.
  authored: [{ relation: "User.comments", replace: { body: ERASED_COMMENT_BODY } }],
  // An assignment only says that this person works on a task.
  removed: ["User.assignments"],
};
