import { z } from 'zod';

/**
 * The one shape of a validation problem, for configs, pipelines, embed options
 * and API payloads alike: where (a dotted path, "optimizer.baseLr",
 * "ops.0.params.scale") and what is wrong. The CLI prints one "path: message"
 * line per problem; the UI shows each message next to the field at `path`;
 * ApiError.issues carries them across both transports.
 */
export const IssueSchema = z.object({ path: z.string(), message: z.string() });
export type Issue = z.infer<typeof IssueSchema>;

/** "ops.0.params.scale"; `root` names the whole value when the path is empty. */
export function issuePath(path: readonly PropertyKey[], root: string): string {
  return path.length ? path.map(String).join('.') : root;
}

/**
 * zod's issues in the one shape. `describe` may word an issue itself (a hint
 * naming the allowed values); unknown keys become one issue at their parent.
 */
export function zodIssues(error: z.ZodError, root = '(payload)', describe?: (issue: z.core.$ZodIssue) => string | undefined): Issue[] {
  return error.issues.map((issue) => {
    const custom = describe?.(issue);
    if (custom !== undefined) return { path: issuePath(issue.path, root), message: custom };
    if (issue.code === 'unrecognized_keys') {
      return { path: issuePath(issue.path, root), message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling)` };
    }
    return { path: issuePath(issue.path, root), message: issue.message };
  });
}

/** One "path: message" line per problem: how the CLI and logs print them. */
export function formatIssues(issues: readonly Issue[]): string[] {
  return issues.map((i) => `${i.path}: ${i.message}`);
}

/** Input that failed validation. The message lists the problems, one per line, after "<source>: invalid <what>:". */
export class ValidationError extends Error {
  constructor(
    readonly issues: Issue[],
    what: string,
    source?: string,
  ) {
    super(`${source ? `${source}: ` : ''}invalid ${what}:\n  ${formatIssues(issues).join('\n  ')}`);
    this.name = 'ValidationError';
  }
}
