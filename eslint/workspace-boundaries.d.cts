import type { Rule } from 'eslint';

/** A workspace as the rule sees it: its name, directory and declared `@trx/*` (and other) dependencies. */
export interface Workspace {
  name: string;
  dir: string;
  isApp: boolean;
  dependencies: string[];
  devDependencies: string[];
}

export function readWorkspaces(root: string): Workspace[];
export function createWorkspaceBoundariesRule(workspaces: Workspace[]): Rule.RuleModule;
export function workspaceBoundariesPlugin(root: string): { rules: Record<string, Rule.RuleModule> };
