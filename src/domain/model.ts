/**
 * The registry: every entity of the example domain, one line each. Their modules (src/domain/entities/)
 * declare everything else; README ("Deletion policies", "Adding an entity") explains the choices.
 */
import { DomainModel } from "./domain-model.js";
import { comment } from "./entities/comment.js";
import { project } from "./entities/project.js";
import { taskAssignment } from "./entities/task-assignment.js";
import { task } from "./entities/task.js";
import { user } from "./entities/user.js";

const DEFINITIONS = [user, project, task, comment, taskAssignment] as const;

export const MODEL = new DomainModel(DEFINITIONS);

export type EntityName = (typeof DEFINITIONS)[number]["name"];

/** The engine's entity declarations (name and table). */
export const ENTITIES = MODEL.entityDeclarations;
/** The engine's relation declarations, with their deletion policies. */
export const RELATIONS = MODEL.relationDeclarations;

export const createRegistry = () => MODEL.createRegistry();
